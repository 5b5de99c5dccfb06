"""The demo enterprise: deterministic, tells the seeds' stories, and its accounts work."""

import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from liaison.demo import builder
from liaison.demo.builder import STEPS, build_demo
from liaison.demo.enterprise import ACCOUNTS, DEMO_PASSWORD
from liaison.demo.orgchart import MIN_PEOPLE, plan_org
from liaison.org.models import Person, SensitiveAttributes, Service, ServiceDependency, Team
from liaison.org.services import dependency_edges, dependency_path, transitive_dependencies

pytestmark = pytest.mark.django_db

SIZE = 200
# The org chart, accounts and catalogue: what these tests look at (tests/demo/test_requests.py and the
# domains' demo tests cover the later steps; the command tests below run them all).
ORG_STEPS = STEPS[:3]


@pytest.fixture
def demo(db):
    return build_demo(people=SIZE, seed=3, steps=ORG_STEPS)


def world():
    """The built enterprise by natural keys (ids differ between builds on PostgreSQL)."""
    return (
        sorted(Person.objects.values_list("email", "name", "title", "site", "time_zone", "manager__email")),
        sorted(Team.objects.values_list("name", "parent__name", "lead__email", "site")),
        sorted(Service.objects.values_list("name", "team__name", "slug", "lead_time_days")),
        sorted(ServiceDependency.objects.values_list("service__slug", "depends_on__slug")),
        sorted(SensitiveAttributes.objects.values_list("person__email", "gender", "seniority_band")),
    )


def build_and_forget(seed, people=SIZE):
    with transaction.atomic():
        build_demo(people=people, seed=seed, steps=ORG_STEPS)
        snapshot = world()
        transaction.set_rollback(True)
    return snapshot


def test_same_seed_builds_the_same_enterprise_and_another_seed_another_one(db):
    first, second, other = build_and_forget(5), build_and_forget(5), build_and_forget(6)
    assert first == second
    assert first != other
    assert len(first[0]) == SIZE


@pytest.mark.parametrize("people", [MIN_PEOPLE, 200, 601, 5000])
def test_plan_has_exactly_the_people_asked_for_with_unique_emails(people):
    plan = plan_org(people, random.Random(1))
    emails = [person.email for person in plan.people]
    assert len(emails) == people and len(set(emails)) == people


def test_plan_is_deterministic():
    assert plan_org(900, random.Random("x")).csv_text() == plan_org(900, random.Random("x")).csv_text()


def test_the_seeds_stories_are_there(demo):
    names = set(Team.objects.values_list("name", flat=True))
    assert {"Network Group", "Product Marketing", "HQ Finance Operations", "Remote Office — Singapore",
            "Claims Operations", "Offshore Back-Office Partner", "Emergency Department", "In-patient Unit",
            "Business Intelligence Services", "Commercial Banking"} <= names
    network = Team.objects.get(name="Network Group")
    assert network.lead.email == "network.lead@demo.liaison.example"
    assert {"Network upgrades & changes", "VPN", "Wi-Fi"} <= set(network.services.values_list("name", flat=True))
    assert Team.objects.get(name="Product Marketing").lead.email == "pm.lead@demo.liaison.example"
    singapore = Team.objects.get(name="Remote Office — Singapore")
    assert singapore.site == "Singapore" and singapore.members.count() <= 6
    assert Team.objects.get(name="HQ Finance Operations").site == "HQ Chicago"
    assert Team.objects.get(name="Offshore Back-Office Partner").site == "Manila"
    assert Person.objects.get(email="remote.member@demo.liaison.example").time_zone == "Asia/Singapore"
    # The offshore partner has senior experts of both genders (seed 003: slower answers to women).
    offshore = Team.objects.get(name="Offshore Back-Office Partner")
    genders = set(SensitiveAttributes.objects.filter(person__teams=offshore, seniority_band="senior")
                  .values_list("gender", flat=True))
    assert {"woman", "man"} <= genders


