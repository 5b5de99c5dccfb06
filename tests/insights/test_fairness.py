"""The fairness audit: right test per measure, planted effects flagged, no effect rarely
flagged, small groups never shown or used, auditors only, every run logged."""

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.insights.fairness import analyse, run_audit
from liaison.insights.models import AuditRun
from liaison.insights.rollups import rebuild_facts
from liaison.org.models import SensitiveAttributes
from tests.factories import PersonFactory

from .conftest import NOW, bulk_requests

PER_GROUP = 200


def _times(rng, n, scale, censor_share=0.1):
    durations = rng.exponential(scale, n)
    observed = rng.random(n) >= censor_share
    return np.column_stack([durations, observed.astype(float)])


def _two_groups(seed, slowdown):
    rng = np.random.default_rng(seed)
    return {"gender": {"woman": (25, _times(rng, PER_GROUP, 20 * slowdown)),
                       "man": (25, _times(rng, PER_GROUP, 20))}}


def test_planted_slowdown_is_flagged_with_its_effect():
    result = analyse(_two_groups(0, 1.5), "ack", min_group=10, n_boot=300)
    assert result["flagged"]
    [attribute] = result["attributes"]
    [comparison] = attribute["comparisons"]
    assert comparison["test"] == "Log-rank" and comparison["flagged"]
    effect = comparison["effect"]
    assert effect["name"] == "Median time ratio"
    # groups in alphabetical order: "man" compared with "woman", whose times are 1.5x longer
    assert (comparison["label"], comparison["versus"]) == ("man", "woman")
    assert effect["lo"] < 1 / 1.5 < effect["hi"] < 1  # the truth is inside, and the other group is slower


@pytest.mark.parametrize("seed", range(5))
def test_planted_slowdown_is_flagged_across_seeds(seed):
    assert analyse(_two_groups(100 + seed, 1.5), "ack", min_group=10, n_boot=0)["flagged"]


def test_no_effect_is_flagged_at_most_twice_in_40_seeds():
    flagged = sum(analyse(_two_groups(seed, 1.0), "ack", min_group=10, n_boot=0)["flagged"] for seed in range(40))
    assert flagged <= 2


def test_several_groups_and_attributes_are_corrected_together():
    rng = np.random.default_rng(3)
    frames = {"site": {s: (20, _times(rng, 120, 20)) for s in ("Pune", "Leeds", "Austin")},
              "gender": {"woman": (30, _times(rng, 180, 20)), "man": (30, _times(rng, 180, 20))}}
    result = analyse(frames, "deliver", min_group=10, n_boot=0)
    site = result["attributes"][0]
    assert site["omnibus"]["test"] == "Log-rank (all groups)"
    assert [c["versus"] for c in site["comparisons"]] == ["the rest"] * 3
    assert result["comparisons"] == 4
    assert all(c["p_adj"] >= c["p"] for a in result["attributes"] for c in a["comparisons"])


def test_quality_uses_a_rank_test_and_declines_a_proportion_test():
    rng = np.random.default_rng(4)
    quality = {"seniority_band": {"junior": (12, rng.integers(1, 4, 60).astype(float)),
                                  "senior": (12, rng.integers(3, 6, 60).astype(float))}}
    q = analyse(quality, "quality", min_group=10, n_boot=200)
    c = q["attributes"][0]["comparisons"][0]
    assert c["test"] == "Mann-Whitney U" and c["flagged"] and c["effect"]["value"] < 0
    declines = {"gender": {"woman": (15, (rng.random(150) < 0.40).astype(float)),
                           "man": (15, (rng.random(150) < 0.10).astype(float))}}
    d = analyse(declines, "decline", min_group=10)
    c = d["attributes"][0]["comparisons"][0]
    assert c["test"] == "χ²" and c["flagged"] and c["effect"]["name"] == "Decline risk ratio"
    assert c["label"] == "man" and c["effect"]["hi"] < 1  # men are declined less often than women
    few = {"gender": {"woman": (12, np.array([1.0] * 3 + [0.0] * 9)), "man": (12, np.array([0.0] * 12))}}
    assert analyse(few, "decline", min_group=10)["attributes"][0]["comparisons"][0]["test"] == "Fisher's exact"


