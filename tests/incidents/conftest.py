"""Seed 002 as a cast: the Network Group's upgrade on the morning of Product Marketing's
"Meet the architect" webinar, and the other teams standing on the same network.

    Company (lead: Cleo)
    ├── Network Group (lead: Lars)          — Corporate Network; member Nico
    ├── Product Marketing (lead: Carla)     — "Meet the architect" (Webinar Platform)
    ├── Sales Enablement (lead: Sam)        — "Partner training" at the same time (Webinar Platform)
    ├── Support (lead: Sue)                 — a *confidential* "Escalation review" on the Webinar Platform
    ├── Video Team (lead: Vera)             — Webinar Platform, which depends on Corporate Network
    └── Outsiders (lead: Olga)              — sees nothing of it
    Fiona (Finance) has ties to Lars's and Carla's people: the facilitator.
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from liaison.agenda import services as agenda
from liaison.network import services as network
from liaison.org import services as org
from tests.factories import MembershipFactory, PersonFactory

NOW = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)  # a Friday
EVENT_START = dt.datetime(2030, 3, 13, 15, 0, tzinfo=dt.UTC)  # Wednesday afternoon
DURING = dt.datetime(2030, 3, 13, 16, 0, tzinfo=dt.UTC)


def at(day, hour, minute=0):
    return dt.datetime(2030, 3, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def story(db):
    p = {key: PersonFactory(name=name, email=f"{key}@corp.example") for key, name in [
        ("cleo", "Cleo Chief"), ("lars", "Lars Service"), ("nico", "Nico Network"), ("carla", "Carla Customer"),
        ("mia", "Mia Marketing"), ("sam", "Sam Sales"), ("sue", "Sue Support"), ("vera", "Vera Video"),
        ("olga", "Olga Outsider"), ("fiona", "Fiona Finance")]}
    company = org.create_team(name="Company", lead=p["cleo"])
    teams = {key: org.create_team(name=name, parent=company, lead=p[lead]) for key, name, lead in [
        ("network", "Network Group", "lars"), ("marketing", "Product Marketing", "carla"),
        ("sales", "Sales Enablement", "sam"), ("support", "Support", "sue"), ("video", "Video Team", "vera"),
        ("finance", "Finance", "fiona")]}
    teams["outsiders"] = org.create_team(name="Outsiders", lead=p["olga"])
    MembershipFactory(person=p["nico"], team=teams["network"])
    MembershipFactory(person=p["mia"], team=teams["marketing"])
    corp_net = org.create_service(team=teams["network"], name="Corporate Network")
    webinar = org.create_service(team=teams["video"], name="Webinar Platform", depends_on=[corp_net])
    org.create_service(team=teams["marketing"], name="Product launches")
    org.create_service(team=teams["sales"], name="Partner programme")
    event = agenda.create_event(
        team=teams["marketing"], title="Meet the architect", services=[webinar], start=EVENT_START,
        end=EVENT_START + dt.timedelta(hours=3), by=p["carla"], now=NOW, criticality="critical",
        audience="100+ customer organisations", buffer_hours=48)
    training = agenda.create_event(
        team=teams["sales"], title="Partner training", services=[webinar], start=at(13, 9),
        end=at(13, 12), by=p["sam"], now=NOW)
    secret = agenda.create_event(
        team=teams["support"], title="Escalation review", services=[webinar], start=at(13, 9),
        end=at(13, 10), by=p["sue"], now=NOW, confidential=True)
    upgrade = agenda.create_change(
        team=teams["network"], title="Core network upgrade", services=[corp_net],
        start=at(13, 8), end=at(13, 11), by=p["nico"], now=NOW, risk="high",
        rollback_plan="Revert the firmware.", publish=True)
    conflict = upgrade.conflicts.get(event=event)
    for author, other in (("fiona", "lars"), ("fiona", "carla"), ("fiona", "nico"), ("fiona", "mia")):
        for day in (1, 8, 15):
            network.log_interaction(p[author], kind="one_on_one", occurred_on=dt.date(2030, 2, day),
                                    participants=[p[other].email], now=NOW)
    return SimpleNamespace(**p, **teams, corp_net=corp_net, webinar=webinar, event=event, training=training,
                           secret=secret, upgrade=upgrade, conflict=conflict)


@pytest.fixture
def incident(story):
    from liaison.incidents import services

    return services.open_incident(by=story.mia, now=DURING, title="Webinar dropped during Meet the architect",
                                  summary="The stream dropped for 40 minutes.", conflict=story.conflict)
