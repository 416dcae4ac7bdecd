"""The console's sign-in sessions: started by a password sign-in, ended by sign-out, idleness,
age or a change of the user's credentials.

The cookie holds a random token; the database holds its sha256. The CSRF token of a session is
an HMAC of the session token under the service's secret: it is never stored, cannot be derived
from the database, and changes with every sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.config import Settings
from app.digests import keyed_digest
from app.models import ConsoleSession, User
from app.models.base import utcnow

COOKIE_NAME = "riskdesk_session"
# A session's last-seen time is written at most this often: a page view is then a read, not a
# write, and idleness is still measured to the minute.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SignedIn:
    """A console request's identity: who, and the CSRF token its state changes must carry."""

    principal: Principal
    csrf_token: str
    session_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(settings: Settings, session_token: str) -> str:
    """The CSRF token of the session whose cookie holds ``session_token``."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"console-csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Constant-time comparison of a presented CSRF token with the session's."""
    return presented is not None and hmac.compare_digest(expected.encode(), presented.encode())


def start(session: Session, settings: Settings, user_id: int, client_address: str) -> str:
    """Open a session for ``user_id`` and return the token its cookie carries."""
    user = session.get(User, user_id)
    assert user is not None and user.id is not None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(ConsoleSession(
        token_sha256=_digest(token), user_id=user.id, token_version=user.token_version,
        client_digest=keyed_digest(settings, "client_address", client_address),
        created_at=now, last_seen_at=now,
        expires_at=now + timedelta(hours=settings.console_absolute_hours)))
    session.flush()
    return token


def resolve(session: Session, settings: Settings, token: str | None,
            now: datetime | None = None) -> SignedIn | None:
    """The identity of a cookie's session, or None when it is unknown, ended, idle past the
    limit, past its absolute end, or its user was disabled or had their credentials changed."""
    if not token:
        return None
    now = now or utcnow()
    found = session.exec(
        select(ConsoleSession, User).join(User, User.id == ConsoleSession.user_id)  # type: ignore[arg-type]
        .where(ConsoleSession.token_sha256 == _digest(token))).first()
    if found is None:
        return None
    console_session, user = found
    idle = timedelta(minutes=settings.console_idle_minutes)
    if (console_session.ended_at is not None or now >= console_session.expires_at
            or now - console_session.last_seen_at >= idle or not user.is_active
            or user.token_version != console_session.token_version):
        if console_session.ended_at is None:
            console_session.ended_at = now
            session.add(console_session)
        return None
    if now - console_session.last_seen_at >= TOUCH_EVERY:
        session.execute(update(ConsoleSession)
                        .where(ConsoleSession.id == console_session.id)  # type: ignore[arg-type]
                        .values(last_seen_at=now))
    assert console_session.id is not None
    return SignedIn(Principal.of_user(user), csrf_token(settings, token), console_session.id)


def end(session: Session, token: str | None) -> None:
    """End the session whose cookie holds ``token`` (sign-out); nothing if there is none."""
    if not token:
        return
    session.execute(update(ConsoleSession)
                    .where(ConsoleSession.token_sha256 == _digest(token))  # type: ignore[arg-type]
                    .where(ConsoleSession.ended_at.is_(None))  # type: ignore[union-attr]
                    .values(ended_at=utcnow()))
