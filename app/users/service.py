"""Creating and changing users and API keys; every change is a ledger event."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from app.audit.service import append_event
from app.auth.permissions import PERMISSIONS, Action
from app.auth.principal import Principal
from app.auth.repository import user_by_username
from app.auth.roles import Role
from app.auth.security import hash_password, new_api_key, secret_digest
from app.errors import Conflict, Forbidden, NotFound
from app.models import ApiKey, User
from app.users import repository
from app.users.schemas import UserUpdate


def acting_user(session: Session, username: str, action: Action) -> Principal:
    """The principal of an active user naming themselves at the command line (``--as``), when
    their role may perform ``action``: two-person controls need to know who is acting."""
    user = user_by_username(session, username)
    if user is None or not user.is_active or user.id is None:
        raise NotFound(f"no active user {username!r}", code="user_not_found")
    if Role(user.role) not in PERMISSIONS[action]:
        raise Forbidden(f"the {user.role} role may not do this", code="role_not_allowed")
    return Principal.of_user(user)


def create_user(session: Session, actor: Principal, *, username: str, password: str,
                role: Role) -> User:
    if repository.username_taken(session, username):
        raise Conflict(f"the username {username!r} is taken", code="username_taken")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    assert user.id is not None  # assigned by the flush
    append_event(session, actor, "user.created", "user", user.id, {"role": str(role)})
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    return user


def update_user(session: Session, actor: Principal, user_id: int, change: UserUpdate) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    if change.role is not None and change.role != user.role and user_id == actor.user_id:
        raise Forbidden("no one changes their own role; another admin does",
                        code="own_role")
    if change.is_active is False and user_id == actor.user_id:
        # Nor locks themselves out: the last admin could otherwise leave no one to administer.
        raise Forbidden("no one deactivates their own account; another admin does",
                        code="own_deactivation")
    changed: dict[str, object] = {}
    if change.role is not None and change.role != user.role:
        changed["role"] = {"from": user.role, "to": str(change.role)}
        append_event(session, actor, "user.role_granted", "user", user_id,
                     {"from": user.role, "to": str(change.role)})
        user.role = change.role
    if change.is_active is not None and change.is_active != user.is_active:
        changed["is_active"] = change.is_active
        user.is_active = change.is_active
    if change.password is not None:
        user.password_hash = hash_password(change.password)
        changed["password_reset"] = True
    if changed:
        # Tokens issued before a password reset, a role change or a deactivation stop working.
        user.token_version += 1
    session.add(user)
    session.flush()
    if changed:
        append_event(session, actor, "user.updated", "user", user_id, changed)
    return user


def create_api_key(session: Session, actor: Principal, *, name: str,
                   role: Role) -> tuple[ApiKey, str]:
    """Create a key; returns the record and the full key, which is never shown again."""
    key_id, secret, full_key = new_api_key()
    record = ApiKey(key_id=key_id, secret_sha256=secret_digest(secret), name=name, role=role,
                    created_by=actor.user_id if actor.user_id is not None else _system_owner(
                        session))
    session.add(record)
    session.flush()
    append_event(session, actor, "api_key.created", "api_key", key_id, {"role": str(role)})
    return record, full_key


def revoke_api_key(session: Session, actor: Principal, record_id: int) -> ApiKey:
    record = session.get(ApiKey, record_id)
    if record is None:
        raise NotFound(f"no API key {record_id}", code="api_key_not_found")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        session.add(record)
        session.flush()
        append_event(session, actor, "api_key.revoked", "api_key", record.key_id, {})
    return record


def _system_owner(session: Session) -> int:
    # Keys made at the command line belong to the first admin account.
    for user in repository.list_users(session):
        if user.role == Role.ADMIN and user.id is not None:
            return user.id
    raise Conflict("create an admin user before creating API keys", code="no_admin_user")
