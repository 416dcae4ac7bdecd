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
