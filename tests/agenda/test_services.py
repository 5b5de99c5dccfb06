import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from liaison.agenda import notice, scheduling
from liaison.agenda import services as agenda
from liaison.agenda.models import Change, Conflict, Event, MaintenanceWindow
from tests.factories import PersonFactory

from .conftest import NOW, at


def _counts():
    return Change.objects.count(), Event.objects.count(), Conflict.objects.count()


@pytest.mark.parametrize("field,kwargs,message", [
    ("end", {"start": at(13, 8), "end": at(13, 7)}, "must end after it starts"),
    ("end", {"start": at(1, 8), "end": at(1, 8) + dt.timedelta(days=90)}, "shorter than 90 days"),
    ("services", {"services": ["no-such-service"]}, "Unknown service: no-such-service"),
    ("services", {"services": []}, "at least one service"),
    ("title", {"title": "  "}, "required"),
    ("risk", {"risk": "extreme"}, "not one of"),
    ("time_zone", {"time_zone": "Mars/Olympus"}, "not a known time zone"),
    ("start", {"start": "next tuesday"}, "not a date and time"),
])
def test_bad_change_input_names_the_field_and_changes_nothing(story, field, kwargs, message):
    before = _counts()
    args = {"team": story.network, "title": "Upgrade", "services": [story.corp_net], "start": at(13, 8),
            "end": at(13, 11), "by": story.engineer, "now": NOW, **kwargs}
    with pytest.raises(ValidationError) as exc:
        agenda.create_change(**args)
    assert field in exc.value.message_dict
    assert message in " ".join(exc.value.message_dict[field])
    assert _counts() == before


def test_a_window_just_under_90_days_is_allowed(story):
    agenda.create_change(team=story.network, title="Long", services=[story.dns], start=at(1, 0),
                         end=at(1, 0) + dt.timedelta(days=89, hours=23), by=story.engineer, now=NOW)


def test_an_event_must_name_the_services_it_depends_on(story):
    """An event 'depending on its own team's change with no service' is refused: name a service."""
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        agenda.create_event(team=story.marketing, title="Launch", services=[], start=at(20, 9), end=at(20, 10),
                            by=story.marketer, now=NOW)
    assert "services" in exc.value.message_dict
    assert _counts() == before


def test_only_members_plan_for_their_team(story, outsider):
    with pytest.raises(PermissionDenied):
        agenda.create_change(team=story.network, title="X", services=[story.dns], start=at(20, 9),
                             end=at(20, 10), by=outsider, now=NOW)
    with pytest.raises(PermissionDenied):
        agenda.create_event(team=story.marketing, title="X", services=[story.dns], start=at(20, 9),
                            end=at(20, 10), by=story.engineer, now=NOW)


def test_publishing_stamps_the_announcement_and_counts_notice(story):
    change = agenda.create_change(team=story.network, title="Upgrade", services=[story.dns], start=at(13, 8),
                                  end=at(13, 11), by=story.engineer, now=NOW)
    assert change.status == "draft" and change.notice_days is None
    agenda.publish_change(change, by=story.engineer, now=NOW)  # Fri 1 March → Wed 13 March
    assert change.announced_at == NOW
    assert change.notice_days == 8  # Mon 4 … Wed 13, weekdays only
    assert change.late_notice  # under the default 10
    with override_settings(LIAISON_MIN_CHANGE_NOTICE_DAYS=5):
        assert not change.late_notice
    with pytest.raises(ValidationError):
        agenda.publish_change(change, by=story.engineer, now=NOW)


def test_notice_after_reschedules(story, upgrade):
    assert upgrade.notice_days == 8
    # later: the notice already given stands, plus the extra time
    agenda.reschedule_change(upgrade, start=at(27, 8), end=at(27, 11), by=story.engineer, now=at(12, 9))
    assert upgrade.notice_from == NOW and upgrade.notice_days == 18
    # earlier: counted from the moment of the move
    agenda.reschedule_change(upgrade, start=at(19, 8), end=at(19, 11), by=story.engineer, now=at(15, 9))
    assert upgrade.notice_from == at(15, 9) and upgrade.notice_days == 2
    assert upgrade.sequence == 2 and upgrade.reschedules.count() == 2


