"""Queries behind the reports: stored reports, an application's decisions and identity, the
period aggregates of the compliance report, and the ledger prefix a report was built against."""

from __future__ import annotations

import itertools
from contextlib import closing
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased, defer
from sqlmodel import Session, col, select

from app.audit import repository as ledger_repository
from app.models import ApplicantIdentity, Application, Decision, Report
from compliance import ledger

OVERRIDE_KINDS = ("override", "review")

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
    conditions = []
    if kinds is not None:
        conditions.append(col(Report.kind).in_(kinds))
    if application_id is not None:
        conditions.append(Report.application_id == application_id)
    if submitted_by is not None:
        conditions.append(col(Report.application_id).in_(
            select(Application.id).where(Application.submitted_by == submitted_by)))
    total = session.exec(select(func.count()).select_from(Report).where(*conditions)).one()
    rows = session.exec(select(Report).where(*conditions)
                        .options(defer(Report.pdf))  # type: ignore[arg-type]
                        .order_by(col(Report.id).desc()).offset(offset).limit(limit)).all()
    return list(rows), int(total)


# --- One application ----------------------------------------------------------------------------


def application(session: Session, application_id: str) -> Application | None:
    return session.get(Application, application_id)


def identity(session: Session, application_id: str) -> ApplicantIdentity | None:
    return session.get(ApplicantIdentity, application_id)


def decision(session: Session, decision_id: str) -> Decision | None:
    return session.get(Decision, decision_id)


def current_decision(session: Session, application_id: str) -> Decision | None:
    """The newest decision on the application: the one its current outcome comes from."""
    return session.exec(select(Decision).where(Decision.application_id == application_id)
                        .order_by(col(Decision.created_at).desc(), col(Decision.id).desc())
                        .limit(1)).first()


def latest_scored_decision(session: Session, application_id: str,
                           before: datetime) -> Decision | None:
    """The newest decision up to ``before`` that carries a score and a model version."""
    return session.exec(select(Decision).where(
        Decision.application_id == application_id, col(Decision.score).is_not(None),
        col(Decision.model_version).is_not(None), Decision.created_at <= before)
        .order_by(col(Decision.created_at).desc(), col(Decision.id).desc()).limit(1)).first()


# --- Compliance period aggregates ---------------------------------------------------------------


def _in_period(start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return and_(Decision.created_at >= start, Decision.created_at < end)


def automated_counts(session: Session, start: datetime,
                     end: datetime) -> list[tuple[str, str | None, int]]:
    """(outcome, risk tier, count) of the automated decisions made in ``[start, end)``."""
    rows = session.execute(
        select(Decision.outcome, Decision.risk_tier, func.count())
        .where(_in_period(start, end), Decision.kind == "automated")
        .group_by(Decision.outcome, Decision.risk_tier)).all()
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
        .where(previous.application_id == Decision.application_id,
               or_(previous.created_at < Decision.created_at,
                   and_(previous.created_at == Decision.created_at, previous.id < Decision.id)))
        .order_by(col(previous.created_at).desc(), col(previous.id).desc())
        .limit(1).correlate(Decision).scalar_subquery()
    )
    rows = session.execute(
        select(Decision, replaced)
        .where(_in_period(start, end), col(Decision.kind).in_(OVERRIDE_KINDS))
        .order_by(col(Decision.created_at), col(Decision.id)).limit(limit)).all()
    return [(r[0], r[1]) for r in rows]


def reason_lists(session: Session, start: datetime, end: datetime) -> list[tuple[str, str]]:
    """(reasons JSON, knock-outs JSON) of every decision of the period that gave any."""
    rows = session.execute(
        select(Decision.reasons, Decision.knockouts)
        .where(_in_period(start, end),
               or_(Decision.reasons != "[]", Decision.knockouts != "[]"))).all()
    return [(r[0], r[1]) for r in rows]


# --- Ledger -------------------------------------------------------------------------------------


def ledger_head(session: Session) -> tuple[int, str]:
    """``(seq, hash)`` of the chain head; ``(0, genesis)`` for an empty ledger."""
    return ledger_repository.chain_head(session) or (0, ledger.GENESIS_HASH)


def verify_up_to(session: Session, seq: int) -> ledger.VerificationResult:
    """Recompute the chain from its first event up to and including ``seq``."""
    with closing(ledger_repository.iter_chain(session)) as rows:
        return ledger.verify_chain(itertools.takewhile(lambda row: row[0] <= seq, rows))
