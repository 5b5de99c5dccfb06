"""Guessing is throttled: sign-in, API tokens and password-reset mail lock out after a few
failures, for longer each time; the API is rate-limited per token."""

import datetime as dt
import logging

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from liaison.org.services import create_token
from tests.conftest import PASSWORD
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
LIMIT = 5


@pytest.fixture
def ana(db):
    person = PersonFactory(name="Ana", email="ana@corp.example")
    person.set_password(PASSWORD)
    person.save()
    return person


def sign_in(client, email, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def signed_in(client):
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_lock_the_account_and_the_right_one_is_refused_meanwhile(client, ana, caplog):
    caplog.set_level(logging.INFO)
    answers = [sign_in(client, ana.email, f"wrong {i}").status_code for i in range(30)]
    assert answers[:LIMIT - 1] == [200] * (LIMIT - 1)  # the form again, "wrong password"
    assert set(answers[LIMIT:]) == {429}
    response = sign_in(client, ana.email, PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    assert "Too many failed attempts" in response.content.decode() and "locked for" in response.content.decode()
    assert any("locked out" in r.getMessage() and "ana@corp.example" in r.getMessage() for r in caplog.records)


def test_the_lock_is_per_account_whatever_the_address_and_case(client, ana):
    for i in range(LIMIT):
        sign_in(client, "ANA@corp.example" if i % 2 else ana.email, "wrong", address=f"10.0.0.{i + 1}")
    assert sign_in(client, ana.email, PASSWORD, address="10.9.9.9").status_code == 429


def test_one_address_trying_many_accounts_is_locked(client, ana):
    for i in range(LIMIT):
        sign_in(client, f"nobody{i}@corp.example", "guess", address="10.6.6.6")
    assert sign_in(client, ana.email, PASSWORD, address="10.6.6.6").status_code == 429
    assert sign_in(client, ana.email, PASSWORD, address="10.7.7.7").status_code == 302 and signed_in(client)


def test_the_lock_ends_and_grows_with_each_lockout(client, ana):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(LIMIT):
            sign_in(client, ana.email, "wrong")
        first = sign_in(client, ana.email, PASSWORD)
        assert first.status_code == 429 and int(first["Retry-After"]) >= 60
        clock.shift(dt.timedelta(seconds=int(first["Retry-After"]) + 1))
        assert sign_in(client, ana.email, PASSWORD).status_code == 302 and signed_in(client)
        client.logout()
        for _ in range(LIMIT):
            sign_in(client, ana.email, "wrong again")
        second = sign_in(client, ana.email, PASSWORD)
        assert second.status_code == 429 and int(second["Retry-After"]) >= 2 * int(first["Retry-After"])
        clock.shift(dt.timedelta(days=1, minutes=1))  # a day later the history is forgotten
        assert sign_in(client, ana.email, PASSWORD).status_code == 302


def test_a_success_clears_the_count(client, ana):
    for _ in range(LIMIT - 1):
        sign_in(client, ana.email, "wrong")
    assert sign_in(client, ana.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        sign_in(client, ana.email, "wrong")
    assert sign_in(client, ana.email, PASSWORD).status_code == 302


def test_api_token_guesses_are_locked_out_and_the_message_is_json(client, ana):
    answers = [client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer lsn_guess{i}", REMOTE_ADDR="10.1.1.1")
               for i in range(LIMIT + 2)]
    assert [r.status_code for r in answers[:LIMIT - 1]] == [401] * (LIMIT - 1)
    assert answers[-1].status_code == 429 and "Too many failed attempts" in answers[-1].json()["detail"]
    # Another address is not locked; a sign-in of the same person is not either.
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer lsn_x", REMOTE_ADDR="10.2.2.2").status_code == 401
    assert sign_in(client, ana.email, PASSWORD, address="10.2.2.2").status_code == 302


def test_password_reset_mail_is_limited_per_address(client, ana):
    answers = [client.post("/accounts/password_reset/", {"email": ana.email}, REMOTE_ADDR=f"10.3.3.{i}")
               for i in range(LIMIT + 3)]
    assert [r.status_code for r in answers[:LIMIT - 1]] == [302] * (LIMIT - 1)
    assert answers[-1].status_code == 429
    assert len(mail.outbox) < LIMIT


@override_settings(LIAISON_API_RATE="3/m")
def test_the_api_is_rate_limited_per_token(client, ana):
    _, first = create_token(ana, "one")
    _, second = create_token(ana, "two")
    answers = [client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {first}").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
