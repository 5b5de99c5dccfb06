"""In a real browser: a conflict becomes an incident, an alliance, a retrospective with action items
and a business case PDF."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from liaison.incidents.models import Incident
from tests.browser.fixtures import sign_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_conflict_becomes_an_incident_an_alliance_and_a_retrospective(story, new_browser_page):
    mia = sign_in(new_browser_page(), story.mia)
    mia.goto(f"/agenda/conflicts/{story.conflict.pk}/")
    mia.get_by_role("link", name="Open an incident").click()
    expect(mia.get_by_role("heading", level=1)).to_have_text("Open an incident")
    mia.get_by_label("Summary").fill("The stream dropped for 40 minutes during the session.")
    mia.get_by_role("button", name="Open the incident").click()
    expect(mia.get_by_role("heading", level=1)).to_contain_text("Core network upgrade")
    expect(mia.get_by_role("link", name="No retrospective yet")).to_be_visible()
    incident = Incident.objects.get()

    # one click (HTMX) invites a team the agenda shows was affected, and a confidential one unnamed
    mia.get_by_role("button", name="Invite Sales enablement to this incident").click()
    expect(mia.get_by_text("Sales Enablement is invited")).to_be_visible()
    mia.get_by_role("button", name="Invite Another team to this incident").click()
    expect(mia.get_by_text("Another team is invited")).to_be_visible()

    # the consequences, in numbers (the form is open while nothing is logged)
    mia.get_by_label("Unit", exact=True).select_option("customers_affected")
    mia.get_by_label("Amount").fill("40")
    mia.get_by_label("What happened").fill("Organisations dropped from the stream")
    mia.get_by_role("button", name="Log it").click()
    expect(mia.locator(".stats")).to_contain_text("customers (external organisations) affected")
    expect(mia.locator(".badge.sev-high")).to_be_visible()

    # Sales Enablement joins in one click and logs its own numbers
    sam = sign_in(new_browser_page(), story.sam)
    sam.goto(incident.get_absolute_url())
    sam.get_by_role("button", name="Join with Sales Enablement").click()
    sam.get_by_text("Log an impact").click()
    sam.get_by_label("Unit", exact=True).select_option("events_disrupted")
    sam.get_by_label("Amount").fill("1")
    sam.get_by_label("What happened").fill("Partner training cut short")
    sam.get_by_role("button", name="Log it").click()
    expect(sam.locator("table", has_text="Reported by")).to_contain_text("Sam Sales")

    # the customer lead builds an alliance and invites Sales Enablement
    carla = sign_in(new_browser_page(), story.carla)
    carla.goto(incident.get_absolute_url())
    carla.get_by_role("link", name="Find the other affected teams").click()
    carla.get_by_label("We ask for").select_option("notice_policy")
    carla.get_by_label("The ask, in a few sentences").fill("Ten business days' notice for core network changes.")
    carla.get_by_role("button", name="Start the alliance").click()
    expect(carla.get_by_role("heading", level=1)).to_have_text("Alliance: A notice policy")
    carla.get_by_role("button", name="Invite Sales enablement into the alliance").click()
    expect(carla.get_by_text("Sales Enablement is invited")).to_be_visible()
    carla.get_by_role("button", name="Co-sign for Product Marketing").click()
    alliance_url = carla.url
    sam.goto(alliance_url)
    sam.get_by_role("button", name="Join with Sales Enablement").click()
    sam.get_by_role("button", name="Co-sign for Sales Enablement").click()
    expect(sam.get_by_text("2 teams co-signed.")).to_be_visible()
    lars = sign_in(new_browser_page(), story.lars)
    lars.goto(alliance_url)
    lars.get_by_label(re.compile("Your answer")).fill("Agreed from April: ten days, and no changes before critical "
                                                     "events.")
    lars.get_by_role("button", name="Answer").click()
    expect(lars.locator("blockquote", has_text="Agreed from April")).to_be_visible()

    # when is the retrospective? booked, then an action item that is a commitment
    mia.goto(incident.get_absolute_url() + "#retrospective")
    expect(mia.get_by_role("link", name="Fiona Finance")).to_be_visible()
    when = (timezone.now() + dt.timedelta(days=3)).replace(hour=14, minute=0)
    mia.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    mia.get_by_label("Location").fill("Room 4B")
    mia.get_by_role("button", name="Book and invite").click()
    expect(mia.locator(".callout.ok", has_text="Booked for")).to_be_visible()
    mia.get_by_text("Add an action item").click()
    mia.get_by_label("Title").fill("Publish core network changes ten business days ahead")
    mia.get_by_label("Owner").fill("nico@corp.example")
    mia.get_by_label("Due").fill((timezone.now() + dt.timedelta(days=20)).strftime("%Y-%m-%d"))
    mia.get_by_role("button", name="Add and commit").click()
    row = mia.locator("tr", has_text="Publish core network changes")
    expect(row).to_contain_text("Nico Network")
    expect(row).to_contain_text("Committed")
    # ...and ends with the business case for senior managers, as a page and as a PDF read back.
    mia.get_by_role("link", name="Business case", exact=True).click()
    expect(mia.get_by_role("heading", level=1)).to_contain_text("Business case:")
    expect(mia.get_by_role("heading", name="What the numbers do not show")).to_be_visible()
    with mia.expect_download() as info:
        mia.get_by_role("link", name="Download PDF").click()
    with open(info.value.path(), "rb") as fh:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(fh.read())).pages)
    assert "Business case:" in text and "Core network upgrade" in text
    assert "Ten business days' notice for core network changes." in text  # the alliance's ask
    assert "What the numbers do not show" in text
