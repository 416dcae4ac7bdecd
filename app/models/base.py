"""Column helpers shared by the table families."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import DateTime, Table
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the backend.

    SQLite has no time zone type: values are stored as UTC text and come back naive, so they
    are converted on the way in and marked UTC on the way out. Naive input is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        # A naive value (a query parameter without an offset, say) is read as UTC.
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def utc_datetime_field(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column (naive on SQLite, where values are stored as UTC)."""
    return Field(sa_type=UTCDateTime, **kwargs)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a ``table=True`` model, for hot statements that need no ORM objects."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]
