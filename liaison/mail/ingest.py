"""The one ingest every door calls (pipe, SMTP listener, IMAP poller, retry).

``ingest(raw, now=..., door=...)`` takes one RFC 5322 message and always records it:

0. refusals — the only content any door refuses: bytes with no header field at all (after
   leading blank lines and whitespace, which real mailers send and every door skips) and
   messages over LIAISON_MAIL_MAX_MESSAGE_BYTES. Nothing is recorded; the pipe exits 65,
   SMTP answers 554/552, IMAP marks it seen (it stays in the mailbox);
1. duplicates — the same Message-ID *and* the same content (content_hash): one row, its
   ``duplicates`` counter goes up, nothing else happens. A Message-ID seen before with
   different content is another message (a broken mailer, a reused template id): it is
   processed like any other and flagged (``message_id_reused``) on the request and in triage.
   A duplicate whose delivery headers name an intake address the first copy did not (the
   per-recipient copy of a Bcc to a second service) still files that service's request;
2. loops — Auto-Submitted other than "no", Precedence bulk/junk/list, List-Id, X-Loop
   with our marker, X-Autoreply & co., delivery status reports, an empty return path,
   mail from MAILER-DAEMON/postmaster: recorded as "auto", no request, no comment, no
   notification; mail from any of our own addresses: recorded as "own";
3. rate limits — more than LIAISON_MAIL_SENDER_RATE messages from one sender in an hour,
   or more than LIAISON_MAIL_REQUEST_RATE mail comments on one request in an hour: the
   backstop for automatic mail that carries no marker (another ticket system's "we got
   your ticket"). And at most one automatic confirmation per sender per
   LIAISON_MAIL_CONFIRM_WINDOW: a plain auto-responder answering our confirmation gets
   no second one, so two systems stop after one exchange;
4. threading (liaison.mail.threads) — a reply becomes a comment (quotes and signature
   trimmed; raw kept here) by its sender, with its attachments;
5. a message to a service's intake address from a known person becomes a request — one per
   service when it is addressed to several intake addresses, each team told by its own
   "new request" notification, the requests linked (``filed_requests``, shown on each)
   (subject → title, trimmed body → context, "Need by:"/"Options:" lines read, attachments
   kept up to LIAISON_MAIL_MAX_ATTACHMENT_BYTES) and the sender gets a confirmation that
   links to it, says what is missing and can be answered by mail. Every mail Liaison sends
   goes to directory addresses: a Reply-To is never used, and one that differs from From
   is recorded (``reply_to``) and shown on the request and in triage;
6. anything else — unknown or unauthenticated sender, no matching address, a reply the
   sender may not make — waits in triage for the service's team (org admins see mail no
   service matched);
7. a message that cannot be processed (a bug, a broken part) is quarantined with the
   reason; `liaison mail retry ID` processes it again after a fix.

How far From is trusted
=======================
From is a claim. When LIAISON_MAIL_TRUSTED_AUTHSERV_ID names the organisation's
receiving MTA, a sender is matched to a person only if the topmost
Authentication-Results header *of that authserv-id* (RFC 8601: the MTA removes copies of
its own id from incoming mail, so only the one it added can carry it) says dmarc=pass,
or spf=pass for the From domain, or dkim=pass with d= the From domain; otherwise the mail
waits in triage. Without the setting, From is matched as given (a deployment behind an
MTA that rejects spoofed internal mail). Either way mail acts only as a member: it can
file a request and comment, which any member of the requesting or providing team may do;
nothing a lead or an admin alone may do (commit, decline, escalate, administer) has a
mail door, so a forged From can at worst file a request or comment in someone's name.

Temporary failures (the database unreachable or locked) raise TemporaryFailure so each
door can say "try again later" (exit 75, SMTP 451, IMAP: leave the message unseen).
"""

import hashlib
import logging
import re
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from liaison.core.business_days import add_business_days
from liaison.notify.rendering import loop_marker
from liaison.notify.services import message_rows, queue
from liaison.org.models import Person, Service
from liaison.requests import services as requests
from liaison.requests.attachments import clean_upload
from liaison.requests.models import OPEN_STATUSES, DateKind, Request, Status

