"""The outbox: `notify()` is the only way any domain tells a person something;
`deliver_pending()` (the `notify.deliver` sweep) sends what is due.

For many messages at once, `message_rows()` builds the rows and `queue()` inserts them
(one INSERT per batch); `queue_sql()` is that INSERT for a caller that sends it inside a
statement of its own. Notification rows are made here and nowhere else.

Delivery semantics — the choice, and why
========================================
SMTP and the database cannot commit together, so one side of "exactly once" has to
give. We choose **at-least-once with a stable Message-ID**, never "at most once":

* Two sweeps never send the same row. Each row is claimed in its own short transaction
  with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL): a second worker skips it.
  On SQLite the connection's IMMEDIATE transaction mode takes the write lock at BEGIN,
  so two workers queue instead of interleaving.
* The row is marked sent in the *same* transaction that holds its lock, right after
  the SMTP server accepted the message. If the worker dies between the server's "250 OK"
  and COMMIT, the transaction rolls back, the lock is released and the row is still
  pending: a later sweep sends it again, with the same ``Message-ID`` (derived from the
  row id). Mail clients, list servers and our own ingest treat two messages with one
  Message-ID as one message, so the only cost of that narrow window is a duplicate that
  is recognisably the same message.
* The alternative — commit "sent" before sending — would lose the reminder for good on
  a crash, and a reminder nobody receives is the failure this product exists to avoid.

Caps: at most LIAISON_NOTIFY_DAILY_CAP mails of one kind go to one person in one day (the
recipient's local day) at once; the rest are parked for the daily digest like a digest
preference would, so a sweep that finds 40 stale relationships at once sends three mails
and one digest, not 40 mails. Every notification is in the app at once whatever its mail
does (liaison.notify.inbox); "app only" sends no mail at all. The cap is counted per
sweep batch from what was already sent that day: several workers sending one burst at the
same instant may each send up to the cap (at most the number of workers times the cap).

Preferences are applied at delivery, not at creation: creating a notification costs
one INSERT on the hot path (a request created through the API), and a person who turns
a kind off after a reminder was queued does not get it. A turned-off row is kept as
"suppressed" so the history shows it was due.
"""

import logging
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liaison.core.sql import dumps, json_insert_sql
from liaison.core.sql import row as _row

from .models import Notification, NotificationPreference

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH_LIMIT = 200
#: Never held for a digest: the digest itself, and answers to mail the person just sent.
UNDIGESTED_KINDS = {"notify.digest", "mail.confirmation"}


def notify(recipients, *, kind, subject, body="", link="", dedupe_key, now, channel=Notification.Channel.EMAIL,
           due_at=None, in_reply_to="", team=None):
    """Queue one notification per recipient; idempotent by `dedupe_key`.

    `recipients` are Persons or person ids (ids save a query on hot paths); duplicates
    and None are ignored. The stored key is "<dedupe_key>:<recipient id>:<channel>", so
    calling this again — from a retried sweep, a second worker, a double click — creates
    nothing new (INSERT ... ON CONFLICT DO NOTHING). One query, whatever the number of
    recipients. Returns the number of recipients asked for.

    `team` is the team the notification is about for its recipient (the notifications
    page filters by it): a Team or id for all, or {person id: team id} (key None: the rest).
    """
    rows = message_rows(recipients, kind=kind, subject=subject, body=body, link=link, dedupe_key=dedupe_key,
                        now=now, channel=channel, due_at=due_at, team=team)
    for row in rows:
        row.in_reply_to = in_reply_to[:500]
    queue(rows)
    return len(rows)


def message_rows(recipients, *, kind, subject, body="", link="", dedupe_key, now,
                 channel=Notification.Channel.EMAIL, due_at=None, team=None):
    """Unsaved Notification rows for `recipients` (see notify); pass many batches to queue()."""
    ids = []
    for r in recipients:
        pk = getattr(r, "pk", r)
        if pk is not None and pk not in ids:
            ids.append(pk)
    if isinstance(team, dict):
        teams = {k: getattr(v, "pk", v) for k, v in team.items()}
    else:
        teams = {None: getattr(team, "pk", team)}
    return [Notification(recipient_id=pk, kind=kind, channel=channel, subject=subject[:300], body=body,
                         link=link, dedupe_key=f"{dedupe_key}:{pk}:{channel}"[:255], created_at=now,
                         due_at=due_at or now, team_id=teams.get(pk, teams.get(None)))
            for pk in ids]


