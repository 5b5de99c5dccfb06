"""Seed 002 end to end through the services: open from the conflict, proposals, impacts, totals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.incidents import services
from liaison.incidents.models import IncidentTeam, Severity
from liaison.incidents.proposals import proposed_teams, team_from_token

from .conftest import DURING


def test_opened_from_the_conflict_links_everything(story, incident):
    assert incident.service_team == story.network
    assert list(incident.changes.all()) == [story.upgrade]
    assert list(incident.events.all()) == [story.event]
    assert set(incident.services.all()) == {story.corp_net}
    roles = dict(incident.team_links.values_list("team__slug", "role"))
    assert roles == {"product-marketing": "affected", "network-group": "service"}
    assert incident.entries.first().kind == "opened"


def test_only_someone_in_an_affected_team_opens_it(story):
    with pytest.raises(ValidationError) as exc:
        services.open_incident(by=story.nico, now=DURING, title="x", conflict=story.conflict)
    assert "team" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # cannot see nor claim what is not theirs
        services.open_incident(by=story.olga, now=DURING, title="x", team=story.marketing)
    assert "team" in exc.value.message_dict


def test_proposals_show_confidential_teams_as_another_team(story, incident):
    rows = proposed_teams(incident, story.mia)
    labels = {r.label for r in rows}
    assert "Sales Enablement" in labels
    assert "Support" not in labels and "Another team" in labels
    hidden = next(r for r in rows if r.team is None)
    assert hidden.reasons == ["An event of theirs depended on it then"]
    # inviting by token reaches Support without telling Mia who it was
    assert team_from_token(f"incident:{incident.pk}", hidden.token) == story.support
    services.invite_team(incident, team_from_token(f"incident:{incident.pk}", hidden.token), by=story.mia,
                         now=DURING)
    # Sue (Support) now sees it and joins in one click
    from liaison.incidents.models import Incident
    assert Incident.objects.visible_to(story.sue).filter(pk=incident.pk).exists()
    services.join(incident, story.support, by=story.sue, now=DURING)
    assert incident.team_links.filter(team=story.support, role=IncidentTeam.Role.AFFECTED).exists()
    # the same proposal for the support lead names their own team
    assert "Another team" not in {r.label for r in proposed_teams(incident, story.sue)}


def test_each_team_logs_its_own_impacts_and_severity_follows(story, incident):
    with pytest.raises(PermissionDenied):
        services.log_impact(incident, by=story.mia, team=story.network, unit="labour_hours", amount=3,
                            what_happened="x", now=DURING)
    services.log_impact(incident, by=story.mia, team=story.marketing, unit="customers_affected", amount=40,
                        what_happened="40 organisations dropped", now=DURING)
    assert incident.severity == Severity.HIGH
    services.log_impact(incident, by=story.carla, team=story.marketing, unit="customers_affected", amount=80,
                        what_happened="Re-run attendance", now=DURING + dt.timedelta(hours=1))
    incident.refresh_from_db()
    assert incident.severity == Severity.CRITICAL
    services.log_impact(incident, by=story.nico, team=story.network, unit="labour_hours", amount=Decimal("12.5"),
                        what_happened="Rollback and checks", now=DURING)
    services.log_impact(incident, by=story.mia, team=story.marketing, unit="money", unit_label="eur", amount=5000,
                        what_happened="Re-run studio", now=DURING)
    totals = services.totals(incident)
    by_unit = {u["name"]: u["total"] for u in totals["units"]}
    assert by_unit == {"customers (external organisations) affected": Decimal(120),
                       "hours of labour": Decimal("12.5"), "EUR": Decimal(5000)}
    marketing = next(t for t in totals["teams"] if t["team"] == "Product Marketing")
    assert marketing["reporters"] == ["Carla Customer", "Mia Marketing"]


@pytest.mark.parametrize(("fields", "field"), [
    ({"unit": "labour_hours", "amount": "", "what_happened": "x"}, "amount"),
    ({"unit": "labour_hours", "amount": "lots", "what_happened": "x"}, "amount"),
    ({"unit": "labour_hours", "amount": 0, "what_happened": "x"}, "amount"),
    ({"unit": "parsecs", "amount": 1, "what_happened": "x"}, "unit"),
    ({"unit": "other", "amount": 1, "what_happened": "x"}, "unit_label"),
    ({"unit": "money", "amount": 1, "unit_label": "euros", "what_happened": "x"}, "unit_label"),
    ({"unit": "labour_hours", "amount": 1, "what_happened": "  "}, "what_happened"),
])
def test_bad_impacts_name_the_field_and_write_nothing(story, incident, fields, field):
    with pytest.raises(ValidationError) as exc:
        services.log_impact(incident, by=story.mia, team=story.marketing, now=DURING, **fields)
    assert field in exc.value.message_dict
    assert not incident.impacts.exists()


def test_no_causes_while_open_then_no_names(story, incident):
    with pytest.raises(ValidationError) as exc:
        services.write_causes(incident, by=story.mia, now=DURING, causes="The firmware")
    assert "causes" in exc.value.message_dict
    services.mark_stable(incident, by=story.nico, now=DURING + dt.timedelta(hours=2))
    with pytest.raises(ValidationError) as exc:
        services.write_causes(incident, by=story.mia, now=DURING, causes="Nico Network pushed the button")
    assert "Nico Network" in exc.value.message_dict["causes"][0]
    services.write_causes(incident, by=story.mia, now=DURING, causes="The upgrade window ignored the event calendar.",
                          contributing_factors="Two days of notice.")
    incident.refresh_from_db()
    assert incident.causes.startswith("The upgrade window")


def test_status_flow_and_reopen_keeps_history(story, incident):
    with pytest.raises(ValidationError):
        services.close(incident, by=story.mia, now=DURING)
    services.mark_stable(incident, by=story.mia, now=DURING)
    services.close(incident, by=story.mia, now=DURING)
    with pytest.raises(ValidationError) as exc:
        services.reopen(incident, by=story.mia, now=DURING, reason="")
    assert "reason" in exc.value.message_dict
    services.reopen(incident, by=story.mia, now=DURING, reason="The stream dropped again")
    kinds = list(incident.entries.values_list("kind", flat=True))
    assert kinds[-3:] == ["stable", "closed", "reopened"]
    assert incident.status == "open" and incident.closed_at is not None
    with pytest.raises(PermissionDenied):
        services.mark_stable(incident, by=story.olga, now=DURING)
