from datetime import UTC, datetime

import pytest

from liaison.demo import builder
from liaison.network import graph, meetings
from liaison.network.demo import enterprise_and_now
from liaison.network.models import HomeworkPlan, Interaction, MeetingSeries, Tie

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            enterprise = builder.build_demo(people=400, seed=3, now=NOW)
            yield enterprise
            transaction.set_rollback(True)


@pytest.mark.django_db
def test_two_years_of_history_and_the_counts(demo):
    assert demo.counts["interactions"] == Interaction.objects.count() > 1000
    assert demo.counts["ties"] == Tie.objects.count()
    first = Interaction.objects.order_by("occurred_on").first().occurred_on
    assert (NOW.date() - first).days > 600 and Interaction.objects.filter(occurred_on__gt=NOW.date()).count() == 0


@pytest.mark.django_db
def test_the_remote_office_has_bridges_to_hq(demo):
    rows = graph.bridges(demo.team("Remote Office — Singapore"), demo.team("HQ Finance Operations"), NOW.date())
    assert len(rows) >= 3


@pytest.mark.django_db
def test_the_offshore_partner_misses_meetings(demo):
    series = MeetingSeries.objects.get(name="Claims weekly sync")
    flagged = [row["team"].name for s, row in meetings.attendance_flags(NOW) if s == series]
    assert flagged == ["Offshore Back-Office Partner"]


@pytest.mark.django_db
def test_a_warm_path_from_bi_to_the_banking_head(demo):
    path = graph.warm_path(demo.person("bi_lead").pk, demo.person("banking_head").pk, NOW.date())
    assert path is not None and len(path.people) == 4


@pytest.mark.django_db
def test_the_homework_is_half_done(demo):
    assert HomeworkPlan.objects.get(person=demo.person("ed_lead")).steps_done == 2


def test_either_argument_order_is_accepted():
    enterprise = object()
    assert enterprise_and_now(NOW, enterprise) == (enterprise, NOW)
    assert enterprise_and_now(enterprise, NOW) == (enterprise, NOW)
