import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.network import meetings, services
from liaison.network.models import Interaction, Kind, Nudge, Tie
from tests.factories import PersonFactory

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


NO_ONE = "No one with the address {} in the directory you can see."


def warm_path(client, to):
    return client.get(reverse("network_path"), {"to": to})


def field_error(response):
    """The error shown under the "to" field, or None."""
    match = re.search(r'<span class="error" id="id_to_error" role="alert">(.*?)</span>', response.content.decode())
    return match and match.group(1)


def test_warm_path_to_an_unknown_address_is_the_page_with_an_error_under_the_field(login, story):
    interactions, ties = Interaction.objects.count(), Tie.objects.count()
    response = warm_path(login(story["ana"]), "Nobody@corp.example")
    assert response.status_code == 200
    assert field_error(response) == NO_ONE.format("nobody@corp.example")
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and 'value="Nobody@corp.example"' in body  # kept, to correct it
    assert 'id="result-h"' not in body
    assert (Interaction.objects.count(), Tie.objects.count()) == (interactions, ties)


def test_warm_path_to_oneself_or_to_nothing_is_a_field_error(login, story):
    client = login(story["ana"])
    assert field_error(warm_path(client, "ana@corp.example")) == "That is you: give someone you want to reach."
    response = warm_path(client, "   ")
    assert response.status_code == 200 and field_error(response) == "This field is required."


def test_an_outsider_finds_a_path_and_sees_no_one_the_directory_hides(login, story, meet, outsider):
    """Someone the viewer may not see (here: deactivated) answers exactly like no one at all."""
    client = login(outsider)
    assert "No chain of strong ties reaches Carl Finance yet" in warm_path(client, "carl@corp.example").content.decode()
    gone = PersonFactory(name="Gina Gone", email="gina@corp.example")
    meet(story["sue"], [gone], timezone.localdate(), now=timezone.now())
    gone.is_active = False  # her ties stay; she is hidden from the directory
    gone.save()

    def page(to):
        response = warm_path(client, to)
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
        return response.status_code, body.replace(to, "ADDRESS")

    unknown = page("ghost@corp.example")
    assert unknown[0] == 200 and NO_ONE.format("ADDRESS") in unknown[1]
    assert page("gina@corp.example") == unknown
    assert "Gina" not in page("gina@corp.example")[1]


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
