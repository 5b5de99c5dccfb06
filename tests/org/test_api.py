"""The directory API at /api/v1/: who may call what, what it answers, what it costs.

Every operation is listed once in OPERATIONS and tried anonymously, with a revoked, an
unknown and a deactivated person's token, and (writes) as a plain member; a test checks
that OPERATIONS covers every operation in the OpenAPI document, so a new endpoint cannot
skip these checks.
"""

import pytest
from django.test import Client

from liaison.api import api as ninja_api
from liaison.org import services
from liaison.org.models import ApiToken, Membership, Person, SensitiveAttributes, Service, ServiceDependency, Team
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory


class ApiClient:
    """A client that speaks JSON with a bearer token, and enforces CSRF like a real browser would."""

    def __init__(self, key=None):
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def call(self, method, path, body=None):
        kwargs = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(self.client, method.lower())(f"/api/v1{path}", **kwargs)

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, body=None):
        return self.call("post", path, {} if body is None else body)

    def patch(self, path, body=None):
        return self.call("patch", path, {} if body is None else body)

    def delete(self, path):
        return self.call("delete", path)


@pytest.fixture
def as_person(db):
    """as_person(person) → an ApiClient holding a fresh token of that person."""

    def _as(person):
        _, key = services.create_token(person, "tests")
        return ApiClient(key)

    return _as


@pytest.fixture
def directory(db, team, member, org_admin):
    """Engineering ⊃ Network Group (led by Ana); VPN depends on Network; Ana has a manager."""
    engineering = TeamFactory(name="Engineering", slug="engineering")
    team.parent, team.lead = engineering, member
    team.save()
    boss = PersonFactory(name="Bea Boss", email="bea@corp.example")
    member.manager = boss
    member.save()
    network = ServiceFactory(team=team, name="Network", slug="network")
    vpn = ServiceFactory(team=team, name="VPN", slug="vpn")
    ServiceFactory(team=engineering, name="Build farm", slug="build-farm")
    services.add_dependency(vpn, network)
    phone, _ = services.create_token(member, "phone")
    return {"engineering": engineering, "team": team, "network": network, "vpn": vpn, "boss": boss,
            "phone": phone}


def snapshot():
    """Row counts of everything a directory write can touch."""
    return {model.__name__: model.objects.count()
            for model in (Team, Person, Membership, Service, ServiceDependency, ApiToken)}


# --- every operation, tried by everyone who may not --------------------------------------

READS = [
    ("GET", "/teams", None),
    ("GET", "/teams/network-group", None),
    ("GET", "/people", None),
    ("GET", "/people/{member}", None),
    ("GET", "/me", None),
    ("GET", "/services", None),
    ("GET", "/services/vpn", None),
    ("GET", "/tokens", None),
]
ADMIN_WRITES = [
    ("POST", "/teams", {"name": "Security"}),
    ("PATCH", "/teams/network-group", {"description": "Cables."}),
    ("POST", "/people", {"email": "new@corp.example", "name": "New Person"}),
    ("PATCH", "/people/{member}", {"title": "Boss"}),
    ("POST", "/services", {"team": "network-group", "name": "DNS"}),
    ("PATCH", "/services/vpn", {"lead_time_days": 2}),
    ("POST", "/services/build-farm/dependencies", {"depends_on": "network"}),
    ("DELETE", "/services/vpn/dependencies/network", None),
]
OWN_WRITES = [
    ("POST", "/tokens", {"name": "laptop"}),
    ("DELETE", "/tokens/{token}", None),
]
OPERATIONS = READS + ADMIN_WRITES + OWN_WRITES


def _path(template, directory, member):
    return template.format(member=member.pk, token=directory["phone"].pk)


