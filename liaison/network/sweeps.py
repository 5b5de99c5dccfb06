"""The network domain's periodic sweeps (registered with liaison.core.sweeps)."""

from liaison.core.sweeps import sweep

from .services import send_nudges

WEEK = 7 * 24 * 3600


@sweep("network.nudges", every=WEEK)
def weekly_nudges(now):
    """Nudge teams that have lost touch with a team they depend on (see services.send_nudges)."""
    return send_nudges(now)
