"""notify(): idempotent rows; deliver_pending(): preferences, headers, retries."""

import datetime as dt

import pytest
from django.core import mail

from liaison.notify.models import Notification
from liaison.notify.services import MAX_ATTEMPTS, deliver_pending, notify, set_preference, wants
from tests.factories import NotificationFactory, PersonFactory

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ana(db):
    return PersonFactory(name="Ana", email="ana@corp.example")


def test_notify_is_idempotent_per_key_recipient_and_channel(ana, django_assert_num_queries):
    bob = PersonFactory(email="bob@corp.example")
    with django_assert_num_queries(1):
        notify([ana, bob.pk, ana, None], kind="x.y", subject="Hi", dedupe_key="k1", now=NOW)
    notify([ana, bob], kind="x.y", subject="Hi again", dedupe_key="k1", now=NOW)
    assert Notification.objects.count() == 2
    assert set(Notification.objects.values_list("dedupe_key", flat=True)) == {
        f"k1:{ana.pk}:email", f"k1:{bob.pk}:email"}


def test_delivery_sets_stable_message_id_and_automatic_headers(ana, settings):
    settings.SITE_URL = "https://liaison.corp.example"
    n = NotificationFactory(recipient=ana, subject="Due Friday", body="Reminder", link="/requests/7/", due_at=NOW)
    assert deliver_pending(NOW) == {"sent": 1, "suppressed": 0, "failed": 0}
    [message] = mail.outbox
    assert message.to == ["ana@corp.example"] and message.subject == "Due Friday"
    assert message.extra_headers["Message-ID"] == f"<notification-{n.pk}@liaison.example>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.body.endswith("https://liaison.corp.example/requests/7/")
    n.refresh_from_db()
    assert n.state == "sent" and n.sent_at == NOW and n.attempts == 1
    assert deliver_pending(NOW + dt.timedelta(minutes=1))["sent"] == 0


def test_not_yet_due_rows_wait(ana):
    NotificationFactory(recipient=ana, due_at=NOW + dt.timedelta(hours=1))
    assert deliver_pending(NOW)["sent"] == 0
    assert deliver_pending(NOW + dt.timedelta(hours=1))["sent"] == 1


@pytest.mark.parametrize(("pref_kind", "kind", "sent"), [
    ("request.reminder.due", "request.reminder.due", 0),
    ("request.reminder", "request.reminder.overdue", 0),
    ("*", "anything.at.all", 0),
    ("request.reminder", "request.thanks", 1),
])
def test_turned_off_kinds_are_kept_but_suppressed(ana, pref_kind, kind, sent):
    set_preference(ana, pref_kind, "off")
    NotificationFactory(recipient=ana, kind=kind, due_at=NOW)
    counts = deliver_pending(NOW)
    assert counts["sent"] == sent and counts["suppressed"] == 1 - sent
    assert len(mail.outbox) == sent
    assert wants(ana, kind) == bool(sent)


def test_the_most_specific_preference_wins(ana):
    set_preference(ana, "*", "off")
    set_preference(ana, "request.thanks", "immediate")
    assert wants(ana, "request.thanks") and not wants(ana, "request.reminder.due")


def test_bad_preference_is_refused(ana):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as e:
        set_preference(ana, "x", "sometimes")
    assert "mode" in e.value.message_dict


def test_deactivated_people_get_nothing(ana):
    ana.is_active = False
    ana.save()
    NotificationFactory(recipient=ana, due_at=NOW)
    assert deliver_pending(NOW)["suppressed"] == 1 and not mail.outbox


class BrokenBackend:
    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


def test_a_failed_send_is_retried_with_back_off_then_given_up(ana):
    n = NotificationFactory(recipient=ana, due_at=NOW)
    when = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_pending(when, connection=BrokenBackend())["failed"] == 1
        n.refresh_from_db()
        assert n.attempts == attempt and "SMTP server down" in n.last_error
        if attempt < MAX_ATTEMPTS:
            assert n.state == "pending" and n.due_at == when + dt.timedelta(minutes=2 ** attempt)
            assert deliver_pending(n.due_at - dt.timedelta(seconds=1), connection=BrokenBackend())["failed"] == 0
            when = n.due_at
    assert n.state == "failed"
