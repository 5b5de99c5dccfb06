"""The batched ingest: the same rules as liaison.mail.ingest._one, with set-based queries.

Why: the per-message path costs ~13 queries (duplicate check, rate query, person,
memberships, savepoints, request, event, notifications, log row); Django's per-query
Python cost, not the database, then caps the ingest at ~100 msg/s on 2 cores. Here a
batch of N messages costs a fixed ~10 queries plus bulk INSERTs:

  one query each for: known duplicates, senders' rates, people, their memberships,
  services, referenced requests (by id, by notification id, by received message id);
  then bulk INSERTs of requests, events, notifications and log rows.

New requests are planned and created by liaison.requests.creating (plan_request, then
one create_requests call for the batch), comments by requests.services.comment_many:
the same rules, rows and notifications as any other door (tested in tests/mail/test_bulk.py). Whatever is
not the common case — an attachment, a date that needs the fallback, a validation
error, a reply from someone who may not comment — goes through the one-message path
after the bulk inserts, in the same transaction, so it sees them.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import Count, F, Q

from liaison.core.business_days import add_business_days
from liaison.notify.models import Notification
from liaison.notify.rendering import thread_token, token_from_reply_address
from liaison.notify.services import queue
from liaison.org import cache
from liaison.org.models import Membership, Person, Service
from liaison.requests import services as requests
from liaison.requests.models import Request

from . import parsing
from .ingest import (
    Context,
    Outcome,
    _one,
    _title,
    confirmation_rows,
    content_hash,
    delivery_only_intake,
    is_own_address,
    known_messages,
    loop_reason,
    read_fields,
    reply_to_mismatch,
    sender_authenticated,
)
from .models import Disposition, InboundMessage
from .threads import request_id_from_token
from .trimming import trim_reply


class _Item:
    """One message of the batch and what the batch decided for it."""

    def __init__(self, raw, p, digest, mid):
        self.raw, self.p, self.digest, self.mid = raw, p, digest, mid
        self.disposition = self.reason = self.text = ""
        self.person = self.service = self.request = self.event = self.row_pk = self.new = None
        self.plan = (False, "")  # (need-by defaulted, options) of a new request
        self.slow = self.confirm = self.reused = False


def _resolve_threads(items, domain):
    """Map item → referenced request id, with one query per kind of reference."""
    refs = {}
    notification_ids, inbound_ids = set(), set()
    for item in items:
        for address in item.p.recipients:
            rid = request_id_from_token(token_from_reply_address(address))
            if rid:
                refs[id(item)] = ("request", rid)
                break
        if id(item) in refs:
            continue
        for mid in item.p.thread_ids:
            if mid.endswith(domain):
                local = mid[: -len(domain)]
                rid = request_id_from_token(local)
                if rid:
                    refs[id(item)] = ("request", rid)
                    break
                if local.startswith("notification-") and local[13:].isdigit():
                    notification_ids.add(int(local[13:]))
        if id(item) not in refs and item.p.thread_ids:
            inbound_ids.update(item.p.thread_ids[:50])
    by_notification = {}
    if notification_ids:
        for pk, link in Notification.objects.filter(pk__in=notification_ids).values_list("pk", "link"):
            by_notification[pk] = request_id_from_token(thread_token(link))
    by_inbound = {}
    if inbound_ids:
        by_inbound = dict(InboundMessage.objects.filter(message_id__in=inbound_ids, request__isnull=False)
                          .values_list("message_id", "request_id"))
    out = {}
    for item in items:
        if id(item) in refs:
            out[id(item)] = refs[id(item)][1]
            continue
        for mid in item.p.thread_ids:
            local = mid[: -len(domain)] if mid.endswith(domain) else ""
            if local.startswith("notification-") and local[13:].isdigit() and by_notification.get(int(local[13:])):
                out[id(item)] = by_notification[int(local[13:])]
                break
            if mid in by_inbound:
                out[id(item)] = by_inbound[mid]
                break
            out.setdefault(("pending", id(item)), mid)  # may be a message of this very batch
    return out


def ingest_batch(raws, *, now, door="pipe", envelope_from=None):
    """Ingest `raws` in the caller's transaction; returns Outcomes in order."""
    ctx = Context(now)
    items, outcomes = [], [None] * len(raws)
    for raw in raws:
        try:
            p = parsing.parse(raw)
        except Exception:
            p = None
        digest = content_hash(raw, p)
        items.append(_Item(raw, p, digest, (p.message_id[:500] or None) if p else None))

    # 1. duplicates (same content, which covers the Message-ID): known ones (one query), and
    #    repeats inside the batch; a Message-ID used before by other content is flagged
    known, reused = known_messages([(i.digest, i.mid) for i in items])
    seen, batch_mids = {}, set()
    live = []
    for n, item in enumerate(items):
        first = known.get(item.digest)
        if first and item.p is not None and delivery_only_intake(item.p):
            item.slow = True  # a copy for a Bcc'd service: the one-message path files its request
            live.append((n, item))
            continue
        if first:
            InboundMessage.objects.filter(pk=first).update(duplicates=F("duplicates") + 1)
            outcomes[n] = Outcome("duplicate", first, duplicate=True, reason="Already received.")
            continue
        twin = seen.get(item.digest)
        if twin is not None:
            outcomes[n] = ("twin", twin)
            continue
        seen[item.digest] = n
        if item.mid:
            item.reused = item.mid in reused or item.mid in batch_mids
            batch_mids.add(item.mid)
        if item.p is None:
            item.slow = True  # the one-message path quarantines it with the reason
        live.append((n, item))

    # 2. loops, own addresses (no query)
    candidates = []
    for _n, item in live:
        if item.slow:
            continue
        reason = loop_reason(item.p, envelope_from)
        if reason:
            item.disposition, item.reason = Disposition.AUTO, reason
        elif not item.p.from_addr:
            item.disposition, item.reason = Disposition.TRIAGE, "No usable From address."
        elif is_own_address(item.p.from_addr):
            item.disposition = Disposition.OWN
            item.reason = f"From our own address {item.p.from_addr}: never a requester."
        else:
            candidates.append((n, item))

    # 3. senders: rates (one grouped query), people and memberships (two queries)
    senders = {item.p.from_addr[:254] for _, item in candidates}
    window = now - timedelta(seconds=settings.LIAISON_MAIL_CONFIRM_WINDOW)
    rates = {row["sender"]: [row["n"], row["confirmed"]] for row in
             InboundMessage.objects.filter(sender__in=senders, received_at__gte=now - timedelta(hours=1))
             .values("sender").annotate(n=Count("id"), confirmed=Count("id", filter=Q(confirmed=True,
                                                                                       received_at__gte=window)))}
    people = {p.email: p for p in Person.objects.filter(email__in=senders, is_active=True)}
    teams = {person.pk: set() for person in people.values()}
    for person_id, team_id in Membership.objects.filter(person__in=people.values()).values_list("person_id",
                                                                                                 "team_id"):
        teams[person_id].add(team_id)
    cache.remember_team_ids(teams)  # the services read them from there: no query per sender
    ctx.people.update(people)

    domain = "@" + settings.LIAISON_MAIL_DOMAIN.lower()
    threads = _resolve_threads([item for _, item in candidates], domain)
    wanted = {rid for key, rid in threads.items() if not isinstance(key, tuple)}
    found = {r.pk: r for r in Request.objects.filter(pk__in=wanted).select_related("service__team", "provider_team")}
    per_request = dict(InboundMessage.objects.filter(request_id__in=found, received_at__gte=now - timedelta(hours=1))
                       .values("request_id").annotate(n=Count("id")).values_list("request_id", "n")) if found else {}
    locals_ = {a[: -len(domain)] for _, item in candidates for a in item.p.recipients
               if a.endswith(domain) and not a.startswith("reply+")}
    missing = [x for x in locals_ if x not in ctx.services]
    if missing:
        by_slug = {s.slug: s for s in Service.objects.filter(slug__in=missing).select_related("team")}
        for local in missing:
            ctx.services[local] = by_slug.get(local)

    # 4. decide each message (Python only; the batch's own messages count toward the rates)
    by_mid = {}
    new_requests, comments = [], []
    for _n, item in candidates:
        p = item.p
        sender = p.from_addr[:254]
        rate = rates.setdefault(sender, [0, 0])
        if rate[0] >= settings.LIAISON_MAIL_SENDER_RATE:
            item.disposition = Disposition.RATE_LIMITED
            item.reason = f"More than {settings.LIAISON_MAIL_SENDER_RATE} messages from {sender} within an hour."
            rate[0] += 1
            continue
        rate[0] += 1
        rid = threads.get(id(item))
        pending_parent = threads.get(("pending", id(item)))
        request = found.get(rid) if rid else None
        if rid is None and pending_parent in by_mid:
            # answers a new request of this very batch: it is inserted before the comments
            request = by_mid[pending_parent].request
        local_services = list(dict.fromkeys(ctx.services.get(a[: -len(domain)]) for a in p.recipients
                                            if a.endswith(domain) and not a.startswith("reply+")
                                            and ctx.services.get(a[: -len(domain)])))
        local_service = local_services[0] if local_services else None
        item.service = request.service if request else local_service
        person = people.get(p.from_addr)
        if rid and request is None:
            item.slow = True
            continue
        if person is None:
            item.disposition = Disposition.TRIAGE
            item.reason = f"Unknown sender {p.from_addr}: no active person has it."
            continue
        if not sender_authenticated(p) or p.attachments:
            item.slow = True
            continue
        item.person = person
        if request is not None:
            key = request.pk or id(request)
            if per_request.get(key, 0) >= settings.LIAISON_MAIL_REQUEST_RATE:
                item.disposition, item.request = Disposition.RATE_LIMITED, request
                item.reason = (f"More than {settings.LIAISON_MAIL_REQUEST_RATE} mails on request #{request.pk} "
                               "in an hour.")
                continue
            per_request[key] = per_request.get(key, 0) + 1
            if not (requests.acts_as_provider(request, person) or requests.acts_as_requester(request, person)):
                item.slow = True
                continue
            item.request, item.text = request, trim_reply(p.text) or "(no text)"
            comments.append(item)
            continue
        if item.service is None:
            item.disposition = Disposition.TRIAGE
            item.reason = "No service's intake address and no request thread matched."
            continue
        if len(local_services) > 1:  # a request per service, linked: the one-message path
            item.slow = True
            continue
        if not _plan_request(item, now):
            item.slow = True
            continue
        item.confirm = rate[1] == 0
        if item.confirm:
            rate[1] += 1
        else:
            item.reason = "No confirmation: one was sent to this sender within the confirmation window."
        new_requests.append(item)
        if item.mid:
            by_mid[item.mid] = item

    _insert_requests(new_requests, now)
    _insert_comments(comments, now)
    _insert_log(ctx, [item for _, item in live if not item.slow and item.disposition], door, now)

    for n, item in live:
        if item.slow:
            outcomes[n] = _one(ctx, item.raw, door, envelope_from)
        else:
            outcomes[n] = Outcome(item.disposition, item.row_pk,
                                  item.request.pk if item.request else None, reason=item.reason)
    for n, outcome in enumerate(outcomes):
        if isinstance(outcome, tuple):
            first = outcomes[outcome[1]]
            InboundMessage.objects.filter(pk=first.message_id).update(duplicates=F("duplicates") + 1)
            outcomes[n] = Outcome("duplicate", first.message_id, duplicate=True, reason="Already received.")
    return outcomes


