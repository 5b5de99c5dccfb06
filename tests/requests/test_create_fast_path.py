"""Creating a request at speed (bench/requests_api.py): per-process caches of the token's
person, the service and the caller's teams, and the one-statement INSERT on PostgreSQL.

A change saved in this process is seen at once (signals); a change made by *another*
process is seen at the next look at the directory version (liaison/org/cache.py, about
a second). These tests show both, and that the rows written are those of the ORM path.
"""

import re

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from liaison.notify.models import Notification
from liaison.org import services as org_services
from liaison.org.cache import check_directory_version, clear_named_caches, directory_version
from liaison.org.models import ApiToken, Membership, Service
from liaison.requests.models import EventKind, Request, RequestEvent
from tests.directory_version import run_deferred_triggers
from tests.requests.test_api import NEW, api, frozen  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture(autouse=True)
def empty_caches():
    org_services._recent_tokens.clear()
    clear_named_caches()
    yield


def look():
    """This process looks at the directory version now (tests otherwise look only once)."""
    run_deferred_triggers()
    check_directory_version(force=True)


def another_process(change):
    """`change()` as another process would make it: no signal reaches this one, and the
    change moves the directory version when it commits. This process sees it at its next
    look, which tests make happen by setting the check interval to 0."""
    before = directory_version()
    change()
    run_deferred_triggers()
    assert directory_version() > before, "the change did not move the directory version"


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


def test_a_revocation_by_another_process_is_honoured_at_the_next_look(cast, api, settings):  # noqa: F811
    caller = api(cast.remy)
    look()
    assert caller.get("/requests").status_code == 200
    # Another process revokes: no signal reaches this one; the cached entry serves until
    # this process looks at the directory version (tests look only when told to).
    revoke = ApiToken.objects.filter(person=cast.remy).update
    another_process(lambda: revoke(revoked_at=cast.remy.date_joined))
    assert caller.get("/requests").status_code == 200  # before the next look: still served
    settings.LIAISON_DIRECTORY_CHECK_SECONDS = 0
    assert caller.get("/requests").status_code == 401


def test_a_service_moved_by_another_process_goes_to_its_new_team(cast, api, settings):  # noqa: F811
    caller = api(cast.remy)
    look()
    assert caller.post("/requests", NEW).json()["provider_team"]["slug"] == "platform"  # catalogue cached
    another_process(lambda: Service.objects.filter(pk=cast.service.pk).update(team=cast.other))
    settings.LIAISON_DIRECTORY_CHECK_SECONDS = 0
    assert caller.post("/requests", {**NEW, "title": "After the move"}).json()["provider_team"]["slug"] == "other-team"


def test_leaving_a_team_in_another_process_is_seen_at_the_next_look(cast, api, settings):  # noqa: F811
    caller = api(cast.remy)
    look()
    assert caller.post("/requests", NEW).status_code == 201
    leave = Membership.objects.filter(person=cast.remy, team=cast.remote)._raw_delete
    another_process(lambda: leave(connection.alias))
    settings.LIAISON_DIRECTORY_CHECK_SECONDS = 0
    response = caller.post("/requests", {**NEW, "title": "No longer a member"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "requester_team"


def test_a_service_added_after_the_catalogue_was_loaded_is_found(cast, api):  # noqa: F811
    caller = api(cast.remy)
    assert caller.post("/requests", NEW).status_code == 201  # catalogue loaded
    Service.objects.bulk_create([Service(team=cast.platform, name="Backups", slug="backups")])  # no signal
    created = caller.post("/requests", {**NEW, "service": "backups", "title": "Restore"})
    assert created.status_code == 201 and created.json()["service"]["slug"] == "backups"
    assert caller.post("/requests", {**NEW, "service": "nope"}).json()["errors"][0]["field"] == "service"


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


@pytest.mark.postgres
def test_on_postgresql_the_statement_is_prepared_once_per_connection(cast, api):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    caller = api(cast.remy)
    for title in ("First", "Second", "Third"):
        assert caller.post("/requests", {**NEW, "title": title}).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH r AS (INSERT INTO %%'")
        assert cursor.fetchone()[0] == 1
    assert Request.objects.filter(title__in=["First", "Second", "Third"]).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_prepared_statements_can_be_turned_off_for_a_pooler(cast, api, settings):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    connection.close()  # a new session: nothing prepared yet
    settings.LIAISON_DB_PREPARED_STATEMENTS = False
    assert api(cast.remy).post("/requests", {**NEW, "title": "Through a pooler"}).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0
    assert Request.objects.filter(title="Through a pooler").exists()
