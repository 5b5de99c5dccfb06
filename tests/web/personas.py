"""The people of issue 13's story, in one organisation, relative to the real clock (the
browser tests run against a live server):

    Company (lead: Cleo, who manages Carla and Lars)
    ├── Network Group (lead: Lars; member Nico) — provides "Corporate Network" (lead time 5)
    └── Product Marketing (lead: Carla; member Mia)

* Carla sent a short-notice, hard-date request to the Corporate Network: unanswered.
* The Network Group's core upgrade collides with Carla's critical "Meet the architect" event.
* Mia has a delivery to accept, and an accepted one nobody thanked for.
* Nico's commitment to Mia is two days overdue.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from liaison.agenda import services as agenda
from liaison.org import services as org
from liaison.playbook.defaults import load_defaults
from liaison.playbook.models import Rule
from liaison.requests import services
from tests.factories import MembershipFactory, PersonFactory

CONTEXT = ("Our 'Meet the architect' webinar for 100+ customer organisations needs the new VPN profile; "
           "without it the speakers cannot reach the demo lab and we cancel in front of our customers.")


def build_world(now=None):
    now = now or timezone.now()
    load_defaults(Rule)
    cleo = PersonFactory(name="Cleo Chief", email="cleo@corp.example")
    lars = PersonFactory(name="Lars Service", email="lars@corp.example", manager=cleo)
    carla = PersonFactory(name="Carla Customer", email="carla@corp.example", manager=cleo)
    nico = PersonFactory(name="Nico Network", email="nico@corp.example", manager=lars)
    mia = PersonFactory(name="Mia Marketing", email="mia@corp.example", manager=carla)
    company = org.create_team(name="Company", lead=cleo)
    network = org.create_team(name="Network Group", lead=lars, parent=company)
    marketing = org.create_team(name="Product Marketing", lead=carla, parent=company)
    MembershipFactory(person=nico, team=network)
    MembershipFactory(person=mia, team=marketing)
    corp_net = org.create_service(team=network, name="Corporate Network", lead_time_days=5)
    today = timezone.localdate(now)

    def day(n):
        return today + dt.timedelta(days=n)

    hard = services.submit_request(
        requester=carla, service=corp_net, title="VPN profile for the webinar speakers", context=CONTEXT,
        need_by=day(3), date_kind="hard", options="A temporary profile is fine", now=now,
        short_notice_owned="The speakers were confirmed yesterday; I know this is short and I am sorry.")
    start = (now + dt.timedelta(days=9)).replace(hour=15, minute=0, second=0, microsecond=0)
    event = agenda.create_event(team=marketing, title="Meet the architect", services=[corp_net], start=start,
                                end=start + dt.timedelta(hours=3), by=carla, now=now, criticality="critical",
                                audience="100+ customer organisations", buffer_hours=24)
    change = agenda.create_change(team=network, title="Core network upgrade", services=[corp_net],
                                  start=start - dt.timedelta(hours=6), end=start + dt.timedelta(hours=1), by=nico,
                                  now=now, risk="high", rollback_plan="Revert the firmware.", publish=True)
    # Mia: one delivered (to accept), one accepted without thanks, one overdue commitment by Nico.
    past = now - dt.timedelta(days=10)
    delivered = services.submit_request(requester=mia, service=corp_net, title="Guest Wi-Fi for the launch",
                                        context=CONTEXT, need_by=day(20), date_kind="flexible", now=past)
    services.deliver(delivered, by=nico, now=now - dt.timedelta(hours=3))
    accepted = services.submit_request(requester=mia, service=corp_net, title="Firewall rule for the CRM",
                                       context=CONTEXT, need_by=day(20), date_kind="flexible", now=past)
    services.deliver(accepted, by=nico, now=now - dt.timedelta(days=2))
    services.accept(accepted, by=mia, quality=5, now=now - dt.timedelta(days=1))
    overdue = services.submit_request(requester=mia, service=corp_net, title="Bandwidth for the video shoot",
                                      context=CONTEXT, need_by=day(25), date_kind="flexible", now=past)
    services.commit_to_date(overdue, by=nico, date=today + dt.timedelta(days=1), now=past)
    overdue.committed_date = overdue.due_date = today - dt.timedelta(days=2)  # the clock moved on
    overdue.save(update_fields=["committed_date", "due_date"])
    return SimpleNamespace(cleo=cleo, lars=lars, carla=carla, nico=nico, mia=mia, company=company, network=network,
                           marketing=marketing, corp_net=corp_net, hard=hard, event=event, change=change,
                           conflict=change.conflicts.get(), delivered=delivered, accepted=accepted, overdue=overdue)


@pytest.fixture
def world(db):
    return build_world()
