import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from liaison.agenda import services as agenda
from liaison.agenda.models import Change, Conflict, Event, FeedToken

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(story):
    """A confidential change shared with Product Marketing only."""
    return agenda.create_change(team=story.network, title="Secret router swap", services=[story.corp_net],
                                start=at(13, 9), end=at(13, 10), by=story.engineer, now=NOW, confidential=True,
                                shared_with=[story.marketing])


def pages(story, upgrade):
    conflict = Conflict.objects.get(change=upgrade)
    return [
        reverse("agenda:overview"), reverse("agenda:change_list"), reverse("agenda:change_create"),
        upgrade.get_absolute_url(), reverse("agenda:event_list"), reverse("agenda:event_create"),
        story.event.get_absolute_url(), reverse("agenda:conflict_list"), conflict.get_absolute_url(),
        reverse("agenda:freeze_list"), reverse("agenda:maintenance", args=[story.corp_net.slug]),
        reverse("agenda:calendar", args=[story.marketing.slug]), reverse("agenda:notice_ranking"),
        reverse("agenda:notice_history", args=[story.network.slug]), reverse("agenda:feeds"),
    ]


def test_every_page_needs_sign_in(client, story, upgrade):
    for url in pages(story, upgrade):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_every_page_renders_for_a_member(login, story, upgrade):
    client = login(story.marketer)
    for url in pages(story, upgrade):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<h1>" in response.content or b"<h1 " in response.content


def test_outsider_sees_public_items_but_not_confidential_ones(login, story, upgrade, secret, outsider):
    client = login(outsider)
    assert client.get(upgrade.get_absolute_url()).status_code == 200
    assert client.get(secret.get_absolute_url()).status_code == 404
    secret_conflict = Conflict.objects.get(change=secret)
    assert client.get(secret_conflict.get_absolute_url()).status_code == 404
    assert client.post(reverse("agenda:conflict_action", args=[secret_conflict.pk, "comment"]),
                       {"text": "hi"}).status_code == 404
    listing = client.get(reverse("agenda:change_list")).content.decode()
    assert "Core network upgrade" in listing and "Secret router swap" not in listing
    # the team it is shared with sees it
    assert login(story.marketer).get(secret.get_absolute_url()).status_code == 200


def test_outsider_cannot_act(login, story, upgrade, outsider):
    client = login(outsider)
    conflict = Conflict.objects.get(change=upgrade)
    client.post(reverse("agenda:conflict_action", args=[conflict.pk, "accept_risk"]), {"text": "fine"})
    client.post(reverse("agenda:change_cancel", args=[upgrade.pk]))
    conflict.refresh_from_db()
    upgrade.refresh_from_db()
    assert conflict.status == "open" and upgrade.status == "published"


def test_create_change_page_shows_the_conflict(login, story):
    client = login(story.engineer)
    response = client.post(reverse("agenda:change_create"), {
        "team": story.network.pk, "title": "Core upgrade", "services": [story.corp_net.pk],
        "start": "2030-03-13T09:00", "end": "2030-03-13T12:00", "time_zone": "Europe/Paris", "risk": "high",
        "publish": "on"}, follow=True)
    assert response.status_code == 200
    change = Change.objects.get()
    assert change.start == at(13, 8)  # 09:00 Paris = 08:00 UTC
    html = response.content.decode()
    assert "collides with 1 item" in html and "Meet the architect" in html and "Product Marketing" in html


def test_create_change_with_bad_input_names_the_field(login, story):
    client = login(story.engineer)
    response = client.post(reverse("agenda:change_create"), {
        "team": story.network.pk, "title": "Backwards", "services": [story.corp_net.pk],
        "start": "2030-03-13T12:00", "end": "2030-03-13T09:00", "time_zone": "UTC", "risk": "high"})
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    response = client.post(reverse("agenda:change_create"), {
        "team": story.network.pk, "title": "Ghost", "services": ["999999"],
        "start": "2030-03-13T09:00", "end": "2030-03-13T12:00", "time_zone": "UTC", "risk": "high"})
    assert response.status_code == 400 and "999999" in response.content.decode()
    assert not Change.objects.exists()


