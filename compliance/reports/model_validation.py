"""Model validation report (in the spirit of SR 11-7) for one scorecard model version.

Covers purpose, data and method, binning tables with the counter-intuitive bins, performance
with charts and a benchmark against other methods on the same folds, stability between the
development and hold-out samples, the back-test against observed outcomes, the fairness audit
of the validation data, the sensitivity of the outcome mix to the cut-offs, limitations, the
monitoring plan and the sign-off block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from compliance.monitoring import STABILITY_ACT, STABILITY_WARN, MonitoringItem
from compliance.reports.backtesting_section import Backtesting, backtesting_flowables
from compliance.reports.charts import roc_figure, score_distribution_figure
from compliance.reports.common import (
    CONTENT_WIDTH,
    MISSING,
    LedgerHead,
    Provenance,
    build_pdf,
    chart_image,
    data_table,
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_num,
    fmt_pct,
    key_value_table,
    mono_lines,
    para,
)
from compliance.reports.comparison_section import Comparison, comparison_flowables
from compliance.reports.fairness_section import fairness_flowables
from compliance.reports.summaries import CalibrationRow, calibration_table
from risk_models.evaluation import bootstrap_intervals, ks_statistic, roc_auc
from risk_models.expectations import CounterIntuitiveBin as CounterIntuitive

KIND = "Model validation report"


@dataclass(frozen=True)
class BinRow:
    """One bin of a characteristic: its share, bad rate, weight of evidence and points."""

    label: str
    count: int
    count_share: float
    event_rate: float
    woe: float
    iv: float
    points: float


@dataclass(frozen=True)
class Characteristic:
    """A scorecard characteristic's binning table; ``total_iv`` defaults to the bins' sum."""

    name: str
    bins: Sequence[BinRow]
    total_iv: float | None = None


@dataclass(frozen=True)
class DataSummary:
    """The development / validation data: where from, how much, which period, which file."""

    source: str
    rows: int
    bad_rate: float
    sha256: str
    period_start: date | None = None
    period_end: date | None = None
    target: str = "bad = defaulted (the event), good = repaid"


@dataclass(frozen=True)
class PerformanceSummary:
    """Discrimination and stability figures; calibration defaults to deciles of the arrays."""

    auc: float
    gini: float
    ks: float
    cv_auc_mean: float
    cv_auc_std: float
    cv_folds: int
    holdout_auc: float | None = None
    calibration: Sequence[CalibrationRow] = ()


@dataclass(frozen=True)
class Signatory:
    """A sign-off line; missing parts print as blank lines to sign by hand."""

    name: str | None = None
    title: str | None = None
    signed_on: date | None = None


@dataclass(frozen=True)
class Coefficient:
    """A characteristic's logistic regression coefficient (on its WoE)."""

    characteristic: str
    coefficient: float


@dataclass(frozen=True)
class Method:
    """How the scorecard was built and scaled (SR 11-7: the model's design and theory)."""

    description: str
    intercept: float
    base_score: float
    base_odds: float
    pdo: float
    coefficients: Sequence[Coefficient] = ()


@dataclass(frozen=True)
class Cutoff:
    """A policy score floor: at or above ``min_score`` an application reaches ``label``."""

    label: str
    min_score: float


@dataclass(frozen=True)
class BenchmarkRow:
    """One method's discrimination on the same cross-validation folds as the model."""

    name: str
    description: str
    auc: float
    auc_std: float
    ks: float


@dataclass(frozen=True)
class StabilityBin:
    """A score band's share of the development and of the comparison sample."""

    label: str
    development_share: float
    comparison_share: float
    psi: float


@dataclass(frozen=True)
class CharacteristicStability:
    name: str
    csi: float


@dataclass(frozen=True)
class Stability:
    """PSI of the score and CSI of each characteristic between two samples."""

    comparison: str
    development_rows: int
    comparison_rows: int
    score_psi: float
    score_bins: Sequence[StabilityBin]
    characteristics: Sequence[CharacteristicStability]


