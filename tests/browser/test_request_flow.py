"""One request from forecast to thanks, in a real browser, by the two people who live it:
Remy (Remote Office) gives Platform a heads-up, confirms it; Pete (Platform) acknowledges,
commits and delivers; Remy accepts with a rating and a thank-you. The timeline shows
every step."""

import datetime as dt

import pytest

from liaison.requests.models import Request, Status
from tests.browser.fixtures import sign_in
from tests.requests.conftest import CONTEXT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_forecast_to_thanks(new_browser_page, cast, tmp_path):
    from playwright.sync_api import expect

    today = dt.date.today()
    remy = sign_in(new_browser_page(), cast.remy)

    # Remy writes a heads-up; the coach speaks while he types.
    remy.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    remy.get_by_role("link", name="New request").first.click()
    expect(remy.get_by_role("heading", level=1)).to_have_text("New request")
    remy.get_by_label("Service", exact=True).select_option(label="Database provisioning — Platform")
    remy.get_by_label("Title", exact=True).press_sequentially("Reporting database ASAP")  # keyup, as typed
    coach = remy.locator("#coach")
    expect(coach).to_contain_text("reads as a demand")
    remy.get_by_label("Title", exact=True).fill("Reporting database for the client go-live")
    remy.get_by_label("Context", exact=True).fill(CONTEXT)
    remy.get_by_label("Needed by").fill(str(today + dt.timedelta(days=28)))
    remy.get_by_label("Flexible").check()
    remy.get_by_label("This is a heads-up forecast").check()
    remy.get_by_label("Probability (%)").fill("80")
    remy.get_by_label("Confirm by").fill(str(today + dt.timedelta(days=7)))
    expect(coach).to_contain_text("business days")
    remy.get_by_role("button", name="Send").click()
    expect(remy.get_by_role("heading", level=1)).to_have_text("Reporting database for the client go-live")
    expect(remy.get_by_text("Forecast (heads-up)").first).to_be_visible()
    req = Request.objects.get()

    # ... and confirms it.
    remy.get_by_role("button", name="Confirm the forecast").click()
    expect(remy.get_by_text("Confirmed: it is now a request")).to_be_visible()

    # Pete finds it in Platform's inbox, acknowledges, commits and delivers.
    pete = sign_in(new_browser_page(), cast.pete)
    pete.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    expect(pete.get_by_role("heading", level=1)).to_have_text("Platform inbox")
    pete.get_by_role("link", name="Reporting database for the client go-live").click()
    pete.get_by_role("button", name="Acknowledge").click()
    expect(pete.get_by_text("Acknowledged: the requester knows you have it.")).to_be_visible()
    pete.get_by_label("Commit to", exact=True).fill(str(today + dt.timedelta(days=21)))
    pete.get_by_role("button", name="Commit to a date").click()
    expect(pete.get_by_text("Committed.", exact=True)).to_be_visible()
    pete.get_by_role("button", name="Deliver").click()
    expect(pete.get_by_text("Delivered: the requester is asked to accept it.")).to_be_visible()

    # Remy accepts with a rating, and is prompted for thanks: what it made possible.
    remy.reload()
    remy.get_by_label("5 — excellent").check()
    remy.get_by_role("button", name="Accept the delivery").click()
    prompt = remy.get_by_role("region", name="Say thank you")
    expect(prompt).to_contain_text("what their work made possible")
    prompt.get_by_label("Thank-you").fill("Thank you, Pete: it was ready a week early.")
    prompt.get_by_label("What it made possible").fill("The client went live on time.")
    prompt.get_by_role("button", name="Say thank you").click()
    expect(remy.get_by_text("Thank-you sent")).to_be_visible()

    timeline = remy.get_by_role("region", name="Timeline")
    for step in ["Sent a heads-up forecast: 80 % likely", "Confirmed the forecast", "Acknowledged",
                 "Committed to", "Delivered", "Accepted the delivery, quality 5/5", "Said thank you",
                 "The client went live on time."]:
        expect(timeline).to_contain_text(step)
    req.refresh_from_db()
    assert (req.status, req.quality, req.thanks.count()) == (Status.ACCEPTED, 5, 1)

    shot = tmp_path / "request.png"
    remy.screenshot(path=str(shot), full_page=True)
    assert shot.exists() and shot.stat().st_size > 10_000