def test_operations_list_covers_the_openapi_document():
    documented = {(method.upper(), path.removeprefix("/api/v1"))
                  for path, item in ninja_api.get_openapi_schema()["paths"].items()
                  for method, operation in item.items()
                  if {"directory", "tokens"} & set(operation["tags"])}
    listed = {(method, path.replace("{member}", "{person_id}").replace("{token}", "{token_id}")
               .replace("network-group", "{slug}").replace("vpn", "{slug}").replace("build-farm", "{slug}")
               .replace("/network", "/{other_slug}"))
              for method, path, _ in OPERATIONS}
    assert documented == listed


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_anonymous_gets_401(directory, member, method, path, body):
    before = snapshot()
    response = ApiClient().call(method, _path(path, directory, member), body)
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
@pytest.mark.parametrize("credential", ["revoked", "unknown", "deactivated", "not-bearer"])
def test_bad_credentials_get_401(directory, member, org_admin, credential, method, path, body):
    token, key = services.create_token(org_admin, "doomed")
    headers = None
    if credential == "revoked":
        services.revoke_token(token)
    elif credential == "unknown":
        key = key[:-4] + "AAAA"
    elif credential == "deactivated":
        org_admin.is_active = False
        org_admin.save()
    else:
        headers = {"Authorization": f"Token {key}"}
    client = ApiClient(key)
    client.headers = headers or client.headers
    before = snapshot()
    response = client.call(method, _path(path, directory, member), body)
    assert response.status_code == 401, response.content
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_WRITES)
def test_members_may_not_change_the_directory(directory, member, as_person, method, path, body):
    client = as_person(member)
    before = snapshot()
    response = client.call(method, _path(path, directory, member), body)
    assert response.status_code == 403, response.content
    assert "org admin" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_WRITES + OWN_WRITES)
def test_org_admin_writes_work(directory, member, org_admin, as_person, method, path, body):
    client = as_person(org_admin)
    if "{token}" in path:  # an admin revokes their own token
        path = path.replace("{token}", str(ApiToken.objects.filter(person=org_admin).first().pk))
    response = client.call(method, _path(path, directory, member), body)
    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize(("method", "path", "body"), READS)
def test_every_member_reads(directory, member, outsider, as_person, method, path, body):
    response = as_person(outsider).call(method, _path(path, directory, member), body)
    assert response.status_code == 200, response.content


def test_session_post_without_csrf_token_is_refused(directory, org_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_admin)
    response = client.post("/api/v1/teams", {"name": "Security"}, content_type="application/json")
    assert response.status_code == 403
    assert not Team.objects.filter(name="Security").exists()


def test_session_reads_work_for_the_docs(directory, login, outsider):
    response = login(outsider).get("/api/v1/teams")
    assert response.status_code == 200
    assert response.json()["count"] == 2


# --- teams --------------------------------------------------------------------------------

def test_team_list_is_paginated_and_searchable(directory, member, as_person):
    for n in range(7):
        TeamFactory(name=f"Platform {n}", slug=f"platform-{n}")
    client = as_person(member)
    first = client.get("/teams", page_size=4).json()
    second = client.get("/teams", page_size=4, page=2).json()
    assert first["count"] == second["count"] == 9
    names = [t["name"] for t in first["items"] + second["items"]]
    assert names == sorted(names) and len(set(names)) == 8
    last = client.get("/teams", page_size=4, page=3).json()
    assert len(last["items"]) == 1
    assert client.get("/teams", page_size=4, page=4).json()["items"] == []
    found = client.get("/teams", q="platform 3").json()
    assert [t["slug"] for t in found["items"]] == ["platform-3"]


def test_team_list_filters_by_parent(directory, member, as_person):
    response = as_person(member).get("/teams", parent="engineering")
    assert [t["slug"] for t in response.json()["items"]] == ["network-group"]
    item = response.json()["items"][0]
    assert item["parent"] == {"slug": "engineering", "name": "Engineering"}
    assert item["lead"]["email"] == "ana@corp.example"


def test_unknown_parent_filter_is_a_400_naming_it(directory, member, as_person):
    response = as_person(member).get("/teams", parent="nowhere")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "parent"


