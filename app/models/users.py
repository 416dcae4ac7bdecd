"""Users, API keys and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import utc_datetime_field, utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=256)
    role: str = Field(max_length=32)
    is_active: bool = Field(default=True)
    # Raised with every password reset, role change and deactivation: a token carries the
    # version it was issued under, and an older one is refused.
    token_version: int = Field(default=0)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=32, unique=True, index=True)
    secret_sha256: str = Field(max_length=64)
    name: str = Field(max_length=128)
    role: str = Field(max_length=32)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    revoked_at: datetime | None = utc_datetime_field(default=None, nullable=True)


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    username_sha256: str = Field(max_length=64, index=True)
    # A keyed digest of the client's address (app.digests), never the address itself.
    client_digest: str = Field(max_length=64, index=True)
    succeeded: bool
    attempted_at: datetime = utc_datetime_field(default_factory=utcnow, index=True)


class ConsoleSession(SQLModel, table=True):
    """A browser's signed-in session in the console.

    The cookie carries a random token; only its sha256 is stored, so a copy of the database
    signs no one in. A session ends at sign-out, after ``CONSOLE_IDLE_MINUTES`` without a
    request, at ``expires_at`` whatever the activity, and when the user's credentials change
    (``token_version``).
    """

    __tablename__ = "console_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_version: int
    client_digest: str = Field(max_length=64)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    last_seen_at: datetime = utc_datetime_field(default_factory=utcnow)
    expires_at: datetime = utc_datetime_field()
    ended_at: datetime | None = utc_datetime_field(default=None, nullable=True)
