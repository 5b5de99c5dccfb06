
"""iCalendar (RFC 5545) feeds, written with the `icalendar` package.

Each change, event and freeze window is one VEVENT whose UID never changes (the item's
uuid), whose SEQUENCE is bumped on every reschedule, and whose STATUS is CANCELLED once
it is cancelled, so Outlook, Google and Apple calendars update the entry they already
have instead of adding a new one. Times are written in UTC (the `Z` form), which every
client converts to its own zone, daylight saving included.
"""

from datetime import UTC

from django.conf import settings
from icalendar import Calendar
from icalendar import Event as VEvent

from .models import Change, Event

PRODID = "-//Liaison//Agenda//EN"

#: callables(team_ids, now) -> [VEVENT] that other domains add to the team feeds (e.g. a
#: booked retrospective); registered in their AppConfig.ready(), so the agenda imports none.
_FEED_SOURCES = []


def register_feed_source(source):
    if source not in _FEED_SOURCES:
        _FEED_SOURCES.append(source)


def extra_components(team_ids, now):
    return [vevent for source in _FEED_SOURCES for vevent in source(team_ids, now)]


def _base(vevent, item, summary, now, url):
    vevent.add("uid", f"{item.uid}@{settings.LIAISON_MAIL_DOMAIN}")
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("dtstart", item.start.astimezone(UTC))
    vevent.add("dtend", item.end.astimezone(UTC))
    vevent.add("summary", summary)
    vevent.add("sequence", item.sequence)
    vevent.add("last-modified", item.updated_at.astimezone(UTC))
    vevent.add("url", f"{settings.SITE_URL}{url}")


def change_vevent(change, now):
    vevent = VEvent()
    _base(vevent, change, f"Change: {change.title} ({change.team.name})", now, change.get_absolute_url())
    services = ", ".join(s.name for s in change.services.all())
    vevent.add("description", "\n".join(filter(None, [
        f"Planned change by {change.team.name}, risk {change.get_risk_display().lower()}.",
        f"Services: {services}." if services else "",
        change.description,
        f"Rollback plan: {change.rollback_plan}" if change.rollback_plan else "",
    ])))
    vevent.add("categories", ["Planned change"])
    vevent.add("status", "CANCELLED" if change.status == Change.Status.CANCELLED
               else "TENTATIVE" if change.status == Change.Status.DRAFT else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT")
    return vevent


def event_vevent(event, now):
    vevent = VEvent()
    _base(vevent, event, f"{event.title} ({event.team.name})", now, event.get_absolute_url())
    services = ", ".join(s.name for s in event.services.all())
    vevent.add("description", "\n".join(filter(None, [
        f"Event of {event.team.name}, criticality {event.get_criticality_display().lower()}.",
        f"Audience: {event.audience}." if event.audience else "",
        f"Depends on: {services}." if services else "",
        f"No changes in the {event.buffer_hours} hours before." if event.buffer_hours else "",
        event.description,
    ])))
    vevent.add("categories", ["Customer event"])
    vevent.add("status", "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED")
    return vevent


def freeze_vevent(freeze, now):
    vevent = VEvent()
    scope = "organisation-wide" if freeze.org_wide else "on some services"
    _base(vevent, freeze, f"Freeze: {freeze.title}", now, freeze.get_absolute_url())
    vevent.add("description", f"No changes ({scope}). {freeze.reason}".strip())
    vevent.add("categories", ["Freeze window"])
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "TRANSPARENT")
    return vevent


def calendar(name, changes, events, freezes, now, extra=()):
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", "PT1H")
    for change in changes:
        cal.add_component(change_vevent(change, now))
    for event in events:
        cal.add_component(event_vevent(event, now))
    for freeze in freezes:
        cal.add_component(freeze_vevent(freeze, now))
    for vevent in extra:
        cal.add_component(vevent)
    return cal.to_ical()
