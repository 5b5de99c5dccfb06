import pytest

from liaison.agenda import services as agenda
from liaison.agenda.models import Change, Conflict
from liaison.org.services import create_token

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def bearer(person):
    _token, key = create_token(person)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def urls(story, upgrade):
    conflict = Conflict.objects.get(change=upgrade)
    base = "/api/v1/agenda"
    return [f"{base}/changes", f"{base}/changes/{upgrade.pk}", f"{base}/changes/{upgrade.pk}/conflicts",
            f"{base}/changes/{upgrade.pk}/affected-customers", f"{base}/changes/{upgrade.pk}/proposals",
            f"{base}/events", f"{base}/events/{story.event.pk}", f"{base}/events/{story.event.pk}/conflicts",
            f"{base}/conflicts", f"{base}/conflicts/{conflict.pk}", f"{base}/freezes",
            f"{base}/services/{story.corp_net.slug}/maintenance-windows",
            f"{base}/teams/{story.marketing.slug}/calendar?start=2030-03-01T00:00Z&end=2030-04-01T00:00Z",
            f"{base}/notice", f"{base}/notice/{story.network.slug}", f"{base}/feeds"]


def test_every_endpoint_needs_authentication(client, story, upgrade):
    for url in urls(story, upgrade):
        assert client.get(url).status_code == 401, url
    assert client.post("/api/v1/agenda/changes", {}, content_type="application/json").status_code == 401


def test_every_endpoint_answers_a_member(client, story, upgrade):
    headers = bearer(story.marketer)
    for url in urls(story, upgrade):
        assert client.get(url, **headers).status_code == 200, url


def test_outsider_gets_404_on_confidential_items(client, story, outsider):
    secret = agenda.create_change(team=story.network, title="Secret", services=[story.corp_net], start=at(13, 9),
                                  end=at(13, 10), by=story.engineer, now=NOW, confidential=True)
    headers = bearer(outsider)
    assert client.get(f"/api/v1/agenda/changes/{secret.pk}", **headers).status_code == 404
    conflict = Conflict.objects.get(change=secret)
    assert client.get(f"/api/v1/agenda/conflicts/{conflict.pk}", **headers).status_code == 404
    listed = client.get("/api/v1/agenda/changes", **headers).json()
    assert listed["count"] == 0
    assert client.get("/api/v1/agenda/conflicts", **headers).json()["count"] == 0
    # and may not act on public ones
    response = client.post(f"/api/v1/agenda/changes/{secret.pk}/cancel", **headers)
    assert response.status_code == 404


def test_create_change_over_the_api_reports_the_conflict(client, story):
    response = client.post("/api/v1/agenda/changes", {
        "team": story.network.slug, "title": "Core upgrade", "services": [story.corp_net.slug],
        "start": "2030-03-13T09:00:00", "end": "2030-03-13T12:00:00", "time_zone": "Europe/Paris",
        "risk": "high", "publish": True}, content_type="application/json", **bearer(story.engineer))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["start"].startswith("2030-03-13T08:00") and body["open_conflicts"] == 1
    assert body["status"] == "published" and body["notice_days"] is not None
    conflicts = client.get(f"/api/v1/agenda/changes/{body['id']}/conflicts", **bearer(story.marketer)).json()
    assert conflicts[0]["path"] == ["Webinar Platform", "Corporate Network"]


@pytest.mark.parametrize("patch,field", [
    ({"end": "2030-03-13T07:00:00"}, "end"),
    ({"services": ["nope"]}, "services"),
    ({"team": "no-team"}, "team"),
    ({"end": "2030-07-01T00:00:00"}, "end"),
])
def test_bad_input_is_a_400_naming_the_field(client, story, patch, field):
    body = {"team": story.network.slug, "title": "X", "services": [story.corp_net.slug],
            "start": "2030-03-13T09:00:00", "end": "2030-03-13T12:00:00", **patch}
    response = client.post("/api/v1/agenda/changes", body, content_type="application/json",
                           **bearer(story.engineer))
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not Change.objects.exists()


def test_conflict_actions_over_the_api(client, story, upgrade):
    conflict = Conflict.objects.get(change=upgrade)
    url = f"/api/v1/agenda/conflicts/{conflict.pk}"
    r = client.post(f"{url}/ask-delay", {"text": "Please"}, content_type="application/json",
                    **bearer(story.marketer))
    assert r.status_code == 200 and r.json()["status"] == "delay_asked"
    r = client.post(f"{url}/accept-risk", {"text": ""}, content_type="application/json", **bearer(story.marketer))
    assert r.status_code == 403
    r = client.post(f"{url}/mitigate", {"text": "Backup link"}, content_type="application/json",
                    **bearer(story.engineer))
    assert r.status_code == 200 and r.json()["resolution"] == "mitigated"
    assert sorted(e["kind"] for e in r.json()["entries"]) == ["delay_asked", "detected", "resolved"]


def test_reschedule_and_pick_over_the_api(client, story, upgrade):
    headers = bearer(story.engineer)
    r = client.post(f"/api/v1/agenda/changes/{upgrade.pk}/reschedule",
                    {"start": "2030-03-20T08:00:00Z", "end": "2030-03-20T11:00:00Z", "reason": "asked"},
                    content_type="application/json", **headers)
    assert r.status_code == 200 and r.json()["sequence"] == 1 and r.json()["open_conflicts"] == 0
    r = client.post(f"/api/v1/agenda/changes/{upgrade.pk}/pick", {"start": "2030-03-21T08:00:00Z"},
                    content_type="application/json", **headers)
    assert r.status_code == 200 and r.json()["end"].startswith("2030-03-21T11:00")


def test_events_freezes_and_maintenance_over_the_api(client, story, org_admin):
    r = client.post("/api/v1/agenda/events", {
        "team": story.marketing.slug, "title": "Webinar", "services": [story.webinar.slug],
        "start": "2030-04-02T15:00:00Z", "end": "2030-04-02T16:00:00Z", "buffer_hours": 24,
        "criticality": "high"}, content_type="application/json", **bearer(story.marketer))
    assert r.status_code == 201 and r.json()["guard_start"].startswith("2030-04-01T15:00")
    r = client.post("/api/v1/agenda/freezes", {"title": "Close", "org_wide": True, "start": "2030-03-28T00:00:00Z",
                                               "end": "2030-03-31T00:00:00Z"},
                    content_type="application/json", **bearer(story.engineer))
    assert r.status_code == 403
    r = client.post("/api/v1/agenda/freezes", {"title": "Close", "org_wide": True, "start": "2030-03-28T00:00:00Z",
                                               "end": "2030-03-31T00:00:00Z"},
                    content_type="application/json", **bearer(org_admin))
    assert r.status_code == 201
    r = client.post(f"/api/v1/agenda/services/{story.corp_net.slug}/maintenance-windows",
                    {"weekday": 2, "start_time": "06:00", "end_time": "10:00", "time_zone": "Europe/Paris"},
                    content_type="application/json", **bearer(story.engineer))
    assert r.status_code == 201 and r.json()["time_zone"] == "Europe/Paris"


def test_feeds_over_the_api(client, story):
    headers = bearer(story.marketer)
    feeds = client.get("/api/v1/agenda/feeds", **headers).json()
    assert {f["owner"] for f in feeds} == {"Mia Marketing", "Product Marketing"}
    r = client.post(f"/api/v1/agenda/feeds/{feeds[0]['id']}/rotate", **headers)
    assert r.status_code == 200 and r.json()["url"] != feeds[0]["url"]
