"""The requests tests: the `cast` fixture (tests/conftest.py, built by tests/story.py:
a remote office asking a service at HQ), and a request made the usual way.

Monday 2 March 2026, 09:00 UTC is "now" unless a test travels.
"""

import datetime as dt

import pytest

from liaison.requests import services

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
TODAY = NOW.date()


def days(n):
    return TODAY + dt.timedelta(days=n)


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