@dataclass(frozen=True)
class ModelValidationInput:
    """Everything the validation report shows for one model version.

    ``y_bad``, ``score`` and ``probability_of_default`` are out-of-fold arrays of equal
    length, used for the charts and (when not given) the calibration table.
    ``fairness_audit`` is the dict returned by ``compliance.fairness.audit_fairness``.
    """

    model_name: str
    model_version: str
    purpose: str
    generated_at: datetime
    ledger_head: LedgerHead
    data: DataSummary
    characteristics: Sequence[Characteristic]
    performance: PerformanceSummary
    y_bad: Sequence[int]
    score: Sequence[float]
    probability_of_default: Sequence[float]
    fairness_audit: Mapping[str, Any] | None = None
    limitations: Sequence[str] = ()
    prepared_by: Signatory = field(default_factory=Signatory)
    validated_by: Signatory = field(default_factory=Signatory)
    approved_by: Signatory = field(default_factory=Signatory)
    # The policy's score floors (highest first): drawn on the score chart and shifted in the
    # sensitivity table.
    cutoffs: Sequence[Cutoff] = ()
    monitoring_plan: Sequence[MonitoringItem] = ()
    method: Method | None = None
    # The first row is the model itself; empty when the model was trained without benchmarks.
    benchmarks: Sequence[BenchmarkRow] = ()
    stability: Stability | None = None
    counter_intuitive: Sequence[CounterIntuitive] = ()
    # Whether the bins were checked against expectations at all (a model of characteristics
    # with no recorded expectation was not).
    expectations_version: str | None = None
    # The back-test the report was made with (or that none had been run); None for a report
    # made before back-testing, which has no such section.
    backtesting: Backtesting | None = None
    # The model's shadow decisions beside the champion's (or that it never ran in shadow);
    # None for a report made before comparisons, which has no such section.
    comparison: Comparison | None = None

    def __post_init__(self) -> None:
        lengths = {len(self.y_bad), len(self.score), len(self.probability_of_default)}
        if len(lengths) != 1:
            raise ValueError("y_bad, score and probability_of_default must have equal length")


def build_model_validation_report(report: ModelValidationInput,
                                  provenance: Provenance | None = None) -> bytes:
    """Build the model validation report PDF.

    Parameters
    ----------
    report : ModelValidationInput
        The report's content.

    Returns
    -------
    bytes
        The PDF, identical for identical input.
    """
    sections: list[tuple[str, list[Flowable]]] = [
        ("Purpose and data", [*_purpose_and_data(report), *_method(report.method)]),
        ("Characteristics and binning", [*_characteristics(report.characteristics),
                                         *_counter_intuitive(report)]),
        ("Performance", [*_performance(report), *_benchmarks(report.benchmarks)]),
        ("Stability", _stability(report.stability)),
        # Reports made before back-testing existed have no such section, and rebuild without.
        *([("Back-testing against observed outcomes", backtesting_flowables(report.backtesting))]
          if report.backtesting is not None else []),
        *([("Champion against challenger", comparison_flowables(report.comparison))]
          if report.comparison is not None else []),
        ("Fairness audit of the validation data", fairness_flowables(report.fairness_audit)),
        ("Sensitivity of the outcome mix to the cut-offs", _sensitivity(report)),
        ("Limitations", _limitations(report.limitations)),
        ("Ongoing monitoring plan", _monitoring(report.monitoring_plan)),
    ]
    story: list[Flowable] = [
        para(f"{KIND}: {report.model_name} {report.model_version}", "title"),
        para(f"Generated {fmt_datetime(report.generated_at)}", "subtitle"),
    ]
    for number, (title, content) in enumerate(sections, start=1):
        story += [para(f"{number}. {title}", "h1"), *content]
    story.append(_sign_off(report, len(sections) + 1))
    return build_pdf(
        story,
        kind=f"{KIND} · {report.model_name} {report.model_version}",
        title=f"{KIND}: {report.model_name} {report.model_version}",
        subject="Model validation",
        generated_at=report.generated_at,
        ledger_head=report.ledger_head,
        provenance=provenance,
    )


def _purpose_and_data(report: ModelValidationInput) -> list[Flowable]:
    data = report.data
    period = f"{fmt_date(data.period_start)} to {fmt_date(data.period_end)}"
    pairs = [
        ("Model", f"{report.model_name}, version {report.model_version}"),
        ("Data source", data.source),
        ("Rows", fmt_int(data.rows)),
        ("Bad rate", fmt_pct(data.bad_rate)),
        ("Period", period if data.period_start or data.period_end else MISSING),
        ("Target", data.target),
        ("Data sha256", mono_lines(data.sha256)),
        ("Ledger head", mono_lines(f"seq {report.ledger_head.seq} {report.ledger_head.hash}", 80)),
    ]
    return [para(report.purpose), key_value_table(pairs)]


