"""Statistics behind fairness audits: bootstrap of decision cells, Fisher tests, SMD, AUC, rounding.

Kept apart from the audit's assembly so each piece can be checked on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact
from sklearn.metrics import roc_auc_score


def draw_cell_counts(cell_counts: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Draw bootstrap replicates of the decision table, as counts per cell.

    Resampling ``n`` rows with replacement and counting them per cell has exactly the
    multinomial distribution drawn here, so every metric that depends only on the cells
    (group, decision, outcome) gets the same bootstrap distribution as resampling row
    indices, at a cost independent of the number of decisions.

    Parameters
    ----------
    cell_counts : numpy.ndarray
        Count of decisions in each cell, shape ``(C,)``.
    n_boot : int
        Number of bootstrap rounds.
    seed : int
        Seed of the random generator: the same seed gives the same replicates.

    Returns
    -------
    numpy.ndarray
        Integer counts of shape ``(n_boot, C)``; each row sums to ``cell_counts.sum()``.
    """
    total = int(cell_counts.sum())
    if n_boot <= 0 or total == 0:
        return np.zeros((0, len(cell_counts)), dtype=np.int64)
    rng = np.random.default_rng(seed)
    return rng.multinomial(total, cell_counts / total, size=n_boot)


def group_sums(draws: np.ndarray, cell_group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum replicate cell counts into groups.

    Parameters
    ----------
    draws : numpy.ndarray
        Replicate counts, shape ``(B, C)`` (or cell weights already multiplied in).
    cell_group : numpy.ndarray
        Group code of each cell, shape ``(C,)``, values in ``range(n_groups)``.
    n_groups : int
        Number of groups.

    Returns
    -------
    numpy.ndarray
        Float sums of shape ``(B, n_groups)``.
    """
    onehot = np.zeros((len(cell_group), n_groups))
    onehot[np.arange(len(cell_group)), cell_group] = 1.0
    return draws @ onehot


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ratio that gives NaN (not a warning) where the denominator is zero."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def percentile_interval(replicates: np.ndarray, level: float) -> np.ndarray:
    """Percentile bootstrap interval per column, NaN where a column has no finite value.

    Parameters
    ----------
    replicates : numpy.ndarray
        Shape ``(B, K)``; non-finite values (an empty group in a round) are ignored.
    level : float
        Coverage, for example 0.95.

    Returns
    -------
    numpy.ndarray
        Shape ``(K, 2)``: lower and upper bounds.
    """
    k = replicates.shape[1] if replicates.ndim == 2 else 0
    bounds = np.full((k, 2), np.nan)
    if replicates.shape[0] == 0:
        return bounds
    tail = (1.0 - level) / 2.0
    finite = np.where(np.isfinite(replicates), replicates, np.nan)
    usable = ~np.all(np.isnan(finite), axis=0)
    if usable.any():
        bounds[usable] = np.nanquantile(finite[:, usable], [tail, 1.0 - tail], axis=0).T
    return bounds


def fisher_p_value(approved: int, count: int, ref_approved: int, ref_count: int) -> float:
    """Two-sided Fisher exact p-value of approval rates, group against comparator.

    Parameters
    ----------
    approved, count : int
        Approved decisions and all decisions of the group.
    ref_approved, ref_count : int
        The same for the comparator group.

    Returns
    -------
    float
        The p-value, NaN when either group is empty.
    """
    if count == 0 or ref_count == 0:
        return math.nan
    table = [[approved, count - approved], [ref_approved, ref_count - ref_approved]]
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def standardized_mean_difference(
    mean: float, var: float, n: int, ref_mean: float, ref_var: float, ref_n: int
) -> float:
    """Difference of mean scores over the pooled standard deviation (group minus reference).

    Parameters
    ----------
    mean, var, n : float, float, int
        Mean, sample variance (ddof=1) and size of the group's scores.
    ref_mean, ref_var, ref_n : float, float, int
        The same for the reference group.

    Returns
    -------
    float
        Negative when the group scores lower (riskier) than the reference; NaN when the
        pooled standard deviation is undefined or zero.
    """
    dof = n + ref_n - 2
    if n < 1 or ref_n < 1 or dof <= 0:
        return math.nan
    pooled_var = ((n - 1) * _zero_if_nan(var) + (ref_n - 1) * _zero_if_nan(ref_var)) / dof
    if not pooled_var > 0:
        return math.nan
    return (mean - ref_mean) / math.sqrt(pooled_var)


def _zero_if_nan(value: float) -> float:
    # A single-member group has an undefined sample variance; it adds nothing to the pool.
    return 0.0 if value is None or math.isnan(value) else value


def auc_by_group(groups: pd.Series, y_good: pd.Series, score: pd.Series) -> dict[str, float]:
    """ROC AUC of score against good outcome, per group, over rows with a known outcome.

    Parameters
    ----------
    groups : pandas.Series
        Group label per row.
    y_good : pandas.Series
        1 for repaid, 0 for defaulted, NaN where unknown.
    score : pandas.Series
        Scorecard points (higher means less risky).

    Returns
    -------
    dict of str to float
        AUC per group label; NaN where the group lacks either outcome.
    """
    known = y_good.notna() & score.notna()
    out: dict[str, float] = {}
    for label, index in groups[known].groupby(groups[known], observed=True).groups.items():
        out[str(label)] = roc_auc(y_good.loc[index], score.loc[index])
    return out


def roc_auc(y_good: pd.Series, score: pd.Series) -> float:
    """ROC AUC, or NaN when only one outcome is present (AUC is undefined there)."""
    y = np.asarray(y_good, dtype=int)
    if y.size == 0 or y.min() == y.max():
        return math.nan
    return float(roc_auc_score(y, np.asarray(score, dtype=float)))


def rounded(value: float | None, digits: int = 4) -> float | None:
    """Round for storage: None for missing or non-finite values."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return round(value, digits)


def rounded_sig(value: float | None, significant: int = 4) -> float | None:
    """Round to significant digits, so tiny p-values keep their magnitude."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{significant}g}")


def rounded_pair(pair: Sequence[float], digits: int = 4) -> list[float | None] | None:
    """Round an interval; None when both ends are missing."""
    low, high = rounded(pair[0], digits), rounded(pair[1], digits)
    if low is None and high is None:
        return None
    return [low, high]
