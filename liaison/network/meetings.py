"""Recurring cross-team meetings: series, occurrences, attendance, rates, iCalendar import.

Seed 003: the offshore partner that stops coming to planned meetings. A series names
the teams expected; each occurrence records who attended, who declined ahead and who
did not show. A team *attends* an occurrence when at least one of its members did; a
team that misses more than the series' `miss_threshold` (%) of the occurrences held so
far is flagged — on the pair page, the team network page and (through
`attendance_flags`) the relationship-health scorecard.
"""

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

import icalendar
import recurring_ical_events
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from liaison.org.models import Membership

from .models import Attendance, MeetingSeries, Occurrence
from .services import find_person

MAX_ICAL_BYTES = 2_000_000


def can_manage_series(person, series):
    """The owner team's members (and org admins) keep a series' occurrences and attendance."""
    if person is None or not person.is_authenticated:
        return False
    return person.is_org_admin or Membership.objects.filter(team_id=series.owner_team_id, person=person).exists()


def _require_manager(person, series):
    if not can_manage_series(person, series):
        raise PermissionDenied(f"Only members of {series.owner_team} may change this series.")


@transaction.atomic
def create_series(*, name, owner_team, expected_teams, by, miss_threshold=30, now=None):
    now = now or timezone.now()
    if not (by.is_org_admin or Membership.objects.filter(team=owner_team, person=by).exists()):
        raise PermissionDenied(f"Only members of {owner_team} may create its meeting series.")
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Give the series a name."
    expected = [t for t in expected_teams if t.pk != owner_team.pk]
    if not expected:
        errors["expected_teams"] = "Name at least one other team expected at these meetings."
    if errors:
        raise ValidationError(errors)
    series = MeetingSeries(name=name[:200], owner_team=owner_team, miss_threshold=miss_threshold, created_at=now)
    series.full_clean()
    series.save()
    series.expected_teams.set(expected)
    return series


@transaction.atomic
def add_occurrence(series, *, starts_at, by, ends_at=None, title=""):
    _require_manager(by, series)
    if ends_at and ends_at <= starts_at:
        raise ValidationError({"ends_at": "A meeting ends after it starts."})
    key = starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    occurrence, _ = Occurrence.objects.update_or_create(
        series=series, recurrence_key=key, defaults={"starts_at": starts_at, "ends_at": ends_at, "title": title})
    return occurrence


@transaction.atomic
def record_attendance(occurrence, *, person, status, by, now=None):
    """Attended / declined ahead / no-show for one person at one occurrence.

    No one attends or fails to show up at a meeting that has not started yet; declining
    ahead is possible any time. A cancelled occurrence takes no attendance.
    """
    now = now or timezone.now()
    _require_manager(by, occurrence.series)
    if status not in Attendance.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}; one of {', '.join(Attendance.Status.values)}."})
    person = find_person(person, field="person", viewer=by, missing="Give the person's email address.")
    if occurrence.cancelled:
        raise ValidationError({"occurrence": "This meeting was cancelled."})
    if status != Attendance.Status.DECLINED and occurrence.starts_at > now:
        raise ValidationError({"status": "This meeting has not happened yet: only “declined ahead” is possible."})
    row, _ = Attendance.objects.update_or_create(occurrence=occurrence, person=person, defaults={"status": status})
    return row


def attendance_rates(series, now):
    """Per expected team and for the whole series, over the occurrences held by `now`.

    {"held": n, "people": {"attended", "declined", "no_show", "rate"},
     "teams": [{"team", "attended", "declined", "no_show", "missed", "rate", "missed_share", "flagged"}]}
    """
    held = list(series.occurrences.filter(cancelled=False, starts_at__lte=now).values_list("pk", flat=True))
    teams = [series.owner_team, *series.expected_teams.all()]
    rows = list(Attendance.objects.filter(occurrence_id__in=held).values_list("occurrence_id", "person_id", "status"))
    team_of = defaultdict(set)
    for person_id, team_id in Membership.objects.filter(
            person_id__in={p for _, p, _ in rows}, team__in=teams).values_list("person_id", "team_id"):
        team_of[person_id].add(team_id)
    by_team = defaultdict(lambda: defaultdict(set))  # team -> status -> occurrences
    counts = {"attended": 0, "declined": 0, "no_show": 0}
    for occurrence_id, person_id, status in rows:
        counts[status] += 1
        for team_id in team_of[person_id]:
            by_team[team_id][status].add(occurrence_id)
    result = []
    for team in teams:
        seen = by_team[team.pk]
        attended = seen["attended"]
        declined = seen["declined"] - attended
        missed = len(held) - len(attended)
        share = round(100 * missed / len(held)) if held else 0
        result.append({"team": team, "attended": len(attended), "declined": len(declined),
                       "no_show": missed - len(declined), "missed": missed,
                       "rate": round(100 * len(attended) / len(held)) if held else None,
                       "missed_share": share, "flagged": bool(held) and share > series.miss_threshold,
                       "expected": team.pk != series.owner_team_id})
    total = sum(counts.values())
    people = {**counts, "rate": round(100 * counts["attended"] / total) if total else None}
    return {"held": len(held), "people": people, "teams": result}


