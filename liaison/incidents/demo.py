"""Seed 002 in the demo: after the collision.

The agenda step made the Network Group's core network upgrade collide with Product
Marketing's "Meet the architect" webinar. Here the story goes on, through the real
services (so every rule holds and every timeline entry exists):

- last autumn the same network broke the Singapore office's partner calls: a closed
  incident with its impacts and a held retrospective — the "before" an alliance finds;
- yesterday Product Marketing opened an incident from the conflict; three teams logged
  what it costs them (hours of contingency work, customers told to expect trouble, a
  standby streaming studio, a partner call moved);
- Product Marketing started an alliance asking for a notice policy; the Singapore office
  and Collaboration Services joined and their leads co-signed; the Network Group's lead
  has not answered yet (sign in as them to answer);
- the retrospective Liaison presumed is booked, facilitated by the Product Architecture
  lead, who has worked with both teams (the network's bridge people), with three action items — commitments on
  the requests machinery — one of which has already slipped.

Everything is dated relative to the demo's `now`; no randomness is drawn, so the step is
deterministic and fast (a few dozen rows).
"""

from datetime import UTC, datetime, time, timedelta

from liaison.agenda.demo import STORY_CHANGE, STORY_EVENT
from liaison.agenda.models import Conflict
from liaison.core.business_days import add_business_days
from liaison.network import services as network_services
from liaison.org.models import Membership, Service, Team

from . import alliances, retrospectives, services

NETWORK, MARKETING = "Network Group", "Product Marketing"
COLLABORATION, SINGAPORE = "Collaboration Services", "Remote Office — Singapore"


def _member(team, exclude=()):
    row = (Membership.objects.filter(team=team).exclude(person_id__in=[p.pk for p in exclude if p])
           .select_related("person").order_by("person__email").first())
    return row.person if row else team.lead


def _at(day, hour):
    return datetime.combine(day, time(hour), tzinfo=UTC)


