"""Queries behind fairness audits: the live decisions with their monitoring data, stored audits."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import String, case, cast, func, literal, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.models import Application, ApplicationMonitoring, Decision, FairnessAudit

LIVE_COLUMNS = ("status", "outcome", "sex", "marital_status", "age_band", "national_origin",
                "score")


def live_decisions(session: Session, start: datetime, end: datetime) -> pd.DataFrame:
    """One row per application submitted in ``[start, end)``: its status and current outcome,
    its monitoring attributes (missing when none were recorded) and its automated score.

    One query, whatever the number of applications.
    """
    scores = (
        select(Decision.application_id, func.max(Decision.score).label("score"))
        .join(Application, col(Application.id) == col(Decision.application_id))
        .where(col(Decision.kind) == "automated", col(Application.submitted_at) >= start,
               col(Application.submitted_at) < end)
        .group_by(col(Decision.application_id))
        .subquery()
    )
    # SQLAlchemy's own select: sqlmodel's is typed for at most four columns.
    query = (
        sa_select(col(Application.status), col(Application.outcome),
                  col(ApplicationMonitoring.sex), col(ApplicationMonitoring.marital_status),
                  col(ApplicationMonitoring.age_band),
                  col(ApplicationMonitoring.national_origin), scores.c.score)
        .outerjoin(ApplicationMonitoring,
                   col(ApplicationMonitoring.application_id) == col(Application.id))
        .outerjoin(scores, scores.c.application_id == col(Application.id))
        .where(col(Application.submitted_at) >= start, col(Application.submitted_at) < end)
    )
    rows = session.execute(query).all()
    return pd.DataFrame.from_records(rows, columns=list(LIVE_COLUMNS))


def add(session: Session, audit: FairnessAudit) -> FairnessAudit:
    session.add(audit)
    session.flush()
    return audit


def get(session: Session, audit_id: int) -> FairnessAudit | None:
    return session.get(FairnessAudit, audit_id)


def search(session: Session, *, source: str | None = None, model_version: str | None = None,
           offset: int = 0, limit: int = 50) -> tuple[list[FairnessAudit], int]:
    """Audits matching the filters, newest first, and how many match in all."""
    conditions = []
    if source is not None:
        conditions.append(FairnessAudit.source == source)
    if model_version is not None:
        conditions.append(FairnessAudit.model_version == model_version)
    total = session.exec(select(func.count()).select_from(FairnessAudit)
                         .where(*conditions)).one()
    rows = session.exec(select(FairnessAudit).where(*conditions)
                        .order_by(col(FairnessAudit.id).desc()).offset(offset).limit(limit)).all()
    return list(rows), int(total)


def page(session: Session, *, before_id: int | None = None, limit: int = 25) -> list[FairnessAudit]:
    """Up to ``limit`` audits older than ``before_id`` (all when None), newest first, without
    their full results: a keyset page on the primary key, so no page costs more than the
    first."""
    query = select(FairnessAudit).options(defer(FairnessAudit.result))  # type: ignore[arg-type]
    if before_id is not None:
        query = query.where(col(FairnessAudit.id) < before_id)
    return list(session.exec(query.order_by(col(FairnessAudit.id).desc()).limit(limit)).all())


def latest(session: Session) -> FairnessAudit | None:
    """The audit run last, with its result."""
    return session.exec(select(FairnessAudit).order_by(col(FairnessAudit.id).desc())
                        .limit(1)).first()


def monthly_counts(session: Session, months: list[tuple[str, datetime, datetime]], *,
                   waiting: tuple[str, ...], favourable: str) -> list[tuple[str, int, int, int]]:
    """(label, applications, still waiting, favourable among the others) of the applications
    submitted in each ``(label, start, end)`` range, in one statement.

    One aggregate per month over the submission-date index, joined with UNION ALL: each is a
    range scan with running sums, where a GROUP BY on the month would sort every row of the
    year first (several times slower on SQLite at 100,000 applications).
    """
    submitted = col(Application.submitted_at)
    status, outcome = col(Application.status), col(Application.outcome)
    is_waiting = status.in_(waiting)
    parts = [
        # Cast: PostgreSQL cannot type a bare parameter in a UNION's select list.
        sa_select(cast(literal(label), String(7)).label("month"),
                  func.count().label("applications"),
                  func.coalesce(func.sum(case((is_waiting, 1), else_=0)), 0).label("waiting"),
                  func.coalesce(func.sum(case((~is_waiting & (outcome == favourable), 1),
                                              else_=0)), 0).label("favourable"))
        .where(submitted >= start, submitted < end)
        for label, start, end in months]
    if not parts:
        return []
    rows = session.execute(union_all(*parts)).all()
    return [(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]
