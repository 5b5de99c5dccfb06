"""Notifications in the app: every notification the outbox holds for a person, read or unread.

The outbox row *is* the in-app notification: there is no second table to keep in step,
so whatever a domain tells a person through notify() is on their notifications page the
moment it is due, whatever its mail does (sent, waiting for the digest, held back by the
daily cap, or "app only"). Two things stay out: what the person turned off, and the daily
digest mail itself (it only repeats what is already listed). A row scheduled for later
(a reminder queued ahead) shows once it is due; a row whose mail is being retried stays.
"""

from django.core.exceptions import ValidationError
from django.db.models import Q

from .models import Notification

#: Never listed in the app: it repeats rows that are already there.
HIDDEN_KINDS = ("notify.digest",)

FILTER_STATES = ("unread", "read", "all")


def visible(person, now):
    """The notifications `person` sees in the app at `now`, newest first."""
    if person is None or not person.is_authenticated:
        return Notification.objects.none()
    return (Notification.objects.filter(recipient=person)
            .filter(Q(due_at__lte=now) | Q(attempts__gt=0))
            .exclude(state=Notification.State.SUPPRESSED)
            .exclude(kind__in=HIDDEN_KINDS)
            .order_by("-due_at", "-id"))


def unread_count(person, now):
    """The header's number: one indexed COUNT (notify_unread)."""
    return visible(person, now).filter(read_at__isnull=True).count()


def filtered(person, now, *, state="all", kind="", team=""):
    """visible() narrowed by the notifications page's filters; a bad filter is a field error."""
    rows = visible(person, now)
    if state not in FILTER_STATES:
        raise ValidationError({"state": f"Show must be one of {', '.join(FILTER_STATES)}."})
    if state == "unread":
        rows = rows.filter(read_at__isnull=True)
    elif state == "read":
        rows = rows.filter(read_at__isnull=False)
    if kind:
        # A kind or a dotted prefix of kinds ("request" = every request notification).
        rows = rows.filter(Q(kind=kind) | Q(kind__startswith=kind + "."))
    if team:
        try:
            team_id = int(team)
        except (TypeError, ValueError):
            raise ValidationError({"team": f"{team!r} is not a team."}) from None
        rows = rows.filter(team_id=team_id)
    return rows


def mark_read(person, notification_id, *, now, read=True):
    """Mark one of `person`'s notifications read (or unread again); someone else's is not found."""
    row = visible(person, now).filter(pk=notification_id).first()
    if row is None:
        raise Notification.DoesNotExist(f"No notification {notification_id} for you.")
    row.read_at = now if read else None
    row.save(update_fields=["read_at"])
    return row


def mark_all_read(person, *, now, kind="", team=""):
    """Mark everything unread (of the filtered kind/team) read; returns how many."""
    return (filtered(person, now, state="unread", kind=kind, team=team)
            .order_by().update(read_at=now))


def kinds_of(person, now):
    """The kinds this person has notifications of, for the filter (a short list)."""
    return sorted(set(visible(person, now).order_by().values_list("kind", flat=True).distinct()))