def _method(method: Method | None) -> list[Flowable]:
    if method is None:
        return []
    rows = [[c.characteristic, fmt_num(c.coefficient, 4)] for c in method.coefficients]
    return [
        para("Method and coefficients", "h2"),
        para(method.description),
        key_value_table([
            ("Intercept", fmt_num(method.intercept, 4)),
            ("Scaling", f"{fmt_num(method.base_score, 0)} points at {fmt_num(method.base_odds, 0)}"
                        f":1 good:bad odds; {fmt_num(method.pdo, 0)} points to double the odds"),
        ]),
        *([data_table(["Characteristic (WoE)", "Coefficient"], rows, numeric=[1],
                      widths=[3.6 * inch, 1.2 * inch])] if rows else []),
    ]


def _characteristics(characteristics: Sequence[Characteristic]) -> list[Flowable]:
    if not characteristics:
        return [para("No characteristics were supplied.")]
    summary = [
        [c.name, fmt_int(len(c.bins)), fmt_num(_total_iv(c), 4)]
        for c in sorted(characteristics, key=lambda c: -_total_iv(c))
    ]
    out: list[Flowable] = [
        para("Information value (IV) by characteristic, highest first.", "small"),
        data_table(
            ["Characteristic", "Bins", "Total IV"],
            summary,
            numeric=[1, 2],
            widths=[3.6 * inch, 0.8 * inch, 1.0 * inch],
        ),
    ]
    widths = [2.5 * inch] + [0.75 * inch] * 6
    for c in characteristics:
        rows = [
            [
                b.label,
                fmt_int(b.count),
                fmt_pct(b.count_share),
                fmt_pct(b.event_rate),
                fmt_num(b.woe, 4),
                fmt_num(b.iv, 4),
                fmt_num(b.points, 1),
            ]
            for b in c.bins
        ]
        rows.append(
            [
                "Total",
                fmt_int(sum(b.count for b in c.bins)),
                "",
                "",
                "",
                fmt_num(_total_iv(c), 4),
                "",
            ]
        )
        table = data_table(
            ["Bin", "Count", "Count %", "Bad rate", "WoE", "IV", "Points"],
            rows,
            numeric=range(1, 7),
            widths=widths,
        )
        out.append(KeepTogether([para(c.name, "h2"), table]))
    return out


def _total_iv(characteristic: Characteristic) -> float:
    if characteristic.total_iv is not None:
        return float(characteristic.total_iv)
    return float(sum(b.iv for b in characteristic.bins))


def _performance(report: ModelValidationInput) -> list[Flowable]:
    perf = report.performance
    if len(report.y_bad):
        y = np.asarray(report.y_bad, dtype=int)
        pd_hat = np.asarray(report.probability_of_default, dtype=float)
        auc, ks = roc_auc(y, pd_hat), ks_statistic(y, pd_hat)
        ci = bootstrap_intervals(y, pd_hat, rounds=BOOTSTRAP_ROUNDS, seed=0)

        def with_ci(value: float, name: str) -> str:
            low, high = ci[name]
            return f"{fmt_num(value)} (95% CI {fmt_num(low)} to {fmt_num(high)})"

        measured = [("AUC (out of fold)", with_ci(auc, "auc")),
                    ("Gini (2 × AUC − 1)", with_ci(2 * auc - 1, "gini")),
                    ("KS", with_ci(ks, "ks"))]
    else:
        measured = [("AUC (out of fold)", fmt_num(perf.auc)),
                    ("Gini (2 × AUC − 1)", fmt_num(2 * perf.auc - 1)),
                    ("KS", fmt_num(perf.ks))]
    pairs = [
        *measured,
        (
            f"CV AUC ({perf.cv_folds} folds)",
            f"{fmt_num(perf.cv_auc_mean)} ± {fmt_num(perf.cv_auc_std)}",
        ),
        ("Hold-out AUC", fmt_num(perf.holdout_auc)),
    ]
    out: list[Flowable] = [key_value_table(pairs)]
    if len(report.y_bad):
        half = CONTENT_WIDTH / 2 - 4
        charts = Table(
            [
                [
                    chart_image(roc_figure(report.y_bad, report.probability_of_default), half),
                    chart_image(score_distribution_figure(
                        report.y_bad, report.score,
                        cutoffs=[(c.label, c.min_score) for c in report.cutoffs]), half),
                ]
            ],
            colWidths=[CONTENT_WIDTH / 2] * 2,
        )
        charts.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        out += [para("Charts", "h2"), charts]
    calibration = perf.calibration or calibration_table(report.y_bad, report.probability_of_default)
    rows = [
        [str(r.decile), fmt_pct(r.mean_pd, 2), fmt_pct(r.observed_bad_rate, 2), fmt_int(r.count)]
        for r in calibration
    ]
    out.append(
        KeepTogether(
            [
                para("Calibration by PD decile", "h2"),
                data_table(
                    ["PD decile", "Mean predicted PD", "Observed bad rate", "Count"],
                    rows,
                    numeric=range(4),
                    widths=[1.0 * inch, 1.6 * inch, 1.6 * inch, 1.0 * inch],
                ),
            ]
        )
    )
    return out