def test_small_groups_are_never_shown_or_used():
    rng = np.random.default_rng(5)
    frames = {"site": {"Pune": (40, _times(rng, 200, 20)), "Leeds": (40, _times(rng, 200, 20)),
                       "Oslo": (9, _times(rng, 200, 60)),  # slow, but only 9 people
                       "": (50, _times(rng, 200, 20))}}  # unknown site: not a group
    result = analyse(frames, "ack", min_group=10, n_boot=0)
    site = result["attributes"][0]
    assert [g["label"] for g in site["groups"]] == ["Leeds", "Pune"]
    assert site["suppressed"] == 1 and not result["flagged"]
    assert site["comparisons"][0]["versus"] == "Pune"  # two groups left: compared with each other only


# --- through the database -----------------------------------------------------------------

def _people(n, gender, site):
    people = [PersonFactory(site=site) for _ in range(n)]
    SensitiveAttributes.objects.bulk_create([SensitiveAttributes(person=p, gender=gender) for p in people])
    return people


def _audit_data(pair, slowdown):
    rng = np.random.default_rng(11)
    for gender, scale in (("woman", 10 * slowdown), ("man", 10)):
        people = _people(20, gender, "Pune")
        created = [NOW - dt.timedelta(days=int(d), hours=1) for d in rng.integers(5, 150, PER_GROUP)]
        bulk_requests(service=pair.service, requester=[people[i % 20] for i in range(PER_GROUP)],
                      requester_team=pair.billing, created=created, ack_hours=list(rng.exponential(scale, PER_GROUP)))
    tiny = _people(3, "non-binary", "Oslo")
    bulk_requests(service=pair.service, requester=[tiny[i % 3] for i in range(30)], requester_team=pair.billing,
                  created=[NOW - dt.timedelta(days=20)] * 30, ack_hours=500.0)
    rebuild_facts(NOW)


def _run(pair, auditor, **overrides):
    args = dict(by=auditor, scope_kind="service", scope_id=pair.service.pk, measure="ack",
                attributes=["gender", "site", "seniority_band"], start=dt.date(2025, 12, 1),
                end=dt.date(2026, 6, 1), now=NOW, n_boot=100)
    args.update(overrides)
    return run_audit(**args)


def test_audit_from_the_database_flags_and_logs(pair, auditor):
    _audit_data(pair, 1.5)
    result = _run(pair, auditor)
    gender = result["attributes"][0]
    assert [g["label"] for g in gender["groups"]] == ["man", "woman"]
    assert gender["suppressed"] == 1  # three non-binary people: never shown
    assert [g["people"] for g in gender["groups"]] == [20, 20]
    assert result["flagged"]
    site = result["attributes"][1]
    assert [g["label"] for g in site["groups"]] == ["Pune"] and site["suppressed"] == 1
    run = AuditRun.objects.get()
    assert (run.by, run.measure, run.attributes, run.scope_kind, run.flagged) == (
        auditor, "ack", "gender,site,seniority_band", "service", True)
    assert run.at == NOW and run.groups_suppressed == 2


def test_audit_without_an_effect_is_not_flagged(pair, auditor):
    _audit_data(pair, 1.0)
    assert not _run(pair, auditor, scope_kind="team", scope_id=pair.ops.pk)["flagged"]


def test_only_auditors_run_it(pair, member, org_admin):
    for person in (member, org_admin):
        with pytest.raises(PermissionDenied):
            _run(pair, person)
    assert not AuditRun.objects.exists()


def test_bad_input_names_the_field_and_logs_nothing(pair, auditor):
    with pytest.raises(ValidationError) as err:
        _run(pair, auditor, measure="speed", attributes=["shoe size"], start=dt.date(2026, 5, 1),
             end=dt.date(2026, 1, 1))
    assert set(err.value.message_dict) == {"measure", "attribute", "end"}
    assert not AuditRun.objects.exists()
