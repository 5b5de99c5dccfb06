import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from liaison.network import meetings, services
from liaison.network.models import Interaction, Kind, Nudge
from liaison.org.services import create_token

SECRET = "private: Sue is leaving"
ICS = (Path(__file__).parent / "fixtures" / "outlook_ops_sync.ics").read_text()


@pytest.fixture
def story(world, meet):
    today = timezone.localdate()
    meet(world["ana"], [world["sue"]], today - timedelta(days=2), note=SECRET, now=timezone.now())
    meet(world["sue"], [world["carl"]], today - timedelta(days=1), kind=Kind.VISIT, now=timezone.now())
    series = meetings.create_series(name="Ops sync", owner_team=world["hq"], expected_teams=[world["remote"]],
                                    by=world["raj"])
    occurrence = meetings.add_occurrence(series, starts_at=timezone.now() - timedelta(days=1), by=world["raj"])
    plan = services.start_homework(world["bo"], colleague=world["sue"])
    services.send_nudges(timezone.now() + timedelta(days=90))
    return {**world, "series": series, "occurrence": occurrence, "plan": plan}


@pytest.fixture
def api(client):
    def call(person, method, path, body=None):
        headers = {}
        if person is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {create_token(person)[1]}"
        kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
        return getattr(client, method)(f"/api/v1/network/{path}", **kwargs, **headers)

    return call


def endpoints(s):
    return [("get", "interactions", None), ("post", "interactions", {"kind": "visit", "occurred_on": "2026-01-01",
                                                                      "participants": ["sue@corp.example"]}),
            ("get", f"people/{s['ana'].pk}/ties", None), ("get", "path?to=carl@corp.example", None),
            ("get", "bridges?team_a=remote-office&team_b=hq-platform", None),
            ("get", "teams/remote-office/partners", None), ("get", "nudges", None),
            ("get", "teams/remote-office/cadence", None), ("put", "teams/remote-office/cadence", {"cadence_days": 30}),
            ("get", "homework", None), ("post", "homework", {"colleague": "raj@corp.example"}),
            ("post", f"homework/{s['plan'].pk}/steps", {"step": "reached_out"}),
            ("get", "teams/remote-office/homework", None), ("get", "meetings", None),
            ("post", "meetings", {"name": "x", "owner_team": "remote-office", "expected_teams": ["hq-platform"]}),
            ("get", f"meetings/{s['series'].pk}", None),
            ("post", f"meetings/{s['series'].pk}/attendance", {"occurrence": s["occurrence"].pk,
                                                               "person": "ana@corp.example", "status": "attended"}),
            ("post", f"meetings/{s['series'].pk}/import", {"ics": ICS})]


def test_every_endpoint_refuses_anonymous_callers(api, story):
    for method, path, body in endpoints(story):
        assert api(None, method, path, body).status_code == 401, path


def test_an_outsider_reads_the_open_parts_and_changes_nothing_else(api, story, outsider):
    allowed_writes = {"interactions", "homework"}  # their own: logging with someone, starting a plan
    for method, path, body in endpoints(story):
        response = api(outsider, method, path, body)
        assert SECRET not in response.content.decode(), path
        if method == "get" and path in ("teams/remote-office/homework",):
            assert response.status_code == 403, path
        elif method == "get":
            assert response.status_code == 200, path
        elif path in allowed_writes:
            assert response.status_code == 201, (path, response.content)
        else:
            assert response.status_code in (403, 404), (path, response.status_code)
    assert api(outsider, "get", "nudges").json()["items"] == []
    assert api(outsider, "get", "teams/remote-office/cadence").json()["cadence_days"] == 60


