"""Queries for sign-in: users by name and recent failed attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.models import LoginAttempt, User


def user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def recent_failures(session: Session, *, since: datetime, username_sha256: str,
                    client_address: str) -> tuple[int, int]:
    """Failed attempts since ``since``: for this username, and from this client address."""
    def count(condition: ColumnElement[bool]) -> int:
        return int(session.exec(
            select(func.count()).select_from(LoginAttempt).where(
                condition, col(LoginAttempt.succeeded).is_(False),
                col(LoginAttempt.attempted_at) >= since)
        ).one())

    return (count(col(LoginAttempt.username_sha256) == username_sha256),
            count(col(LoginAttempt.client_address) == client_address))
