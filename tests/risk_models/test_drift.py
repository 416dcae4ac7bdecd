"""Drift figures from counts: equal to optbinning's ScorecardMonitoring on the same data."""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
from optbinning.scorecard import ScorecardMonitoring

from risk_models.artifact import canonical_json
from risk_models.columns import bad_flag, characteristic_frame, plan_columns
from risk_models.compilation import compile_scorecard
from risk_models.default_model import EXCLUDED, PROTECTED, TARGET, default_training_frame
from risk_models.drift import (
    ACT,
    STABLE,
    TOO_FEW,
    WARN,
    CharacteristicBaseline,
    MonitoringBaseline,
    assess,
    drift_level,
    monitoring_baseline,
    score_bin_indices,
    stability_index,
)
from risk_models.policy import Policy, StabilityRules
from risk_models.scorecard_params import ScorecardParams
from risk_models.scorer import CompiledScorer
from risk_models.stability import PSI_BINS
from risk_models.training import fit_scorecard

TOLERANCE = 1e-9
SPECIAL = -1.0


def _applicants(n: int, rng: np.random.Generator, shift: float) -> pd.DataFrame:
    """Income (with missing values and a special code), age and housing (with missing
    values); ``shift`` moves the population as a live one drifts."""
    income = rng.normal(3000 + 800 * shift, 900, n)
    income[rng.random(n) < 0.08 + 0.1 * shift] = np.nan
    income[rng.random(n) < 0.04] = SPECIAL
    age = rng.integers(18, 75, n).astype(float)
    housing = rng.choice(["own", "rent", "free"], n,
                         p=[0.5 - 0.2 * shift, 0.35 + 0.1 * shift, 0.15 + 0.1 * shift])
    housing = housing.astype(object)
    housing[rng.random(n) < 0.05] = None
    logit = (-1.2 - 0.0006 * (np.nan_to_num(income, nan=2000) - 3000) - 0.02 * (age - 40)
             + (housing == "rent") * 0.6)
    bad = rng.random(n) < 1 / (1 + np.exp(-logit.astype(float)))
    return pd.DataFrame({"income": income, "age": age, "housing": housing,
                         "outcome": np.where(bad, "bad", "good")})


@pytest.fixture(scope="module")
def synthetic() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    development, live = _applicants(3000, rng, 0.0), _applicants(1500, rng, 0.5)
    plan = plan_columns(development, target="outcome")
    params = ScorecardParams(special_codes=(SPECIAL,))
    x_dev, y_dev = characteristic_frame(development, plan), bad_flag(development["outcome"], "bad")
    x_live, y_live = characteristic_frame(live, plan), bad_flag(live["outcome"], "bad")
    scorecard = fit_scorecard(x_dev, y_dev, plan, params)
    compiled = compile_scorecard(scorecard, plan, special_codes=params.special_codes,
                                 metadata={})
    return {"scorecard": scorecard, "compiled": compiled, "x_dev": x_dev, "y_dev": y_dev,
            "x_live": x_live, "y_live": y_live}


def _monitoring(scorecard: Any, x_live: pd.DataFrame, y_live: np.ndarray,
                x_dev: pd.DataFrame, y_dev: np.ndarray) -> ScorecardMonitoring:
    monitor = ScorecardMonitoring(scorecard=scorecard, psi_method="cart", psi_n_bins=PSI_BINS)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        monitor.fit(x_live, y_live, x_dev, y_dev)
    return monitor


def _live_counts(compiled: Any, baseline: MonitoringBaseline, x_live: pd.DataFrame,
                 ) -> tuple[list[int], dict[str, dict[int, int]]]:
    """What the service counts: each live applicant scored as the decision path scores them,
    the score binned at the baseline's splits, and each characteristic's bin index."""
    scorer = CompiledScorer(compiled)
    results = [scorer.score_applicant(row) for row in x_live.to_dict("records")]
    scores = np.array([r.score for r in results])
    score_counts = np.bincount(score_bin_indices(scores, baseline.score_splits),
                               minlength=len(baseline.score_counts)).tolist()
    per_characteristic: dict[str, Counter[int]] = {}
    for result in results:
        for item in result.breakdown:
            per_characteristic.setdefault(item.characteristic, Counter())[item.bin_index] += 1
    return score_counts, {name: dict(c) for name, c in per_characteristic.items()}


def _assert_equal_to_monitoring(scorecard: Any, compiled: Any, x_dev: pd.DataFrame,
                                y_dev: np.ndarray, x_live: pd.DataFrame,
                                y_live: np.ndarray) -> None:
    baseline = monitoring_baseline(scorecard, compiled, x_dev, y_dev)
    score_counts, characteristic_counts = _live_counts(compiled, baseline, x_live)
    assessment = assess(baseline, score_counts, characteristic_counts, StabilityRules())
    monitor = _monitoring(scorecard, x_live, y_live, x_dev, y_dev)

    table = monitor.psi_table()
    assert assessment.score_psi == pytest.approx(table.loc["Totals", "PSI"], abs=TOLERANCE)
    bins = table.drop(index="Totals")
    assert list(baseline.score_counts) == bins["Count E"].astype(int).tolist()
    assert score_counts == bins["Count A"].astype(int).tolist()
    expected_csi = monitor.psi_variable_table(style="summary").set_index("Variable")["PSI"]
    ours = {row["name"]: row["csi"] for row in assessment.detail["characteristics"]}
    assert set(ours) == set(expected_csi.index)
    for name, csi in ours.items():
        assert csi == pytest.approx(expected_csi[name], abs=TOLERANCE), name


