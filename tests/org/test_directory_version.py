"""The directory version (liaison/org/cache.py): triggers move it on every change of the
directory, and every process empties its caches when it moved, so a change made by
another process (no signal reaches this one) is seen within a check interval.
"""

import importlib
import time

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from liaison.org import cache
from liaison.org.cache import ProcessCache, check_directory_version, directory_version
from liaison.org.models import ApiToken, Membership, Person, Service, Team
from liaison.org.services import create_token
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory

migration = importlib.import_module("liaison.org.migrations.0003_directory_version")
MODELS = {"org_person": Person, "org_apitoken": ApiToken, "org_membership": Membership, "org_team": Team,
          "org_service": Service}


def run_deferred_triggers():
    """On PostgreSQL the triggers are deferred to the commit, which a test's transaction
    never reaches: SET CONSTRAINTS ... IMMEDIATE runs the pending ones now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def moved(change):
    """Did `change()` move the version?"""
    run_deferred_triggers()  # what the fixtures wrote
    before = directory_version()
    change()
    run_deferred_triggers()
    return directory_version() > before


@pytest.fixture
def directory(db):
    lead = PersonFactory(email="lead@corp.example")
    team = TeamFactory(slug="platform", lead=lead)
    MembershipFactory(person=lead, team=team)
    service = ServiceFactory(team=team, slug="db")
    token, _ = create_token(lead)
    return {"org_person": lead, "org_team": team, "org_membership": Membership.objects.get(person=lead),
            "org_service": service, "org_apitoken": token}


def tracked_columns():
    for table, model in MODELS.items():
        for field in model._meta.concrete_fields:
            if not field.primary_key:
                yield table, field.attname, field.column in migration.TRACKED[table]


@pytest.mark.parametrize(("table", "attname", "ignored"), list(tracked_columns()))
def test_every_column_of_the_directory_moves_the_version(directory, table, attname, ignored):
    """Also catches a column added later without re-creating the triggers, and (on SQLite)
    a later migration that rebuilt a table and lost them."""
    obj = directory[table]
    did_move = moved(lambda: type(obj).objects.filter(pk=obj.pk).update(**{attname: F(attname)}))
    assert did_move is not ignored, f"{table}.{attname}: {'moved' if did_move else 'did not move'} the version"


def test_the_columns_written_on_every_call_are_the_only_ones_left_out():
    ignored = {(t, a) for t, a, skip in tracked_columns() if skip}
    assert ignored == {("org_person", "last_login"), ("org_apitoken", "last_used_at")}


def test_creating_and_deleting_move_it(directory):
    assert moved(lambda: TeamFactory(slug="new-team"))
    assert moved(lambda: Team.objects.filter(slug="new-team").delete())
    assert moved(lambda: Membership.objects.filter(person=directory["org_person"]).delete())


def test_requests_and_sign_ins_leave_it_alone(directory):
    lead = directory["org_person"]
    assert not moved(lambda: Person.objects.filter(pk=lead.pk).update(last_login=F("date_joined")))
    assert not moved(lambda: ApiToken.objects.filter(person=lead).update(last_used_at=F("created_at")))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_it_moves_when_the_change_commits():
    if connection.vendor != "postgresql":
        pytest.skip("the deferred triggers are PostgreSQL's")
    before = directory_version()
    with transaction.atomic():
        TeamFactory(slug="committed")
        assert directory_version() == before  # not yet: the trigger runs inside the commit
    assert directory_version() > before


def settle():
    """Look twice: the second look ends the 'emptied once more' that follows a move."""
    check_directory_version(force=True)
    check_directory_version(force=True)


@pytest.fixture
def checks_every_time(settings):
    settings.LIAISON_DIRECTORY_CHECK_SECONDS = 0
    settle()


def test_a_move_empties_every_process_cache(directory, checks_every_time):
    first, second = ProcessCache(300), ProcessCache(300)
    first.put("a", 1)
    second.put("b", 2)
    assert first.get("a") == 1 and second.get("b") == 2  # nothing moved: kept
    Team.objects.filter(pk=directory["org_team"].pk).update(name="Platform Engineering")  # no signal
    run_deferred_triggers()  # as the commit would
    assert first.get("a") is None and second.get("b") is None


def test_it_looks_at_most_once_per_interval(directory, settings, monkeypatch):
    settings.LIAISON_DIRECTORY_CHECK_SECONDS = 5
    settle()
    clock = time.monotonic()
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock + 1)
    entries = ProcessCache(300)
    entries.put("a", 1)
    with CaptureQueriesContext(connection) as queries:
        assert entries.get("a") == 1
        assert entries.get("a") == 1
    assert len(queries) == 0  # within the interval: no query
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock + 6)
    with CaptureQueriesContext(connection) as queries:
        assert entries.get("a") == 1  # nothing moved
        assert entries.get("a") == 1
    assert len(queries) == 1  # one look, then the interval again


def test_after_a_move_the_caches_are_emptied_once_more_at_the_next_look(directory, checks_every_time):
    """On PostgreSQL the version moves a moment before the commit is visible; what was read
    in that moment is dropped at the next look."""
    entries = ProcessCache(300)
    Team.objects.filter(pk=directory["org_team"].pk).update(name="Platform Engineering")
    run_deferred_triggers()
    assert check_directory_version() is True
    entries.put("read in the moment", 1)
    assert check_directory_version() is True and entries.get("read in the moment") is None
    entries.put("later", 2)
    assert check_directory_version() is False and entries.get("later") == 2
