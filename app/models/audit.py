"""The append-only audit ledger table (its immutability is enforced by database triggers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from app.models.base import utc_datetime_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        # The explorer pages each search newest first by seq (keyset); an action is searched by
        # prefix, which PostgreSQL can take from an index only with pattern operators.
        Index("ix_audit_events_entity", "entity_type", "entity_id", "seq"),
        Index("ix_audit_events_actor", "actor_id", "seq"),
        Index("ix_audit_events_action", "action", "seq",
              postgresql_ops={"action": "text_pattern_ops"}),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    # Assigned by the ledger service under a lock, never by the database, so the chain has no gaps.
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = utc_datetime_field()
    actor_type: str = Field(max_length=16)
    actor_id: str = Field(max_length=64)
    actor_role: str = Field(max_length=32)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
