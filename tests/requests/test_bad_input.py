"""Bad input gets a message naming the field or the rule, and changes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from liaison.notify.models import Notification
from liaison.requests import services
from liaison.requests.models import Request, RequestEvent, Status
from tests.requests.conftest import NOW, days, make_forecast, make_request


@pytest.fixture
def unchanged(db):
    """Asserts after the test body that no request, event or notification was written."""
    counts = lambda: (Request.objects.count(), RequestEvent.objects.count(), Notification.objects.count())  # noqa: E731
    before = counts()
    yield
    assert counts() == before


def errors_of(call):
    with pytest.raises(ValidationError) as e:
        call()
    return e.value.message_dict


def test_need_by_in_the_past(cast, unchanged):
    errors = errors_of(lambda: make_request(cast, need_by=days(-1)))
    assert errors["need_by"] == ["The need-by date 2026-03-01 is in the past; choose today or a later date."]


def test_missing_fields_are_named_together(cast, unchanged):
    errors = errors_of(lambda: make_request(cast, title=" ", context="", need_by=None, date_kind="maybe"))
    assert set(errors) == {"title", "context", "need_by", "date_kind"}
    assert "why it matters" in errors["context"][0]


@pytest.mark.parametrize("probability", [130, 0, -5, None, 80.5])
def test_probability_must_be_1_to_100(cast, unchanged, probability):
    errors = errors_of(lambda: make_forecast(cast, probability=probability))
    assert list(errors) == ["probability"]


def test_probability_130_on_an_update_changes_nothing(cast):
    f = make_forecast(cast)
    before = RequestEvent.objects.count()
    errors = errors_of(lambda: services.update_forecast(f, by=cast.remy, probability=130, now=NOW))
    assert errors == {"probability": ["A probability is a whole percentage from 1 to 100; 130 is not."]}
    f.refresh_from_db()
    assert f.probability == 80 and RequestEvent.objects.count() == before


def test_confirm_by_after_the_need_date(cast, unchanged):
    errors = errors_of(lambda: make_forecast(cast, confirm_by=days(30)))
    assert "confirm_by" in errors


def test_asking_for_a_team_you_are_not_in(cast, unchanged):
    errors = errors_of(lambda: make_request(cast, requester_team=cast.platform))
    assert "requester_team" in errors


def test_commit_in_the_past(cast, submitted):
    before = RequestEvent.objects.count()
    errors = errors_of(lambda: services.commit_to_date(submitted, by=cast.pete, date=days(-1), now=NOW))
    assert "date" in errors
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED and RequestEvent.objects.count() == before


@pytest.mark.parametrize(("action", "by", "kwargs"), [
    ("acknowledge", "pete", {}),
    ("commit_to_date", "pete", {"date": days(10)}),
    ("deliver", "pete", {}),
    ("decline", "pete", {"reason": "x"}),
    ("accept", "remy", {"quality": 4}),
    ("reopen", "remy", {"missing": "x"}),
    ("withdraw", "remy", {}),
    ("confirm_forecast", "remy", {}),
])
def test_transitions_not_allowed_from_accepted(cast, committed, action, by, kwargs):
    later = NOW + dt.timedelta(hours=5)
    services.deliver(committed, by=cast.pete, now=later)
    services.accept(committed, by=cast.remy, quality=4, now=later)
    before = RequestEvent.objects.count()
    errors = errors_of(lambda: getattr(services, action)(committed, by=getattr(cast, by), now=later, **kwargs))
    assert "status" in errors and "accepted" in errors["status"][0]
    committed.refresh_from_db()
    assert committed.status == Status.ACCEPTED and RequestEvent.objects.count() == before


def test_a_stale_object_cannot_skip_the_rules(cast, submitted):
    """Transitions read the locked row, not the caller's copy."""
    stale = Request.objects.get(pk=submitted.pk)
    services.withdraw(submitted, by=cast.remy, now=NOW)
    assert stale.status == Status.SUBMITTED
    errors = errors_of(lambda: services.acknowledge(stale, by=cast.pete, now=NOW))
    assert "withdrawn" in errors["status"][0]
