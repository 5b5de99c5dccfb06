# ruff: noqa: RUF001 -- the agenda's bucket labels use en dashes
"""Patterns: the enterprise ranking, one service team's notice and disruptions, the same pattern."""

import datetime as dt

import pytest

from liaison.incidents.models import Kind, Unit
from liaison.insights import patterns

from .incident_cast import NOW, build_cast, change, impact, incident, seed_002

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def cast(db):
    return build_cast()


def _notice(cast):
    """Network: this year 6 changes, 4 short; the year before 6, 1 short. Facilities: 3 this year, all short."""
    for i, days in enumerate([2, 3, 4, 12, 15, 1]):
        change(cast.network, start=NOW - (10 + 30 * i) * DAY, notice_days=days)
    for i, days in enumerate([12, 14, 20, 11, 3, 10]):
        change(cast.network, start=NOW - (380 + 30 * i) * DAY, notice_days=days)
    for i in range(3):
        change(cast.facilities, start=NOW - (20 + i) * DAY, notice_days=1)


def _row(ranking, team):
    return next(r for r in ranking if r["team"] == team)


def test_ranking_by_short_notice_with_trend_and_sample_sizes(cast):
    _notice(cast)
    ranking = patterns.enterprise_ranking(cast.olga, NOW, months=12, order="short_notice")
    net, fac = _row(ranking, cast.network), _row(ranking, cast.facilities)
    assert (net["changes"], net["late"], net["late_share"]) == (6, 4, 67)
    assert (net["changes_before"], net["late_before"]) == (6, 1)
    assert net["notice_trend"].direction == "up" and net["notice_trend"].worse
    assert "67 %, up from 17 %" in net["notice_trend"].text and "n = 6 now, 6 before" in net["notice_trend"].text
    # Facilities is 100 % short but on 3 changes: no arrow, and it ranks after the team with a real sample
    assert fac["late_share"] == 100 and fac["notice_trend"].direction == "none"
    assert "too few" in fac["notice_trend"].text
    assert [r["team"] for r in ranking][:2] == [cast.network, cast.facilities]


def test_a_confidential_change_counts_only_for_those_who_see_it(cast):
    change(cast.facilities, start=NOW - 5 * DAY, notice_days=1, confidential=True)
    assert patterns.enterprise_ranking(cast.olga, NOW) == []
    mine = patterns.enterprise_ranking(cast.fred, NOW)
    assert _row(mine, cast.facilities)["changes"] == 1


def test_ranking_by_disruption_counts_visible_incidents_and_their_impacts(cast):
    story = seed_002(cast)
    older = incident(service_team=cast.facilities, affected=[cast.finance], opened_at=NOW - 20 * DAY,
                     opener=cast.fiona)
    impact(older, cast.finance, Unit.LABOUR_HOURS, 100, by=cast.fiona)
    before = incident(service_team=cast.network, affected=[cast.finance], opened_at=NOW - 400 * DAY,
                      opener=cast.fiona)
    impact(before, cast.finance, Unit.LABOUR_HOURS, 3, by=cast.fiona)

    # Fiona's team was in all three: she sees them all
    ranking = patterns.enterprise_ranking(cast.fiona, NOW, order="labour_hours")
    assert [r["team"] for r in ranking] == [cast.facilities, cast.network]
    net = _row(ranking, cast.network)
    assert (net["incidents"], net["incidents_before"], net["affected_teams"]) == (1, 1, 3)
    assert net["impacts"][Unit.LABOUR_HOURS] == 48.5 and net["impacts_before"][Unit.LABOUR_HOURS] == 3
    assert net["impact_trends"][Unit.LABOUR_HOURS].direction == "up"
    assert Unit.MONEY not in net["impacts"]  # money is shown on the case, never ranked
    # ordered by incidents: ties broken by teams touched
    by_incidents = patterns.enterprise_ranking(cast.fiona, NOW, order="incidents")
    assert by_incidents[0]["team"] == cast.network
    # Fred sees only the Facilities incident; Olga (Other was affected by seed 002) only the webinar one
    # (the public "Core network upgrade" gives Network a row for everyone, with its notice and no incident)
    fred = patterns.enterprise_ranking(cast.fred, NOW, order="incidents")
    assert [(r["team"], r["incidents"]) for r in fred] == [(cast.facilities, 1), (cast.network, 0)]
    olga = patterns.enterprise_ranking(cast.olga, NOW, order="incidents")
    assert [(r["team"], r["incidents"]) for r in olga] == [(cast.network, 1)]
    assert story.incident.pk  # the webinar incident is the one counted


