"""Bad input to the agenda API is a 4xx naming the field, never a 500, and changes nothing.

Found by hand once: a JSON null for an optional text field of a PATCH (the columns are NOT
NULL) and a maintenance window at 27:79, which failed before any permission check.
"""

import pytest

from liaison.agenda.models import MaintenanceWindow

from .test_api import bearer

pytestmark = pytest.mark.django_db


def _fields(response):
    body = response.json()
    return {str(e.get("loc", [None])[-1]) for e in body.get("detail", [])} if isinstance(body.get("detail"), list) \
        else {e["field"] for e in body.get("errors", [])}


@pytest.mark.parametrize("field", ["title", "description", "risk", "rollback_plan", "services", "confidential",
                                   "shared_with"])
def test_null_in_a_change_patch_names_the_field(client, story, upgrade, field):
    before = upgrade.__class__.objects.filter(pk=upgrade.pk).values().get()
    response = client.patch(f"/api/v1/agenda/changes/{upgrade.pk}", {field: None}, content_type="application/json",
                            **bearer(story.engineer))
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    assert upgrade.__class__.objects.filter(pk=upgrade.pk).values().get() == before


@pytest.mark.parametrize("field", ["title", "description", "criticality", "audience", "buffer_hours", "services",
                                   "start", "end", "time_zone", "confidential", "shared_with"])
def test_null_in_an_event_patch_names_the_field(client, story, field):
    event = story.event
    response = client.patch(f"/api/v1/agenda/events/{event.pk}", {field: None}, content_type="application/json",
                            **bearer(story.lc))
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    event.refresh_from_db()
    assert event.title == "Meet the architect" and event.description == ""


def test_leaving_fields_out_of_a_patch_keeps_them(client, story):
    response = client.patch(f"/api/v1/agenda/events/{story.event.pk}", {"audience": "Press"},
                            content_type="application/json", **bearer(story.lc))
    assert response.status_code == 200 and response.json()["title"] == "Meet the architect"
    assert response.json()["audience"] == "Press"


@pytest.mark.parametrize("who", ["engineer", "outsider"])
@pytest.mark.parametrize("times", [("27:79", "10:00"), ("06:00", "24:00"), ("6", "10:00"), ("06:00", None),
                                   ("06:00+02:00", "10:00")])
def test_impossible_times_of_a_maintenance_window_are_a_422(client, story, outsider, who, times):
    person = outsider if who == "outsider" else story.engineer
    start, end = times
    response = client.post(f"/api/v1/agenda/services/{story.corp_net.slug}/maintenance-windows",
                           {"weekday": 2, "start_time": start, "end_time": end},
                           content_type="application/json", **bearer(person))
    assert response.status_code == 422, response.content
    assert _fields(response) & {"start_time", "end_time"}
    assert not MaintenanceWindow.objects.exists()


@pytest.mark.parametrize("start", ["2030-02-30T10:00:00Z", "2030-03-13T25:00:00Z", "10000-01-01T00:00:00Z",
                                   "0000-01-01T00:00:00Z", None])
def test_impossible_dates_of_an_event_are_a_422(client, story, start):
    body = {"team": story.marketing.slug, "title": "Webinar", "services": [story.webinar.slug],
            "start": start, "end": "2030-04-02T16:00:00Z"}
    response = client.post("/api/v1/agenda/events", body, content_type="application/json", **bearer(story.marketer))
    assert response.status_code == 422, response.content
    assert "start" in _fields(response)