def test_conflict_life_and_who_may_do_what(story, upgrade, outsider):
    conflict = Conflict.objects.get(change=upgrade)
    with pytest.raises(PermissionDenied):
        agenda.ask_delay(conflict, by=story.engineer, now=NOW)  # the service side does not ask itself
    agenda.ask_delay(conflict, by=story.marketer, now=NOW, text="Please move it a week.")
    assert conflict.status == Conflict.Status.DELAY_ASKED
    agenda.comment(conflict, by=story.engineer, now=NOW, text="Looking at the week after.")
    with pytest.raises(PermissionDenied):
        agenda.comment(conflict, by=None or PersonFactory(is_active=False), now=NOW, text="x")
    with pytest.raises(ValidationError) as exc:
        agenda.mitigate(conflict, by=story.engineer, now=NOW, plan=" ")
    assert "plan" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        agenda.accept_risk(conflict, by=story.marketer, now=NOW)  # a member, not the lead
    agenda.accept_risk(conflict, by=story.lc, now=NOW, text="We will run on the backup link.")
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution, conflict.settled_by) == ("resolved", "risk_accepted", story.lc)
    assert list(conflict.entries.values_list("kind", flat=True)) == ["detected", "delay_asked", "comment",
                                                                     "resolved"]
    with pytest.raises(ValidationError):
        agenda.withdraw(conflict, by=story.marketer, now=NOW)  # already settled


def test_mitigation_and_withdrawal(story, upgrade):
    conflict = Conflict.objects.get(change=upgrade)
    with pytest.raises(PermissionDenied):
        agenda.mitigate(conflict, by=story.marketer, now=NOW, plan="x")
    agenda.mitigate(conflict, by=story.engineer, now=NOW, plan="Second link stays up; rollback in 5 minutes.")
    assert conflict.resolution == "mitigated" and "Second link" in conflict.mitigation_plan
    # a mitigated conflict stays resolved on later checks
    agenda.update_change(upgrade, by=story.engineer, now=NOW, risk="low")
    conflict.refresh_from_db()
    assert conflict.status == "resolved"
    other = agenda.create_change(team=story.network, title="Second", services=[story.corp_net], start=at(12, 8),
                                 end=at(12, 9), by=story.engineer, now=NOW)
    c2 = Conflict.objects.get(change=other)
    agenda.withdraw(c2, by=story.marketer, now=NOW)
    assert c2.status == "withdrawn"


def test_affected_customers(story, upgrade, outsider):
    rows = agenda.affected_customers(upgrade, story.engineer, NOW)
    teams = {team.name: (events, svcs) for team, events, svcs in rows}
    assert [e.title for e in teams["Product Marketing"][0]] == ["Meet the architect"]
    assert [s.name for s in teams["Video Team"][1]] == ["Webinar Platform"]
    # a confidential event is listed only to those who may see it
    Event.objects.filter(pk=story.event.pk).update(confidential=True)
    rows = agenda.affected_customers(upgrade, outsider, NOW)
    assert "Product Marketing" not in {team.name for team, *_ in rows}


def test_scheduling_assistant_avoids_collisions_and_keeps_to_maintenance_windows(story, upgrade):
    # the network's maintenance window: Tuesdays 06:00-10:00 Paris time
    agenda.add_maintenance_window(story.corp_net, weekday=2, start_time=dt.time(6), end_time=dt.time(10),
                                  time_zone="Europe/Paris", by=story.engineer)
    # another change on the same service blocks Tuesday 19 March
    agenda.create_change(team=story.network, title="Other", services=[story.corp_net], start=at(19, 5),
                         end=at(19, 9), by=story.engineer, now=NOW)
    proposals = scheduling.propose_windows(upgrade, NOW)
    assert proposals
    for p in proposals:
        local = p["start"].astimezone(agenda.person_zone(story.ls))
        assert local.isoweekday() == 2 and local.hour >= 6 and (p["end"] - p["start"]) == dt.timedelta(hours=3)
        assert not (p["start"] < at(19, 9) and p["end"] > at(19, 5))
        assert not (p["start"] < story.event.end and p["end"] > story.event.guard_start)
    # Tuesday 12 is inside the event's 48 h buffer, Tuesday 19 is taken: the nearest is the latest start
    # that fits Tuesday 5 (06:00-09:00 UTC = 07:00-10:00 Paris), then Tuesday 26.
    assert proposals[0]["start"] == at(5, 6)
    assert {p["start"].day for p in proposals} == {5, 26}
    agenda.pick_window(upgrade, start=proposals[0]["start"], by=story.engineer, now=NOW)
    assert Conflict.objects.get(change=upgrade).status == "resolved"