@pytest.mark.parametrize("params", [{"page": 0}, {"page_size": 101}, {"page": "x"}, {"q": "a" * 201}])
def test_bad_list_parameters_are_422_naming_them(directory, member, as_person, params):
    response = as_person(member).get("/teams", **params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == next(iter(params))


def test_team_list_costs_the_same_for_many_teams(directory, member, as_person, django_assert_max_num_queries):
    client = as_person(member)
    for n in range(30):
        TeamFactory(name=f"Squad {n}", slug=f"squad-{n}", parent=directory["engineering"], lead=member)
    with django_assert_max_num_queries(4):  # token (+ last-used mark), count, page
        response = client.get("/teams")
    assert response.json()["count"] == 32


def test_team_detail_shows_members_lead_parent_services(directory, member, as_person,
                                                        django_assert_max_num_queries):
    inactive = PersonFactory(name="Gone", is_active=False)
    MembershipFactory(person=inactive, team=directory["team"])
    client = as_person(member)
    with django_assert_max_num_queries(6):  # token (+ mark), team, children, members, services
        response = client.get("/teams/network-group")
    team = response.json()
    assert team["parent"]["slug"] == "engineering"
    assert team["lead"]["name"] == "Ana Member"
    assert [p["email"] for p in team["members"]] == ["ana@corp.example"]  # not the deactivated one
    assert [s["slug"] for s in team["services"]] == ["network", "vpn"]
    assert client.get("/teams/engineering").json()["children"] == [{"slug": "network-group", "name": "Network Group"}]


def test_unknown_team_is_404(directory, member, as_person):
    response = as_person(member).get("/teams/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_admin_creates_a_team_with_parent_and_lead(directory, member, org_admin, as_person):
    response = as_person(org_admin).post("/teams", {"name": "Security", "parent": "engineering",
                                                    "lead": member.pk, "site": "Paris"})
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "security" and body["parent"]["slug"] == "engineering"
    assert [p["id"] for p in body["members"]] == [member.pk]  # the lead joins the team
    assert Team.objects.get(slug="security").site == "Paris"


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"name": "Network Group"}, "name", 400),               # taken
    ({"name": "X", "parent": "nowhere"}, "parent", 400),    # unknown reference
    ({"name": "X", "lead": 999999}, "lead", 400),
    ({"name": ""}, "name", 422),
    ({}, "name", 422),
    ({"name": "X\x00"}, "name", 422),
    ({"name": "X", "lead": "ana"}, "lead", 422),
])
def test_bad_team_input_names_the_field_and_changes_nothing(directory, org_admin, as_person, body, field, status):
    client = as_person(org_admin)
    before = snapshot()
    response = client.post("/teams", body)
    assert response.status_code == status, response.content
    if status == 400:
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert field in response.json()["detail"]
    else:
        assert response.json()["detail"][0]["loc"][-1] == field
    assert snapshot() == before


