"""Book a call or a meeting from a move: who is invited, the invitation, its iCalendar.

Email is not your friend in a collision or a heated thread (seed 002): face to face,
then the phone. The invitation goes out through notify (kind "playbook.invitation",
threaded into the mails of what it is about) and carries a text/calendar REQUEST that
Outlook, Google and Apple calendars accept; the mail hook (mailhook.py) attaches it.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from liaison.notify.services import notify
from liaison.org.models import Person

from .models import Invitation

PURPOSES = {
    "call": "Call",
    "meeting": "Meeting",
    "affected": "Affected teams",
    "retrospective": "Retrospective",
}
MIN_MINUTES, MAX_MINUTES = 5, 240


def suggested_attendees(subject, purpose):
    """Who should be in the room: the people on both sides of what it is about."""
    from liaison.agenda.models import Conflict

    obj, ids = subject.obj, []
    if subject.kind == "request":
        ids = [obj.requester_id, obj.provider_owner_id, obj.requester_team.lead_id, obj.provider_team.lead_id]
    elif subject.kind == "conflict":
        other = obj.event if obj.event_id else obj.freeze
        ids = [obj.change.team.lead_id, getattr(other.team, "lead_id", None), obj.change.created_by_id]
        if purpose in ("affected", "retrospective"):  # every team whose event the same change collides with
            ids += list(Conflict.objects.filter(change_id=obj.change_id, event__isnull=False)
                        .values_list("event__team__lead_id", flat=True))
    elif subject.kind == "nudge":
        ids = [obj.other_team.lead_id, *obj.suggested.values_list("pk", flat=True)]
    return list(Person.objects.filter(pk__in=[i for i in ids if i], is_active=True).order_by("name"))


def default_title(subject, purpose):
    return f"{PURPOSES.get(purpose, 'Call')}: {subject.title}"[:200]


@transaction.atomic
def send_invitation(*, by, subject, title, start, minutes, attendees, now, agenda="", location=""):
    """Create the invitation and mail it (with its .ics) to every attendee and the organiser."""
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "Give the invitation a title."
    if start is None:
        errors["start"] = "Choose when it starts."
    elif start <= now:
        errors["start"] = "Choose a time in the future."
    if minutes is None or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors["minutes"] = f"A call or meeting lasts {MIN_MINUTES} to {MAX_MINUTES} minutes."
    attendees = [p for p in attendees if p.pk != by.pk]
    if not attendees:
        errors["attendees"] = "Invite at least one other person."
    if errors:
        raise ValidationError(errors)
    invitation = Invitation.objects.create(organiser=by, about=subject.link, title=title, agenda=agenda.strip(),
                                           start=start, minutes=minutes, location=location.strip(),
                                           created_at=now)
    invitation.attendees.set(attendees)
    when = start.astimezone(UTC)
    body = (f"{by} invites you to: {title}\n{when:%a %d %b %Y, %H:%M} UTC, {minutes} minutes"
            + (f", {invitation.location}" if invitation.location else "") + "."
            + (f"\n\n{invitation.agenda}" if invitation.agenda else "")
            + "\n\nThe invitation is attached: open it to add it to your calendar.")
    notify([*attendees, by], kind="playbook.invitation", subject=f"Invitation: {title}", body=body,
           link=subject.link, dedupe_key=f"playbook:invitation:{invitation.pk}", now=now)
    return invitation


def invitation_ics(invitation, now):
    """The invitation as an iCalendar REQUEST (RFC 5546), UID stable for updates."""
    cal = Calendar()
    cal.add("prodid", "-//Liaison//Playbook//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = VEvent()
    event.add("uid", f"{invitation.uid}@{settings.LIAISON_MAIL_DOMAIN}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", invitation.start.astimezone(UTC))
    event.add("dtend", (invitation.start + timedelta(minutes=invitation.minutes)).astimezone(UTC))
    event.add("summary", invitation.title)
    event.add("description", "\n".join(filter(None, [invitation.agenda, f"{settings.SITE_URL}{invitation.about}"])))
    if invitation.location:
        event.add("location", invitation.location)
    organiser = vCalAddress(f"mailto:{invitation.organiser.email}")
    organiser.params["cn"] = vText(invitation.organiser.name)
    event["organizer"] = organiser
    for person in invitation.attendees.all():
        attendee = vCalAddress(f"mailto:{person.email}")
        attendee.params.update({"cn": vText(person.name), "role": vText("REQ-PARTICIPANT"),
                                "partstat": vText("NEEDS-ACTION"), "rsvp": vText("TRUE")})
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    return cal.to_ical()
