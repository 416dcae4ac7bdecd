"""Periodic compliance report: decisions, overrides, fairness, reasons and ledger verification.

Takes tables already aggregated by the caller (see ``compliance.reports.summaries``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether, XPreformatted

from compliance.reports.common import (
    ALERT,
    MISSING,
    STYLES,
    LedgerHead,
    Provenance,
    build_pdf,
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
from compliance.reports.fairness_section import fairness_flowables
from compliance.reports.period import (
    SMALL_GROUP,
    NoticeCoverage,
    PeriodFigures,
    PeriodSummary,
    group_label,
)
from compliance.reports.summaries import CountRow, ReasonCount

KIND = "Compliance report"


@dataclass(frozen=True)
class OverrideRow:
    """A decision changed by a person: from which outcome to which, by whom, why."""

    decision_id: str
    from_outcome: str
    to_outcome: str
    by_role: str
    reason: str
    at: datetime | None = None


@dataclass(frozen=True)
class LedgerVerification:
    """Result of recomputing the ledger's hash chain."""

    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class SignedCheckpoint:
    """A signed ledger checkpoint, printed exactly as signed so that it verifies as printed.

    ``signed_at`` is the signed text (``compliance.ledger.format_timestamp``), ``signature`` the
    base64 signature; ``public_key_pem`` the key that verifies it and ``public_key_url`` where
    the service publishes that key.
    """

    seq: int
    hash: str
    signed_at: str
    signature: str
    public_key_fingerprint: str
    public_key_pem: str = ""
    public_key_url: str = "/audit/public-key"

    def as_json(self) -> str:
        """The checkpoint as ``POST /audit/verify`` takes it, one field a line."""
        fields = {"head_seq": self.seq, "head_hash": self.hash, "signed_at": self.signed_at,
                  "signature": self.signature, "key_fingerprint": self.public_key_fingerprint}
        return json.dumps(fields, indent=1)


@dataclass(frozen=True)
class QueueAgeing:
    """The underwriters' review queue at the cut-off: cases still waiting by how long they have
    waited, those past their service level, and the median time to decision in the period."""

    open_by_age_band: Sequence[CountRow]
    overdue: int
    decided: int
    median_hours_to_decision: float | None


@dataclass(frozen=True)
class ComplianceReportInput:
    """Everything the compliance report shows for one period.

    ``overrides`` may be a selection; ``override_total`` then gives the full count.
    ``fairness_audit`` is the dict returned by ``compliance.fairness.audit_fairness``.
    """

    lender_name: str
    period_start: date
    period_end: date
    generated_at: datetime
    ledger_head: LedgerHead
    decisions_by_outcome: Sequence[CountRow]
    decisions_by_tier: Sequence[CountRow]
    overrides: Sequence[OverrideRow]
    top_reasons: Sequence[ReasonCount]
    ledger_verification: LedgerVerification
    checkpoint: SignedCheckpoint | None = None
    fairness_audit: Mapping[str, Any] | None = None
    override_total: int | None = None
    # Made before the period ended: its figures will still change.
    interim: bool = False
    # Outcomes after review, reviews and overrides by direction, underwriter and group,
    # referrals waiting, denial reasons and offers by group, notice coverage.
    figures: PeriodFigures | None = None
    queue: QueueAgeing | None = None
    # The previous period's key figures, shown beside this period's.
    previous: PeriodSummary | None = None
    signoff: SignOff | None = None


@dataclass(frozen=True)
class SignOff:
    """Who prepared the report, and the statement the reviewer signs."""

    prepared_by: str
    prepared_role: str
    prepared_on: date