from . import parsing
from .models import Disposition, InboundMessage
from .threads import find_request_id
from .trimming import trim_reply

log = logging.getLogger(__name__)

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75
BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon"}


REFUSED = "refused"


class TemporaryFailure(Exception):
    """Retry later: nothing was recorded."""


def refusal(raw):
    """Why every door refuses `raw` permanently ('' to take it): see step 0 above."""
    if len(raw) > settings.LIAISON_MAIL_MAX_MESSAGE_BYTES:
        return f"message too large: over {settings.LIAISON_MAIL_MAX_MESSAGE_BYTES} bytes"
    return parsing.not_a_message(raw)


@dataclass
class Outcome:
    disposition: str
    message_id: int | None = None
    request_id: int | None = None
    duplicate: bool = False
    reason: str = ""


class Context:
    """Per-batch caches (services by intake local part, people by address)."""

    def __init__(self, now):
        self.now = now
        self.services = {}
        self.people = {}

    def services_for(self, locals_):
        """[(local part, Service)] of every intake address among `locals_`, in order, each service once."""
        missing = [x for x in locals_ if x not in self.services]
        if missing:
            found = {s.slug: s for s in Service.objects.filter(slug__in=missing).select_related("team")}
            for local in missing:
                self.services[local] = found.get(local)
        out, seen = [], set()
        for local in locals_:
            service = self.services[local]
            if service is not None and service.pk not in seen:
                seen.add(service.pk)
                out.append((local, service))
        return out

    def person(self, address):
        if address not in self.people:
            self.people[address] = Person.objects.filter(email=address, is_active=True).first()
        return self.people[address]


# --- checks ---------------------------------------------------------------------------

def _domain():
    return settings.LIAISON_MAIL_DOMAIN.lower()


def own_addresses():
    from email.utils import parseaddr

    return {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), parseaddr(settings.SERVER_EMAIL)[1].lower()}


def is_own_address(address):
    return address.endswith("@" + _domain()) or address in own_addresses()


def loop_reason(p, envelope_from=None):
    """Why `p` is automatic mail we must not act on, or ''."""
    if p.auto_submitted and p.auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {p.auto_submitted}"
    if p.precedence in ("bulk", "junk", "list"):
        return f"Precedence: {p.precedence}"
    if p.list_id:
        return "List-Id: list traffic"
    marker = loop_marker()
    if any(marker in value for value in p.x_loop):
        return f"X-Loop: {marker} (our own mail)"
    if p.autoreply_headers:
        return f"{p.autoreply_headers[0]} header (auto-reply)"
    if p.is_report:
        return "Delivery status notification (multipart/report)"
    if p.return_path == "" or envelope_from == "":
        return "Empty return path (a bounce or automatic notice)"
    if p.from_addr.split("@")[0] in BOUNCE_SENDERS:
        return f"From {p.from_addr} (a bounce)"
    return ""


_AR_PASS = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*pass\b([^;]*)", re.I)


def sender_authenticated(p):
    """See the module docstring, "How far From is trusted"."""
    authserv = settings.LIAISON_MAIL_TRUSTED_AUTHSERV_ID
    if not authserv:
        return True
    domain = p.from_addr.rpartition("@")[2]
    for header in p.authentication_results:
        if header.split(";")[0].strip().lower() != authserv.lower():
            continue  # another server's claim: not ours to trust
        for method, props in _AR_PASS.findall(header):
            props = props.lower()
            if method.lower() == "dmarc" and (f"header.from={domain}" in props or "header.from" not in props):
                return True
            if method.lower() == "spf" and re.search(rf"smtp\.mailfrom=(?:\S*@)?{re.escape(domain)}\b", props):
                return True
            if method.lower() == "dkim" and re.search(rf"header\.d={re.escape(domain)}\b", props):
                return True
        return False  # only the topmost header of the trusted server counts
    return False