def queue(rows, batch_size=1000):
    """Insert unsaved Notification rows, ignoring any whose dedupe key already exists.

    Sweeps that notify thousands of people at once use this: one INSERT per batch.
    """
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=batch_size)


def queue_sql(expressions=None):
    """The INSERT queue() makes, as SQL reading its rows from one JSON parameter
    (queue_params(rows)), for a caller that must send it inside a statement of its own:
    liaison.requests.store writes a request, its event and its notifications in one
    round trip on PostgreSQL. Conflicting dedupe keys are ignored, as by queue().
    `expressions` maps a column to an SQL expression of itself (the caller's stand-in ids).
    """
    return json_insert_sql(Notification, "json_populate_recordset", expressions=expressions) + " ON CONFLICT DO NOTHING"


def queue_params(rows):
    """The JSON parameter of queue_sql() for unsaved Notification rows (message_rows())."""
    return dumps([_row(r) for r in rows])


def mark_sent_before(moment, read_before=None):
    """Mark pending notifications created before `moment` as sent when they were created
    (the demo's history: what people were told two years ago is kept, but not mailed
    today), and those created before `read_before` as read then. Returns how many were sent."""
    if read_before is not None:
        Notification.objects.filter(created_at__lt=read_before, read_at__isnull=True).update(read_at=F("created_at"))
    return Notification.objects.filter(state=Notification.State.PENDING, created_at__lt=moment).update(
        state=Notification.State.SENT, sent_at=F("created_at"), attempts=1)


# --- preferences -------------------------------------------------------------------

def set_preference(person, kind, mode):
    """Set `person`'s mode ("immediate", "digest", "app" or "off") for `kind` (exact, dotted prefix or "*")."""
    if mode not in NotificationPreference.Mode.values:
        raise ValidationError({"mode": f"Mode must be one of {', '.join(NotificationPreference.Mode.values)}."})
    kind = (kind or "").strip()
    if not kind:
        raise ValidationError({"kind": "Say which kind of notification ('*' for all)."})
    pref, _ = NotificationPreference.objects.update_or_create(person=person, kind=kind, defaults={"mode": mode})
    return pref


def preferences_of(person):
    return dict(NotificationPreference.objects.filter(person=person).values_list("kind", "mode"))


def _mode_for(prefs, kind):
    """The most specific preference for `kind`: exact, then each dotted prefix, then '*'."""
    parts = kind.split(".")
    for n in range(len(parts), 0, -1):
        mode = prefs.get(".".join(parts[:n]))
        if mode:
            return mode
    return prefs.get("*", NotificationPreference.Mode.IMMEDIATE)


def wants(person, kind):
    """Whether `person` receives notifications of `kind` now."""
    return _mode_for(preferences_of(person), kind) != NotificationPreference.Mode.OFF


# --- delivery ----------------------------------------------------------------------

def build_email(notification):
    """The email for a notification: plain text + HTML, stable Message-ID, threading
    headers and reply address, marked as automatic mail (see liaison.notify.rendering)."""
    from .rendering import render_email

    return render_email(notification)


def _claim_next(now, after_id):
    """Lock the next due pending row (skipping rows another worker holds), or None."""
    return (Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(state=Notification.State.PENDING, due_at__lte=now, id__gt=after_id)
            .order_by("id").first())


def _mark_sent(notification, now):
    notification.state = Notification.State.SENT
    notification.sent_at = now
    notification.attempts += 1
    notification.last_error = ""
    notification.save(update_fields=["state", "sent_at", "attempts", "last_error"])


def _mark_failed_attempt(notification, now, error):
    notification.attempts += 1
    notification.last_error = f"{type(error).__name__}: {error}"[:2000]
    if notification.attempts >= MAX_ATTEMPTS:
        notification.state = Notification.State.FAILED
    else:  # back off: 2, 4, 8, 16 minutes
        notification.due_at = now + timedelta(minutes=2 ** notification.attempts)
    notification.save(update_fields=["state", "attempts", "last_error", "due_at"])


def daily_cap():
    return max(0, int(getattr(settings, "LIAISON_NOTIFY_DAILY_CAP", 0) or 0))


