"""Column helpers shared by the table families."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def utc_datetime_field(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column (naive on SQLite, where values are stored as UTC)."""
    return Field(sa_type=DateTime(timezone=True), **kwargs)
