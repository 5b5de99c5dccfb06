"""The insights API: same figures and visibility as the pages."""

import datetime as dt

import pytest
import time_machine

from liaison.insights.rollups import rebuild_facts
from liaison.org.services import create_token

from .conftest import NOW, bulk_requests


@pytest.fixture
def data(pair):
    bulk_requests(service=pair.service, requester=pair.ben, requester_team=pair.billing,
                  created=[NOW - dt.timedelta(days=5 + i) for i in range(30)], ack_hours=4.0)
    rebuild_facts(NOW)


def _get(client, person, url):
    headers = {}
    if person is not None:
        _, key = create_token(person, name="test")
        headers["Authorization"] = f"Bearer {key}"
    with time_machine.travel(NOW, tick=False):
        return client.get(url, headers=headers)


def test_pair_figures(client, pair, data):
    response = _get(client, pair.ben, "/api/v1/insights/pairs/offshore-ops/billing")
    assert response.status_code == 200
    ops, billing = response.json()
    assert (ops["provider_team"], ops["customer_team"], ops["requests"]) == ("offshore-ops", "billing", 30)
    ack = next(f for f in ops["provider_side"] if f["measure"] == "ack")
    assert ack["value"] == 4 and ack["n"] == 30 and ack["lo"] is not None
    assert billing["requests"] == 0


def test_partners(client, pair, data):
    rows = _get(client, pair.omar, "/api/v1/insights/teams/offshore-ops/partners").json()
    assert [r["team"] for r in rows] == ["billing"] and rows[0]["requests"] == 30


@pytest.mark.parametrize("url", ["/api/v1/insights/pairs/offshore-ops/billing",
                                 "/api/v1/insights/teams/billing/partners"])
def test_anonymous_401_and_outsider_404(client, pair, data, url):
    assert _get(client, None, url).status_code == 401
    assert _get(client, pair.olga, url).status_code == 404
