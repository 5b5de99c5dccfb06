"""In a real browser: an auditor opens a pair page (charts drawn, data tables beside them)
and runs the fairness audit; a member is refused the audit.

The figures follow the requests' visibility (liaison.org.visibility): being an auditor
opens the audit, not every pair, so this auditor works in Billing."""

import datetime as dt
import os

import lifelines  # noqa: F401  (imported here, not on the first page view: the live server shares this process)
import numpy as np
import pytest
from django.utils import timezone

from liaison.insights.rollups import rebuild_facts
from liaison.org.models import SensitiveAttributes
from tests.factories import MembershipFactory, PersonFactory

from .conftest import bulk_requests

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = os.environ.get("LIAISON_SCREENSHOT_DIR")


def _data(pair):
    now = timezone.now()
    rng = np.random.default_rng(2)
    people = [PersonFactory(site="Pune" if i % 2 else "Leeds") for i in range(24)]
    SensitiveAttributes.objects.bulk_create(
        [SensitiveAttributes(person=p, gender="woman" if i % 2 else "man") for i, p in enumerate(people)])
    created = [now - dt.timedelta(days=int(d), hours=3) for d in rng.integers(3, 330, 240)]
    bulk_requests(service=pair.service, requester=[people[i % 24] for i in range(240)], requester_team=pair.billing,
                  created=created, ack_hours=list(rng.exponential(10, 240)), commit_hours=20.0,
                  deliver_hours=list(rng.exponential(100, 240) + 24), committed_days=[4, 20] * 120,
                  quality=list(rng.integers(2, 6, 240)))
    rebuild_facts(now)


def test_auditor_sees_the_pair_page_and_runs_the_audit(pair, auditor, signed_in_page):
    from playwright.sync_api import expect

    _data(pair)
    MembershipFactory(person=auditor, team=pair.billing)
    page = signed_in_page(auditor)
    page.goto("/insights/pairs/offshore-ops/billing/", timeout=60_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Offshore Ops and Billing")
    expect(page.get_by_role("heading", name="Offshore Ops serving Billing")).to_be_visible()
    # three charts drawn by uPlot for the direction with requests; the empty direction says so instead
    expect(page.locator(".ins-chart canvas")).to_have_count(3)
    expect(page.get_by_text("No requests from Offshore Ops to Billing")).to_be_visible()
    expect(page.get_by_role("table", name="How Offshore Ops serves (provider side)")).to_contain_text(
        "Time to acknowledge")
    expect(page.get_by_role("table", name="Monthly figures, Offshore Ops serving Billing (sample size in brackets)")
           ).to_be_visible()
    if SCREENSHOT:
        page.screenshot(path=os.path.join(SCREENSHOT, "insights-pair.png"), full_page=True)

    page.get_by_role("link", name="Fairness audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fairness audit")
    page.get_by_label("Service or team").select_option(label="Report production (Offshore Ops)")
    page.get_by_label("Measure").select_option(label="Time to acknowledge")
    page.get_by_label("Attribute of the requester").select_option(label="All three (corrected together)")
    page.get_by_role("button", name="Run the audit").click()
    expect(page.get_by_role("heading", name="Time to acknowledge, requests to Report production")).to_be_visible()
    expect(page.get_by_role("table", name="Time to acknowledge by gender")).to_contain_text("Log-rank")
    expect(page.get_by_role("table", name="The last 1 runs")).to_contain_text(auditor.name)


def test_member_is_refused_the_audit(pair, new_browser_page):
    from tests.browser.fixtures import sign_in

    page = sign_in(new_browser_page(), pair.ben)
    response = page.goto("/insights/audit/")
    assert response.status == 403
    assert page.get_by_role("link", name="Fairness audit").count() == 0
