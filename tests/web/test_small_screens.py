"""Every main page works on a phone (390 x 844): nothing wider than the screen, the actions
reachable without scrolling past the history, the coach above the fields it comments on,
and the month calendar showing every day. Real Chromium."""

import datetime as dt

import pytest
from django.utils import timezone

from liaison.agenda import services as agenda
from liaison.notify.services import notify
from liaison.org import services as org
from liaison.requests import services as requests
from tests.browser.fixtures import sign_in
from tests.factories import MembershipFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
CONTEXT = ("Our client go-live depends on a reporting database; without it we miss the contractual cut-over "
           "and pay a penalty. " * 3)


@pytest.fixture
def world(db):
    now = timezone.now()
    lead = PersonFactory(name="Paula Provider-Lead-With-A-Long-Name", email="paula@corp.example")
    pete = PersonFactory(name="Pete Provider", email="pete@corp.example")
    remy = PersonFactory(name="Remy Requester", email="remy@corp.example")
    rita = PersonFactory(name="Rita Requester-Lead", email="rita@corp.example")
    platform = org.create_team(name="Platform Engineering and Operations", lead=lead)
    remote = org.create_team(name="Remote Office North-East", lead=rita)
    MembershipFactory(person=pete, team=platform)
    MembershipFactory(person=remy, team=remote)
    db_service = org.create_service(team=platform, name="Database provisioning and lifecycle")
    today = timezone.localdate(now)
    request = requests.submit_request(
        requester=remy, service=db_service, title="Reporting database for the client go-live in March",
        context=CONTEXT, need_by=today + dt.timedelta(days=30), date_kind="hard", options="Any day that week",
        milestone="Client go-live", now=now)
    requests.acknowledge(request, by=pete, now=now)
    for i in range(25):  # a long history: the timeline is many screens on a phone
        requests.comment(request, by=remy if i % 2 else pete, text=f"Comment {i}: " + "details " * 20, now=now)
    start = now + dt.timedelta(days=2)
    event = agenda.create_event(team=remote, title="Customer webinar for a hundred organisations",
                                services=[db_service], start=start, end=start + dt.timedelta(hours=3), by=rita,
                                now=now, criticality="critical")
    change = agenda.create_change(team=platform, title="Database engine upgrade", services=[db_service],
                                  start=start, end=start + dt.timedelta(hours=2), by=pete, now=now, risk="high",
                                  rollback_plan="Restore the snapshot.", publish=True)
    notify([remy], kind="request.comment", subject="A comment on your request with a rather long subject line",
           link=request.get_absolute_url(), dedupe_key="phone", now=now, team=remote)
    return dict(remy=remy, pete=pete, rita=rita, request=request, event=event, change=change, remote=remote)


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB", is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def no_sideways_scrolling(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url}: {width}px wide on a {inner}px screen"


def top(page, selector):
    return page.locator(selector).first.bounding_box()["y"]


def test_main_pages_fit_a_phone(phone, world):
    sign_in(phone, world["remy"])
    r = world["request"]
    pages = ["/requests/", r.get_absolute_url(), "/requests/new/", f"/agenda/teams/{world['remote'].slug}/calendar/",
             f"/agenda/teams/{world['remote'].slug}/calendar/?view=week", "/agenda/conflicts/", "/notifications/",
             f"/teams/{world['remote'].slug}/", "/agenda/", "/agenda/changes/", "/agenda/events/",
             "/notifications/preferences/"]
    for url in pages:
        response = phone.goto(url)
        assert response.status == 200, url
        no_sideways_scrolling(phone)


def test_request_actions_come_before_the_history(phone, world):
    sign_in(phone, world["pete"])
    phone.goto(world["request"].get_absolute_url())
    no_sideways_scrolling(phone)
    actions = top(phone, "#actions-h")
    timeline = top(phone, "#timeline-h")
    assert actions < timeline
    commit = phone.get_by_role("button", name="Commit to a date")
    commit.scroll_into_view_if_needed()
    assert commit.is_visible()
    assert commit.bounding_box()["y"] + phone.evaluate("window.scrollY") < timeline


def test_the_coach_sits_above_the_fields_while_typing(phone, world):
    sign_in(phone, world["remy"])
    phone.goto("/requests/new/")
    no_sideways_scrolling(phone)
    assert top(phone, "#coach-h") < top(phone, "#id_title")
    context = phone.get_by_label("Context", exact=True)
    context.scroll_into_view_if_needed()
    context.press_sequentially("We need it ASAP")
    phone.wait_for_timeout(800)  # the coach answers after 500 ms without typing
    coach = phone.locator(".coach").bounding_box()
    field = context.bounding_box()
    assert 0 <= coach["y"] < field["y"], "the coach is on screen, above the field being typed in"
    assert coach["y"] + coach["height"] <= field["y"] + 1
    send = phone.get_by_role("button", name="Send").bounding_box()
    assert coach["y"] < send["y"]


def test_the_month_calendar_shows_every_day_on_a_phone(phone, world):
    sign_in(phone, world["rita"])
    phone.goto(f"/agenda/teams/{world['remote'].slug}/calendar/")
    no_sideways_scrolling(phone)
    item = phone.get_by_role("link", name="Customer webinar for a hundred organisations").first
    item.scroll_into_view_if_needed()
    box = item.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Every day cell shown lies within the screen (no day is cut off to the right).
    rights = phone.eval_on_selector_all(
        "table.cal td", "cells => cells.filter(c => c.offsetParent).map(c => c.getBoundingClientRect().right)")
    assert rights and max(rights) <= PHONE["width"]


def test_notifications_and_conflicts_keep_their_actions_on_screen(phone, world):
    sign_in(phone, world["remy"])
    phone.goto("/notifications/")
    button = phone.get_by_role("button", name="Mark all read")
    assert button.is_visible() and button.bounding_box()["x"] + button.bounding_box()["width"] <= PHONE["width"]
    phone.goto("/agenda/conflicts/")
    no_sideways_scrolling(phone)
    phone.get_by_role("link", name="Database engine upgrade").first.click()
    no_sideways_scrolling(phone)
    delay = phone.get_by_role("button", name="Ask for a delay")
    delay.scroll_into_view_if_needed()
    assert delay.is_visible() and delay.bounding_box()["x"] + delay.bounding_box()["width"] <= PHONE["width"]