def _plan_request(item, now):
    """Plan the message's request with requests' own rules (creating.plan_request);
    False if it needs the one-message path (a rule refused it: that path says why)."""
    service, person = item.service, item.person
    text = trim_reply(item.p.text)
    need_by, date_kind, options = read_fields(text)
    defaulted = need_by is None
    if defaulted:
        need_by = add_business_days(requests.local_today(service, now), service.lead_time_days,
                                    service.working_days)
    try:
        item.new = requests.plan_request(requester=person, service=service, title=_title(item.p.subject, text),
                                         context=text or "(The mail had no text.)", need_by=need_by,
                                         date_kind=date_kind, options=options, now=now)
    except ValidationError:
        return False
    item.request = item.new.request
    item.text = text
    item.disposition = Disposition.REQUEST
    item.plan = (defaulted, options)
    return True


def _insert_requests(items, now):
    """Create the batch's new requests in one call (requests.create_requests: the one
    creation path), then queue the senders' confirmations."""
    if not items:
        return
    requests.create_requests([item.new for item in items])
    notes = []
    for item in items:
        item.event = item.new.event
        if item.confirm:
            defaulted, options = item.plan
            notes += confirmation_rows(item.person.pk, item.digest, item.p, item.request, now,
                                       defaulted_need_by=defaulted, options_missing=not options,
                                       context_missing=not item.text, refused=[], problem="")
    queue(notes)


