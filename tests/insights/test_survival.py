"""Kaplan-Meier summaries, the numpy quantile against lifelines, and the interval helpers."""

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from liaison.insights.survival import MIN_SAMPLE, km_quantile, km_summary, mean_ci, wilson


@pytest.mark.parametrize("seed", range(5))
def test_km_quantile_matches_lifelines(seed):
    rng = np.random.default_rng(seed)
    durations = np.ceil(rng.exponential(30, 300))
    observed = rng.random(300) < 0.8
    kmf = KaplanMeierFitter().fit(durations, observed)
    assert km_quantile(durations, observed) == kmf.median_survival_time_


def test_weighted_rows_give_the_same_curve_as_the_raw_requests():
    rng = np.random.default_rng(7)
    durations = np.ceil(rng.exponential(20, 500))
    observed = rng.random(500) < 0.7
    raw = km_summary([(d, o, 1) for d, o in zip(durations, observed, strict=True)], "t")
    pairs, counts = np.unique(np.stack([durations, observed]), axis=1, return_counts=True)
    grouped = km_summary([(d, o, c) for (d, o), c in zip(pairs.T, counts, strict=True)], "t")
    assert len(counts) < 500
    assert (raw["value"], raw["lo"], raw["hi"], raw["q1"], raw["q3"]) == (
        grouped["value"], grouped["lo"], grouped["hi"], grouped["q1"], grouped["q3"])
    assert raw["lo"] <= raw["value"] <= raw["hi"]


def test_open_requests_are_censored_not_dropped():
    # 10 answered within 2 hours, 20 still waiting after 100 hours: the median is not reached,
    # whereas dropping the open ones would report 2 hours.
    rows = [(2, 1, 10), (100, 0, 20)]
    summary = km_summary(rows, "Time to acknowledge")
    assert summary["enough"] and summary["n"] == 30 and summary["events"] == 10
    assert summary["value"] is None
    assert summary["q1"] == 2


def test_too_few_says_so():
    summary = km_summary([(3, 1, MIN_SAMPLE - 1)], "Time to acknowledge")
    assert not summary["enough"] and summary["value"] is None and "too few" in summary["note"]
    assert not wilson(3, MIN_SAMPLE - 1, "rate")["enough"]
    assert not mean_ci(20, 50, MIN_SAMPLE - 1, "mean")["enough"]


def test_wilson_interval():
    f = wilson(45, 50, "On time")
    assert f["value"] == pytest.approx(90)
    assert f["lo"] == pytest.approx(78.6, abs=0.1) and f["hi"] == pytest.approx(95.7, abs=0.1)
    assert wilson(0, 20, "r")["lo"] == 0 and wilson(20, 20, "r")["hi"] == pytest.approx(100)


def test_mean_interval_is_student_t():
    values = np.array([3, 4, 5, 4, 3, 5, 4, 4, 2, 5, 4, 3])
    f = mean_ci(values.sum(), (values**2).sum(), len(values), "Quality")
    from scipy import stats

    lo, hi = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert f["value"] == pytest.approx(values.mean())
    assert (f["lo"], f["hi"]) == (pytest.approx(lo), pytest.approx(hi))
