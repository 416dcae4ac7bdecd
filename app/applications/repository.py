"""Queries on applications and their decisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import Application, Decision


def by_idempotency_key(session: Session, submitted_by: str, key: str) -> Application | None:
    return session.exec(select(Application).where(
        Application.submitted_by == submitted_by, Application.idempotency_key == key)).first()


def possible_duplicates(session: Session, *, national_id_digest: str | None, name_dob_digest: str,
                        since: datetime, limit: int = 10) -> list[Application]:
    """Earlier applications from the same person within the window, newest first.

    Two lookups, one per digest index, rather than one OR: SQLite would otherwise scan the
    whole window by date.
    """
    found: dict[str, Application] = {}
    for column, digest in ((Application.national_id_digest, national_id_digest),
                           (Application.name_dob_digest, name_dob_digest)):
        if digest is None:  # no national id yet: an incomplete application
            continue
        rows = session.exec(select(Application).where(column == digest,
                                                      Application.submitted_at >= since)
                            .order_by(col(Application.submitted_at).desc()).limit(limit)).all()
        found.update((row.id, row) for row in rows)
    return sorted(found.values(), key=lambda a: a.submitted_at, reverse=True)[:limit]


def decisions_of(session: Session, application_id: str) -> list[Decision]:
    return list(session.exec(select(Decision).where(Decision.application_id == application_id)
                             .order_by(col(Decision.created_at), col(Decision.id))).all())


def search(session: Session, *, submitted_by: str | None = None, outcome: str | None = None,
           risk_tier: str | None = None, submitted_from: datetime | None = None,
           submitted_to: datetime | None = None, status: str | None = None,
           offset: int = 0, limit: int = 50) -> tuple[list[Application], int]:
    """Applications matching the filters, newest first, and how many match in all."""
    conditions = []
    if submitted_by is not None:
        conditions.append(Application.submitted_by == submitted_by)
    if outcome is not None:
        conditions.append(Application.outcome == outcome)
    if risk_tier is not None:
        conditions.append(Application.risk_tier == risk_tier)
    if status is not None:
        conditions.append(Application.status == status)
    if submitted_from is not None:
        conditions.append(Application.submitted_at >= submitted_from)
    if submitted_to is not None:
        conditions.append(Application.submitted_at < submitted_to)
    total = session.exec(select(func.count()).select_from(Application).where(*conditions)).one()
    rows = session.exec(select(Application).where(*conditions)
                        .order_by(col(Application.submitted_at).desc(), col(Application.id))
                        .offset(offset).limit(limit)).all()
    return list(rows), int(total)
