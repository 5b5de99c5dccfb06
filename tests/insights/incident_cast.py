"""Seed 002's cast for the enterprise-wide incident views (patterns, dashboards, business case).

    Operations (lead: Diana, the senior manager; Nate and Paula report to her)
      ├─ Network Group (lead: Nate)        service side: "Core network"
      └─ Product Marketing (lead: Paula)   customer: the "Meet the architect" webinar
    Finance (lead: Fiona)                  another customer team, outside Operations
    Facilities (lead: Fred)                another service team, outside Operations
    Other (Olga, the outsider)             involved in nothing

Incidents and impacts are written as rows (the incidents domain's own tests show its
operations); here only what the insights read matters. `NOW` is Monday 1 June 2026.
"""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from liaison.agenda.models import Change
from liaison.incidents.models import Alliance, AllianceMember, Impact, Incident, IncidentTeam, Kind, Unit
from tests.factories import ChangeFactory, EventFactory, MembershipFactory, PersonFactory, ServiceFactory, TeamFactory

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def build_cast():
    diana = PersonFactory(name="Diana Director", email="diana@corp.example")
    nate = PersonFactory(name="Nate Network", email="nate@corp.example", manager=diana)
    paula = PersonFactory(name="Paula Marketing", email="paula@corp.example", manager=diana)
    pete = PersonFactory(name="Pete Marketer", email="pete@corp.example", manager=paula)
    fiona = PersonFactory(name="Fiona Finance", email="fiona@corp.example")
    fred = PersonFactory(name="Fred Facilities", email="fred@corp.example")
    olga = PersonFactory(name="Olga Outsider", email="olga@corp.example")
    ops = TeamFactory(name="Operations", slug="operations", lead=diana)
    network = TeamFactory(name="Network Group", slug="network-group", lead=nate, parent=ops)
    marketing = TeamFactory(name="Product Marketing", slug="product-marketing", lead=paula, parent=ops)
    finance = TeamFactory(name="Finance", slug="finance", lead=fiona)
    facilities = TeamFactory(name="Facilities", slug="facilities", lead=fred)
    other = TeamFactory(name="Other", slug="other")
    for person, team in [(diana, ops), (nate, network), (paula, marketing), (pete, marketing), (fiona, finance),
                         (fred, facilities), (olga, other)]:
        MembershipFactory(person=person, team=team)
    core = ServiceFactory(team=network, name="Core network", slug="core-network")
    rooms = ServiceFactory(team=facilities, name="Meeting rooms", slug="meeting-rooms")
    return SimpleNamespace(diana=diana, nate=nate, paula=paula, pete=pete, fiona=fiona, fred=fred, olga=olga,
                           ops=ops, network=network, marketing=marketing, finance=finance, facilities=facilities,
                           other=other, core=core, rooms=rooms)


def change(team, *, start, notice_days, confidential=False, services=(), title=None):
    """An announced change with `notice_days` business days of notice (None: a draft)."""
    c = ChangeFactory(team=team, start=start, end=start + dt.timedelta(hours=2), confidential=confidential,
                      status=Change.Status.PUBLISHED if notice_days is not None else Change.Status.DRAFT,
                      notice_days=notice_days, notice_from=start - dt.timedelta(days=notice_days or 0),
                      services=list(services), **({"title": title} if title else {}))
    return c


def incident(*, service_team, affected, opened_at, opener, kind=Kind.CHANGE_COLLISION, title="Incident",
             status="open", changes=()):
    i = Incident.objects.create(title=title, kind=kind, status=status, opened_at=opened_at, updated_at=opened_at,
                                opened_by=opener, service_team=service_team)
    if service_team is not None:
        IncidentTeam.objects.create(incident=i, team=service_team, role=IncidentTeam.Role.SERVICE,
                                    joined_at=opened_at)
    for team in affected:
        IncidentTeam.objects.create(incident=i, team=team, role=IncidentTeam.Role.AFFECTED, joined_at=opened_at)
    i.changes.set(changes)
    return i


def impact(inc, team, unit, amount, *, by, at=None, label="", what="It happened"):
    return Impact.objects.create(incident=inc, team=team, logged_by=by, occurred_at=at or inc.opened_at,
                                 logged_at=at or inc.opened_at, what_happened=what, unit=unit, unit_label=label,
                                 amount=Decimal(str(amount)))


def seed_002(cast):
    """The webinar collision: a short-notice network change, impacts from three teams, an alliance."""
    webinar = EventFactory(team=cast.marketing, title="Meet the architect", start=NOW - dt.timedelta(days=2),
                           services=[cast.core])
    upgrade = change(cast.network, start=NOW - dt.timedelta(days=2, hours=4), notice_days=3, services=[cast.core],
                     title="Core network upgrade")
    inc = incident(service_team=cast.network, affected=[cast.marketing, cast.finance, cast.other],
                   opened_at=NOW - dt.timedelta(days=2), opener=cast.paula, title="Webinar lost its network",
                   changes=[upgrade])
    inc.events.set([webinar])
    impact(inc, cast.marketing, Unit.CUSTOMERS_AFFECTED, 104, by=cast.paula, what="104 organisations dropped")
    impact(inc, cast.marketing, Unit.LABOUR_HOURS, 30, by=cast.pete, what="Re-run prepared")
    impact(inc, cast.marketing, Unit.LABOUR_HOURS, 12.5, by=cast.paula, what="Calls to key customers")
    impact(inc, cast.finance, Unit.LABOUR_HOURS, 6, by=cast.fiona, what="Month-end close paused")
    impact(inc, cast.finance, Unit.DELAY_DAYS, 2, by=cast.fiona, what="Close two days late")
    impact(inc, cast.network, Unit.MONEY, 1500, by=cast.nate, label="EUR", what="Overtime")
    alliance = Alliance.objects.create(incident=inc, service_team=cast.network, ask_kind=Alliance.Ask.NOTICE_POLICY,
                                       ask_text="Ten business days' notice for core network changes.",
                                       created_by_team=cast.marketing, created_by=cast.paula, created_at=NOW)
    AllianceMember.objects.create(alliance=alliance, team=cast.marketing, invited_at=NOW, joined_at=NOW,
                                  signed_at=NOW)
    AllianceMember.objects.create(alliance=alliance, team=cast.finance, invited_at=NOW, joined_at=NOW,
                                  signed_at=NOW)
    return SimpleNamespace(incident=inc, change=upgrade, event=webinar, alliance=alliance)