def _local_day_bounds(person, now):
    """[start, end) of `person`'s local day containing `now`, in UTC."""
    try:
        zone = zoneinfo.ZoneInfo(getattr(person, "time_zone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), datetime.min.time(), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end


class _Caps:
    """How many mails of each kind each person was sent today, read once per (person, kind)
    per batch and counted up as the batch sends."""

    def __init__(self, now):
        self.now, self.cap, self.sent = now, daily_cap(), {}

    def _key(self, n):
        start, _end = _local_day_bounds(n.recipient, self.now)
        return (n.recipient_id, n.kind, start)

    def over(self, n):
        if not self.cap or n.kind in UNDIGESTED_KINDS:
            return False
        key = self._key(n)
        if key not in self.sent:
            start, end = _local_day_bounds(n.recipient, self.now)
            self.sent[key] = Notification.objects.filter(
                recipient_id=n.recipient_id, kind=n.kind, state=Notification.State.SENT,
                sent_at__gte=start, sent_at__lt=end).count()
        return self.sent[key] >= self.cap

    def count(self, n):
        key = self._key(n)
        if key in self.sent:
            self.sent[key] += 1


def deliver_pending(now, limit=BATCH_LIMIT, connection=None):
    """Send due pending notifications, each in its own locked transaction.

    Rules: a row is sent at most once by concurrent sweeps (row lock, skip locked); a
    crash after the send and before the commit leaves the row pending, so it is sent
    again with the same Message-ID (see the module docstring); a recipient who turned
    the kind off gets nothing and the row becomes "suppressed"; a deactivated recipient
    likewise; "app only" becomes "app" (no mail); a kind already mailed
    LIAISON_NOTIFY_DAILY_CAP times to this person today waits for the digest; a failed send
    is retried with back-off, up to MAX_ATTEMPTS, then "failed".
    Returns {"sent": n, "suppressed": n, "failed": n, ...}.
    """
    counts = {"sent": 0, "suppressed": 0, "failed": 0}
    prefs_cache = {}
    caps = _Caps(now)
    mail = connection or get_connection(fail_silently=False)
    last_id = 0
    if connection is None:
        mail.open()  # one SMTP session for the whole batch
    try:
        for _ in range(limit):
            with transaction.atomic():
                n = _claim_next(now, last_id)
                if n is None:
                    break
                last_id = n.pk
                if n.recipient_id not in prefs_cache:
                    prefs_cache[n.recipient_id] = preferences_of(n.recipient)
                mode = _mode_for(prefs_cache[n.recipient_id], n.kind)
                off = mode == NotificationPreference.Mode.OFF
                if mode == NotificationPreference.Mode.APP and n.kind not in UNDIGESTED_KINDS:
                    n.state = Notification.State.APP
                    n.save(update_fields=["state"])
                    counts["app"] = counts.get("app", 0) + 1
                    continue
                if not off and n.kind not in UNDIGESTED_KINDS and (
                        mode == NotificationPreference.Mode.DIGEST or caps.over(n)):
                    n.state = Notification.State.DIGEST  # the daily digest sweep picks it up
                    n.save(update_fields=["state"])
                    counts["digest"] = counts.get("digest", 0) + 1
                    continue
                if off or not n.recipient.is_active or not n.recipient.email:
                    n.state = Notification.State.SUPPRESSED
                    n.save(update_fields=["state"])
                    counts["suppressed"] += 1
                    continue
                try:
                    mail.send_messages([build_email(n)])
                except Exception as error:  # any backend error: retry later, never lose the row
                    log.warning("notification %s not sent: %s", n.pk, error)
                    _mark_failed_attempt(n, now, error)
                    counts["failed"] += 1
                    continue
                # Between here and COMMIT is the at-least-once window (module docstring).
                _mark_sent(n, now)
                caps.count(n)
                counts["sent"] += 1
    finally:
        if connection is None:
            mail.close()
    return counts


def deliver_due(now):
    """The `notify.deliver` sweep: send until nothing due is left (in bounded batches)."""
    total = {"sent": 0, "suppressed": 0, "failed": 0}
    while True:
        counts = deliver_pending(now or timezone.now())
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        if sum(counts.values()) < BATCH_LIMIT:
            return total
