"""Creating a request at speed (bench/requests_api.py): per-process caches of the token's
person, the service and the caller's teams, and the one-statement INSERT on PostgreSQL.

The caches may serve a change made by *another* process for a few seconds (the window
is documented where each cache is defined); a change saved in this process is seen at
once. These tests show both sides, and that the rows written are those of the ORM path.
"""

import re

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from liaison.notify.models import Notification
from liaison.org import services as org_services
from liaison.org.models import ApiToken, Membership
from liaison.requests import api as requests_api
from liaison.requests.models import EventKind, Request, RequestEvent
from tests.requests.test_api import NEW, api, frozen  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture(autouse=True)
def empty_caches():
    for cache in (org_services._recent_tokens, requests_api._recent_services, requests_api._recent_teams):
        cache.clear()
    yield


def later(monkeypatch, seconds):
    """Move the caches' clock (time.monotonic, which time_machine leaves alone) forward."""
    import time

    start = time.monotonic()
    monkeypatch.setattr(org_services.time, "monotonic", lambda: start + seconds)


def test_a_revoked_token_is_refused_at_once_even_when_cached(cast, api):  # noqa: F811
    caller = api(cast.remy)
    assert caller.get("/requests").status_code == 200  # now cached
    token = ApiToken.objects.get(person=cast.remy)
    org_services.revoke_token(token)
    assert caller.get("/requests").status_code == 401


def test_a_deactivated_person_is_refused_at_once(cast, api):  # noqa: F811
    caller = api(cast.remy)
    assert caller.get("/requests").status_code == 200
    cast.remy.is_active = False
    cast.remy.save()
    assert caller.get("/requests").status_code == 401


def test_a_revocation_by_another_process_is_honoured_within_the_window(cast, api, monkeypatch):  # noqa: F811
    caller = api(cast.remy)
    assert caller.get("/requests").status_code == 200
    # Another process revokes: no signal reaches this one; the cached entry serves until it expires.
    ApiToken.objects.filter(person=cast.remy).update(revoked_at=cast.remy.date_joined)
    assert caller.get("/requests").status_code == 200
    later(monkeypatch, org_services._recent_tokens.ttl + 0.1)
    assert caller.get("/requests").status_code == 401


def test_each_call_gets_its_own_person(cast):
    _, key = org_services.create_token(cast.remy)
    first = org_services.authenticate_token(key)
    first._member_team_ids = frozenset({-1})  # what one HTTP request caches on its user
    second = org_services.authenticate_token(key)
    assert second.pk == first.pk and second is not first
    assert not hasattr(second, "_member_team_ids")


def test_a_cached_create_reads_nothing_but_writes_its_three_rows(cast, api):  # noqa: F811
    caller = api(cast.remy)
    assert caller.post("/requests", NEW).status_code == 201  # warms the caches
    with CaptureQueriesContext(connection) as ctx:
        assert caller.post("/requests", {**NEW, "title": "Second"}).status_code == 201
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    assert not [s for s in sql if s.startswith("SELECT")]
    assert sum(len(re.findall(r"\bINSERT\b", s)) for s in sql) == 3


def test_a_new_team_lead_saved_here_is_notified_at_once(cast, api):  # noqa: F811
    caller = api(cast.remy)
    assert caller.post("/requests", NEW).status_code == 201  # service and team now cached
    cast.platform.lead = cast.pete
    cast.platform.save()
    created = caller.post("/requests", {**NEW, "title": "After the new lead"}).json()
    assert Notification.objects.get(dedupe_key__startswith=f"request:{created['id']}:").recipient == cast.pete


def test_leaving_a_team_is_seen_at_once(cast, api):  # noqa: F811
    caller = api(cast.remy)
    assert caller.post("/requests", NEW).status_code == 201
    Membership.objects.filter(person=cast.remy, team=cast.remote).delete()
    response = caller.post("/requests", {**NEW, "title": "No longer a member"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "requester_team"


def test_the_rows_carry_the_real_ids_and_post_save_is_sent(cast, api):  # noqa: F811
    seen = []

    def record(sender, instance, created, **kwargs):
        seen.append((sender, instance.pk, created))

    post_save.connect(record, sender=RequestEvent, dispatch_uid="test.fast_path")
    post_save.connect(record, sender=Request, dispatch_uid="test.fast_path.request")
    try:
        created = api(cast.remy).post("/requests", NEW).json()
    finally:
        post_save.disconnect(sender=RequestEvent, dispatch_uid="test.fast_path")
        post_save.disconnect(sender=Request, dispatch_uid="test.fast_path.request")
    request = Request.objects.get(pk=created["id"])
    event = RequestEvent.objects.get(request=request)
    assert event.kind == EventKind.CREATED and event.actor == cast.remy
    assert event.data["need_by"] == NEW["need_by"] and event.data["date_kind"] == "hard"
    note = Notification.objects.get(kind="request.submitted")
    assert note.dedupe_key == f"request:{request.pk}:event:{event.pk}:{cast.paula.pk}:email"
    assert note.link == f"/requests/{request.pk}/"
    assert note.recipient == cast.paula and "Reporting database" in note.subject
    assert (Request, request.pk, True) in seen and (RequestEvent, event.pk, True) in seen
