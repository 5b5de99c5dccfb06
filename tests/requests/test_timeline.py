"""The timeline: append-only event rows with actor and time; figures are aggregations."""

import datetime as dt

import pytest
from django.db.models import Count

from liaison.requests import services
from liaison.requests.models import EventKind, RequestEvent
from tests.requests.conftest import NOW

H = dt.timedelta(hours=1)


def test_events_carry_actor_time_and_both_teams(cast, committed):
    events = list(committed.events.all())
    assert [(e.kind, e.actor, e.at) for e in events] == [
        ("created", cast.remy, NOW), ("acknowledged", cast.pete, NOW + 2 * H), ("committed", cast.pete, NOW + 3 * H)]
    assert {(e.provider_team_id, e.requester_team_id) for e in events} == {(cast.platform.pk, cast.remote.pk)}


def test_events_cannot_be_changed_or_deleted(cast, submitted):
    event = submitted.events.get()
    event.data = {"forged": True}
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        RequestEvent.objects.filter(pk=event.pk).update(data={})
    with pytest.raises(TypeError, match="append-only"):
        RequestEvent.objects.all().delete()
    assert RequestEvent.objects.get(pk=event.pk).data["need_by"] == "2026-03-16"




def test_event_counts_per_provider_team_and_kind_are_one_query(cast, committed, django_assert_num_queries):
    services.change_commitment(committed, by=cast.pete, new_date=committed.committed_date + dt.timedelta(days=2),
                               reason="Late parts", now=NOW + 4 * H)
    with django_assert_num_queries(1):
        rows = list(RequestEvent.objects.filter(kind__in=[EventKind.COMMITTED, EventKind.SLIPPED])
                    .values("provider_team", "kind").annotate(n=Count("id")).order_by("kind"))
    assert rows == [{"provider_team": cast.platform.pk, "kind": "committed", "n": 1},
                    {"provider_team": cast.platform.pk, "kind": "slipped", "n": 1}]
