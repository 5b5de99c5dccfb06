"""In a real browser: a senior manager's walk from the department dashboard to the incident's
business case, its charts, and the PDF (downloaded and read back)."""

import io
import os

import pytest
from django.utils import timezone
from pypdf import PdfReader

from .incident_cast import build_cast, change, seed_002

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = os.environ.get("LIAISON_SCREENSHOT_DIR")


def test_dashboard_to_business_case_and_its_pdf(signed_in_page):
    from playwright.sync_api import expect

    cast = build_cast()
    now = timezone.now()
    for i, days in enumerate([2, 3, 12, 1, 15, 4]):
        change(cast.network, start=now - timezone.timedelta(days=20 + 30 * i), notice_days=days)
    story = seed_002(cast)
    # seed_002 dates itself on the cast's fixed NOW; the walk happens today
    story.incident.opened_at = now - timezone.timedelta(days=2)
    story.incident.save(update_fields=["opened_at"])

    page = signed_in_page(cast.diana)
    page.goto("/insights/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Department dashboard")
    expect(page.get_by_role("table", name="Incidents not closed, most severe first")).to_contain_text(
        "Webinar lost its network")
    page.get_by_role("link", name="Business case for Webinar lost its network").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Business case: Webinar lost its network")
    expect(page.get_by_role("table", name="Impact totals per unit")).to_contain_text("48.5")
    expect(page.get_by_role("img", name="Hours of labour by team")).to_be_visible()
    expect(page.get_by_role("heading", name="What the numbers do not show")).to_be_visible()
    expect(page.get_by_text("1 affected team logged no impact: Other.", exact=False)).to_be_visible()
    if SCREENSHOT:
        page.screenshot(path=os.path.join(SCREENSHOT, "business-case.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == f"business-case-incident-{story.incident.pk}.pdf"
    with open(download.path(), "rb") as fh:
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(fh.read())).pages)
    assert "Business case: Webinar lost its network" in text
    assert "Hours of labour" in text and "48.5" in text and "Ten business days' notice" in text
    assert "What the numbers do not show" in text
