"""The one ingest every door calls (pipe, SMTP listener, IMAP poller, retry).

``ingest(raw, now=..., door=...)`` takes one RFC 5322 message and always records it:

1. duplicates — same Message-ID or same content hash as a message we have: one row, its
   ``duplicates`` counter goes up, nothing else happens;
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
5. a message to a service's intake address from a known person becomes a request
   (subject → title, trimmed body → context, "Need by:"/"Options:" lines read, attachments
   kept up to LIAISON_MAIL_MAX_ATTACHMENT_BYTES) and the sender gets a confirmation that
   links to it, says what is missing and can be answered by mail;
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
from liaison.requests.models import OPEN_STATUSES, DateKind, Request, Status

from . import parsing
from .models import Disposition, InboundMessage
from .threads import find_request_id
from .trimming import trim_reply

log = logging.getLogger(__name__)

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75
BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon"}


class TemporaryFailure(Exception):
    """Retry later: nothing was recorded."""


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

    def service_for(self, locals_):
        missing = [x for x in locals_ if x not in self.services]
        if missing:
            found = {s.slug: s for s in Service.objects.filter(slug__in=missing).select_related("team")}
            for local in missing:
                self.services[local] = found.get(local)
        for local in locals_:
            if self.services[local] is not None:
                return local, self.services[local]
        return "", None

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
    """What a retrying MTA does not change: sender, recipients, subject, date, id and body."""
    sep = raw.find(b"\r\n\r\n")
    body = raw[sep + 4:] if sep >= 0 else raw[raw.find(b"\n\n") + 2:] if b"\n\n" in raw else raw
    if p is None:
        return hashlib.sha256(raw).hexdigest()
    head = "\x00".join([p.from_addr, ",".join(p.recipients), p.subject, p.date, p.message_id])
    return hashlib.sha256(head.encode("utf-8", "replace") + b"\x00" + body).hexdigest()


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
    limit = settings.LIAISON_MAIL_MAX_ATTACHMENT_BYTES
    kept = [a for a in p.attachments if len(a.data) <= limit]
    refused = [a for a in p.attachments if len(a.data) > limit]
    return kept, refused


def _refused_note(refused):
    if not refused:
        return ""
    names = ", ".join(f"{a.name} ({len(a.data) // 1024} KiB)" for a in refused)
    limit = settings.LIAISON_MAIL_MAX_ATTACHMENT_BYTES // 1024
    return (f"\n\nNot kept (over the {limit} KiB limit for attachments by mail): {names}. "
            "Share them through a link, or attach them on the request's page.")


def _attach(request, person, attachments, now):
    for a in attachments:
        requests.add_attachment(request, by=person, file=ContentFile(a.data, name=a.name[:100] or "attachment"),
                                now=now, name=a.name)


def confirmation(request, *, defaulted_need_by, options_missing, context_missing, refused, problem):
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
    if missing:
        body += ["", "Still missing, so the team can plan:", *missing]
    body += ["", "Answer this mail to add to the request: your reply is added to its timeline."]
    return f"[{request.service.name}] Received: {request.title}", "\n".join(body) + _refused_note(refused)


def confirmation_rows(person_id, digest, p, request, now, **what):
    """Unsaved Notification rows for the confirmation (dedupe key: the message's content hash)."""
    subject, body = confirmation(request, **what)
    rows = message_rows([person_id], kind="mail.confirmation", subject=subject, body=body,
                        link=request.get_absolute_url(), dedupe_key=f"mail:confirm:{digest}", now=now)
    for row in rows:
        row.in_reply_to = f"<{p.message_id}>" if p.message_id else ""
    return rows


def _confirm(ctx, row, p, request, **what):
    queue(confirmation_rows(row.person_id, row.content_hash, p, request, ctx.now, **what))
    row.confirmed = True


def _process(ctx, row, p, envelope_from):
    """Fill in `row` (unsaved or to be updated) and act on the message."""
    now = ctx.now
    row.sender = p.from_addr[:254]
    row.subject = p.subject[:300]
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
    local, service = ctx.service_for(locals_) if locals_ else ("", None)
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
    today = requests.local_today(service, now)
    default_need_by = add_business_days(today, service.lead_time_days, service.working_days)
    problem = ""
    attempt = need_by or default_need_by
    fields = dict(requester=person, service=service, title=_title(p.subject, text),
                  context=text or "(The mail had no text.)", date_kind=date_kind, options=options, now=now)
    try:
        request = requests.submit_request(need_by=attempt, **fields)
    except ValidationError as error:
        errors = error.message_dict
        if need_by is not None and set(errors) <= {"need_by", "short_notice_owned"}:
            problem = " ".join(errors.get("need_by", []) + errors.get("short_notice_owned", []))
            need_by = None
            try:
                request = requests.submit_request(need_by=default_need_by, **{**fields, "date_kind": DateKind.FLEXIBLE})
            except ValidationError as again:
                errors = again.message_dict
                request = None
        if request is None:
            row.disposition = Disposition.TRIAGE
            row.reason = "Could not file it as a request: " + "; ".join(
                f"{k}: {' '.join(v)}" for k, v in errors.items())
            return
    _attach(request, person, kept, now)
    row.request = request
    row.disposition = Disposition.REQUEST
    recent_confirmed = recent["confirmed"] > 0
    if recent_confirmed:
        row.reason = "No confirmation: one was sent to this sender within the confirmation window."
    else:
        _confirm(ctx, row, p, request, defaulted_need_by=need_by is None, options_missing=not options,
                 context_missing=not text, refused=refused, problem=problem)


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
    existing = InboundMessage.objects.filter(Q(content_hash=digest) | Q(message_id=mid) if mid else
                                             Q(content_hash=digest)).values_list("pk", flat=True).first()
    if existing:
        InboundMessage.objects.filter(pk=existing).update(duplicates=F("duplicates") + 1)
        return Outcome("duplicate", existing, duplicate=True, reason="Already received.")
    row = InboundMessage(received_at=now, door=door, message_id=mid, content_hash=digest, raw=raw, size=len(raw))
    if parse_error is not None:
        _quarantine(row, parse_error)
        row.save(force_insert=True)
        return Outcome(row.disposition, row.pk, reason=row.reason)
    try:
        with transaction.atomic():
            _process(ctx, row, p, envelope_from)
            row.save(force_insert=True)
    except IntegrityError:
        again = InboundMessage.objects.filter(Q(content_hash=digest) | Q(message_id=mid) if mid else
                                              Q(content_hash=digest)).values_list("pk", flat=True).first()
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

    try:
        return ingest_many_bulk(raws, now=now or timezone.now(), door=door, envelope_from=envelope_from)
    except (OperationalError, InterfaceError) as error:
        raise TemporaryFailure(str(error)) from error
    except DatabaseError as error:  # e.g. the database went read-only
        raise TemporaryFailure(str(error)) from error


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
            try:
                with transaction.atomic():
                    _process(ctx, row, parsing.parse(raw), None)
                    row.save()
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

