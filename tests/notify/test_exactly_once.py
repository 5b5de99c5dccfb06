"""Exactly-once sending against a real SMTP server on 127.0.0.1.

* Two sweeps at once (PostgreSQL, two connections): every notification is sent once.
* A crash between the SMTP send and the COMMIT: the row stays pending and a later sweep
  sends it again with the *same* Message-ID — the documented at-least-once choice
  (see liaison.notify.services).
"""

import datetime as dt
import threading
from collections import Counter
from unittest import mock

import pytest
from django.db import connection

from liaison.notify import services
from liaison.notify.models import Notification
from tests.factories import NotificationFactory, PersonFactory

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def no_daily_cap(settings):
    """Ten of one kind to each person here: the cap (tests/notify/test_caps.py) would hold most back."""
    settings.LIAISON_NOTIFY_DAILY_CAP = 0


def make_rows(n):
    people = [PersonFactory(email=f"p{i}@corp.example") for i in range(4)]
    return [NotificationFactory(recipient=people[i % 4], due_at=NOW) for i in range(n)]


@pytest.mark.django_db(transaction=True)
def test_smtp_delivery_end_to_end(smtp_server):
    rows = make_rows(3)
    assert services.deliver_pending(NOW)["sent"] == 3
    assert sorted(smtp_server.message_ids()) == sorted(r.message_id for r in rows)
    assert smtp_server.messages[0]["Auto-Submitted"] == "auto-generated"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_send_each_notification_once(smtp_server):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED across two connections need PostgreSQL; this run uses "
                    + connection.vendor)
    rows = make_rows(40)
    smtp_server.delay = 0.02  # each send takes a while, so the two sweeps overlap
    start, results, errors = threading.Barrier(2), [], []

    def sweep():
        try:
            start.wait()
            results.append(services.deliver_pending(NOW))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(r["sent"] for r in results) != [0, 40], "the two sweeps did not run concurrently"
    assert sum(r["sent"] for r in results) == 40
    received = Counter(smtp_server.message_ids())
    assert set(received) == {r.message_id for r in rows}
    assert max(received.values()) == 1  # nothing sent twice
    assert Notification.objects.filter(state="sent").count() == 40


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the sweep catches it."""


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_send_and_commit_resends_with_the_same_message_id(smtp_server):
    [row] = make_rows(1)
    real_mark_sent = services._mark_sent

    def crash_after_send(notification, now):
        raise SimulatedCrash("worker died after the SMTP server said 250 OK, before COMMIT")

    with mock.patch.object(services, "_mark_sent", crash_after_send), pytest.raises(SimulatedCrash):
        services.deliver_pending(NOW)
    assert smtp_server.message_ids() == [row.message_id]  # the server has it...
    row.refresh_from_db()
    assert row.state == "pending" and row.sent_at is None  # ...but the commit never happened

    assert services._mark_sent is real_mark_sent
    assert services.deliver_pending(NOW + dt.timedelta(minutes=1))["sent"] == 1
    assert smtp_server.message_ids() == [row.message_id, row.message_id]  # a recognisable duplicate
    row.refresh_from_db()
    assert row.state == "sent"
    assert services.deliver_pending(NOW + dt.timedelta(minutes=2))["sent"] == 0  # and never again
