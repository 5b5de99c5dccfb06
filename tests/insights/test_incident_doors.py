"""Patterns, dashboards and the business case through the page and API doors, as insiders and outsiders."""

import csv
import datetime as dt
import io

import pytest
import time_machine

from liaison.org.services import create_token

from .incident_cast import NOW, build_cast, change, incident, seed_002

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def story(cast):
    for i, days in enumerate([2, 3, 12, 1, 15, 4]):
        change(cast.network, start=NOW - (20 + 30 * i) * DAY, notice_days=days)
    for i, days in enumerate([12, 14, 20, 11, 3, 10]):
        change(cast.network, start=NOW - (380 + 30 * i) * DAY, notice_days=days)
    late = change(cast.facilities, start=NOW - 60 * DAY, notice_days=1)
    incident(service_team=cast.facilities, affected=[cast.finance], opened_at=NOW - 60 * DAY, opener=cast.fiona,
             changes=[late], title="Rooms double-booked")
    return seed_002(cast)


def page(client, person, url):
    client.force_login(person)
    with time_machine.travel(NOW, tick=False):
        return client.get(url)


def api(client, person, url):
    _, key = create_token(person, name="test")
    with time_machine.travel(NOW, tick=False):
        return client.get(url, headers={"Authorization": f"Bearer {key}"})


# --- pages ------------------------------------------------------------------------------------------

def test_pattern_ranking_page(client, cast, story):
    html = page(client, cast.fiona, "/insights/patterns/").content.decode()
    assert "Network Group" in html and "Facilities" in html
    assert "short notice 71 %, up from 17 % (n = 7 now, 6 before)" in html.replace("\n", " ")
    by_hours = page(client, cast.fiona, "/insights/patterns/?by=labour_hours&months=12").content.decode()
    assert by_hours.index("Network Group") < by_hours.index("Facilities")
    assert "Hours of labour: <strong>48.5</strong>" in by_hours
    # nonsense parameters fall back to the defaults instead of failing
    assert page(client, cast.fiona, "/insights/patterns/?by=drop+table&months=x").status_code == 200
    text = page(client, cast.fiona, "/insights/patterns/?format=csv").content.decode()
    assert text.splitlines()[1].startswith("Network Group,7,5,71,")


def test_the_outsider_sees_no_incident_on_the_ranking(client, cast, story):
    html = page(client, cast.fred, "/insights/patterns/?by=incidents").content.decode()
    assert "Rooms double-booked" not in html
    # Fred sees his own incident (1) and Network's public changes, but not the webinar incident
    response = page(client, cast.fred, "/insights/patterns/?format=csv&by=incidents")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    network = next(row for row in rows if row[0] == "Network Group")
    assert network[rows[0].index("incidents")] == "0"


def test_team_pattern_page_with_charts_and_tables(client, cast, story):
    html = page(client, cast.paula, "/insights/patterns/teams/network-group/").content.decode()
    assert "Network Group: notice and disruptions" in html
    assert html.count('<svg class="svg-chart"') == 3
    assert "Changes of Network Group by notice" in html and "Impacts logged on Network Group" in html


def test_same_pattern_page_and_include(client, cast, story):
    pk = story.incident.pk
    html = page(client, cast.fiona, f"/insights/patterns/incidents/{pk}/").content.decode()
    assert "The same pattern in 1 other service team" in html and "Facilities" in html
    assert page(client, cast.fred, f"/insights/patterns/incidents/{pk}/").status_code == 404
    # the include the incident page uses (incidents never imports insights)
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = cast.fiona
    with time_machine.travel(NOW, tick=False):
        out = render_to_string("insights/_same_pattern.html", {"incident": story.incident}, request=request)
    assert f'href="/insights/patterns/incidents/{pk}/">The same pattern in 1 other service team<' in out


def test_dashboard_page(client, cast, story):
    html = page(client, cast.diana, "/insights/dashboard/").content.decode()
    assert "Department dashboard" in html and "3 teams" in html
    assert "Webinar lost its network" in html
    assert "Suffered by these teams" in html and "Caused to teams outside" in html
    narrowed = page(client, cast.diana, "/insights/dashboard/?team=network-group").content.decode()
    assert "Department dashboard: Network Group" in narrowed and "1 team " in narrowed
    assert page(client, cast.diana, "/insights/dashboard/?format=csv").status_code == 200


