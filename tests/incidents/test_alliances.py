"""Alliances: candidates now and before with their numbers, invite, join, co-sign, the service lead answers."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.incidents import alliances, services
from liaison.incidents.models import Alliance
from liaison.incidents.proposals import team_from_token
from liaison.notify.models import Notification

from .conftest import DURING


@pytest.fixture
def earlier(story):
    """Last autumn the same Corporate Network broke Finance's quarter close."""
    from liaison.org.services import add_member

    add_member(story.finance, story.fiona)
    old = services.open_incident(by=story.fiona, now=DURING - dt.timedelta(days=150), title="Close delayed",
                                 team=story.finance, services=[story.corp_net])
    services.log_impact(old, by=story.fiona, team=story.finance, unit="delay_days", amount=2,
                        what_happened="Close moved", now=DURING - dt.timedelta(days=149))
    return old


def test_candidates_now_and_before_with_their_numbers(story, incident, earlier):
    rows = alliances.candidates(viewer=story.mia, now=DURING, incident=incident,
                                exclude_team_ids=services.involved_team_ids(incident))
    by_label = {r["label"]: r for r in rows}
    assert by_label["Sales Enablement"]["when"] == "now"
    assert "Another team" in by_label  # Support's confidential event
    # Mia may not see Finance's incident: Finance shows only as another team, numbers hidden
    hidden = [r for r in rows if r["when"] == "before"]
    assert hidden and hidden[0]["label"] == "Another team" and hidden[0]["totals"] == []
    # Fiona (in Finance) sees her own past incident with its numbers when she looks
    services.invite_team(incident, story.finance, by=story.mia, now=DURING)
    rows = alliances.candidates(viewer=story.cleo, now=DURING, incident=incident,
                                exclude_team_ids=services.involved_team_ids(incident))
    finance = next(r for r in rows if r["label"] == "Finance")
    assert finance["when"] == "before" and [t["total"] for t in finance["totals"]] == [2]


def test_the_whole_alliance(story, incident):
    with pytest.raises(ValidationError):  # the service team does not ally against itself
        alliances.create_alliance(by=story.nico, team=story.network, now=DURING, ask_kind="delay", ask_text="x",
                                  incident=incident)
    alliance = alliances.create_alliance(by=story.mia, team=story.marketing, now=DURING, ask_kind="notice_policy",
                                         ask_text="Ten business days' notice for network changes.",
                                         incident=incident)
    assert not Alliance.objects.visible_to(story.sam).exists()
    token = next(r["token"] for r in alliances.candidates(viewer=story.mia, now=DURING, incident=incident)
                 if r["label"] == "Sales Enablement")
    alliances.invite(alliance, team_from_token(f"incident:{incident.pk}", token), by=story.mia, now=DURING)
    assert Notification.objects.filter(recipient=story.sam, kind="incident.alliance.invited").exists()
    assert Alliance.objects.visible_to(story.sam).filter(pk=alliance.pk).exists()
    with pytest.raises(ValidationError):  # join before signing
        alliances.sign(alliance, story.sales, by=story.sam, now=DURING)
    alliances.join(alliance, story.sales, by=story.sam, now=DURING)
    assert incident.team_links.filter(team=story.sales).exists()  # so it can log its numbers
    services.log_impact(incident, by=story.sam, team=story.sales, unit="events_disrupted", amount=1,
                        what_happened="Partner training cut short", now=DURING)
    numbers = alliances.numbers(alliance)
    assert {t["team"] for t in numbers["teams"]} == {"Sales Enablement"}
    assert [t.name for t in numbers["silent"]] == ["Product Marketing"]  # what the numbers do not show
    with pytest.raises(PermissionDenied):  # a member, not the lead, cannot sign for the team
        alliances.sign(alliance, story.marketing, by=story.mia, now=DURING)
    alliances.sign(alliance, story.marketing, by=story.carla, now=DURING)
    alliances.sign(alliance, story.sales, by=story.sam, now=DURING)
    assert Notification.objects.filter(recipient=story.lars, kind="incident.alliance.signed").count() == 2
    with pytest.raises(ValidationError):  # signed asks do not change under the signatures
        alliances.update_ask(alliance, by=story.mia, now=DURING, ask_kind="delay", ask_text="other")
    # the service team's lead sees it and answers there; nobody else answers
    assert Alliance.objects.visible_to(story.lars).filter(pk=alliance.pk).exists()
    with pytest.raises(PermissionDenied):
        alliances.answer(alliance, by=story.nico, text="x", now=DURING)
    alliances.answer(alliance, by=story.lars, text="Agreed: ten days from April.", now=DURING)
    alliance.refresh_from_db()
    assert alliance.answered_by == story.lars
    assert not Alliance.objects.visible_to(story.olga).exists()


def test_an_alliance_for_a_conflict(story):
    alliance = alliances.create_alliance(by=story.carla, team=story.marketing, now=DURING, ask_kind="delay",
                                         ask_text="Move the upgrade a week.", conflict=story.conflict)
    assert alliance.service_team == story.network
    rows = alliances.candidates(viewer=story.carla, now=DURING, conflict=story.conflict,
                                exclude_team_ids={story.marketing.pk})
    assert "Sales Enablement" in {r["label"] for r in rows}
    with pytest.raises(ValidationError) as exc:
        alliances.create_alliance(by=story.carla, team=story.marketing, now=DURING, ask_kind="bribe",
                                  ask_text="", conflict=story.conflict)
    assert {"ask_kind", "ask_text"} <= set(exc.value.message_dict)
