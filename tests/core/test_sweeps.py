import itertools
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from liaison.core import sweeps


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(sweeps, "_registry", {})
    return sweeps._registry


def test_sweeps_run_when_due_and_not_before(registry):
    calls = []
    sweeps.sweep("test.every-minute", every=60)(lambda now: calls.append(now) or len(calls))
    start = timezone.now()
    last = {}
    assert sweeps.run_due(last, now=start) == {"test.every-minute": 1}
    assert sweeps.run_due(last, now=start + timedelta(seconds=30)) == {}
    assert sweeps.run_due(last, now=start + timedelta(seconds=61)) == {"test.every-minute": 2}


def test_a_failing_sweep_does_not_stop_the_others(registry):
    def broken(now):
        raise RuntimeError("boom")

    sweeps.sweep("a.broken", every=1)(broken)
    sweeps.sweep("b.fine", every=1)(lambda now: "ok")
    assert sweeps.run_due({}) == {"a.broken": None, "b.fine": "ok"}


def test_worker_once_runs_every_sweep(registry, capsys, db):
    sweeps.sweep("test.hello", every=3600)(lambda now: "hello")
    call_command("worker", "--once")
    assert "test.hello: hello" in capsys.readouterr().out


def test_a_failed_sweep_is_due_again_soon_not_a_whole_interval_later(registry):
    attempts = []

    def flaky(now):
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("database is locked")
        return "done"

    sweeps.sweep("test.daily", every=24 * 3600)(flaky)
    start, last = timezone.now(), {}
    assert sweeps.run_due(last, now=start) == {"test.daily": None}
    assert sweeps.run_due(last, now=start + timedelta(seconds=sweeps.RETRY_AFTER - 1)) == {}
    assert sweeps.run_due(last, now=start + timedelta(seconds=sweeps.RETRY_AFTER)) == {"test.daily": "done"}
    assert sweeps.run_due(last, now=start + timedelta(hours=23)) == {}  # then its own interval again


@pytest.mark.parametrize("interval", [1, 3])
def test_the_sweep_interval_setting_sets_how_often_the_worker_sweeps(registry, settings, interval):
    settings.LIAISON_SWEEP_INTERVAL = interval
    runs = []
    sweeps.sweep("test.always", every=0)(lambda now: runs.append(time.monotonic()))
    stop = threading.Event()
    thread = threading.Thread(target=sweeps.loop, kwargs={"stop": lambda: len(runs) >= 3 or stop.is_set()})
    thread.start()
    thread.join(timeout=interval * 3 + 10)
    stop.set()
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert len(runs) == 3 and all(interval - 0.05 <= gap < interval + 0.9 for gap in gaps), gaps
