"""Periodic sweeps of incidents, registered by IncidentsConfig.ready()."""

from liaison.core.sweeps import sweep

from .retrospectives import remind_unscheduled


@sweep("incidents.retrospectives", every=900)
def retrospectives(now):
    """Remind the affected leads once when a proposed retrospective passed its date unbooked."""
    return remind_unscheduled(now)
