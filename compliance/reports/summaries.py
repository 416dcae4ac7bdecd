"""Vectorised aggregations that turn decision rows and model outputs into report tables.

The web layer calls these before building a report, so a builder's work stays proportional to
its tables rather than to the number of decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CountRow:
    """A label and how many decisions carry it."""

    label: str
    count: int


@dataclass(frozen=True)
class ReasonCount:
    """A reason code, its statement and how often it was given."""

    code: str
    statement: str
    count: int


@dataclass(frozen=True)
class CalibrationRow:
    """One PD band of a calibration table."""

    decile: int
    mean_pd: float
    observed_bad_rate: float
    count: int


@dataclass(frozen=True)
class DecisionSummary:
    """Counts of decisions by outcome and risk tier, and the reasons most often given."""

    total: int
    by_outcome: tuple[CountRow, ...]
    by_tier: tuple[CountRow, ...]
    top_reasons: tuple[ReasonCount, ...]


def summarise_decisions(
    rows: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    outcome_col: str = "outcome",
    tier_col: str = "risk_tier",
    reasons_col: str = "reason_codes",
    reason_statements: Mapping[str, str] | None = None,
    top_n: int = 10,
) -> DecisionSummary:
    """Aggregate decision rows for the compliance report.

    Parameters
    ----------
    rows : pandas.DataFrame or iterable of mappings
        One row per decision.
    outcome_col, tier_col : str
        Columns holding the decision outcome and the risk tier.
    reasons_col : str
        Column holding each decision's reason codes (a list; empty or missing for none).
    reason_statements : mapping of str to str, optional
        Statement for each reason code; codes without one are shown with an empty statement.
    top_n : int
        How many reasons to keep, most frequent first (ties by code).

    Returns
    -------
    DecisionSummary
        Outcomes in descending count order (ties by label), tiers in label order.
    """
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    statements = dict(reason_statements or {})
    reasons = pd.Series(dtype=object)
    if reasons_col in frame and len(frame):
        reasons = frame[reasons_col].explode().dropna().astype(str)
    reason_counts = _ranked(reasons)[:top_n]
    return DecisionSummary(
        total=len(frame),
        by_outcome=tuple(CountRow(k, n) for k, n in _ranked(frame.get(outcome_col))),
        by_tier=tuple(CountRow(k, n) for k, n in sorted(_ranked(frame.get(tier_col)))),
        top_reasons=tuple(ReasonCount(k, statements.get(k, ""), n) for k, n in reason_counts),
    )


def _ranked(values: pd.Series | None) -> list[tuple[str, int]]:
    if values is None or len(values) == 0:
        return []
    counts = values.dropna().astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(str(label), int(count)) for label, count in ordered]


def calibration_table(
    y_bad: Sequence[int], probability_of_default: Sequence[float], bins: int = 10
) -> tuple[CalibrationRow, ...]:
    """Observed bad rate against mean predicted PD, by PD decile (or ``bins`` quantiles).

    Parameters
    ----------
    y_bad : sequence of int
        1 where the loan defaulted.
    probability_of_default : sequence of float
        Predicted PD per loan.
    bins : int
        Number of quantile bands; fewer when PDs repeat.

    Returns
    -------
    tuple of CalibrationRow
        Bands numbered from 1 (lowest PD).
    """
    frame = pd.DataFrame(
        {"y": np.asarray(y_bad, dtype=float), "pd": np.asarray(probability_of_default, dtype=float)}
    )
    if frame.empty:
        return ()
    # Ranking first keeps bands of equal size even when many PDs tie.
    band = pd.qcut(frame["pd"].rank(method="first"), q=min(bins, len(frame)), labels=False)
    grouped = frame.groupby(band)
    table = pd.DataFrame(
        {"mean_pd": grouped["pd"].mean(), "bad": grouped["y"].mean(), "n": grouped.size()}
    )
    return tuple(
        CalibrationRow(int(i) + 1, float(r.mean_pd), float(r.bad), int(r.n))
        for i, r in table.iterrows()
    )
