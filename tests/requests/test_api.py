"""The requests API: every step over HTTP, who may call what, bad input, query counts."""

import datetime as dt
import re

import pytest
import time_machine

from liaison.notify.models import Notification
from liaison.org.services import create_token
from liaison.requests.models import Request, RequestEvent
from tests.requests.conftest import CONTEXT, NOW, days

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def api(client):
    """api(person).post(path, json) — calls with the person's bearer token (None: anonymous)."""
    class Caller:
        def __init__(self, person):
            self.headers = {}
            if person is not None:
                _, key = create_token(person)
                self.headers = {"Authorization": f"Bearer {key}"}

        def call(self, method, path, body=None):
            kwargs = {"content_type": "application/json", "headers": self.headers}
            if body is not None:
                kwargs["data"] = body
            return getattr(client, method)(f"/api/v1{path}", **kwargs)

        def get(self, path):
            return self.call("get", path)

        def post(self, path, body=None):
            return self.call("post", path, body if body is not None else {})

        def patch(self, path, body):
            return self.call("patch", path, body)

    return Caller


NEW = {"service": "db", "title": "Reporting database", "context": CONTEXT, "need_by": str(days(14)),
       "date_kind": "hard", "options": "Any day that week"}


@pytest.fixture
def rid(cast, api):
    response = api(cast.remy).post("/requests", NEW)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_walk_a_request_from_forecast_to_thanks(cast, api):
    remy, pete = api(cast.remy), api(cast.pete)
    r = remy.post("/requests/forecasts", {**NEW, "need_by": str(days(21)), "probability": 80,
                                          "confirm_by": str(days(7))})
    assert r.status_code == 201 and r.json()["status"] == "forecast"
    pk = r.json()["id"]
    assert remy.patch(f"/requests/{pk}/forecast", {"probability": 90, "reason": "Signed"}).json()["probability"] == 90
    demand = pete.get("/requests/forecast-demand?team=platform&weeks=4").json()
    assert demand[3] == {"week": str(days(21)), "forecast_count": 1, "forecast_load": 0.9, "confirmed_count": 0}
    steps = [
        (remy, f"/requests/{pk}/confirm", {}, "submitted"),
        (pete, f"/requests/{pk}/acknowledge", None, "acknowledged"),
        (pete, f"/requests/{pk}/commit", {"date": str(days(18)), "note": "Thursday"}, "committed"),
        (pete, f"/requests/{pk}/slip", {"new_date": str(days(19)), "reason": "Storage late"}, "committed"),
        (pete, f"/requests/{pk}/progress", {"text": "Half done"}, "committed"),
        (remy, f"/requests/{pk}/blockers", {"description": "VPN down"}, "committed"),
        (remy, f"/requests/{pk}/warn", {"message": "Client waiting"}, "committed"),
        (pete, f"/requests/{pk}/deliver", {"note": "Done"}, "delivered"),
        (remy, f"/requests/{pk}/reopen", {"missing": "Read-only user"}, "committed"),
        (pete, f"/requests/{pk}/deliver", {}, "delivered"),
        (remy, f"/requests/{pk}/accept", {"quality": 4}, "accepted"),
        (remy, f"/requests/{pk}/thanks", {"message": "Thank you", "impact": "We went live"}, "accepted"),
        (pete, f"/requests/{pk}/comments", {"text": "Glad it helped"}, "accepted"),
    ]
    for caller, path, body, status in steps:
        response = caller.post(path, body)
        assert response.status_code == 200, (path, response.content)
        assert response.json()["status"] == status, path
    detail = remy.get(f"/requests/{pk}").json()
    assert detail["slip_count"] == 1 and detail["rework_count"] == 1 and detail["quality"] == 4
    assert detail["slips"][0]["reason"] == "Storage late" and detail["blockers"][0]["description"] == "VPN down"
    blocker = detail["blockers"][0]["id"]
    assert remy.post(f"/requests/{pk}/blockers/{blocker}/clear", {"resolution": "Fixed"}).json()["open_blockers"] == 0
    events = [e["kind"] for e in remy.get(f"/requests/{pk}/events").json()]
    assert events == ["created", "forecast_changed", "confirmed", "acknowledged", "committed", "slipped",
                      "progress", "blocked", "warned", "delivered", "reopened", "delivered", "accepted", "thanked",
                      "commented", "unblocked"]


def test_blocker_clear_and_emergency_escalation(cast, api, rid):
    remy, pete = api(cast.remy), api(cast.pete)
    blocker = pete.post(f"/requests/{rid}/blockers", {"description": "Need schema"}).json()["blockers"][0]["id"]
    r = remy.post(f"/requests/{rid}/blockers/{blocker}/clear", {"resolution": "Sent"})
    assert r.status_code == 200 and r.json()["open_blockers"] == 0
    r = remy.post(f"/requests/{rid}/escalate", {})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "warning"
    r = remy.post(f"/requests/{rid}/escalate", {"emergency_override": True, "justification": "Patient waiting"})
    assert r.status_code == 200 and r.json()["escalated_at"]
    assert pete.post(f"/requests/{rid}/decline", {"reason": "Not ours"}).json()["status"] == "declined"