def content_hash(raw, p):
    """What neither a retrying MTA nor a per-recipient delivery changes: sender, To and Cc,
    subject, date, id and body (not Received, Delivered-To, X-Original-To: each copy of
    one message delivered to two of our addresses differs there, and is still one message)."""
    if p is None:
        return hashlib.sha256(raw).hexdigest()
    raw = parsing.message_start(raw)
    sep = raw.find(b"\r\n\r\n")
    body = raw[sep + 4:] if sep >= 0 else raw[raw.find(b"\n\n") + 2:] if b"\n\n" in raw else raw
    head = "\x00".join([p.from_addr, ",".join(p.header_recipients), p.subject, p.date, p.message_id])
    return hashlib.sha256(head.encode("utf-8", "replace") + b"\x00" + body).hexdigest()


def known_messages(pairs):
    """For [(content hash, Message-ID or None)]: ({hash: pk of the message we have with that
    content}, {Message-IDs we have with other content}). One query; rows whose stored hash
    predates the current content_hash are compared by their raw bytes (rare: same id)."""
    hashes = {h for h, _ in pairs}
    mids = {m for _, m in pairs if m}
    same, other = {}, {}
    for pk, h, m in InboundMessage.objects.filter(Q(content_hash__in=hashes) | Q(message_id__in=mids)).values_list(
            "pk", "content_hash", "message_id"):
        if h in hashes:
            same[h] = pk
        else:
            other[pk] = m
    reused = set()
    for pk, raw in InboundMessage.objects.filter(pk__in=list(other)).values_list("pk", "raw") if other else ():
        raw = bytes(raw)
        try:
            h = content_hash(raw, parsing.parse(raw))
        except Exception:
            h = content_hash(raw, None)
        if h in hashes:
            same.setdefault(h, pk)
        else:
            reused.add(other[pk])
    return same, reused


def reply_to_mismatch(p):
    """The Reply-To addresses that are not the From address, as one string ('' if none)."""
    return ", ".join(a for a in dict.fromkeys(p.reply_to) if a != p.from_addr)[:254]


# --- reading a request out of a mail --------------------------------------------------

_NEED_BY = re.compile(r"^\s*(?:need(?:ed)?[ -]by|due(?: date)?|deadline)\s*:\s*(.+)$", re.I | re.M)
_OPTIONS = re.compile(r"^\s*options?\s*:\s*(.+)$", re.I | re.M)
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%d.%m.%Y")


def _parse_date(text):
    text = text.strip().rstrip(".")
    candidate = re.split(r"\s*[(,;]\s*(?=hard|flex)", text, maxsplit=1)[0].strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(candidate[:40], fmt).date()
        except ValueError:
            continue
    return None


def read_fields(text):
    """need_by (date or None), date_kind, options from "Need by:" / "Options:" lines."""
    need_by, date_kind, options = None, DateKind.FLEXIBLE, ""
    m = _NEED_BY.search(text)
    if m:
        need_by = _parse_date(m.group(1))
        if "hard" in m.group(1).lower():
            date_kind = DateKind.HARD
    m = _OPTIONS.search(text)
    if m:
        options = m.group(1).strip()[:2000]
    return need_by, date_kind, options


def _title(subject, text):
    title = re.sub(r"^(?:\s*(?:re|fwd?|aw|wg|tr)\s*:\s*)+", "", subject, flags=re.I).strip()
    if not title:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        title = first or "(no subject)"
    return title[: requests.TITLE_MAX]


# --- the ingest -----------------------------------------------------------------------

def _split_attachments(p):
    """Kept: what the one attachment validator accepts (size, type sniffed from content)."""
    kept, refused = [], []
    for a in p.attachments:
        try:
            clean_upload(a.data, a.name, limit=settings.LIAISON_MAIL_MAX_ATTACHMENT_BYTES)
            kept.append(a)
        except ValidationError:
            refused.append(a)
    return kept, refused


