"""The EWMA deterioration check: its false-alarm rate on stable data, its detection of a
planted shift, and the monthly alert sweep (both leads told, once)."""

import datetime as dt

import numpy as np
import pytest

from liaison.insights.alerts import check_alerts
from liaison.insights.models import DeteriorationAlert
from liaison.insights.rollups import rebuild_facts
from liaison.insights.trends import ewma_check, trend_line
from liaison.notify.models import Notification

from .conftest import NOW, bulk_requests

SEEDS = 2000


@pytest.mark.parametrize("months", [12, 24])
def test_false_alarm_rate_on_stable_series(months):
    alarms = sum(ewma_check(list(np.random.default_rng(seed).normal(40, 6, months)))["alarm"]
                 for seed in range(SEEDS))
    assert alarms / SEEDS <= 0.05


@pytest.mark.parametrize("worse", [+1, -1])
def test_planted_shift_is_detected(worse):
    detected = 0
    for seed in range(SEEDS):
        values = list(np.random.default_rng(seed).normal(40, 6, 24))
        values[-3:] = [v + worse * 3 * 6 for v in values[-3:]]  # 3 sigma worse for the last three months
        detected += ewma_check(values, worse=worse)["alarm"]
    assert detected / SEEDS >= 0.90


def test_improvement_is_not_an_alarm():
    values = list(np.random.default_rng(1).normal(40, 6, 24))
    values[-3:] = [v - 30 for v in values[-3:]]
    assert not ewma_check(values, worse=+1)["alarm"]


def test_not_enough_history_gives_no_verdict():
    assert ewma_check([10, 11, 12, 50]) is None
    assert ewma_check([10] * 12 + [None]) is None


def test_theil_sen_trend_ignores_one_odd_month():
    points = list(enumerate([10, 11, 12, 13, 90, 15, 16, 17]))
    line = trend_line(points)
    assert line[1] - line[0] == pytest.approx(1)  # least squares would tilt towards the 90
    assert abs(line[0] - 10) <= 1
    assert trend_line([(0, 1), (1, None), (2, 3)]) == [None, None, None]


def _month_starts(n):
    first = dt.datetime(NOW.year, NOW.month, 1, 10, tzinfo=dt.UTC)
    return [(first - dt.timedelta(days=31 * k)).replace(day=1) for k in range(n, 0, -1)]


def _history(pair, ack_for_month, per_month=12):
    for k, start in enumerate(_month_starts(18)):
        created = [start + dt.timedelta(days=d, hours=3) for d in range(per_month)]
        bulk_requests(service=pair.service, requester=pair.ben, requester_team=pair.billing, created=created,
                      ack_hours=ack_for_month(k), deliver_hours=100.0)
    rebuild_facts(NOW)


def test_alert_sweep_tells_both_leads_once(pair):
    rng = np.random.default_rng(5)
    # 18 months: acknowledgement around 8 hours, the last month around 40.
    _history(pair, lambda k: list(rng.normal(8 if k < 17 else 40, 1.5, 12).clip(1)))
    alerts = check_alerts(NOW)
    assert [(a.measure, a.month) for a in alerts] == [("ack", dt.date(2026, 5, 1))]
    assert (alerts[0].provider_team, alerts[0].requester_team) == (pair.ops, pair.billing)
    told = Notification.objects.filter(kind="insights.deterioration")
    assert sorted(told.values_list("recipient__email", flat=True)) == ["bea@corp.example", "omar@corp.example"]
    assert "/insights/pairs/offshore-ops/billing/" in told.first().link
    assert check_alerts(NOW) == [] and told.count() == 2  # idempotent
    assert DeteriorationAlert.objects.count() == 1


def test_no_alert_on_a_stable_relationship(pair):
    rng = np.random.default_rng(6)
    _history(pair, lambda k: list(rng.normal(8, 1.5, 12).clip(1)))
    assert check_alerts(NOW) == []
    assert not Notification.objects.filter(kind="insights.deterioration").exists()
