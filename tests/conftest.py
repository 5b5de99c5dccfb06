"""Shared fixtures and the suite's rules.

LIAISON_REQUIRE_ALL=1 turns every skip into a failure, so CI cannot pass by skipping.
"""

import os

import pytest
from django.contrib.auth.models import Group

from liaison.org.models import AUDITORS_GROUP
from tests.factories import MembershipFactory, PersonFactory, TeamFactory
from tests.story import requests_cast

# The browser fixtures (Playwright + Debian's Chromium) are one plugin for the whole suite:
# a session-wide browser must exist once per process, whichever folder asks for it. The
# SMTP server fixture (tests/smtp.py) likewise: one for every folder.
pytest_plugins = ["tests.browser.fixtures", "tests.smtp"]

PASSWORD = "correct horse battery staple"
REQUIRE_ALL = os.environ.get("LIAISON_REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped, but LIAISON_REQUIRE_ALL=1 forbids skips: {reason}"


@pytest.fixture
def cast(db):
    """The requests cast (tests/story.py): Remote Office asks Platform's database service."""
    return requests_cast()


@pytest.fixture
def team(db):
    return TeamFactory(name="Network Group", slug="network-group")


@pytest.fixture
def member(db, team):
    person = PersonFactory(name="Ana Member", email="ana@corp.example")
    MembershipFactory(person=person, team=team)
    return person


@pytest.fixture
def outsider(db):
    """A signed-in person of the organisation who belongs to no team involved."""
    return PersonFactory(name="Olga Outsider", email="olga@corp.example")


@pytest.fixture
def org_admin(db):
    return PersonFactory(name="Adam Admin", email="admin@corp.example", is_staff=True, is_superuser=True)


@pytest.fixture
def auditor(db):
    person = PersonFactory(name="Audrey Auditor", email="auditor@corp.example")
    person.groups.add(Group.objects.get_or_create(name=AUDITORS_GROUP)[0])  # a transactional test may have flushed it
    return person


@pytest.fixture
def login(client):
    """login(person) signs the test client in as that person and returns the client."""

    def _login(person):
        client.force_login(person)
        return client

    return _login
