"""Queries on applications and their decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.models import Application, Decision
from app.models.base import table_of
from app.statements import Prepared


def by_idempotency_key(session: Session, submitted_by: str, key: str) -> Application | None:
    return session.exec(select(Application).where(
        Application.submitted_by == submitted_by, Application.idempotency_key == key)).first()


class EarlierApplication(NamedTuple):
    id: str
    submitted_at: datetime
    national_id_digest: str | None


_applications = table_of(Application)


def _recent_by(column: Any, limit: int) -> Any:
    return (sa_select(_applications.c.id, _applications.c.submitted_at,
                      _applications.c.national_id_digest)
            .where(column == bindparam("digest_" + column.name),
                   _applications.c.submitted_at >= bindparam("since"))
            .order_by(_applications.c.submitted_at.desc()).limit(limit).subquery())


def _duplicates_query(by_national_id: bool, limit: int) -> Any:
    lookups = [_recent_by(_applications.c.name_dob_digest, limit)]
    if by_national_id:
        lookups.insert(0, _recent_by(_applications.c.national_id_digest, limit))
    return union_all(*(sa_select(lookup) for lookup in lookups))


DUPLICATE_LIMIT = 10
# One statement for both lookups, each on its own digest index; an OR would make SQLite scan
# the whole window by date.
_DUPLICATES = {by_id: Prepared(_duplicates_query(by_id, DUPLICATE_LIMIT))
               for by_id in (True, False)}


def possible_duplicates(session: Session, *, national_id_digest: str | None, name_dob_digest: str,
                        since: datetime) -> list[EarlierApplication]:
    """Earlier applications from the same person within the window, newest first (at most
    ``DUPLICATE_LIMIT``): the same national id, or the same name and date of birth."""
    params: dict[str, Any] = {"digest_name_dob_digest": name_dob_digest, "since": since}
    if national_id_digest is not None:  # none yet: an incomplete application
        params["digest_national_id_digest"] = national_id_digest
    rows = _DUPLICATES[national_id_digest is not None].run(session, params)
    found = {row[0]: EarlierApplication(*row) for row in rows}
    return sorted(found.values(), key=lambda a: a.submitted_at, reverse=True)[:DUPLICATE_LIMIT]


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