def _counter_intuitive(report: ModelValidationInput) -> list[Flowable]:
    out: list[Flowable] = [para("Counter-intuitive bins", "h2")]
    if report.expectations_version is None:
        return out + [para("The bins were not checked against an expected risk order: no "
                           "expectations were recorded for this model's characteristics.")]
    intro = (f"Each characteristic's bins are checked against its expected risk order "
             f"(expectations version {report.expectations_version}). A bin is listed when its "
             "bad rate is above that of a bin expected to be riskier; every reversal is "
             "listed, however small.")
    if not report.counter_intuitive:
        return out + [para(intro), para("No bin runs against its expected order.")]
    rows = [[f.characteristic, f.bin, f"{fmt_pct(f.bad_rate)} of {fmt_int(f.rows)}",
             f.riskier_bin, f"{fmt_pct(f.riskier_bad_rate)} of {fmt_int(f.riskier_rows)}"]
            for f in report.counter_intuitive]
    out += [para(intro, "small"),
            data_table(["Characteristic", "Bin", "Bad rate", "Expected riskier bin", "Bad rate"],
                       rows, widths=[1.3 * inch, 1.75 * inch, 0.8 * inch, 1.75 * inch,
                                     0.8 * inch]),
            para("Why they are kept", "h2")]
    seen: dict[str, CounterIntuitive] = {}
    for finding in report.counter_intuitive:
        seen.setdefault(finding.characteristic, finding)
    for name, finding in seen.items():
        rationale = finding.rationale or (
            "No rationale is recorded: a validator must accept or reject these bins before "
            "the model is approved.")
        out.append(para(f"<b>{escape(name)}</b> (expected: {escape(finding.expectation)}) "
                        f"{escape(rationale)}", "tight" if finding.rationale else "note",
                        markup=True))
    return out


def _benchmarks(rows: Sequence[BenchmarkRow]) -> list[Flowable]:
    out: list[Flowable] = [para("Benchmark against other methods", "h2")]
    if not rows:
        return out + [para("No benchmark was run when this model was trained; retrain it to "
                           "compare it with other methods on the same folds.")]
    own = rows[0]
    table = [[r.name, r.description, f"{fmt_num(r.auc)} ± {fmt_num(r.auc_std)}",
              fmt_num(2 * r.auc - 1), fmt_num(r.ks),
              "" if r is own else f"{r.auc - own.auc:+.3f}"] for r in rows]
    return out + [
        para("Every method is fitted and scored on the same folds (the first cross-validation "
             "round) with the same characteristics; AUC is the mean over the folds with its "
             "standard deviation, Gini is 2 × AUC − 1 of that mean, KS is measured on the "
             "pooled out-of-fold predictions.", "small"),
        data_table(["Method", "How", "AUC", "Gini", "KS", "AUC vs model"], table,
                   numeric=range(2, 6),
                   widths=[1.5 * inch, 2.3 * inch, 1.0 * inch, 0.6 * inch, 0.6 * inch,
                           0.8 * inch])]


def _stability_reading(value: float) -> str:
    if value >= STABILITY_ACT:
        return "shifted: act"
    if value >= STABILITY_WARN:
        return "shifting: investigate"
    return "stable"


