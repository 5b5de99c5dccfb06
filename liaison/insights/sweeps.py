"""Insights' sweeps: keep the fact rollup fresh, and raise deterioration alerts.

The work is imported when a sweep runs, not here: this module is loaded by the app's
ready() in every process, and the alerts stand on the statistics (numpy, scipy), which
the MTA pipe (`liaison mail ingest`, a process per message) must not pay for.
"""

from liaison.core.sweeps import sweep


@sweep("insights.facts", every=60)
def facts(now):
    """Fold new request events into RequestFact (rollups.refresh_facts)."""
    from .rollups import refresh_facts

    return refresh_facts(now)


@sweep("insights.alerts", every=24 * 3600)
def alerts(now):
    """Check last month's measures of every active pair against their own history."""
    from .alerts import check_alerts
    from .rollups import refresh_facts

    refresh_facts(now)
    return len(check_alerts(now))
