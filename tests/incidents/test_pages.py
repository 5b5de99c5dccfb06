"""The pages: open from a conflict, the detail with its sections, one-click join, outsiders get 404."""

import datetime as dt

import pytest
import time_machine

from liaison.incidents import alliances, retrospectives, services
from liaison.incidents.models import Incident

from .conftest import DURING


@pytest.fixture(autouse=True)
def during():
    with time_machine.travel(DURING, tick=False):
        yield


def test_open_from_the_conflict_page(story, login):
    client = login(story.mia)
    page = client.get(f"/agenda/conflicts/{story.conflict.pk}/")
    assert f"/incidents/new/?conflict={story.conflict.pk}" in page.content.decode()
    form = client.get(f"/incidents/new/?conflict={story.conflict.pk}")
    assert form.status_code == 200 and "Core network upgrade" in form.content.decode()
    response = client.post("/incidents/new/", {"conflict": story.conflict.pk, "title": "Webinar dropped",
                                               "summary": "40 minutes down", "kind": "change_collision",
                                               "team": story.marketing.pk})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert incident.conflict == story.conflict


def test_open_form_names_the_field_at_fault(story, login):
    response = login(story.mia).post("/incidents/new/", {"title": "", "kind": "outage", "team": story.marketing.pk})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert not Incident.objects.exists()


def test_detail_shows_totals_retrospective_and_no_blame_field_while_open(story, incident, login):
    services.log_impact(incident, by=story.mia, team=story.marketing, unit="customers_affected", amount=40,
                        what_happened="Dropped", now=DURING)
    page = login(story.mia).get(incident.get_absolute_url()).content.decode()
    assert "When is the retrospective?" in page and "No retrospective yet" in page
    assert "Fiona Finance" in page  # the facilitator from the network
    assert "40 customers (external organisations) affected" in page
    assert 'name="causes"' not in page and "opens once the incident is stable" in page
    assert "Sales Enablement" in page and "Another team" in page  # proposals, the confidential one unnamed
    assert "Support" not in page.replace("Supportive", "")


def test_join_in_one_click_after_an_invite(story, incident, login):
    services.invite_team(incident, story.sales, by=story.mia, now=DURING)
    client = login(story.sam)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Join with Sales Enablement" in page
    client.post(f"/incidents/{incident.pk}/join/", {"team": story.sales.pk})
    assert incident.team_links.filter(team=story.sales).exists()


def test_invite_answers_htmx_with_a_fragment(story, incident, login):
    from liaison.incidents.proposals import proposed_teams

    proposal = next(p for p in proposed_teams(incident, story.mia) if p.team is None)
    response = login(story.mia).post(f"/incidents/{incident.pk}/invite/", {"token": proposal.token,
                                                                            "label": proposal.label},
                                     HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "is invited" in response.content.decode()
    assert incident.invites.get().team == story.support


def test_list_pagination_filters_and_empty_state(story, incident, login, settings):
    client = login(story.mia)
    assert incident.title in client.get("/incidents/").content.decode()
    assert "No incident matches" in client.get("/incidents/?status=closed").content.decode()
    assert "No incidents involve your teams" in login(story.olga).get("/incidents/").content.decode()


def test_every_door_is_closed_to_an_outsider(story, incident, login):
    retro = incident.retrospective
    retrospectives.schedule(retro, by=story.mia, at=DURING + dt.timedelta(days=2), now=DURING)
    alliance = alliances.create_alliance(by=story.mia, team=story.marketing, now=DURING, ask_kind="delay",
                                         ask_text="Move the upgrade", incident=incident)
    client = login(story.olga)
    for url in [incident.get_absolute_url(), f"/incidents/{incident.pk}/retrospective/calendar/",
                alliance.get_absolute_url(), f"/incidents/alliances/new/?incident={incident.pk}"]:
        assert client.get(url).status_code == 404, url
    for url, data in [(f"/incidents/{incident.pk}/impact/", {"unit": "labour_hours", "amount": 1}),
                      (f"/incidents/{incident.pk}/stable/", {}), (f"/incidents/{incident.pk}/join/",
                                                                   {"team": story.outsiders.pk}),
                      (f"/incidents/{incident.pk}/invite/", {"token": "x"}),
                      (f"/incidents/{incident.pk}/retrospective/schedule/", {}),
                      (f"/incidents/alliances/{alliance.pk}/join/", {"team": story.outsiders.pk}),
                      (f"/incidents/alliances/{alliance.pk}/answer/", {"answer": "no"})]:
        assert client.post(url, data).status_code == 404, url
    incident.refresh_from_db()
    assert incident.status == "open" and not incident.impacts.exists()
