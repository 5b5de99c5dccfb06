"""Pair scorecards (both directions, every figure with n and an interval) and the partner ranking."""

import datetime as dt

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from liaison.insights.models import RequestFact
from liaison.insights.rollups import rebuild_facts
from liaison.insights.scorecards import pair_scorecard, partner_ranking
from tests.factories import ServiceFactory, TeamFactory

from .conftest import NOW, bulk_requests


def _by_key(figures):
    return {f["key"]: f for f in figures}


@pytest.fixture
def history(pair):
    """60 requests Billing → Offshore Ops over the last 6 months, plus 10 still open."""
    rng = np.random.default_rng(3)
    created = [NOW - dt.timedelta(days=int(d), hours=5) for d in rng.integers(3, 170, 60)]
    ack = rng.exponential(10, 60).round(1)
    quality = rng.integers(2, 6, 60)
    on_time_days = [30] * 45 + [1] * 15  # committed 30 days out (on time) or 1 day (late)
    bulk_requests(service=pair.service, requester=pair.ben, requester_team=pair.billing, created=created,
                  ack_hours=list(ack), commit_hours=list(ack + 1), deliver_hours=[72.0] * 60,
                  committed_days=on_time_days, quality=list(quality), slips=[0, 1, 2] * 20,
                  rework=[0] * 54 + [1] * 6)
    open_created = [NOW - dt.timedelta(days=2 + i) for i in range(10)]
    bulk_requests(service=pair.service, requester=pair.bea, requester_team=pair.billing, created=open_created,
                  short_notice=True, options="")
    rebuild_facts(NOW)
    return {"ack": ack, "open_created": open_created, "quality": quality}


def test_provider_side_figures(pair, history):
    ops_serving_billing, billing_serving_ops = pair_scorecard(RequestFact.objects.all(), pair.ops, pair.billing,
                                                              now=NOW)
    p = _by_key(ops_serving_billing["provider"])
    # Kaplan-Meier on whole hours, the 10 open requests censored at now
    durations = list(np.ceil(history["ack"])) + [np.ceil((NOW - c).total_seconds() / 3600)
                                                 for c in history["open_created"]]
    kmf = KaplanMeierFitter().fit(durations, [1] * 60 + [0] * 10)
    assert p["ack"]["value"] == kmf.median_survival_time_
    assert p["ack"]["n"] == 70 and p["ack"]["events"] == 60
    assert p["ack"]["lo"] <= p["ack"]["value"] <= p["ack"]["hi"]
    assert p["ack"]["q1"] <= p["ack"]["value"] <= p["ack"]["q3"]
    assert p["on_time"]["value"] == pytest.approx(75) and p["on_time"]["n"] == 60
    assert p["slips"]["value"] == pytest.approx(1.0) and p["slips"]["n"] == 60
    assert p["quality"]["value"] == pytest.approx(history["quality"].mean())
    assert p["rework"]["value"] == pytest.approx(10) and p["rework"]["n"] == 60
    assert p["decline"]["value"] == 0 and p["decline"]["n"] == 60
    assert p["deliver"]["value"] == 72
    for f in ops_serving_billing["provider"] + ops_serving_billing["customer"]:
        if f["key"] in ("confirmed", "escalations"):  # no forecasts, no escalations in this history
            assert not f["enough"] and f["n"] == 0
            continue
        assert f["enough"] and f["lo"] is not None and f["hi"] is not None and f["n"] > 0, f
    assert billing_serving_ops["requests"] == 0  # the other direction is empty
    assert all(not f["enough"] for f in billing_serving_ops["provider"] if f["key"] != "escalations")


def test_customer_side_figures(pair, history):
    card = pair_scorecard(RequestFact.objects.all(), pair.ops, pair.billing, now=NOW)[0]
    c = _by_key(card["customer"])
    assert c["notice_ok"]["value"] == pytest.approx(100 * 60 / 70) and c["notice_ok"]["n"] == 70
    assert c["context"]["value"] == pytest.approx(100 * 60 / 70)
    assert c["forecast"]["value"] == 0
    assert not c["confirmed"]["enough"]  # no forecasts: too few to say
    assert c["thanks"]["value"] == 0 and c["thanks"]["n"] == 60


def test_monthly_series_with_trend(pair, history):
    card = pair_scorecard(RequestFact.objects.all(), pair.ops, pair.billing, now=NOW, months=12)[0]
    monthly = card["monthly"]
    assert len(monthly["months"]) == 12 and monthly["months"][-1] == dt.date(2026, 6, 1)
    on_time = monthly["on_time"]
    assert on_time["values"][0] is None  # a year ago: no requests, a gap
    assert sum(on_time["n"]) == 60
    filled = [v for v in on_time["values"] if v is not None]
    assert filled and all(0 <= v <= 100 for v in filled)
    assert sum(t is not None for t in on_time["trend"]) == 12


def test_too_few_requests_say_so(pair):
    bulk_requests(service=pair.service, requester=pair.ben, requester_team=pair.billing,
                  created=[NOW - dt.timedelta(days=3)] * 4, ack_hours=2)
    rebuild_facts(NOW)
    card = pair_scorecard(RequestFact.objects.all(), pair.ops, pair.billing, now=NOW)[0]
    ack = _by_key(card["provider"])["ack"]
    assert not ack["enough"] and ack["value"] is None and ack["n"] == 4 and "too few" in ack["note"]


def test_pair_scorecard_query_count(pair, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        pair_scorecard(RequestFact.objects.all(), pair.ops, pair.billing, now=NOW)


def test_partners_ranked_worst_first(pair, history):
    # A second provider that answers late, declines half and delivers late: worse than Ops.
    slow = TeamFactory(name="Slow Shop", slug="slow-shop")
    service = ServiceFactory(team=slow, name="Slow service", slug="slow")
    created = [NOW - dt.timedelta(days=10 + i) for i in range(40)]
    bulk_requests(service=service, requester=pair.ben, requester_team=pair.billing, created=created,
                  ack_hours=[90.0] * 40, declined=[i % 2 == 0 for i in range(40)],
                  deliver_hours=[None if i % 2 == 0 else 400.0 for i in range(40)],
                  commit_hours=[None if i % 2 == 0 else 95.0 for i in range(40)], committed_days=5,
                  quality=[None if i % 2 == 0 else 2 for i in range(40)])
    rebuild_facts(NOW)
    ranking = partner_ranking(RequestFact.objects.all(), pair.billing, now=NOW)
    assert [r["team"] for r in ranking] == [slow, pair.ops]
    assert ranking[0]["health"] < ranking[1]["health"]
    assert ranking[0]["as_customer"]["requests"] == 40 and ranking[0]["as_provider"] is None
    from_ops = partner_ranking(RequestFact.objects.all(), pair.ops, now=NOW)
    assert [r["team"] for r in from_ops] == [pair.billing] and from_ops[0]["as_provider"]["requests"] == 70