def _refused_note(refused):
    if not refused:
        return ""
    names = ", ".join(f"{a.name} ({len(a.data) // 1024} KiB)" for a in refused)
    limit = settings.LIAISON_MAIL_MAX_ATTACHMENT_BYTES // 1024
    return (f"\n\nNot kept (over the {limit} KiB limit, or a kind of file Liaison does not keep): {names}. "
            "Share them through a link, or attach them on the request's page.")


def _attach(request, person, attachments, now):
    for a in attachments:
        requests.add_attachment(request, by=person, file=ContentFile(a.data, name=a.name[:100] or "attachment"),
                                now=now, name=a.name)


def confirmation(request, *, defaulted_need_by, options_missing, context_missing, refused, problem, siblings=()):
    """(subject, body) of the confirmation for a request filed by mail: what is missing, how to answer."""
    missing = []
    if defaulted_need_by:
        missing.append(f"- Need-by date: you gave none{' we could use (' + problem + ')' if problem else ''}; "
                       f"we assumed {request.need_by:%A %d %B %Y} ({request.service.lead_time_days} business days, "
                       "the service's lead time), flexible. Reply with a line \"Need by: YYYY-MM-DD\".")
    if options_missing:
        missing.append("- Options: what else would work for you (another date, a part now, the rest later). "
                       "Reply with a line \"Options: ...\".")
    if context_missing:
        missing.append("- Context: why it matters and what happens if it is missed.")
    body = [f"Your request \"{request.title}\" is filed with {request.service.name} as #{request.pk}.",
            f"Needed by {request.need_by:%a %d %b %Y} ({request.date_kind})."]
    if siblings:
        body.append("Your mail went to several services' addresses, so each got a request of its own: "
                    + ", ".join(f"{s.service.name} #{s.pk}" for s in siblings) + ".")
    if missing:
        body += ["", "Still missing, so the team can plan:", *missing]
    body += ["", "Answer this mail to add to the request: your reply is added to its timeline."]
    return f"[{request.service.name}] Received: {request.title}", "\n".join(body) + _refused_note(refused)


def confirmation_rows(person_id, digest, p, request, now, *, key_suffix="", **what):
    """Unsaved Notification rows for the confirmation (dedupe key: the message's content hash,
    and the request's id for the second and later services of one mail)."""
    subject, body = confirmation(request, **what)
    rows = message_rows([person_id], kind="mail.confirmation", subject=subject, body=body,
                        link=request.get_absolute_url(), dedupe_key=f"mail:confirm:{digest}{key_suffix}", now=now)
    for row in rows:
        row.in_reply_to = f"<{p.message_id}>" if p.message_id else ""
    return rows


def _confirm(ctx, row, p, request, **what):
    queue(confirmation_rows(row.person_id, row.content_hash, p, request, ctx.now, **what))
    row.confirmed = True


def _link_filed(row):
    """After `row` is saved: every request one mail filed, when it filed more than one."""
    filed = getattr(row, "_filed", ())
    if len(filed) > 1:
        row.filed_requests.set(filed)


