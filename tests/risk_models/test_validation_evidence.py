"""The validation evidence stored with a trained scorecard: benchmarks on the same folds,
stability between development and hold-out rows, and counter-intuitive bins."""

from __future__ import annotations

import math

import numpy as np
import pytest

from risk_models.artifact import Characteristic, CompiledScorecard, ScorecardBin, ScoreScaling
from risk_models.expectations import counter_intuitive_bins, load_expectations


@pytest.fixture(scope="module")
def result(default_training):
    return default_training[0]


def test_benchmarks_compare_four_methods_on_the_models_own_first_round_folds(result):
    rows = result.metrics["benchmarks"]
    assert [r["name"] for r in rows] == ["riskdesk scorecard", "optbinning defaults",
                                         "one-hot logistic regression", "gradient boosting"]
    folds = result.params.cv_folds
    # The model's row is its own first CV round, fold for fold.
    assert rows[0]["fold_aucs"] == pytest.approx(result.metrics["cv_fold_aucs"][:folds])
    for row in rows:
        assert len(row["fold_aucs"]) == folds
        assert row["auc"] == pytest.approx(np.mean(row["fold_aucs"]))
        assert row["gini"] == pytest.approx(2 * row["auc"] - 1)
        assert 0.6 < row["auc"] < 0.9 and 0 < row["ks"] < 1


def test_stability_psi_is_the_sum_over_score_bands_of_the_share_shift(result):
    stability = result.metrics["stability"]
    assert stability["comparison"] == "hold-out sample"
    assert stability["development_rows"] + stability["comparison_rows"] == result.metrics["n_rows"]
    bands = stability["score_bins"]
    assert sum(b["development_share"] for b in bands) == pytest.approx(1)
    assert sum(b["comparison_share"] for b in bands) == pytest.approx(1)
    by_hand = sum((b["comparison_share"] - b["development_share"])
                  * math.log(b["comparison_share"] / b["development_share"]) for b in bands)
    assert stability["score_psi"] == pytest.approx(by_hand)
    # A random split of one period: the score and every characteristic are stable.
    assert stability["score_psi"] < 0.10
    assert {c["name"] for c in stability["characteristics"]} >= {"checking_account_status",
                                                                 "credit_history"}
    assert all(0 <= c["csi"] < 0.10 for c in stability["characteristics"])


def test_the_bundled_model_s_known_reversals_are_found_and_explained(result):
    findings = counter_intuitive_bins(result.compiled, result.binning_tables,
                                      load_expectations())
    by_name = {f.characteristic for f in findings}
    # The data's famous oddity: a critical account repays better than a clean history.
    history = [f for f in findings if f.characteristic == "credit_history"]
    assert any(f.riskier_bin.startswith("critical account") for f in history)
    assert all(f.bad_rate > f.riskier_bad_rate for f in findings)
    assert all(f.rationale for f in findings), by_name
    # Characteristics whose bins follow the expected order raise nothing.
    assert not by_name & {"checking_account_status", "savings_account", "duration_months",
                          "housing", "property"}


def _scorecard(kind: str, bins: list[dict]) -> CompiledScorecard:
    characteristic = Characteristic(
        name="x", kind=kind, coefficient=-1.0,
        bins=tuple(ScorecardBin(**b) for b in bins),
        splits=(10.0, 20.0) if kind == "numerical" else ())
    return CompiledScorecard(characteristics=(characteristic,), intercept=0.0,
                             scaling=ScoreScaling(600, 50, 20), metadata={})


def _rows(rates: list[float]) -> dict[str, list[dict]]:
    return {"x": [{"count": 100, "event_rate": r} for r in rates]}


def test_numerical_reversal_is_judged_against_the_declared_direction():
    bins = [{"label": label, "points": 0.0, "woe": 0.0, "kind": "regular", "lower": lo,
             "upper": hi} for label, lo, hi in (("< 10", None, 10.0), ("[10, 20)", 10.0, 20.0),
                                                 (">= 20", 20.0, None))]
    compiled = _scorecard("numerical", bins)
    rising = load_expectations('{"version": "t", "characteristics": {"x": {"expect": '
                               '"ascending", "description": "d"}}}')
    falling = load_expectations('{"version": "t", "characteristics": {"x": {"expect": '
                                '"descending", "description": "d"}}}')
    rates = _rows([0.1, 0.3, 0.2])
    [finding] = counter_intuitive_bins(compiled, rates, rising)
    assert (finding.bin, finding.riskier_bin) == ("[10, 20)", ">= 20")
    assert finding.rationale is None
    [finding] = counter_intuitive_bins(compiled, rates, falling)
    assert (finding.bin, finding.riskier_bin) == ("[10, 20)", "< 10")


def test_categories_are_compared_only_across_expected_groups():
    bins = [{"label": label, "points": 0.0, "woe": 0.0, "kind": "regular",
             "categories": categories}
            for label, categories in (("a, b", ("a", "b")), ("c", ("c",)), ("d", ("d",)))]
    compiled = _scorecard("categorical", bins)
    catalogue = load_expectations('{"version": "t", "characteristics": {"x": {"expect": '
                                  '[["a"], ["b", "c"]], "description": "d", '
                                  '"rationale": "why"}}}')
    # "a, b" spans ranks 0-1 and "c" is rank 1: not wholly safer, so not compared; "d" has
    # no prior at all.
    assert counter_intuitive_bins(compiled, _rows([0.5, 0.1, 0.0]), catalogue) == []
    catalogue = load_expectations('{"version": "t", "characteristics": {"x": {"expect": '
                                  '[["a", "b"], ["c"]], "description": "d", '
                                  '"rationale": "why"}}}')
    [finding] = counter_intuitive_bins(compiled, _rows([0.5, 0.1, 0.0]), catalogue)
    assert (finding.bin, finding.riskier_bin, finding.rationale) == ("a, b", "c", "why")
    assert counter_intuitive_bins(compiled, _rows([0.1, 0.5, 0.0]), catalogue) == []


def test_an_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="ascending, descending"):
        load_expectations('{"version": "t", "characteristics": {"x": {"expect": "up", '
                          '"description": "d"}}}')
