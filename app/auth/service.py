"""Sign-in: password check, failed-login limits and the ledger events of both.

Failures are counted three ways, over the last hour, each with a delay that doubles with every
failure past the limit: for one username from one client address, for one client address
whatever the username (password spraying), and for one username from addresses it has never
signed in from (guessing from many addresses). The last never slows the account's owner on an
address they have signed in from before, so no one can lock a real user out with failures of
their own. Every attempt is kept (``login_attempts``); the ledger records every success, the
first failure of a username and address in a window, and every throttling, so anonymous traffic
cannot grow the ledger without bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from app.audit.service import append_event
from app.auth import repository
from app.auth.principal import ANONYMOUS, Principal
from app.auth.security import create_access_token, verify_password
from app.config import Settings
from app.digests import keyed_digest
from app.models import LoginAttempt
from compliance.ledger import sha256_hex

# How far back failures count, the longest delay, and how much more failure one username may see
# from unfamiliar addresses than one address may cause.
LOOKBACK = timedelta(hours=1)
MAX_DELAY_SECONDS = 3600
UNFAMILIAR_FACTOR = 4
KNOWN_ADDRESS_DAYS = 90


@dataclass(frozen=True)
class LoginOutcome:
    token: str | None = None
    expires_in: int = 0
    role: str | None = None
    throttled: bool = False
    retry_after: int = 0
    user_id: int | None = None


def throttle_delay(failures: int, limit: int, window_seconds: int) -> int:
    """Seconds to wait after the last failure: none under ``limit``, then ``window_seconds``,
    doubling with each further failure, at most an hour."""
    if failures < limit:
        return 0
    return int(min(window_seconds * 2 ** (failures - limit), MAX_DELAY_SECONDS))


def _serialise(session: Session, *keys: str) -> None:
    # Counting and recording must not interleave between concurrent attempts on one username or
    # address: PostgreSQL takes transaction locks on them (SQLite has one writer already).
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(keys):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 1))"),
                            {"k": key})


def login(session: Session, settings: Settings, *, username: str, password: str,
          client_address: str, channel: str = "api") -> LoginOutcome:
    """Check a password and, for the API, issue a token; every attempt is recorded and failures
    are limited, whichever door (``channel``: ``api`` or ``console``) it comes through."""
    now = datetime.now(UTC)
    username_sha256 = sha256_hex(username.strip().lower())
    client_digest = keyed_digest(settings, "client_address", client_address)
    _serialise(session, f"login-user:{username_sha256}", f"login-client:{client_digest}")
    counts = repository.failure_counts(session, since=now - LOOKBACK,
                                       username_sha256=username_sha256,
                                       client_digest=client_digest,
                                       known_since=now - timedelta(days=KNOWN_ADDRESS_DAYS))
    limit, window = settings.login_max_failures, settings.login_window_seconds
    delay = max(throttle_delay(counts.pair, limit, window),
                throttle_delay(counts.client, limit, window),
                0 if counts.known_address else
                throttle_delay(counts.username_elsewhere, limit * UNFAMILIAR_FACTOR, window))
    if counts.last_failure is not None and delay:
        retry_after = math.ceil((counts.last_failure + timedelta(seconds=delay)
                                 - now).total_seconds())
        if retry_after > 0:
            session.add(LoginAttempt(username_sha256=username_sha256, client_digest=client_digest,
                                     succeeded=False, attempted_at=now))
            append_event(session, ANONYMOUS, "auth.login_throttled", "login",
                         username_sha256[:16], {"username_sha256": username_sha256,
                                                "client_digest": client_digest,
                                                "failures_last_hour": counts.pair,
                                                "retry_after": retry_after})
            return LoginOutcome(throttled=True, retry_after=retry_after)

    user = repository.user_by_username(session, username.strip())
    password_ok = verify_password(user.password_hash if user else None, password)
    succeeded = bool(user and user.is_active and password_ok)
    session.add(LoginAttempt(username_sha256=username_sha256, client_digest=client_digest,
                             succeeded=succeeded, attempted_at=now))
    if not succeeded or user is None or user.id is None:
        if counts.pair_in_window(now, window) == 0:
            reason = "unknown_user" if user is None else (
                "account_disabled" if not user.is_active else "wrong_password")
            append_event(session, ANONYMOUS, "auth.login_failed", "user",
                         user.id if user and user.id is not None
                         else f"unknown:{username_sha256[:16]}",
                         {"username_sha256": username_sha256, "client_digest": client_digest,
                          "reason": reason, "first_in_window": True})
        return LoginOutcome()
    actor = Principal.of_user(user)
    append_event(session, actor, "auth.login_succeeded", "user", user.id,
                 {"client_digest": client_digest, "channel": channel})
    if channel != "api":
        # The console keeps a session of its own (app.console.sessions), not a bearer token.
        return LoginOutcome(role=user.role, user_id=user.id)
    token, expires_in = create_access_token(settings, user_id=user.id, role=user.role,
                                            version=user.token_version)
    return LoginOutcome(token=token, expires_in=expires_in, role=user.role, user_id=user.id)
