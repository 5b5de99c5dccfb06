"""Time, consistently: every instant is shown in the viewer's time zone, with the zone named.

One helper for pages, mail and exports: `show(value, zone)` in Python and the `when`
template filter (a built-in, no {% load %} needed), which uses the zone the
ViewerTimeZoneMiddleware activated for the signed-in person (Person.time_zone, else
LIAISON_TIME_ZONE). Forms use the same zone: Django reads naive form input in the active
zone, and `zone_of(person)` gives the default for forms that ask for a zone.
"""

import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as dj_format

FORMATS = {
    "long": "D j M Y, H:i",
    "short": "j M, H:i",
    "time": "H:i",
    "date": "D j M Y",
}


def zone_of(person=None):
    """The person's ZoneInfo (their time_zone), else the installation's default."""
    name = getattr(person, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def as_zone(zone):
    if zone is None:
        return timezone.get_current_timezone()
    if isinstance(zone, str):
        return zoneinfo.ZoneInfo(zone)
    if hasattr(zone, "utcoffset"):
        return zone
    return zone_of(zone)  # a person


def zone_name(value, zone):
    """The zone's abbreviation at `value` (CET, PST, UTC), or its IANA name where the
    abbreviation is only an offset ("+04" says nothing about where)."""
    abbr = value.tzname() or ""
    if abbr and abbr[0].isalpha():
        return abbr
    return getattr(zone, "key", str(zone))


def show(value, zone=None, style="long"):
    """`value` (an aware datetime) as text in `zone` (a zone, its name, a person, or None
    for the active zone), with the zone named: "Tue 1 Dec 2026, 16:35 CET". Dates are
    shown as dates (they have no zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return dj_format(value, FORMATS["date"])
    tz = as_zone(zone)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, zoneinfo.ZoneInfo("UTC"))
    local = value.astimezone(tz)
    fmt = FORMATS.get(style, style)
    return f"{dj_format(local, fmt)} {zone_name(local, tz)}"


def local_input(value, zone=None):
    """`value` as the wall-clock "YYYY-MM-DDTHH:MM" of a datetime-local field in `zone`."""
    if value is None:
        return ""
    return value.astimezone(as_zone(zone)).strftime("%Y-%m-%dT%H:%M")


class ViewerTimeZoneMiddleware:
    """Activate the signed-in person's time zone for the request (templates, forms)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(zone_of(user))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
