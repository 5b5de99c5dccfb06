from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.network import meetings
from liaison.network.models import Attendance, Occurrence
from tests.network.conftest import NOW

ICS = (Path(__file__).parent / "fixtures" / "outlook_ops_sync.ics").read_bytes()


@pytest.fixture
def series(world):
    return meetings.create_series(name="Ops sync", owner_team=world["hq"], expected_teams=[world["remote"]],
                                  by=world["raj"], miss_threshold=30, now=NOW)


def held(series, world, statuses):
    """One past occurrence per entry; statuses maps person key -> status."""
    occurrences = []
    for i, entry in enumerate(statuses):
        o = meetings.add_occurrence(series, starts_at=NOW - timedelta(days=7 * (len(statuses) - i)), by=world["raj"])
        for key, status in entry.items():
            meetings.record_attendance(o, person=world[key], status=status, by=world["raj"], now=NOW)
        occurrences.append(o)
    return occurrences


def test_rates_per_team_and_a_team_missing_too_many_is_flagged(series, world):
    A, D, N = Attendance.Status.ATTENDED, Attendance.Status.DECLINED, Attendance.Status.NO_SHOW
    held(series, world, [{"raj": A, "ana": A}, {"raj": A, "ana": D}, {"raj": A, "bo": N}, {"sue": A, "ana": A}])
    rates = meetings.attendance_rates(series, NOW)
    assert rates["held"] == 4
    hq, remote = rates["teams"]
    assert (hq["attended"], hq["missed"], hq["flagged"]) == (4, 0, False)
    assert (remote["attended"], remote["declined"], remote["no_show"], remote["missed_share"]) == (2, 1, 1, 50)
    assert remote["flagged"]
    assert rates["people"]["rate"] == round(100 * 6 / 8)
    assert [(s, row["team"]) for s, row in meetings.attendance_flags(NOW, [world["hq"], world["remote"]])] == [
        (series, world["remote"])]


def test_future_and_cancelled_occurrences_do_not_count(series, world):
    future = meetings.add_occurrence(series, starts_at=NOW + timedelta(days=3), by=world["raj"])
    with pytest.raises(ValidationError) as error:
        meetings.record_attendance(future, person=world["ana"], status="attended", by=world["raj"], now=NOW)
    assert "status" in error.value.message_dict
    meetings.record_attendance(future, person=world["ana"], status="declined", by=world["raj"], now=NOW)
    assert meetings.attendance_rates(series, NOW)["held"] == 0


def test_only_the_owner_team_keeps_the_series(series, world):
    o = meetings.add_occurrence(series, starts_at=NOW - timedelta(days=1), by=world["raj"])
    with pytest.raises(PermissionDenied):
        meetings.record_attendance(o, person=world["ana"], status="attended", by=world["carl"], now=NOW)
    with pytest.raises(ValidationError) as error:
        meetings.record_attendance(o, person="ghost@corp.example", status="attended", by=world["raj"], now=NOW)
    assert "person" in error.value.message_dict
    assert not Attendance.objects.exists()


def test_a_series_needs_another_team(world):
    with pytest.raises(ValidationError) as error:
        meetings.create_series(name="", owner_team=world["hq"], expected_teams=[world["hq"]], by=world["raj"])
    assert set(error.value.message_dict) == {"name", "expected_teams"}


def test_import_an_outlook_export_with_rrule_exdate_and_exceptions(series, world):
    counts = meetings.import_ical(series, ICS, by=world["raj"], now=NOW)
    occurrences = list(series.occurrences.order_by("starts_at"))
    # Mondays 5 Jan .. 30 Mar 2026 = 13, minus the EXDATE of 16 Feb; the farewell lunch is another UID.
    assert counts == {"created": 12, "updated": 0, "cancelled": 0}
    starts = [o.starts_at for o in occurrences]
    assert datetime(2026, 2, 16, 9, tzinfo=UTC) not in starts
    moved = next(o for o in occurrences if o.recurrence_key == "20260126T090000Z")
    assert moved.starts_at == datetime(2026, 1, 27, 14, tzinfo=UTC) and "moved" in moved.title
    assert next(o for o in occurrences if o.recurrence_key == "20260309T090000Z").cancelled
    # After the clocks change (29 Mar) 09:00 London is 08:00 UTC.
    assert occurrences[-1].starts_at == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert series.ical_uid.startswith("040000008200E000")


def test_reimport_updates_in_place_and_cancels_what_disappeared(series, world):
    meetings.import_ical(series, ICS, by=world["raj"], now=NOW)
    first = series.occurrences.get(recurrence_key="20260105T090000Z")
    meetings.record_attendance(first, person=world["ana"], status="attended", by=world["raj"], now=NOW)
    newer = ICS.replace(b"EXDATE;TZID=GMT Standard Time:20260216T090000",
                        b"EXDATE;TZID=GMT Standard Time:20260216T090000,20260223T090000")
    assert meetings.import_ical(series, newer, by=world["raj"], now=NOW) == {"created": 0, "updated": 11,
                                                                              "cancelled": 1}
    assert series.occurrences.get(recurrence_key="20260223T090000Z").cancelled
    assert first.attendance.count() == 1


@pytest.mark.parametrize("data, message", [(b"", "iCalendar"), (b"not a calendar", "not a readable"),
                                           (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no recurring"),
                                           (ICS.replace(b"Ops sync", b"Ops\x00sync"), "NUL characters")])
def test_bad_files_are_refused_with_a_message(series, world, data, message):
    with pytest.raises(ValidationError) as error:
        meetings.import_ical(series, data, by=world["raj"], now=NOW)
    assert message in error.value.message_dict["file"][0]
    assert not Occurrence.objects.exists()
