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
from tests.directory_version import run_deferred_triggers
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory

migration = importlib.import_module("liaison.org.migrations.0003_directory_version")
MODELS = {"org_person": Person, "org_apitoken": ApiToken, "org_membership": Membership, "org_team": Team,
          "org_service": Service}


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


def test_deleting_and_joining_a_team_move_it(directory):
    new = TeamFactory(slug="new-team")
    assert moved(lambda: Team.objects.filter(slug="new-team").delete())
    assert moved(lambda: Membership.objects.filter(person=directory["org_person"]).delete())
    assert moved(lambda: MembershipFactory(person=directory["org_person"], team=directory["org_team"]))
    assert new.pk


def test_new_people_teams_services_and_tokens_leave_it_alone(directory):
    """Nothing cached can be about a row that did not exist."""
    assert not moved(lambda: PersonFactory(email="new@corp.example"))
    assert not moved(lambda: TeamFactory(slug="newer-team"))
    assert not moved(lambda: ServiceFactory(team=directory["org_team"], slug="new-service"))
    assert not moved(lambda: create_token(directory["org_person"]))


def test_requests_and_sign_ins_leave_it_alone(directory):
    lead = directory["org_person"]
    assert not moved(lambda: Person.objects.filter(pk=lead.pk).update(last_login=F("date_joined")))
    assert not moved(lambda: ApiToken.objects.filter(person=lead).update(last_used_at=F("created_at")))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_it_moves_once_when_the_change_commits():
    if connection.vendor != "postgresql":
        pytest.skip("the deferred triggers are PostgreSQL's")
    teams = [TeamFactory(slug=f"team-{i}") for i in range(3)]
    before = directory_version()
    with transaction.atomic():
        for team in teams:
            Team.objects.filter(pk=team.pk).update(name=f"Renamed {team.slug}")
        assert directory_version() == before  # not yet: the trigger runs at commit
    assert directory_version() == before + 1  # once for the transaction, not once per row
    Team.objects.filter(pk=teams[0].pk).update(name="Renamed again")  # the next transaction moves it again
    assert directory_version() == before + 2


def settle():
    """Look now, so that the next look sees only what the test changes."""
    run_deferred_triggers()
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
    assert moved(lambda: Team.objects.filter(pk=directory["org_team"].pk).update(name="Platform Engineering"))
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


def test_a_value_loaded_while_the_caches_were_emptied_is_not_kept(directory, checks_every_time):
    """A load that began before a change committed may return the old row: if the caches
    were emptied meanwhile, it is used once but not kept."""
    entries = ProcessCache(300)

    def slow_load():
        # Meanwhile another process changes the directory, and this process notices.
        assert moved(lambda: Team.objects.filter(pk=directory["org_team"].pk).update(name="Renamed"))
        assert check_directory_version() is True
        return "read before the change"

    assert entries.load("team", slow_load) == "read before the change"
    assert entries.load("team", lambda: "read after") == "read after"
    assert entries.get("team") == "read after"


def test_a_sign_in_keeps_the_caches(directory, checks_every_time):
    """Saving last_login only (Django's sign-in) changes nothing any cache holds."""
    from liaison.org import services as org_services

    org_services._recent_tokens.put("kept", 1)
    lead = directory["org_person"]
    lead.last_login = lead.date_joined
    lead.save(update_fields=["last_login"])
    run_deferred_triggers()
    assert org_services._recent_tokens.get("kept") == 1
    lead.name = "A new name"
    lead.save()
    assert org_services._recent_tokens.get("kept") is None
