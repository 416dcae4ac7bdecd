"""Per-group tables of a fairness audit: fairlearn metrics on collapsed cells, scores, bootstrap.

Inputs are the joint cell table built by :mod:`compliance.fairness` (one row per combination of
group codes, decision and outcome, with its count ``n``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from compliance.fairness_stats import (
    auc_by_group,
    group_sums,
    percentile_interval,
    rounded,
    rounded_pair,
    safe_ratio,
    standardized_mean_difference,
)

OUTCOME_UNKNOWN = 2


def weighted_count(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    return float(np.sum(sample_weight))


_TPR = functools.partial(true_positive_rate, pos_label=1)
_FPR = functools.partial(false_positive_rate, pos_label=1)


def collapsed_cells(cells: pd.DataFrame, column: str, groups: list[str]) -> pd.DataFrame:
    out = cells.groupby([column, "approved", "outcome"], sort=True)["n"].sum().reset_index()
    out["group"] = np.asarray(groups, dtype=object)[out[column].to_numpy()]
    return out


def _for_fairlearn(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as fairlearn can take it: fairlearn reads a one-element sensitive feature as a
    matrix and fails, so a single cell goes in twice at half weight (the same weighted
    metrics)."""
    if len(table) != 1:
        return table
    doubled = pd.concat([table, table], ignore_index=True)
    doubled["n"] = doubled["n"].astype(float) / 2
    return doubled


def _metric_frame(table: pd.DataFrame, y_true: str, metrics: dict) -> MetricFrame:
    table = _for_fairlearn(table)
    weights = table["n"].to_numpy(dtype=float)
    return MetricFrame(
        metrics=metrics,
        y_true=table[y_true].to_numpy(),
        y_pred=table["approved"].to_numpy(),
        sensitive_features=pd.Series(table["group"].to_numpy(), name="group"),
        sample_params={name: {"sample_weight": weights} for name in metrics},
    )


def group_table(column: str, cells: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    collapsed = collapsed_cells(cells, column, groups)
    decisions = _metric_frame(
        collapsed, "approved", {"count": weighted_count, "approval_rate": selection_rate}
    ).by_group
    table = decisions.reindex(groups)
    table["approved"] = collapsed[collapsed["approved"] == 1].groupby("group")["n"].sum()
    known = _for_fairlearn(collapsed[collapsed["outcome"] != OUTCOME_UNKNOWN])
    for name, outcome in (("positives", 1), ("negatives", 0)):
        table[name] = known[known["outcome"] == outcome].groupby("group")["n"].sum()
    table = table.fillna({"approved": 0, "positives": 0, "negatives": 0})
    table["tpr"] = table["fpr"] = np.nan
    if len(known):
        rates = _metric_frame(known, "outcome", {"tpr": _TPR, "fpr": _FPR}).by_group
        table[["tpr", "fpr"]] = rates.reindex(groups)[["tpr", "fpr"]]
    # fairlearn reports 0 where a rate is undefined; the audit says "unknown" instead.
    table.loc[table["positives"] == 0, "tpr"] = np.nan
    table.loc[table["negatives"] == 0, "fpr"] = np.nan
    return table


def score_stats(data: pd.DataFrame, column: str, reference: str) -> pd.DataFrame:
    grouped = data.groupby(column, observed=True)["score"]
    stats = pd.DataFrame(
        {"mean_score": grouped.mean(), "score_var": grouped.var(), "scored": grouped.count()}
    )
    stats.index = stats.index.astype(str)
    ref = stats.loc[reference]
    stats["smd"] = [
        standardized_mean_difference(
            row.mean_score,
            row.score_var,
            int(row.scored),
            ref.mean_score,
            ref.score_var,
            int(ref.scored),
        )
        for row in stats.itertuples()
    ]
    stats["auc"] = pd.Series(auc_by_group(data[column], data["y_good"], data["score"]))
    return stats[["mean_score", "smd", "auc"]]


def bootstrap_rates(
    column: str, cells: pd.DataFrame, draws: np.ndarray, n_groups: int
) -> np.ndarray:
    codes = cells[column].to_numpy()
    totals = group_sums(draws, codes, n_groups)
    approved = group_sums(draws * cells["approved"].to_numpy(), codes, n_groups)
    return safe_ratio(approved, totals)


def disparity_summary(
    column: str, cells: pd.DataFrame, groups: list[str], rates: np.ndarray, level: float
) -> dict[str, Any]:
    collapsed = _for_fairlearn(collapsed_cells(cells, column, groups))
    weights = collapsed["n"].to_numpy(dtype=float)
    decision = collapsed["approved"].to_numpy()
    sensitive = collapsed["group"].to_numpy()
    dpd = demographic_parity_difference(
        decision, decision, sensitive_features=sensitive, sample_weight=weights
    )
    dpr = demographic_parity_ratio(
        decision, decision, sensitive_features=sensitive, sample_weight=weights
    )
    known = _for_fairlearn(collapsed[collapsed["outcome"] != OUTCOME_UNKNOWN])
    eod = np.nan
    if len(known):
        eod = equalized_odds_difference(
            known["outcome"].to_numpy(),
            known["approved"].to_numpy(),
            sensitive_features=known["group"].to_numpy(),
            sample_weight=known["n"].to_numpy(dtype=float),
        )
    spread = _nan_spread(rates)
    return {
        "demographic_parity_difference": rounded(dpd),
        "demographic_parity_difference_ci": rounded_pair(
            percentile_interval(spread[:, None], level)[0]
        ),
        "demographic_parity_ratio": rounded(dpr),
        "equalized_odds_difference": rounded(eod),
    }


def _nan_spread(rates: np.ndarray) -> np.ndarray:
    # A group can be absent from a bootstrap round; the spread is over groups present.
    present = np.isfinite(rates)
    high = np.where(present, rates, -np.inf).max(axis=1, initial=-np.inf)
    low = np.where(present, rates, np.inf).min(axis=1, initial=np.inf)
    return np.where(present.any(axis=1), high - low, np.nan)