def test_story_dependencies_connect_the_teams(demo):
    services = demo.services
    graph = dependency_edges()
    # seed 002: a network change reaches Product Marketing's customer event.
    assert services["Network upgrades & changes"].pk in transitive_dependencies(
        services["Customer events & webinars"].pk, graph)
    # seed 004: the Emergency Department depends on the In-patient Unit's beds, round the clock.
    assert dependency_path(graph, services["Emergency admissions"].pk, services["Bed allocation"].pk)
    assert services["Bed allocation"].working_days == "1234567"
    # seed 000 and 003
    assert services["Purchase orders"].pk in transitive_dependencies(services["Regional sales support"].pk, graph)
    assert services["Claims back-office processing"].pk in graph[services["Claims handling"].pk]


def test_dependency_graph_has_no_cycle_and_is_a_few_levels_deep(demo):
    graph = dependency_edges()
    assert sum(len(targets) for targets in graph.values()) > len(demo.services)
    for service_id, targets in graph.items():
        for target in targets:
            assert dependency_path(graph, target, service_id) is None, "cycle"

    def depth(node, seen=()):
        return 1 + max((depth(n, (*seen, node)) for n in graph.get(node, ())), default=0)

    assert 3 <= max(depth(node) for node in list(graph)) <= 4


def test_every_team_has_a_lead_and_managers_follow_the_tree(demo):
    for team in Team.objects.select_related("lead", "parent__lead"):
        assert team.lead is not None, team
        assert team.members.filter(pk=team.lead_id).exists()
        expected_boss = team.parent.lead if team.parent else None
        assert team.lead.manager == expected_boss, team
        for member in team.members.exclude(pk=team.lead_id):
            assert member.manager_id == team.lead_id


def test_demo_accounts_sign_in_and_everyone_else_has_no_password(demo, client):
    assert len(demo.accounts) == len(ACCOUNTS)
    for _account, person in demo.accounts:
        assert client.login(email=person.email, password=DEMO_PASSWORD), person.email
        client.logout()
    accounts = {person.email for _a, person in demo.accounts}
    assert not any(p.has_usable_password() for p in Person.objects.exclude(email__in=accounts)[:50])
    admin = Person.objects.get(email="admin@demo.liaison.example")
    assert admin.is_org_admin and admin.is_superuser
    assert Person.objects.get(email="auditor@demo.liaison.example").is_auditor
    assert not Person.objects.get(email="pm.lead@demo.liaison.example").is_auditor
    assert Person.objects.filter(is_staff=True).count() == 1


def test_command_builds_and_prints_how_to_sign_in(db, capsys):
    call_command("demo", people=SIZE, seed=2)
    out = capsys.readouterr().out
    assert f"{SIZE:,} people" in out
    assert " requests, " in out and " interactions, " in out and " changes, " in out  # every step ran
    assert "Sign in at http://127.0.0.1:8000/ as pm.lead@demo.liaison.example / password: liaison-demo" in out
    for email in ("network.lead@", "remote.member@", "admin@", "auditor@"):
        assert email in out
    assert Person.objects.count() == SIZE


def test_if_empty_does_nothing_when_people_exist(db, capsys, member):
    call_command("demo", people=SIZE, if_empty=True)
    assert "already has 1 people" in capsys.readouterr().out
    assert Person.objects.count() == 1
    with pytest.raises(CommandError, match="already has 1 people"):
        call_command("demo", people=SIZE)


def test_if_empty_builds_on_an_empty_database(db, monkeypatch):
    monkeypatch.setattr(builder, "STEPS", ORG_STEPS)  # the org is enough to see it was built
    call_command("demo", people=SIZE, if_empty=True)
    assert Person.objects.count() == SIZE


@pytest.mark.parametrize("people", [199, 50_001])
def test_people_out_of_range_is_refused(db, people):
    with pytest.raises(CommandError, match="--people must be between 200 and 50,000"):
        call_command("demo", people=people)
    assert Person.objects.count() == 0
