"""The notification preferences page: per person, per kind, immediate or off."""

import pytest

from liaison.notify import services
from liaison.notify.models import NotificationPreference
from tests.factories import PersonFactory

URL = "/notifications/preferences/"


@pytest.fixture
def person(db):
    return PersonFactory(name="Nina Notified", email="nina@corp.example")


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(URL, {"all": "off"}).status_code == 302
    assert NotificationPreference.objects.count() == 0


def test_the_page_lists_the_registered_kinds_with_labelled_choices(login, person):
    body = login(person).get(URL).content.decode()
    assert "<legend>All notifications</legend>" in body
    assert "Reminders before a date I committed to" in body
    assert 'name="k_request__reminder__due" value="off"' in body
    assert '<label class="inline" for="id_k_request__reminder__due_1">' in body


def test_turning_a_kind_off_saves_only_that_preference(login, person):
    client = login(person)
    response = client.post(URL, {"all": "immediate", "k_request__reminder__due": "off"})
    assert response.status_code == 302
    assert services.preferences_of(person) == {"request.reminder.due": "off"}
    assert not services.wants(person, "request.reminder.due")
    assert services.wants(person, "request.comment")
    body = client.get(URL).content.decode()
    assert 'name="k_request__reminder__due" value="off" id="id_k_request__reminder__due_1" checked' in body


def test_all_off_silences_what_was_not_switched_on_by_itself(login, person):
    services.set_preference(person, "request.thanks", "immediate")
    login(person).post(URL, {"all": "off"})
    assert not services.wants(person, "request.comment")
    assert services.wants(person, "request.thanks")


def test_preferences_are_per_person(login, person):
    other = PersonFactory(email="other@corp.example")
    login(person).post(URL, {"all": "off"})
    assert services.wants(other, "request.comment")


def test_a_bad_mode_is_the_fields_error_and_changes_nothing(login, person):
    response = login(person).post(URL, {"all": "sometimes"})
    assert response.status_code == 400
    assert b'id="id_all_error"' in response.content and b"Select a valid choice" in response.content
    assert b'aria-describedby="all-help id_all_error"' in response.content
    assert NotificationPreference.objects.count() == 0
