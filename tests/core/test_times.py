
"""Time, consistently: one helper shows every instant in the viewer's zone with the zone
named, pages use it, and forms default to the viewer's zone."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone

from liaison.core import times

INSTANT = dt.datetime(2030, 3, 13, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("zone", "text"), [
    ("UTC", "Wed 13 Mar 2030, 08:00 UTC"),
    ("Europe/Paris", "Wed 13 Mar 2030, 09:00 CET"),
    ("America/New_York", "Wed 13 Mar 2030, 04:00 EDT"),
    ("Asia/Dubai", "Wed 13 Mar 2030, 12:00 Asia/Dubai"),  # its abbreviation is only "+04": the name says where
])
def test_show_names_the_zone(zone, text):
    assert times.show(INSTANT, zone) == text


def test_show_takes_a_person_and_falls_back_to_the_default(settings):
    class Someone:
        time_zone = "Europe/Paris"

    class Unknown:
        time_zone = "Mars/Olympus"

    settings.TIME_ZONE = "UTC"
    assert times.show(INSTANT, Someone()) == "Wed 13 Mar 2030, 09:00 CET"
    assert times.show(INSTANT, Unknown()) == "Wed 13 Mar 2030, 08:00 UTC"
    assert times.show(INSTANT, "Europe/Paris", "short") == "13 Mar, 09:00 CET"
    assert times.show(dt.date(2030, 3, 13)) == "Wed 13 Mar 2030"
    assert times.local_input(INSTANT, "America/New_York") == "2030-03-13T04:00"


def test_the_when_filter_uses_the_active_zone_and_is_a_built_in():
    with timezone.override("Europe/Paris"):
        html = Template("{{ t|when }}").render(Context({"t": INSTANT}))
    assert html == '<time datetime="2030-03-13T08:00:00+00:00">Wed 13 Mar 2030, 09:00 CET</time>'
