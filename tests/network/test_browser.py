"""In a real browser: find a warm path, then log an interaction that clears a nudge."""

from datetime import timedelta

import pytest
from django.utils import timezone

from liaison.network import services
from liaison.network.models import Kind, Nudge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_warm_path_then_an_interaction_clears_the_nudge(world, signed_in_page):
    from playwright.sync_api import expect

    now, today = timezone.now(), timezone.localdate()
    for days in (3, 12):
        services.log_interaction(world["ana"], kind=Kind.ONE_ON_ONE, occurred_on=today - timedelta(days=days),
                                 participants=[world["sue"]], note="never shown to others", now=now)
    services.log_interaction(world["sue"], kind=Kind.VISIT, occurred_on=today - timedelta(days=1),
                             participants=[world["carl"]], now=now)
    Nudge.objects.all().delete()
    services.send_nudges(now + timedelta(days=70))  # nobody in Remote Office has met HQ for 70 days
    assert Nudge.objects.open().count() == 1

    page = signed_in_page(world["ana"])
    page.goto("/network/path/")
    page.get_by_label("Person you want to reach").fill("carl@corp.example")
    page.get_by_role("button", name="Find a path").click()
    expect(page.get_by_role("heading", name="To Carl Finance")).to_be_visible()
    steps = page.get_by_role("list").filter(has_text="this quarter")
    expect(steps).to_contain_text("Ana Remote met Sue Hq twice this quarter")
    expect(steps).to_contain_text("Sue Hq visited Carl Finance once this quarter")
    assert "never shown" not in page.content()

    page.goto("/network/nudges/")
    expect(page.get_by_text("Remote Office → HQ Platform")).to_be_visible()
    page.get_by_role("link", name="Log an interaction with Raj Hq").click()
    expect(page.get_by_label("With")).to_have_value("raj@corp.example")
    page.get_by_label("Kind").select_option("visit")
    page.get_by_label("Private note").fill("Walked the floor with Raj")
    page.get_by_role("button", name="Log interaction").click()
    expect(page.get_by_text("Interaction logged")).to_be_visible()
    page.goto("/network/nudges/")
    expect(page.get_by_text("Cleared", exact=True)).to_be_visible()
    assert Nudge.objects.open().count() == 0


def test_no_warm_path_says_what_to_do_instead(world, signed_in_page):
    from playwright.sync_api import expect

    page = signed_in_page(world["bo"])
    page.goto("/network/path/?to=carl%40corp.example")
    expect(page.get_by_text("No chain of strong ties reaches Carl Finance")).to_be_visible()