def build_incidents(rng, demo, now):
    """The story's incidents, alliance, retrospective and action items. Returns nothing; adds counts."""
    teams = {name: Team.objects.filter(name=name).select_related("lead").first()
             for name in (NETWORK, MARKETING, COLLABORATION, SINGAPORE)}
    conflict = (Conflict.objects.filter(change__title=STORY_CHANGE, event__title=STORY_EVENT)
                .select_related("change", "event").first())
    if conflict is None or not all(teams.values()) or not all(t.lead_id for t in teams.values()):
        return
    network, marketing, collab, singapore = (teams[n] for n in (NETWORK, MARKETING, COLLABORATION, SINGAPORE))
    people = demo.people
    pm_manager = people.get("pm_manager") or _member(marketing, [marketing.lead])
    engineer = people.get("network_engineer") or _member(network, [network.lead])
    coordinator = people.get("network_change") or _member(network, [network.lead, engineer])
    vpn = Service.objects.filter(team=network, name="VPN").first() or network.services.first()

    # --- last autumn: the same service, another customer ---------------------------------------
    past = now - timedelta(days=150)
    sg_member = _member(singapore, [singapore.lead])
    before = services.open_incident(
        by=sg_member, now=past, team=singapore, kind="outage", services=[vpn],
        title="VPN down during the APAC partner calls",
        summary="The VPN concentrator was replaced at 09:00 Singapore time, with two days' notice; partner calls "
                "dropped for most of the morning.")
    for by, team, unit, amount, label, what in [
            (sg_member, singapore, "events_disrupted", 3, "", "Three partner calls cut short"),
            (singapore.lead, singapore, "labour_hours", 14, "", "Calls rebooked and follow-ups rewritten"),
            (engineer, network, "labour_hours", 9, "", "Rollback of the concentrator")]:
        services.log_impact(before, by=by, team=team, unit=unit, amount=amount, unit_label=label, what_happened=what,
                            now=past + timedelta(hours=4))
    services.mark_stable(before, by=engineer, now=past + timedelta(hours=6))
    services.write_causes(before, by=singapore.lead, now=past + timedelta(days=1),
                          causes="The replacement was planned in the network team's morning, which is the "
                                 "Singapore office's working day; the change calendar has no time-zone view.",
                          contributing_factors="Two business days of notice; no rollback rehearsal.")
    retro = before.retrospective
    retrospectives.schedule(retro, by=singapore.lead, at=_at(add_business_days(past.date(), 3), 8),
                            now=past + timedelta(days=1), location="Video call (Singapore morning)")
    retrospectives.record_held(retro, by=singapore.lead, now=_at(add_business_days(past.date(), 3), 10),
                               notes="What worked: the rollback was quick once asked. What to change: plan network "
                                     "changes in the affected sites' night, and announce them a week ahead.")
    services.close(before, by=singapore.lead, now=past + timedelta(days=10))

    # --- a facilitator-to-be: the architecture lead works with both teams ---------------------------
    architecture = Team.objects.filter(name="Product Architecture").select_related("lead").first()
    if architecture is not None and architecture.lead_id:
        colleagues = {p for p in (network.lead, engineer, marketing.lead, pm_manager) if p}
        for person in sorted(colleagues, key=lambda p: p.pk):
            for weeks in (2, 5, 9):
                network_services.log_interaction(
                    architecture.lead, kind="shared_project", occurred_on=(now - timedelta(weeks=weeks)).date(),
                    participants=[person.email], now=now - timedelta(days=1),
                    note="Roadmap for the next three years: what the platform must carry.")

    # --- yesterday: the collision becomes an incident ----------------------------------------------
    opened = now - timedelta(hours=20)
    incident = services.open_incident(
        by=pm_manager, now=opened, conflict=conflict, team=marketing,
        title="Network upgrade on the morning of “Meet the architect”",
        summary="The core network upgrade is planned for the morning of our session with 100+ customer "
                "organisations, with one day's notice. If anything goes wrong there is no time to fix it before "
                "15:00. We are preparing a fallback and telling key customers.")
    services.invite_team(incident, collab, by=pm_manager, now=opened + timedelta(minutes=5))
    services.join(incident, collab, by=collab.lead, now=opened + timedelta(hours=1))
    services.invite_team(incident, singapore, by=pm_manager, now=opened + timedelta(minutes=6))
    services.join(incident, singapore, by=singapore.lead, now=opened + timedelta(hours=2))
    impacts = [
        (pm_manager, marketing, "labour_hours", 16, "", "A pre-recorded fallback of the architecture talk"),
        (marketing.lead, marketing, "customers_affected", 110, "", "Registered organisations told to expect a "
                                                                  "possible delay"),
        (marketing.lead, marketing, "money", 4500, "EUR", "Standby external streaming studio booked"),
        (collab.lead, collab, "labour_hours", 12, "", "Two engineers on standby through the upgrade window"),
        (singapore.lead, singapore, "events_disrupted", 1, "", "Regional partner briefing moved off the morning"),
        (singapore.lead, singapore, "labour_hours", 3, "", "Rebooking the briefing with eleven partners"),
    ]
    for number, (by, team, unit, amount, label, what) in enumerate(impacts):
        services.log_impact(incident, by=by, team=team, unit=unit, amount=amount, unit_label=label,
                            what_happened=what, now=opened + timedelta(hours=3 + number))
    services.add_note(incident, by=marketing.lead, now=opened + timedelta(hours=10),
                      text="Called Leo (Network Group) instead of writing: he is looking at the window.")

    # --- the alliance ----------------------------------------------------------------------------
    alliance = alliances.create_alliance(
        by=marketing.lead, team=marketing, now=opened + timedelta(hours=11), incident=incident,
        ask_kind="notice_policy",
        ask_text="Announce core network changes at least ten business days ahead, and keep them out of the 48 "
                 "hours before any critical customer event on the agenda. For this upgrade: move it to the next "
                 "maintenance window after the event.")
    for team in (singapore, collab):
        alliances.invite(alliance, team, by=marketing.lead, now=opened + timedelta(hours=11, minutes=5))
        alliances.join(alliance, team, by=team.lead, now=opened + timedelta(hours=12))
    for team in (marketing, singapore):
        alliances.sign(alliance, team, by=team.lead, now=opened + timedelta(hours=13))

    # --- the retrospective and its action items --------------------------------------------------
    retro = incident.retrospective
    day = add_business_days(now.date(), 3)
    retrospectives.schedule(retro, by=pm_manager, at=_at(day, 14), now=opened + timedelta(hours=14),
                            location="Room Atlas, HQ 3rd floor (video link in the invitation)")
    made = opened + timedelta(hours=15)
    items = [
        ("Publish core network changes ten business days ahead", engineer, now.date() + timedelta(days=21)),
        ("Check the customer-events calendar in every change review", coordinator, now.date() + timedelta(days=5)),
        ("Share Product Marketing's events calendar feed with the Network Group", pm_manager,
         now.date() + timedelta(days=3)),
    ]
    created = [retrospectives.add_action_item(retro, by=pm_manager, title=title, owner=owner, due=due, now=made)
               for title, owner, due in items]
    retrospectives.slip_action_item(created[1], by=coordinator, new_date=now.date() + timedelta(days=12),
                                    reason="The change review board meets only once a month; the checklist "
                                           "changes at its next meeting.", now=now - timedelta(hours=2))
    demo.counts["incidents"] = 2
    demo.counts["incident impacts"] = len(impacts) + 3
    demo.counts["action items"] = len(created)
