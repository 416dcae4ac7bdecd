"""The compliance report's input: a period's decisions, overrides, reasons, audit and ledger."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.applications.states import PENDING_STATUSES
from app.audit.service import signing_key
from app.config import Settings
from app.errors import RiskdeskError
from app.fairness import service as fairness
from app.models import Decision
from app.reports import repository
from app.reports.repository import OVERRIDE_KINDS
from app.reviews import service as reviews
from app.users import repository as users
from compliance import ledger
from compliance.reports import (
    ComplianceReportInput,
    CountRow,
    LedgerHead,
    LedgerVerification,
    OverrideRow,
    QueueAgeing,
    ReasonCount,
    SignedCheckpoint,
)
from compliance.reports.compliance_report import SignOff
from compliance.reports.period import (
    ApplicationRow,
    NoticeRow,
    PeriodFigures,
    ReviewRow,
    period_figures,
)

OVERRIDES_LISTED = 50
TOP_REASONS = 10


def compliance_input(session: Session, settings: Settings, parameters: dict[str, Any],
                     generated_at: datetime, head: LedgerHead) -> ComplianceReportInput:
    date_from = date.fromisoformat(parameters["date_from"])
    date_to = date.fromisoformat(parameters["date_to"])
    start, end = fairness.period_bounds(date_from, date_to)
    by_outcome, by_tier = decision_counts(repository.automated_counts(session, start, end))
    options = fairness.AuditOptions(
        intersections=tuple(tuple(p) for p in parameters["fairness"]["intersections"]),
        n_boot=parameters["fairness"]["n_boot"], seed=parameters["fairness"]["seed"])
    try:
        audit = fairness.decisions_audit(session, date_from, date_to, options)
    except RiskdeskError as exc:
        if exc.code != "no_decisions_in_range":
            raise
        audit = None
    figures = figures_of(session, start, end, generated_at, "This period")
    length = date_to - date_from + timedelta(days=1)
    previous = figures_of(session, *fairness.period_bounds(date_from - length,
                                                           date_from - timedelta(days=1)),
                          generated_at, "Previous period").summary
    verification = repository.verify_up_to(session, head.seq)
    signed = ledger.sign_checkpoint(signing_key(settings), head.seq, head.hash, generated_at)
    return ComplianceReportInput(
        lender_name=settings.creditor_name,
        period_start=date_from,
        period_end=date_to,
        generated_at=generated_at,
        ledger_head=head,
        decisions_by_outcome=by_outcome,
        decisions_by_tier=by_tier,
        overrides=[_override_row(d, previous)
                   for d, previous in repository.overrides(session, start, end,
                                                           OVERRIDES_LISTED)],
        override_total=repository.override_count(session, start, end),
        top_reasons=top_reasons(repository.reason_lists(session, start, end)),
        ledger_verification=LedgerVerification(**verification.as_dict()),
        checkpoint=SignedCheckpoint(seq=signed["head_seq"], hash=signed["head_hash"],
                                    signed_at=signed["signed_at"], signature=signed["signature"],
                                    public_key_fingerprint=signed["key_fingerprint"],
                                    public_key_pem=ledger.public_key_pem(signing_key(settings))),
        fairness_audit=audit,
        interim=generated_at < end,
        figures=figures,
        # The report states its time to the second; the snapshot it reads holds every case
        # opened by then, however far into that second.
        queue=_queue(session, start, min(end, generated_at.replace(microsecond=999_999))),
        previous=previous,
        signoff=SignOff(prepared_by=_name(session, parameters.get("prepared_by", "system")),
                        prepared_role=parameters.get("prepared_role", "system"),
                        prepared_on=generated_at.date()),
    )


def figures_of(session: Session, start: datetime, end: datetime, cutoff: datetime,
               label: str) -> PeriodFigures:
    """The period's figures (:func:`compliance.reports.period.period_figures`) from the
    applications submitted in ``[start, end)`` as they stand at ``cutoff``."""
    decisions: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in repository.decisions_of_period_applications(session, start, end):
        decisions[row[0]].append(row)
    names = {i: p[0] for i, p in users.people(
        session, {d[3] for ds in decisions.values() for d in ds}).items()}
    pending_statuses = {str(s) for s in PENDING_STATUSES}
    apps, reviews = [], []
    for (app_id, submitted_at, status, outcome, sex, age, origin,
         marital) in repository.period_applications(session, start, end):
        made = decisions.get(app_id, [])
        if not made:
            continue
        _, _, _, _, _, reasons, knockouts, amount, apr = made[-1]
        apps.append(ApplicationRow(
            application_id=app_id, submitted_at=submitted_at, status=status,
            automated_outcome=made[0][2], final_outcome=outcome,
            pending=status in pending_statuses,
            groups={k: v for k, v in (("sex", sex), ("age_band", age),
                                      ("national_origin", origin),
                                      ("marital_status", marital)) if v is not None},
            denial_codes=[r["code"] for r in [*_json_list(reasons), *_json_list(knockouts)]]
            if outcome == "decline" else [],
            offered_amount=Decimal(amount) if amount else None,
            offered_apr=Decimal(apr) if apr else None))
        for before, (_, kind, to_outcome, by, role, *_parts) in itertools.pairwise(made):
            if kind in OVERRIDE_KINDS:
                reviews.append(ReviewRow(
                    application_id=app_id, kind=kind, from_outcome=before[2],
                    to_outcome=to_outcome, by_name=names.get(by, by), by_role=role))
    notices = [NoticeRow(kind=kind, status=status, due_date=due,
                         delivered_on=delivered.date() if delivered else None)
               for kind, status, due, delivered
               in repository.notices_of_period_applications(session, start, end)]
    return period_figures(apps, reviews, notices, cutoff=cutoff, label=label)


def _queue(session: Session, start: datetime, cutoff: datetime) -> QueueAgeing:
    """The review queue as it stood at the cut-off (cases decided later count as waiting)."""
    figures = reviews.ageing(session, cutoff, since=start)
    return QueueAgeing(open_by_age_band=[CountRow(b, n) for b, n in figures.open_by_age_band],
                       overdue=figures.overdue, decided=figures.decided,
                       median_hours_to_decision=figures.median_hours_to_decision)


def _json_list(text: str | None) -> list[Any]:
    return json.loads(text) if text else []


def _name(session: Session, actor_id: str) -> str:
    person = users.people(session, {actor_id}).get(actor_id)
    return person[0] if person else actor_id


def decision_counts(rows: list[tuple[str, str | None, int]]
                    ) -> tuple[list[CountRow], list[CountRow]]:
    """By outcome (most frequent first) and by risk tier (by name)."""
    outcomes: Counter[str] = Counter()
    tiers: Counter[str] = Counter()
    for outcome, tier, count in rows:
        outcomes[outcome] += count
        tiers[tier or "none"] += count
    by_outcome = sorted(outcomes.items(), key=lambda item: (-item[1], item[0]))
    return ([CountRow(k, n) for k, n in by_outcome],
            [CountRow(k, n) for k, n in sorted(tiers.items())])


def top_reasons(rows: list[tuple[list[Any], list[Any]]],
                top_n: int = TOP_REASONS) -> list[ReasonCount]:
    """How many decisions gave each reason code (knock-outs included, once per decision), most
    frequent first, each with its most frequent statement."""
    counts: Counter[str] = Counter()
    statements: dict[str, Counter[str]] = defaultdict(Counter)
    for reasons, knockouts in rows:
        seen = set()
        for entry in [*reasons, *knockouts]:
            code = str(entry["code"])
            statements[code][str(entry.get("statement", ""))] += 1
            if code not in seen:
                seen.add(code)
                counts[code] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top_n]
    return [ReasonCount(code, _most_common(statements[code]), n) for code, n in ranked]


def _most_common(counter: Counter[str]) -> str:
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0] if counter else ""


def _override_row(decision: Decision, previous: str | None) -> OverrideRow:
    # The note is the underwriter's free text and may name the applicant: a period report
    # states the reason codes only.
    codes = ", ".join(r["code"] for r in decision.record.get("reasons", [])) or "no reason code"
    reason = f"Review of a referral: {codes}" if decision.kind == "review" else codes
    return OverrideRow(decision_id=decision.id, from_outcome=previous or "—",
                       to_outcome=decision.outcome, by_role=decision.decided_by_role,
                       reason=reason, at=decision.created_at)
