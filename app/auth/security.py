"""Password hashing (argon2id), access tokens (HS256 JWT) and API key secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import Settings

_hasher = PasswordHasher()
# Compared against when the username is unknown, so a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "rdk"


def hash_password(password: str) -> str:
    """argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; constant work whether or not the user exists."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(settings: Settings, *, user_id: int, role: str,
                        version: int = 0) -> tuple[str, int]:
    """A short-lived signed token for ``user_id`` under the user's credentials ``version``;
    returns it and its lifetime in seconds."""
    now = datetime.now(UTC)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {"sub": str(user_id), "role": role, "ver": version, "iat": now, "nbf": now,
              "exp": now + lifetime, "jti": uuid.uuid4().hex, "iss": "riskdesk"}
    token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=JWT_ALGORITHM)
    return token, int(lifetime.total_seconds())


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Verify signature, expiry and issuer; raises ``jwt.PyJWTError`` otherwise."""
    return jwt.decode(token, settings.secret_key.get_secret_value(), algorithms=[JWT_ALGORITHM],
                      issuer="riskdesk", options={"require": ["exp", "sub", "iat"]})


def new_api_key() -> tuple[str, str, str]:
    """Return ``(key_id, secret, full_key)``; only the secret's sha256 is ever stored."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{API_KEY_PREFIX}_{key_id}_{secret}"


def split_api_key(full_key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a presented key, or None when it is not shaped like one."""
    parts = full_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_digest(secret: str) -> str:
    # A 256-bit random secret needs no slow hash: sha256 cannot be brute-forced at that entropy.
    return hashlib.sha256(secret.encode()).hexdigest()


def digests_match(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode(), b.encode())
