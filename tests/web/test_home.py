"""The home: what needs you, most urgent first, for each persona; acting from the home;
the query count does not grow with the list."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from liaison.org.cache import clear_named_caches
from liaison.requests import services
from liaison.requests.models import Request, Status
from tests.web.personas import CONTEXT

pytestmark = pytest.mark.django_db


def home(client, person):
    client.force_login(person)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    rows = [n for _, group in response.context["groups"] for n in group]
    return response, [(n.kind, n.title) for n in rows], rows


def test_the_service_lead_sees_the_collision_then_the_short_notice_request_waiting_for_his_team(client, world):
    _, items, rows = home(client, world.lars)
    assert items == [("commitment", "Bandwidth for the video shoot"),  # the team's overdue one: a lead sees it
                     ("conflict", "Conflict: Core network upgrade against Meet the architect"),
                     ("unacknowledged", "VPN profile for the webinar speakers")]
    unack = rows[2]
    assert "short notice" in unack.why and "lead time 5" in unack.why
    assert unack.step["action"] == "acknowledge"
    # the playbook rides along: the service side is offered the scheduling assistant first
    assert [s.move for s in rows[1].advice[0].steps][:1] == ["reschedule"]
    # ... minus the step the row already offers inline (Acknowledge)
    assert [s.move for s in rows[2].advice[0].steps][:2] == ["commit", "book_call"]


def test_the_customer_lead_sees_her_collision_then_her_hard_date_at_risk_and_her_teams_load(client, world):
    response, items, rows = home(client, world.carla)
    assert items[0] == ("conflict", "Conflict: Core network upgrade against Meet the architect")
    assert ("hard_date", "VPN profile for the webinar speakers") in items
    assert [s.move for s in rows[0].advice[0].steps][:2] == ["ask_delay", "book_call"]
    assert ("unacknowledged", "VPN profile for the webinar speakers") not in items  # not hers to answer
    (team, load), = response.context["member_load"]
    assert team == world.marketing
    mia = next(r for r in load if r["person"] == world.mia)
    assert mia["asked"] == 2  # the overdue one and the delivery waiting for her


def test_a_member_sees_her_teams_collision_then_her_delivery_to_accept_before_the_thanks_she_owes(client, world):
    response, items, _ = home(client, world.mia)
    assert items == [("conflict", "Conflict: Core network upgrade against Meet the architect"),
                     ("accept", "Guest Wi-Fi for the launch"), ("thank", "Firewall rule for the CRM")]
    assert response.context["member_load"] == [] and response.context["rollup"] == []


def test_the_engineer_sees_his_overdue_commitment_first(client, world):
    _, items, rows = home(client, world.nico)
    assert items[0] == ("commitment", "Bandwidth for the video shoot")
    assert "2 days overdue" in rows[0].why and rows[0].level == "urgent"
    assert [s.move for s in rows[0].advice[0].steps][:2] == ["progress", "slip"]


def test_the_manager_sees_her_subtree_rolled_up(client, world):
    response, _, _ = home(client, world.cleo)
    rollup = {r["team"].name: r for r in response.context["rollup"]}
    assert set(rollup) == {"Company", "Network Group", "Product Marketing"}
    assert rollup["Network Group"]["overdue"] == 1 and rollup["Network Group"]["unacknowledged"] == 1
    assert rollup["Network Group"]["conflicts"] == 1 and rollup["Product Marketing"]["conflicts"] == 1
    assert response.context["rollup"][0]["team"].name == "Network Group"  # the late one first


def test_an_outsider_sees_an_empty_state_that_says_what_will_appear(client, world):
    from tests.factories import PersonFactory

    response, items, _ = home(client, PersonFactory(name="Otto Outsider"))
    assert items == []
    html = response.content.decode()
    assert "Nothing needs you right now" in html and "ask a service for something" in html


def test_several_teams_group_the_list_by_team(client, world):
    from liaison.org.services import add_member

    add_member(world.network, world.mia)
    response, _, _ = home(client, world.mia)
    names = [team.name if team else None for team, _ in response.context["groups"]]
    assert names == ["Network Group", "Product Marketing"]  # the overdue commitment is the team's most urgent


def test_acknowledge_from_the_home_with_htmx(client, world):
    client.force_login(world.lars)
    url = reverse("home_act", args=[world.hard.pk, "acknowledge"])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="needs"' in html and "Acknowledged" in html
    world.hard.refresh_from_db()
    assert world.hard.status == Status.ACKNOWLEDGED
    assert "waiting for Network Group" not in html


def test_accept_from_the_home_names_the_missing_rating_and_changes_nothing(client, world):
    client.force_login(world.mia)
    url = reverse("home_act", args=[world.delivered.pk, "accept"])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Rate the quality from 1 to 5." in response.content.decode()
    assert Request.objects.get(pk=world.delivered.pk).status == Status.DELIVERED
    response = client.post(url, {"accept-quality": "4"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Request.objects.get(pk=world.delivered.pk).quality == 4


def test_thank_from_the_home_without_htmx_redirects(client, world):
    client.force_login(world.mia)
    url = reverse("home_act", args=[world.accepted.pk, "thank"])
    response = client.post(url, {"thank-message": "The CRM launch went out on time thanks to you."})
    assert response.status_code == 302
    assert world.accepted.thanks.count() == 1
    _, items, _ = home(client, world.mia)
    assert ("thank", "Firewall rule for the CRM") not in items


def test_the_home_acts_only_for_the_right_side_and_only_on_what_one_may_see(client, world):
    from tests.factories import PersonFactory

    client.force_login(world.mia)  # the requester side may not acknowledge
    response = client.post(reverse("home_act", args=[world.hard.pk, "acknowledge"]), HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Only members of the provider team" in response.content.decode()
    client.force_login(PersonFactory())
    assert client.post(reverse("home_act", args=[world.hard.pk, "acknowledge"])).status_code == 404
    assert client.post(reverse("home_act", args=[world.hard.pk, "withdraw"])).status_code == 404
    assert Request.objects.get(pk=world.hard.pk).status == Status.SUBMITTED


def _queries(client, person):
    client.force_login(person)
    clear_named_caches()  # each count starts cold: a process's directory caches (org.cache) would hide a query
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


def test_the_home_costs_the_same_queries_for_one_row_as_for_many(client, world):
    few = _queries(client, world.lars)
    now = timezone.now()
    for n in range(12):
        r = services.submit_request(requester=world.carla, service=world.corp_net, title=f"Extra {n}",
                                    context=CONTEXT, need_by=timezone.localdate(now) + dt.timedelta(days=4),
                                    date_kind="hard", options="any", now=now, short_notice_owned="Sorry.")
        services.comment(r, by=world.carla, text="Any news?", now=now)
    many = _queries(client, world.lars)
    assert many == few, (few, many)
    assert few <= 40


def test_incidents_of_my_teams_and_the_retrospective_actions_i_own(client, world):
    from liaison.incidents import services as incidents

    incident = incidents.open_incident(by=world.carla, now=timezone.now(), title="The webinar lost its network",
                                       conflict=world.conflict)
    for person in (world.carla, world.mia, world.lars):
        _, items, rows = home(client, person)
        assert ("incident", "Incident: The webinar lost its network") in items, person
    _, items, rows = home(client, world.carla)
    row = next(r for r in rows if r.kind == "incident")
    assert [s.move for s in row.advice[0].steps][:2] == ["log_impact", "invite_teams"]
    from tests.factories import PersonFactory

    _, items, _ = home(client, PersonFactory())
    assert items == []
    assert incident.pk
