"""Queries on applications and their decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, literal, or_, tuple_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.applications.states import ACCOUNT_ACTION_KINDS
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


def decisions_of(session: Session, application_id: str, *,
                 account_actions: bool = False) -> list[Decision]:
    """The application's decisions, oldest first: its credit decisions (the automated one
    first), and with ``account_actions`` also those taken on the account it was booked as."""
    query = select(Decision).where(Decision.application_id == application_id)
    if not account_actions:
        query = query.where(col(Decision.kind).not_in(ACCOUNT_ACTION_KINDS))
    return list(session.exec(query.order_by(col(Decision.created_at), col(Decision.id))).all())


def _filters(submitted_by: str | None, outcome: str | None, status: str | None,
             submitted_from: datetime | None, submitted_to: datetime | None) -> list[Any]:
    """The conditions of the filters both application lists share (an end time is exclusive)."""
    table = _applications.c
    conditions: list[Any] = []
    if submitted_by is not None:
        conditions.append(table.submitted_by == submitted_by)
    if outcome is not None:
        conditions.append(table.outcome == outcome)
    if status is not None:
        conditions.append(table.status == status)
    if submitted_from is not None:
        conditions.append(table.submitted_at >= submitted_from)
    if submitted_to is not None:
        conditions.append(table.submitted_at < submitted_to)
    return conditions


def search(session: Session, *, submitted_by: str | None = None, outcome: str | None = None,
           risk_tier: str | None = None, submitted_from: datetime | None = None,
           submitted_to: datetime | None = None, status: str | None = None,
           offset: int = 0, limit: int = 50) -> tuple[list[Application], int]:
    """Applications matching the filters, newest first, and how many match in all."""
    conditions = _filters(submitted_by, outcome, status, submitted_from, submitted_to)
    if risk_tier is not None:
        conditions.append(_applications.c.risk_tier == risk_tier)
    total = session.exec(select(func.count()).select_from(Application).where(*conditions)).one()
    rows = session.exec(select(Application).where(*conditions)
                        .order_by(col(Application.submitted_at).desc(), col(Application.id))
                        .offset(offset).limit(limit)).all()
    return list(rows), int(total)


# --- The console's lists: keyset pages, never OFFSET, never a COUNT over the table ------------


class ListedApplication(NamedTuple):
    """One row of an application list: the request and where it stands, no personal data."""

    id: str
    submitted_at: datetime
    submitted_by: str
    status: str
    outcome: str
    risk_tier: str | None
    score: float | None
    amount: Any
    currency: str
    term_months: int
    purpose: str
    reference: str | None


_LISTED = (_applications.c.id, _applications.c.submitted_at, _applications.c.submitted_by,
           _applications.c.status, _applications.c.outcome, _applications.c.risk_tier,
           _applications.c.score, _applications.c.amount, _applications.c.currency,
           _applications.c.term_months, _applications.c.purpose,
           _applications.c.idempotency_key)

Cursor = tuple[datetime, str]


def keyset_page(session: Session, *, submitted_by: str | None = None,
                outcome: str | None = None, status: str | None = None,
                submitted_from: datetime | None = None, submitted_to: datetime | None = None,
                id_or_reference: str | None = None, before: Cursor | None = None,
                after: Cursor | None = None, limit: int = 50,
                ) -> tuple[list[ListedApplication], bool]:
    """One page of applications matching the filters, newest first (by submission time, then
    id), and whether more lie beyond it in the direction read: older than ``before``, or newer
    than ``after`` (that page is read oldest first from the cursor, then turned round). Only the
    listed columns are read: the JSON inputs stay on disk."""
    table = _applications.c
    conditions = _filters(submitted_by, outcome, status, submitted_from, submitted_to)
    if id_or_reference is not None:
        conditions.append(or_(table.id == id_or_reference,
                              table.idempotency_key == id_or_reference))
    key = tuple_(table.submitted_at, table.id)
    if after is not None:
        conditions.append(key > tuple_(literal(after[0], table.submitted_at.type),
                                       literal(after[1])))
        order = (table.submitted_at.asc(), table.id.asc())
    else:
        if before is not None:
            conditions.append(key < tuple_(literal(before[0], table.submitted_at.type),
                                           literal(before[1])))
        order = (table.submitted_at.desc(), table.id.desc())
    rows = session.execute(sa_select(*_LISTED).where(*conditions).order_by(*order)
                           .limit(limit + 1)).all()
    more = len(rows) > limit
    listed = [ListedApplication(*row) for row in rows[:limit]]
    if after is not None:
        listed.reverse()
    return listed, more

