"""The timeline: append-only event rows with actor and time; figures are aggregations."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count

from liaison.requests import services
from liaison.requests.models import EventKind, RequestEvent
from tests.factories import ServiceFactory
from tests.requests.conftest import NOW, make_request

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


def _acknowledged_after(cast, service, hours, by):
    r = make_request(cast, service=service)
    services.acknowledge(r, by=by, now=NOW + hours * H)
    return r


@pytest.fixture
def two_providers(cast):
    other = ServiceFactory(name="Network", slug="network", team=cast.other, lead_time_days=1)
    for h in (1, 2, 9):
        _acknowledged_after(cast, cast.service, h, cast.pete)
    for h in (4, 6):
        _acknowledged_after(cast, other, h, cast.olga)
    make_request(cast)  # not acknowledged: not counted
    return other


def test_time_to_acknowledge_per_provider_team_is_one_query(cast, two_providers, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(services.acknowledgement_times_by_team())
    by_team = {r["provider_team"]: r for r in rows}
    assert by_team[cast.platform.pk]["requests"] == 3
    assert by_team[cast.platform.pk]["average"] == 4 * H
    assert by_team[cast.other.pk]["average"] == 5 * H


@pytest.mark.postgres
def test_median_time_to_acknowledge_on_postgresql(cast, two_providers, django_assert_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("percentile_cont (the median) needs PostgreSQL; this run uses " + connection.vendor)
    with django_assert_num_queries(1):
        rows = {r["provider_team"]: r["median"] for r in services.acknowledgement_times_by_team()}
    assert rows == {cast.platform.pk: 2 * H, cast.other.pk: 5 * H}


def test_event_counts_per_provider_team_and_kind_are_one_query(cast, committed, django_assert_num_queries):
    services.change_commitment(committed, by=cast.pete, new_date=committed.committed_date + dt.timedelta(days=2),
                               reason="Late parts", now=NOW + 4 * H)
    with django_assert_num_queries(1):
        rows = list(RequestEvent.objects.filter(kind__in=[EventKind.COMMITTED, EventKind.SLIPPED])
                    .values("provider_team", "kind").annotate(n=Count("id")).order_by("kind"))
    assert rows == [{"provider_team": cast.platform.pk, "kind": "committed", "n": 1},
                    {"provider_team": cast.platform.pk, "kind": "slipped", "n": 1}]
