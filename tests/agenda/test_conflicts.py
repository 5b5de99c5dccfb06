# ruff: noqa: RUF003 -- typographic dashes, minus and times signs are meant for readers
import datetime as dt

import pytest

from liaison.agenda import conflicts
from liaison.agenda import services as agenda
from liaison.agenda.models import Conflict, ConflictEntry
from liaison.notify.models import Notification
from liaison.org import services as org

from .conftest import NOW, at


def test_change_through_the_dependency_graph_collides_with_the_event(story, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        change = agenda.create_change(
            team=story.network, title="Core network upgrade", services=[story.corp_net],
            start=at(13, 8), end=at(13, 11), by=story.engineer, now=NOW, risk="high", publish=True)
    conflict = Conflict.objects.get(change=change)
    assert conflict.event == story.event
    assert conflict.status == Conflict.Status.OPEN
    assert conflict.path == ["Webinar Platform", "Corporate Network"]
    assert "depends on Webinar Platform, which depends on Corporate Network" in conflict.reason
    assert "preparation buffer" in conflict.reason  # 08:00–11:00 is inside the 48 h before 15:00
    assert (conflict.overlap_start, conflict.overlap_end) == (at(13, 8), at(13, 11))
    # high risk (3) × critical (4) × closeness 1 (buffer only, more than a week away)
    assert conflict.score == 12 and conflict.severity == Conflict.Severity.HIGH
    assert ConflictEntry.objects.get(conflict=conflict).kind == ConflictEntry.Kind.DETECTED
    # both leads, at once
    queued = Notification.objects.filter(kind="agenda.conflict").select_related("recipient")
    assert sorted(n.recipient.email for n in queued) == ["carla@corp.example", "lars@corp.example"]
    assert all("Meet the architect" in n.subject and n.created_at == queued[0].created_at for n in queued)
    # the periodic full scan finds the same conflict again, and queues nothing new
    with django_capture_on_commit_callbacks(execute=True):
        conflicts.full_scan(now=at(10, 10))
    assert Notification.objects.filter(kind="agenda.conflict").count() == 2


def test_direct_dependency_and_event_itself_scores_higher(story):
    change = agenda.create_change(team=story.video, title="Webinar patch", services=[story.webinar],
                                  start=at(13, 16), end=at(13, 17), by=story.lc.__class__.objects.get(
                                      email="admin@corp.example") if False else _admin(), now=at(10, 9), risk="low")
    conflict = Conflict.objects.get(change=change)
    assert conflict.path == ["Webinar Platform"]
    assert "depends on Webinar Platform directly" in conflict.reason
    assert "the event itself" in conflict.reason
    # low (1) × critical (4) × (1 + hits the event + within a week) = 12
    assert conflict.score == 12


def _admin():
    from tests.factories import PersonFactory
    return PersonFactory(email="root@corp.example", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("start,end", [(at(11, 14), at(11, 15)), (at(13, 18), at(13, 19)), (at(10, 8), at(11, 15))])
def test_no_conflict_outside_the_guarded_window(story, start, end):
    # 11 March 15:00 is exactly where the 48 h buffer begins; 18:00 on the 13th is after the event.
    change = agenda.create_change(team=story.network, title="Elsewhere in time", services=[story.corp_net],
                                  start=start, end=end, by=story.engineer, now=NOW)
    assert not Conflict.objects.filter(change=change).exists()


def test_no_conflict_on_unrelated_services(story):
    change = agenda.create_change(team=story.network, title="DNS", services=[story.dns],
                                  start=at(13, 8), end=at(13, 11), by=story.engineer, now=NOW)
    assert not Conflict.objects.filter(change=change).exists()


def test_new_event_finds_existing_change(story, upgrade):
    Conflict.objects.all().delete()
    event = agenda.create_event(team=story.marketing, title="Rerun", services=[story.webinar],
                                start=at(13, 10), end=at(13, 12), by=story.marketer, now=NOW)
    conflict = Conflict.objects.get(event=event)
    assert conflict.change == upgrade and conflict.path == ["Webinar Platform", "Corporate Network"]


def test_new_dependency_finds_conflict_and_removed_dependency_withdraws_it(story):
    change = agenda.create_change(team=story.network, title="DNS move", services=[story.dns],
                                  start=at(13, 8), end=at(13, 11), by=story.engineer, now=NOW)
    assert not Conflict.objects.exists()
    org.add_dependency(story.corp_net, story.dns)  # the network stands on DNS, the webinar on the network
    conflict = Conflict.objects.get(change=change)
    assert conflict.path == ["Webinar Platform", "Corporate Network", "DNS"]
    org.remove_dependency(story.corp_net, story.dns)
    conflict.refresh_from_db()
    assert conflict.status == Conflict.Status.WITHDRAWN
    assert "no longer touches" in conflict.entries.last().text


def test_freeze_windows(story, org_admin):
    change = agenda.create_change(team=story.network, title="Quarter close tweak", services=[story.dns],
                                  start=at(29, 10), end=at(29, 11), by=story.engineer, now=NOW)
    freeze = agenda.create_freeze(title="Quarter close", org_wide=True, start=at(28, 0), end=at(31, 23),
                                  by=org_admin, now=NOW)
    conflict = Conflict.objects.get(change=change, freeze=freeze)
    assert conflict.kind == Conflict.Kind.FREEZE and "organisation-wide freeze" in conflict.reason
    # a per-service freeze on the webinar is hit by a change to what it stands on
    freeze2 = agenda.create_freeze(title="Webinar season", services=[story.webinar], start=at(20, 0),
                                   end=at(22, 0), by=org_admin, now=NOW)
    change2 = agenda.create_change(team=story.network, title="Net", services=[story.corp_net],
                                   start=at(21, 1), end=at(21, 2), by=story.engineer, now=NOW)
    assert Conflict.objects.get(change=change2).freeze == freeze2
    agenda.delete_freeze(freeze, by=org_admin, now=NOW)
    assert not Conflict.objects.filter(change=change).exists()


def test_reschedule_resolves_by_itself_and_keeps_history(story, upgrade):
    conflict = Conflict.objects.get(change=upgrade)
    agenda.reschedule_change(upgrade, start=at(20, 8), end=at(20, 11), by=story.engineer, now=at(2, 9),
                             reason="Marketing asked")
    conflict.refresh_from_db()
    assert conflict.status == Conflict.Status.RESOLVED
    assert conflict.resolution == Conflict.Resolution.RESCHEDULED
    upgrade.refresh_from_db()
    assert upgrade.status == "rescheduled" and upgrade.sequence == 1
    (move,) = upgrade.reschedules.all()
    assert (move.old_start, move.new_start, move.sequence) == (at(13, 8), at(20, 8), 1)
    # moving it back reopens the conflict
    agenda.reschedule_change(upgrade, start=at(13, 9), end=at(13, 10), by=story.engineer, now=at(3, 9))
    conflict.refresh_from_db()
    assert conflict.status == Conflict.Status.OPEN
    assert list(conflict.entries.values_list("kind", flat=True)) == ["detected", "resolved", "reopened"]


def test_cancelling_withdraws(story, upgrade):
    agenda.cancel_change(upgrade, by=story.engineer, now=NOW)
    assert Conflict.objects.get(change=upgrade).status == Conflict.Status.WITHDRAWN
    event = story.event
    change = agenda.create_change(team=story.network, title="Again", services=[story.corp_net],
                                  start=at(13, 8), end=at(13, 9), by=story.engineer, now=NOW)
    agenda.cancel_event(event, by=story.lc, now=NOW)
    assert Conflict.objects.get(change=change).status == Conflict.Status.WITHDRAWN


def test_full_scan_matches_the_incremental_checks(story, upgrade):
    extra = agenda.create_change(team=story.video, title="CRM", services=[story.crm],
                                 start=at(13, 8), end=at(13, 9), by=_admin(), now=NOW)
    expected = set(Conflict.objects.values_list("change_id", "event_id", "status"))
    pairs, stats = conflicts.scan_pairs()
    assert pairs == {(upgrade.pk, "event", story.event.pk)}
    assert stats["changes"] == 2 and stats["events"] == 1
    Conflict.objects.all().delete()
    result = conflicts.full_scan(NOW)
    assert result["created"] == 1
    assert set(Conflict.objects.values_list("change_id", "event_id", "status")) == expected
    assert Conflict.objects.get().path == ["Webinar Platform", "Corporate Network"]
    assert conflicts.full_scan(NOW)["to_reconcile"] == 0  # steady state: nothing to do
    assert extra.pk not in {c for c, *_ in pairs}


def test_full_scan_settles_vanished_conflicts(story, upgrade):
    # move the change behind the checks' back (e.g. a bulk import), then scan
    type(upgrade).objects.filter(pk=upgrade.pk).update(start=at(25, 8), end=at(25, 9))
    stats = conflicts.full_scan(NOW)
    assert stats["settled"] == 1
    conflict = Conflict.objects.get()
    assert conflict.resolution == Conflict.Resolution.RESCHEDULED


def test_sweep_is_registered():
    from liaison.core.sweeps import registered

    assert "agenda.conflicts" in registered()


def test_interval_index_agrees_with_brute_force():
    import random

    rng = random.Random(7)
    up = {1: [2, 3], 2: [4], 3: [4], 5: [6]}  # dependents
    down = {}
    for a, bs in up.items():
        for b in bs:
            down.setdefault(b, []).append(a)
    dependents, dependencies = conflicts.closures(up), conflicts.closures(down)
    base = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    changes, guards = [], []
    for i in range(300):
        s = base + dt.timedelta(hours=rng.randrange(500))
        changes.append((i, s, s + dt.timedelta(hours=rng.randrange(1, 9)), [rng.randrange(1, 7)]))
    for i in range(200):
        s = base + dt.timedelta(hours=rng.randrange(500))
        org_wide = i % 50 == 0
        guards.append(("event", i, s, s + dt.timedelta(hours=rng.randrange(1, 30)),
                       [] if org_wide else rng.sample(range(1, 7), 2), org_wide))
    got = conflicts.find_pairs(changes, guards, dependencies)
    expected = set()
    for cid, cs, ce, cserv in changes:
        reach = set().union(*(dependents.get(s, {s}) for s in cserv))
        for kind, gid, gs, ge, gserv, ow in guards:
            if cs < ge and gs < ce and (ow or reach & set(gserv)):
                expected.add((cid, kind, gid))
    assert got == expected and expected
