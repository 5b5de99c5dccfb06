"""Nobody in the demo receives more than the daily cap of any kind on its first day: the
demo builds its enterprise (small scale, every step), then the worker's sweeps run through
the first day and deliver to a real SMTP server. What is over the cap waits for the digest
and is in the app at once."""

import datetime as dt
from collections import Counter

import pytest
import time_machine

from liaison.core.sweeps import run_due
from liaison.demo import builder
from liaison.demo.orgchart import MIN_PEOPLE
from liaison.notify import inbox
from liaison.notify.models import Notification

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_demos_first_day_respects_the_cap(smtp_server, settings):
    settings.LIAISON_NOTIFY_DAILY_CAP = cap = 3
    builder.build_demo(people=max(MIN_PEOPLE, 250), seed=1, now=NOW)
    last_runs = {}
    with time_machine.travel(NOW, tick=False) as clock:
        for hour in range(0, 18):  # the first day, hour by hour (sweeps, the digest at 07:00)
            now = NOW + dt.timedelta(hours=hour)
            clock.move_to(now)
            run_due(last_runs, now=now)
    per_person_kind = Counter((m["To"], m["X-Liaison-Kind"]) for m in smtp_server.messages)
    assert smtp_server.messages, "the demo's first day sends mail"
    assert max(per_person_kind.values()) <= cap, per_person_kind.most_common(3)
    # What was held back is not lost: it waits for (or went in) the digest, and is in the app.
    held = Notification.objects.filter(state__in=["digest", "digested"]).exclude(kind="notify.digest")
    assert held.exists()
    someone = held.first().recipient
    assert inbox.visible(someone, NOW + dt.timedelta(hours=18)).filter(pk=held.first().pk).exists()
