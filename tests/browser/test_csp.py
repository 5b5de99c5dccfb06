"""The Content-Security-Policy in a real browser: every page below opens with no violation and
no request to another origin (the page watcher in fixtures.py fails the test otherwise);
htmx still swaps, the admin works, and the API docs run from Liaison's own static files."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from liaison.agenda import services as agenda
from liaison.org import services as org
from tests.factories import MembershipFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    admin = PersonFactory(name="Adam Admin", email="admin@corp.example", is_staff=True, is_superuser=True)
    admin.set_password("correct horse battery staple")
    admin.save()
    network = org.create_team(name="Network Group", lead=admin)
    marketing = org.create_team(name="Product Marketing")
    MembershipFactory(person=PersonFactory(), team=marketing)
    net = org.create_service(team=network, name="Corporate Network")
    webinar = org.create_service(team=marketing, name="Webinar Platform", depends_on=[net])
    now = timezone.now()
    start = now + dt.timedelta(days=20)
    agenda.create_event(team=marketing, title="Launch", services=[webinar], start=start,
                        end=start + dt.timedelta(hours=3), by=admin, now=now)
    change = agenda.create_change(team=network, title="Upgrade", services=[net], start=start - dt.timedelta(hours=1),
                                  end=start + dt.timedelta(hours=1), by=admin, now=now, publish=True)
    return admin, network, change


def test_pages_keep_to_the_policy(world, signed_in_page):
    from playwright.sync_api import expect

    admin, network, change = world
    page = signed_in_page(admin)
    for url in ["/", "/teams/", "/services/", f"/teams/{network.slug}/", "/requests/", "/agenda/",
                f"/agenda/changes/{change.pk}/", "/agenda/conflicts/", f"/agenda/notice/{network.slug}/",
                f"/agenda/teams/{network.slug}/calendar/", "/network/", "/insights/", "/accounts/password_change/",
                "/admin/", "/admin/org/person/", f"/admin/org/person/{admin.pk}/change/", "/admin/auth/group/"]:
        response = page.goto(url)
        assert response.status < 400, url
        assert "script-src 'self'" in response.headers["content-security-policy"], url
    # htmx is loaded and swaps under the policy: the calendar's next-month link replaces #calendar
    page.goto(f"/agenda/teams/{network.slug}/calendar/")
    page.get_by_role("link", name="Next month →").click()
    expect(page).to_have_url(re.compile(r"day=\d{4}-"))
    assert page.evaluate("typeof htmx") == "object"


def test_the_api_docs_run_from_our_static_files(world, signed_in_page):
    from playwright.sync_api import expect

    page = signed_in_page(world[0])
    response = page.goto("/api/v1/docs")
    html = response.text()
    assert "cdn" not in html.lower() and "/static/ninja/swagger-ui-bundle" in html
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Liaison API", timeout=20_000)
    expect(page.locator(".opblock").first).to_be_visible()
