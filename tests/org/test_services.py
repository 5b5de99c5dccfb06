import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.org import services
from liaison.org.models import SensitiveAttributes, ServiceDependency, Team
from tests.factories import PersonFactory, ServiceFactory, TeamFactory


def test_dependency_cycle_is_refused_with_the_path(db):
    network, vpn, sso = (ServiceFactory(name=n) for n in ("Network", "VPN", "Single sign-on"))
    services.add_dependency(sso, vpn)
    services.add_dependency(vpn, network)
    with pytest.raises(ValidationError) as err:
        services.add_dependency(network, sso)
    message = err.value.message_dict["depends_on"][0]
    assert "cycle" in message and "Single sign-on → VPN → Network" in message
    assert ServiceDependency.objects.count() == 2


def test_a_service_cannot_depend_on_itself(db):
    network = ServiceFactory(name="Network")
    with pytest.raises(ValidationError, match="itself"):
        services.add_dependency(network, network)


def test_transitive_dependencies_follow_the_graph(db):
    a, b, c, d = (ServiceFactory() for _ in range(4))
    services.add_dependency(a, b)
    services.add_dependency(b, c)
    services.add_dependency(d, a)
    assert services.transitive_dependencies(a.pk) == {b.pk, c.pk}
    assert services.transitive_dependencies(d.pk) == {a.pk, b.pk, c.pk}
    assert services.transitive_dependencies(c.pk) == set()


def test_team_tree_cannot_loop(db):
    parent = services.create_team(name="Infrastructure")
    child = services.create_team(name="Network Group", parent=parent)
    with pytest.raises(ValidationError) as err:
        services.update_team(parent, parent=child)
    assert "parent" in err.value.message_dict
    parent.refresh_from_db()
    assert parent.parent is None


def test_creating_a_team_with_a_lead_makes_the_lead_a_member(db):
    lead = PersonFactory()
    team = services.create_team(name="Product Marketing", lead=lead)
    assert team.slug == "product-marketing"
    assert list(team.members.all()) == [lead]
    assert lead.is_team_lead and "team lead" in lead.roles


def test_team_names_get_unique_slugs(db):
    TeamFactory(name="Ops", slug="ops")
    team = Team(name="OPS!", slug=services.unique_slug(Team, "OPS!"))
    assert team.slug == "ops-2"


def test_unknown_time_zone_is_refused(db):
    with pytest.raises(ValidationError) as err:
        services.create_person(email="tz@corp.example", name="Tz", time_zone="Mars/Olympus")
    assert "time_zone" in err.value.message_dict


def test_sensitive_attributes_only_for_auditors(db, auditor, org_admin):
    person = PersonFactory()
    SensitiveAttributes.objects.create(person=person, gender="woman")
    assert services.sensitive_attributes(auditor, person).gender == "woman"
    with pytest.raises(PermissionDenied):
        services.sensitive_attributes(org_admin, person)  # superuser is not enough


def test_tokens_are_stored_hashed_and_can_be_revoked(db):
    person = PersonFactory()
    token, key = services.create_token(person, "ci")
    assert key.startswith("lsn_") and key not in token.key_hash and token.prefix == key[:10]
    assert services.authenticate_token(key) == person
    assert services.authenticate_token(key + "x") is None
    services.revoke_token(token)
    assert services.authenticate_token(key) is None


def test_deactivated_people_cannot_use_tokens(db):
    person = PersonFactory()
    _, key = services.create_token(person)
    person.is_active = False
    person.save()
    assert services.authenticate_token(key) is None
    with pytest.raises(ValidationError):
        services.create_token(person)
