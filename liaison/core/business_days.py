"""Business-day arithmetic: notice, lead times, grace periods.

Working days are given as a string of ISO weekday digits ("12345" = Monday to
Friday), as services store them.

Plain Python on purpose (week arithmetic, at most six single-day steps): this module sits
under requests and mail, so it loads in every process, and the MTA pipe
(`liaison mail ingest`, a fresh process per message) must not import numpy to count
days. The results are numpy's busday_count/busday_offset's (tests/core/test_business_days.py).
"""

from datetime import date, timedelta

WEEKDAYS = "12345"
_DAY = timedelta(days=1)


def _weekmask(working_days):
    """Which weekdays work, indexed by date.weekday() (Monday 0)."""
    mask = [str(d) in str(working_days) for d in range(1, 8)]
    if not any(mask):
        raise ValueError(f"No working day in {working_days!r}: give ISO weekday digits, e.g. 12345.")
    return mask


def business_days_between(start: date, end: date, working_days=WEEKDAYS) -> int:
    """Working days after `start` up to and including `end`; negative if end < start."""
    if end < start:
        return -business_days_between(end, start, working_days)
    mask = _weekmask(working_days)
    weeks, rest = divmod((end - start).days, 7)
    first = start.weekday()
    return weeks * sum(mask) + sum(mask[(first + i) % 7] for i in range(1, rest + 1))


def add_business_days(start: date, days: int, working_days=WEEKDAYS) -> date:
    """The date `days` working days after `start` (before it when negative).

    A `start` on a day off counts from the working day before it (after it when going
    back), as numpy's busday_offset with roll="backward" ("forward") does.
    """
    mask = _weekmask(working_days)
    step = _DAY if days >= 0 else -_DAY
    day = start
    while not mask[day.weekday()]:
        day -= step
    weeks, rest = divmod(abs(days), sum(mask))
    day += step * (7 * weeks)
    while rest:
        day += step
        rest -= mask[day.weekday()]
    return day
