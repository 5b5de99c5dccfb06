"""The seed 002 story as fixtures: the Network Group, the webinar platform that stands on
its network, and Product Marketing's "Meet the architect" event for 100+ customer organisations."""

import datetime as dt
from types import SimpleNamespace

import pytest

from liaison.agenda import services as agenda
from liaison.org import services as org
from tests.factories import MembershipFactory, PersonFactory

NOW = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)  # a Friday
EVENT_START = dt.datetime(2030, 3, 13, 15, 0, tzinfo=dt.UTC)  # Wednesday afternoon


def at(day, hour, minute=0):
    return dt.datetime(2030, 3, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def story(db):
    ls = PersonFactory(name="Lars Service", email="lars@corp.example", time_zone="Europe/Paris")
    lc = PersonFactory(name="Carla Customer", email="carla@corp.example", time_zone="America/New_York")
    engineer = PersonFactory(name="Nico Network", email="nico@corp.example")
    marketer = PersonFactory(name="Mia Marketing", email="mia@corp.example")
    network = org.create_team(name="Network Group", lead=ls)
    marketing = org.create_team(name="Product Marketing", lead=lc)
    video = org.create_team(name="Video Team")
    MembershipFactory(person=engineer, team=network)
    MembershipFactory(person=marketer, team=marketing)
    corp_net = org.create_service(team=network, name="Corporate Network")
    dns = org.create_service(team=network, name="DNS")
    webinar = org.create_service(team=video, name="Webinar Platform", depends_on=[corp_net])
    crm = org.create_service(team=video, name="CRM")
    event = agenda.create_event(
        team=marketing, title="Meet the architect", services=[webinar], start=EVENT_START,
        end=EVENT_START + dt.timedelta(hours=3), by=lc, now=NOW, criticality="critical",
        audience="100+ customer organisations", buffer_hours=48)
    return SimpleNamespace(ls=ls, lc=lc, engineer=engineer, marketer=marketer, network=network,
                           marketing=marketing, video=video, corp_net=corp_net, dns=dns, webinar=webinar,
                           crm=crm, event=event)


@pytest.fixture
def upgrade(story):
    """The Network Group's upgrade on the morning of the event."""
    return agenda.create_change(
        team=story.network, title="Core network upgrade", services=[story.corp_net],
        start=at(13, 8), end=at(13, 11), by=story.engineer, now=NOW, risk="high",
        rollback_plan="Revert the firmware.", publish=True)
