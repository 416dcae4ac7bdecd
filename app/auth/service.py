"""Sign-in: password check, failed-login limits and the ledger events of both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.audit.service import append_event
from app.auth import repository
from app.auth.principal import ANONYMOUS, Principal
from app.auth.roles import Role
from app.auth.security import create_access_token, verify_password
from app.config import Settings
from app.models import LoginAttempt
from compliance.ledger import sha256_hex


@dataclass(frozen=True)
class LoginOutcome:
    token: str | None = None
    expires_in: int = 0
    role: str | None = None
    throttled: bool = False
    retry_after: int = 0


def login(session: Session, settings: Settings, *, username: str, password: str,
          client_address: str) -> LoginOutcome:
    """Check a password and issue a token; every attempt is recorded and failures are limited.

    Failures are counted per username and per client address over a sliding window, so neither
    guessing one account's password nor spraying many accounts from one address gets far.
    """
    now = datetime.now(UTC)
    username_sha256 = sha256_hex(username.strip().lower())
    client_sha256 = sha256_hex(client_address)
    since = now - timedelta(seconds=settings.login_window_seconds)
    by_user, by_client = repository.recent_failures(
        session, since=since, username_sha256=username_sha256, client_address=client_address)
    if max(by_user, by_client) >= settings.login_max_failures:
        append_event(session, ANONYMOUS, "auth.login_throttled", "login", username_sha256[:16],
                     {"username_sha256": username_sha256, "client_sha256": client_sha256})
        return LoginOutcome(throttled=True, retry_after=settings.login_window_seconds)

    user = repository.user_by_username(session, username.strip())
    password_ok = verify_password(user.password_hash if user else None, password)
    succeeded = bool(user and user.is_active and password_ok)
    session.add(LoginAttempt(username_sha256=username_sha256, client_address=client_address,
                             succeeded=succeeded, attempted_at=now))
    if not succeeded or user is None or user.id is None:
        reason = "unknown_user" if user is None else (
            "account_disabled" if not user.is_active else "wrong_password")
        append_event(session, ANONYMOUS, "auth.login_failed", "user",
                     user.id if user and user.id is not None
                     else f"unknown:{username_sha256[:16]}",
                     {"username_sha256": username_sha256, "client_sha256": client_sha256,
                      "reason": reason})
        return LoginOutcome()
    actor = Principal("user", str(user.id), Role(user.role), user.username, user.id)
    token, expires_in = create_access_token(settings, user_id=user.id, role=user.role)
    append_event(session, actor, "auth.login_succeeded", "user", user.id,
                 {"client_sha256": client_sha256})
    return LoginOutcome(token=token, expires_in=expires_in, role=user.role)
