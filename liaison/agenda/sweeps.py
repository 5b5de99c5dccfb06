"""The periodic full conflict scan: catches whatever the incremental checks could not see
(bulk imports, demo data, severities that rise as a change draws near)."""

from datetime import timedelta

from liaison.core.sweeps import sweep

from .conflicts import full_scan

SCAN_EVERY = 15 * 60


@sweep("agenda.conflicts", every=SCAN_EVERY)
def scan_conflicts(now):
    """Everything not yet over (ended more than a day ago is history and stays as it was)."""
    return full_scan(now, since=now - timedelta(days=1))
