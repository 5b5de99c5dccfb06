"""The retrospective in calendars: an invitation (METHOD:REQUEST) and a feed entry.

The invitation is what Outlook, Google Calendar and Apple Calendar accept as a meeting
request: a VCALENDAR with METHOD:REQUEST and one VEVENT carrying a stable UID, DTSTAMP,
DTSTART/DTEND in UTC, SEQUENCE (bumped on every move, so clients update the entry they
have), ORGANIZER and one ATTENDEE per invitee (RSVP). It is attached to the invitation
mail by the notify outbox (registered in apps.py), built at send time from the row, so a
retried send carries the same UID and the current SEQUENCE.
"""

from datetime import UTC, timedelta
from email.mime.text import MIMEText

from django.conf import settings
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from .models import Retrospective

PRODID = "-//Liaison//Incidents//EN"


def _address(person, role=None):
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = vText(person.name or person.email)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def retrospective_vevent(retro, now, attendees=()):
    incident = retro.incident
    start = retro.scheduled_at.astimezone(UTC)
    vevent = VEvent()
    vevent.add("uid", f"retro-{retro.uid}@{settings.LIAISON_MAIL_DOMAIN}")
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("dtstart", start)
    vevent.add("dtend", start + timedelta(minutes=retro.duration_minutes))
    vevent.add("sequence", retro.sequence)
    vevent.add("summary", f"Retrospective: {incident.title}")
    vevent.add("description", f"{retro.agenda}\n\n{settings.SITE_URL}{retro.get_absolute_url()}")
    if retro.location:
        vevent.add("location", retro.location)
    vevent.add("url", f"{settings.SITE_URL}{retro.get_absolute_url()}")
    vevent.add("status", "CONFIRMED")
    vevent.add("categories", ["Retrospective"])
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>').strip()}")
    organizer.params["cn"] = vText("Liaison")
    vevent.add("organizer", organizer)
    for person in attendees:
        vevent.add("attendee", _address(person, "REQ-PARTICIPANT"), encode=0)
    return vevent


def invitation(retro, now):
    """The VCALENDAR bytes of the meeting request for a booked retrospective."""
    from .retrospectives import invitees

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "REQUEST")
    cal.add_component(retrospective_vevent(retro, now, invitees(retro)))
    return cal.to_ical()


def invitation_parts(notification):
    """notify attacher: the .ics part of an invitation (key incident.retro.invite:<pk>:<seq>)."""
    try:
        pk = int(notification.dedupe_key.split(":")[1])
    except (IndexError, ValueError):
        return []
    retro = Retrospective.objects.select_related("incident", "facilitator").filter(pk=pk).first()
    if retro is None or retro.scheduled_at is None:
        return []
    part = MIMEText(invitation(retro, notification.created_at).decode(), "calendar", "utf-8")
    part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="retrospective.ics")
    return [part]


def feed_vevents(team_ids, now):
    """agenda feed source: booked retrospectives of incidents these teams are in."""
    from .retrospectives import retrospectives_for_teams

    rows = retrospectives_for_teams(team_ids, now - timedelta(days=90), now + timedelta(days=400))
    return [retrospective_vevent(retro, now) for retro in rows]
