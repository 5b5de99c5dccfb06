"""The fairness audit: are requests from one group of people answered differently?

An auditor picks a scope (a service, or a provider team), a measure, one attribute or
all three (gender, site, seniority band — of the *requester*), and a period (months of
creation). The groups are compared with the test that fits the measure:

* time to acknowledge, time to deliver: log-rank (lifelines; open, withdrawn and declined
  requests censored); effect = ratio of Kaplan-Meier medians, group / rest, with a
  percentile bootstrap interval.
* quality (1-5): Mann-Whitney U for two groups, Kruskal-Wallis across more; effect =
  difference of means, group - rest, percentile bootstrap interval.
* decline rate: Fisher's exact test when an expected count is under 5, else chi-square
  (k x 2 across groups); effect = risk ratio, group / rest, Katz log interval.

With two groups there is one comparison; with more, each group is compared with the rest
of the groups (after an omnibus test, shown for context). All comparisons of one run —
across groups *and* attributes — are corrected together with Benjamini-Hochberg
(scipy.stats.false_discovery_control); a group is flagged when its corrected p-value is
below FLAG_ALPHA. FLAG_ALPHA is 0.01, not 0.05: a finding of unequal treatment goes to
management and people, so it should be strong evidence; tests/insights/test_fairness.py
shows a planted 1.5x slowdown (200 requests per group) is still flagged, and that 40
seeds without it flag at most 2.

Privacy: a group with fewer than settings.LIAISON_MIN_GROUP_SIZE people *or* fewer
observations is dropped before any test — never shown, never part of "the rest"; blank
and "prefer not to say" are not groups. Only auditors may run it; every run is logged
(AuditRun: who, when, scope, measure, attributes, period, outcome). Results name groups
and aggregates only, never a request or a person.
"""

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from liaison.org.models import Person, SensitiveAttributes, Service, Team

from .models import AuditRun, RequestFact
from .scorecards import add_months
from .survival import km_quantile

MEASURES = {
    "ack": "Time to acknowledge",
    "deliver": "Time to deliver",
    "quality": "Quality at acceptance",
    "decline": "Decline rate",
}
ATTRIBUTES = {"gender": "Gender", "site": "Site", "seniority_band": "Seniority band"}
NOT_A_GROUP = {"", "undisclosed"}
FLAG_ALPHA = 0.01
BOOTSTRAP = 500


# --- the statistics, on plain arrays -------------------------------------------------------

def _bootstrap(rng, a, b, stat, n_boot):
    """Percentile bootstrap CI of stat(a_sample, b_sample), resampling each group."""
    values = []
    for _ in range(n_boot):
        v = stat(a[rng.integers(0, len(a), len(a))], b[rng.integers(0, len(b), len(b))])
        if v is not None and np.isfinite(v):
            values.append(v)
    if len(values) < n_boot // 2:
        return None, None
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def _time_stat(a, b):
    ma, mb = km_quantile(a[:, 0], a[:, 1]), km_quantile(b[:, 0], b[:, 1])
    return ma / mb if ma is not None and mb else None


def compare_times(groups, rng, n_boot=BOOTSTRAP):
    """groups: {label: array of (duration hours, observed)} → (omnibus, [comparison])."""
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    labels = list(groups)
    omnibus = None
    if len(labels) > 2:
        d = np.concatenate([groups[g][:, 0] for g in labels])
        o = np.concatenate([groups[g][:, 1] for g in labels])
        g = np.concatenate([[i] * len(groups[lab]) for i, lab in enumerate(labels)])
        r = multivariate_logrank_test(d, g, o)
        omnibus = {"test": "Log-rank (all groups)", "statistic": float(r.test_statistic), "p": float(r.p_value)}
    out = []
    for label in labels[:1] if len(labels) == 2 else labels:
        a = groups[label]
        b = np.concatenate([groups[x] for x in labels if x != label])
        r = logrank_test(a[:, 0], b[:, 0], a[:, 1], b[:, 1])
        ratio = _time_stat(a, b)
        lo, hi = _bootstrap(rng, a, b, _time_stat, n_boot) if n_boot else (None, None)
        out.append({"label": label, "versus": "the rest" if len(labels) > 2 else labels[1], "test": "Log-rank",
                    "statistic": float(r.test_statistic), "p": float(r.p_value),
                    "effect": {"name": "Median time ratio", "value": ratio, "lo": lo, "hi": hi}})
    return omnibus, out


