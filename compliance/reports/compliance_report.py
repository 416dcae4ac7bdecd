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
    fmt_pct,
    key_value_table,
    mono_lines,
    para,
)
from compliance.reports.fairness_section import fairness_flowables
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
        para("2. Underwriter reviews and overrides", "h1"),
        *_overrides(report),
        para("3. Approval rates and adverse impact by group", "h1"),
        *fairness_flowables(report.fairness_audit),
        para("4. Reasons most often given", "h1"),
        *_reasons(report.top_reasons),
        para("5. Ledger verification", "h1"),
        *_ledger(report.ledger_verification, report.checkpoint),
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
