"""The home dashboard and the search page."""

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_search_and_home_send_anonymous_visitors_to_sign_in(client):
    for url in (reverse("home"), reverse("search") + "?q=ana"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_home_shows_my_teams_and_the_directory_counts_moved_to_the_directory(login, member, team):
    TeamFactory(name="Not Mine")
    ServiceFactory(team=team)
    PersonFactory(is_active=False)
    client = login(member)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert [t.name for t in response.context["my_teams"]] == ["Network Group"]
    assert "Not Mine" not in html
    assert "counts" not in response.context  # the directory's size lives on the directory pages now
    assert "Nothing needs you right now" in html
    assert reverse("import_org") not in html  # only org admins see the import link
    teams = client.get(reverse("team_list")).content.decode()
    assert "The directory: 1 person" in teams


def test_home_offers_import_to_org_admins(login, org_admin):
    html = login(org_admin).get(reverse("home")).content.decode()
    assert reverse("import_org") in html
    assert "You are not a member of any team yet" in html


def test_home_query_count_is_bounded(login, member, django_assert_max_num_queries):
    for _ in range(10):
        MembershipFactory(person=member, team=TeamFactory(parent=TeamFactory(), lead=PersonFactory()))
    client = login(member)
    # session, user, then one query per category of "what needs you", the rules, the lead's and
    # manager's tables: bounded, and the same for ten teams as for one (tests/web/test_home.py)
    with django_assert_max_num_queries(24):
        assert client.get(reverse("home")).status_code == 200


def test_search_finds_people_teams_and_services(login, outsider, member, team):
    ServiceFactory(team=team, name="Network firewall", slug="fw")
    PersonFactory(name="Netta Gone", is_active=False)
    response = login(outsider).get(reverse("search"), {"q": "net"})
    results = response.context["results"]
    assert [t.name for t in results["teams"]] == ["Network Group"]
    assert [s.name for s in results["services"]] == ["Network firewall"]
    assert results["people"] == []  # the deactivated Netta is not found
    by_email = login(outsider).get(reverse("search"), {"q": "ana@corp"}).context["results"]
    assert [p.name for p in by_email["people"]] == ["Ana Member"]
    assert 'value="ana@corp"' in login(outsider).get(reverse("search"), {"q": "ana@corp"}).content.decode()


def test_search_empty_states(login, member):
    client = login(member)
    assert "Type a name" in client.get(reverse("search")).content.decode()
    html = client.get(reverse("search"), {"q": "zzzz"}).content.decode()
    assert "Nothing matches" in html


def test_search_caps_each_kind_and_says_so(login, member, django_assert_max_num_queries):
    for n in range(25):
        PersonFactory(name=f"Zed {n:02d}")
    client = login(member)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("search"), {"q": "zed"})
    assert len(response.context["results"]["people"]) == 20
    assert "Showing the first 20 people" in response.content.decode()


def test_search_escapes_what_was_typed(login, member):
    html = login(member).get(reverse("search"), {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
