"""The cast of the requests tests: a remote office asking a service at HQ.

    Company (lead: Cleo, CEO)
    ├── Platform  (lead: Paula, whose manager is Victor)  — provides "Database provisioning"
    │     members: Paula, Pete
    └── Remote Office (lead: Rita)                        — asks
          members: Rita, Remy

Monday 2 March 2026, 09:00 UTC is "now" unless a test travels.
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from liaison.requests import services
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory, TeamFactory

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
TODAY = NOW.date()


def days(n):
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def cast(db):
    victor = PersonFactory(name="Victor VP", email="victor@corp.example")
    cleo = PersonFactory(name="Cleo CEO", email="cleo@corp.example")
    paula = PersonFactory(name="Paula Lead", email="paula@corp.example", manager=victor)
    pete = PersonFactory(name="Pete Provider", email="pete@corp.example", manager=paula)
    rita = PersonFactory(name="Rita Lead", email="rita@corp.example", manager=cleo)
    remy = PersonFactory(name="Remy Requester", email="remy@corp.example", manager=rita)
    olga = PersonFactory(name="Olga Outsider", email="olga@corp.example")
    company = TeamFactory(name="Company", slug="company", lead=cleo)
    platform = TeamFactory(name="Platform", slug="platform", lead=paula, parent=company)
    remote = TeamFactory(name="Remote Office", slug="remote-office", lead=rita, parent=company)
    other = TeamFactory(name="Other Team", slug="other-team")
    for person, team in [(paula, platform), (pete, platform), (rita, remote), (remy, remote), (olga, other)]:
        MembershipFactory(person=person, team=team)
    service = ServiceFactory(team=platform, name="Database provisioning", slug="db", lead_time_days=5)
    return SimpleNamespace(victor=victor, cleo=cleo, paula=paula, pete=pete, rita=rita, remy=remy, olga=olga,
                           company=company, platform=platform, remote=remote, other=other, service=service)


CONTEXT = ("Our client go-live on 20 March depends on a reporting database; without it we miss the "
           "contractual cut-over and pay a penalty.")


def make_request(cast, now=NOW, **overrides):
    fields = dict(requester=cast.remy, service=cast.service, title="Reporting database for the client go-live",
                  context=CONTEXT, need_by=days(14), date_kind="hard", options="Any day that week",
                  milestone="Client go-live 20 March", now=now)
    fields.update(overrides)
    return services.submit_request(**fields)


def make_forecast(cast, now=NOW, **overrides):
    fields = dict(requester=cast.remy, service=cast.service, title="Second reporting database",
                  context=CONTEXT, need_by=days(21), date_kind="flexible", probability=80,
                  confirm_by=days(7), now=now)
    fields.update(overrides)
    return services.create_forecast(**fields)


@pytest.fixture
def submitted(cast):
    return make_request(cast)


@pytest.fixture
def committed(cast, submitted):
    services.acknowledge(submitted, by=cast.pete, now=NOW + dt.timedelta(hours=2))
    return services.commit_to_date(submitted, by=cast.pete, date=days(11), now=NOW + dt.timedelta(hours=3))
