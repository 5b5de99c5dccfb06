"""The header's unread count follows new notifications without a page reload (HTMX polling),
and marking one read on the notifications page lowers it at once. Real Chromium."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from liaison.notify.services import notify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_unread_count_updates_without_reload(signed_in_page, member, settings):
    settings.LIAISON_NOTIFY_POLL_SECONDS = 1
    page = signed_in_page(member)
    page.goto("/services/")
    indicator = page.locator("#notify-indicator")
    expect(indicator).to_have_text("Notifications, none unread")
    page.evaluate("window.__notReloaded = true")
    notify([member], kind="request.comment", subject="A new comment on your request", link="/services/",
           dedupe_key="browser-1", now=timezone.now())
    expect(indicator.locator(".count")).to_have_text("1 unread", timeout=10_000)
    notify([member], kind="request.comment", subject="Another comment", link="/services/",
           dedupe_key="browser-2", now=timezone.now())
    expect(indicator.locator(".count")).to_have_text("2 unread", timeout=10_000)
    assert page.evaluate("window.__notReloaded") is True

    settings.LIAISON_NOTIFY_POLL_SECONDS = 600  # from here on the count moves only because we act
    page.goto("/notifications/")
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name=re.compile(r"^Mark read\W+Another comment$")).click()
    expect(page.get_by_role("button", name=re.compile(r"^Mark unread\W+Another comment$"))).to_be_visible()
    expect(page.locator("#notify-indicator .count")).to_have_text("1 unread")
    assert page.evaluate("window.__notReloaded") is True
