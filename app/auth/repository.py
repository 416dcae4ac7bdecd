"""Queries for sign-in: users by name and recent failed attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.models import LoginAttempt, User


def user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


@dataclass(frozen=True)
class FailureCounts:
    """Failed sign-ins since the look-back began, counted three ways."""

    pair: int  # this username from this address
    client: int  # this address, any username
    username_elsewhere: int  # this username from other addresses
    known_address: bool  # this username signed in from this address before
    last_failure: datetime | None
    pair_failures_at: tuple[datetime, ...]

    def pair_in_window(self, now: datetime, window_seconds: int) -> int:
        """This username's failures from this address within the last window."""
        start = now - timedelta(seconds=window_seconds)
        return sum(1 for at in self.pair_failures_at if at >= start)


def failure_counts(session: Session, *, since: datetime, username_sha256: str,
                   client_digest: str, known_since: datetime) -> FailureCounts:
    failed = (col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.attempted_at) >= since)
    same_user = col(LoginAttempt.username_sha256) == username_sha256
    same_client = col(LoginAttempt.client_digest) == client_digest

    def count(*condition: ColumnElement[bool]) -> int:
        return int(session.exec(select(func.count()).select_from(LoginAttempt)
                                .where(*failed, *condition)).one())

    pair_times = tuple(session.exec(select(LoginAttempt.attempted_at)
                                    .where(*failed, same_user, same_client)).all())
    last = session.exec(select(func.max(LoginAttempt.attempted_at)).where(
        *failed, same_user | same_client)).one()
    known = session.exec(select(LoginAttempt.id).where(
        same_user, same_client, col(LoginAttempt.succeeded).is_(True),
        col(LoginAttempt.attempted_at) >= known_since).limit(1)).first() is not None
    return FailureCounts(pair=len(pair_times), client=count(same_client),
                         username_elsewhere=count(same_user, ~same_client),
                         known_address=known, last_failure=_aware(last),
                         pair_failures_at=tuple(a for a in (_aware(t) for t in pair_times) if a))


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