def test_score_psi_and_every_csi_equal_scorecard_monitoring_with_special_and_missing(synthetic):
    _assert_equal_to_monitoring(synthetic["scorecard"], synthetic["compiled"],
                                synthetic["x_dev"], synthetic["y_dev"], synthetic["x_live"],
                                synthetic["y_live"])


def test_the_figures_are_not_zero_so_the_comparison_can_tell(synthetic):
    baseline = monitoring_baseline(synthetic["scorecard"], synthetic["compiled"],
                                   synthetic["x_dev"], synthetic["y_dev"])
    score_counts, characteristic_counts = _live_counts(synthetic["compiled"], baseline,
                                                       synthetic["x_live"])
    assessment = assess(baseline, score_counts, characteristic_counts, StabilityRules())
    assert assessment.score_psi is not None and assessment.score_psi > 0.01
    assert assessment.worst_csi is not None and assessment.worst_csi > 0.1


def test_the_default_models_figures_equal_scorecard_monitoring_on_german_data(training_result):
    frame, _ = default_training_frame()
    plan = plan_columns(frame, target=TARGET, exclude=EXCLUDED, protected=PROTECTED)
    x_dev, y_dev = characteristic_frame(frame, plan), bad_flag(frame[TARGET], "bad")
    # A live population of longer, larger loans: the German rows resampled towards them.
    weights = frame["duration_months"].to_numpy(dtype=float) ** 2
    rows = np.random.default_rng(3).choice(len(frame), size=2000, p=weights / weights.sum())
    x_live, y_live = x_dev.iloc[rows].reset_index(drop=True), y_dev[rows]
    _assert_equal_to_monitoring(training_result.estimator, training_result.compiled, x_dev,
                                y_dev, x_live, y_live)


def test_training_records_the_final_scorecards_baseline(training_result):
    baseline = training_result.monitoring_baseline
    assert baseline is not None
    assert baseline.development_rows == training_result.metrics["n_rows"]
    assert sum(baseline.score_counts) == baseline.development_rows
    assert [c.name for c in baseline.characteristics] == training_result.features
    for spec, recorded in zip(training_result.compiled.characteristics,
                              baseline.characteristics, strict=True):
        assert recorded.labels == tuple(b.label for b in spec.bins)
        assert sum(recorded.counts) == baseline.development_rows


def test_the_baseline_splits_are_scorecard_monitorings(synthetic):
    baseline = monitoring_baseline(synthetic["scorecard"], synthetic["compiled"],
                                   synthetic["x_dev"], synthetic["y_dev"])
    monitor = _monitoring(synthetic["scorecard"], synthetic["x_dev"], synthetic["y_dev"],
                          synthetic["x_dev"], synthetic["y_dev"])
    assert list(baseline.score_splits) == monitor.psi_splits.tolist()
    assert len(baseline.score_counts) <= PSI_BINS


def test_the_baseline_round_trips_through_canonical_json(synthetic):
    baseline = monitoring_baseline(synthetic["scorecard"], synthetic["compiled"],
                                   synthetic["x_dev"], synthetic["y_dev"])
    assert MonitoringBaseline.from_dict(json.loads(canonical_json(baseline.to_dict()))) == baseline


def test_an_unknown_baseline_format_is_refused(synthetic):
    data = monitoring_baseline(synthetic["scorecard"], synthetic["compiled"],
                               synthetic["x_dev"], synthetic["y_dev"]).to_dict()
    with pytest.raises(ValueError, match="format"):
        MonitoringBaseline.from_dict({**data, "format": 99})


def _baseline(score_counts: list[int], characteristic_counts: list[int],
              kinds: list[str] | None = None) -> MonitoringBaseline:
    kinds = kinds or ["regular"] * (len(characteristic_counts) - 2) + ["special", "missing"]
    return MonitoringBaseline(
        development_rows=sum(score_counts),
        score_splits=tuple(float(500 + 10 * i) for i in range(len(score_counts) - 1)),
        score_counts=tuple(score_counts),
        characteristics=(CharacteristicBaseline(
            name="duration_months", labels=tuple(f"bin {i}" for i in range(len(kinds))),
            kinds=tuple(kinds), counts=tuple(characteristic_counts)),))


