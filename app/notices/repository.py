"""Queries on notice obligations."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from app.models import Application, NoticeObligation
from risk_models.notices import OPEN_STATUSES


def of_application(session: Session, application_id: str) -> list[NoticeObligation]:
    return list(session.exec(select(NoticeObligation)
                             .where(NoticeObligation.application_id == application_id)
                             .order_by(col(NoticeObligation.opened_at), col(NoticeObligation.id)))
                .all())


def search(session: Session, *, status: str | None = None, overdue_on: date | None = None,
           kind: str | None = None, submitted_by: str | None = None, offset: int = 0,
           limit: int = 100) -> list[NoticeObligation]:
    """Obligations by status and kind, earliest due first; ``overdue_on`` keeps the open ones
    due before that day; ``submitted_by`` those of one officer's applications."""
    query = select(NoticeObligation)
    if status is not None:
        query = query.where(NoticeObligation.status == status)
    if kind is not None:
        query = query.where(NoticeObligation.kind == kind)
    if overdue_on is not None:
        query = query.where(col(NoticeObligation.status).in_([str(s) for s in OPEN_STATUSES]),
                            NoticeObligation.due_date < overdue_on)
    if submitted_by is not None:
        query = query.join(Application, col(Application.id) == NoticeObligation.application_id
                           ).where(Application.submitted_by == submitted_by)
    query = query.order_by(col(NoticeObligation.due_date), col(NoticeObligation.id))
    return list(session.exec(query.offset(offset).limit(limit)).all())
