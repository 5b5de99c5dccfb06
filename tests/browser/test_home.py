"""Each persona's home in a real browser: the right items in the right order, acting from
the home without leaving it, and the home and the object pages at 390 px without
horizontal scrolling."""

import pytest

from liaison.requests.models import Request, Status
from tests.browser.fixtures import sign_in
from tests.web.personas import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def titles(page):
    return page.locator("#needs .need .need-title").all_inner_texts()


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_service_lead_acknowledges_the_short_notice_request_from_his_home(new_browser_page):
    from playwright.sync_api import expect

    world = build_world()
    lars = sign_in(new_browser_page(), world.lars)
    expect(lars.get_by_role("heading", level=1)).to_have_text("What needs you")
    assert titles(lars) == ["Bandwidth for the video shoot",
                            "Conflict: Core network upgrade against Meet the architect",
                            "VPN profile for the webinar speakers"]
    row = lars.locator(".need", has_text="VPN profile for the webinar speakers")
    expect(row).to_contain_text("short notice")
    expect(row.locator(".playbook")).to_contain_text("Commit to a date, or offer options")
    url = lars.url
    row.get_by_role("button", name="Acknowledge").click()
    expect(lars.locator("#needs .message.success")).to_contain_text("Acknowledged")
    expect(lars.locator(".need", has_text="VPN profile for the webinar speakers")).to_have_count(0)
    assert lars.url == url  # HTMX: the list changed, the page stayed
    assert Request.objects.get(pk=world.hard.pk).status == Status.ACKNOWLEDGED


def test_the_customer_lead_sees_her_collision_first_and_books_a_call_from_the_playbook(new_browser_page):
    from playwright.sync_api import expect

    world = build_world()
    carla = sign_in(new_browser_page(), world.carla)
    assert titles(carla)[0] == "Conflict: Core network upgrade against Meet the architect"
    assert "VPN profile for the webinar speakers" in titles(carla)
    expect(carla.get_by_role("table", name="Product Marketing: open work per member")).to_contain_text("Mia Marketing")
    conflict = carla.locator(".need", has_text="Conflict: Core network upgrade")
    conflict.get_by_role("link", name="Book a call").click()
    expect(carla.get_by_role("heading", level=1)).to_contain_text("Call")
    expect(carla.get_by_label("Lars Service")).to_be_checked()


def test_a_member_accepts_and_thanks_from_her_home(new_browser_page):
    from playwright.sync_api import expect

    world = build_world()
    mia = sign_in(new_browser_page(), world.mia)
    assert titles(mia) == ["Conflict: Core network upgrade against Meet the architect", "Guest Wi-Fi for the launch",
                           "Firewall rule for the CRM"]
    row = mia.locator(".need", has_text="Guest Wi-Fi for the launch")
    row.get_by_role("button", name="Accept").click()
    expect(mia.locator(".need", has_text="Guest Wi-Fi").get_by_role("alert")).to_contain_text("Rate the quality")
    row = mia.locator(".need", has_text="Guest Wi-Fi for the launch")
    row.get_by_label("Quality").select_option("5")
    row.get_by_role("button", name="Accept").click()
    expect(mia.locator("#needs .message.success")).to_contain_text("Accepted")
    thanks = mia.locator(".need", has_text="Firewall rule for the CRM")
    thanks.get_by_label("Thank-you").fill("The CRM launch went out on time thanks to you.")
    thanks.get_by_role("button", name="Say thank you").click()
    expect(mia.locator(".need", has_text="Firewall rule for the CRM")).to_have_count(0)
    assert world.accepted.thanks.count() == 1


def test_the_manager_sees_the_rollup(new_browser_page):
    from playwright.sync_api import expect

    world = build_world()
    cleo = sign_in(new_browser_page(), world.cleo)
    table = cleo.get_by_role("table", name="Open work per team in your part of the organisation, most late first")
    expect(table.locator("tbody tr").first).to_contain_text("Network Group")


def test_the_home_and_the_object_pages_at_390_px(new_browser_page):
    from playwright.sync_api import expect

    world = build_world()
    page = sign_in(new_browser_page(), world.mia)
    page.set_viewport_size({"width": 390, "height": 844})
    for url in ["/", world.overdue.get_absolute_url(), world.conflict.get_absolute_url(),
                f"/playbook/invite/?about={world.conflict.get_absolute_url()}&purpose=call"]:
        page.goto(url)
        expect(page.locator("main")).to_be_visible()
        assert no_horizontal_scroll(page), url
    page.goto(world.overdue.get_absolute_url())
    expect(page.locator(".playbook").first).to_contain_text("Escalating needs a warning first")
