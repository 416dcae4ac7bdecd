"""Fairness audit figures checked against independent pandas/scipy/sklearn computations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact
from sklearn.metrics import roc_auc_score

from compliance.fairness import FOUR_FIFTHS_CAVEAT, FairnessThresholds, audit_fairness

ROOT = Path(__file__).resolve().parents[2]
DATA_CANDIDATES = [
    ROOT / "risk_models/data/german_credit.csv",
    ROOT.parent / "shared/data/german_credit.csv",
]
ATTRIBUTES = {"sex": "Sex", "age_band": "Age band", "national_origin": "National origin"}


def _german() -> pd.DataFrame:
    path = next((p for p in DATA_CANDIDATES if p.exists()), None)
    if path is None:
        pytest.skip("german_credit.csv not found")
    raw = pd.read_csv(path)
    # Groups derived here with plain pandas, independently of compliance.fairness_groups.
    sex = raw["personal_status_sex"].str.split(":").str[0].str.strip()
    age = pd.cut(
        raw["age_years"],
        bins=[0, 25, 40, 60, 200],
        right=False,
        labels=["under 25", "25-39", "40-59", "60 and over"],
    )
    return pd.DataFrame(
        {
            "sex": sex,
            "age_band": age,
            "national_origin": raw["foreign_worker"].map({"yes": "foreign", "no": "domestic"}),
            "approved": raw["duration_months"] <= 24,
            "score": 700 - 4 * raw["duration_months"] - raw["credit_amount"] / 500,
            "y_good": (raw["outcome"] == "good").astype(int),
        }
    )


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    return _german()


@pytest.fixture(scope="module")
def audit(german: pd.DataFrame) -> dict:
    return audit_fairness(
        german, attributes=ATTRIBUTES, intersections=[("sex", "age_band")], n_boot=300, seed=7
    )


def _attribute(result: dict, name: str) -> dict:
    return next(a for a in result["attributes"] if a["name"] == name)


def _group(result: dict, name: str, group: str) -> dict:
    return next(g for g in _attribute(result, name)["groups"] if g["group"] == group)


@pytest.mark.parametrize("name", list(ATTRIBUTES))
def test_approval_rates_and_counts_match_pandas(german, audit, name):
    expected = german.groupby(name, observed=True)["approved"].agg(["mean", "size", "sum"])
    for group, row in expected.iterrows():
        got = _group(audit, name, str(group))
        assert got["count"] == row["size"]
        assert got["approved"] == row["sum"]
        assert got["approval_rate"] == pytest.approx(row["mean"], abs=5e-5)


@pytest.mark.parametrize("name", list(ATTRIBUTES))
def test_air_is_rate_over_most_favoured_rate_with_fisher_p(german, audit, name):
    rates = german.groupby(name, observed=True)["approved"].agg(["mean", "size", "sum"])
    best = rates["mean"].idxmax()
    assert _attribute(audit, name)["most_favoured_group"] == str(best)
    for group, row in rates.drop(index=best).iterrows():
        ref = rates.loc[best]
        table = [[row["sum"], row["size"] - row["sum"]], [ref["sum"], ref["size"] - ref["sum"]]]
        got = _group(audit, name, str(group))
        assert got["air_vs_most_favoured"] == pytest.approx(row["mean"] / ref["mean"], abs=5e-5)
        assert got["fisher_p_vs_most_favoured"] == pytest.approx(
            fisher_exact(table).pvalue, rel=1e-3
        )


def test_demographic_parity_difference_and_ratio_span_group_rates(german, audit):
    rates = german.groupby("age_band", observed=True)["approved"].mean()
    attribute = _attribute(audit, "age_band")
    assert attribute["demographic_parity_difference"] == pytest.approx(
        rates.max() - rates.min(), abs=5e-5
    )
    assert attribute["demographic_parity_ratio"] == pytest.approx(
        rates.min() / rates.max(), abs=5e-5
    )


def test_tpr_and_fpr_are_approval_rates_among_goods_and_bads(german, audit):
    for group, rows in german.groupby("sex"):
        got = _group(audit, "sex", group)
        assert got["tpr"] == pytest.approx(rows.loc[rows.y_good == 1, "approved"].mean(), abs=5e-5)
        assert got["fpr"] == pytest.approx(rows.loc[rows.y_good == 0, "approved"].mean(), abs=5e-5)


def test_equalized_odds_difference_is_largest_tpr_or_fpr_gap(german, audit):
    tpr = german[german.y_good == 1].groupby("sex")["approved"].mean()
    fpr = german[german.y_good == 0].groupby("sex")["approved"].mean()
    expected = max(tpr.max() - tpr.min(), fpr.max() - fpr.min())
    assert _attribute(audit, "sex")["equalized_odds_difference"] == pytest.approx(
        expected, abs=5e-5
    )


def test_smd_uses_pooled_standard_deviation_against_reference(german, audit):
    reference = _attribute(audit, "national_origin")["reference_group"]
    ref = german.loc[german.national_origin == reference, "score"]
    other = german.loc[german.national_origin != reference, "score"]
    pooled = math.sqrt(
        ((len(other) - 1) * other.var() + (len(ref) - 1) * ref.var()) / (len(other) + len(ref) - 2)
    )
    other_group = "domestic" if reference == "foreign" else "foreign"
    got = _group(audit, "national_origin", other_group)["smd_vs_reference"]
    assert got == pytest.approx((other.mean() - ref.mean()) / pooled, abs=5e-5)


def test_auc_per_group_matches_sklearn(german, audit):
    for group, rows in german.groupby("sex"):
        expected = roc_auc_score(rows["y_good"], rows["score"])
        assert _group(audit, "sex", group)["auc"] == pytest.approx(expected, abs=5e-5)


def test_intersection_groups_count_each_combination(german, audit):
    counts = german.groupby(["sex", "age_band"], observed=True).size()
    attribute = _attribute(audit, "sex*age_band")
    assert attribute["label"] == "Sex × Age band"
    got = {g["group"]: g["count"] for g in attribute["groups"]}
    assert got == {f"{s} / {a}": int(n) for (s, a), n in counts.items()}


def test_age_bands_keep_their_natural_order(audit):
    groups = [g["group"] for g in _attribute(audit, "age_band")["groups"]]
    assert groups == ["under 25", "25-39", "40-59", "60 and over"]


def test_flag_needs_low_air_and_significant_fisher_test(german, audit):
    for flag in audit["flags"]:
        assert flag["air"] < 0.8 and flag["p_value"] < 0.05
    lenient = audit_fairness(
        german, attributes=ATTRIBUTES, n_boot=0, thresholds=FairnessThresholds(max_p_value=1e-9)
    )
    assert audit["flags"] and not lenient["flags"]


def test_small_groups_are_marked_and_never_flagged():
    frame = pd.DataFrame(
        {
            "group": ["big"] * 200 + ["tiny"] * 10,
            "approved": [True] * 180 + [False] * 20 + [False] * 10,
        }
    )
    result = audit_fairness(frame, attributes=["group"], score_col=None, outcome_col=None)
    tiny = _group(result, "group", "tiny")
    assert tiny["too_small_to_judge"] and tiny["air_vs_most_favoured"] == 0.0
    assert not tiny["flagged"] and result["flags"] == []


def test_most_favoured_group_ignores_groups_too_small_to_judge():
    frame = pd.DataFrame(
        {
            "group": ["a"] * 100 + ["b"] * 100 + ["c"] * 5,
            "approved": [True] * 90 + [False] * 10 + [True] * 50 + [False] * 50 + [True] * 5,
        }
    )
    result = audit_fairness(frame, attributes=["group"], score_col=None, outcome_col=None)
    assert _attribute(result, "group")["most_favoured_group"] == "a"


def test_given_reference_group_is_used_for_air_and_smd(german):
    result = audit_fairness(german, attributes=["sex"], reference_groups={"sex": "male"}, n_boot=0)
    rates = german.groupby("sex")["approved"].mean()
    female = _group(result, "sex", "female")
    assert _attribute(result, "sex")["reference_group"] == "male"
    assert female["air_vs_reference"] == pytest.approx(rates["female"] / rates["male"], abs=5e-5)


def test_unknown_reference_group_is_rejected(german):
    with pytest.raises(ValueError, match="reference group"):
        audit_fairness(german, attributes=["sex"], reference_groups={"sex": "other"}, n_boot=0)


def test_same_seed_gives_identical_result(german):
    first = audit_fairness(german, attributes=ATTRIBUTES, n_boot=100, seed=3)
    again = audit_fairness(german, attributes=ATTRIBUTES, n_boot=100, seed=3)
    other = audit_fairness(german, attributes=ATTRIBUTES, n_boot=100, seed=4)
    assert first == again
    assert first != other


def test_bootstrap_interval_of_a_rate_has_binomial_width(german, audit):
    male = _group(audit, "sex", "male")
    p, n = male["approval_rate"], male["count"]
    low, high = male["approval_rate_ci"]
    assert low < p < high
    assert high - low == pytest.approx(2 * 1.96 * math.sqrt(p * (1 - p) / n), rel=0.25)


def test_unknown_outcomes_are_left_out_of_error_rates_and_auc(german):
    frame = german.copy()
    frame["y_good"] = frame["y_good"].astype(object)
    frame.loc[frame.index % 3 == 0, "y_good"] = None
    result = audit_fairness(frame, attributes=["sex"], n_boot=0)
    known = frame[frame.y_good.notna()]
    for group, rows in known.groupby("sex"):
        y = rows.y_good.astype(int)
        got = _group(result, "sex", group)
        assert got["outcome_known"] == len(rows)
        assert got["count"] == int((frame.sex == group).sum())
        assert got["tpr"] == pytest.approx(rows.loc[y == 1, "approved"].mean(), abs=5e-5)
        assert got["auc"] == pytest.approx(roc_auc_score(y, rows["score"]), abs=5e-5)


def test_missing_attribute_values_form_their_own_group(german):
    frame = german.copy()
    frame["sex"] = frame["sex"].astype(object)
    frame.loc[:4, "sex"] = None
    result = audit_fairness(frame, attributes=["sex"], n_boot=0)
    assert _group(result, "sex", "(missing)")["count"] == 5


def test_result_is_strict_json_with_the_four_fifths_caveat(audit):
    text = json.dumps(audit, allow_nan=False)
    assert json.loads(text) == audit
    assert audit["caveat"] == FOUR_FIFTHS_CAVEAT
    assert "screening heuristic" in audit["caveat"] and "not a legal test" in audit["caveat"]


def test_outcome_values_other_than_zero_or_one_are_rejected(german):
    frame = german.assign(y_good=np.where(german.y_good == 1, 1, 2))
    with pytest.raises(ValueError, match="must be 1"):
        audit_fairness(frame, attributes=["sex"], n_boot=0)


def test_an_attribute_with_one_group_or_a_single_decision_is_reported_not_failed():
    # Everyone's marital status "not provided", and a period with one decision: ordinary
    # data, which an audit describes rather than fails on.
    frame = pd.DataFrame({"approved": [True], "sex": ["female"],
                          "marital_status": ["not_provided"], "score": [600.0]})
    result = audit_fairness(frame, attributes={"sex": "Sex", "marital_status": "Marital status"},
                            favourable_col="approved", outcome_col=None, score_col="score",
                            n_boot=10)
    assert result["overall"]["count"] == 1
    assert [[(g["group"], g["count"]) for g in a["groups"]] for a in result["attributes"]] == [
        [("female", 1)], [("not_provided", 1)]]
    assert result["flagged"] is False
