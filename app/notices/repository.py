"""Queries on notice obligations."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, case, cast, func, literal_column
from sqlalchemy import select as sa_select
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


def _delivered_on(session: Session) -> Any:
    """The UTC day of delivery, as a value comparable with ``due_date`` in either database."""
    delivered = col(NoticeObligation.delivered_at)
    if session.get_bind().dialect.name == "sqlite":
        return func.date(delivered)  # 'YYYY-MM-DD', as SQLite stores dates
    return cast(func.timezone(literal_column("'UTC'"), delivered), Date)


def timeliness_counts(session: Session, today: date) -> dict[str, int]:
    """How every notice obligation stands on ``today``, counted in one pass: delivered by its
    due date or after it, open and not yet due, open past due, withdrawn. Running sums, not a
    GROUP BY on the standing, which would sort every obligation first."""
    status = col(NoticeObligation.status)
    due = col(NoticeObligation.due_date)
    is_open = status.in_([str(s) for s in OPEN_STATUSES])
    delivered = status == "delivered"
    standings = {
        "withdrawn": status == "withdrawn",
        "overdue": is_open & (due < today),
        "not_yet_due": is_open & (due >= today),
        "delivered_on_time": delivered & (_delivered_on(session) <= due),
        "delivered_late": delivered & (_delivered_on(session) > due),
    }
    row = session.execute(sa_select(*(
        func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(name)
        for name, condition in standings.items()))).one()
    return {name: int(value) for name, value in zip(standings, row, strict=True)}


def count_overdue(session: Session, today: date) -> int:
    """Open obligations due before ``today`` (the status-and-due-date index answers it)."""
    return int(session.exec(select(func.count()).select_from(NoticeObligation).where(
        col(NoticeObligation.status).in_([str(s) for s in OPEN_STATUSES]),
        NoticeObligation.due_date < today)).one())