def test_event_page_flow(login, story):
    client = login(story.marketer)
    response = client.post(reverse("agenda:event_create"), {
        "team": story.marketing.pk, "title": "Launch party", "services": [story.webinar.pk],
        "start": "2030-04-01T10:00", "end": "2030-04-01T12:00", "time_zone": "UTC", "criticality": "high",
        "buffer_hours": 24, "audience": "Press"})
    event = Event.objects.get(title="Launch party")
    assert response.status_code == 302 and response["Location"] == event.get_absolute_url()
    assert event.guard_start == dt.datetime(2030, 3, 31, 10, tzinfo=dt.UTC)


def test_conflict_page_actions(login, story, upgrade):
    conflict = Conflict.objects.get(change=upgrade)
    client = login(story.marketer)
    page = client.get(conflict.get_absolute_url()).content.decode()
    assert "Webinar Platform → Corporate Network" in page and "Ask for a delay" in page
    client.post(reverse("agenda:conflict_action", args=[conflict.pk, "ask_delay"]), {"text": "Please!"})
    client.post(reverse("agenda:conflict_action", args=[conflict.pk, "comment"]), {"text": "Thanks"})
    conflict.refresh_from_db()
    assert conflict.status == "delay_asked"
    page = client.get(conflict.get_absolute_url()).content.decode()
    assert "Please!" in page and "Thanks" in page


def test_reschedule_and_pick_from_the_page(login, story, upgrade):
    with time_machine.travel(NOW, tick=False):
        client = login(story.engineer)
        page = client.get(upgrade.get_absolute_url()).content.decode()
        assert "Scheduling assistant" in page and "Move here" in page
        response = client.post(reverse("agenda:change_reschedule", args=[upgrade.pk]), {
            "start": "2030-03-20T09:00", "end": "2030-03-20T12:00", "time_zone": "UTC", "reason": "asked"})
    assert response.status_code == 302
    upgrade.refresh_from_db()
    assert upgrade.start == at(20, 9) and Conflict.objects.get(change=upgrade).status == "resolved"


@time_machine.travel(NOW, tick=False)
def test_calendar_month_week_and_htmx(login, story, upgrade):
    client = login(story.marketer)  # no time zone set: UTC
    url = reverse("agenda:calendar", args=[story.marketing.slug])
    month = client.get(url, {"day": "2030-03-01"}).content.decode()
    assert "March 2030" in month and "Meet the architect" in month and "Core network upgrade" in month
    assert "In conflict" in month
    week = client.get(url, {"view": "week", "day": "2030-03-13"}, HTTP_HX_REQUEST="true")
    html = week.content.decode()
    assert "<html" not in html and "Week of 11 March 2030" in html and "Meet the architect" in html
    empty = client.get(url, {"view": "week", "day": "2030-05-01"}).content.decode()
    assert "0 items" in empty


def test_times_are_shown_in_the_viewers_time_zone(login, story, upgrade):
    paris = login(story.ls).get(upgrade.get_absolute_url()).content.decode()
    assert "09:00" in paris and "12:00 CET" in paris  # 08:00-11:00 UTC
    new_york = login(story.lc).get(upgrade.get_absolute_url()).content.decode()
    assert "04:00" in new_york and "07:00 EDT" in new_york  # DST already began in the US on 10 March


def test_list_pages_query_counts_do_not_grow(login, story, django_assert_max_num_queries, org_admin):
    for i in range(30):
        agenda.create_change(team=story.network, title=f"C{i}", services=[story.dns], start=at(20, 0)
                             + dt.timedelta(hours=i), end=at(20, 1) + dt.timedelta(hours=i), by=story.engineer,
                             now=NOW)
    client = login(story.engineer)
    with django_assert_max_num_queries(12):
        client.get(reverse("agenda:change_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("agenda:event_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("agenda:conflict_list"))


def test_feed_token_management(login, story):
    client = login(story.marketer)
    page = client.get(reverse("agenda:feeds")).content.decode()
    own = FeedToken.objects.get(person=story.marketer)
    team = FeedToken.objects.get(team=story.marketing)
    assert own.key in page and team.key in page
    old = team.key
    client.post(reverse("agenda:feed_rotate", args=[team.pk]))
    team.refresh_from_db()
    assert team.key != old and team.rotated_at
    assert client.get(reverse("agenda:feed", args=[old])).status_code == 404
    assert client.get(reverse("agenda:feed", args=[team.key])).status_code == 200
    # someone else's token cannot be rotated
    other = login(story.engineer)
    assert other.post(reverse("agenda:feed_rotate", args=[own.pk])).status_code == 404
