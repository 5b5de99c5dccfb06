"""Every door that shows a team's work answers as liaison.org.visibility says, for everyone.

The one rule: a person reads a team's work when they belong to it, or lead it or a team
above it, or manage (up the Person.manager chain) someone who does — and nobody else,
org admins and auditors included. Each door below is asked by each person of the cast;
what it shows (200, or rows in a list) must be exactly what the rule says, so a door that
drifts from the rule (its own check, a forgotten filter, an admin pass) fails here.
"""

import datetime as dt

import pytest
from django.utils import timezone

from liaison.insights.models import RequestFact
from liaison.insights.rollups import rebuild_facts
from liaison.org.services import create_token
from liaison.org.visibility import may_read_pair, may_read_team
from liaison.requests import services
from liaison.requests.models import Request
from tests.requests.conftest import CONTEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, org_admin, auditor):
    """The requests cast (tests/story.py), one request from Remote Office to Platform, and
    every kind of viewer: members of either side, leads and managers above them, an
    outsider, an org admin and an auditor who belong to no team involved."""
    now = timezone.now()
    request = services.submit_request(
        requester=cast.remy, service=cast.service, title="Reporting database", context=CONTEXT,
        need_by=(now + dt.timedelta(days=30)).date(), date_kind="hard", now=now)
    rebuild_facts(now)
    cast.request = request
    cast.viewers = {"pete": cast.pete, "paula": cast.paula, "victor": cast.victor, "remy": cast.remy,
                    "rita": cast.rita, "cleo": cast.cleo, "olga": cast.olga, "admin": org_admin,
                    "auditor": auditor}
    return cast


def _bearer(person):
    _, key = create_token(person)
    return {"Authorization": f"Bearer {key}"}


def _sees_request(person, request):
    return Request.objects.visible_to(person).filter(pk=request.pk).exists()


def test_the_rule_itself(world):
    """What the rule says for this cast: the sides, the chain above each, nobody else."""
    readers = {name for name, p in world.viewers.items() if may_read_team(p, world.platform)}
    assert readers == {"pete", "paula", "victor", "cleo"}  # members, their lead's manager, the lead above
    readers = {name for name, p in world.viewers.items() if may_read_team(p, world.remote)}
    assert readers == {"remy", "rita", "cleo"}
    seeing = {name for name, p in world.viewers.items() if _sees_request(p, world.request)}
    assert seeing == {"pete", "paula", "victor", "remy", "rita", "cleo"}
    for p in world.viewers.values():
        assert _sees_request(p, world.request) == may_read_pair(p, world.platform, world.remote)


@pytest.mark.parametrize("door", ["page", "api"])
def test_one_request_and_its_timeline(world, client, door):
    for _name, person in world.viewers.items():
        expected = 200 if _sees_request(person, world.request) else 404
        if door == "page":
            client.force_login(person)
            assert client.get(f"/requests/{world.request.pk}/").status_code == expected
        else:
            headers = _bearer(person)
            assert client.get(f"/api/v1/requests/{world.request.pk}", headers=headers).status_code == expected
            assert client.get(f"/api/v1/requests/{world.request.pk}/events", headers=headers).status_code == expected


def test_request_lists_show_what_the_rule_shows(world, client):
    for _name, person in world.viewers.items():
        listed = {r["id"] for r in client.get("/api/v1/requests", headers=_bearer(person)).json()["items"]}
        assert (world.request.pk in listed) == _sees_request(person, world.request)


@pytest.mark.parametrize("path", ["/requests/inbox/{slug}/", "/insights/teams/{slug}/",
                                  "/insights/teams/{slug}/?format=csv"])
def test_team_pages_and_exports(world, client, path):
    for team in (world.platform, world.remote, world.other):
        for _name, person in world.viewers.items():
            client.force_login(person)
            expected = 200 if may_read_team(person, team) else 404
            assert client.get(path.format(slug=team.slug)).status_code == expected, (_name, team.slug, path)


@pytest.mark.parametrize("path", ["/api/v1/requests/inbox?team={slug}", "/api/v1/requests/forecast-demand?team={slug}",
                                  "/api/v1/insights/teams/{slug}/partners"])
def test_team_api(world, client, path):
    for team in (world.platform, world.remote, world.other):
        for _name, person in world.viewers.items():
            expected = 200 if may_read_team(person, team) else 404
            response = client.get(path.format(slug=team.slug), headers=_bearer(person))
            assert response.status_code == expected, (_name, team.slug, path)


@pytest.mark.parametrize("path", ["/insights/pairs/{a}/{b}/", "/insights/pairs/{a}/{b}/scorecard.csv",
                                  "/api/v1/insights/pairs/{a}/{b}"])
def test_pair_pages_exports_and_api(world, client, path):
    pairs = [(world.platform, world.remote), (world.remote, world.platform), (world.platform, world.other)]
    for a, b in pairs:
        for _name, person in world.viewers.items():
            expected = 200 if may_read_pair(person, a, b) else 404
            url = path.format(a=a.slug, b=b.slug)
            if url.startswith("/api/"):
                response = client.get(url, headers=_bearer(person))
            else:
                client.force_login(person)
                response = client.get(url)
            assert response.status_code == expected, (_name, url)


def test_figures_count_only_the_requests_the_viewer_sees(world):
    """Facts (the scorecards' rows) follow the requests' visibility, row for row."""
    for person in world.viewers.values():
        facts = set(RequestFact.objects.visible_to(person).values_list("request_id", flat=True))
        requests = set(Request.objects.visible_to(person).values_list("pk", flat=True))
        assert facts == requests


def test_team_search_is_one_search_at_every_door(world, client):
    """Name or description, the same at the directory page, the header search and the API."""
    world.other.description = "Keeps the payroll running"
    world.other.save()
    client.force_login(world.olga)
    api = {t["slug"] for t in client.get("/api/v1/teams?q=payroll", headers=_bearer(world.olga)).json()["items"]}
    assert api == {"other-team"}
    assert "Other Team" in client.get("/teams/?q=payroll").content.decode()
    assert "Other Team" in client.get("/search/?q=payroll").content.decode()