def test_admin_moves_a_team_and_the_tree_cannot_loop(directory, org_admin, as_person):
    client = as_person(org_admin)
    response = client.patch("/teams/engineering", {"parent": "network-group"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "parent"
    assert Team.objects.get(slug="engineering").parent is None
    response = client.patch("/teams/network-group", {"parent": None, "lead": None})
    assert response.status_code == 200
    assert response.json()["parent"] is None and response.json()["lead"] is None
    assert Team.objects.get(slug="network-group").parent is None


def test_patch_changes_only_the_fields_sent(directory, org_admin, as_person):
    response = as_person(org_admin).patch("/teams/network-group", {"site": "Lyon"})
    team = Team.objects.get(slug="network-group")
    assert response.status_code == 200
    assert (team.site, team.parent, team.lead.email) == ("Lyon", directory["engineering"], "ana@corp.example")


# --- people -------------------------------------------------------------------------------

def test_people_list_searches_and_hides_the_deactivated(directory, member, as_person,
                                                        django_assert_max_num_queries):
    PersonFactory(name="Gone Person", is_active=False)
    for n in range(20):
        PersonFactory(name=f"Zed {n:02}", manager=directory["boss"])
    client = as_person(member)
    with django_assert_max_num_queries(4):
        everyone = client.get("/people", page_size=100).json()
    names = [p["name"] for p in everyone["items"]]
    assert "Gone Person" not in names and everyone["count"] == len(names) == 23
    found = client.get("/people", q="ANA@corp").json()["items"]
    assert [p["email"] for p in found] == ["ana@corp.example"]
    assert found[0]["manager"]["name"] == "Bea Boss"


def test_person_detail_never_shows_sensitive_attributes(directory, member, auditor, as_person):
    SensitiveAttributes.objects.create(person=member, gender="woman", seniority_band="senior")
    for viewer in (member, auditor):
        response = as_person(viewer).get(f"/people/{member.pk}")
        body = response.json()
        assert response.status_code == 200
        assert body["teams"] == [{"slug": "network-group", "name": "Network Group"}]
        assert body["led_teams"] == [{"slug": "network-group", "name": "Network Group"}]
        text = response.content.decode()
        for leak in ("woman", "senior", "gender", "seniority", "password", "is_superuser", "sensitive"):
            assert leak not in text


def test_deactivated_and_unknown_people_are_404(directory, member, as_person):
    gone = PersonFactory(is_active=False)
    client = as_person(member)
    assert client.get(f"/people/{gone.pk}").status_code == 404
    assert client.get("/people/999999").status_code == 404
    assert client.get(f"/people/{10**30}").status_code == 404


def test_me_shows_roles(directory, member, org_admin, as_person):
    mine = as_person(member).get("/me").json()
    assert (mine["email"], mine["roles"], mine["is_org_admin"]) == ("ana@corp.example", ["member", "team lead"], False)
    assert as_person(org_admin).get("/me").json()["is_org_admin"] is True


def test_admin_adds_a_person_without_a_usable_password(directory, org_admin, as_person):
    response = as_person(org_admin).post("/people", {
        "email": " New@Corp.Example ", "name": "New Person", "time_zone": "Europe/Paris",
        "manager": directory["boss"].pk})
    assert response.status_code == 201, response.content
    person = Person.objects.get(email="new@corp.example")
    assert not person.has_usable_password()
    assert response.json()["manager"]["id"] == directory["boss"].pk


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"email": "ana@corp.example", "name": "Twin"}, "email", 400),
    ({"email": "not-an-email", "name": "X"}, "email", 400),
    ({"email": "x@corp.example", "name": "X", "time_zone": "Mars/Olympus"}, "time_zone", 400),
    ({"email": "x@corp.example", "name": "X", "manager": 999999}, "manager", 400),
    ({"email": "x@corp.example"}, "name", 422),
])
def test_bad_person_input_names_the_field_and_changes_nothing(directory, org_admin, as_person, body, field, status):
    client = as_person(org_admin)
    before = snapshot()
    response = client.post("/people", body)
    assert response.status_code == status, response.content
    if status == 400:
        assert field in [e["field"] for e in response.json()["errors"]]
    else:
        assert response.json()["detail"][0]["loc"][-1] == field
    assert snapshot() == before


def test_admin_deactivates_and_brings_back_a_person(directory, member, org_admin, as_person):
    admin = as_person(org_admin)
    member_client = as_person(member)
    response = admin.patch(f"/people/{member.pk}", {"is_active": False})
    assert response.status_code == 200
    assert member_client.get("/me").status_code == 401  # their tokens stop working at once
    assert admin.get(f"/people/{member.pk}").status_code == 404
    response = admin.patch(f"/people/{member.pk}", {"is_active": True, "title": "Back"})
    assert response.status_code == 200 and response.json()["title"] == "Back"
    assert member_client.get("/me").status_code == 200


