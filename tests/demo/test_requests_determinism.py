"""The demo's requests are the same for the same seed (a module of its own: the other request
tests share one built demo for the whole module)."""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from liaison.demo import builder
from liaison.requests.models import Request, RequestEvent

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

REQUEST_STEPS = [step for step in builder.STEPS if step[0] in ("org chart", "service catalogue", "requests")]


def requests_built(seed):
    with transaction.atomic():
        builder.build_demo(people=220, seed=seed, now=NOW, steps=REQUEST_STEPS)
        snapshot = (
            sorted(Request.objects.values_list("title", "requester__email", "service__slug", "need_by", "created_at",
                                               "status", "due_date", "slip_count", "quality")),
            sorted(RequestEvent.objects.values_list("request__title", "kind", "actor__email", "at")),
        )
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_requests():
    first, second = requests_built(7), requests_built(7)
    assert len(first[0]) > 300
    assert first == second