def test_withdraw_over_the_api(cast, api, rid):
    assert api(cast.remy).post(f"/requests/{rid}/withdraw", {"reason": "No longer needed"}).json()["status"] == \
        "withdrawn"


# --- who may call what ----------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/requests/{id}", None),
    ("get", "/requests/{id}/events", None),
    ("patch", "/requests/{id}/forecast", {"probability": 50}),
    ("post", "/requests/{id}/confirm", {}),
    ("post", "/requests/{id}/withdraw", {}),
    ("post", "/requests/{id}/acknowledge", {}),
    ("post", "/requests/{id}/commit", {"date": "2026-03-12"}),
    ("post", "/requests/{id}/slip", {"new_date": "2026-03-13", "reason": "x"}),
    ("post", "/requests/{id}/decline", {"reason": "x"}),
    ("post", "/requests/{id}/progress", {"text": "x"}),
    ("post", "/requests/{id}/blockers", {"description": "x"}),
    ("post", "/requests/{id}/blockers/1/clear", {}),
    ("post", "/requests/{id}/warn", {}),
    ("post", "/requests/{id}/escalate", {"emergency_override": True, "justification": "x"}),
    ("post", "/requests/{id}/deliver", {}),
    ("post", "/requests/{id}/accept", {"quality": 5}),
    ("post", "/requests/{id}/reopen", {"missing": "x"}),
    ("post", "/requests/{id}/thanks", {"message": "x"}),
    ("post", "/requests/{id}/comments", {"text": "x"}),
]
LISTS = [("get", "/requests"), ("get", "/requests/inbox?team=platform"),
         ("get", "/requests/forecast-demand?team=platform"), ("post", "/requests/coach"),
         ("post", "/requests"), ("post", "/requests/forecasts")]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_anonymous_gets_401_and_outsider_404_and_nothing_changes(cast, api, rid, method, path, body):
    before = (RequestEvent.objects.count(), Request.objects.get(pk=rid).status)
    url = path.format(id=rid)
    assert api(None).call(method, url, body).status_code == 401
    response = api(cast.olga).call(method, url, body)
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert (RequestEvent.objects.count(), Request.objects.get(pk=rid).status) == before


@pytest.mark.parametrize(("method", "path"), LISTS)
def test_lists_and_creates_need_a_sign_in(cast, api, method, path):
    assert api(None).call(method, path, {} if method == "post" else None).status_code == 401


def test_outsiders_do_not_see_the_request_in_lists_nor_the_inbox(cast, api, rid):
    olga = api(cast.olga)
    assert olga.get("/requests").json()["count"] == 0
    assert olga.get("/requests/inbox?team=platform").status_code == 404
    assert olga.get("/requests/forecast-demand?team=platform").status_code == 404
    for person in (cast.remy, cast.rita, cast.pete, cast.paula, cast.cleo, cast.victor):
        assert [r["id"] for r in api(person).get("/requests").json()["items"]] == [rid], person
    assert api(cast.victor).get("/requests/inbox?team=platform").json()["count"] == 1  # manager above the lead


PROVIDER_ONLY = ["acknowledge", "decline", "progress", "deliver", "commit"]
REQUESTER_ONLY = ["withdraw", "warn", "escalate"]
BODIES = {"decline": {"reason": "x"}, "progress": {"text": "x"}, "commit": {"date": "2026-03-12"},
          "escalate": {"emergency_override": True, "justification": "x"}}


@pytest.mark.parametrize("step", PROVIDER_ONLY)
def test_the_requesting_side_cannot_act_as_provider(cast, api, rid, step):
    response = api(cast.remy).post(f"/requests/{rid}/{step}", BODIES.get(step, {}))
    assert response.status_code == 403 and "provider team" in response.json()["detail"]
    assert RequestEvent.objects.filter(request_id=rid).count() == 1


@pytest.mark.parametrize("step", REQUESTER_ONLY)
def test_the_provider_side_cannot_act_as_requester(cast, api, rid, step):
    response = api(cast.pete).post(f"/requests/{rid}/{step}", BODIES.get(step, {}))
    assert response.status_code == 403 and "requesting team" in response.json()["detail"]
    assert RequestEvent.objects.filter(request_id=rid).count() == 1


def test_requester_only_steps_after_delivery(cast, api, rid):
    api(cast.pete).post(f"/requests/{rid}/deliver", {})
    for step, body in [("accept", {"quality": 5}), ("reopen", {"missing": "x"}), ("thanks", {"message": "x"})]:
        assert api(cast.pete).post(f"/requests/{rid}/{step}", body).status_code == 403


def test_a_lead_up_the_tree_sees_but_does_not_act(cast, api, rid):
    victor = api(cast.victor)
    assert victor.get(f"/requests/{rid}").status_code == 200
    assert victor.post(f"/requests/{rid}/acknowledge").status_code == 403
    assert victor.post(f"/requests/{rid}/comments", {"text": "Hi"}).status_code == 403


