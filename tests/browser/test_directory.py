"""The directory in a real browser: sign in, a team page, the header search, live filtering."""

import re

import pytest

from liaison.org import services
from tests.browser.fixtures import sign_in
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(member, team):
    parent = TeamFactory(name="Infrastructure", slug="infrastructure")
    team.parent = parent
    team.description = "We run the corporate network."
    team.lead = member
    team.save()
    mei = PersonFactory(name="Mei Chen", email="mei@corp.example", title="Network Engineer")
    MembershipFactory(person=mei, team=team)
    idp = ServiceFactory(team=TeamFactory(name="Security", slug="security"), name="Identity provider", slug="idp")
    dns = ServiceFactory(team=team, name="DNS records", slug="dns", lead_time_days=2)
    services.add_dependency(dns, idp)
    return {"mei": mei, "dns": dns}


def test_sign_in_team_page_and_header_search(browser_page, member, team, org, tmp_path):
    from playwright.sync_api import expect

    page = sign_in(browser_page, member)
    expect(page.get_by_role("heading", level=1)).to_have_text("What needs you")
    expect(page.get_by_text("Hello Ana Member.")).to_be_visible()

    page.get_by_role("link", name="Network Group").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network Group")
    breadcrumb = page.get_by_role("navigation", name="Org tree")
    expect(breadcrumb.get_by_role("link", name="Infrastructure")).to_be_visible()
    offered = page.get_by_role("region", name="Services offered")
    expect(offered.get_by_role("rowheader", name="DNS records")).to_be_visible()
    expect(offered.get_by_role("cell", name="2 business days")).to_be_visible()
    upstream = page.get_by_role("region", name="Depends on")
    expect(upstream.get_by_role("cell", name="Security")).to_be_visible()

    search = page.get_by_role("searchbox", name="Search people, teams and services")
    search.fill("Mei")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=Mei"))
    page.get_by_role("link", name="Mei Chen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mei Chen")
    expect(page.get_by_text("Network Engineer").first).to_be_visible()

    page.goto(f"/teams/{team.slug}/")
    shot = tmp_path / "team.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.exists() and shot.stat().st_size > 10_000


def test_team_list_filters_live_without_reloading(signed_in_page, member, team, org):
    from playwright.sync_api import expect

    for n in range(3):
        TeamFactory(name=f"Squad {n}")
    page = signed_in_page(member)
    page.goto("/teams/")
    page.evaluate("window.notReloaded = true")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^\s*6 teams\s*$"))
    page.get_by_role("searchbox", name="Search teams").fill("squad")
    expect(page.get_by_role("status")).to_have_text(re.compile("3 teams matching “squad”"))
    expect(page.get_by_role("link", name="Network Group")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/teams/\?q=squad"))
    assert page.evaluate("window.notReloaded") is True  # HTMX swapped the results in place


def test_sign_out(signed_in_page, member):
    from playwright.sync_api import expect

    page = signed_in_page(member)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto("/teams/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/teams/"))


def test_a_wrong_password_is_refused(browser_page, member):
    from playwright.sync_api import expect

    page = browser_page
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct email")