def build_compliance_report(report: ComplianceReportInput,
                            provenance: Provenance | None = None) -> bytes:
    """Build the compliance report PDF.

    Parameters
    ----------
    report : ComplianceReportInput
        The report's content.

    Returns
    -------
    bytes
        The PDF, identical for identical input.
    """
    period = f"{fmt_date(report.period_start)} to {fmt_date(report.period_end)}"
    label = "INTERIM " if report.interim else ""
    story: list[Flowable] = [
        para(f"{label}{KIND}: {report.lender_name}", "title"),
        para(f"Period {period} · generated {fmt_datetime(report.generated_at)}", "subtitle"),
        *([para("Interim: the period had not ended when this report was made; its figures "
                "cover the decisions recorded in the ledger up to sequence "
                f"{fmt_int(report.ledger_head.seq)} and will change.", "note")]
          if report.interim else []),
        para("1. Decisions", "h1"),
        *_decisions(report),
        *(_final_outcomes(report.figures) if report.figures else []),
        para("2. Underwriter reviews and overrides", "h1"),
        *_overrides(report),
        *(_review_breakdowns(report.figures) if report.figures else []),
        para("3. Referrals still waiting at the cut-off", "h1"),
        *(_pending(report.figures) if report.figures else [para("Not available.")]),
        *_queue(report.queue),
        para("4. Approval rates and adverse impact by group", "h1"),
        *fairness_flowables(report.fairness_audit),
        para("5. Denial reasons by group", "h1"),
        *(_denials_by_group(report.figures) if report.figures else [para("Not available.")]),
        para("6. Amount and APR offered by group", "h1"),
        *(_offers_by_group(report.figures) if report.figures else [para("Not available.")]),
        para("7. Adverse action notices: coverage and timeliness", "h1"),
        *(_notices(report.figures.notices) if report.figures else [para("Not available.")]),
        para("8. Reasons most often given", "h1"),
        *_reasons(report.top_reasons),
        para("9. This period beside the previous one", "h1"),
        *_comparison(report.figures.summary if report.figures else None, report.previous),
        para("10. Ledger verification", "h1"),
        *_ledger(report.ledger_verification, report.checkpoint),
        KeepTogether([para("11. Sign-off", "h1"), *_signoff(report.signoff)]),
    ]
    return build_pdf(
        story,
        kind=f"{label}{KIND} · {period}",
        title=f"{label}{KIND} {period}",
        subject=f"Compliance report for {report.lender_name}, {period}",
        generated_at=report.generated_at,
        ledger_head=report.ledger_head,
        provenance=provenance,
    )


SMALL_NOTE = (f"Groups marked * have fewer than {SMALL_GROUP} applications: their figures are "
              "shown for completeness and are too few to compare.")


def _group_cell(attribute: str, group: str, small: bool) -> str:
    return f"{group_label(attribute)}: {group}{' *' if small else ''}"


def _final_outcomes(figures: PeriodFigures) -> list[Flowable]:
    automated = {r.label: r.count for r in figures.automated_by_outcome}
    final = {r.label: r.count for r in figures.final_by_outcome}
    labels = sorted(set(automated) | set(final), key=lambda k: (-final.get(k, 0), k))
    rows = [[k, fmt_int(automated.get(k, 0)), fmt_int(final.get(k, 0))] for k in labels]
    rows.append(["Total", fmt_int(figures.applications), fmt_int(figures.applications)])
    return [KeepTogether([
        para("Outcomes after review (final), beside the automated ones", "h2"),
        para(f"The {fmt_int(figures.applications)} applications submitted in the period, by "
             "the automated decision and by where each stands at the cut-off (after reviews, "
             "overrides and answers to counteroffers; 'pending' is still waiting).", "small"),
        data_table(["Outcome", "Automated", "Final"], rows, numeric=[1, 2],
                   widths=[2.6 * inch, 1.1 * inch, 1.1 * inch])])]


def _review_breakdowns(figures: PeriodFigures) -> list[Flowable]:
    out: list[Flowable] = []
    if figures.directions:
        out.append(KeepTogether([para("By direction", "h2"), data_table(
            ["Kind", "From", "To", "Count"],
            [[d.kind, d.from_outcome, d.to_outcome, fmt_int(d.count)]
             for d in figures.directions], numeric=[3],
            widths=[1.3 * inch, 1.3 * inch, 1.3 * inch, 1.0 * inch])]))
    if figures.by_underwriter:
        out.append(KeepTogether([para("By underwriter", "h2"), data_table(
            ["Underwriter", "Role", "Reviews", "Overrides", "To approve", "To decline"],
            [[u.name, u.role, fmt_int(u.reviews), fmt_int(u.overrides), fmt_int(u.to_approve),
              fmt_int(u.to_decline)] for u in figures.by_underwriter], numeric=[2, 3, 4, 5],
            widths=[1.6 * inch, 1.2 * inch, 0.9 * inch, 0.9 * inch, 0.9 * inch, 0.9 * inch])]))
    rows = [[_group_cell(g.attribute, g.group, g.small), fmt_int(g.applications),
             fmt_int(g.changed), fmt_pct(g.changed / g.applications if g.applications else None)]
            for g in figures.changes_by_group]
    if rows:
        out.append(KeepTogether([
            para("By group (decisions changed by an underwriter)", "h2"),
            data_table(["Group", "Applications", "Changed", "Share"], rows, numeric=[1, 2, 3],
                       widths=[2.6 * inch, 1.1 * inch, 1.0 * inch, 0.9 * inch]),
            para(SMALL_NOTE, "small")]))
    return out


def _pending(figures: PeriodFigures) -> list[Flowable]:
    waiting = sum(r.count for r in figures.pending_by_age)
    if not waiting:
        return [para("No application of the period was still waiting at the cut-off.")]
    return [
        para(f"{fmt_int(waiting)} application{' was' if waiting == 1 else 's were'} still "
             "waiting (for an underwriter, for "
             "missing information or for an answer to a counteroffer); the oldest for "
             f"{fmt_int(figures.oldest_pending_days)} days. They are not in the final outcomes "
             "nor in the approval rates by group."),
        data_table(["Waiting for", "Applications"],
                   [[r.label, fmt_int(r.count)] for r in figures.pending_by_age], numeric=[1],
                   widths=[2.6 * inch, 1.1 * inch]),
    ]


