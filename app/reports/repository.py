"""Queries behind the reports: stored reports, an application's decisions and identity, the
period aggregates of the compliance report, and the ledger prefix a report was built against."""

from __future__ import annotations

import itertools
import json
from contextlib import closing
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased, defer
from sqlmodel import Session, col, select

from app.applications.states import ACCOUNT_ACTION_KINDS
from app.audit import repository as ledger_repository
from app.models import (
    Application,
    ApplicationMonitoring,
    AuditEvent,
    Decision,
    NoticeObligation,
    Report,
)
from compliance import ledger
from risk_models.notices import NoticeKind

OVERRIDE_KINDS = ("override", "review")
# A period report counts credit decisions on the period's applications and the notices they
# owe: an action later taken on the account an application was booked as (a limit reduction)
# is neither, and would otherwise reopen a closed period's figures.
_ACCOUNT_NOTICE_KINDS = (NoticeKind.LIMIT_REDUCTION,)


def _credit_decision(decision: Any = Decision) -> ColumnElement[bool]:
    return col(decision.kind).not_in(ACCOUNT_ACTION_KINDS)


# --- Stored reports -----------------------------------------------------------------------------


def add(session: Session, report: Report) -> Report:
    session.add(report)
    session.flush()
    return report


def get(session: Session, report_id: int, *, with_pdf: bool = False) -> Report | None:
    """A report; its PDF bytes are loaded only when asked for."""
    query = select(Report).where(Report.id == report_id)
    if not with_pdf:
        query = query.options(defer(Report.pdf))  # type: ignore[arg-type]
    return session.exec(query).first()


def search(session: Session, *, kinds: tuple[str, ...] | None = None,
           application_id: str | None = None, submitted_by: str | None = None,
           offset: int = 0, limit: int = 50) -> tuple[list[Report], int]:
    """Reports (without their bytes), newest first, and how many match in all.

    ``submitted_by`` keeps only reports on applications that actor submitted.
    """
    conditions: list[ColumnElement[bool]] = []
    if kinds is not None:
        conditions.append(col(Report.kind).in_(kinds))
    if application_id is not None:
        conditions.append(col(Report.application_id) == application_id)
    if submitted_by is not None:
        conditions.append(col(Report.application_id).in_(
            select(Application.id).where(Application.submitted_by == submitted_by)))
    total = session.exec(select(func.count()).select_from(Report).where(*conditions)).one()
    rows = session.exec(select(Report).where(*conditions)
                        .options(defer(Report.pdf))  # type: ignore[arg-type]
                        .order_by(col(Report.id).desc()).offset(offset).limit(limit)).all()
    return list(rows), int(total)


def page(session: Session, *, kinds: tuple[str, ...] | None = None,
         submitted_by: str | None = None, before_id: int | None = None,
         limit: int = 25) -> list[Report]:
    """Up to ``limit`` reports older than ``before_id`` (all when None), newest first, without
    their bytes: a keyset page on the primary key, with the filters of :func:`search`."""
    query = select(Report).options(defer(Report.pdf),  # type: ignore[arg-type]
                                   defer(Report.manifest))  # type: ignore[arg-type]
    if kinds is not None:
        query = query.where(col(Report.kind).in_(kinds))
    if submitted_by is not None:
        query = query.where(col(Report.application_id).in_(
            select(Application.id).where(Application.submitted_by == submitted_by)))
    if before_id is not None:
        query = query.where(col(Report.id) < before_id)
    return list(session.exec(query.order_by(col(Report.id).desc()).limit(limit)).all())


def count_since(session: Session, since: datetime, *,
                kinds: tuple[str, ...] | None = None) -> int:
    """Reports created at or after ``since`` (on the creation-time index)."""
    query = select(func.count()).select_from(Report).where(col(Report.created_at) >= since)
    if kinds is not None:
        query = query.where(col(Report.kind).in_(kinds))
    return int(session.exec(query).one())


