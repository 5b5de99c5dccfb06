"""Business-day arithmetic: notice, lead times, grace periods.

Working days are given as a string of ISO weekday digits ("12345" = Monday to
Friday), as services store them.
"""

from datetime import date, timedelta

import numpy as np

WEEKDAYS = "12345"


def _weekmask(working_days):
    return [str(d) in working_days for d in range(1, 8)]


def business_days_between(start: date, end: date, working_days=WEEKDAYS) -> int:
    """Working days after `start` up to and including `end`; negative if end < start."""
    if end >= start:
        return int(np.busday_count(start + timedelta(days=1), end + timedelta(days=1),
                                   weekmask=_weekmask(working_days)))
    return -business_days_between(end, start, working_days)


def add_business_days(start: date, days: int, working_days=WEEKDAYS) -> date:
    """The date `days` working days after `start` (before it when negative)."""
    return np.busday_offset(start, days, roll="backward" if days >= 0 else "forward",
                            weekmask=_weekmask(working_days)).astype(date)
