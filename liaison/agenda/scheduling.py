
"""The scheduling assistant: better windows for a change that collides.

A service desk compares a change with other changes and blackout windows; Liaison also
knows the customers' own agendas. A proposed window
- has the change's length, starts in the future and within 90 days of the current start;
- collides with no scheduled event that depends on the changed services (directly or
  through the graph, buffer included), no freeze window that concerns them, and no other
  live change on the same services;
- falls inside a maintenance window of every changed service that declares some (weekly,
  in the service's own time zone, daylight saving included).
Nearest to the current start first. The blocking windows are read once (three indexed
queries) and merged, so checking thousands of candidates is a bisect each.
"""

import bisect
import zoneinfo
from datetime import datetime, timedelta

from django.db.models import Q

from . import conflicts
from .models import Change, Event, FreezeWindow, MaintenanceWindow

HORIZON = timedelta(days=90)
STEP = timedelta(minutes=30)
UTC = zoneinfo.ZoneInfo("UTC")


def _merged(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [m[0] for m in merged], [m[1] for m in merged]


def blocking_windows(change, lo, hi):
    """Merged (starts, ends) of everything the change must not overlap between lo and hi."""
    direct = list(change.services.values_list("pk", flat=True))
    affected = [row[0] for row in conflicts._walk_sql(direct, downward=False)]
    spans = list(Event.objects.filter(status=Event.Status.SCHEDULED, guard_start__lt=hi, end__gt=lo,
                                      services__in=affected).values_list("guard_start", "end").distinct())
    spans += FreezeWindow.objects.overlapping(lo, hi).filter(
        Q(org_wide=True) | Q(services__in=affected)).values_list("start", "end").distinct()
    spans += (Change.objects.filter(status__in=Change.LIVE, services__in=direct).overlapping(lo, hi)
              .exclude(pk=change.pk).values_list("start", "end").distinct())
    return _merged(spans)


def _free(starts, ends, start, end):
    """Does [start, end) miss every merged blocking window? The first one ending after `start` decides."""
    i = bisect.bisect_right(ends, start)
    return i == len(starts) or starts[i] >= end


def _maintenance(change):
    """{service_id: [MaintenanceWindow]} for the changed services that declare some."""
    windows = {}
    for window in MaintenanceWindow.objects.filter(service__in=change.services.all()):
        windows.setdefault(window.service_id, []).append(window)
    return windows


def _inside(window, start, end):
    zone = zoneinfo.ZoneInfo(window.time_zone)
    local = start.astimezone(zone)
    if local.isoweekday() != window.weekday:
        return False
    day = local.date()
    open_at = datetime.combine(day, window.start_time, tzinfo=zone)
    close_at = datetime.combine(day, window.end_time, tzinfo=zone)
    return open_at <= start and end <= close_at


def _candidates(maintenance, lo, hi, duration):
    """Start times to try: every half hour, or inside the declared maintenance windows only."""
    if not maintenance:
        t = lo.replace(minute=0 if lo.minute < 30 else 30, second=0, microsecond=0) + STEP
        while t <= hi:
            yield t
            t += STEP
        return
    seen = set()
    day = lo.astimezone(UTC).date() - timedelta(days=1)
    last = hi.astimezone(UTC).date() + timedelta(days=1)
    starts = []
    while day <= last:
        for windows in maintenance.values():
            for window in windows:
                zone = zoneinfo.ZoneInfo(window.time_zone)
                if day.isoweekday() != window.weekday:
                    continue
                t = datetime.combine(day, window.start_time, tzinfo=zone)
                close_at = datetime.combine(day, window.end_time, tzinfo=zone)
                while t + duration <= close_at:
                    utc = t.astimezone(UTC)
                    if lo < utc <= hi and utc not in seen:
                        seen.add(utc)
                        starts.append(utc)
                    t += STEP
        day += timedelta(days=1)
    yield from sorted(starts)


def propose_windows(change, now, limit=5):
    """Up to `limit` windows for `change`, nearest to its current start first. [{start, end, shift}]"""
    duration = change.end - change.start
    lo = max(now, change.start - HORIZON)
    hi = change.start + HORIZON
    starts, ends = blocking_windows(change, lo, hi + duration)
    maintenance = _maintenance(change)
    found = []
    for start in _candidates(maintenance, lo, hi, duration):
        end = start + duration
        if start == change.start:
            continue
        if not all(any(_inside(w, start, end) for w in windows) for windows in maintenance.values()):
            continue
        if _free(starts, ends, start, end):
            found.append(start)
    found.sort(key=lambda s: (abs(s - change.start), s))
    return [{"start": s, "end": s + duration, "shift": s - change.start} for s in found[:limit]]