def _insert_comments(items, now):
    """The batch's comments in one call of requests.comment_many (comment()'s rules)."""
    if not items:
        return
    events = requests.comment_many([(item.request, item.person, item.text) for item in items], now=now)
    for item, event in zip(items, events, strict=True):
        item.event = event
        item.disposition = Disposition.COMMENT


def _insert_log(ctx, items, door, now):
    rows = []
    for item in items:
        p = item.p
        row = InboundMessage(received_at=now, door=door, message_id=item.mid, content_hash=item.digest, raw=item.raw,
                             size=len(item.raw), sender=p.from_addr[:254], subject=p.subject[:300],
                             disposition=item.disposition, reason=item.reason, service=item.service,
                             person=item.person, request=item.request, confirmed=bool(item.confirm),
                             reply_to=reply_to_mismatch(p), message_id_reused=item.reused)
        domain = "@" + settings.LIAISON_MAIL_DOMAIN.lower()
        row.recipient = next((a for a in p.recipients if a.endswith(domain)), p.recipients[0] if p.recipients
                             else "")[:254]
        rows.append(row)
    InboundMessage.objects.bulk_create(rows)
    for item, row in zip(items, rows, strict=True):
        item.row_pk = row.pk


def ingest_many_bulk(raws, *, now, door="pipe", envelope_from=None):
    """One transaction for the batch; if a concurrent ingest of the same message wins a
    unique key, the batch is redone message by message (each then sees it as a duplicate)."""
    try:
        with transaction.atomic():
            return ingest_batch(raws, now=now, door=door, envelope_from=envelope_from)
    except (IntegrityError, DataError):  # a concurrent twin, or a value one message cannot store
        ctx = Context(now)
        with transaction.atomic():
            return [_one(ctx, raw, door, envelope_from) for raw in raws]
