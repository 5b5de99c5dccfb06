"""schemathesis against every operation of the API, as an org admin, a member and an outsider.

Hunts what hand-written tests miss: server errors (NUL characters that PostgreSQL refuses,
integers past a column's range, JSON nulls where a column is NOT NULL, times like 27:79,
dates past year 9999, absurd page numbers) and answers that do not match the documented
schema. schemathesis generates both valid requests (positive) and requests that break the
schema on purpose (negative: nulls, wrong types, out-of-range values); business 4xx answers
are fine, 500s and lies are not. The world below gives the generated ids something real to
hit: small primary keys of every kind exist, so generated ids reach the handlers.

LIAISON_FUZZ_EXAMPLES=200 looks harder (the default keeps the suite quick).
"""

import datetime as dt
import os

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from liaison.agenda import services as agenda
from liaison.api import api as ninja_api
from liaison.org import services as org
from liaison.org.models import ApiToken, Person
from liaison.requests import services as requests
from tests.factories import MembershipFactory, PersonFactory

schema_under_test = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema())
schema_under_test.app = get_wsgi_application()
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = int(os.environ.get("LIAISON_FUZZ_EXAMPLES", "12"))
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow,
                           hypothesis.HealthCheck.filter_too_much])


@pytest.fixture
def keep_connection():
    """Calls go through the real WSGI handler, which closes the database connection after each
    request; Django's test client keeps it open, and so must we, or the test transaction is lost."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, keep_connection):
    """Two teams with a service each, a request between them, a change, an event and their
    conflict, a freeze; keys for an org admin, a member of both teams' work and an outsider."""
    now = timezone.now().replace(microsecond=0)
    admin = PersonFactory(name="Adam Admin", email="admin@corp.example", is_staff=True, is_superuser=True)
    lead = PersonFactory(name="Lars Lead", email="lars@corp.example")
    member = PersonFactory(name="Ana Member", email="ana@corp.example")
    outsider = PersonFactory(name="Olga Outsider", email="olga@corp.example")
    network = org.create_team(name="Network", lead=lead)
    marketing = org.create_team(name="Marketing", lead=PersonFactory(name="Mia Lead", email="mia@corp.example"))
    MembershipFactory(person=member, team=marketing)
    org.create_team(name="Elsewhere")
    net = org.create_service(team=network, name="Corporate Network")
    webinar = org.create_service(team=marketing, name="Webinar", depends_on=[net])
    start = now + dt.timedelta(days=20)
    agenda.create_event(team=marketing, title="Launch", services=[webinar], start=start,
                        end=start + dt.timedelta(hours=3), by=member, now=now)
    agenda.create_change(team=network, title="Upgrade", services=[net], start=start - dt.timedelta(hours=2),
                         end=start + dt.timedelta(hours=1), by=lead, now=now, publish=True)
    requests.submit_request(requester=member, service=net, title="A VLAN", context="The launch depends on it.",
                            need_by=(now + dt.timedelta(days=30)).date(), date_kind="flexible", now=now)
    keys = {name: org.create_token(person, "schemathesis")[1]
            for name, person in (("admin", admin), ("member", member), ("outsider", outsider))}
    return {"keys": keys, "people": {"admin": admin, "member": member, "outsider": outsider}}


def _call(case, world, role):
    # A generated call may revoke the caller's token or deactivate them: undo that, so every
    # example runs with the role's full rights and reaches the handler.
    person = world["people"][role]
    ApiToken.objects.filter(person=person).update(revoked_at=None)
    Person.objects.filter(pk=person.pk).update(is_active=True, is_staff=role == "admin",
                                               is_superuser=role == "admin")
    case.call_and_validate(headers={"Authorization": f"Bearer {world['keys'][role]}"}, checks=CHECKS)


@schema_under_test.parametrize()
@SETTINGS
def test_as_org_admin(case, world):
    _call(case, world, "admin")


@schema_under_test.parametrize()
@SETTINGS
def test_as_member(case, world):
    _call(case, world, "member")


@schema_under_test.parametrize()
@SETTINGS
def test_as_outsider(case, world):
    _call(case, world, "outsider")
