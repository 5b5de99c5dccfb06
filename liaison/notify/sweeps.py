"""Periodic sweeps of the outbox, registered by NotifyConfig.ready()."""

from liaison.core.sweeps import sweep

from .services import deliver_due


@sweep("notify.deliver", every=15)
def deliver(now):
    """Send every due notification (exactly-once rules: see liaison.notify.services)."""
    return deliver_due(now)


@sweep("notify.digest", every=3600)
def digest(now):
    """Once a day per person: gather notifications parked for the digest into one mail."""
    from .digest import send_digests

    return send_digests(now)


@sweep("notify.webhooks", every=15)
def webhooks(now):
    """POST due team chat webhook deliveries, with back-off (see liaison.notify.webhooks)."""
    from .webhooks import deliver_webhooks

    return deliver_webhooks(now)
