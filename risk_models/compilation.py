"""Turn a fitted optbinning ``Scorecard`` into a :class:`CompiledScorecard` and binning tables."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from optbinning import Scorecard

from risk_models.artifact import (
    CATEGORICAL,
    MISSING,
    NUMERICAL,
    SPECIAL,
    Characteristic,
    CompiledScorecard,
    ScorecardBin,
    ScoreScaling,
    interval_label,
)
from risk_models.columns import ColumnPlan


def _regular_bins(kind: str, splits: Any, rows: Any) -> list[ScorecardBin]:
    bins = []
    if kind == NUMERICAL:
        edges = [None, *(float(s) for s in splits), None]
        for i, row in enumerate(rows):
            lower, upper = edges[i], edges[i + 1]
            bins.append(
                ScorecardBin(
                    label=interval_label(lower, upper),
                    points=row.Points,
                    woe=row.WoE,
                    lower=lower,
                    upper=upper,
                )
            )
    else:
        for categories, row in zip(splits, rows, strict=True):
            names = tuple(sorted(str(c) for c in categories))
            bins.append(
                ScorecardBin(
                    label=", ".join(names), points=row.Points, woe=row.WoE, categories=names
                )
            )
    return bins


def compile_scorecard(
    scorecard: Scorecard,
    plan: ColumnPlan,
    *,
    special_codes: tuple = (),
    metadata: Mapping[str, Any],
) -> CompiledScorecard:
    """Read bins, WoE, coefficients and points out of a fitted ``Scorecard``.

    Only the characteristics the binning process selected are compiled. Points come from
    ``Scorecard.table(style="detailed")`` (regular bins, then Special, then Missing).
    """
    table = scorecard.table(style="detailed")
    process = scorecard.binning_process_
    characteristics = []
    for name in process.get_support(names=True):
        optb = process.get_binned_variable(name)
        rows = list(table[table["Variable"] == name].itertuples(index=False))
        kind = plan.kind_of(name)
        splits = optb.splits
        n_regular = len(rows) - 2
        if kind == CATEGORICAL and len(splits) != n_regular:
            raise RuntimeError(f"{name}: {len(splits)} category groups for {n_regular} bins")
        bins = _regular_bins(kind, splits, rows[:n_regular])
        bins.append(
            ScorecardBin(label="Special", points=rows[-2].Points, woe=rows[-2].WoE, kind=SPECIAL)
        )
        bins.append(
            ScorecardBin(label="Missing", points=rows[-1].Points, woe=rows[-1].WoE, kind=MISSING)
        )
        characteristics.append(
            Characteristic(
                name=str(name),
                kind=kind,
                coefficient=float(rows[0].Coefficient),
                bins=tuple(_as_plain_floats(b) for b in bins),
                splits=tuple(float(s) for s in splits) if kind == NUMERICAL else (),
                special_codes=tuple(special_codes),
            )
        )
    params = scorecard.scaling_method_params
    scaling = ScoreScaling(
        base_score=float(params["scorecard_points"]),
        base_odds=float(params["odds"]),
        pdo=float(params["pdo"]),
    )
    intercept = float(np.ravel(scorecard.estimator_.intercept_)[0])
    return CompiledScorecard(
        characteristics=tuple(characteristics),
        intercept=intercept,
        scaling=scaling,
        metadata=dict(metadata),
    )


# Bad-rate steps smaller than this are ties, not a change of direction.
_RATE_TOLERANCE = 1e-9


def event_rate_trend(event_rates: Sequence[float]) -> str:
    """The shape of bad rates along bins ordered from the lowest value up.

    Returns
    -------
    str
        ``"ascending"`` or ``"descending"`` (ties allowed), ``"peak"`` (rises, then falls),
        ``"valley"`` (falls, then rises), ``"flat"`` (no change) or ``"irregular"`` (more than
        one turn).
    """
    steps = [later - earlier for earlier, later in zip(event_rates, event_rates[1:], strict=False)]
    directions = [1 if step > 0 else -1 for step in steps if abs(step) > _RATE_TOLERANCE]
    if not directions:
        return "flat"
    turns = sum(a != b for a, b in zip(directions, directions[1:], strict=False))
    rising = directions[0] > 0
    if turns == 0:
        return "ascending" if rising else "descending"
    if turns == 1:
        return "peak" if rising else "valley"
    return "irregular"


def fitted_trends(scorecard: Scorecard, plan: ColumnPlan) -> dict[str, str]:
    """:func:`event_rate_trend` of each numerical characteristic the scorecard uses.

    Bad rates are the training rows' in the regular bins that hold any (Special and Missing
    bins stand apart from the order of values).
    """
    table = scorecard.table(style="detailed")
    trends = {}
    for name in scorecard.binning_process_.get_support(names=True):
        if plan.kind_of(name) != NUMERICAL:
            continue
        regular = table[table["Variable"] == name].iloc[:-2]
        rates = [float(bads) / count for bads, count in zip(regular["Event"], regular["Count"],
                                                            strict=True) if count > 0]
        trends[str(name)] = event_rate_trend(rates)
    return trends


def _as_plain_floats(scorecard_bin: ScorecardBin) -> ScorecardBin:
    # numpy scalars would not survive canonical JSON; plain floats round-trip exactly.
    return ScorecardBin(
        label=scorecard_bin.label,
        points=float(scorecard_bin.points),
        woe=float(scorecard_bin.woe),
        kind=scorecard_bin.kind,
        lower=scorecard_bin.lower,
        upper=scorecard_bin.upper,
        categories=scorecard_bin.categories,
    )


def binning_tables(
    scorecard: Scorecard, compiled: CompiledScorecard
) -> dict[str, list[dict[str, Any]]]:
    """Per characteristic, one JSON-safe row per bin: label, counts, event rate, WoE, IV, points.

    Labels are the compiled scorecard's, so the table and the artifact name bins alike.
    """
    table = scorecard.table(style="detailed").rename(columns=_TABLE_COLUMNS)
    tables = {}
    for characteristic in compiled.characteristics:
        rows = table[table["Variable"] == characteristic.name].itertuples(index=False)
        tables[characteristic.name] = [
            {
                "bin": b.label,
                "kind": b.kind,
                "count": int(row.Count),
                "count_share": _finite(row.count_share),
                "bads": int(row.Event),
                "goods": int(row.non_event),
                "event_rate": _finite(row.event_rate),
                "woe": b.woe,
                "iv": _finite(row.IV),
                "points": b.points,
            }
            for b, row in zip(characteristic.bins, rows, strict=True)
        ]
    return tables


_TABLE_COLUMNS = {
    "Count (%)": "count_share",
    "Non-event": "non_event",
    "Event rate": "event_rate",
    "Bin id": "bin_id",
}


def _finite(value: Any) -> float:
    number = float(value)
    return number if math.isfinite(number) else 0.0
