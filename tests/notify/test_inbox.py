"""Notifications in the app: every outbox row shows on the person's notifications page,
read/unread, filters, mark all read, pages, and only ever to its recipient."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from liaison.notify import inbox
from liaison.notify.models import Notification
from liaison.notify.services import deliver_pending, notify, set_preference
from tests.factories import MembershipFactory, PersonFactory, TeamFactory

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
URL = "/notifications/"


@pytest.fixture
def ana(db):
    return PersonFactory(name="Ana", email="ana@corp.example")


def _tell(person, n=1, kind="request.comment", team=None, now=NOW, key="k", **extra):
    for i in range(n):
        notify([person], kind=kind, subject=f"Subject {key}{i}", body="Body", link=f"/requests/{i + 1}/",
               dedupe_key=f"{key}{i}", now=now, team=team, **extra)


def test_every_notification_is_in_the_app_whatever_its_mail_does(ana, settings):
    settings.LIAISON_NOTIFY_DAILY_CAP = 0
    _tell(ana, kind="request.comment", key="a")
    _tell(ana, kind="request.thanks", key="b")
    _tell(ana, kind="network.nudge", key="c")
    _tell(ana, kind="agenda.conflict", key="d")
    set_preference(ana, "request.thanks", "digest")
    set_preference(ana, "network.nudge", "app")
    set_preference(ana, "agenda.conflict", "off")
    assert inbox.unread_count(ana, NOW) == 4  # before the sweep: all due, none decided yet
    counts = deliver_pending(NOW)
    assert counts["sent"] == 1 and counts["digest"] == 1 and counts["app"] == 1 and counts["suppressed"] == 1
    states = dict(Notification.objects.values_list("kind", "state"))
    assert states == {"request.comment": "sent", "request.thanks": "digest", "network.nudge": "app",
                      "agenda.conflict": "suppressed"}
    # Off means off: not in the app either; app only: in the app, no mail.
    assert sorted(inbox.visible(ana, NOW).values_list("kind", flat=True)) == [
        "network.nudge", "request.comment", "request.thanks"]
    assert inbox.unread_count(ana, NOW) == 3


def test_a_reminder_queued_for_later_shows_once_it_is_due(ana):
    notify([ana], kind="request.reminder.due", subject="Due", dedupe_key="r", now=NOW,
           due_at=NOW + dt.timedelta(days=1))
    assert inbox.unread_count(ana, NOW) == 0
    assert inbox.unread_count(ana, NOW + dt.timedelta(days=1)) == 1


def test_the_digest_mail_itself_is_not_listed(ana):
    notify([ana], kind="notify.digest", subject="Your digest", dedupe_key="digest:x", now=NOW)
    assert inbox.unread_count(ana, NOW) == 0


def test_page_lists_marks_read_and_filters(login, ana):
    network = TeamFactory(name="Network Group", slug="network")
    events = TeamFactory(name="Events", slug="events")
    MembershipFactory(person=ana, team=network)
    MembershipFactory(person=ana, team=events)
    now = timezone.now()
    _tell(ana, 2, kind="request.comment", team=network, now=now, key="c")
    _tell(ana, 1, kind="agenda.conflict", team=events, now=now, key="x")
    client = login(ana)
    page = client.get(URL).content.decode()
    assert page.count('class="notification unread"') == 3
    assert '<span class="count" data-unread="3">3<span class="visually-hidden"> unread</span></span>' in page
    by_kind = client.get(URL, {"kind": "agenda.conflict"}).content.decode()
    assert "Subject x0" in by_kind and "Subject c0" not in by_kind
    by_prefix = client.get(URL, {"kind": "request"}).content.decode()
    assert "Subject c0" in by_prefix and "Subject c1" in by_prefix and "Subject x0" not in by_prefix
    by_team = client.get(URL, {"team": events.pk}).content.decode()
    assert "Subject x0" in by_team and "Subject c0" not in by_team
    # Opening one follows its link and marks it read.
    row = Notification.objects.get(subject="Subject x0")
    response = client.get(f"{URL}{row.pk}/")
    assert response.status_code == 302 and response["Location"] == "/requests/1/"
    row.refresh_from_db()
    assert row.read_at is not None
    assert inbox.unread_count(ana, timezone.now()) == 2
    unread = client.get(URL, {"show": "unread"}).content.decode()
    assert "Subject x0" not in unread and "Subject c0" in unread
    # Mark all read, only the filtered team's.
    client.post(f"{URL}read-all/", {"team": network.pk})
    assert inbox.unread_count(ana, timezone.now()) == 0
    # Unread again, through HTMX: the row comes back and the header is told to ask again.
    response = client.post(f"{URL}{row.pk}/read/", {"read": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "notify-changed"
    assert 'class="notification unread"' in response.content.decode()
    assert client.get(f"{URL}unread/").content.decode().count('data-unread="1"') == 1


def test_bad_filters_are_a_clear_400(login, ana):
    client = login(ana)
    response = client.get(URL, {"show": "sometimes"})
    assert response.status_code == 400 and "state: Show must be one of unread, read, all." in response.content.decode()
    response = client.get(URL, {"team": "network"})
    assert response.status_code == 400 and "team: &#x27;network&#x27; is not a team." in response.content.decode()


def test_nobody_sees_or_marks_another_persons_notifications(login, ana, outsider, client):
    _tell(ana, 1, now=timezone.now(), key="secret")
    row = Notification.objects.get()
    other = login(outsider)
    assert "Subject secret0" not in other.get(URL).content.decode()
    assert other.get(f"{URL}{row.pk}/").status_code == 404
    assert other.post(f"{URL}{row.pk}/read/").status_code == 404
    other.post(f"{URL}read-all/")
    row.refresh_from_db()
    assert row.read_at is None
    client.logout()
    assert client.get(URL).status_code == 302 and client.get(f"{URL}unread/").status_code == 302


def test_an_outside_link_is_never_followed(login, ana):
    notify([ana], kind="x.y", subject="Odd", link="//evil.example/", dedupe_key="odd", now=timezone.now())
    row = Notification.objects.get()
    assert login(ana).get(f"{URL}{row.pk}/")["Location"] == URL


def test_pages_of_notifications(login, ana, settings):
    settings.LIAISON_PAGE_SIZE = 5
    _tell(ana, 12, now=timezone.now(), key="p")
    client = login(ana)
    first = client.get(URL).content.decode()
    assert first.count("<li class=\"notification") == 5 and "Page 1 of 3" in first
    assert client.get(URL, {"page": 3}).content.decode().count("<li class=\"notification") == 2


def test_empty_state_says_what_will_appear(login, ana):
    body = login(ana).get(URL).content.decode()
    assert "No notifications yet." in body and "<h1>Notifications</h1>" in body


@time_machine.travel(NOW, tick=False)
def test_the_unread_badge_counts_and_is_one_query(login, ana, django_assert_num_queries):
    _tell(ana, 2, now=NOW, key="q")
    client = login(ana)
    client.get(f"{URL}unread/")  # session warmed
    with django_assert_num_queries(3):  # session, user, the count
        body = client.get(f"{URL}unread/").content.decode()
    assert 'data-unread="2"' in body and 'hx-trigger="every 30s, notify-changed from:body"' in body