def test_a_live_bin_left_empty_makes_the_index_infinite_and_acts():
    baseline = _baseline([100, 100, 100], [150, 150, 0, 0])
    assessment = assess(baseline, [200, 100, 0], {"duration_months": {0: 150, 1: 150}},
                        StabilityRules())
    assert math.isinf(assessment.score_psi or 0.0)
    assert assessment.level == ACT
    crossing = assessment.crossings[0]
    assert (crossing.metric, crossing.level, crossing.threshold) == ("score", ACT, 0.25)
    assert crossing.to_dict()["value"] is None  # JSON has no infinity
    assert assessment.detail["score"] == {**assessment.detail["score"], "psi": None,
                                          "infinite": True}
    json.dumps(assessment.detail, allow_nan=False)


def test_a_bin_empty_on_both_sides_adds_nothing():
    with_empty = stability_index([50, 0, 50], [40, 0, 60])
    without = stability_index([50, 50], [40, 60])
    assert math.isnan(with_empty.contributions[1])
    assert with_empty.value == pytest.approx(without.value, abs=TOLERANCE)


def test_special_and_missing_are_compared_as_part_of_the_first_bin():
    baseline = _baseline([100, 100], [80, 100, 10, 10])
    # Live: the same regular shares, the missing rows moved into the first bin's place.
    moved = assess(baseline, [100, 100], {"duration_months": {0: 100, 1: 100}},
                   StabilityRules())
    assert moved.detail["characteristics"][0]["csi"] == pytest.approx(0.0, abs=TOLERANCE)


def test_live_rows_beyond_the_last_filled_development_bin_are_counted_not_compared():
    baseline = _baseline([100, 100], [100, 100, 0, 0, 0], ["regular"] * 3 + ["special",
                                                                             "missing"])
    assessment = assess(baseline, [100, 100],
                        {"duration_months": {0: 90, 1: 90, 2: 20}}, StabilityRules())
    row = assessment.detail["characteristics"][0]
    assert row["live_rows"] == 200 and row["live_rows_not_compared"] == 20
    assert row["csi"] == pytest.approx(0.0, abs=TOLERANCE)


def test_too_few_live_rows_is_level_too_few_without_any_index():
    baseline = _baseline([100, 100], [100, 100, 0, 0])
    assessment = assess(baseline, [90, 0], {"duration_months": {0: 90}}, StabilityRules())
    assert assessment.level == TOO_FEW
    assert assessment.score_psi is None and assessment.worst_csi is None
    assert assessment.crossings == ()


@pytest.mark.parametrize(("value", "level"), [(0.0, STABLE), (0.0999, STABLE), (0.1, WARN),
                                              (0.2499, WARN), (0.25, ACT), (math.inf, ACT)])
def test_levels_follow_the_default_thresholds(value, level):
    assert drift_level([0.01, value], StabilityRules()) == level


def test_levels_follow_the_policys_own_thresholds():
    strict = StabilityRules(warn=0.02, act=0.05)
    assert drift_level([0.03], strict) == WARN
    assert drift_level([0.06], strict) == ACT
    baseline = _baseline([100, 100], [100, 100, 0, 0])
    assessment = assess(baseline, [110, 90], {"duration_months": {0: 100, 1: 100}}, strict)
    assert assessment.level == STABLE  # score PSI about 0.01
    assert assessment.score_psi is not None and assessment.score_psi < 0.02


# --- The policy's stability section ---------------------------------------------------------------


def test_the_default_policy_states_its_stability_thresholds(default_policy):
    assert default_policy.to_dict()["stability"] == {"warn": 0.1, "act": 0.25}


def test_stability_thresholds_round_trip_through_the_policy(default_policy):
    body = {**default_policy.to_dict(), "version": "strict-1",
            "stability": {"warn": 0.05, "act": 0.2}}
    policy = Policy.from_json(canonical_json(body))
    assert policy.stability_rules == StabilityRules(warn=0.05, act=0.2)
    assert Policy.from_json(policy.to_json()).sha256 == policy.sha256
    assert json.loads(policy.to_json())["stability"] == {"warn": 0.05, "act": 0.2}


def test_a_policy_stored_before_stability_keeps_its_body_and_gets_the_defaults(default_policy):
    older = {k: v for k, v in default_policy.to_dict().items() if k != "stability"}
    stored = canonical_json(older)
    policy = Policy.from_json(stored)
    assert policy.stability is None
    assert policy.stability_rules == StabilityRules(warn=0.10, act=0.25)
    assert policy.to_json() == stored  # so its sha256 is the one recorded


@pytest.mark.parametrize("thresholds", [{"warn": 0.25, "act": 0.25}, {"warn": 0.3, "act": 0.2},
                                        {"warn": 0.0, "act": 0.25}, {"warn": -0.1, "act": 0.2},
                                        {"warn": 0.1, "act": float("inf")}, {"warn": 0.1}])
def test_unsound_stability_thresholds_are_refused(default_policy, thresholds):
    body = {**default_policy.to_dict(), "stability": thresholds}
    with pytest.raises((ValueError, KeyError)):
        Policy.from_dict(body)
