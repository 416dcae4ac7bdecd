"""Fairness audits of credit decisions: approval rates, impact ratios and error rates by group.

``audit_fairness`` returns the JSON-safe dict that is stored and rendered in reports.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from compliance.fairness_groups import (
    AGE_BANDS,
    age_band,
    age_band_on,
    age_bands,
    german_protected_groups,
    marital_status_from_personal_status,
    national_origin_from_foreign_worker,
    sex_from_personal_status,
)
from compliance.fairness_stats import (
    draw_cell_counts,
    fisher_p_value,
    percentile_interval,
    roc_auc,
    rounded,
    rounded_pair,
    rounded_sig,
    safe_ratio,
)
from compliance.fairness_tables import (
    OUTCOME_UNKNOWN,
    bootstrap_rates,
    disparity_summary,
    group_table,
    score_stats,
)

__all__ = [
    "AGE_BANDS",
    "AUDIT_VERSION",
    "FOUR_FIFTHS_CAVEAT",
    "FairnessThresholds",
    "age_band",
    "age_band_on",
    "age_bands",
    "audit_fairness",
    "german_protected_groups",
    "marital_status_from_personal_status",
    "national_origin_from_foreign_worker",
    "sex_from_personal_status",
]

AUDIT_VERSION = 1
MISSING_GROUP = "(missing)"
FOUR_FIFTHS_CAVEAT = (
    "The four-fifths rule compares each group's approval rate with that of a comparison "
    "group and marks ratios below 0.80. It is a screening heuristic that points to "
    "disparities worth investigating, not a legal test: a ratio below 0.80 does not by "
    "itself establish discrimination, and a ratio above it does not rule it out."
)


@dataclass(frozen=True)
class FairnessThresholds:
    """When a group is judged and when it is flagged.

    Attributes
    ----------
    min_air : float
        Adverse impact ratios below this are flagged (with a small enough p-value).
    max_p_value : float
        Fisher exact p-values below this count as significant.
    min_group_size : int
        Groups with fewer decisions are reported but marked too small to judge.
    ci_level : float
        Coverage of the bootstrap confidence intervals.
    """

    min_air: float = 0.80
    max_p_value: float = 0.05
    min_group_size: int = 30
    ci_level: float = 0.95


@dataclass(frozen=True)
class _Spec:
    name: str
    label: str
    columns: tuple[str, ...]


def audit_fairness(
    frame: pd.DataFrame,
    *,
    attributes: Mapping[str, str] | Sequence[str],
    favourable_col: str = "approved",
    score_col: str | None = "score",
    outcome_col: str | None = "y_good",
    reference_groups: Mapping[str, str] | None = None,
    intersections: Sequence[tuple[str, str]] = (),
    n_boot: int = 200,
    seed: int = 0,
    thresholds: FairnessThresholds = FairnessThresholds(),
) -> dict[str, Any]:
    """Audit decisions for disparities between protected groups.

    Point estimates come from fairlearn's ``MetricFrame`` run on the decisions collapsed to
    (group, decision, outcome) cells with the cell counts as sample weights, which gives the
    same figures as the row-level frame at a cost independent of the number of decisions.
    Confidence intervals are percentile bootstrap intervals from ``n_boot`` multinomial
    redraws of the joint cell table (see :func:`compliance.fairness_stats.draw_cell_counts`).
    fairlearn's own ``MetricFrame(n_boot=...)`` is not used: it re-runs the row-level frame
    each round, measured at about 0.6 s per round for 100,000 decisions (some ten minutes for
    1,000 rounds), against about one second for the whole audit here.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per decision.
    attributes : mapping of str to str, or sequence of str
        Protected-attribute columns; a mapping gives each column its display label.
    favourable_col : str
        Boolean column, True where the favourable decision (approval) was made.
    score_col : str or None
        Scorecard points (higher means less risky); None skips AUC and SMD.
    outcome_col : str or None
        Known outcome: 1 repaid, 0 defaulted, missing where unknown; None skips TPR, FPR, AUC.
    reference_groups : mapping of str to str, optional
        Reference group per attribute (or intersection name ``"a*b"``); default: the most
        favoured group, i.e. the judged group with the highest approval rate.
    intersections : sequence of (str, str)
        Pairs of attribute columns to audit jointly.
    n_boot : int
        Bootstrap rounds; 0 gives no intervals.
    seed : int
        Seed of the bootstrap: the same inputs and seed give the same result.
    thresholds : FairnessThresholds
        Flagging and small-group rules.

    Returns
    -------
    dict
        JSON-safe audit result: ``version``, ``caveat``, ``settings``, ``overall``,
        ``attributes`` (list, one per attribute then per intersection, each with ``groups``),
        ``flags`` and ``flagged``.
    """
    specs = _specs(attributes, intersections)
    data = _prepare(frame, specs, favourable_col, score_col, outcome_col)
    cells = _joint_cells(data, specs)
    draws = draw_cell_counts(cells["n"].to_numpy(), n_boot, seed)
    refs = dict(reference_groups or {})
    audited = [
        _audit_spec(spec, data, cells, draws, refs.get(spec.name), thresholds) for spec in specs
    ]
    flags = [flag for entry in audited for flag in entry.pop("_flags")]
    return {
        "version": AUDIT_VERSION,
        "caveat": FOUR_FIFTHS_CAVEAT,
        "settings": {
            "favourable_col": favourable_col,
            "score_col": score_col,
            "outcome_col": outcome_col,
            "n_boot": int(n_boot),
            "seed": int(seed),
            "thresholds": asdict(thresholds),
        },
        "overall": _overall(data, cells, draws, thresholds.ci_level),
        "attributes": audited,
        "flags": flags,
        "flagged": bool(flags),
    }


def _specs(
    attributes: Mapping[str, str] | Sequence[str], intersections: Sequence[tuple[str, str]]
) -> list[_Spec]:
    if isinstance(attributes, str):
        raise TypeError("attributes must be a mapping or a sequence of column names")
    labels = dict(attributes) if isinstance(attributes, Mapping) else {c: c for c in attributes}
    specs = [_Spec(col, label, (col,)) for col, label in labels.items()]
    for first, second in intersections:
        specs.append(
            _Spec(
                f"{first}*{second}",
                f"{labels.get(first, first)} × {labels.get(second, second)}",
                (first, second),
            )
        )
    return specs


def _prepare(
    frame: pd.DataFrame,
    specs: list[_Spec],
    favourable_col: str,
    score_col: str | None,
    outcome_col: str | None,
) -> pd.DataFrame:
    approved = frame[favourable_col]
    if approved.isna().any():
        raise ValueError(f"{favourable_col!r} has missing decisions")
    data = pd.DataFrame(index=frame.index)
    data["approved"] = approved.astype(bool).astype(np.int8)
    data["y_good"] = _outcomes(frame, outcome_col)
    data["score"] = (
        pd.to_numeric(frame[score_col], errors="coerce").astype(float) if score_col else np.nan
    )
    for spec in specs:
        data[spec.name] = _group_column(frame, spec.columns)
    return data.reset_index(drop=True)


def _outcomes(frame: pd.DataFrame, outcome_col: str | None) -> pd.Series:
    if outcome_col is None:
        return pd.Series(np.nan, index=frame.index)
    raw = frame[outcome_col].astype(object).where(frame[outcome_col].notna(), None)
    y = pd.to_numeric(raw, errors="coerce").astype(float)
    if not y.dropna().isin([0.0, 1.0]).all():
        raise ValueError(f"{outcome_col!r} must be 1 (good), 0 (bad) or missing")
    return y


def _group_column(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Categorical:
    parts = [_labels(frame[col]) for col in columns]
    if len(parts) == 1:
        return parts[0]
    values = parts[0].astype(str)
    for part in parts[1:]:
        values = values + " / " + part.astype(str)
    # Combined groups keep the order of their parts (age bands by age, and so on).
    order = [" / ".join(combo) for combo in itertools.product(*(p.categories for p in parts))]
    present = set(values.unique())
    return pd.Categorical(values, categories=[c for c in order if c in present])


def _labels(column: pd.Series) -> pd.Categorical:
    if isinstance(column.dtype, pd.CategoricalDtype):
        order = [str(c) for c in column.cat.categories]
    else:
        order = sorted({str(v) for v in column.dropna().unique()})
    values = column.astype(object).where(column.notna(), MISSING_GROUP).astype(str)
    present = set(values.unique())
    categories = [c for c in order if c in present]
    if MISSING_GROUP in present:
        categories.append(MISSING_GROUP)
    return pd.Categorical(values.to_numpy(), categories=categories)


def _joint_cells(data: pd.DataFrame, specs: list[_Spec]) -> pd.DataFrame:
    keys = pd.DataFrame({spec.name: data[spec.name].cat.codes for spec in specs})
    keys["approved"] = data["approved"]
    keys["outcome"] = data["y_good"].fillna(OUTCOME_UNKNOWN).astype(np.int8)
    return keys.groupby(list(keys.columns), sort=True).size().rename("n").reset_index()


def _overall(
    data: pd.DataFrame, cells: pd.DataFrame, draws: np.ndarray, level: float
) -> dict[str, Any]:
    approved = cells["approved"].to_numpy()
    rate_reps = safe_ratio(draws @ approved, draws.sum(axis=1))
    known = data["y_good"].notna()
    y, decision = data.loc[known, "y_good"], data.loc[known, "approved"]
    return {
        "count": len(data),
        "approved": int(data["approved"].sum()),
        "approval_rate": rounded(data["approved"].mean()),
        "approval_rate_ci": rounded_pair(percentile_interval(rate_reps[:, None], level)[0]),
        "outcome_known": int(known.sum()),
        "tpr": rounded(decision[y == 1].mean()) if (y == 1).any() else None,
        "fpr": rounded(decision[y == 0].mean()) if (y == 0).any() else None,
        "auc": rounded(roc_auc(y, data.loc[known, "score"])) if _has_scores(data) else None,
        "mean_score": rounded(data["score"].mean(), 2) if _has_scores(data) else None,
    }


def _has_scores(data: pd.DataFrame) -> bool:
    return bool(data["score"].notna().any())


def _audit_spec(
    spec: _Spec,
    data: pd.DataFrame,
    cells: pd.DataFrame,
    draws: np.ndarray,
    reference: str | None,
    thresholds: FairnessThresholds,
) -> dict[str, Any]:
    groups = list(data[spec.name].cat.categories)
    table = group_table(spec.name, cells, groups)
    judged = table["count"] >= thresholds.min_group_size
    most_favoured = table.loc[judged if judged.any() else table.index, "approval_rate"].idxmax()
    if reference is None:
        reference = most_favoured
    elif reference not in table.index:
        raise ValueError(f"reference group {reference!r} not found for {spec.name!r}")
    table = table.join(score_stats(data, spec.name, reference))
    rates = bootstrap_rates(spec.name, cells, draws, len(groups))
    rows = [
        _group_row(g, table, rates, groups, most_favoured, reference, thresholds) for g in groups
    ]
    summary = disparity_summary(spec.name, cells, groups, rates, thresholds.ci_level)
    return {
        "name": spec.name,
        "label": spec.label,
        "columns": list(spec.columns),
        "most_favoured_group": most_favoured,
        "reference_group": reference,
        **summary,
        "groups": rows,
        "_flags": [{"attribute": spec.name, **f} for row in rows for f in row.pop("_flags")],
    }


def _group_row(
    group: str,
    table: pd.DataFrame,
    rates: np.ndarray,
    groups: list[str],
    most_favoured: str,
    reference: str,
    thresholds: FairnessThresholds,
) -> dict[str, Any]:
    row = table.loc[group]
    count = int(row["count"])
    too_small = count < thresholds.min_group_size
    out: dict[str, Any] = {
        "group": group,
        "count": count,
        "share": rounded(count / table["count"].sum()),
        "approved": int(row["approved"]),
        "approval_rate": rounded(row["approval_rate"]),
        "approval_rate_ci": rounded_pair(
            percentile_interval(rates[:, [groups.index(group)]], thresholds.ci_level)[0]
        ),
    }
    flags = []
    for key, comparator in (("most_favoured", most_favoured), ("reference", reference)):
        air, ci, p_value = _comparison(group, comparator, table, rates, groups, thresholds)
        out[f"air_vs_{key}"] = rounded(air)
        out[f"air_vs_{key}_ci"] = ci
        out[f"fisher_p_vs_{key}"] = rounded_sig(p_value)
        judged = not too_small and table.loc[comparator, "count"] >= thresholds.min_group_size
        repeated = key == "reference" and comparator == most_favoured
        if judged and not repeated and _fails(air, p_value, thresholds):
            flags.append(
                {
                    "group": group,
                    "comparator": key,
                    "comparator_group": comparator,
                    "air": rounded(air),
                    "p_value": rounded_sig(p_value),
                }
            )
    out.update(
        outcome_known=int(row["positives"] + row["negatives"]),
        tpr=rounded(row["tpr"]),
        fpr=rounded(row["fpr"]),
        auc=rounded(row["auc"]),
        mean_score=rounded(row["mean_score"], 2),
        smd_vs_reference=rounded(row["smd"]),
        too_small_to_judge=too_small,
        flagged=bool(flags),
        _flags=flags,
    )
    return out


def _comparison(
    group: str,
    comparator: str,
    table: pd.DataFrame,
    rates: np.ndarray,
    groups: list[str],
    thresholds: FairnessThresholds,
) -> tuple[float, list[float | None] | None, float | None]:
    mine, theirs = table.loc[group], table.loc[comparator]
    air = float(safe_ratio(mine["approval_rate"], theirs["approval_rate"]))
    i, j = groups.index(group), groups.index(comparator)
    ci = rounded_pair(
        percentile_interval(safe_ratio(rates[:, [i]], rates[:, [j]]), thresholds.ci_level)[0]
    )
    if group == comparator:
        return air, ci, None
    p_value = fisher_p_value(
        int(mine["approved"]), int(mine["count"]), int(theirs["approved"]), int(theirs["count"])
    )
    return air, ci, p_value


def _fails(air: float, p_value: float | None, thresholds: FairnessThresholds) -> bool:
    if p_value is None or not np.isfinite(air) or not np.isfinite(p_value):
        return False
    return air < thresholds.min_air and p_value < thresholds.max_p_value
