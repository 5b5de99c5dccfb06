"""Department dashboards: a senior manager's subtree at once; people who manage no one see their own teams."""

import datetime as dt

import pytest

from liaison.incidents.models import Unit
from liaison.insights import dashboards
from liaison.insights.rollups import rebuild_facts
from tests.factories import EventFactory

from .conftest import bulk_requests
from .incident_cast import NOW, build_cast, change, impact, incident, seed_002

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def cast(db):
    return build_cast()


def _board(person, root=None, months=12):
    _, teams = dashboards.dashboard_teams(person, root)
    return dashboards.department_dashboard(person, teams, NOW, months=months)


def test_whose_teams(cast):
    assert dashboards.viewer_scope(cast.diana) == {cast.ops.pk, cast.network.pk, cast.marketing.pk}
    assert dashboards.viewer_scope(cast.paula) == {cast.marketing.pk}
    # Pete manages no one and leads nothing: his own team
    assert dashboards.viewer_scope(cast.pete) == {cast.marketing.pk}
    # a root inside the scope narrows it; one outside is refused
    assert dashboards.dashboard_teams(cast.diana, cast.network) == (cast.network, {cast.network.pk})
    assert dashboards.dashboard_teams(cast.paula, cast.finance) == (None, None)


def test_incidents_and_impacts_inside_and_across_the_boundary(cast):
    seed_002(cast)
    closed = incident(service_team=cast.facilities, affected=[cast.marketing], opened_at=NOW - 40 * DAY,
                      opener=cast.paula, status="closed")
    impact(closed, cast.marketing, Unit.LABOUR_HOURS, 4, by=cast.paula)
    outside = incident(service_team=cast.facilities, affected=[cast.finance], opened_at=NOW - 5 * DAY,
                       opener=cast.fiona)
    impact(outside, cast.finance, Unit.LABOUR_HOURS, 1000, by=cast.fiona)
    old = incident(service_team=cast.network, affected=[cast.finance], opened_at=NOW - 500 * DAY, opener=cast.fiona,
                   status="closed")
    impact(old, cast.finance, Unit.LABOUR_HOURS, 77, by=cast.fiona)

    b = _board(cast.diana)
    assert b["team_count"] == 3
    inc = b["incidents"]
    assert (inc["open"], inc["stable"], inc["period"], inc["as_service"]) == (1, 0, 2, 1)
    suffered = {m["unit"]: m for m in b["impacts"]["suffered"]}
    # Marketing's own (104 customers, 42.5 h + 4 h) and Network's overtime; not Finance's 1000 h elsewhere
    assert suffered[Unit.LABOUR_HOURS]["total"] == 46.5 and suffered[Unit.LABOUR_HOURS]["entries"] == 3
    assert suffered[Unit.CUSTOMERS_AFFECTED]["total"] == 104
    assert {m["label"] for m in b["impacts"]["suffered"]} >= {"Money (EUR)"}
    caused = {m["unit"]: m for m in b["impacts"]["caused"]}
    # caused outside: Finance's 6 h and 2 days on Network's incident in the period (not the 500-day-old 77 h)
    assert caused[Unit.LABOUR_HOURS]["total"] == 6 and caused[Unit.DELAY_DAYS]["total"] == 2
    assert list(dashboards.open_incidents(cast.diana, b["teams"])) == [next(iter(
        dashboards.incidents_involving(cast.diana, b["teams"]).filter(status="open")))]

    # Pete sees his own team: the webinar incident and the closed one, and nothing of Network's own impacts
    pete = _board(cast.pete)
    assert pete["team_count"] == 1
    assert {m["unit"] for m in pete["impacts"]["suffered"]} == {Unit.CUSTOMERS_AFFECTED, Unit.LABOUR_HOURS}
    assert pete["impacts"]["caused"] == []


def test_notice_given_and_received(cast):
    story = seed_002(cast)  # the 3-day network change collided with Marketing's webinar (inside)
    change(cast.network, start=NOW - 30 * DAY, notice_days=12)
    late = change(cast.facilities, start=NOW - 20 * DAY, notice_days=2)
    event = EventFactory(team=cast.marketing, start=NOW - 20 * DAY)
    from liaison.agenda.models import Conflict

    for c, e in [(story.change, story.event), (late, event)]:
        Conflict.objects.create(kind="event", change=c, event=e, reason="overlap", overlap_start=c.start,
                                overlap_end=c.end, detected_at=c.start)
    n = _board(cast.diana)["notice"]
    assert (n["given"]["n"], n["given"]["late"], n["given"]["late_share"]) == (2, 1, 50)
    assert n["given"]["average"] == 7.5
    assert n["given_outside"]["n"] == 0  # the short-notice change hit a team inside
    assert (n["received"]["n"], n["received"]["late"]) == (2, 2)
    assert (n["received_across"]["n"], n["received_across"]["late"]) == (1, 1)


def test_relationship_health_of_every_pair_inside_and_across(cast):
    created = [NOW - dt.timedelta(days=3 + i) for i in range(12)]
    # Marketing asks Network (inside): answered in an hour, on time -> healthy
    bulk_requests(service=cast.core, requester=cast.paula, requester_team=cast.marketing, created=created,
                  ack_hours=1.0, commit_hours=2.0, committed_days=10, deliver_hours=48.0, quality=5)
    # Finance asks Network (across): declined -> unhealthy
    bulk_requests(service=cast.core, requester=cast.fiona, requester_team=cast.finance, created=created,
                  ack_hours=50.0, declined=True, short_notice=True)
    # Finance asks Facilities: neither side is Diana's -> not on her dashboard
    bulk_requests(service=cast.rooms, requester=cast.fiona, requester_team=cast.finance, created=created[:3],
                  ack_hours=1.0)
    rebuild_facts(NOW)
    h = _board(cast.diana)["health"]
    assert (h["inside"]["directions"], h["across"]["directions"]) == (1, 1)
    assert h["inside"]["median"] > 90 and h["inside"]["unhealthy"] == 0
    assert h["across"]["median"] < 60 and h["across"]["unhealthy"] == 1
    assert h["across"]["worst"][0]["customer"] == cast.finance
    # Finance's lead sees the across pair from her side; Facilities' pair is hers too
    rows = dashboards.health_directions(cast.fiona, {cast.finance.pk}, NOW, 12)
    assert {(r["provider"], r["inside"]) for r in rows} == {(cast.network, False), (cast.facilities, False)}
    # Olga sees no fact of any of these teams
    assert dashboards.health_directions(cast.olga, {cast.network.pk}, NOW, 12) == []
