"""Back-testing: binomial verdicts per band, AUC and KS with their intervals, vintage counting."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from risk_models.backtesting import (
    ABOVE,
    BELOW,
    WITHIN,
    LoanPerformance,
    Observation,
    auc_with_ci,
    backtest,
    band_tests,
    ks_with_ci,
    months_on_book,
    vintage_curves,
)

D0 = date(2026, 1, 15)


def _band(n: int, defaults: int, pd_: float, tier: str) -> tuple[list[int], list[float],
                                                                 list[str]]:
    return [1] * defaults + [0] * (n - defaults), [pd_] * n, [tier] * n


def _tested(*bands: tuple[list[int], list[float], list[str]]) -> dict[str, dict]:
    y = np.concatenate([b[0] for b in bands])
    pd_ = np.concatenate([b[1] for b in bands])
    tiers = [t for b in bands for t in b[2]]
    basis, rows = band_tests(y, pd_, 700 - 100 * pd_, tiers)
    assert basis == "risk_tier"
    return {r["band"]: r for r in rows}


def test_a_band_defaulting_as_predicted_is_within():
    rows = _tested(_band(1000, 52, 0.05, "low"))
    assert rows["low"]["verdict"] == WITHIN and rows["low"]["p_value"] > 0.05
    assert rows["low"]["realised_rate"] == pytest.approx(0.052)
    assert rows["low"]["predicted_rate"] == pytest.approx(0.05)


def test_a_band_defaulting_twice_as_often_as_predicted_is_above_and_one_far_less_below():
    rows = _tested(_band(1000, 100, 0.05, "low"), _band(500, 20, 0.10, "medium"))
    assert rows["low"]["verdict"] == ABOVE and rows["low"]["p_value"] < 0.001
    assert rows["medium"]["verdict"] == BELOW and rows["medium"]["p_value"] < 0.05
    assert (rows["low"]["n"], rows["low"]["defaults"]) == (1000, 100)


def test_bands_run_from_the_lowest_predicted_rate_up():
    y = np.zeros(30, dtype=int)
    pd_ = np.array([0.3] * 10 + [0.02] * 10 + [0.1] * 10)
    _, rows = band_tests(y, pd_, 700 - 100 * pd_, ["high"] * 10 + ["low"] * 10 + ["mid"] * 10)
    assert [r["band"] for r in rows] == ["low", "mid", "high"]


def test_without_a_tier_on_every_loan_the_bands_are_score_deciles():
    rng = np.random.default_rng(3)
    score = rng.normal(600, 40, 200)
    pd_ = 1 / (1 + np.exp((score - 540) / 30))
    y = (rng.random(200) < pd_).astype(int)
    basis, rows = band_tests(y, pd_, score, ["low"] * 199 + [None])
    assert basis == "score_decile" and len(rows) == 10
    assert all(r["n"] == 20 for r in rows)
    # Lowest predicted PD first: the highest scores, decile 10.
    assert rows[0]["band"] == "decile 10" and rows[-1]["band"] == "decile 1"
    assert rows[0]["min_score"] > rows[-1]["max_score"]


def _brute_force_delong(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    pos, neg = p[y == 1], p[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(psi.mean()), float(np.sqrt(v10.var(ddof=1) / len(pos)
                                            + v01.var(ddof=1) / len(neg)))


def test_auc_is_the_roc_area_with_delongs_standard_error_and_an_interval_around_it():
    rng = np.random.default_rng(7)
    y = (rng.random(400) < 0.2).astype(int)
    # Rounded, so that many PDs tie across the classes.
    p = np.round(np.clip(0.2 + 0.15 * y + rng.normal(0, 0.12, 400), 0.01, 0.99), 2)
    result = auc_with_ci(y, p)
    auc, se = _brute_force_delong(y, p)
    assert result["auc"] == pytest.approx(roc_auc_score(y, p)) == pytest.approx(auc)
    assert result["se"] == pytest.approx(se)
    low, high = result["ci"]
    assert low < result["auc"] < high
    assert high - low == pytest.approx(2 * 1.959964 * se, rel=1e-4)


def test_the_auc_interval_narrows_with_more_loans():
    def width(n: int) -> float:
        rng = np.random.default_rng(1)
        y = (rng.random(n) < 0.3).astype(int)
        low, high = auc_with_ci(y, 0.3 + 0.2 * y + rng.normal(0, 0.2, n))["ci"]
        return high - low

    assert width(4000) < width(400) / 2


def _direct_ks(y: np.ndarray, p: np.ndarray) -> float:
    best = 0.0
    for threshold in np.unique(p):
        bad = np.mean(p[y == 1] <= threshold)
        good = np.mean(p[y == 0] <= threshold)
        best = max(best, abs(bad - good))
    return float(best)


def test_ks_matches_a_direct_computation_and_its_bootstrap_is_fixed_by_the_seed():
    rng = np.random.default_rng(11)
    y = (rng.random(300) < 0.25).astype(int)
    p = np.round(0.2 + 0.2 * y + rng.normal(0, 0.15, 300), 2)
    result = ks_with_ci(y, p, rounds=200, seed=0)
    assert result["ks"] == pytest.approx(_direct_ks(y, p))
    low, high = result["ci"]
    assert low <= result["ks"] <= high
    assert ks_with_ci(y, p, rounds=200, seed=0) == result
    assert ks_with_ci(y, p, rounds=200, seed=1)["ci"] != result["ci"]


def test_one_class_only_has_no_auc_or_ks():
    y, p = np.zeros(50, dtype=int), np.linspace(0.01, 0.5, 50)
    assert auc_with_ci(y, p) == {"auc": None, "se": None, "ci": None}
    assert ks_with_ci(y, p) == {"ks": None, "ci": None}


@pytest.mark.parametrize(("decided", "on", "months"), [
    (date(2026, 1, 15), date(2026, 1, 15), 0),
    (date(2026, 1, 15), date(2026, 2, 14), 0),
    (date(2026, 1, 15), date(2026, 2, 15), 1),
    (date(2026, 1, 31), date(2026, 2, 28), 1),  # the last day of a shorter month
    (date(2025, 11, 20), date(2026, 3, 20), 4),
    (date(2026, 1, 15), date(2026, 1, 1), -1),
])
def test_months_on_book_are_whole_months_elapsed(decided, on, months):
    assert months_on_book(decided, on) == months


def test_a_loan_counts_at_a_month_only_once_observed_that_long():
    january, february = date(2026, 1, 10), date(2026, 2, 10)
    curves = vintage_curves([
        (january, None, date(2026, 4, 10)),  # good, observed to month 3
        (january, date(2026, 3, 10), date(2026, 3, 10)),  # defaulted at month 2, then silent
        (january, None, date(2026, 2, 10)),  # good, observed to month 1
        (february, date(2026, 2, 20), date(2026, 4, 10)),  # defaulted at month 0
    ])
    assert curves["months"] == [0, 1, 2, 3]
    jan, feb = curves["cohorts"]
    assert (jan["cohort"], jan["loans"], feb["cohort"], feb["loans"]) == ("2026-01", 3,
                                                                          "2026-02", 1)
    assert [(c["observed"], c["defaults"]) for c in jan["curve"]] == [(3, 0), (3, 0), (2, 1),
                                                                      (1, 0)]
    assert jan["curve"][2]["cumulative_default_rate"] == pytest.approx(0.5)
    assert [(c["observed"], c["defaults"]) for c in feb["curve"]] == [(1, 1), (1, 1), (1, 1),
                                                                      (0, 0)]
    assert feb["curve"][3]["cumulative_default_rate"] is None


def _loan(pd_: float, tier: str | None, *observations: tuple[date, bool]) -> LoanPerformance:
    return LoanPerformance(D0, 700 - 200 * pd_, pd_, tier,
                           [Observation(on, defaulted) for on, defaulted in observations])


def test_a_loan_defaults_if_any_observation_up_to_the_horizon_says_so():
    loans = [
        _loan(0.1, "low", (date(2026, 2, 28), False), (date(2026, 3, 31), True)),
        _loan(0.1, "low", (date(2026, 2, 28), False), (date(2026, 6, 30), True)),
        _loan(0.1, "low", (date(2026, 4, 30), False)),
        _loan(0.1, "low", (date(2026, 7, 31), False)),  # only observed after the horizon
    ]
    result = backtest(loans, as_of=date(2026, 4, 30), ks_rounds=50)
    assert (result["loans"], result["unobserved"], result["defaults"]) == (3, 1, 1)
    assert result["as_of"] == "2026-04-30" and result["band_basis"] == "risk_tier"
    assert backtest(loans, ks_rounds=50)["defaults"] == 2


def test_a_whole_backtest_is_json_safe_and_reproducible():
    import json

    rng = np.random.default_rng(5)
    loans = []
    for i in range(300):
        pd_ = float(rng.uniform(0.02, 0.4))
        defaulted = bool(rng.random() < pd_)
        decided = date(2025, 1 + i % 12, 1 + i % 28)
        loans.append(LoanPerformance(decided, 700 - 200 * pd_, pd_, None, [
            Observation(date(2026, 3, 31), False),
            Observation(date(2026, 4, 30), defaulted)]))
    result = backtest(loans, ks_rounds=100)
    assert json.loads(json.dumps(result)) == result
    assert result == backtest(loans, ks_rounds=100)
    assert len(result["calibration"]) == 10 and len(result["vintages"]["cohorts"]) == 12
    assert sum(b["n"] for b in result["bands"]) == 300


def test_nothing_observed_is_refused():
    with pytest.raises(ValueError, match="no loan has an observed outcome"):
        backtest([_loan(0.1, "low")])