def _process(ctx, row, p, envelope_from):
    """Fill in `row` (unsaved or to be updated) and act on the message."""
    now = ctx.now
    row.sender = p.from_addr[:254]
    row.subject = p.subject[:300]
    row.reply_to = reply_to_mismatch(p)
    reason = loop_reason(p, envelope_from)
    if reason:
        row.disposition, row.reason = Disposition.AUTO, reason
        return
    if not p.from_addr:
        row.disposition, row.reason = Disposition.TRIAGE, "No usable From address."
        return
    if is_own_address(p.from_addr):
        row.disposition, row.reason = Disposition.OWN, f"From our own address {p.from_addr}: never a requester."
        return
    window = timedelta(seconds=settings.LIAISON_MAIL_CONFIRM_WINDOW)
    recent = InboundMessage.objects.filter(sender=row.sender, received_at__gte=now - timedelta(hours=1)).aggregate(
        n=Count("id"), confirmed=Count("id", filter=Q(confirmed=True, received_at__gte=now - window)))
    if recent["n"] >= settings.LIAISON_MAIL_SENDER_RATE:
        row.disposition = Disposition.RATE_LIMITED
        row.reason = f"More than {settings.LIAISON_MAIL_SENDER_RATE} messages from {row.sender} within an hour."
        return

    rid = find_request_id(p)
    request = None
    if rid:
        request = Request.objects.select_related("service__team").filter(pk=rid).first()
    domain = "@" + _domain()
    locals_ = [a[: -len(domain)] for a in p.recipients if a.endswith(domain) and not a.startswith("reply+")]
    targets = ctx.services_for(locals_) if locals_ else []
    local, service = targets[0] if targets else ("", None)
    row.service = request.service if request else service
    row.recipient = (f"{local}{domain}" if service else (p.recipients[0] if p.recipients else ""))[:254]

    person = ctx.person(p.from_addr)
    if person is None:
        row.disposition, row.reason = Disposition.TRIAGE, f"Unknown sender {p.from_addr}: no active person has it."
        return
    if not sender_authenticated(p):
        row.disposition = Disposition.TRIAGE
        row.reason = (f"The sender {p.from_addr} is not authenticated by "
                      f"{settings.LIAISON_MAIL_TRUSTED_AUTHSERV_ID} (no dmarc/spf/dkim pass): possibly forged.")
        return
    row.person = person
    kept, refused = _split_attachments(p)

    if request is not None:
        row.request = request
        n = InboundMessage.objects.filter(request=request, received_at__gte=now - timedelta(hours=1)).count()
        if n >= settings.LIAISON_MAIL_REQUEST_RATE:
            row.disposition = Disposition.RATE_LIMITED
            row.reason = f"More than {settings.LIAISON_MAIL_REQUEST_RATE} mails on request #{request.pk} in an hour."
            return
        text = trim_reply(p.text) or "(no text)"
        try:
            requests.comment(request, by=person, text=text + _refused_note(refused), now=now)
            if kept and request.status in (Status.FORECAST, *OPEN_STATUSES, Status.DELIVERED):
                _attach(request, person, kept, now)
        except PermissionDenied as error:
            row.disposition, row.reason = Disposition.TRIAGE, f"{person} may not comment on #{request.pk}: {error}"
            return
        row.disposition = Disposition.COMMENT
        if refused:  # the sender hears it, not only the other side
            queue(message_rows([person.pk], kind="mail.attachment_refused",
                               subject=f"[{request.service.name}] Attachment not kept: {request.title}",
                               body=_refused_note(refused).strip(), link=request.get_absolute_url(),
                               dedupe_key=f"mail:refused:{row.content_hash}", now=now))
        return

    if service is None:
        row.disposition = Disposition.TRIAGE
        row.reason = "No service's intake address and no request thread matched."
        return
    text = trim_reply(p.text)
    need_by, date_kind, options = read_fields(text)
    filed, problems = [], {}
    for _local, target in targets:
        result = _file_request(person, target, p, text, need_by, date_kind, options, now)
        if isinstance(result, str):
            problems[target.name] = result
        else:
            filed.append(result)
    if not filed:
        row.disposition = Disposition.TRIAGE
        row.reason = result if len(targets) == 1 else "; ".join(f"{k}: {v}" for k, v in problems.items())
        return
    row.service = filed[0][0].service
    for request, _problem in filed:
        _attach(request, person, kept, now)
    row.request = filed[0][0]
    row._filed = [request for request, _ in filed]
    row.disposition = Disposition.REQUEST
    if problems:
        row.reason = "Not filed with " + "; ".join(f"{name}: {why}" for name, why in problems.items())
    if recent["confirmed"] > 0:
        row.reason = (row.reason + " " if row.reason else "") + (
            "No confirmation: one was sent to this sender within the confirmation window.")
        return
    for n, (request, problem) in enumerate(filed):
        others = [r for r, _ in filed if r is not request]
        queue(confirmation_rows(person.pk, row.content_hash, p, request, now, key_suffix=f":{request.pk}" if n else "",
                                defaulted_need_by=need_by is None or bool(problem), options_missing=not options,
                                context_missing=not text, refused=refused, problem=problem, siblings=others))
    row.confirmed = True


