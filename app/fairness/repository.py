"""Queries behind fairness audits: the live decisions with their monitoring data, stored audits."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select as sa_select
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

