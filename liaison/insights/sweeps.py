"""Insights' sweeps: keep the fact rollup fresh, and raise deterioration alerts."""

from liaison.core.sweeps import sweep

from .alerts import check_alerts
from .rollups import refresh_facts


@sweep("insights.facts", every=60)
def facts(now):
    """Fold new request events into RequestFact (rollups.refresh_facts)."""
    return refresh_facts(now)


@sweep("insights.alerts", every=24 * 3600)
def alerts(now):
    """Check last month's measures of every active pair against their own history."""
    refresh_facts(now)
    return len(check_alerts(now))
