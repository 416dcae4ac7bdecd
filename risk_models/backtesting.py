"""Back-testing a PD model against observed loan outcomes: realised against predicted default
rates by band, discrimination with confidence intervals, calibration and vintage curves.

Pure computation on plain records; the service reads them from the database.

Conventions
-----------
* **Outcome of a loan.** A loan is *defaulted* when any of its observations up to ``as_of``
  says so, dated by the first such observation; it is *good* when its latest observation up
  to ``as_of`` is not in default. A loan with no observation up to ``as_of`` is left out.
* **Bands.** The policy's risk tiers when every loan's decision carries one, else score deciles
  (equal-count groups of the ranked scores). Bands run from the lowest mean predicted PD up.
* **Binomial test per band.** The band's defaults against ``n`` draws at the band's mean
  predicted PD (``scipy.stats.binomtest``, two-sided). At the 5 % level the verdict is
  ``above`` or ``below`` when the realised rate differs significantly from the predicted one,
  else ``within``.
* **AUC** of the predicted PD against the default flag, with DeLong's variance (placement
  values with mid-ranks for ties) and a normal interval clipped to [0, 1].
* **KS** as :func:`risk_models.evaluation.ks_statistic`, with a percentile interval from a
  stratified bootstrap (defaulted and good loans resampled separately, so every resample has
  both) of ``ks_rounds`` rounds under a fixed ``seed``: the same loans give the same interval.
* **Vintages.** A loan's cohort is the month of its decision. Months on book at a date are the
  whole months elapsed since the decision (decided 15 January: 14 February is month 0,
  15 February month 1). At month ``m``, a loan counts in a cohort's denominator only when it
  has been observed at or beyond ``m`` (its latest observation is at month ``m`` or later), and
  in the numerator when it also has a default first observed at or before ``m``. A loan that
  defaulted and stopped being observed leaves the later months' denominators with its default,
  so servicers should keep reporting a defaulted loan every month.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm

from risk_models.evaluation import calibration_table, ks_statistic

__all__ = [
    "ABOVE",
    "BELOW",
    "SIGNIFICANCE",
    "WITHIN",
    "LoanPerformance",
    "Observation",
    "auc_with_ci",
    "backtest",
    "band_tests",
    "ks_with_ci",
    "months_on_book",
    "vintage_curves",
]

WITHIN, ABOVE, BELOW = "within", "above", "below"
SIGNIFICANCE = 0.05
SCORE_DECILES = 10
KS_ROUNDS = 1000
AUC_METHOD = "DeLong variance, normal interval"
KS_METHOD = "stratified percentile bootstrap"


@dataclass(frozen=True)
class Observation:
    """What a servicer saw of a loan on one date: in default or not."""

    observed_on: date
    defaulted: bool


@dataclass(frozen=True)
class LoanPerformance:
    """A loan's prediction at decision and its observations since.

    Parameters
    ----------
    decided_on : date
        The day of the model's decision (the loan's cohort and month 0 on book).
    score : float
        The scorecard's points.
    probability_of_default : float
        The predicted PD.
    risk_tier : str or None
        The policy's risk tier of the decision, when it had one.
    observations : sequence of Observation
        In any order.
    """

    decided_on: date
    score: float
    probability_of_default: float
    risk_tier: str | None
    observations: Sequence[Observation]


@dataclass(frozen=True)
class _Outcome:
    loan: LoanPerformance
    defaulted: bool
    first_default_on: date | None
    last_observed_on: date


def _outcome(loan: LoanPerformance, as_of: date | None) -> _Outcome | None:
    seen = sorted((o for o in loan.observations if as_of is None or o.observed_on <= as_of),
                  key=lambda o: o.observed_on)
    if not seen:
        return None
    defaults = [o.observed_on for o in seen if o.defaulted]
    return _Outcome(loan, bool(defaults), defaults[0] if defaults else None, seen[-1].observed_on)


def months_on_book(decided_on: date, on: date) -> int:
    """Whole months elapsed from ``decided_on`` to ``on`` (negative before the decision).

    Parameters
    ----------
    decided_on, on : date

    Returns
    -------
    int
        ``0`` until the same day of the next month, ``1`` from then, and so on. A decision on
        the 31st reaches its next month on the last day of a shorter month.
    """
    months = (on.year - decided_on.year) * 12 + on.month - decided_on.month
    if on.day < decided_on.day and not _last_day_of_month(on):
        months -= 1
    return months


def _last_day_of_month(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


# --- Bands and binomial tests -----------------------------------------------------------------


def _verdict(defaults: int, n: int, predicted: float, p_value: float) -> str:
    if p_value >= SIGNIFICANCE:
        return WITHIN
    return ABOVE if defaults / n > predicted else BELOW


def band_tests(y_bad: np.ndarray, probability_of_default: np.ndarray, score: np.ndarray,
               risk_tier: Sequence[str | None]) -> tuple[str, list[dict[str, Any]]]:
    """Realised against predicted default rate per band, each with a binomial test.

    Parameters
    ----------
    y_bad : array of 0/1
        1 where the loan defaulted.
    probability_of_default, score : array of float
        The predictions at decision.
    risk_tier : sequence of str or None
        Each loan's risk tier; bands are the tiers when none is missing, else score deciles.

    Returns
    -------
    basis : str
        ``"risk_tier"`` or ``"score_decile"``.
    bands : list of dict
        From the lowest mean predicted PD up: ``band``, ``n``, ``defaults``, ``realised_rate``,
        ``predicted_rate`` (the band's mean PD), ``p_value`` (two-sided binomial test),
        ``verdict`` (``within``, ``above`` or ``below`` at 5 %), ``min_score`` and
        ``max_score``.
    """
    frame = pd.DataFrame({"y": np.asarray(y_bad, dtype=int),
                          "pd": np.asarray(probability_of_default, dtype=float),
                          "score": np.asarray(score, dtype=float)})
    tiers = list(risk_tier)
    if tiers and all(t is not None for t in tiers):
        basis = "risk_tier"
        frame["band"] = [str(t) for t in tiers]
    else:
        basis = "score_decile"
        # Ranking first keeps the groups equal in size when scores tie; decile 1 holds the
        # lowest scores.
        ranks = frame["score"].rank(method="first")
        decile = pd.qcut(ranks, q=min(SCORE_DECILES, len(frame)), labels=False) + 1
        frame["band"] = [f"decile {int(d)}" for d in decile]
    bands = []
    for label, part in frame.groupby("band", sort=False):
        n, defaults = len(part), int(part["y"].sum())
        predicted = float(np.clip(part["pd"].mean(), 0.0, 1.0))
        p_value = float(binomtest(defaults, n, predicted).pvalue)
        bands.append({"band": str(label), "n": n, "defaults": defaults,
                      "realised_rate": defaults / n, "predicted_rate": predicted,
                      "p_value": p_value, "verdict": _verdict(defaults, n, predicted, p_value),
                      "min_score": float(part["score"].min()),
                      "max_score": float(part["score"].max())})
    bands.sort(key=lambda b: (b["predicted_rate"], b["band"]))
    return basis, bands


# --- Discrimination -------------------------------------------------------------------------


def _placements(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's placement values: for each positive, the share of negatives it outranks (ties
    count a half), and for each negative, the share of positives that outrank it."""
    both = np.concatenate([positives, negatives])
    ranks = pd.Series(both).rank(method="average").to_numpy()
    m, n = len(positives), len(negatives)
    within_pos = pd.Series(positives).rank(method="average").to_numpy()
    within_neg = pd.Series(negatives).rank(method="average").to_numpy()
    v10 = (ranks[:m] - within_pos) / n
    v01 = 1.0 - (ranks[m:] - within_neg) / m
    return v10, v01


def auc_with_ci(y_bad: np.ndarray, probability_of_default: np.ndarray,
                level: float = 0.95) -> dict[str, Any]:
    """AUC of predicted PD against defaults, with DeLong's confidence interval.

    Parameters
    ----------
    y_bad : array of 0/1
    probability_of_default : array of float
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict
        ``auc``, ``se`` and ``ci`` (``[low, high]``, clipped to [0, 1]); all ``None`` when the
        loans are all defaulted or all good.
    """
    y = np.asarray(y_bad, dtype=int)
    p = np.asarray(probability_of_default, dtype=float)
    positives, negatives = p[y == 1], p[y == 0]
    if not len(positives) or not len(negatives):
        return {"auc": None, "se": None, "ci": None}
    v10, v01 = _placements(positives, negatives)
    auc = float(v10.mean())
    # One loan on a side has no variance of its own to estimate: count it as none.
    variance = (float(v10.var(ddof=1)) / len(v10) if len(v10) > 1 else 0.0) + (
        float(v01.var(ddof=1)) / len(v01) if len(v01) > 1 else 0.0)
    se = float(np.sqrt(variance))
    z = float(norm.ppf(0.5 + level / 2))
    return {"auc": auc, "se": se,
            "ci": [max(0.0, auc - z * se), min(1.0, auc + z * se)]}


def ks_with_ci(y_bad: np.ndarray, probability_of_default: np.ndarray, *,
               rounds: int = KS_ROUNDS, seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """KS of predicted PD between defaulted and good loans, with a bootstrap interval.

    Parameters
    ----------
    y_bad : array of 0/1
    probability_of_default : array of float
    rounds : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling: the same loans give the same interval.
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict
        ``ks`` and ``ci`` (``[low, high]``, percentiles of the resampled KS); ``None`` when the
        loans are all defaulted or all good.
    """
    y = np.asarray(y_bad, dtype=int)
    p = np.asarray(probability_of_default, dtype=float)
    bads, goods = p[y == 1], p[y == 0]
    if not len(bads) or not len(goods):
        return {"ks": None, "ci": None}
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.ones(len(bads), dtype=int), np.zeros(len(goods), dtype=int)])
    resampled = np.empty(rounds)
    for i in range(rounds):
        sample = np.concatenate([rng.choice(bads, len(bads)), rng.choice(goods, len(goods))])
        resampled[i] = ks_statistic(labels, sample)
    tail = (1 - level) / 2 * 100
    low, high = (float(v) for v in np.percentile(resampled, [tail, 100 - tail]))
    return {"ks": ks_statistic(y, p), "ci": [low, high]}


