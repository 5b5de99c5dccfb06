"""The API: every operation as the services' rules, 400 naming the field, 404 to outsiders."""

import datetime as dt

import pytest
import time_machine

from liaison.incidents.models import Incident
from liaison.org.services import create_token

from .conftest import DURING


@pytest.fixture(autouse=True)
def during():
    with time_machine.travel(DURING, tick=False):
        yield


def api(client, person):
    _, key = create_token(person)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def call(method, url, data=None):
        kwargs = {"content_type": "application/json", "data": data} if data is not None else {}
        return getattr(client, method)(f"/api/v1{url}", **kwargs, **headers)
    return call


def test_the_story_over_the_api(story, client):
    mia, sam, lars, olga = (api(client, p) for p in (story.mia, story.sam, story.lars, story.olga))
    r = mia("post", "/incidents", {"title": "Webinar dropped", "conflict_id": story.conflict.pk})
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["service_team"]["slug"] == "network-group" and r.json()["no_retrospective_yet"] is True
    assert mia("post", f"/incidents/{pk}/impacts", {"team": "product-marketing", "unit": "customers_affected",
                                                     "amount": "120", "what_happened": "Dropped"}).status_code == 201
    assert mia("get", f"/incidents/{pk}").json()["severity"] == "critical"
    totals = mia("get", f"/incidents/{pk}/totals").json()
    assert totals["units"][0]["total"] in ("120.00", 120, "120")
    proposals = mia("get", f"/incidents/{pk}/proposed-teams").json()
    sales = next(p for p in proposals if p["label"] == "Sales Enablement")
    assert mia("post", f"/incidents/{pk}/invite", {"token": sales["token"]}).status_code == 200
    assert sam("post", f"/incidents/{pk}/join", {"team": "sales-enablement"}).status_code == 200
    assert mia("put", f"/incidents/{pk}/causes", {"causes": "x"}).status_code == 400
    assert mia("post", f"/incidents/{pk}/stable", {"text": ""}).json()["status"] == "stable"
    assert mia("put", f"/incidents/{pk}/causes", {"causes": "Window chosen without the event calendar"}
               ).status_code == 200
    retro = mia("get", f"/incidents/{pk}/retrospective").json()
    assert retro["facilitator"]["email"] == "fiona@corp.example"
    r = mia("post", f"/incidents/{pk}/retrospective/schedule", {"scheduled_at": "2030-03-18T14:00:00Z",
                                                               "location": "Room 4B"})
    assert r.status_code == 200 and r.json()["scheduled_at"].startswith("2030-03-18T14:00")
    r = mia("post", f"/incidents/{pk}/action-items", {"title": "Ten days' notice", "owner": "nico@corp.example",
                                                      "due": "2030-04-01"})
    assert r.status_code == 201 and r.json()["status"] == "committed"
    item = r.json()["id"]
    nico = api(client, story.nico)
    assert nico("post", f"/incidents/action-items/{item}/slip", {"new_date": "2030-04-08", "reason": "Vendor"}
                ).json()["slips"] == 1
    r = mia("post", "/incidents/alliances", {"team": "product-marketing", "incident_id": pk,
                                             "ask_kind": "notice_policy", "ask_text": "Ten days' notice"})
    assert r.status_code == 201
    alliance = r.json()["id"]
    assert sam("post", f"/incidents/alliances/{alliance}/invite", {"team": "support"}).status_code == 404  # not his
    assert lars("post", f"/incidents/alliances/{alliance}/answer", {"answer": "Agreed"}).status_code == 200
    assert len(mia("get", f"/incidents/{pk}/timeline").json()) >= 6
    # the outsider: nothing, on every door
    for url in (f"/incidents/{pk}", f"/incidents/{pk}/timeline", f"/incidents/{pk}/totals",
                f"/incidents/{pk}/impacts", f"/incidents/{pk}/retrospective", f"/incidents/{pk}/action-items",
                f"/incidents/{pk}/proposed-teams", f"/incidents/{pk}/alliance-candidates",
                f"/incidents/alliances/{alliance}", f"/incidents/alliances/{alliance}/numbers"):
        assert olga("get", url).status_code == 404, url
    for url, data in ((f"/incidents/{pk}/impacts", {"team": "outsiders", "unit": "money", "amount": 1,
                                                     "what_happened": "x"}),
                      (f"/incidents/{pk}/reopen", {"reason": "x"}), (f"/incidents/{pk}/join", {"team": "outsiders"}),
                      (f"/incidents/action-items/{item}/slip", {"new_date": "2030-05-01", "reason": "x"}),
                      (f"/incidents/alliances/{alliance}/sign", {"team": "outsiders"})):
        assert olga("post", url, data).status_code == 404, url
    assert olga("get", "/incidents").json()["count"] == 0
    # the conflict is public, so are its candidates; the incidents behind them are not
    rows = olga("get", f"/incidents/conflicts/{story.conflict.pk}/alliance-candidates").json()
    assert all(r["incident_ids"] == [] and r["totals"] == [] for r in rows)
    assert "Support" not in {r["label"] for r in rows}
    assert olga("get", "/incidents/alliances").json()["count"] == 0


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": ""}, "title"),
    ({"title": "x", "conflict_id": 999999}, "conflict_id"),
    ({"title": "x", "team": "nope"}, "team"),
    ({"title": "x", "kind": "meteor"}, "kind"),
    ({"title": "x", "services": ["nope"]}, "services"),
])
def test_bad_input_is_a_400_naming_the_field(story, client, payload, field):
    r = api(client, story.mia)("post", "/incidents", payload)
    assert r.status_code == 400
    assert field in [e["field"] for e in r.json()["errors"]]
    assert not Incident.objects.exists()


def test_bad_impact_is_a_400_and_writes_nothing(story, client, incident):
    r = api(client, story.mia)("post", f"/incidents/{incident.pk}/impacts",
                               {"team": "product-marketing", "unit": "other", "amount": "3", "what_happened": "x"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "unit_label"
    assert not incident.impacts.exists()


def test_retrospective_past_ten_business_days_is_refused(story, client, incident):
    late = (DURING + dt.timedelta(days=40)).isoformat()
    r = api(client, story.mia)("post", f"/incidents/{incident.pk}/retrospective/schedule", {"scheduled_at": late})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "scheduled_at"
