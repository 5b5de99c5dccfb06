"""The cast of the insights tests: an offshore operations team serving a billing team.

    Offshore Ops (lead: Omar)  — provides "Report production"
    Billing      (lead: Bea)   — asks; members Bea and Ben

`NOW` is Monday 1 June 2026, 09:00 UTC. `bulk_requests` writes Request rows straight to
the table (thousands in a second) with chosen lifecycle times; tests of the lifecycle
rules themselves live in tests/requests.
"""

import datetime as dt

import numpy as np
import pytest

from liaison.requests.models import Request, Status
from tests.story import story

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def pair(db):
    return story(
        people={"omar": "Omar Ops", "bea": "Bea Billing", "ben": "Ben Billing", "olga": "Olga Outsider"},
        teams={"ops": ("Offshore Ops", {"slug": "offshore-ops", "lead": "omar", "members": ["omar"]}),
               "billing": ("Billing", {"lead": "bea", "members": ["bea", "ben"]}),
               "other": ("Other", {"members": ["olga"]})},
        services={"service": ("ops", "Report production", "reports", {"lead_time_days": 5})})


def bulk_requests(*, service, requester, requester_team, created, ack_hours=None, deliver_hours=None,
                  commit_hours=None, committed_days=None, declined=None, quality=None, status=None,
                  options="Any day that week", slips=0, rework=0, short_notice=False, notice=10):
    """Requests created at `created` (list of datetimes); per-request arrays (None = didn't happen)."""
    n = len(created)

    def pick(values, i):
        if values is None:
            return None
        v = values[i] if isinstance(values, list | np.ndarray) else values
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    requesters = requester if isinstance(requester, list) else [requester] * n
    rows = []
    for i, at in enumerate(created):
        ack, dlv, com = pick(ack_hours, i), pick(deliver_hours, i), pick(commit_hours, i)
        dec = bool(pick(declined, i))
        acknowledged_at = at + dt.timedelta(hours=ack) if ack is not None and not dec else None
        declined_at = at + dt.timedelta(hours=ack or 1) if dec else None
        committed_at = at + dt.timedelta(hours=com) if com is not None else None
        delivered_at = at + dt.timedelta(hours=dlv) if dlv is not None else None
        committed_date = None
        if committed_at is not None:
            committed_date = (at + dt.timedelta(days=pick(committed_days, i) or 10)).date()
        q = pick(quality, i)
        s = pick(status, i) or (Status.DECLINED if dec else Status.ACCEPTED if q else Status.DELIVERED if delivered_at
                                else Status.COMMITTED if committed_at else Status.ACKNOWLEDGED if acknowledged_at
                                else Status.SUBMITTED)
        rows.append(Request(
            requester=requesters[i], requester_team=requester_team, service=service, provider_team=service.team,
            title=f"Request {i}", context="Month-end close depends on it.", options=options,
            need_by=(at + dt.timedelta(days=14)).date(), due_date=(at + dt.timedelta(days=14)).date(),
            date_kind="flexible", status=s, notice_business_days=notice, short_notice=short_notice,
            created_at=at, updated_at=at, submitted_at=at, acknowledged_at=acknowledged_at, declined_at=declined_at,
            committed_at=committed_at, committed_date=committed_date, delivered_at=delivered_at,
            accepted_at=delivered_at if q else None, quality=q, slip_count=pick(slips, i) or 0,
            rework_count=pick(rework, i) or 0))
    return Request.objects.bulk_create(rows, batch_size=500)
