from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.network import meetings, services
from liaison.network.models import Interaction, Kind, Nudge

SECRET = "Raj said the budget is frozen"


@pytest.fixture
def story(world, meet):
    today = timezone.localdate()
    for days in (3, 10, 30):
        meet(world["ana"], [world["sue"]], today - timedelta(days=days), note=SECRET, now=timezone.now())
    meet(world["sue"], [world["carl"]], today - timedelta(days=1), kind=Kind.VISIT, now=timezone.now())
    meet(world["bo"], [world["carl"]], today, kind=Kind.EXCHANGE, now=timezone.now())
    series = meetings.create_series(name="Ops sync", owner_team=world["hq"], expected_teams=[world["remote"]],
                                    by=world["raj"])
    plan = services.start_homework(world["bo"], colleague=world["sue"])
    return {**world, "series": series, "plan": plan}


def pages(s):
    return [reverse("network_home"), reverse("network_log"), reverse("network_nudges"),
            reverse("network_path") + "?to=carl@corp.example", reverse("network_person", args=[s["ana"].pk]),
            reverse("network_team", args=["remote-office"]), reverse("network_homework"),
            reverse("network_team_homework", args=["remote-office"]), reverse("network_series_list"),
            reverse("network_series", args=[s["series"].pk])]


def test_every_page_asks_anonymous_visitors_to_sign_in(client, story):
    for url in pages(story):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_an_outsider_sees_ties_and_strengths_but_no_notes_nor_other_teams_business(login, story, outsider):
    services.send_nudges(timezone.now() + timedelta(days=90))
    client = login(outsider)
    for url in pages(story):
        response = client.get(url)
        expected = 403 if "homework" in url and "teams" in url else 200
        assert response.status_code == expected, url
        assert SECRET not in response.content.decode(), url
    ties = client.get(reverse("network_person", args=[story["ana"].pk])).content.decode()
    assert "Sue Hq" in ties and "strong" in ties
    assert "Remote Office" not in client.get(reverse("network_nudges")).content.decode()
    assert client.post(reverse("network_team", args=["remote-office"]), {"cadence_days": 30}).status_code == 403
    assert client.post(reverse("network_series", args=[story["series"].pk]),
                       {"occurrence": 1, "person": "ana@corp.example", "status": "attended"}).status_code == 403
    assert client.post(reverse("network_homework_step", args=[story["plan"].pk]),
                       {"step": "reached_out"}).status_code == 404


def test_the_author_sees_their_note_and_the_participant_does_not(login, story):
    assert SECRET in login(story["ana"]).get(reverse("network_home")).content.decode()
    assert SECRET not in login(story["sue"]).get(reverse("network_home")).content.decode()


def test_log_an_interaction_page(login, story):
    client = login(story["raj"])
    response = client.post(reverse("network_log"), {"kind": "one_on_one", "occurred_on": timezone.localdate(),
                                                    "participants": "bo@corp.example", "note": "coffee"})
    assert response.status_code == 302
    assert Interaction.objects.filter(author=story["raj"]).count() == 1
    before = Interaction.objects.count()
    response = client.post(reverse("network_log"), {
        "kind": "one_on_one", "occurred_on": timezone.localdate() + timedelta(days=2),
        "participants": "ghost@corp.example"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "in the future" in body
    assert Interaction.objects.count() == before


def test_the_unknown_person_message_names_them(login, story):
    response = login(story["raj"]).post(reverse("network_log"), {
        "kind": "visit", "occurred_on": timezone.localdate(), "participants": "ghost@corp.example"})
    assert response.status_code == 400 and "ghost@corp.example" in response.content.decode()


def test_warm_path_page_explains_each_step_without_notes(login, story):
    body = login(story["ana"]).get(reverse("network_path"), {"to": "carl@corp.example"}).content.decode()
    assert "Ana Remote met Sue Hq 3 times this quarter" in body
    assert "Sue Hq visited Carl Finance once this quarter" in body
    assert SECRET not in body
    response = login(story["ana"]).get(reverse("network_path"), {"to": "nobody@corp.example"})
    assert response.status_code == 400 and "nobody@corp.example" in response.content.decode()


def test_team_network_shows_bridges_per_partner_team(login, story):
    body = login(story["raj"]).get(reverse("network_team", args=["remote-office"])).content.decode()
    assert "Remote Office and" in body and "HQ Platform" in body
    assert "Carl Finance" in body  # exchange with Bo, visit from Sue: a bridge


def test_the_lead_changes_the_cadence(login, story):
    response = login(story["ana"]).post(reverse("network_team", args=["remote-office"]), {"cadence_days": 30})
    assert response.status_code == 302 and services.cadence_of(story["remote"]) == 30
    response = login(story["ana"]).post(reverse("network_team", args=["remote-office"]), {"cadence_days": 2})
    assert response.status_code == 400 and services.cadence_of(story["remote"]) == 30


def test_homework_pages(login, story):
    client = login(story["bo"])
    client.post(reverse("network_homework_step", args=[story["plan"].pk]), {"step": "reached_out"})
    story["plan"].refresh_from_db()
    assert story["plan"].reached_out_at is not None
    body = login(story["ana"]).get(reverse("network_team_homework", args=["remote-office"])).content.decode()
    assert "Bo Remote" in body and "2 of 4" in body


def test_nudges_page_lists_a_teams_nudges_in_few_queries(login, story, django_assert_max_num_queries):
    Nudge.objects.all().delete()
    services.send_nudges(timezone.now() + timedelta(days=90))
    client = login(story["bo"])
    with django_assert_max_num_queries(12):
        body = client.get(reverse("network_nudges")).content.decode()
    assert "Remote Office → HQ Platform" in body and "Raj Hq" in body


def test_meeting_page_records_attendance_and_imports(login, story, settings):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(story["raj"])
    ics = (Path(__file__).parent / "fixtures" / "outlook_ops_sync.ics").read_bytes()
    url = reverse("network_series", args=[story["series"].pk])
    response = client.post(url, {"action": "import", "file": SimpleUploadedFile("ops.ics", ics, "text/calendar")})
    assert response.status_code == 302
    occurrence = story["series"].occurrences.filter(starts_at__lte=timezone.now(), cancelled=False).first()
    if occurrence is not None:
        response = client.post(url, {"occurrence": occurrence.pk, "person": "ana@corp.example", "status": "no_show"})
        assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "Attendance by team" in body and "Remote Office" in body
