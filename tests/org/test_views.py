"""The directory pages: teams, people, services, the org-chart import and API tokens."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from liaison.org import services
from liaison.org.models import ApiToken, Person, SensitiveAttributes, Team
from liaison.org.views import working_day_names
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(team, member):
    """A small org: Engineering > Infrastructure > Network Group, services with dependencies."""
    engineering = TeamFactory(name="Engineering", slug="engineering")
    infrastructure = TeamFactory(name="Infrastructure", slug="infrastructure", parent=engineering)
    team.parent = infrastructure
    team.description = "We run the corporate network."
    lead = PersonFactory(name="Noor Lead", email="noor@corp.example", title="Network Lead")
    MembershipFactory(person=lead, team=team)
    team.lead = lead
    team.save()
    security = TeamFactory(name="Security", slug="security")
    platform = TeamFactory(name="Platform", slug="platform")
    idp = ServiceFactory(team=security, name="Identity provider", slug="idp", lead_time_days=3)
    dns = ServiceFactory(team=team, name="DNS records", slug="dns", lead_time_days=2,
                         intake_expectations="The record name, type and value.")
    firewall = ServiceFactory(team=team, name="Firewall changes", slug="firewall", lead_time_days=10,
                              working_days="1234")
    services.add_dependency(dns, idp)
    services.add_dependency(firewall, idp)
    k8s = ServiceFactory(team=platform, name="Kubernetes namespaces", slug="k8s")
    services.add_dependency(k8s, dns)
    return {"engineering": engineering, "infrastructure": infrastructure, "security": security,
            "platform": platform, "idp": idp, "dns": dns, "firewall": firewall, "k8s": k8s, "lead": lead}


def page_urls(directory, team, member):
    return [
        reverse("team_list"),
        reverse("team", args=[team.slug]),
        reverse("person", args=[member.pk]),
        reverse("service_list"),
        reverse("service", args=[directory["dns"].slug]),
        reverse("import_org"),
        reverse("tokens"),
    ]


# --- who may see the directory ---------------------------------------------------------

def test_every_page_sends_anonymous_visitors_to_sign_in(client, directory, team, member):
    for url in page_urls(directory, team, member):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_a_deactivated_person_cannot_use_the_pages(client, directory, team, member):
    client.force_login(member)
    member.is_active = False
    member.save()
    for url in page_urls(directory, team, member):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_a_deactivated_person_cannot_sign_in(client, member):
    member.is_active = False
    member.save()
    response = client.post(reverse("login"), {"username": member.email, "password": "correct horse battery staple"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_outsider_sees_the_whole_directory(login, outsider, directory, team, member):
    client = login(outsider)
    for url in page_urls(directory, team, member):
        if url == reverse("import_org"):
            continue
        assert client.get(url).status_code == 200, url


def test_unknown_objects_are_404(login, member):
    client = login(member)
    assert client.get(reverse("team", args=["no-such-team"])).status_code == 404
    assert client.get(reverse("service", args=["no-such-service"])).status_code == 404
    assert client.get(reverse("person", args=[999999])).status_code == 404


def test_a_deactivated_persons_page_is_gone(login, member, outsider):
    outsider.is_active = False
    outsider.save()
    assert login(member).get(reverse("person", args=[outsider.pk])).status_code == 404


# --- teams -----------------------------------------------------------------------------

def test_team_list_shows_teams_with_parent_lead_and_counts(login, member, directory, team):
    response = login(member).get(reverse("team_list"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Network Group", "Engineering", "Infrastructure", "Security", "Noor Lead"):
        assert name in html
    row = next(t for t in response.context["page_obj"] if t.pk == team.pk)
    assert (row.member_count, row.service_count) == (2, 2)


def test_team_list_search_matches_name_and_description(login, member, directory):
    client = login(member)
    names = [t.name for t in client.get(reverse("team_list"), {"q": "infra"}).context["page_obj"]]
    assert names == ["Infrastructure"]
    names = [t.name for t in client.get(reverse("team_list"), {"q": "corporate network"}).context["page_obj"]]
    assert names == ["Network Group"]


def test_team_list_filters_by_parent(login, member, directory):
    client = login(member)
    response = client.get(reverse("team_list"), {"parent": "engineering"})
    assert [t.name for t in response.context["page_obj"]] == ["Infrastructure"]
    # The filter only offers teams that have sub-teams.
    offered = list(response.context["form"].fields["parent"].queryset.values_list("slug", flat=True))
    assert offered == ["engineering", "infrastructure"]


def test_team_list_ignores_an_unknown_parent_instead_of_failing(login, member, directory):
    response = login(member).get(reverse("team_list"), {"parent": "nope"})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == Team.objects.count()


def test_team_list_empty_states(login, member, db):
    client = login(member)
    html = client.get(reverse("team_list"), {"q": "zzz-nothing"}).content.decode()
    assert "No team matches these filters" in html
    Team.objects.all().delete()
    html = client.get(reverse("team_list")).content.decode()
    assert "There are no teams yet" in html


@override_settings(LIAISON_PAGE_SIZE=5)
def test_team_list_paginates(login, member):
    for n in range(11):
        TeamFactory(name=f"Squad {n:02d}", slug=f"squad-{n:02d}")
    client = login(member)
    first = client.get(reverse("team_list"), {"q": "squad"})
    assert first.context["page_obj"].paginator.num_pages == 3
    assert [t.name for t in first.context["page_obj"]] == [f"Squad {n:02d}" for n in range(5)]
    html = first.content.decode()
    assert "Page 1 of 3" in html
    assert 'href="?q=squad&amp;page=2"' in html  # the filter survives paging
    last = client.get(reverse("team_list"), {"q": "squad", "page": 3})
    assert [t.name for t in last.context["page_obj"]] == ["Squad 10"]
    beyond = client.get(reverse("team_list"), {"q": "squad", "page": 99})
    assert beyond.context["page_obj"].number == 3


def test_team_list_answers_htmx_with_the_results_only(login, member, directory):
    response = login(member).get(reverse("team_list"), {"q": "infra"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Infrastructure" in html
    assert "<html" not in html and "<h1>" not in html
    assert 'hx-swap-oob="innerHTML"' in html and "1 team matching" in html
    assert "HX-Request" in response["Vary"]


def test_team_list_query_count_does_not_grow_with_teams(login, member, django_assert_max_num_queries):
    client = login(member)
    for _ in range(30):
        parent = TeamFactory(lead=PersonFactory())
        child = TeamFactory(parent=parent, lead=PersonFactory())
        MembershipFactory(team=child)
        ServiceFactory(team=child)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("team_list"))
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 25


def test_team_page_shows_tree_lead_members_services_and_dependencies(login, outsider, directory, team, member):
    response = login(outsider).get(reverse("team", args=[team.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert [t.name for t in response.context["ancestors"]] == ["Engineering", "Infrastructure"]
    assert html.index("Engineering") < html.index("Infrastructure") < html.index("<h1>Network Group")
    assert "We run the corporate network." in html
    assert "Noor Lead" in html and "Network Lead" in html
    assert [p.name for p in response.context["members"]] == ["Ana Member", "Noor Lead"]
    assert "DNS records" in html and "2 business days" in html and "10 business days" in html
    upstream = list(response.context["upstream"])
    assert [s.name for s in upstream] == ["Identity provider"]
    assert [s.name for s in upstream[0].needed_by] == ["DNS records", "Firewall changes"]
    assert "Security" in html
    assert [s.name for s in response.context["downstream"]] == ["Kubernetes namespaces"]


def test_team_page_children_and_empty_states(login, member, directory):
    response = login(member).get(reverse("team", args=["engineering"]))
    html = response.content.decode()
    assert [t.name for t in response.context["children"]] == ["Infrastructure"]
    assert "offers no services" in html
    assert "depend on no other team" in html
    assert "No members yet." in html


def test_team_page_query_count_is_bounded(login, member, directory, team, django_assert_max_num_queries):
    for _ in range(15):
        MembershipFactory(team=team)
        other = ServiceFactory()
        services.add_dependency(directory["firewall"], other)
    client = login(member)
    with django_assert_max_num_queries(18):
        assert client.get(reverse("team", args=[team.slug])).status_code == 200


# --- people ----------------------------------------------------------------------------

def test_person_page_shows_profile_manager_reports_and_teams(login, outsider, directory, team, member):
    lead = directory["lead"]
    member.manager = lead
    member.site, member.time_zone = "Paris", "Europe/Paris"
    member.save()
    gone = PersonFactory(name="Gone Report", manager=lead, is_active=False)
    response = login(outsider).get(reverse("person", args=[lead.pk]))
    html = response.content.decode()
    assert [p.name for p in response.context["reports"]] == ["Ana Member"]
    assert gone.name not in html
    assert [t.name for t in response.context["teams_led"]] == ["Network Group"]
    assert "Network Lead" in html

    html = login(outsider).get(reverse("person", args=[member.pk])).content.decode()
    assert "Paris" in html and "Europe/Paris" in html and "Noor Lead" in html and "Network Group" in html


def test_person_page_never_shows_sensitive_attributes(login, auditor, outsider, member):
    SensitiveAttributes.objects.create(person=member, gender="non-binary", seniority_band="executive")
    for viewer in (outsider, auditor):
        html = login(viewer).get(reverse("person", args=[member.pk])).content.decode()
        assert "Non-binary" not in html and "non-binary" not in html
        assert "Executive" not in html and "executive" not in html


def test_person_page_hides_a_deactivated_manager(login, member, outsider):
    boss = PersonFactory(name="Former Boss", is_active=False)
    member.manager = boss
    member.save()
    response = login(outsider).get(reverse("person", args=[member.pk]))
    assert response.context["manager"] is None
    assert "Former Boss" not in response.content.decode()


# --- services --------------------------------------------------------------------------

def test_catalogue_lists_services_with_provider_lead_time_and_dependencies(login, outsider, directory):
    response = login(outsider).get(reverse("service_list"))
    html = response.content.decode()
    rows = {s.name: s for s in response.context["page_obj"]}
    assert set(rows) == {"DNS records", "Firewall changes", "Identity provider", "Kubernetes namespaces"}
    assert [d.name for d in rows["Kubernetes namespaces"].depends_on.all()] == ["DNS records"]
    assert "Network Group" in html and "10 business days" in html


def test_catalogue_search_and_team_filter(login, member, directory):
    client = login(member)
    assert [s.name for s in client.get(reverse("service_list"), {"q": "firewall"}).context["page_obj"]] == [
        "Firewall changes"]
    by_team = client.get(reverse("service_list"), {"team": "network-group"}).context["page_obj"]
    assert [s.name for s in by_team] == ["DNS records", "Firewall changes"]
    html = client.get(reverse("service_list"), {"q": "firewall", "team": "security"}).content.decode()
    assert "No service matches these filters" in html


def test_catalogue_empty_state(login, member):
    assert "The catalogue is empty" in login(member).get(reverse("service_list")).content.decode()


@override_settings(LIAISON_PAGE_SIZE=3)
def test_catalogue_paginates(login, member):
    for n in range(7):
        ServiceFactory(name=f"Svc {n}")
    response = login(member).get(reverse("service_list"), {"page": 3})
    assert response.context["page_obj"].paginator.num_pages == 3
    assert len(response.context["page_obj"]) == 1


def test_catalogue_query_count_does_not_grow_with_services(login, member, django_assert_max_num_queries):
    previous = None
    for _ in range(30):
        service = ServiceFactory()
        if previous:
            services.add_dependency(service, previous)
        previous = service
    client = login(member)
    # 7: the page's own 6, and the header's unread notification count (one indexed COUNT).
    with django_assert_max_num_queries(7):
        response = client.get(reverse("service_list"))
    assert len(response.context["page_obj"]) == 25


def test_service_page_shows_intake_hours_and_both_directions(login, outsider, directory):
    response = login(outsider).get(reverse("service", args=["dns"]))
    html = response.content.decode()
    assert "dns@" in html
    assert "The record name, type and value." in html
    assert "2 business days" in html
    assert "09:00\u201317:00 (UTC)" in html
    assert "Monday to Friday" in html
    assert [s.name for s in response.context["depends_on"]] == ["Identity provider"]
    assert [s.name for s in response.context["dependents"]] == ["Kubernetes namespaces"]


def test_service_page_lists_indirect_dependencies(login, member, directory):
    response = login(member).get(reverse("service", args=["k8s"]))
    assert [s.name for s in response.context["depends_on"]] == ["DNS records"]
    assert [s.name for s in response.context["indirect"]] == ["Identity provider"]


def test_service_page_empty_states(login, member):
    ServiceFactory(name="Lonely", slug="lonely", working_days="135")
    html = login(member).get(reverse("service", args=["lonely"])).content.decode()
    assert "Lonely depends on no other service." in html
    assert "No service depends on Lonely." in html
    assert "has not written down what a request should contain" in html
    assert "Monday, Wednesday, Friday" in html


@pytest.mark.parametrize(("days", "expected"), [
    ("12345", "Monday to Friday"), ("1234567", "Monday to Sunday"), ("135", "Monday, Wednesday, Friday"),
    ("67", "Saturday, Sunday"), ("1", "Monday"),
])
def test_working_day_names(days, expected):
    assert working_day_names(days) == expected


# --- org-chart import ------------------------------------------------------------------

def upload(text, name="org.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


GOOD_CSV = (
    "email,name,team,title,parent_team,manager_email,is_lead\n"
    "ada@corp.example,Ada Lovelace,Platform,Head of Platform,Engineering,,yes\n"
    "alan@corp.example,Alan Turing,Platform,Engineer,Engineering,ada@corp.example,no\n"
)


def test_import_page_is_for_org_admins_only(login, member, outsider):
    for person in (member, outsider):
        client = login(person)
        assert client.get(reverse("import_org")).status_code == 403
        response = client.post(reverse("import_org"), {"file": upload(GOOD_CSV)})
        assert response.status_code == 403
    assert not Person.objects.filter(email="ada@corp.example").exists()


def test_a_deactivated_org_admin_cannot_import(client, org_admin):
    client.force_login(org_admin)
    org_admin.is_active = False
    org_admin.save()
    assert client.get(reverse("import_org")).status_code == 302


def test_import_page_lists_the_expected_columns(login, org_admin):
    html = login(org_admin).get(reverse("import_org")).content.decode()
    for column in ("email", "name", "team", "title", "site", "time_zone", "parent_team", "manager_email",
                   "is_lead", "gender", "seniority_band"):
        assert f"<code>{column}</code>" in html
    assert 'enctype="multipart/form-data"' in html


def test_import_creates_people_and_teams_and_shows_the_report(login, org_admin):
    client = login(org_admin)
    response = client.post(reverse("import_org"), {"file": upload("\ufeff" + GOOD_CSV)})
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.people_created, report.teams_created) == (2, 2)
    assert "Imported" in response.content.decode()
    alan = Person.objects.get(email="alan@corp.example")
    assert alan.manager.email == "ada@corp.example"
    assert Team.objects.get(name="Platform").parent.name == "Engineering"

    again = client.post(reverse("import_org"), {"file": upload(GOOD_CSV)}).context["report"]
    assert (again.people_created, again.people_updated, again.people_unchanged) == (0, 0, 2)


def test_import_with_errors_lists_them_and_changes_nothing(login, org_admin):
    bad = ("email,name,team,time_zone\n"
           "ada@corp.example,Ada Lovelace,Platform,Europe/Paris\n"
           "not-an-email,Bob,Platform,\n"
           "carl@corp.example,Carl,Platform,Mars/Olympus\n")
    people_before, teams_before = Person.objects.count(), Team.objects.count()
    response = login(org_admin).post(reverse("import_org"), {"file": upload(bad)})
    assert response.status_code == 400
    errors = response.context["errors"]
    assert {(e.row, e.column) for e in errors} >= {(3, "email"), (4, "time_zone")}
    html = response.content.decode()
    assert "nothing was changed" in html
    assert "Mars/Olympus" in html or "time zone" in html
    assert (Person.objects.count(), Team.objects.count()) == (people_before, teams_before)


def test_import_refuses_a_file_that_is_not_utf8(login, org_admin):
    data = SimpleUploadedFile("org.csv", "email,name,team\nzoë@corp.example,Zoë,Ops\n".encode("latin-1"))
    response = login(org_admin).post(reverse("import_org"), {"file": data})
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert not Team.objects.filter(name="Ops").exists()


def test_import_without_a_file_says_so(login, org_admin):
    response = login(org_admin).post(reverse("import_org"), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


# --- API tokens ------------------------------------------------------------------------

def test_tokens_page_lists_only_my_tokens(login, member, outsider):
    mine, _ = services.create_token(member, "CI pipeline")
    theirs, _ = services.create_token(outsider, "Olga's laptop")
    response = login(member).get(reverse("tokens"))
    html = response.content.decode()
    assert list(response.context["tokens"]) == [mine]
    assert "CI pipeline" in html and mine.prefix in html
    assert "Olga&#x27;s laptop" not in html and theirs.prefix not in html


def test_tokens_page_empty_state(login, member):
    assert "You have no API tokens" in login(member).get(reverse("tokens")).content.decode()


def test_creating_a_token_shows_the_key_once(login, member):
    client = login(member)
    response = client.post(reverse("tokens"), {"name": "Deploy bot"})
    assert response.status_code == 200
    key = response.context["new_key"]
    html = response.content.decode()
    assert key in html and "only time it is shown" in html
    assert services.authenticate_token(key) == member
    token = ApiToken.objects.get(person=member)
    assert token.name == "Deploy bot" and key not in (token.key_hash, token.prefix)
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert key not in client.get(reverse("tokens")).content.decode()


def test_creating_a_token_needs_a_name(login, member):
    response = login(member).post(reverse("tokens"), {"name": "  "})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_my_token(login, member):
    token, key = services.create_token(member, "Old script")
    client = login(member)
    response = client.post(reverse("revoke_token", args=[token.pk]), follow=True)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.authenticate_token(key) is None
    assert "revoked" in response.content.decode()


def test_nobody_can_revoke_another_persons_token(login, member, outsider, org_admin):
    token, key = services.create_token(outsider, "Olga's")
    for person in (member, org_admin):
        assert login(person).post(reverse("revoke_token", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert services.authenticate_token(key) == outsider


def test_revoking_needs_post_and_sign_in(client, login, member):
    token, _ = services.create_token(member)
    url = reverse("revoke_token", args=[token.pk])
    assert client.post(url).status_code == 302
    assert login(member).get(url).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_403_page_says_why(login, member):
    response = login(member).get(reverse("import_org"))
    assert response.status_code == 403
    assert "Only org admins can import the org chart." in response.content.decode()