def _queue(queue: QueueAgeing | None) -> list[Flowable]:
    if queue is None:
        return []
    waiting = sum(r.count for r in queue.open_by_age_band)
    median = (f"{fmt_num(queue.median_hours_to_decision, 1)} hours"
              if queue.median_hours_to_decision is not None else "no case decided")
    return [para("The review queue", "h2"),
            para(f"{fmt_int(waiting)} case{'' if waiting == 1 else 's'} (referrals and "
                 f"potential sanctions matches) waiting at the cut-off, {fmt_int(queue.overdue)} "
                 f"past the policy's service level; {fmt_int(queue.decided)} decided in the "
                 f"period, median time to decision {median}."),
            data_table(["Waiting for", "Cases"],
                       [[r.label, fmt_int(r.count)] for r in queue.open_by_age_band],
                       numeric=[1], widths=[2.6 * inch, 1.1 * inch])]


def _denials_by_group(figures: PeriodFigures) -> list[Flowable]:
    if not figures.denial_reasons_by_group:
        return [para("No application of the period was declined.")]
    rows = [[_group_cell(r.attribute, r.group, r.small), fmt_int(r.denials), r.code,
             fmt_int(r.count), fmt_pct(r.count / r.denials if r.denials else None)]
            for r in figures.denial_reasons_by_group]
    return [para("The reasons given most often to each group's declined applicants (up to "
                 "three per group; an application can state several).", "small"),
            data_table(["Group", "Declined", "Reason", "Times", "Share"], rows,
                       numeric=[1, 3, 4],
                       widths=[2.4 * inch, 0.9 * inch, 1.6 * inch, 0.8 * inch, 0.8 * inch]),
            para(SMALL_NOTE, "small")]


def _offers_by_group(figures: PeriodFigures) -> list[Flowable]:
    rows = [[_group_cell(r.attribute, r.group, r.small), fmt_int(r.approvals),
             MISSING if r.median_amount is None else f"{r.median_amount:,.2f}",
             MISSING if r.mean_apr is None else fmt_pct(float(r.mean_apr), 2)]
            for r in figures.offers_by_group]
    if not rows:
        return [para("No application of the period was approved.")]
    return [para("Approved applications: the median amount and the mean APR of the terms "
                 "offered (in the application's currency).", "small"),
            data_table(["Group", "Approved", "Median amount", "Mean APR"], rows,
                       numeric=[1, 2, 3],
                       widths=[2.6 * inch, 1.0 * inch, 1.3 * inch, 1.0 * inch]),
            para(SMALL_NOTE, "small")]


def _notices(coverage: NoticeCoverage) -> list[Flowable]:
    met = coverage.delivered_on_time + coverage.delivered_late + coverage.overdue
    return [key_value_table([
        ("Notices owed", fmt_int(coverage.owed)),
        ("Delivered by the due date", fmt_int(coverage.delivered_on_time)),
        ("Delivered late", fmt_int(coverage.delivered_late)),
        ("Past due, not delivered", fmt_int(coverage.overdue)),
        ("Not yet due", fmt_int(coverage.not_yet_due)),
        ("Withdrawn (action reversed)", fmt_int(coverage.withdrawn)),
        ("On time, of those due", fmt_pct(coverage.delivered_on_time / met if met else None)),
    ])]


def _comparison(current: PeriodSummary | None,
                previous: PeriodSummary | None) -> list[Flowable]:
    if current is None:
        return [para("Not available.")]
    columns = [current] + ([previous] if previous else [])
    rows = [
        ["Applications", *(fmt_int(c.applications) for c in columns)],
        ["Automated approval rate", *(fmt_pct(c.automated_approval_rate) for c in columns)],
        ["Final approval rate (decided)", *(fmt_pct(c.final_approval_rate) for c in columns)],
        ["Changed by an underwriter", *(fmt_pct(c.changed_by_underwriter) for c in columns)],
        ["Waiting at the cut-off", *(fmt_int(c.pending_at_cutoff) for c in columns)],
        ["Notices on time", *(fmt_pct(c.notices_on_time) for c in columns)],
    ]
    out: list[Flowable] = [data_table(["Figure", *(c.label for c in columns)], rows,
                                      numeric=list(range(1, len(columns) + 1)))]
    if previous is None:
        out.append(para("No previous period to compare.", "small"))
    return out


