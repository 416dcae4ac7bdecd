"""The model validation report's champion-against-challenger section: the model's shadow
decisions beside the champion's real ones (``risk_models.champion_challenger``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.lib.units import inch
from reportlab.platypus import Flowable

from compliance.reports.common import (
    CONTENT_WIDTH,
    data_table,
    fmt_datetime,
    fmt_int,
    fmt_num,
    fmt_pct,
    key_value_table,
    para,
)


@dataclass(frozen=True)
class Comparison:
    """The comparison the report was made with, or ``None`` when the model never ran in
    shadow. ``result`` is :func:`app.scoring.comparison.compare`'s answer (JSON)."""

    result: dict[str, Any] | None


def _pct(value: Any) -> str:
    return "n/a" if value is None else fmt_pct(float(value))


def _num(value: Any) -> str:
    return "n/a" if value is None else fmt_num(float(value), 3)


def _when(moment: str) -> str:
    return fmt_datetime(datetime.fromisoformat(moment))


def comparison_flowables(section: Comparison) -> list[Flowable]:
    """Scope, score agreement, approval rates, the swap set and adverse impact ratios.

    Parameters
    ----------
    section : Comparison

    Returns
    -------
    list of Flowable
        Content to place under the section heading.
    """
    r = section.result
    if r is None:
        return [para("This model has not run as a challenger: no shadow decisions of it beside "
                     "a champion's were stored when this report was made.")]
    rates = r["approval_rate"]
    out: list[Flowable] = [
        para("As challenger, the model decided every application in shadow beside the "
             "champion's real decision, never shown to the applicant. Decisions of "
             f"{r['date_from']} to {r['date_to']} (UTC), shadow decisions stored up to "
             f"{_when(r['scored_until'])}, outcomes loaded up to "
             f"{_when(r['outcomes_until'])}."),
        key_value_table([
            ("Champion model(s)", ", ".join(r["champion_versions"]) or "none"),
            ("Applications both decided", fmt_int(r["applications"])),
            ("Decided without a shadow (left out)", fmt_int(r["without_shadow"])),
            ("Score correlation (Pearson / rank)",
             f"{_num(r['score_correlation'])} / {_num(r['score_rank_correlation'])}"),
            ("Same outcome", _pct(r["agreement"])),
            ("Approval rate: champion / challenger",
             f"{_pct(rates['champion'])} / {_pct(rates['challenger'])}"),
            ("Approval rate difference (challenger minus champion)",
             _pct(r["approval_rate_difference"])),
        ], key_width=3.2 * inch),
    ]
    swaps = r["swap_set"]
    rows = [[label, fmt_int(s["count"]), fmt_int(s["with_outcome"]), fmt_int(s["defaults"]),
             _pct(s["bad_rate"])]
            for label, s in (("Approved by the challenger only (swap-in)", swaps["swap_in"]),
                             ("Approved by the champion only (swap-out)", swaps["swap_out"]))]
    out += [para("The swap set: applications one approved and the other declined, with the "
                 "realised bad rate where outcomes have been observed (a declined loan has "
                 "none, so swap-in outcomes exist only where the champion's decline was "
                 "overridden)."),
            data_table(["Swap set", "Count", "With outcome", "Defaults", "Bad rate"], rows,
                       numeric=(1, 2, 3, 4),
                       widths=[CONTENT_WIDTH - 4 * 0.95 * inch, *[0.95 * inch] * 4])]
    air = r["adverse_impact_ratio"]
    attributes = sorted(set(air.get("champion", {})) | set(air.get("challenger", {})))
    if attributes:
        def cell(side: str, name: str) -> str:
            found = air.get(side, {}).get(name)
            return "n/a" if not found else f"{fmt_num(found['air'], 3)} ({found['group']})"
        out += [para("Lowest adverse impact ratio by protected group (approval rate of the "
                     "group against the most favoured group; groups of 30 or more)."),
                data_table(["Attribute", "Champion", "Challenger"],
                           [[name.replace("_", " ").capitalize(), cell("champion", name),
                             cell("challenger", name)] for name in attributes])]
    return out
