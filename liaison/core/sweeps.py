"""The registry of periodic sweeps run by `liaison worker`.

Due work is state, not a timer: a domain keeps rows with a due time and registers a
sweep that sends what is due. A sweep must be idempotent — it may run twice at once on
two workers, or again after a crash — so it claims rows in a transaction (unique keys,
`select_for_update(skip_locked=True)` on PostgreSQL) rather than trusting that it is
alone. Domains register in their AppConfig.ready():

    from liaison.core.sweeps import sweep

    @sweep("requests.reminders", every=60)
    def send_due_reminders(now): ...

The worker wakes every LIAISON_SWEEP_INTERVAL seconds (`--tick` overrides it) and runs the
sweeps that are due; a sweep never runs more often than its own `every`.

A busy database (SQLite's "database is locked" while another process writes, a
PostgreSQL lock or a dropped connection) never stops the worker: a sweep that fails is
logged and due again after RETRY_AFTER seconds (or its own interval if shorter), not a
whole interval later — the day's digest must not wait a day for a lock held a minute.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger(__name__)

RETRY_AFTER = 10  # seconds before a failed sweep runs again


@dataclass(frozen=True)
class Sweep:
    name: str
    func: object
    every: int  # seconds between runs

    def __call__(self, now):
        return self.func(now)


_registry: dict[str, Sweep] = {}


def sweep(name, every=60):
    """Register `func(now)` as the periodic sweep `name`, run every `every` seconds."""

    def register(func):
        _registry[name] = Sweep(name, func, every)
        return func

    return register


def registered():
    return dict(sorted(_registry.items()))


def run_due(last_runs, now=None, only=None):
    """Run every sweep whose interval has passed since its entry in `last_runs`.

    Returns {name: result}. A sweep that raises is logged and due again RETRY_AFTER
    seconds later; one failing sweep never stops the others. `last_runs` also keeps the
    count of consecutive failures (key ``(name, "failures")``) to log the recovery.
    """
    now = now or timezone.now()
    results = {}
    for name, job in registered().items():
        if only and name not in only:
            continue
        last = last_runs.get(name)
        if last is not None and (now - last).total_seconds() < job.every:
            continue
        failures = last_runs.get((name, "failures"), 0)
        try:
            results[name] = job(now)
        except Exception as error:
            if failures:
                log.warning("sweep %s failed again (%s); retrying in %ss", name, error, RETRY_AFTER)
            else:
                log.exception("sweep %s failed; retrying in %ss", name, RETRY_AFTER)
            results[name] = None
            last_runs[(name, "failures")] = failures + 1
            last_runs[name] = now - timedelta(seconds=max(0, job.every - RETRY_AFTER))
            continue
        if failures:
            log.info("sweep %s ran again after %d failed attempt(s)", name, failures)
            last_runs.pop((name, "failures"))
        last_runs[name] = now
    return results


def loop(tick=None, stop=lambda: False, only=None):
    """Run due sweeps until `stop()`, waking every `tick` seconds (LIAISON_SWEEP_INTERVAL)."""
    tick = settings.LIAISON_SWEEP_INTERVAL if tick is None else tick
    last_runs = {}
    while not stop():
        try:
            close_old_connections()
            run_due(last_runs, only=only)
        except Exception:  # the loop itself outlives anything a round meets
            log.exception("sweep round failed; the next one runs in %ss", tick)
        time.sleep(tick)
