"""Queries on users and API keys."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.models import ApiKey, User


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.id))).all())


def people(session: Session, actor_ids: set[str]) -> dict[str, tuple[str, str]]:
    """(username, role) of the users among ``actor_ids`` (ledger and decision actor ids; the
    ids of systems and API keys are not users and are left out)."""
    numeric = sorted(int(i) for i in actor_ids if i.isdigit())
    if not numeric:
        return {}
    rows = session.exec(select(User.id, User.username, User.role)
                        .where(col(User.id).in_(numeric))).all()
    return {str(r[0]): (r[1], str(r[2])) for r in rows}


def username_taken(session: Session, username: str) -> bool:
    return session.exec(select(User.id).where(User.username == username)).first() is not None


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())


def users_by_role(session: Session) -> dict[str, tuple[int, int]]:
    """``role -> (active, deactivated)`` counts of user accounts (the console's admin home)."""
    rows = session.exec(select(User.role, User.is_active, func.count())
                        .group_by(col(User.role), col(User.is_active))).all()
    counts: dict[str, tuple[int, int]] = {}
    for role, is_active, count in rows:
        active, inactive = counts.get(role, (0, 0))
        counts[role] = (active + count, inactive) if is_active else (active, inactive + count)
    return counts


def active_api_key_count(session: Session) -> int:
    """How many API keys are not revoked."""
    return int(session.exec(select(func.count()).select_from(ApiKey)
                            .where(col(ApiKey.revoked_at).is_(None))).one())