def _stability(stability: Stability | None) -> list[Flowable]:
    if stability is None:
        return [para("No stability figures were computed when this model was trained; retrain "
                     "it to compare the development and hold-out samples.")]
    bins = [[b.label, fmt_pct(b.development_share), fmt_pct(b.comparison_share),
             fmt_num(b.psi, 4)] for b in stability.score_bins]
    bins.append(["Total (PSI)", "", "", fmt_num(stability.score_psi, 4)])
    characteristics = [[c.name, fmt_num(c.csi, 4), _stability_reading(c.csi)]
                       for c in sorted(stability.characteristics, key=lambda c: -c.csi)]
    return [
        para(f"Development sample ({fmt_int(stability.development_rows)} rows) against the "
             f"{stability.comparison} ({fmt_int(stability.comparison_rows)} rows). The data "
             "carry no dates, so no time split is possible. Score PSI "
             f"{fmt_num(stability.score_psi, 4)}: {_stability_reading(stability.score_psi)} "
             f"(warn at {STABILITY_WARN:.2f}, act at {STABILITY_ACT:.2f}, as in the monitoring "
             "plan). Score bands are cut on the development scores.", "small"),
        KeepTogether([para("Score (PSI)", "h2"),
                      data_table(["Score band", "Development", "Comparison", "PSI"], bins,
                                 numeric=range(1, 4),
                                 widths=[2.0 * inch, 1.1 * inch, 1.1 * inch, 0.9 * inch])]),
        KeepTogether([para("Characteristics (CSI)", "h2"),
                      data_table(["Characteristic", "CSI", "Reading"], characteristics,
                                 numeric=[1], widths=[2.6 * inch, 0.9 * inch, 1.6 * inch])]),
    ]


SENSITIVITY_SHIFTS = (-20, -10, 0, 10, 20)
BOOTSTRAP_ROUNDS = 500


def _sensitivity(report: ModelValidationInput) -> list[Flowable]:
    if not report.cutoffs or not len(report.y_bad):
        return [para("No decision policy's cut-offs were given, so the outcome mix cannot be "
                     "shown.")]
    y = np.asarray(report.y_bad, dtype=int)
    score = np.asarray(report.score, dtype=float)
    floors = [c.min_score for c in report.cutoffs]
    labels = [c.label for c in report.cutoffs] + ["below the lowest cut-off"]
    rows = []
    for shift in SENSITIVITY_SHIFTS:
        # The band of each row: how many floors (highest first) it falls short of.
        band = (score[:, None] < (np.array(floors) + shift)[None, :]).sum(axis=1)
        shares = [float(np.mean(band == i)) for i in range(len(labels))]
        top = band == 0
        rows.append([f"{shift:+d}" if shift else "as set",
                     *(fmt_pct(v) for v in shares),
                     fmt_pct(float(y[top].mean()) if top.any() else None)])
    return [para("The validation rows' outcome mix, and the bad rate of those in the top band, "
                 "with every cut-off moved by the same number of points. Cut-offs as set: "
                 + ", ".join(f"{c.label} from {fmt_num(c.min_score, 1)}"
                             for c in report.cutoffs) + ".", "small"),
            data_table(["Cut-offs moved", *labels, f"Bad rate, {labels[0]}"], rows,
                       numeric=range(1, len(labels) + 2))]


def _monitoring(plan: Sequence[MonitoringItem]) -> list[Flowable]:
    if not plan:
        return [para("No monitoring plan was given.")]
    return [data_table(["What is measured", "How often", "Threshold", "What happens"],
                       [[m.measure, m.frequency, m.threshold, m.action] for m in plan],
                       widths=[2.3 * inch, 0.8 * inch, 1.6 * inch, 2.3 * inch])]


def _limitations(limitations: Sequence[str]) -> list[Flowable]:
    if not limitations:
        return [para("No limitations were recorded.")]
    return [para(f"• {text}", "tight") for text in limitations]


def _sign_off(report: ModelValidationInput, number: int) -> Flowable:
    """The governance record as it stands: who signed, or plainly that no one has."""
    rows = [["Role", "Name", "Title", "Date"]]
    for role, who in (
        ("Prepared by", report.prepared_by),
        ("Validated by", report.validated_by),
        ("Approved by", report.approved_by),
    ):
        if who.name:
            rows.append([role, who.name, who.title or MISSING, fmt_date(who.signed_on)])
        else:
            rows.append([role, "not yet " + role.split()[0].lower(), MISSING, MISSING])
    table = Table(rows, colWidths=[1.2 * inch, 2.6 * inch, 1.8 * inch, 1.2 * inch], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("TOPPADDING", (0, 1), (-1, -1), 6),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    unsigned = not (report.validated_by.name and report.approved_by.name)
    note = [para("Not yet validated: no independent validation and approval of this model "
                 "version is recorded.", "note")] if unsigned else []
    return KeepTogether([para(f"{number}. Sign-off", "h1"), table, *note])
