"""Survival estimates for "time to acknowledge / commit / deliver", and the small
confidence-interval helpers every scorecard figure uses.

Why survival analysis: a request still waiting for an answer is not a missing value
and not a zero — we know it has waited *at least* this long. Dropping open requests
makes a slow provider look fast (only its quick answers have happened yet); Kaplan-Meier
counts them as censored at `now` (or at withdrawal/decline for what never happened).

Fits run on pre-aggregated rows — (duration in whole hours, observed, count) — which
the database returns from a GROUP BY, weighted with lifelines' `weights=`, so a pair with
thousands of requests costs the same as one with a hundred distinct hours.
"""

import math
import warnings

import numpy as np

#: A figure on fewer than this many requests says "too few" instead of a number. Ten is
#: where a Wilson interval for a rate is narrower than ±30 points and a Kaplan-Meier
#: median has a usable interval; below it the number invites more reading than it bears.
MIN_SAMPLE = 10
Z95 = 1.959963984540054


def too_few(n, label, unit="", minimum=MIN_SAMPLE):
    return {"label": label, "n": n, "enough": False, "value": None, "lo": None, "hi": None, "unit": unit,
            "note": f"too few ({n}; {minimum} needed)"}


def figure(label, value, lo, hi, n, unit="", **extra):
    return {"label": label, "n": n, "enough": True, "value": value, "lo": lo, "hi": hi, "unit": unit,
            "note": "", **extra}


def wilson(k, n, label, minimum=MIN_SAMPLE):
    """A proportion k/n with its 95 % Wilson score interval (good at small n and near 0 or 1)."""
    if n < minimum:
        return too_few(n, label, "%", minimum)
    p = k / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return figure(label, 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half), n, "%", k=k)


def mean_ci(total, squares, n, label, unit="", minimum=MIN_SAMPLE):
    """A mean from its sum and sum of squares, with a 95 % Student-t interval."""
    if n < minimum:
        return too_few(n, label, unit, minimum)
    from scipy.stats import t

    mean = total / n
    var = max(0.0, (squares - n * mean * mean) / (n - 1)) if n > 1 else 0.0
    half = t.ppf(0.975, n - 1) * math.sqrt(var / n) if n > 1 else 0.0
    return figure(label, mean, mean - half, mean + half, n, unit)


def km_summary(rows, label, minimum=MIN_SAMPLE):
    """Kaplan-Meier median and quartiles (hours) from [(hours, observed, count)], with the
    median's 95 % confidence interval (lifelines: Greenwood variance, exponential
    Greenwood bounds). A quantile the curve has not reached yet is None ("not yet")."""
    n = int(sum(c for _, _, c in rows))
    events = int(sum(c for _, o, c in rows if o))
    if n < minimum:
        return too_few(n, label, "h", minimum)
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    durations = np.array([max(0, d) for d, _, _ in rows], dtype=float)
    observed = np.array([bool(o) for _, o, _ in rows])
    counts = np.array([c for _, _, c in rows], dtype=float)
    kmf = KaplanMeierFitter().fit(durations, observed, weights=counts)
    sf = kmf.survival_function_.iloc[:, 0]

    def quantile(p_done):
        reached = sf[sf <= 1 - p_done]
        return float(reached.index[0]) if len(reached) else None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ci = median_survival_times(kmf.confidence_interval_)
    lo, hi = (float(x) for x in ci.iloc[0])
    return figure(label, quantile(0.5), lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None, n,
                  "h", q1=quantile(0.25), q3=quantile(0.75), events=events)


def km_quantile(durations, observed, counts=None, p_done=0.5):
    """The Kaplan-Meier time by which a share `p_done` has happened (numpy; None if not
    reached). Used where thousands of small fits are needed (monthly trend points, the
    audit's bootstrap); tests check it against lifelines."""
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    counts = np.ones(len(durations)) if counts is None else np.asarray(counts, dtype=float)
    if counts.sum() == 0:
        return None
    times, inverse = np.unique(durations, return_inverse=True)
    events = np.bincount(inverse, weights=counts * observed, minlength=len(times))
    leaving = np.bincount(inverse, weights=counts, minlength=len(times))
    at_risk = counts.sum() - np.concatenate(([0.0], np.cumsum(leaving)[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(np.where(at_risk > 0, 1 - events / at_risk, 1.0))
    reached = np.nonzero(survival <= 1 - p_done + 1e-12)[0]
    return float(times[reached[0]]) if len(reached) else None
