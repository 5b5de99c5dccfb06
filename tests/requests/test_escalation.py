"""Escalation with warning: a warning first, then a grace period; an emergency override
with a justification; the provider lead's manager and the requester's lead are told."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from liaison.notify.models import Notification
from liaison.requests import services
from liaison.requests.models import Escalation, EventKind, RequestEvent, ServicePolicy
from tests.requests.conftest import NOW, days

H = dt.timedelta(hours=1)


def test_escalating_without_a_warning_is_refused_with_the_reason(cast, committed):
    before = RequestEvent.objects.count()
    with pytest.raises(ValidationError) as e:
        services.escalate(committed, by=cast.remy, now=NOW + 4 * H)
    message = e.value.message_dict["warning"][0]
    assert "Warn the provider first" in message and "2 business days" in message
    assert RequestEvent.objects.count() == before and not Escalation.objects.exists()


def test_warning_names_the_deadline_and_the_manager(cast, committed):
    warning = services.warn_before_escalating(committed, by=cast.remy, now=NOW + 4 * H, message="Client is waiting")
    assert warning.deadline == days(2)  # Monday + 2 business days = Wednesday
    assert warning.manager == cast.victor  # Paula's manager
    event = committed.events.last()
    assert event.kind == EventKind.WARNED
    assert event.data["text"] == "If this is not settled by Wed 04 Mar 2026, I will ask Victor VP for help."
    assert {n.recipient for n in Notification.objects.filter(kind="request.warning")} == {cast.pete, cast.paula}


def test_the_deadline_cannot_be_shorter_than_the_grace_period(cast, committed):
    with pytest.raises(ValidationError) as e:
        services.warn_before_escalating(committed, by=cast.remy, now=NOW + 4 * H, deadline=days(1))
    assert "deadline" in e.value.message_dict and "2 business days" in e.value.message_dict["deadline"][0]


def test_escalating_within_the_grace_period_is_refused_then_allowed(cast, committed):
    services.warn_before_escalating(committed, by=cast.remy, now=NOW + 4 * H)  # Mon; deadline Wed
    with time_machine.travel(NOW + dt.timedelta(days=2, hours=8), tick=False):  # Wed 17:00
        with pytest.raises(ValidationError) as e:
            services.escalate(committed, by=cast.remy, now=dt.datetime.now(dt.UTC))
        assert "you can escalate from Thu 05 Mar" in e.value.message_dict["warning"][0]
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):  # Thursday
        escalation = services.escalate(committed, by=cast.remy, now=dt.datetime.now(dt.UTC), message="Please help")
    assert not escalation.emergency_override and escalation.warning is not None
    assert {n.recipient for n in Notification.objects.filter(kind="request.escalated")} == {
        cast.victor, cast.rita, cast.pete}  # lead's manager, requester's lead; the provider sees it too
    assert committed.events.last().data["notified"] == [cast.victor.pk, cast.rita.pk]
    with pytest.raises(ValidationError, match="Already escalated"):
        services.escalate(committed, by=cast.remy, now=NOW + dt.timedelta(days=4))


def test_grace_period_is_per_service(cast, committed):
    ServicePolicy.objects.create(service=cast.service, escalation_grace_days=5)
    cast.service.refresh_from_db()
    warning = services.warn_before_escalating(committed, by=cast.remy, now=NOW + 4 * H)
    assert warning.deadline == days(7)
    with pytest.raises(ValidationError):
        services.escalate(committed, by=cast.remy, now=NOW + dt.timedelta(days=7))
    services.escalate(committed, by=cast.remy, now=NOW + dt.timedelta(days=8))


def test_emergency_override_needs_a_justification_and_is_counted_apart(cast, submitted):
    with pytest.raises(ValidationError) as e:
        services.escalate(submitted, by=cast.remy, now=NOW + 4 * H, emergency_override=True)
    assert "justification" in e.value.message_dict
    services.escalate(submitted, by=cast.remy, now=NOW + 4 * H, emergency_override=True,
                      justification="A patient is waiting in the emergency department")
    assert Escalation.objects.filter(emergency_override=True).count() == 1
    assert Escalation.objects.filter(emergency_override=False).count() == 0
    assert submitted.events.last().data["emergency"] is True


def test_escalation_falls_back_to_the_org_tree_without_a_manager(cast, committed):
    cast.paula.manager = None
    cast.paula.save()
    assert services.escalation_target(committed) == cast.cleo  # lead of Platform's parent team


def test_a_requester_who_leads_their_team_escalates_to_their_own_manager(cast):
    from tests.requests.conftest import make_request

    r = make_request(cast, requester=cast.rita)
    assert services.requester_lead(r) == cast.cleo
