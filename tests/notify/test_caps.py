"""Per-person daily caps: no kind sends more than LIAISON_NOTIFY_DAILY_CAP mails to one
person in one (local) day at once; the rest wait for the digest. Real SMTP server."""

import datetime as dt

import pytest
import time_machine

from liaison.notify.digest import send_digests
from liaison.notify.models import Notification
from liaison.notify.services import deliver_due, notify
from tests.factories import PersonFactory

DAY1 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ana(db):
    return PersonFactory(name="Ana", email="ana@corp.example")


def _burst(person, n, kind, key, now):
    for i in range(n):
        notify([person], kind=kind, subject=f"{kind} {key}{i}", dedupe_key=f"{key}{i}", now=now)


def _sent_to(sink, address):
    return [m for m in sink.messages if m["To"] == address]


def test_a_burst_of_one_kind_sends_the_cap_and_digests_the_rest(ana, smtp_server, settings):
    settings.LIAISON_NOTIFY_DAILY_CAP = 3
    settings.LIAISON_DIGEST_HOUR = 7
    with time_machine.travel(DAY1, tick=False) as clock:
        _burst(ana, 10, "network.nudge", "n", DAY1)
        _burst(ana, 2, "request.comment", "c", DAY1)  # another kind has its own cap
        counts = deliver_due(DAY1)
        assert counts["sent"] == 5 and counts["digest"] == 7
        assert len(_sent_to(smtp_server, "ana@corp.example")) == 5
        # Later the same day: still capped.
        later = DAY1 + dt.timedelta(hours=5)
        clock.move_to(later)
        _burst(ana, 2, "network.nudge", "later", later)
        assert deliver_due(later)["digest"] == 2
        # The next day's digest gathers all nine; the cap starts again.
        day2 = DAY1 + dt.timedelta(days=1)
        clock.move_to(day2)
        assert send_digests(day2) == 1
        deliver_due(day2)
        digest = _sent_to(smtp_server, "ana@corp.example")[-1]
        assert "9 notifications since your last digest" in digest.get_payload()[0].get_payload(decode=True).decode()
        _burst(ana, 4, "network.nudge", "d2", day2)
        counts = deliver_due(day2)
        assert counts["sent"] == 3 and counts["digest"] == 1


def test_the_day_is_the_recipients_own(ana, smtp_server, settings):
    """Ana in Los Angeles: 23:30 UTC on 2 March is still 2 March for her until 08:00 UTC."""
    settings.LIAISON_NOTIFY_DAILY_CAP = 1
    ana.time_zone = "America/Los_Angeles"
    ana.save()
    evening = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)  # 12:00 in LA
    _burst(ana, 1, "network.nudge", "a", evening)
    assert deliver_due(evening)["sent"] == 1
    past_utc_midnight = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)  # 18:00 on 2 March in LA
    _burst(ana, 1, "network.nudge", "b", past_utc_midnight)
    assert deliver_due(past_utc_midnight).get("digest") == 1
    her_next_day = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)  # 01:00 on 3 March in LA
    _burst(ana, 1, "network.nudge", "c", her_next_day)
    assert deliver_due(her_next_day)["sent"] == 1


def test_no_cap_when_set_to_zero_and_answers_to_mail_are_never_capped(ana, smtp_server, settings):
    settings.LIAISON_NOTIFY_DAILY_CAP = 0
    _burst(ana, 5, "network.nudge", "n", DAY1)
    assert deliver_due(DAY1)["sent"] == 5
    settings.LIAISON_NOTIFY_DAILY_CAP = 1
    _burst(ana, 3, "mail.confirmation", "m", DAY1)
    assert deliver_due(DAY1)["sent"] == 3
    assert not Notification.objects.filter(state="digest").exists()