def test_a_person_cannot_manage_themselves(directory, member, org_admin, as_person):
    response = as_person(org_admin).patch(f"/people/{member.pk}", {"manager": member.pk})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "manager"
    member.refresh_from_db()
    assert member.manager == directory["boss"]


# --- services -----------------------------------------------------------------------------

def test_service_list_filters_by_team_and_text(directory, member, as_person, django_assert_max_num_queries):
    for n in range(25):
        ServiceFactory(team=directory["engineering"], name=f"Pipeline {n}", slug=f"pipeline-{n}")
    client = as_person(member)
    with django_assert_max_num_queries(4):
        everything = client.get("/services").json()
    assert everything["count"] == 28
    mine = client.get("/services", team="network-group").json()
    assert [s["slug"] for s in mine["items"]] == ["network", "vpn"]
    assert mine["items"][0]["intake_address"].startswith("network@")
    assert [s["slug"] for s in client.get("/services", q="vpn").json()["items"]] == ["vpn"]
    unknown = client.get("/services", team="nowhere")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "team"


def test_service_detail_shows_both_directions(directory, member, as_person, django_assert_max_num_queries):
    client = as_person(member)
    with django_assert_max_num_queries(5):  # token (+ mark), service, depends_on, dependents
        vpn = client.get("/services/vpn").json()
    assert [s["slug"] for s in vpn["depends_on"]] == ["network"] and vpn["dependents"] == []
    network = client.get("/services/network").json()
    assert network["dependents"] == [{"slug": "vpn", "name": "VPN",
                                      "team": {"slug": "network-group", "name": "Network Group"}}]
    assert (network["hours_start"], network["working_days"]) == ("09:00", "12345")
    assert client.get("/services/nowhere").status_code == 404


def test_admin_creates_and_changes_a_service(directory, org_admin, as_person):
    client = as_person(org_admin)
    response = client.post("/services", {"team": "network-group", "name": "DNS", "lead_time_days": 3,
                                         "time_zone": "Europe/Paris", "hours_start": "08:00"})
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "dns"
    response = client.patch("/services/dns", {"lead_time_days": 10, "team": "engineering"})
    assert response.status_code == 200
    dns = Service.objects.get(slug="dns")
    assert (dns.lead_time_days, dns.team.slug, dns.time_zone) == (10, "engineering", "Europe/Paris")


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"team": "network-group", "name": "VPN"}, "name", 400),  # unique per team
    ({"team": "nowhere", "name": "X"}, "team", 400),
    ({"team": "network-group", "name": "X", "slug": "vpn"}, "slug", 400),
    ({"team": "network-group", "name": "X", "working_days": "12389"}, "working_days", 400),
    ({"team": "network-group", "name": "X", "time_zone": "Nowhere"}, "time_zone", 400),
    ({"team": "network-group", "name": "X", "hours_start": "18:00"}, "hours_end", 400),
    ({"team": "network-group", "name": "X", "lead_time_days": 400}, "lead_time_days", 422),
    ({"team": "network-group", "name": "X", "hours_start": "late"}, "hours_start", 422),
    ({"team": "network-group", "name": "X", "hours_start": "09:00+02:00"}, "hours_start", 422),
])
def test_bad_service_input_names_the_field_and_changes_nothing(directory, org_admin, as_person,
                                                                body, field, status):
    client = as_person(org_admin)
    before = snapshot()
    response = client.post("/services", body)
    assert response.status_code == status, response.content
    if status == 400:
        assert field in [e["field"] for e in response.json()["errors"]]
    else:
        assert response.json()["detail"][0]["loc"][-1] == field
    assert snapshot() == before