# --- One application ----------------------------------------------------------------------------


def application(session: Session, application_id: str) -> Application | None:
    return session.get(Application, application_id)


def decision(session: Session, decision_id: str) -> Decision | None:
    return session.get(Decision, decision_id)


def automated_decision(session: Session, application_id: str) -> Decision | None:
    """The application's automated decision: the record of its score and key factors."""
    return session.exec(select(Decision).where(Decision.application_id == application_id,
                                               Decision.kind == "automated")).first()


def _in_period(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(col(Decision.created_at) >= start, col(Decision.created_at) < end)


def period_decisions(session: Session, start: datetime,
                     end: datetime) -> list[tuple[str, str | None, str | None, str | None]]:
    """(id, model version, policy version, reason catalogue version) of every decision made in
    ``[start, end)``, by id: the rows a period report counts."""
    rows = session.execute(
        select(Decision.id, Decision.model_version, Decision.policy_version,
               Decision.reason_catalog_version)
        .where(_in_period(start, end), _credit_decision()).order_by(col(Decision.id))).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def period_applications(session: Session, start: datetime,
                        end: datetime) -> list[tuple[Any, ...]]:
    """(id, submitted_at, status, outcome, sex, age band, national origin, marital status) of
    the applications submitted in ``[start, end)``."""
    rows = session.connection().execute(
        sa_select(col(Application.id), col(Application.submitted_at), col(Application.status),
                  col(Application.outcome), col(ApplicationMonitoring.sex),
                  col(ApplicationMonitoring.age_band), col(ApplicationMonitoring.national_origin),
                  col(ApplicationMonitoring.marital_status))
        .outerjoin(ApplicationMonitoring,
                   col(ApplicationMonitoring.application_id) == col(Application.id))
        .where(col(Application.submitted_at) >= start, col(Application.submitted_at) < end)
        .order_by(col(Application.id))).all()
    return [tuple(r) for r in rows]


def decisions_of_period_applications(session: Session, start: datetime,
                                     end: datetime) -> list[tuple[Any, ...]]:
    """(application id, kind, outcome, decided by, their role, reasons, knock-outs, offered
    amount, offered APR) of every decision of the applications submitted in ``[start, end)``,
    in order per application.

    Plain rows, with the record's parts extracted by the database as text, and only where they
    can matter (a decline's reasons, an approval's terms): a quarter holds hundreds of thousands
    of decisions, and decoding every record's JSON would cost more than everything else. The
    reasons and knock-outs are JSON text, decoded by the caller for the decisions it uses.
    """
    record = col(Decision.record)
    outcome = col(Decision.outcome)

    def when(wanted: str, value: Any) -> Any:
        return case((outcome == wanted, value), else_=None)

    rows = session.connection().execute(
        sa_select(col(Decision.application_id), col(Decision.kind), outcome,
                  col(Decision.decided_by), col(Decision.decided_by_role),
                  when("decline", record["reasons"].as_string()),
                  when("decline", record["knockouts"].as_string()),
                  when("approve", record["terms"]["amount"].as_string()),
                  when("approve", record["terms"]["apr"].as_string()))
        .join(Application, col(Application.id) == col(Decision.application_id))
        .where(col(Application.submitted_at) >= start, col(Application.submitted_at) < end,
               _credit_decision())
        .order_by(col(Decision.application_id), col(Decision.created_at), col(Decision.id))
    ).all()
    return [tuple(r) for r in rows]


def notices_of_period_applications(session: Session, start: datetime,
                                   end: datetime) -> list[tuple[Any, ...]]:
    """(kind, status, due date, delivered at) of the notices of the applications submitted in
    ``[start, end)``."""
    rows = session.connection().execute(
        sa_select(col(NoticeObligation.kind), col(NoticeObligation.status),
                  col(NoticeObligation.due_date), col(NoticeObligation.delivered_at))
        .join(Application, col(Application.id) == col(NoticeObligation.application_id))
        .where(col(Application.submitted_at) >= start, col(Application.submitted_at) < end,
               col(NoticeObligation.kind).not_in(_ACCOUNT_NOTICE_KINDS))
    ).all()
    return [tuple(r) for r in rows]


def automated_counts(session: Session, start: datetime,
                     end: datetime) -> list[tuple[str, str | None, int]]:
    """(outcome, risk tier, count) of the automated decisions made in ``[start, end)``."""
    rows = session.execute(
        select(Decision.outcome, Decision.risk_tier, func.count())
        .where(_in_period(start, end), col(Decision.kind) == "automated")
        .group_by(col(Decision.outcome), col(Decision.risk_tier))).all()
    return [(r[0], r[1], int(r[2])) for r in rows]


def override_count(session: Session, start: datetime, end: datetime) -> int:
    return int(session.exec(select(func.count()).select_from(Decision).where(
        _in_period(start, end), col(Decision.kind).in_(OVERRIDE_KINDS))).one())


def overrides(session: Session, start: datetime, end: datetime,
              limit: int) -> list[tuple[Decision, str | None]]:
    """The first ``limit`` overrides and reviews of the period, each with the outcome of the
    decision it replaced (the application's previous decision)."""
    previous = aliased(Decision)
    replaced = (
        select(previous.outcome)
        .where(col(previous.application_id) == col(Decision.application_id),
               _credit_decision(previous),
               or_(col(previous.created_at) < col(Decision.created_at),
                   and_(col(previous.created_at) == col(Decision.created_at),
                        col(previous.id) < col(Decision.id))))
        .order_by(col(previous.created_at).desc(), col(previous.id).desc())
        .limit(1).correlate(Decision).scalar_subquery()
    )
    rows = session.execute(
        select(Decision, replaced)
        .where(_in_period(start, end), col(Decision.kind).in_(OVERRIDE_KINDS))
        .order_by(col(Decision.created_at), col(Decision.id)).limit(limit)).all()
    return [(r[0], r[1]) for r in rows]


def reason_lists(session: Session, start: datetime,
                 end: datetime) -> list[tuple[list[Any], list[Any]]]:
    """(reasons, knock-outs) of every decision of the period that is not an approval (an
    approval states none)."""
    record = col(Decision.record)
    # The two lists only, extracted by the database as text: the whole record (derivation,
    # inputs' characteristics) is many times larger to fetch and decode.
    rows = session.connection().execute(
        sa_select(record["reasons"].as_string(), record["knockouts"].as_string())
        .where(_in_period(start, end), col(Decision.outcome) != "approve",
               _credit_decision())).all()
    return [(json.loads(r[0]) if r[0] else [], json.loads(r[1]) if r[1] else []) for r in rows]


# --- Ledger -------------------------------------------------------------------------------------


def ledger_head(session: Session) -> tuple[int, str]:
    """``(seq, hash)`` of the chain head; ``(0, genesis)`` for an empty ledger."""
    return ledger_repository.chain_head(session) or (0, ledger.GENESIS_HASH)


def creation_events_with_pdf_hash(session: Session, digest: str) -> list[AuditEvent]:
    """``report.created`` events whose payload records ``digest`` as the PDF's sha256 (named
    ``sha256`` in events from before manifests)."""
    patterns = [f'%"pdf_sha256":"{digest}"%', f'%"sha256":"{digest}"%']
    return list(session.exec(
        select(AuditEvent).where(AuditEvent.action == "report.created",
                                 or_(*(col(AuditEvent.payload).like(p) for p in patterns)))
        .order_by(col(AuditEvent.seq))).all())


def verify_up_to(session: Session, seq: int) -> ledger.VerificationResult:
    """Recompute the chain from its first event up to and including ``seq``."""
    with closing(ledger_repository.iter_chain(session)) as rows:
        return ledger.verify_chain(itertools.takewhile(lambda row: row[0] <= seq, rows))
