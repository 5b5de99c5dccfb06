"""Periodic sweeps of the outbox, registered by NotifyConfig.ready()."""

from liaison.core.sweeps import sweep

from .services import deliver_due


@sweep("notify.deliver", every=15)
def deliver(now):
    """Send every due notification (exactly-once rules: see liaison.notify.services)."""
    return deliver_due(now)