# --- Vintages ---------------------------------------------------------------------------------


def vintage_curves(outcomes: Sequence[tuple[date, date | None, date]]) -> dict[str, Any]:
    """Cumulative default rate by months on book for each cohort of decision month.

    Parameters
    ----------
    outcomes : sequence of (decided_on, first_default_on or None, last_observed_on)
        One per loan.

    Returns
    -------
    dict
        ``months`` (``0`` to the latest month on book observed) and ``cohorts``, one per
        decision month (``"YYYY-MM"``, oldest first): ``cohort``, ``loans`` and ``curve``, a
        row per month of ``month``, ``observed`` (the denominator), ``defaults`` and
        ``cumulative_default_rate`` (``None`` where no loan has been observed that long). See
        the module's conventions.
    """
    rows = [(f"{d:%Y-%m}", months_on_book(d, last),
             None if first is None else months_on_book(d, first)) for d, first, last in outcomes]
    horizon = max((last for _, last, _ in rows), default=-1)
    months = list(range(horizon + 1))
    cohorts = []
    for cohort in sorted({c for c, _, _ in rows}):
        members = [(last, first) for c, last, first in rows if c == cohort]
        curve = []
        for m in months:
            observed = [first for last, first in members if last >= m]
            defaults = sum(1 for first in observed if first is not None and first <= m)
            curve.append({"month": m, "observed": len(observed), "defaults": defaults,
                          "cumulative_default_rate": defaults / len(observed) if observed
                          else None})
        cohorts.append({"cohort": cohort, "loans": len(members), "curve": curve})
    return {"months": months, "cohorts": cohorts}