def test_log_through_the_api_and_bad_input_names_the_field(api, story):
    before = Interaction.objects.count()
    response = api(story["raj"], "post", "interactions", {
        "kind": "one_on_one", "occurred_on": str(timezone.localdate() + timedelta(days=1)),
        "participants": ["ghost@corp.example"]})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"occurred_on", "participants"}
    assert Interaction.objects.count() == before
    response = api(story["bo"], "post", "interactions", {
        "kind": "one_on_one", "occurred_on": str(timezone.localdate()), "participants": ["raj@corp.example"],
        "note": "ok"})
    assert response.status_code == 201 and response.json()["note"] == "ok"
    assert Nudge.objects.open().count() == 0  # the interaction cleared remote → hq


def test_path_and_ties_through_the_api(api, story):
    path = api(story["ana"], "get", "path?to=carl@corp.example").json()
    assert path["found"] and [p["name"] for p in path["people"]] == ["Ana Remote", "Sue Hq", "Carl Finance"]
    assert path["steps"][0]["text"].startswith("Ana Remote met Sue Hq once this quarter")
    ties = api(story["carl"], "get", f"people/{story['ana'].pk}/ties").json()
    assert ties[0]["person"]["name"] == "Sue Hq" and ties[0]["label"] == "strong"
    mine = api(story["sue"], "get", "interactions").json()["items"]
    assert all(i["note"] == "" for i in mine)  # Sue took part, Ana wrote the note
    assert api(story["ana"], "get", "path?to=ana@corp.example").status_code == 400


def test_meetings_through_the_api(api, story):
    assert api(story["raj"], "post", f"meetings/{story['series'].pk}/import", {"ics": ICS}).status_code == 200
    response = api(story["raj"], "post", f"meetings/{story['series'].pk}/attendance", {
        "occurrence": story["occurrence"].pk, "person": "ana@corp.example", "status": "maybe"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "status"
    detail = api(story["ana"], "get", f"meetings/{story['series'].pk}").json()
    assert [t["team"]["slug"] for t in detail["teams"]] == ["hq-platform", "remote-office"]


def test_the_path_refuses_a_blank_or_hidden_target_naming_the_field(api, story, outsider):
    gone = story["bo"]
    gone.is_active = False  # deactivated: hidden from the directory, answered like no one
    gone.save()
    for to, message in [("", "Give the email address of the person you want to reach."),
                        ("%C2%B2", "No one with the address ² in the directory you can see."),
                        ("bo@corp.example", "No one with the address bo@corp.example in the directory you can see."),
                        (str(gone.pk), f"No one with the id {gone.pk} in the directory you can see."),
                        ("99999999999999999999", "No one with the id 99999999999999999999 in the directory you can "
                                                 "see.")]:
        response = api(outsider, "get", f"path?to={to}")
        assert response.status_code == 400, (to, response.content)
        assert response.json()["errors"] == [{"field": "to", "message": message}], to
    response = api(outsider, "get", "path?to=ghost@corp.example")
    assert response.json()["errors"][0]["message"].replace("ghost", "bo") == \
        api(outsider, "get", "path?to=bo@corp.example").json()["errors"][0]["message"]


def test_ids_in_the_path_are_checked_by_the_api_not_the_url(api, story):
    for path in ("people/x/ties", "homework/x/steps", "meetings/x", "meetings/x/attendance", "meetings/x/import"):
        method = "get" if path in ("people/x/ties", "meetings/x") else "post"
        response = api(story["raj"], method, path, {} if method == "post" else None)
        assert response.status_code == 422 and response["Content-Type"].startswith("application/json"), path


def test_a_bad_calendar_is_refused_naming_the_ics_field(api, story):
    for ics in ("not a calendar", ICS.replace("Ops sync", "Ops\x00sync"), ""):
        response = api(story["raj"], "post", f"meetings/{story['series'].pk}/import", {"ics": ics})
        assert response.status_code in (400, 422), ics[:20]
        assert "ics" in response.content.decode(), ics[:20]
    response = api(story["raj"], "post", f"meetings/{story['series'].pk}/import", {"ics": "not a calendar"})
    assert response.json()["errors"] == [{"field": "ics", "message": response.json()["errors"][0]["message"]}]
    assert not story["series"].occurrences.exclude(pk=story["occurrence"].pk).exists()