def test_maintenance_window_input(story):
    with pytest.raises(ValidationError) as exc:
        agenda.add_maintenance_window(story.corp_net, weekday=2, start_time=dt.time(10), end_time=dt.time(9),
                                      by=story.engineer)
    assert "end_time" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        agenda.add_maintenance_window(story.corp_net, weekday=2, start_time=dt.time(1), end_time=dt.time(2),
                                      by=story.marketer)
    assert not MaintenanceWindow.objects.exists()


def test_window_across_daylight_saving_is_stored_in_utc(story):
    # Paris springs forward on Sunday 31 March 2030 at 02:00 → 03:00
    change = agenda.create_change(team=story.network, title="Night work", services=[story.dns],
                                  start=dt.datetime(2030, 3, 31, 1, 0), end=dt.datetime(2030, 3, 31, 4, 0),
                                  time_zone="Europe/Paris", by=story.engineer, now=NOW)
    assert change.start == dt.datetime(2030, 3, 31, 0, 0, tzinfo=dt.UTC)  # 01:00 CET
    assert change.end == dt.datetime(2030, 3, 31, 2, 0, tzinfo=dt.UTC)  # 04:00 CEST
    assert change.duration == dt.timedelta(hours=2)  # three wall-clock hours, two real ones


@time_machine.travel(NOW, tick=False)
def test_team_calendar_contents(story, upgrade, org_admin):
    other = agenda.create_change(team=story.video, title="CRM patch", services=[story.crm], start=at(13, 8),
                                 end=at(13, 9), by=org_admin, now=NOW)
    freeze = agenda.create_freeze(title="Close", org_wide=True, start=at(30, 0), end=at(31, 0), by=org_admin,
                                  now=NOW)
    items = agenda.team_calendar(story.marketing, story.marketer, at(1, 0), at(31, 23))
    seen = {(i["kind"], i["obj"].pk): i for i in items}
    assert seen[("event", story.event.pk)]["conflict"]
    assert seen[("change", upgrade.pk)]["conflict"] and not seen[("change", upgrade.pk)]["own"]
    assert ("change", other.pk) not in seen  # marketing does not depend on the CRM
    assert ("freeze", freeze.pk) in seen
    network_items = agenda.team_calendar(story.network, story.engineer, at(1, 0), at(31, 23))
    own = {(i["kind"], i["obj"].pk): i for i in network_items}
    assert own[("change", upgrade.pk)]["own"] and own[("change", upgrade.pk)]["conflict"]


def test_notice_history_and_ranking(story, org_admin):
    network_changes = [(8, 1), (15, 20), (20, 25)]  # (announced on day, starts on day) of March 2030
    for announced, starts in network_changes:
        agenda.create_change(team=story.network, title=f"N{starts}", services=[story.dns], start=at(starts, 9),
                             end=at(starts, 10), by=story.engineer, now=at(announced, 9) if announced < starts
                             else at(1, 9), publish=True)
    agenda.create_change(team=story.video, title="V", services=[story.crm], start=at(29, 9), end=at(29, 10),
                         by=org_admin, now=at(1, 9), publish=True)
    history = notice.notice_history(story.network, story.engineer, at(31, 9))
    summary = history["summary"]
    assert summary["total"] == 3
    assert summary["late"] == 3  # 0, 3 and 3 business days
    assert dict((label, n) for label, n, _ in history["distribution"])["Less than 3 days"] == 1
    assert sum(row["count"] for row in history["trend"]) == 3
    ranking = notice.notice_ranking(story.engineer)
    assert [r["team__name"] for r in ranking] == ["Video Team", "Network Group"]
    assert ranking[0]["late"] == 0 and ranking[1]["late_share"] == 100