# --- bad input ---------------------------------------------------------------------------

def unchanged_counts():
    return Request.objects.count(), RequestEvent.objects.count(), Notification.objects.count()


def test_need_by_in_the_past_is_a_400_naming_the_field(cast, api):
    before = unchanged_counts()
    r = api(cast.remy).post("/requests", {**NEW, "need_by": str(days(-1))})
    assert r.status_code == 400
    assert r.json()["errors"] == [{"field": "need_by", "message": (
        "The need-by date 2026-03-01 is in the past; choose today or a later date.")}]
    assert unchanged_counts() == before


def test_probability_130_is_a_400(cast, api):
    before = unchanged_counts()
    r = api(cast.remy).post("/requests/forecasts", {**NEW, "probability": 130, "confirm_by": str(days(7))})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "probability"
    assert "130" in r.json()["detail"]
    assert unchanged_counts() == before


def test_a_commitment_on_a_withdrawn_request_is_a_400_naming_the_rule(cast, api, rid):
    api(cast.remy).post(f"/requests/{rid}/withdraw", {})
    before = unchanged_counts()
    r = api(cast.pete).post(f"/requests/{rid}/commit", {"date": str(days(10))})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "status"
    assert "withdrawn" in r.json()["detail"]
    assert unchanged_counts() == before and Request.objects.get(pk=rid).committed_date is None


def test_short_notice_needs_its_sentence(cast, api):
    r = api(cast.remy).post("/requests", {**NEW, "need_by": str(days(2))})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "short_notice_owned"
    r = api(cast.remy).post("/requests", {**NEW, "need_by": str(days(2)), "short_notice_owned": "My fault, sorry."})
    assert r.status_code == 201 and r.json()["short_notice"] is True


def test_unknown_service_and_foreign_team(cast, api):
    assert api(cast.remy).post("/requests", {**NEW, "service": "nope"}).json()["errors"][0]["field"] == "service"
    r = api(cast.remy).post("/requests", {**NEW, "requester_team": "platform"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "requester_team"


def test_unknown_inbox_bucket(cast, api):
    r = api(cast.pete).get("/requests/inbox?team=platform&bucket=someday")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "bucket"


# --- inbox, lists, coach -----------------------------------------------------------------------

def test_inbox_buckets(cast, api, rid):
    pete = api(cast.pete)
    assert [r["id"] for r in pete.get("/requests/inbox?team=platform&bucket=new").json()["items"]] == [rid]
    assert pete.get("/requests/inbox?team=platform&bucket=overdue").json()["count"] == 0
    with time_machine.travel(dt.datetime.combine(days(15), dt.time(9), tzinfo=dt.UTC), tick=False):
        assert pete.get("/requests/inbox?team=platform&bucket=unacknowledged").json()["count"] == 1
        assert pete.get("/requests/inbox?team=platform&bucket=overdue").json()["count"] == 1
    api(cast.remy).post(f"/requests/{rid}/blockers", {"description": "x"})
    assert pete.get("/requests/inbox?team=platform&bucket=blocked").json()["count"] == 1


def test_my_requests_filters(cast, api, rid):
    remy = api(cast.remy)
    assert remy.get("/requests?role=mine").json()["count"] == 1
    assert remy.get("/requests?role=provider").json()["count"] == 0
    assert api(cast.pete).get("/requests?role=provider&status=submitted").json()["count"] == 1
    assert remy.get("/requests?status=accepted").json()["count"] == 0
    assert remy.get("/requests?status=bogus").status_code == 400


def test_coach_over_the_api(cast, api):
    r = api(cast.remy).post("/requests/coach", {"service": "db", "title": "NEED THIS ASAP", "context": "pls",
                                                "need_by": str(days(2)), "date_kind": "hard"})
    codes = {a["code"] for a in r.json()}
    assert codes == {"context_thin", "hard_date_no_options", "demanding_wording", "all_capitals",
                     "short_notice_not_owned"}


# --- cost per call ---------------------------------------------------------------------------------

def test_create_costs_a_fixed_handful_of_queries(cast, api, django_assert_max_num_queries):
    remy = api(cast.remy)
    remy.post("/requests", NEW)  # warm up (token last_used_at)
    with django_assert_max_num_queries(8) as ctx:
        response = remy.post("/requests", NEW)
    assert response.status_code == 201
    # request, event, notifications: three INSERTs (on PostgreSQL in one WITH statement)
    assert sum(len(re.findall(r"\bINSERT\b", q["sql"])) for q in ctx.captured_queries) == 3


def test_list_cost_does_not_grow_with_rows(cast, api, django_assert_max_num_queries):
    remy = api(cast.remy)
    for i in range(30):
        remy.post("/requests", {**NEW, "title": f"Ask {i}"})
    with django_assert_max_num_queries(6):
        assert remy.get("/requests?page_size=25").json()["count"] == 30
    pete = api(cast.pete)
    pete.get("/requests/inbox?team=platform")
    with django_assert_max_num_queries(7):
        assert len(pete.get("/requests/inbox?team=platform&page_size=25").json()["items"]) == 25