def attendance_flags(now, teams=None):
    """[(series, team row)] for every team that misses more than its series allows.

    `teams` narrows to series that involve all of those teams (the pair page passes two).
    """
    qs = MeetingSeries.objects.all()
    for team in teams or ():
        qs = qs.filter(Q(owner_team=team) | Q(expected_teams=team))
    flags = []
    for series in qs.distinct().select_related("owner_team"):
        for row in attendance_rates(series, now)["teams"]:
            if row["flagged"] and (not teams or row["team"] in teams):
                flags.append((series, row))
    return flags


# --- iCalendar import ----------------------------------------------------------------------

def _as_datetime(value, tz):
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=tz)
    return datetime.combine(value, time(9, 0), tzinfo=tz)


@transaction.atomic
def import_ical(series, data, *, by, now=None, past_days=730, future_days=365, field="file"):
    """Import the occurrences of a recurring meeting from an iCalendar export (Outlook,
    Google): RRULE expanded, EXDATE removed, RECURRENCE-ID overrides (moved or renamed
    instances) applied, STATUS:CANCELLED instances cancelled. Each occurrence is keyed by
    its original start, so importing a newer export updates in place; an occurrence in
    the window that the calendar no longer has is marked cancelled, attendance kept.

    The series takes the calendar's first recurring UID; other UIDs in the file are
    ignored (an export of one meeting often carries unrelated one-off events).
    Returns {"created", "updated", "cancelled"}. A bad file is a ValidationError on `field`
    (the upload's "file" on the page, the payload's "ics" in the API).
    """
    now = now or timezone.now()
    _require_manager(by, series)
    if isinstance(data, str):
        data = data.encode()
    if not data or len(data) > MAX_ICAL_BYTES:
        raise ValidationError({field: "Upload an iCalendar (.ics) file under 2 MB."})
    if b"\x00" in data:  # no text file has one, and PostgreSQL cannot store it in a title or UID
        raise ValidationError({field: "This is not a readable iCalendar file (it contains NUL characters)."})
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValidationError({field: f"This is not a readable iCalendar file ({exc})."}) from exc
    masters = [c for c in calendar.walk("VEVENT") if c.get("RRULE")]
    uid = series.ical_uid or (str(masters[0].get("UID")) if masters else "")
    if not uid:
        raise ValidationError({field: "The file has no recurring meeting (no event with an RRULE)."})
    start, end = now - timedelta(days=past_days), now + timedelta(days=future_days)
    try:
        events = recurring_ical_events.of(calendar).between(start, end)
    except Exception as exc:  # malformed RRULE and friends: the library raises many kinds
        raise ValidationError({field: f"The recurrence rules could not be read ({exc})."}) from exc
    seen, created, updated = set(), 0, 0
    existing = {o.recurrence_key: o for o in series.occurrences.all()}
    for event in events:
        if str(event.get("UID")) != uid:
            continue
        starts = _as_datetime(event.decoded("DTSTART"), UTC)
        ends = _as_datetime(event.decoded("DTEND"), UTC) if event.get("DTEND") else None
        original = event.decoded("RECURRENCE-ID") if event.get("RECURRENCE-ID") else event.decoded("DTSTART")
        key = _as_datetime(original, UTC).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
        fields = {"starts_at": starts, "ends_at": ends, "cancelled": cancelled,
                  "title": str(event.get("SUMMARY", ""))[:300]}
        seen.add(key)
        occurrence = existing.get(key)
        if occurrence is None:
            Occurrence.objects.create(series=series, recurrence_key=key, **fields)
            created += 1
        else:
            for name, value in fields.items():
                setattr(occurrence, name, value)
            occurrence.save()
            updated += 1
    gone = [o.pk for k, o in existing.items() if k not in seen and start <= o.starts_at <= end and not o.cancelled]
    Occurrence.objects.filter(pk__in=gone).update(cancelled=True)
    if not series.ical_uid:
        series.ical_uid = uid[:255]
        series.save(update_fields=["ical_uid"])
    return {"created": created, "updated": updated, "cancelled": len(gone)}


def series_for_team(team):
    return (MeetingSeries.objects.filter(Q(owner_team=team) | Q(expected_teams=team)).distinct()
            .select_related("owner_team"))

