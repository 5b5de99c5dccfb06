"""Periodic sweeps of requests, registered by RequestsConfig.ready()."""

from liaison.core.sweeps import sweep

from .services import send_reminders


@sweep("requests.reminders", every=300)
def reminders(now):
    """Queue due-date, overdue and confirm-by reminders; notify.deliver sends them."""
    return send_reminders(now)
