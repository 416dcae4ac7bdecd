"""Reads of the review queue for the console: the case inbox a page at a time (keyset, soonest
due first), the capped counts a home page shows, the people a page names, and the points an
application's characteristics scored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, union_all
from sqlmodel import Session, col

from app.errors import Unprocessable
from app.models import FourEyesApproval, ReviewCase, ScoredCharacteristic, User
from app.reviews.states import OPEN_STATES, ApprovalState, CaseState

# Which open cases an inbox shows: nobody's yet, the reader's own, or every one still waiting.
INBOX_SHOWS = ("unclaimed", "mine", "all")
# A home page says "1,000+" rather than count a long queue to the last case on every view.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Cursor:
    """Where a page of the inbox ended: the last case's (due_at, id)."""

    due_at: datetime
    id: str

    def encode(self) -> str:
        # UTC with a "Z": no "+" to be read back as a space from a query string.
        when = self.due_at if self.due_at.tzinfo is not None else self.due_at.replace(tzinfo=UTC)
        return f"{when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}~{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        when, _, case_id = text.partition("~")
        due_at: datetime | None
        try:
            due_at = datetime.fromisoformat(when)
            # A far offset at the calendar's edge has no UTC time: as malformed as any.
            due_at = due_at.astimezone(UTC) if due_at.tzinfo is not None else None
        except (ValueError, OverflowError):
            due_at = None
        if due_at is None or due_at.tzinfo is None or not case_id.isalnum():
            raise Unprocessable("this page link is not valid; start again from the first page",
                                code="invalid_cursor")
        return cls(due_at, case_id)


@dataclass(frozen=True)
class InboxFilter:
    show: str = "all"  # one of INBOX_SHOWS
    state: str | None = None  # one of the open states, or any
    kind: str | None = None
    breached: bool = False  # only cases past their due time


# Only these states leave a case with nobody holding it (assigned and pending_approval always
# name their holder): an unclaimed inbox looks no further.
UNCLAIMED_STATES = (CaseState.OPEN, CaseState.ESCALATED)


def _states(inbox: InboxFilter) -> list[str]:
    shown = UNCLAIMED_STATES if inbox.show == "unclaimed" else OPEN_STATES
    states = [str(s) for s in shown]
    return [inbox.state] if inbox.state in states else [] if inbox.state else states


def _conditions(inbox: InboxFilter, me: str, now: datetime) -> list[Any]:
    """The filter's conditions but the state's."""
    conditions: list[Any] = []
    if inbox.show == "unclaimed":
        conditions.append(col(ReviewCase.assignee_id).is_(None))
    elif inbox.show == "mine":
        conditions.append(col(ReviewCase.assignee_id) == me)
    if inbox.kind is not None:
        conditions.append(col(ReviewCase.kind) == inbox.kind)
    if inbox.breached:
        conditions.append(col(ReviewCase.due_at) < now)
    return conditions


def inbox(session: Session, inbox: InboxFilter, *, me: str, now: datetime,
          after: Cursor | None = None, limit: int = 50,
          ) -> tuple[list[ReviewCase], Cursor | None]:
    """One page of open cases, the soonest due first (the longest waiting, for cases of one
    kind), and the cursor of the next page (None on the last).

    Keyset, and one ordered range of ix_review_cases_state_due per state, each cut at the page
    size, merged: a page reads about a page of rows per state however long the queue, where
    one IN over the states would sort every open case. Someone's own cases are few: found
    through their assignee index instead.
    """
    conditions = _conditions(inbox, me, now)
    if after is not None:
        conditions.append(or_(col(ReviewCase.due_at) > after.due_at,
                              and_(col(ReviewCase.due_at) == after.due_at,
                                   col(ReviewCase.id) > after.id)))
    order = (col(ReviewCase.due_at), col(ReviewCase.id))
    states = _states(inbox)
    if not states:
        return [], None
    if inbox.show == "mine":
        ids = select(col(ReviewCase.id), col(ReviewCase.due_at)).where(
            col(ReviewCase.state).in_(states), *conditions).order_by(*order).limit(limit + 1)
    else:
        ranges = [select(col(ReviewCase.id), col(ReviewCase.due_at))
                  .where(col(ReviewCase.state) == state, *conditions)
                  .order_by(*order).limit(limit + 1).subquery().select() for state in states]
        merged = union_all(*ranges).subquery()
        ids = select(merged.c.id, merged.c.due_at).order_by(
            merged.c.due_at, merged.c.id).limit(limit + 1)
    wanted = [case_id for case_id, _ in session.execute(ids).all()]
    found = {c.id: c for c in session.exec(select(ReviewCase).where(  # type: ignore[call-overload]
        col(ReviewCase.id).in_(wanted))).scalars()} if wanted else {}
    rows = [found[i] for i in wanted if i in found]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], Cursor(last.due_at, last.id)


def _waiting(inbox: InboxFilter, me: str, now: datetime) -> list[Any]:
    return [col(ReviewCase.state).in_(_states(inbox)), *_conditions(inbox, me, now)]


def _capped_count(session: Session, statement: Any) -> int:
    limited = statement.limit(COUNT_CAP + 1).subquery()
    return int(session.exec(select(func.count()).select_from(  # type: ignore[call-overload]
        limited)).scalar_one())


def count_waiting(session: Session, inbox: InboxFilter, *, me: str, now: datetime) -> int:
    """How many open cases ``inbox`` shows, counted no further than COUNT_CAP + 1."""
    return _capped_count(session, select(col(ReviewCase.id)).where(*_waiting(inbox, me, now)))


def oldest_waiting(session: Session, inbox: InboxFilter, *, me: str,
                   now: datetime) -> datetime | None:
    """When the longest-waiting case ``inbox`` shows was opened."""
    return session.exec(select(func.min(ReviewCase.opened_at))  # type: ignore[call-overload]
                        .where(*_waiting(inbox, me, now))).scalar_one_or_none()


def count_to_check(session: Session, checker_id: str) -> int:
    """Pending approvals someone other than ``checker_id`` made (capped like the queue)."""
    return _capped_count(session, select(col(FourEyesApproval.id)).where(
        col(FourEyesApproval.state) == ApprovalState.PENDING,
        col(FourEyesApproval.maker_id) != checker_id))


def usernames(session: Session, user_ids: Iterable[str | None]) -> dict[str, str]:
    """Usernames by user id (as cases and approvals store them: text), for the ids given."""
    wanted = {int(i) for i in user_ids if i is not None and i.isdigit()}
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.username)  # type: ignore[call-overload]
                        .where(col(User.id).in_(wanted))).all()
    return {str(user_id): name for user_id, name in rows}


def scored_characteristics(session: Session, application_id: str,
                           model_version: str) -> list[ScoredCharacteristic]:
    """The bin and points each characteristic scored in the application's automated decision."""
    return list(session.exec(select(ScoredCharacteristic).where(  # type: ignore[call-overload]
        col(ScoredCharacteristic.application_id) == application_id,
        col(ScoredCharacteristic.model_version) == model_version)).scalars())