def test_service_team_pattern_reads_the_agenda_notice_accounting(cast):
    _notice(cast)
    story = seed_002(cast)  # adds the 3-day "Core network upgrade"
    p = patterns.service_team_pattern(cast.network, cast.paula, NOW, months=24)
    s = p["history"]["summary"]
    assert (s["total"], s["late"]) == (13, 6)
    assert dict((label, n) for label, n, _ in p["history"]["distribution"]) == {
        "Less than 3 days": 2, "3–4 days": 4, "5–9 days": 0, "10–19 days": 6, "20 days or more": 1}
    assert p["incident_count"] == 1 and p["open_incidents"] == 1
    totals = {m["unit"]: m["total"] for m in p["impacts"]}
    assert totals[Unit.LABOUR_HOURS] == 48.5 and totals[Unit.CUSTOMERS_AFFECTED] == 104
    # the charts are SVG with a text alternative naming the figures
    assert 'role="img"' in p["charts"]["distribution"] and "Less than 3 days: 2 changes" in p["charts"]["distribution"]
    assert "minimum notice 10 business days" in p["charts"]["trend"]
    assert story.incident.service_team == cast.network


def test_same_pattern_elsewhere(cast):
    story = seed_002(cast)
    # Facilities: a short-notice change that became an incident touching Finance, 3 months ago -> same pattern
    late = change(cast.facilities, start=NOW - 90 * DAY, notice_days=2)
    incident(service_team=cast.facilities, affected=[cast.finance], opened_at=NOW - 90 * DAY, opener=cast.fiona,
             changes=[late])
    # not the same pattern: older than 12 months; another kind; no team affected; a change with enough notice
    old = change(cast.other, start=NOW - 400 * DAY, notice_days=1)
    incident(service_team=cast.other, affected=[cast.finance], opened_at=NOW - 400 * DAY, opener=cast.fiona,
             changes=[old])
    incident(service_team=cast.marketing, affected=[cast.finance], opened_at=NOW - 30 * DAY, opener=cast.fiona,
             kind=Kind.OUTAGE)
    alone = change(cast.ops, start=NOW - 30 * DAY, notice_days=1)
    incident(service_team=cast.ops, affected=[], opened_at=NOW - 30 * DAY, opener=cast.diana, changes=[alone])
    ok = change(cast.finance, start=NOW - 30 * DAY, notice_days=15)
    incident(service_team=cast.finance, affected=[cast.other], opened_at=NOW - 30 * DAY, opener=cast.fiona,
             changes=[ok])

    p = patterns.same_pattern(story.incident, cast.diana, NOW)
    # Diana sees what involves her subtree: only the seed incident itself -> nothing else
    assert p["count"] == 0
    fiona = patterns.same_pattern(story.incident, cast.fiona, NOW)
    assert [r["team"] for r in fiona["teams"]] == [cast.facilities]
    assert fiona["short_notice"] and "less than 10 business days" in fiona["rule"]


def test_same_pattern_without_short_notice_counts_every_change_of_the_kind(cast):
    story = seed_002(cast)
    story.change.notice_days = 15
    story.change.save()
    ok = change(cast.finance, start=NOW - 30 * DAY, notice_days=15)
    incident(service_team=cast.finance, affected=[cast.other], opened_at=NOW - 30 * DAY, opener=cast.fiona,
             changes=[ok])
    p = patterns.same_pattern(story.incident, cast.fiona, NOW)
    assert [r["team"] for r in p["teams"]] == [cast.finance] and not p["short_notice"]
