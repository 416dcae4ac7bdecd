"""Discrimination and calibration measures of a probability-of-default model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def roc_auc(y_bad: np.ndarray, probability_of_default: np.ndarray) -> float:
    """Area under the ROC curve of PD against the observed bad flag."""
    return float(roc_auc_score(y_bad, probability_of_default))


def ks_statistic(y_bad: np.ndarray, probability_of_default: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between the PD distributions of bad and good rows.

    Evaluated at every distinct PD, so ties never split between the two sides.
    """
    y = np.asarray(y_bad, dtype=int)
    p = np.asarray(probability_of_default, dtype=float)
    thresholds = np.unique(p)
    bad_cdf = np.searchsorted(np.sort(p[y == 1]), thresholds, side="right") / max(y.sum(), 1)
    good_cdf = np.searchsorted(np.sort(p[y == 0]), thresholds, side="right") / max((1 - y).sum(), 1)
    return float(np.max(np.abs(bad_cdf - good_cdf)))


def calibration_table(
    y_bad: np.ndarray,
    probability_of_default: np.ndarray,
    score: np.ndarray | None = None,
    n_groups: int = 10,
) -> list[dict[str, Any]]:
    """Predicted PD against observed bad rate by PD decile (decile 1 holds the lowest PDs).

    Parameters
    ----------
    y_bad : array of 0/1
        Observed outcome, 1 for bad.
    probability_of_default : array of float
        Predicted PD of the same rows (out-of-fold for an honest table).
    score : array of float, optional
        The rows' scores, to report each group's score range.
    n_groups : int
        Number of quantile groups; fewer are returned when PDs tie heavily.

    Returns
    -------
    list of dict
        One JSON-safe row per group: ``group``, ``rows``, ``bads``, ``mean_pd``,
        ``observed_bad_rate``, ``min_pd``, ``max_pd`` and, with scores, ``min_score`` and
        ``max_score``.
    """
    frame = pd.DataFrame(
        {"y": np.asarray(y_bad, dtype=int), "pd": np.asarray(probability_of_default, dtype=float)}
    )
    if score is not None:
        frame["score"] = np.asarray(score, dtype=float)
    # Ranking first keeps equal-size groups even when many PDs tie.
    ranks = frame["pd"].rank(method="first")
    frame["group"] = pd.qcut(ranks, q=min(n_groups, len(frame)), labels=False) + 1
    rows = []
    for group, part in frame.groupby("group", sort=True):
        row = {
            "group": int(group),
            "rows": len(part),
            "bads": int(part["y"].sum()),
            "mean_pd": float(part["pd"].mean()),
            "observed_bad_rate": float(part["y"].mean()),
            "min_pd": float(part["pd"].min()),
            "max_pd": float(part["pd"].max()),
        }
        if score is not None:
            row["min_score"] = float(part["score"].min())
            row["max_score"] = float(part["score"].max())
        rows.append(row)
    return rows


def bootstrap_intervals(y_bad: np.ndarray, probability_of_default: np.ndarray, *,
                        rounds: int = 500, seed: int = 0,
                        level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of AUC, Gini and KS over resampled rows.

    Gini's interval is ``2 × AUC − 1`` of AUC's, so the two always agree. Deterministic for a
    given ``seed``; resamples with a single class are skipped.
    """
    y = np.asarray(y_bad, dtype=int)
    p = np.asarray(probability_of_default, dtype=float)
    rng = np.random.default_rng(seed)
    aucs, kss = [], []
    for _ in range(rounds):
        rows = rng.integers(0, len(y), len(y))
        sample = y[rows]
        if sample.min() == sample.max():
            continue
        aucs.append(roc_auc(sample, p[rows]))
        kss.append(ks_statistic(sample, p[rows]))
    tail = (1 - level) / 2 * 100
    auc_low, auc_high = (float(v) for v in np.percentile(aucs, [tail, 100 - tail]))
    ks_low, ks_high = (float(v) for v in np.percentile(kss, [tail, 100 - tail]))
    return {"auc": (auc_low, auc_high), "gini": (2 * auc_low - 1, 2 * auc_high - 1),
            "ks": (ks_low, ks_high)}


def population_stability(expected: np.ndarray, actual: np.ndarray, edges: np.ndarray,
                         floor: float = 1e-4) -> float:
    """Population stability index of ``actual`` against ``expected`` over bins ``edges``:
    sum of (a − e) · ln(a / e) over the bins' shares, each share floored at ``floor`` so an
    empty bin does not make it infinite."""
    e = np.histogram(np.asarray(expected, dtype=float), bins=edges)[0] / max(len(expected), 1)
    a = np.histogram(np.asarray(actual, dtype=float), bins=edges)[0] / max(len(actual), 1)
    e, a = np.maximum(e, floor), np.maximum(a, floor)
    return float(np.sum((a - e) * np.log(a / e)))
