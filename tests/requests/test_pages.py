"""The request pages: new request and coach, the request page and its actions, the team
inbox, my requests. Anonymous → sign-in; outsider → 404; wrong side → 403 with the
service's sentence; bad input → the field's error and nothing changed; query counts."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from liaison.requests import services
from liaison.requests.models import Blocker, EventKind, Request, RequestEvent, Status
from tests.factories import RequestFactory
from tests.requests.conftest import CONTEXT, NOW, days, make_forecast, make_request

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def act(client, req, action, **data):
    return client.post(f"/requests/{req.pk}/{action}/", {f"{action}-{k}": v for k, v in data.items()})


def new_form(**overrides):
    data = {"service": "", "title": "Reporting database for the client go-live", "context": CONTEXT,
            "need_by": str(days(14)), "date_kind": "hard", "options": "Any day that week", "milestone": "",
            "short_notice_owned": "", "probability": "", "confirm_by": ""}
    data.update(overrides)
    return data


# --- doors: anonymous, outsider ----------------------------------------------------------------

PAGES = ["/requests/", "/requests/new/", "/requests/inbox/", "/requests/inbox/platform/", "/requests/{pk}/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(client, submitted, url):
    response = client.get(url.format(pk=submitted.pk))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("action", ["acknowledge", "commit", "comment", "accept"])
def test_anonymous_cannot_act(client, submitted, action):
    response = act(client, submitted, action, text="hi")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert RequestEvent.objects.filter(request=submitted).count() == 1


def test_outsider_gets_404_for_the_request_its_actions_and_the_inbox(login, cast, submitted):
    client = login(cast.olga)
    assert client.get(f"/requests/{submitted.pk}/").status_code == 404
    assert act(client, submitted, "comment", text="Let me in").status_code == 404
    assert act(client, submitted, "acknowledge").status_code == 404
    assert client.get("/requests/inbox/platform/").status_code == 404
    assert client.get("/requests/inbox/no-such-team/").status_code == 404
    assert RequestEvent.objects.filter(request=submitted).count() == 1


def test_managers_up_the_tree_see_but_cannot_act(login, cast, submitted):
    client = login(cast.victor)  # Paula's manager: sees Platform's requests
    page = client.get(f"/requests/{submitted.pk}/")
    assert page.status_code == 200
    assert b"only the two teams act on it" in page.content
    assert b'action="/requests/%d/acknowledge/"' % submitted.pk not in page.content
    response = act(client, submitted, "acknowledge")
    assert response.status_code == 403
    assert b"Only members of the provider team" in response.content
    assert client.get("/requests/inbox/platform/").status_code == 200


def test_unknown_action_is_404(login, cast, submitted):
    assert act(login(cast.pete), submitted, "teleport").status_code == 404


# --- new request and the coach ------------------------------------------------------------------

def test_new_request_is_sent_and_lands_on_its_page(login, cast):
    client = login(cast.remy)
    assert client.get("/requests/new/?service=db").status_code == 200
    response = client.post("/requests/new/", new_form(service=cast.service.pk))
    req = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/requests/{req.pk}/"
    assert (req.status, req.requester, req.requester_team, req.need_by) == (
        Status.SUBMITTED, cast.remy, cast.remote, days(14))
    page = client.get(response["Location"])
    assert b"Request sent to Platform" in page.content
    assert b"Sent the request, needed by" in page.content


def test_new_request_with_bad_input_shows_field_errors_and_saves_nothing(login, cast):
    client = login(cast.remy)
    response = client.post("/requests/new/", new_form(service=cast.service.pk, title="", context="",
                                                      need_by=str(days(-3))))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_title_error"' in body and "A title is required." in body
    assert 'id="id_need_by_error"' in body and "is in the past" in body
    assert 'aria-describedby="id_need_by_helptext id_need_by_error"' in body or \
        'aria-describedby="id_need_by_error"' in body
    assert 'aria-invalid="true"' in body
    assert Request.objects.count() == 0


def test_short_notice_needs_the_owning_sentence(login, cast):
    client = login(cast.remy)
    response = client.post("/requests/new/", new_form(service=cast.service.pk, need_by=str(days(2))))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_short_notice_owned_error"' in body and "Short notice" in body
    assert Request.objects.count() == 0
    owned = "Sorry: the client moved the date; we know this is an imposition."
    response = client.post("/requests/new/", new_form(service=cast.service.pk, need_by=str(days(2)),
                                                      short_notice_owned=owned))
    req = Request.objects.get()
    assert req.short_notice and req.short_notice_owned == owned
    # the provider sees the sentence
    page = login(cast.pete).get(f"/requests/{req.pk}/")
    assert owned.encode() in page.content and b"Short notice, owned by the requester" in page.content


def test_a_forecast_from_the_form(login, cast):
    client = login(cast.remy)
    response = client.post("/requests/new/", new_form(service=cast.service.pk, is_forecast="on", probability="80",
                                                      confirm_by=str(days(7)), date_kind="flexible"))
    req = Request.objects.get()
    assert response.status_code == 302 and req.status == Status.FORECAST and req.probability == 80
    bad = client.post("/requests/new/", new_form(service=cast.service.pk, title="Another", is_forecast="on",
                                                 probability="130", confirm_by=str(days(7))))
    assert bad.status_code == 400 and b'id="id_probability_error"' in bad.content
    assert Request.objects.count() == 1


def test_the_coach_advises_live_and_never_blocks(login, cast):
    client = login(cast.remy)
    response = client.post("/requests/coach/", {"service": cast.service.pk, "title": "NEED THIS ASAP",
                                                "context": "Please.", "need_by": str(days(2)), "date_kind": "hard"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # a fragment for the aria-live region
    for code in ("context_thin", "demanding_wording", "hard_date_no_options", "short_notice_not_owned"):
        assert f"advice-{code}" in body
    assert "2 business days" in body and "asks for 5" in body
    fine = client.post("/requests/coach/", {"service": cast.service.pk, "title": "Reporting database",
                                            "context": CONTEXT, "need_by": str(days(14)), "date_kind": "flexible"})
    assert b"No advice" in fine.content
    assert Request.objects.count() == 0


def test_the_new_request_page_wires_the_coach(login, cast):
    body = login(cast.remy).get("/requests/new/").content.decode()
    assert 'hx-post="/requests/coach/"' in body and 'hx-trigger="keyup changed delay:500ms' in body
    assert 'id="coach" aria-live="polite"' in body
    assert '<label for="id_title"' in body


# --- the request page and its actions ---------------------------------------------------------------

def test_request_page_shows_the_sides_actions(login, cast, submitted):
    provider = login(cast.pete).get(f"/requests/{submitted.pk}/").content.decode()
    assert f'action="/requests/{submitted.pk}/acknowledge/"' in provider
    assert f'action="/requests/{submitted.pk}/commit/"' in provider
    assert f'action="/requests/{submitted.pk}/escalate/"' not in provider
    requester = login(cast.remy).get(f"/requests/{submitted.pk}/").content.decode()
    # before a warning's grace period has passed, escalation is offered only as an emergency
    assert f'action="/requests/{submitted.pk}/escalate/"' not in requester
    assert f'action="/requests/{submitted.pk}/emergency/"' in requester
    assert f'action="/requests/{submitted.pk}/warn/"' in requester
    assert f'action="/requests/{submitted.pk}/acknowledge/"' not in requester
    assert CONTEXT in requester


def test_the_wrong_side_cannot_act(login, cast, submitted):
    response = act(login(cast.remy), submitted, "acknowledge")
    assert response.status_code == 403
    assert b"Only members of the provider team (Platform) may acknowledge." in response.content
    response = act(login(cast.pete), submitted, "withdraw", reason="no")
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_the_provider_acknowledges_commits_and_slips_with_prg(login, cast, submitted):
    client = login(cast.pete)
    response = act(client, submitted, "acknowledge")
    assert response.status_code == 302 and response["Location"] == f"/requests/{submitted.pk}/"
    response = act(client, submitted, "commit", date=str(days(11)), note="Thursday works")
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.COMMITTED and submitted.committed_date == days(11)
    # a slip needs a reason: the service's sentence next to the reason field, nothing changed
    response = act(client, submitted, "slip", new_date=str(days(13)), reason="")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_slip-reason_error"' in body and "A reason for the slip is required." in body
    assert '<details class="action" id="act-slip" open>' in body
    submitted.refresh_from_db()
    assert submitted.committed_date == days(11) and submitted.slip_count == 0
    act(client, submitted, "slip", new_date=str(days(13)), reason="The storage order is late")
    page = client.get(f"/requests/{submitted.pk}/").content.decode()
    assert "Commitment changes" in page and "The storage order is late" in page
    assert "Changed the commitment from" in page


def test_a_transition_that_is_not_allowed_is_explained(login, cast, submitted):
    client = login(cast.pete)
    act(client, submitted, "acknowledge")
    # a second acknowledge is refused by the service (status), shown at the top of its form
    response = act(client, submitted, "acknowledge")
    assert response.status_code == 400
    assert b"Cannot acknowledge a request that is acknowledged" in response.content
    assert RequestEvent.objects.filter(request=submitted, kind=EventKind.ACKNOWLEDGED).count() == 1


def test_bad_date_is_the_forms_error(login, cast, submitted):
    response = act(login(cast.pete), submitted, "commit", date="next thursday")
    assert response.status_code == 400 and b"Enter a date as YYYY-MM-DD." in response.content
    assert b'id="id_commit-date_error"' in response.content
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_blockers_raised_and_cleared_from_either_side(login, cast, submitted):
    act(login(cast.pete), submitted, "blocker", description="Waiting for your schema")
    blocker = Blocker.objects.get()
    page = login(cast.remy).get(f"/requests/{submitted.pk}/").content.decode()
    assert "Waiting for your schema" in page and f"/blockers/{blocker.pk}/clear/" in page
    response = login(cast.remy).post(f"/requests/{submitted.pk}/blockers/{blocker.pk}/clear/",
                                     {f"clear-{blocker.pk}-resolution": "Schema sent"})
    assert response.status_code == 302
    blocker.refresh_from_db()
    assert blocker.cleared_by == cast.remy
    again = login(cast.remy).post(f"/requests/{submitted.pk}/blockers/{blocker.pk}/clear/", {})
    assert again.status_code == 400 and b"already cleared" in again.content
    assert login(cast.olga).post(f"/requests/{submitted.pk}/blockers/{blocker.pk}/clear/", {}).status_code == 404


def test_escalation_is_refused_before_the_grace_period_and_explained(login, cast, committed, frozen):
    client = login(cast.remy)
    response = act(client, committed, "escalate")
    assert response.status_code == 400
    assert b"Warn the provider first" in response.content
    assert act(client, committed, "warn").status_code == 302
    page = client.get(f"/requests/{committed.pk}/").content.decode()
    assert "you can escalate from" in page
    response = act(client, committed, "escalate")
    assert response.status_code == 400 and b"you can escalate from" in response.content
    # the emergency override needs a justification, shown by its field
    # (posted to the plain escalation, which the page no longer offers before the grace period
    # ends: the refusal is said at the top of the actions)
    response = act(client, committed, "escalate", emergency_override="on")
    assert response.status_code == 400 and b"say why it cannot wait" in response.content
    response = act(client, committed, "emergency")
    assert response.status_code == 400 and b'id="id_emergency-justification_error"' in response.content
    assert committed.escalations.count() == 0
    response = act(client, committed, "escalate", emergency_override="on", justification="The ward is full")
    assert response.status_code == 302 and committed.escalations.get().emergency_override


def test_forecast_confirm_change_and_withdraw(login, cast):
    forecast = make_forecast(cast)
    client = login(cast.remy)
    response = act(client, forecast, "forecast", probability="130")
    assert response.status_code == 400 and b'id="id_forecast-probability_error"' in response.content
    response = act(client, forecast, "forecast")
    assert response.status_code == 400 and b"Change at least one" in response.content
    assert act(client, forecast, "forecast", probability="90", reason="Client signed").status_code == 302
    assert act(client, forecast, "confirm").status_code == 302
    forecast.refresh_from_db()
    assert forecast.status == Status.SUBMITTED and forecast.probability == 90
    page = client.get(f"/requests/{forecast.pk}/").content.decode()
    assert "probability 80 → 90" in page and "Confirmed the forecast" in page
    other = make_forecast(cast, title="Maybe later")
    assert act(client, other, "withdraw", reason="Deal lost").status_code == 302
    other.refresh_from_db()
    assert other.status == Status.WITHDRAWN


def test_delivery_accept_rate_and_thank(login, cast, committed):
    act(login(cast.pete), committed, "deliver", note="In the console")
    client = login(cast.remy)
    response = act(client, committed, "accept", quality="9")
    assert response.status_code == 400 and b'id="id_accept-quality_error"' in response.content
    assert act(client, committed, "accept", quality="5").status_code == 302
    page = client.get(f"/requests/{committed.pk}/").content.decode()
    assert "Say thank you" in page and "what their work made possible" in page
    assert act(client, committed, "thank", message="Thank you!", impact="The go-live happened").status_code == 302
    page = client.get(f"/requests/{committed.pk}/").content.decode()
    assert "What it made possible:" in page and "The go-live happened" in page
    assert "what their work made possible" not in page


def test_reopen_as_rework_needs_what_is_missing(login, cast, committed):
    act(login(cast.pete), committed, "deliver")
    client = login(cast.remy)
    response = act(client, committed, "reopen", missing="")
    assert response.status_code == 400 and b"What is missing is required." in response.content
    assert act(client, committed, "reopen", missing="The read replica").status_code == 302
    committed.refresh_from_db()
    assert committed.status == Status.COMMITTED and committed.rework_count == 1


def test_comments_from_both_sides_and_decline(login, cast, submitted):
    assert act(login(cast.remy), submitted, "comment", text="Any news?").status_code == 302
    assert act(login(cast.pete), submitted, "comment", text="").status_code == 400
    response = act(login(cast.pete), submitted, "decline", reason="")
    assert response.status_code == 400 and b"A reason for declining is required." in response.content
    assert act(login(cast.pete), submitted, "decline", reason="Not our service").status_code == 302
    page = login(cast.remy).get(f"/requests/{submitted.pk}/").content.decode()
    assert "Any news?" in page and "Not our service" in page


# --- lists ----------------------------------------------------------------------------------------

def test_inbox_buckets_and_forecast_demand(login, cast, frozen):
    fresh = make_request(cast, title="Fresh")
    frozen.shift(dt.timedelta(days=2))
    late = make_request(cast, title="Late and blocked", need_by=days(30))
    services.commit_to_date(late, by=cast.pete, date=days(5), now=NOW + dt.timedelta(days=2, hours=1))
    services.raise_blocker(late, by=cast.pete, description="Disk order", now=NOW + dt.timedelta(days=2, hours=2))
    make_forecast(cast, need_by=days(21), probability=50)
    make_forecast(cast, need_by=days(22), probability=50, title="Another heads-up")
    client = login(cast.pete)
    page = client.get("/requests/inbox/platform/").content.decode()
    assert "Fresh" in page and "Late and blocked" in page and "Second reporting database" not in page
    unack = client.get("/requests/inbox/platform/?show=unacknowledged").content.decode()
    assert "Fresh" in unack and "Late and blocked" not in unack
    blocked = client.get("/requests/inbox/platform/?show=blocked").content.decode()
    assert "Late and blocked" in blocked and "Fresh" not in blocked
    assert 'aria-current="page">Blocked <span class="count">1</span>' in blocked
    # two 50 % forecasts due the same week weigh one request
    assert "Forecast demand by week" in page and '<td class="num">1</td>' in page
    assert fresh.pk


def test_inbox_home_redirects_to_the_one_team(login, cast):
    response = login(cast.pete).get("/requests/inbox/")
    assert response.status_code == 302 and response["Location"] == "/requests/inbox/platform/"
    assert b"You belong to no team" in login(cast.victor).get("/requests/inbox/").content


def test_inbox_is_paginated_and_its_queries_do_not_grow(login, cast, django_assert_max_num_queries, settings):
    settings.LIAISON_PAGE_SIZE = 10
    RequestFactory.create_batch(12, service=cast.service, requester=cast.remy, requester_team=cast.remote)
    client = login(cast.pete)
    with django_assert_max_num_queries(12):
        first = client.get("/requests/inbox/platform/")
    assert b"Page 1 of 2" in first.content
    RequestFactory.create_batch(30, service=cast.service, requester=cast.remy, requester_team=cast.remote)
    with django_assert_max_num_queries(12):
        page = client.get("/requests/inbox/platform/?show=new&page=2")
    assert page.status_code == 200 and b"Page 2 of 5" in page.content


def test_my_requests_tabs_pagination_and_queries(login, cast, django_assert_max_num_queries, settings):
    settings.LIAISON_PAGE_SIZE = 10
    RequestFactory.create_batch(15, service=cast.service, requester=cast.remy, requester_team=cast.remote)
    make_forecast(cast, title="Heads-up for Q3")
    RequestFactory(service=cast.service, requester=cast.pete, requester_team=cast.platform, title="Not Remy's")
    client = login(cast.remy)
    with django_assert_max_num_queries(6):
        page = client.get("/requests/")
    body = page.content.decode()
    assert "Page 1 of 2" in body and "Not Remy" not in body and "Heads-up for Q3" not in body
    assert 'Forecasts <span class="count">1</span>' in body
    forecasts = client.get("/requests/?show=forecasts").content.decode()
    assert "Heads-up for Q3" in forecasts and "80 % likely" in forecasts
    delivered = client.get("/requests/?show=delivered").content.decode()
    assert "Nothing here" in delivered
    RequestFactory.create_batch(30, service=cast.service, requester=cast.remy, requester_team=cast.remote)
    with django_assert_max_num_queries(6):
        client.get("/requests/?show=all&page=3")


def test_nav_links_to_requests_and_inbox(login, cast):
    body = login(cast.remy).get("/requests/").content.decode()
    assert '<a href="/requests/" aria-current="page">Requests</a>' in body
    assert '<a href="/requests/inbox/">Inbox</a>' in body
    assert reverse("requests:detail", args=[1]) == Request(pk=1).get_absolute_url()
