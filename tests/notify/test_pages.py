"""The notification preferences page (per person, per kind: immediate, digest or off) and the
team webhooks page, and the links between them and from the header."""

import pytest
from django.utils import timezone

from liaison.notify import services
from liaison.notify.models import NotificationPreference, TeamWebhook
from liaison.notify.webhooks import add_webhook
from tests.factories import PersonFactory, TeamFactory

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


def test_the_lede_says_what_the_daily_digest_does(login, person, settings):
    settings.LIAISON_DIGEST_HOUR = 6
    body = login(person).get(URL).content.decode()
    assert "will come later" not in body
    assert "one email a day, sent from 06:00 UTC" in body
    assert 'value="digest"' in body


def test_leads_and_org_admins_find_the_webhooks_page_others_do_not(login, person, org_admin):
    link = 'href="/notifications/webhooks/"'
    lead = PersonFactory(email="lead@corp.example")
    TeamFactory(name="Platform", slug="platform", lead=lead)
    assert link not in login(person).get(URL).content.decode()
    assert link in login(org_admin).get(URL).content.decode()
    assert link in login(lead).get(URL).content.decode()


def test_the_header_links_to_the_notifications_next_to_the_name_and_they_to_the_preferences(client, login, person):
    assert 'href="/notifications/' not in client.get("/accounts/login/").content.decode()
    home = login(person).get("/").content.decode()
    account = home[home.index('<div class="account">'):]
    assert account.index("Nina Notified") < account.index('href="/notifications/"')
    inbox = login(person).get("/notifications/").content.decode()
    assert 'href="/notifications/" hx-get="/notifications/unread/"' in inbox
    assert 'aria-current="page">Notifications' in inbox
    assert f'<a href="{URL}">notification preferences</a>' in inbox


WEBHOOKS = "/notifications/webhooks/"


def test_webhooks_page_for_someone_who_leads_no_team(client, login, person):
    assert client.get(WEBHOOKS).status_code == 302
    page = login(person).get(WEBHOOKS)
    assert page.status_code == 200 and "You lead no team" in page.text and "<form" not in page.text.split("<main")[1]


def test_webhooks_form_for_a_lead_of_one_team_and_its_errors(login, db):
    lead = PersonFactory(email="lead@corp.example")
    team = TeamFactory(name="Platform", slug="platform", lead=lead)
    client = login(lead)
    page = client.get(WEBHOOKS).text
    assert f'<option value="{team.pk}" selected>Platform</option>' in page  # nothing to choose
    assert 'type="url" name="url"' in page and 'href="/notifications/preferences/"' in page
    bad = client.post(WEBHOOKS, {"team": team.pk, "url": "not a url"})
    assert bad.status_code == 400
    assert 'aria-describedby="id_url_error"' in bad.text and 'id="id_url_error"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert not TeamWebhook.objects.exists()


def test_webhooks_list_pages_and_names_its_buttons(login, org_admin, settings):
    settings.LIAISON_PAGE_SIZE = 2
    team = TeamFactory(name="Platform", slug="platform")
    hooks = [add_webhook(team, url=f"https://hooks.example/T{n}", now=timezone.now()) for n in range(3)]
    client = login(org_admin)
    first = client.get(WEBHOOKS).text
    assert "https://hooks.example/T0" in first and "https://hooks.example/T2" not in first
    assert f'Pause<span class="visually-hidden"> webhook {hooks[0].pk} of Platform</span>' in first
    assert "https://hooks.example/T2" in client.get(WEBHOOKS, {"page": 2}).text
