"""Signing in with an email, signing out, and setting a password by mail."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from liaison.org import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_page_is_public_and_labelled(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Email</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert reverse("password_reset") in html


def test_sign_in_with_email_then_lands_where_asked(client, member):
    response = client.post(reverse("login"), {"username": "ANA@corp.example".lower(), "password": PASSWORD,
                                              "next": reverse("service_list")})
    assert response.status_code == 302
    assert response["Location"] == reverse("service_list")
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_wrong_password_says_so_and_keeps_the_email(client, member):
    response = client.post(reverse("login"), {"username": member.email, "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and "correct email" in html
    assert f'value="{member.email}"' in html
    assert SESSION_KEY not in client.session


def test_sign_out_is_a_post(login, member):
    client = login(member)
    assert client.get(reverse("logout")).status_code == 405
    assert client.session[SESSION_KEY] == str(member.pk)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_the_header_offers_sign_out_as_a_form(login, member):
    html = login(member).get(reverse("home")).content.decode()
    assert f'action="{reverse("logout")}" method="post"' in html


def _reset_link(message):
    match = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_by_mail_end_to_end(client, member):
    response = client.post(reverse("password_reset"), {"email": "Ana@Corp.example"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert "Liaison" in message.subject
    assert "internal teams" in message.body  # the mail says what Liaison is
    assert "Ana Member" in message.body

    link = _reset_link(message)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    new_password = "a much better passphrase 42"
    done = client.post(set_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert "Your password is set" in client.get(done["Location"]).content.decode()

    member.refresh_from_db()
    assert member.check_password(new_password)
    # The link works once.
    again = client.get(link, follow=True)
    assert not again.context["validlink"]
    assert "This link no longer works" in again.content.decode()
    # And the new password signs in.
    client.post(reverse("login"), {"username": member.email, "password": new_password})
    assert client.session[SESSION_KEY] == str(member.pk)


def test_a_person_imported_without_a_password_can_set_one(client, db):
    person = services.create_person(email="new@corp.example", name="New Hire")
    assert not person.has_usable_password()
    client.post(reverse("password_reset"), {"email": "new@corp.example"})
    assert len(mail.outbox) == 1
    link = _reset_link(mail.outbox[0])
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "first ever passphrase 7", "new_password2": "first ever passphrase 7"})
    person.refresh_from_db()
    assert person.check_password("first ever passphrase 7")


def test_reset_reveals_nothing_and_sends_nothing_for_unknown_or_deactivated(client, member, outsider):
    outsider.is_active = False
    outsider.save()
    for email in ("nobody@corp.example", outsider.email):
        response = client.post(reverse("password_reset"), {"email": email})
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_reset_refuses_mismatched_or_weak_passwords(client, member):
    client.post(reverse("password_reset"), {"email": member.email})
    set_url = client.get(_reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "one long passphrase", "new_password2": "another one"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    response = client.post(set_url, {"new_password1": "12345", "new_password2": "12345"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