def test_dashboard_of_a_team_outside_ones_scope_is_404(client, cast, story):
    assert page(client, cast.fred, "/insights/dashboard/?team=operations").status_code == 404
    assert page(client, cast.fred, "/insights/dashboard/?team=no-such-team").status_code == 404
    # Fred's own dashboard does not list the webinar incident
    assert "Webinar lost its network" not in page(client, cast.fred, "/insights/dashboard/").content.decode()


@pytest.mark.parametrize("url", ["/insights/patterns/", "/insights/dashboard/", "/insights/patterns/teams/finance/"])
def test_pages_need_signing_in(client, url):
    assert client.get(url).status_code == 302


# --- API --------------------------------------------------------------------------------------------

def test_api_pattern_ranking(client, cast, story):
    body = api(client, cast.fiona, "/api/v1/insights/patterns?by=incidents").json()
    rows = {r["team"]: r for r in body["items"]}
    assert rows["network-group"]["incidents"] == 1 and rows["facilities"]["incidents"] == 1
    assert rows["network-group"]["notice_trend"]["direction"] == "up"
    hours = next(i for i in rows["network-group"]["impacts"] if i["unit"] == "labour_hours")
    assert float(hours["total"]) == 48.5
    bad = api(client, cast.fiona, "/api/v1/insights/patterns?by=nonsense")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "by"
    bad = api(client, cast.fiona, "/api/v1/insights/patterns?months=99")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "months"
    # the outsider: Facilities' incident is not counted for Olga
    olga = {r["team"]: r for r in api(client, cast.olga, "/api/v1/insights/patterns").json()["items"]}
    assert "facilities" in olga and olga["facilities"]["incidents"] == 0


def test_api_team_pattern_and_same_pattern(client, cast, story):
    body = api(client, cast.paula, "/api/v1/insights/patterns/teams/network-group").json()
    assert (body["changes"], body["short_notice"], body["incidents"]) == (13, 6, 1)
    assert api(client, cast.paula, "/api/v1/insights/patterns/teams/nope").status_code == 404
    pk = story.incident.pk
    same = api(client, cast.fiona, f"/api/v1/insights/patterns/incidents/{pk}").json()
    assert same["count"] == 1 and same["teams"][0]["team"] == "facilities"
    assert api(client, cast.fred, f"/api/v1/insights/patterns/incidents/{pk}").status_code == 404


def test_api_dashboard(client, cast, story):
    body = api(client, cast.diana, "/api/v1/insights/dashboard").json()
    assert body["teams"] == 3 and body["open_incidents"] == 1
    assert body["notice_given"]["changes"] == 7
    assert api(client, cast.diana, "/api/v1/insights/dashboard?team=network-group").json()["teams"] == 1
    assert api(client, cast.fred, "/api/v1/insights/dashboard?team=operations").status_code == 404
    assert api(client, cast.diana, "/api/v1/insights/dashboard/directions").json()["items"] == []
    assert api(client, cast.fred, "/api/v1/insights/dashboard/directions?team=operations").status_code == 404


def test_api_business_case(client, cast, story):
    pk = story.incident.pk
    body = api(client, cast.paula, f"/api/v1/insights/incidents/{pk}/business-case").json()
    totals = {t["unit"]: float(t["total"]) for t in body["totals"]}
    assert totals["labour_hours"] == 48.5 and totals["customers_affected"] == 104
    assert body["teams_not_reporting"] == ["other"]
    assert body["allied_teams"] == ["finance", "product-marketing"]
    assert body["asks"][0]["co_signed_by"] == ["product-marketing", "finance"]
    assert body["service_team_notice"]["changes"] == 13
    assert any("logged no impact" in text for text in body["not_shown"])
    assert api(client, cast.fred, f"/api/v1/insights/incidents/{pk}/business-case").status_code == 404
    assert client.get(f"/api/v1/insights/incidents/{pk}/business-case").status_code == 401
