"""Mail fixtures: a service with an intake address, a known requester, a message builder."""

import datetime as dt
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory
from tests.smtp import free_port  # noqa: F401 - the mail doors' tests take ports from here too

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture(autouse=True)
def _mail_settings(settings, tmp_path):
    settings.LIAISON_MAIL_DOMAIN = "liaison.example"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LIAISON_MAIL_TRUSTED_AUTHSERV_ID = ""
    return settings


@pytest.fixture
def provider(db):
    lead = PersonFactory(name="Lena Lead", email="lena@corp.example")
    team = TeamFactory(name="Platform", slug="platform", lead=lead)
    MembershipFactory(person=lead, team=team)
    return team


@pytest.fixture
def service(provider):
    return ServiceFactory(team=provider, name="Databases", slug="databases", lead_time_days=5)


@pytest.fixture
def requester(db):
    person = PersonFactory(name="Rita Requester", email="rita@corp.example")
    MembershipFactory(person=person, team=TeamFactory(name="Sales Ops", slug="sales-ops"))
    return person


def message(*, sender="Rita Requester <rita@corp.example>", to="databases@liaison.example", subject="A new schema",
            body="We need a schema for the Q3 report.\nNeed by: 2026-04-15", html=None, headers=None,
            attachments=(), msgid=None):
    """An RFC 5322 message as bytes, built with the stdlib."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg["Message-ID"] = msgid or make_msgid(domain="corp.example")
    for key, value in (headers or {}).items():
        msg[key] = value
    if html is not None and body is None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