def _file_request(person, service, p, text, need_by, date_kind, options, now):
    """(request, problem) filed with `service` from mail, or the reason it could not be (str).

    A need-by the service refuses (past, or short notice nobody owned) falls back to the
    service's lead time, flexible; `problem` says why, for the confirmation."""
    today = requests.local_today(service, now)
    default_need_by = add_business_days(today, service.lead_time_days, service.working_days)
    fields = dict(requester=person, service=service, title=_title(p.subject, text),
                  context=text or "(The mail had no text.)", date_kind=date_kind, options=options, now=now)
    try:
        return requests.submit_request(need_by=need_by or default_need_by, **fields), ""
    except ValidationError as error:
        errors = error.message_dict
    if need_by is not None and set(errors) <= {"need_by", "short_notice_owned"}:
        problem = " ".join(errors.get("need_by", []) + errors.get("short_notice_owned", []))
        try:
            return requests.submit_request(need_by=default_need_by, **{**fields, "date_kind": DateKind.FLEXIBLE}), \
                problem
        except ValidationError as again:
            errors = again.message_dict
    return "Could not file it as a request: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())


def delivery_only_intake(p):
    """Intake local parts only the delivery headers (Delivered-To, X-Original-To) name: the
    per-recipient copy of a mail Bcc'd to that service."""
    domain = "@" + _domain()
    header = set(p.header_recipients)
    return [a[: -len(domain)] for a in p.recipients
            if a.endswith(domain) and not a.startswith("reply+") and a not in header]


def _file_for_more_services(ctx, pk, p):
    """A duplicate that names another intake address in its delivery headers (the copy the
    MTA delivered for a Bcc to a second service) files that service's request too, linked
    to the first: the same message, but a team that was not told yet. Returns the new requests."""
    locals_ = delivery_only_intake(p) if p is not None else []
    if not locals_:
        return []
    # The person may be null (an outer join, which PostgreSQL will not lock): lock the row only.
    row = InboundMessage.objects.select_for_update(of=("self",)).select_related("person").get(pk=pk)
    if row.disposition != Disposition.REQUEST or row.person is None or row.request_id is None:
        return []  # the first copy filed nothing (triage, loop, ...): neither does this one
    earlier = [row.request, *row.filed_requests.exclude(pk=row.request_id)]
    have = {r.service_id for r in earlier}
    targets = [s for _, s in ctx.services_for(locals_) if s.pk not in have]
    text = trim_reply(p.text)
    need_by, date_kind, options = read_fields(text)
    kept, refused = _split_attachments(p)
    filed = []
    for service in targets:
        result = _file_request(row.person, service, p, text, need_by, date_kind, options, ctx.now)
        if isinstance(result, str):
            log.warning("mail %s: not filed with %s: %s", pk, service.name, result)
            continue
        _attach(result[0], row.person, kept, ctx.now)
        filed.append(result)
    if filed:
        everything = earlier + [r for r, _ in filed]
        row.filed_requests.set(everything)
        for request, problem in filed:
            queue(confirmation_rows(row.person_id, row.content_hash, p, request, ctx.now, key_suffix=f":{request.pk}",
                                    defaulted_need_by=need_by is None or bool(problem), options_missing=not options,
                                    context_missing=not text, refused=refused, problem=problem,
                                    siblings=[r for r in everything if r is not request]))
    return [r for r, _ in filed]


def _quarantine(row, error):
    row.disposition = Disposition.QUARANTINED
    tb = traceback.format_exception_only(type(error), error)[-1].strip()
    row.reason = f"Could not be processed: {tb}".replace("\x00", "")[:4000]
    row.request = None
    row.service = row.service if row.service_id else None