# --- The whole back-test ----------------------------------------------------------------------


def backtest(loans: Sequence[LoanPerformance], *, as_of: date | None = None,
             level: float = 0.95, ks_rounds: int = KS_ROUNDS, seed: int = 0) -> dict[str, Any]:
    """Back-test predictions against the outcomes observed up to ``as_of``.

    Parameters
    ----------
    loans : sequence of LoanPerformance
        The loans of the window; those without an observation up to ``as_of`` are counted in
        ``unobserved`` and otherwise left out.
    as_of : date, optional
        Observations after this day are ignored (the horizon); all of them when omitted.
    level : float
        Confidence level of the AUC and KS intervals.
    ks_rounds, seed : int
        The KS bootstrap's resamples and seed.

    Returns
    -------
    dict
        JSON-safe: ``loans`` (observed), ``unobserved``, ``defaults``, ``default_rate``,
        ``predicted_rate`` (mean PD), ``band_basis`` and ``bands`` (:func:`band_tests`),
        ``discrimination`` (``auc``, ``auc_ci``, ``ks``, ``ks_ci``, ``level`` and the methods),
        ``calibration`` (by PD decile, :func:`risk_models.evaluation.calibration_table`) and
        ``vintages`` (:func:`vintage_curves`).

    Raises
    ------
    ValueError
        When no loan has an observation up to ``as_of``.
    """
    outcomes = [o for o in (_outcome(loan, as_of) for loan in loans) if o is not None]
    if not outcomes:
        raise ValueError("no loan has an observed outcome to back-test against")
    y = np.array([int(o.defaulted) for o in outcomes])
    pd_hat = np.array([o.loan.probability_of_default for o in outcomes], dtype=float)
    score = np.array([o.loan.score for o in outcomes], dtype=float)
    basis, bands = band_tests(y, pd_hat, score, [o.loan.risk_tier for o in outcomes])
    auc = auc_with_ci(y, pd_hat, level)
    ks = ks_with_ci(y, pd_hat, rounds=ks_rounds, seed=seed, level=level)
    return {
        "as_of": None if as_of is None else as_of.isoformat(),
        "loans": len(outcomes),
        "unobserved": len(loans) - len(outcomes),
        "defaults": int(y.sum()),
        "default_rate": float(y.mean()),
        "predicted_rate": float(pd_hat.mean()),
        "band_basis": basis,
        "bands": bands,
        "discrimination": {
            "auc": auc["auc"], "auc_ci": auc["ci"], "auc_method": AUC_METHOD,
            "ks": ks["ks"], "ks_ci": ks["ci"],
            "ks_method": f"{KS_METHOD}, {ks_rounds} rounds, seed {seed}", "level": level},
        "calibration": calibration_table(y, pd_hat, score),
        "vintages": vintage_curves([(o.loan.decided_on, o.first_default_on, o.last_observed_on)
                                    for o in outcomes]),
    }
