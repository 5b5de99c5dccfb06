"""The model-level rules: severity from impacts, append-only history, visibility."""

import datetime as dt
from decimal import Decimal

import pytest

from liaison.incidents.models import (
    Impact,
    Incident,
    IncidentTeam,
    Severity,
    Unit,
    severity_for,
)
from tests.factories import MembershipFactory, PersonFactory, TeamFactory

NOW = dt.datetime(2030, 3, 13, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("totals", "expected"), [
    ({}, Severity.LOW),
    ({Unit.LABOUR_HOURS: Decimal(7)}, Severity.LOW),
    ({Unit.LABOUR_HOURS: Decimal(8)}, Severity.MEDIUM),
    ({Unit.EVENTS_DISRUPTED: Decimal(2)}, Severity.HIGH),
    ({Unit.CUSTOMERS_AFFECTED: Decimal(120), Unit.LABOUR_HOURS: Decimal(1)}, Severity.CRITICAL),
    ({Unit.MONEY: Decimal(10**9)}, Severity.LOW),  # money is shown, never ranks severity
])
def test_severity_follows_what_it_touched(totals, expected):
    assert severity_for(totals) == expected


@pytest.fixture
def incident(db):
    customer, service = TeamFactory(), TeamFactory()
    opener = PersonFactory()
    MembershipFactory(person=opener, team=customer)
    incident = Incident.objects.create(title="Webinar down", opened_at=NOW, updated_at=NOW, opened_by=opener,
                                       service_team=service)
    IncidentTeam.objects.create(incident=incident, team=customer, joined_at=NOW, joined_by=opener)
    return incident


def test_impacts_are_append_only(incident):
    impact = Impact.objects.create(incident=incident, team=incident.teams.get(), logged_by=incident.opened_by,
                                   occurred_at=NOW, logged_at=NOW, what_happened="Re-run booked",
                                   unit=Unit.LABOUR_HOURS, amount=Decimal(6))
    impact.amount = Decimal(1)
    with pytest.raises(TypeError):
        impact.save()
    with pytest.raises(TypeError):
        Impact.objects.filter(pk=impact.pk).update(amount=1)
    with pytest.raises(TypeError):
        impact.delete()


def test_visible_to_involved_teams_service_team_and_managers_only(incident):
    customer = incident.teams.get()
    member = PersonFactory()
    MembershipFactory(person=member, team=customer)
    service_engineer = PersonFactory()
    MembershipFactory(person=service_engineer, team=incident.service_team)
    boss = PersonFactory()
    division = TeamFactory(lead=boss)
    customer.parent = division
    customer.save()
    outsider = PersonFactory()
    MembershipFactory(person=outsider, team=TeamFactory())
    org_admin = PersonFactory(is_staff=True, is_superuser=True)  # the one rule (org.visibility): no exception
    MembershipFactory(person=org_admin, team=TeamFactory())
    for person in (member, service_engineer, boss, incident.opened_by):
        assert Incident.objects.visible_to(person).filter(pk=incident.pk).exists(), person
    assert not Incident.objects.visible_to(outsider).exists()
    assert not Incident.objects.visible_to(org_admin).exists()


def test_incident_events_reach_the_team_webhooks_and_kinds_are_registered(story):
    from liaison.incidents import services
    from liaison.notify.kinds import catalogue
    from liaison.notify.models import WebhookDelivery
    from liaison.notify.webhooks import add_webhook

    hook = add_webhook(story.marketing, url="https://chat.example/hook", now=NOW)
    incident = services.open_incident(by=story.mia, now=NOW, title="Webinar dropped", conflict=story.conflict)
    services.mark_stable(incident, by=story.mia, now=NOW)
    kinds = list(WebhookDelivery.objects.filter(webhook=hook).values_list("kind", flat=True))
    assert kinds == ["incident.opened", "incident.stable"]
    registered = {k.kind for _, group in catalogue() for k in group}
    assert {"incident.opened", "incident.retrospective.invitation", "incident.alliance.answered"} <= registered