def _one(ctx, raw, door, envelope_from):
    """Process one message inside the caller's transaction. Returns an Outcome."""
    now = ctx.now
    try:
        p = parsing.parse(raw)
        parse_error = None
    except Exception as error:  # the parser must never take the ingest down
        p, parse_error = None, error
    digest = content_hash(raw, p)
    mid = (p.message_id[:500] or None) if p else None
    same, reused = known_messages([(digest, mid)])
    existing = same.get(digest)
    if existing:
        InboundMessage.objects.filter(pk=existing).update(duplicates=F("duplicates") + 1)
        more = _file_for_more_services(ctx, existing, p)
        return Outcome("duplicate", existing, more[0].pk if more else None, duplicate=True,
                       reason="Already received." + (" Filed with " + ", ".join(r.service.name for r in more)
                                                     if more else ""))
    row = InboundMessage(received_at=now, door=door, message_id=mid, content_hash=digest, raw=raw, size=len(raw),
                         message_id_reused=mid in reused)
    if parse_error is not None:
        _quarantine(row, parse_error)
        row.save(force_insert=True)
        return Outcome(row.disposition, row.pk, reason=row.reason)
    try:
        with transaction.atomic():
            _process(ctx, row, p, envelope_from)
            row.save(force_insert=True)
            _link_filed(row)
    except IntegrityError:
        again = InboundMessage.objects.filter(content_hash=digest).values_list("pk", flat=True).first()
        if again:  # a concurrent delivery of the same message won the race
            InboundMessage.objects.filter(pk=again).update(duplicates=F("duplicates") + 1)
            return Outcome("duplicate", again, duplicate=True, reason="Already received.")
        raise
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        log.exception("mail %s quarantined", mid)
        row.pk = None
        _quarantine(row, error)
        row.person = None
        row.save(force_insert=True)
    return Outcome(row.disposition, row.pk, row.request_id, reason=row.reason)


def ingest(raw, *, now=None, door="pipe", envelope_from=None):
    """Ingest one message (bytes). Always records it; raises TemporaryFailure to say "retry later"."""
    return ingest_many([raw], now=now, door=door, envelope_from=envelope_from)[0]


def ingest_many(raws, *, now=None, door="pipe", envelope_from=None):
    """Ingest a batch in one transaction, with set-based lookups and bulk inserts
    (liaison.mail.bulk); the uncommon cases go through `_one` inside the same transaction."""
    from .bulk import ingest_many_bulk

    outcomes = [Outcome(REFUSED, reason=why) if (why := refusal(raw)) else None for raw in raws]
    taken = [raw for raw, outcome in zip(raws, outcomes, strict=True) if outcome is None]
    try:
        done = iter(ingest_many_bulk(taken, now=now or timezone.now(), door=door, envelope_from=envelope_from)
                    if taken else ())
    except (OperationalError, InterfaceError) as error:
        raise TemporaryFailure(str(error)) from error
    except DatabaseError as error:  # e.g. the database went read-only
        raise TemporaryFailure(str(error)) from error
    return [outcome or next(done) for outcome in outcomes]


def retry(message, *, now=None):
    """Process a quarantined (or triaged) message again, in place, after a fix."""
    ctx = Context(now or timezone.now())
    raw = bytes(message.raw)
    try:
        with transaction.atomic():
            row = InboundMessage.objects.select_for_update().get(pk=message.pk)
            row.attempts += 1
            row.reason = ""
            row.request = row.person = None
            row.filed_requests.clear()
            try:
                with transaction.atomic():
                    _process(ctx, row, parsing.parse(raw), None)
                    row.save()
                    _link_filed(row)
            except (OperationalError, InterfaceError):
                raise
            except Exception as error:
                log.exception("mail %s quarantined again", row.pk)
                _quarantine(row, error)
                row.person = None
                row.save()
    except (OperationalError, InterfaceError) as error:
        raise TemporaryFailure(str(error)) from error
    return Outcome(row.disposition, row.pk, row.request_id, reason=row.reason)


def dismiss(message, *, by, now):
    """Take a message out of triage (the team looked at it and needs nothing filed)."""
    if message.disposition != Disposition.TRIAGE:
        raise ValidationError({"disposition": "Only messages waiting in triage can be dismissed."})
    message.disposition = Disposition.DISMISSED
    message.handled_by = by
    message.handled_at = now
    message.save(update_fields=["disposition", "handled_by", "handled_at"])
    return message

