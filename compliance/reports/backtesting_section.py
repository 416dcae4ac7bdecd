"""The model validation report's back-testing section: a stored back-test of the model against
observed loan outcomes (``risk_models.backtesting``), as tables and a calibration chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from compliance.reports.charts import _STYLE, BAD_COLOUR, FIGSIZE, GOOD_COLOUR
from compliance.reports.common import (
    CONTENT_WIDTH,
    chart_image,
    data_table,
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_pct,
    key_value_table,
    para,
)
from compliance.reports.summaries import CalibrationRow

# Months on book shown in the vintage table (the stored back-test keeps every month).
VINTAGE_MONTHS = (0, 1, 3, 6, 9, 12, 18, 24)


@dataclass(frozen=True)
class BandRow:
    """One score band: realised against predicted default rate and its binomial test."""

    band: str
    n: int
    defaults: int
    realised_rate: float
    predicted_rate: float
    p_value: float
    verdict: str
    min_score: float
    max_score: float


@dataclass(frozen=True)
class VintageRow:
    """One cohort of decision month: cumulative default rate at each month shown (``None``
    where none of its loans has been observed that long)."""

    cohort: str
    loans: int
    rates: Sequence[float | None]


@dataclass(frozen=True)
class BacktestSummary:
    """What the report shows of one stored back-test."""

    backtest_id: str
    window_start: date
    window_end: date
    created_at: datetime
    as_of: date | None
    loans: int
    unobserved: int
    defaults: int
    default_rate: float
    predicted_rate: float
    band_basis: str
    bands: Sequence[BandRow]
    auc: float | None
    auc_ci: tuple[float, float] | None
    auc_method: str
    ks: float | None
    ks_ci: tuple[float, float] | None
    ks_method: str
    level: float
    calibration: Sequence[CalibrationRow]
    vintage_months: Sequence[int]
    vintages: Sequence[VintageRow]


@dataclass(frozen=True)
class Backtesting:
    """The section's input: the back-test the report was made with, or ``None`` when none had
    been run for the model."""

    backtest: BacktestSummary | None = None


def backtest_summary(backtest_id: str, window_start: date, window_end: date,
                     created_at: datetime, result: Mapping[str, Any]) -> BacktestSummary:
    """The report's view of a stored back-test.

    Parameters
    ----------
    backtest_id : str
        The stored back-test's id, printed in the report.
    window_start, window_end : date
        Its window of decision dates.
    created_at : datetime
        When it was computed.
    result : mapping
        Its result, as :func:`risk_models.backtesting.backtest` returned it.

    Returns
    -------
    BacktestSummary
    """
    discrimination = result["discrimination"]
    vintages = result["vintages"]
    months = [m for m in VINTAGE_MONTHS if m in set(vintages["months"])]
    return BacktestSummary(
        backtest_id=backtest_id, window_start=window_start, window_end=window_end,
        created_at=created_at,
        as_of=date.fromisoformat(result["as_of"]) if result.get("as_of") else None,
        loans=int(result["loans"]), unobserved=int(result["unobserved"]),
        defaults=int(result["defaults"]), default_rate=float(result["default_rate"]),
        predicted_rate=float(result["predicted_rate"]), band_basis=str(result["band_basis"]),
        bands=[BandRow(str(b["band"]), int(b["n"]), int(b["defaults"]),
                       float(b["realised_rate"]), float(b["predicted_rate"]),
                       float(b["p_value"]), str(b["verdict"]), float(b["min_score"]),
                       float(b["max_score"])) for b in result["bands"]],
        auc=_optional(discrimination["auc"]), auc_ci=_interval(discrimination["auc_ci"]),
        auc_method=str(discrimination["auc_method"]),
        ks=_optional(discrimination["ks"]), ks_ci=_interval(discrimination["ks_ci"]),
        ks_method=str(discrimination["ks_method"]), level=float(discrimination["level"]),
        calibration=[CalibrationRow(int(r["group"]), float(r["mean_pd"]),
                                    float(r["observed_bad_rate"]), int(r["rows"]))
                     for r in result["calibration"]],
        vintage_months=months,
        vintages=[VintageRow(c["cohort"], int(c["loans"]),
                             [_optional(c["curve"][m]["cumulative_default_rate"])
                              for m in months]) for c in vintages["cohorts"]])


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


def _interval(value: Any) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def calibration_figure(calibration: Sequence[CalibrationRow]) -> Figure:
    """Observed default rate against mean predicted PD by PD decile, on the diagonal's scale.

    Parameters
    ----------
    calibration : sequence of CalibrationRow
        The back-test's calibration table.
    """
    predicted = np.array([r.mean_pd for r in calibration], dtype=float)
    observed = np.array([r.observed_bad_rate for r in calibration], dtype=float)
    top = float(max(predicted.max(initial=0.0), observed.max(initial=0.0), 0.05)) * 1.1
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=FIGSIZE)
        axes = figure.add_subplot()
        axes.plot([0, top], [0, top], color="#9aa5b1", linewidth=0.8, linestyle="--",
                  label="perfect calibration")
        axes.plot(predicted, observed, color=GOOD_COLOUR, linewidth=1.2, marker="o",
                  markersize=3, markerfacecolor=BAD_COLOUR, markeredgewidth=0,
                  label="PD decile")
        axes.set(xlim=(0, top), ylim=(0, top), xlabel="Mean predicted PD",
                 ylabel="Observed default rate")
        axes.set_title("Calibration against observed outcomes")
        axes.legend(loc="upper left")
        figure.tight_layout()
    return figure


def backtesting_flowables(section: Backtesting) -> list[Flowable]:
    """The section's content: scope, bands, discrimination, calibration and vintages.

    Parameters
    ----------
    section : Backtesting
        The back-test the report was made with, or none.

    Returns
    -------
    list of Flowable
        Content to place under the section heading.
    """
    summary = section.backtest
    if summary is None:
        return [para("No back-test has been run for this model yet, because no outcomes of "
                     "its loans had been observed when this report was made.")]
    return [*_scope(summary), *_bands(summary), *_discrimination(summary),
            *_calibration(summary), *_vintages(summary)]


def _scope(s: BacktestSummary) -> list[Flowable]:
    return [
        para(f"Back-test {s.backtest_id} of the decisions made from {fmt_date(s.window_start)} "
             f"to {fmt_date(s.window_end)} on applications approved since, against the "
             f"outcomes observed up to {fmt_date(s.as_of)}; computed "
             f"{fmt_datetime(s.created_at)}. A loan is in default when any observation says "
             "so; good when its latest observation is not in default. Approved loans with no "
             "observation yet are left out.", "small"),
        key_value_table([
            ("Loans observed", fmt_int(s.loans)),
            ("Not yet observed", fmt_int(s.unobserved)),
            ("Defaults", f"{fmt_int(s.defaults)} ({fmt_pct(s.default_rate, 2)}; mean predicted "
                         f"PD {fmt_pct(s.predicted_rate, 2)})"),
        ]),
    ]


def _bands(s: BacktestSummary) -> list[Flowable]:
    basis = ("the policy's risk tiers" if s.band_basis == "risk_tier"
             else "score deciles (decile 1 holds the lowest scores)")
    rows = [[b.band, f"{fmt_num(b.min_score, 0)}–{fmt_num(b.max_score, 0)}", fmt_int(b.n),
             fmt_int(b.defaults), fmt_pct(b.realised_rate, 2), fmt_pct(b.predicted_rate, 2),
             fmt_p(b.p_value), b.verdict] for b in s.bands]
    flagged = [i for i, b in enumerate(s.bands) if b.verdict != "within"]
    return [KeepTogether([
        para("Realised against predicted default rate by band", "h2"),
        para(f"Bands are {basis}. Each band's defaults are tested against its mean predicted "
             "PD (two-sided binomial test): above or below when p is under 0.05, within "
             "otherwise.", "small"),
        data_table(["Band", "Scores", "Loans", "Defaults", "Realised", "Predicted", "p",
                    "Verdict"], rows, numeric=range(1, 7), highlight_rows=flagged,
                   widths=[1.1 * inch, 0.9 * inch, 0.65 * inch, 0.7 * inch, 0.75 * inch,
                           0.75 * inch, 0.65 * inch, 0.75 * inch]),
    ])]


def _with_ci(value: float | None, interval: tuple[float, float] | None, level: float) -> str:
    if value is None:
        return "not measurable: every observed loan has the same outcome"
    if interval is None:
        return fmt_num(value)
    return (f"{fmt_num(value)} ({fmt_pct(level, 0)} CI {fmt_num(interval[0])} to "
            f"{fmt_num(interval[1])})")


def _discrimination(s: BacktestSummary) -> list[Flowable]:
    return [para("Discrimination on observed outcomes", "h2"), key_value_table([
        ("Realised AUC", _with_ci(s.auc, s.auc_ci, s.level)),
        ("Realised KS", _with_ci(s.ks, s.ks_ci, s.level)),
        ("Intervals", f"AUC: {s.auc_method}; KS: {s.ks_method}"),
    ])]


def _calibration(s: BacktestSummary) -> list[Flowable]:
    rows = [[str(r.decile), fmt_pct(r.mean_pd, 2), fmt_pct(r.observed_bad_rate, 2),
             fmt_int(r.count)] for r in s.calibration]
    table = data_table(["PD decile", "Predicted PD", "Observed rate", "Loans"],
                       rows, numeric=range(4),
                       widths=[0.7 * inch, 0.95 * inch, 0.95 * inch, 0.65 * inch])
    half = CONTENT_WIDTH / 2 - 4
    side_by_side = Table([[table, chart_image(calibration_figure(s.calibration), half)]],
                         colWidths=[CONTENT_WIDTH / 2] * 2, hAlign="LEFT")
    side_by_side.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                                      ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [KeepTogether([para("Calibration by PD decile", "h2"), side_by_side])]


def _vintages(s: BacktestSummary) -> list[Flowable]:
    intro = para("Cumulative default rate of each cohort (month of decision) by months on book: "
                 "whole months from the decision to the first observation in default. At a "
                 "month, a loan counts only once it has been observed at or beyond it; a dash "
                 "where none of the cohort's loans has been.", "small")
    if not s.vintages:
        return [para("Vintages", "h2"), intro]
    rows = [[v.cohort, fmt_int(v.loans), *(fmt_pct(r) for r in v.rates)] for v in s.vintages]
    months = [f"MoB {m}" for m in s.vintage_months]
    width = (CONTENT_WIDTH - 1.4 * inch) / max(len(months), 1)
    return [para("Vintages", "h2"), intro,
            data_table(["Cohort", "Loans", *months], rows, numeric=range(1, len(months) + 2),
                       widths=[0.8 * inch, 0.6 * inch] + [width] * len(months))]
