"""Renders a stored fairness audit (the dict from ``audit_fairness``) as report flowables.

Used by the model validation and compliance reports; reads the audit dict only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether

from compliance.reports.common import (
    CONTENT_WIDTH,
    MISSING,
    data_table,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_pct,
    para,
)


def fairness_flowables(audit: Mapping[str, Any] | None) -> list[Flowable]:
    """Flags, per-attribute group tables and the four-fifths caveat of an audit.

    Parameters
    ----------
    audit : mapping or None
        The dict returned by :func:`compliance.fairness.audit_fairness` (as stored); None
        renders a statement that no audit was supplied.

    Returns
    -------
    list of Flowable
        Content to place under a section heading.
    """
    if not audit:
        return [para("No fairness audit was supplied for this report.")]
    settings = audit.get("settings", {})
    thresholds = settings.get("thresholds", {})
    # Kept whole on one page: the caveat is read as one statement.
    out: list[Flowable] = [KeepTogether([para(audit["caveat"], "note")]),
                           _scope(audit, settings, thresholds)]
    out += _flags(audit.get("flags", []), thresholds)
    for attribute in audit.get("attributes", []):
        out += _attribute(attribute, thresholds)
    return out


def _scope(audit: Mapping, settings: Mapping, thresholds: Mapping) -> Flowable:
    overall = audit.get("overall", {})
    level = thresholds.get("ci_level", 0.95)
    text = (
        f"{fmt_int(overall.get('count'))} decisions, overall approval rate "
        f"{fmt_pct(overall.get('approval_rate'))} ({_ci_pct(overall.get('approval_rate_ci'))}). "
        f"A group is flagged when its adverse impact ratio (AIR) is below "
        f"{fmt_num(thresholds.get('min_air'), 2)} and the Fisher exact test gives p below "
        f"{fmt_num(thresholds.get('max_p_value'), 2)}; groups with fewer than "
        f"{thresholds.get('min_group_size', MISSING)} decisions are shown but not judged. "
        f"Ranges (in brackets or under a figure) are {fmt_pct(level, 0)} bootstrap intervals "
        f"({fmt_int(settings.get('n_boot'))} rounds, seed {settings.get('seed', MISSING)}). "
        "TPR and FPR count approvals among applicants whose outcome is known (good and bad "
        "respectively); SMD is the standardized mean difference of scores against the "
        "reference group."
    )
    return para(text, "small")


def _flags(flags: Sequence[Mapping[str, Any]], thresholds: Mapping) -> list[Flowable]:
    if not flags:
        return [para("No group was flagged under the screening thresholds.")]
    rows = [
        [
            f["attribute"],
            f["group"],
            f"{f['comparator_group']} ({f['comparator'].replace('_', ' ')})",
            fmt_num(f["air"]),
            fmt_p(f["p_value"]),
        ]
        for f in flags
    ]
    table = data_table(
        ["Attribute", "Group", "Compared with", "AIR", "Fisher p"],
        rows,
        numeric=[3, 4],
        widths=[1.4 * inch, 1.6 * inch, 2.0 * inch, 0.7 * inch, 0.8 * inch],
        highlight_rows=range(len(rows)),
    )
    return [KeepTogether([para(f"Flagged groups ({len(flags)})", "h2"), table])]


def _attribute(attribute: Mapping[str, Any], thresholds: Mapping) -> list[Flowable]:
    reference = attribute["reference_group"]
    most_favoured = attribute["most_favoured_group"]
    both = reference != most_favoured
    summary = (
        f"Reference group: {reference}; most favoured group: {most_favoured}. "
        f"Demographic parity difference {fmt_num(attribute['demographic_parity_difference'])} "
        f"({_ci(attribute.get('demographic_parity_difference_ci'))}), ratio "
        f"{fmt_num(attribute['demographic_parity_ratio'])}; equalized odds difference "
        f"{fmt_num(attribute['equalized_odds_difference'])}."
    )
    header = ["Group", "Count", "Approval rate", "AIR vs ref.", "Fisher p"]
    header += ["AIR vs most fav.", "Fisher p (m.f.)"] if both else []
    header += ["TPR", "FPR", "AUC", "SMD"]
    rows, flagged = [], []
    for i, group in enumerate(attribute["groups"]):
        rows.append(_group_cells(group, both))
        if group.get("flagged"):
            flagged.append(i)
    numeric = list(range(1, len(header)))
    widths = _widths(both)
    table = data_table(header, rows, numeric=numeric, widths=widths, highlight_rows=flagged)
    title = f"{attribute['label']} ({attribute['name']})"
    return [KeepTogether([para(title, "h2"), para(summary, "small"), table])]


def _group_cells(group: Mapping[str, Any], both: bool) -> list[str]:
    status = "flagged" if group.get("flagged") else ""
    if group.get("too_small_to_judge"):
        status = "too small to judge"
    cells = [
        f"{group['group']}\n{status}" if status else group["group"],
        fmt_int(group["count"]),
        f"{fmt_pct(group['approval_rate'])}\n{_ci_pct(group.get('approval_rate_ci'))}",
        f"{fmt_num(group['air_vs_reference'])}\n{_ci(group.get('air_vs_reference_ci'))}",
        fmt_p(group.get("fisher_p_vs_reference")),
    ]
    if both:
        cells += [
            f"{fmt_num(group['air_vs_most_favoured'])}\n"
            f"{_ci(group.get('air_vs_most_favoured_ci'))}",
            fmt_p(group.get("fisher_p_vs_most_favoured")),
        ]
    cells += [
        fmt_pct(group.get("tpr")),
        fmt_pct(group.get("fpr")),
        fmt_num(group.get("auc")),
        fmt_num(group.get("smd_vs_reference"), 2),
    ]
    return cells


def _widths(both: bool) -> list[float]:
    air = [0.8, 0.58]
    fixed = [0.55, 0.8, *air, *(air if both else []), 0.5, 0.5, 0.45, 0.45]
    fixed_pt = [w * inch for w in fixed]
    return [CONTENT_WIDTH - sum(fixed_pt), *fixed_pt]


def _ci(pair: Sequence[float | None] | None) -> str:
    if not pair:
        return ""
    return f"{fmt_num(pair[0])}–{fmt_num(pair[1])}"


def _ci_pct(pair: Sequence[float | None] | None) -> str:
    if not pair:
        return ""
    low = fmt_pct(pair[0]).rstrip("%")
    return f"{low}–{fmt_pct(pair[1])}"
