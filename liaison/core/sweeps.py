"""The registry of periodic sweeps run by `liaison worker`.

Due work is state, not a timer: a domain keeps rows with a due time and registers a
sweep that sends what is due. A sweep must be idempotent — it may run twice at once on
two workers, or again after a crash — so it claims rows in a transaction (unique keys,
`select_for_update(skip_locked=True)` on PostgreSQL) rather than trusting that it is
alone. Domains register in their AppConfig.ready():

    from liaison.core.sweeps import sweep

    @sweep("requests.reminders", every=60)
    def send_due_reminders(now): ...
"""

import logging
import time
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger(__name__)


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

    Returns {name: result}. A sweep that raises is logged and retried next round; one
    failing sweep never stops the others.
    """
    now = now or timezone.now()
    results = {}
    for name, job in registered().items():
        if only and name not in only:
            continue
        last = last_runs.get(name)
        if last is not None and (now - last).total_seconds() < job.every:
            continue
        try:
            results[name] = job(now)
        except Exception:
            log.exception("sweep %s failed; it will run again next round", name)
            results[name] = None
        last_runs[name] = now
    return results


def loop(tick=5, stop=lambda: False):
    """Run sweeps forever (until `stop()`), checking every `tick` seconds."""
    last_runs = {}
    while not stop():
        close_old_connections()
        run_due(last_runs)
        time.sleep(tick)