def compare_quality(groups, rng, n_boot=BOOTSTRAP):
    from scipy.stats import kruskal, mannwhitneyu

    labels = list(groups)
    omnibus = None
    if len(labels) > 2:
        r = kruskal(*[groups[g] for g in labels])
        omnibus = {"test": "Kruskal-Wallis", "statistic": float(r.statistic), "p": float(r.pvalue)}
    out = []
    for label in labels[:1] if len(labels) == 2 else labels:
        a = groups[label]
        b = np.concatenate([groups[x] for x in labels if x != label])
        r = mannwhitneyu(a, b, alternative="two-sided")
        diff = float(a.mean() - b.mean())
        lo, hi = (_bootstrap(rng, a, b, lambda x, y: x.mean() - y.mean(), n_boot) if n_boot else (None, None))
        out.append({"label": label, "versus": "the rest" if len(labels) > 2 else labels[1], "test": "Mann-Whitney U",
                    "statistic": float(r.statistic), "p": float(r.pvalue),
                    "effect": {"name": "Mean difference", "value": diff, "lo": lo, "hi": hi}})
    return omnibus, out


def _risk_ratio(k1, n1, k2, n2):
    """Risk ratio with the Katz log interval (0.5 added to every cell when one is empty)."""
    if 0 in (k1, k2, n1 - k1, n2 - k2):
        k1, k2, n1, n2 = k1 + 0.5, k2 + 0.5, n1 + 1, n2 + 1
    rr = (k1 / n1) / (k2 / n2)
    se = np.sqrt(1 / k1 - 1 / n1 + 1 / k2 - 1 / n2)
    return float(rr), float(rr * np.exp(-1.96 * se)), float(rr * np.exp(1.96 * se))


def compare_declines(groups, rng=None, n_boot=0):
    """groups: {label: array of 0/1 (declined)}."""
    from scipy.stats import chi2_contingency, fisher_exact

    labels = list(groups)
    omnibus = None
    if len(labels) > 2:
        table = [[int(groups[g].sum()), int(len(groups[g]) - groups[g].sum())] for g in labels]
        if all(sum(col) for col in zip(*table, strict=True)):
            chi2, p, _, _ = chi2_contingency(table)
            omnibus = {"test": "χ² (all groups)", "statistic": float(chi2), "p": float(p)}
    out = []
    for label in labels[:1] if len(labels) == 2 else labels:
        a = groups[label]
        b = np.concatenate([groups[x] for x in labels if x != label])
        k1, n1, k2, n2 = int(a.sum()), len(a), int(b.sum()), len(b)
        table = [[k1, n1 - k1], [k2, n2 - k2]]
        expected_small = (not all(sum(col) for col in zip(*table, strict=True))
                          or chi2_contingency(table)[3].min() < 5)
        if expected_small:
            stat, p = fisher_exact(table)
            test = "Fisher's exact"
        else:
            stat, p, _, _ = chi2_contingency(table)
            test = "χ²"
        rr, lo, hi = _risk_ratio(k1, n1, k2, n2)
        out.append({"label": label, "versus": "the rest" if len(labels) > 2 else labels[1], "test": test,
                    "statistic": float(stat), "p": float(p),
                    "effect": {"name": "Decline risk ratio", "value": rr, "lo": lo, "hi": hi}})
    return omnibus, out


COMPARE = {"ack": compare_times, "deliver": compare_times, "quality": compare_quality, "decline": compare_declines}


def adjust(comparisons, alpha=FLAG_ALPHA):
    """Benjamini-Hochberg over every comparison of the run; sets p_adj and flagged."""
    if not comparisons:
        return
    from scipy.stats import false_discovery_control

    adjusted = false_discovery_control([c["p"] for c in comparisons], method="bh")
    for c, p in zip(comparisons, adjusted, strict=True):
        c["p_adj"] = float(p)
        c["flagged"] = bool(p < alpha)


def describe(measure, values):
    """The group's headline: KM median hours, mean quality, or decline rate %."""
    if measure in ("ack", "deliver"):
        return km_quantile(values[:, 0], values[:, 1])
    if measure == "quality":
        return float(values.mean())
    return float(100 * values.mean())


def _display(attribute, value):
    choices = {"gender": SensitiveAttributes.Gender.choices,
               "seniority_band": SensitiveAttributes.Seniority.choices}.get(attribute)
    return dict(choices).get(value, value) if choices else value


def analyse(frames, measure, *, min_group, seed=0, n_boot=BOOTSTRAP):
    """frames: {attribute: {group: (people count, values array)}} → result dict (no DB).

    Groups under `min_group` people or observations are dropped before anything else.
    """
    rng = np.random.default_rng(seed)
    attributes, comparisons = [], []
    for attribute, groups in frames.items():
        kept = {g: v for g, (people, v) in groups.items()
                if g not in NOT_A_GROUP and people >= min_group and len(v) >= min_group}
        suppressed = sum(1 for g in groups if g not in NOT_A_GROUP and g not in kept)
        entry = {"attribute": attribute, "label": ATTRIBUTES.get(attribute, attribute), "suppressed": suppressed,
                 "groups": [{"label": g, "display": _display(attribute, g), "people": groups[g][0], "n": len(v),
                             "value": describe(measure, v),
                             "events": int(v[:, 1].sum()) if v.ndim == 2 else None} for g, v in sorted(kept.items())],
                 "omnibus": None, "comparisons": []}
        if len(kept) >= 2:
            omnibus, rows = COMPARE[measure](dict(sorted(kept.items())), rng, n_boot=n_boot)
            entry["omnibus"], entry["comparisons"] = omnibus, rows
            comparisons.extend(rows)
            by_label = {c["label"]: c for c in rows}
            for g in entry["groups"]:
                g["comparison"] = by_label.get(g["label"])
        attributes.append(entry)
    adjust(comparisons)
    return {"measure": measure, "measure_label": MEASURES[measure], "attributes": attributes,
            "flagged": any(c["flagged"] for c in comparisons), "alpha": FLAG_ALPHA, "min_group": min_group,
            "comparisons": len(comparisons)}