def test_bad_service_change_leaves_it_unchanged(directory, org_admin, as_person):
    response = as_person(org_admin).patch("/services/vpn", {"lead_time_days": 3, "working_days": "0"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "working_days"
    vpn = Service.objects.get(slug="vpn")
    assert (vpn.lead_time_days, vpn.working_days) == (5, "12345")


def test_a_slug_is_not_a_patchable_field(directory, org_admin, as_person):
    response = as_person(org_admin).patch("/services/vpn", {"slug": "tunnel"})
    assert response.status_code == 200  # unknown fields are ignored, the slug stays
    assert Service.objects.filter(slug="vpn").exists()


def test_dependencies_are_added_and_removed(directory, org_admin, as_person):
    client = as_person(org_admin)
    response = client.post("/services/build-farm/dependencies", {"depends_on": "vpn"})
    assert response.status_code == 201
    assert [s["slug"] for s in response.json()["depends_on"]] == ["vpn"]
    assert client.delete("/services/build-farm/dependencies/vpn").status_code == 204
    assert not ServiceDependency.objects.filter(service__slug="build-farm").exists()
    assert client.delete("/services/build-farm/dependencies/vpn").status_code == 404
    assert client.delete("/services/build-farm/dependencies/nowhere").status_code == 404


def test_a_dependency_cycle_is_refused_naming_the_field_and_the_cycle(directory, org_admin, as_person):
    client = as_person(org_admin)
    before = snapshot()
    response = client.post("/services/network/dependencies", {"depends_on": "vpn"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "depends_on"
    assert "VPN → Network" in error["message"] and "cycle" in error["message"]
    assert snapshot() == before


@pytest.mark.parametrize(("body", "status"), [({"depends_on": "nowhere"}, 400), ({"depends_on": "network"}, 400),
                                              ({}, 422)])
def test_bad_dependency_input(directory, org_admin, as_person, body, status):
    client = as_person(org_admin)
    before = snapshot()
    response = client.post("/services/network/dependencies", body)
    assert response.status_code == status, response.content
    assert snapshot() == before


# --- tokens -------------------------------------------------------------------------------

def test_tokens_are_shown_once_and_work(directory, member, as_person):
    client = as_person(member)
    response = client.post("/tokens", {"name": "laptop"})
    assert response.status_code == 201
    key = response.json()["key"]
    assert key.startswith("lsn_") and response.json()["prefix"] == key[:10]
    assert ApiToken.objects.get(pk=response.json()["id"]).key_hash != key  # stored hashed
    listed = ApiClient(key).get("/tokens").json()
    assert {t["name"] for t in listed} == {"phone", "tests", "laptop"}
    assert all("key" not in t for t in listed)


def test_tokens_are_private(directory, member, outsider, as_person):
    theirs, _ = services.create_token(outsider, "theirs")
    client = as_person(member)
    assert "theirs" not in {t["name"] for t in client.get("/tokens").json()}
    assert client.delete(f"/tokens/{theirs.pk}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoking_a_token_stops_it_at_once(directory, member, as_person):
    client = as_person(member)
    spare = client.post("/tokens", {"name": "spare"}).json()
    spare_client = ApiClient(spare["key"])
    assert spare_client.get("/me").status_code == 200
    assert client.delete(f"/tokens/{spare['id']}").status_code == 204
    assert spare_client.get("/me").status_code == 401
    revoked = next(t for t in client.get("/tokens").json() if t["id"] == spare["id"])
    assert revoked["revoked_at"] is not None


def test_token_use_is_recorded_in_one_query(directory, member, as_person, django_assert_num_queries):
    client = as_person(member)
    client.get("/tokens")  # the first use marks the token
    assert ApiToken.objects.get(person=member, name="tests").last_used_at is not None
    with django_assert_num_queries(1):  # the list; the token's person is cached per process until the directory changes
        client.get("/tokens")


@pytest.mark.parametrize(("body", "status"), [({"name": ""}, 422), ({"name": "x" * 101}, 422)])
def test_bad_token_name_is_refused(directory, member, as_person, body, status):
    client = as_person(member)
    before = snapshot()
    response = client.post("/tokens", body)
    assert response.status_code == status
    assert response.json()["detail"][0]["loc"][-1] == "name"
    assert snapshot() == before
