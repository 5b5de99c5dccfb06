"""In a real browser: a change that collides with an event shows on both teams' calendars."""

import pytest
from playwright.sync_api import expect

from tests.browser.fixtures import sign_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_colliding_change_shows_on_both_calendars(story, new_browser_page):
    engineer = sign_in(new_browser_page(), story.engineer)
    engineer.goto("/agenda/changes/new/")
    engineer.get_by_label("Team:", exact=True).select_option(label="Network Group")
    engineer.get_by_label("Title:", exact=True).fill("Core network upgrade")
    engineer.get_by_label("Services affected").select_option(label="Corporate Network")
    engineer.get_by_label("Starts").fill("2030-03-13T08:00")
    engineer.get_by_label("Ends").fill("2030-03-13T11:00")
    engineer.get_by_label("Time zone").select_option("UTC")
    engineer.get_by_label("Risk").select_option("high")
    engineer.get_by_label("Publish now").check()
    engineer.get_by_role("button", name="Save").click()
    expect(engineer.get_by_role("heading", level=1)).to_contain_text("Core network upgrade")
    expect(engineer.get_by_text("It collides with 1 item")).to_be_visible()

    engineer.goto("/agenda/teams/network-group/calendar/?day=2030-03-01")
    own = engineer.locator(".cal-item.conflict", has_text="Core network upgrade")
    expect(own).to_be_visible()
    expect(engineer.get_by_text("1 in conflict")).to_be_visible()

    marketer = sign_in(new_browser_page(), story.marketer)
    marketer.goto("/agenda/teams/product-marketing/calendar/?day=2030-03-01")
    expect(marketer.locator(".cal-item.conflict", has_text="Meet the architect")).to_be_visible()
    expect(marketer.locator(".cal-item.conflict", has_text="Core network upgrade")).to_be_visible()
    # HTMX navigation to the week of the event keeps the highlight
    marketer.get_by_role("link", name="Week").click()
    expect(marketer.get_by_role("heading", name="Week of 25 February 2030")).to_be_visible()
    marketer.get_by_role("link", name="Next week →").click()
    expect(marketer.get_by_role("heading", name="Week of 4 March 2030")).to_be_visible()
    marketer.get_by_role("link", name="Next week →").click()
    expect(marketer.get_by_role("heading", name="Week of 11 March 2030")).to_be_visible()
    expect(marketer.locator(".cal-item.conflict", has_text="Meet the architect")).to_be_visible()
    link = marketer.locator(".cal-item.conflict", has_text="Core network upgrade").first.get_by_role("link")
    link.focus()  # by keyboard, as a screen-reader user would
    marketer.keyboard.press("Enter")
    expect(marketer.get_by_role("heading", level=2, name="Conflicts")).to_be_visible()