# --- the audit, from the database ------------------------------------------------------------

def _values(measure, rows, now_s):
    if measure in ("ack", "deliver"):
        col = "acknowledged_s" if measure == "ack" else "delivered_s"
        out = []
        for r in rows:
            end = r[col] or r["stopped_s"] or now_s
            out.append((max(0.0, (end - r["submitted_s"]) / 3600), 1.0 if r[col] else 0.0))
        return np.array(out, dtype=float).reshape(-1, 2)
    if measure == "quality":
        return np.array([r["quality"] for r in rows if r["quality"] is not None], dtype=float)
    return np.array([1.0 if r["declined"] else 0.0 for r in rows if r["acknowledged_s"] is not None], dtype=float)


def _attribute_of(person_ids, attribute):
    if attribute == "site":
        return dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "site"))
    return dict(SensitiveAttributes.objects.filter(person_id__in=person_ids).values_list("person_id", attribute))


def _clean(*, scope_kind, scope_id, measure, attributes, start, end):
    errors = {}
    scope = None
    if scope_kind not in ("service", "team"):
        errors["scope"] = "Choose a service or a team."
    else:
        model = Service if scope_kind == "service" else Team
        scope = model.objects.filter(pk=scope_id).first()
        if scope is None:
            errors["scope"] = f"No such {scope_kind}."
    if measure not in MEASURES:
        errors["measure"] = f"Choose one of: {', '.join(MEASURES.values())}."
    if not attributes or any(a not in ATTRIBUTES for a in attributes):
        errors["attribute"] = f"Choose one of: {', '.join(ATTRIBUTES.values())} (or all)."
    if start is None:
        errors["start"] = "Give the first month."
    if end is None:
        errors["end"] = "Give the last month."
    if start and end and end < start:
        errors["end"] = "The last month comes after the first."
    if errors:
        raise ValidationError(errors)
    return scope


@transaction.atomic
def run_audit(*, by, scope_kind, scope_id, measure, attributes, start, end, now, seed=0, n_boot=BOOTSTRAP):
    """Run and log one audit. Only auditors; ValidationError naming the field on bad input."""
    if by is None or not by.is_authenticated or not by.is_auditor:
        raise PermissionDenied("Only auditors may run the fairness audit.")
    scope = _clean(scope_kind=scope_kind, scope_id=scope_id, measure=measure, attributes=attributes, start=start,
                   end=end)
    start, end = start.replace(day=1), end.replace(day=1)
    facts = RequestFact.objects.filter(month__gte=start, month__lt=add_months(end, 1), submitted_s__isnull=False)
    facts = facts.filter(service_id=scope.pk) if scope_kind == "service" else facts.filter(provider_team=scope)
    rows = list(facts.values("requester_id", "submitted_s", "acknowledged_s", "delivered_s", "stopped_s",
                             "quality", "declined"))
    people = {r["requester_id"] for r in rows}
    now_s = int(now.timestamp())
    frames = {}
    for attribute in attributes:
        value_of = _attribute_of(people, attribute)
        by_group = {}
        for r in rows:
            by_group.setdefault(value_of.get(r["requester_id"], "") or "", []).append(r)
        frames[attribute] = {g: (len({r["requester_id"] for r in rs}), _values(measure, rs, now_s))
                             for g, rs in by_group.items()}
    min_group = settings.LIAISON_MIN_GROUP_SIZE
    result = analyse(frames, measure, min_group=min_group, seed=seed, n_boot=n_boot)
    result.update(scope=scope, scope_kind=scope_kind, start=start, end=end)
    result["run"] = AuditRun.objects.create(
        by=by, at=now, scope_kind=scope_kind, scope_id=scope.pk, scope_name=str(scope)[:200], measure=measure,
        attributes=",".join(attributes), period_start=start, period_end=end,
        groups_compared=sum(len(a["groups"]) for a in result["attributes"]),
        groups_suppressed=sum(a["suppressed"] for a in result["attributes"]), flagged=result["flagged"])
    return result
