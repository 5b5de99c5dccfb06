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