def _signoff(signoff: SignOff | None) -> list[Flowable]:
    if signoff is None:
        return [para("Prepared by the system; no person is named.")]
    return [key_value_table([
        ("Prepared by", f"{signoff.prepared_by} ({signoff.prepared_role})"),
        ("Prepared on", fmt_date(signoff.prepared_on)),
        ("Reviewed by", "Name, title and date to be completed by the reviewer on the filed "
                        "copy; the ledger records who downloaded and verified this report."),
    ])]


def _count_table(title: str, rows: Sequence[CountRow]) -> Flowable:
    total = sum(r.count for r in rows)
    body = [[r.label, fmt_int(r.count), fmt_pct(r.count / total if total else None)] for r in rows]
    body.append(["Total", fmt_int(total), fmt_pct(1.0 if total else None)])
    table = data_table(
        [title, "Decisions", "Share"],
        body,
        numeric=[1, 2],
        widths=[2.6 * inch, 1.1 * inch, 0.9 * inch],
    )
    return KeepTogether([para(f"By {title.lower()}", "h2"), table])


def _decisions(report: ComplianceReportInput) -> list[Flowable]:
    total = sum(r.count for r in report.decisions_by_outcome)
    return [
        para(f"{fmt_int(total)} decisions were made in the period."),
        _count_table("Outcome", report.decisions_by_outcome),
        _count_table("Risk tier", report.decisions_by_tier),
    ]


def _overrides(report: ComplianceReportInput) -> list[Flowable]:
    total = report.override_total if report.override_total is not None else len(report.overrides)
    decisions = sum(r.count for r in report.decisions_by_outcome)
    share = fmt_pct(total / decisions, 2) if decisions else MISSING
    out: list[Flowable] = [
        para(f"{fmt_int(total)} of {fmt_int(decisions)} decisions were decided or changed by an "
             f"underwriter ({share}): reviews of referrals and overrides of automated "
             "decisions.")
    ]
    if not report.overrides:
        return out
    if len(report.overrides) < total:
        out.append(para(f"The {len(report.overrides)} listed below are a selection.", "small"))
    rows = [
        [o.decision_id, o.from_outcome, o.to_outcome, o.by_role, o.reason, fmt_datetime(o.at)]
        for o in report.overrides
    ]
    out.append(
        data_table(
            ["Decision", "From", "To", "By role", "Reason", "At"],
            rows,
            widths=[1.05 * inch, 0.75 * inch, 0.75 * inch, 0.85 * inch, 2.2 * inch, 1.4 * inch],
        )
    )
    return out


def _reasons(reasons: Sequence[ReasonCount]) -> list[Flowable]:
    if not reasons:
        return [para("No reasons were given in the period.")]
    rows = [[r.code, r.statement, fmt_int(r.count)] for r in reasons]
    return [
        data_table(
            ["Code", "Statement", "Times given"],
            rows,
            numeric=[2],
            widths=[0.8 * inch, 5.0 * inch, 1.0 * inch],
        )
    ]


def _ledger(result: LedgerVerification, checkpoint: SignedCheckpoint | None) -> list[Flowable]:
    if result.ok:
        status = para("OK: every event re-hashes to the stored chain", "cell")
    else:
        status = para(
            f'<font color="#{ALERT.hexval()[2:]}"><b>FAILED</b></font>', "cell", markup=True
        )
    pairs: list[tuple[str, Any]] = [
        ("Verification", status),
        ("Events verified", fmt_int(result.events)),
        ("Head sequence", fmt_int(result.head_seq)),
        ("Head hash", mono_lines(result.head_hash)),
        ("First bad sequence", fmt_int(result.first_bad_seq)),
    ]
    if result.problem:
        pairs.append(("Problem", result.problem))
    out: list[Flowable] = [key_value_table(pairs)]
    if checkpoint is None:
        return [*out, para("No signed checkpoint was supplied.", "small")]
    signed = [
        ("Checkpoint sequence", fmt_int(checkpoint.seq)),
        ("Checkpoint hash", mono_lines(checkpoint.hash)),
        ("Signed at", mono_lines(checkpoint.signed_at)),
        ("Ed25519 signature", mono_lines(checkpoint.signature, width=96)),
        ("Public key fingerprint", mono_lines(checkpoint.public_key_fingerprint)),
        ("Public key", checkpoint.public_key_url),
    ]
    copyable = [
        para("To check it, send this block, as printed, to POST /audit/verify; or check the "
             "Ed25519 signature with the public key below over the canonical JSON (sorted keys, "
             "no spaces) of head_hash, head_seq and signed_at.", "small"),
        XPreformatted(escape(checkpoint.as_json()), STYLES["mono"]),
    ]
    if checkpoint.public_key_pem:
        copyable.append(XPreformatted(escape(checkpoint.public_key_pem.strip()), STYLES["mono"]))
    return [*out, KeepTogether([para("Signed checkpoint", "h2"), key_value_table(signed),
                                *copyable])]
