"""Data subjects, the holders of the keys that seal their personal data, and requests to erase
them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from app.models.base import utc_datetime_field, utcnow


class DataSubject(SQLModel, table=True):
    """A person whose personal data riskdesk holds, and their data key, wrapped by a master key.

    Destroying the wrapped key (crypto-shredding) makes everything sealed under it unreadable
    while the rows, their ledger events and the non-identifying inputs stay whole.
    """

    __tablename__ = "data_subjects"
    __table_args__ = (Index("ix_data_subjects_lookup_digest", "lookup_digest", unique=True),)

    id: str = Field(primary_key=True, max_length=32)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    # The keyed digest (app.digests) the person is found again by: of the national id, else of
    # name and date of birth. Cleared when shredded: someone returning after erasure is new.
    lookup_digest: str | None = Field(default=None, max_length=64)
    wrapped_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    master_key_id: str | None = Field(default=None, max_length=32, index=True)
    shredded_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    shred_cause: str | None = Field(default=None, max_length=16)  # erasure | retention
    # A legal hold (Reg B §1002.12(b)(4): an investigation, enforcement or civil action) stops
    # erasure and retention alike until it is released.
    legal_hold_since: datetime | None = utc_datetime_field(default=None, nullable=True)
    legal_hold_by: str | None = Field(default=None, max_length=64)
    legal_hold_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ErasureRequest(SQLModel, table=True):
    """A request to erase a subject's personal data: made by one admin, carried out only when a
    different admin approves it (four eyes)."""

    __tablename__ = "erasure_requests"

    id: str = Field(primary_key=True, max_length=32)
    subject_id: str = Field(sa_column=Column(String(32), ForeignKey("data_subjects.id"),
                                             nullable=False, index=True))
    status: str = Field(max_length=16)  # pending | executed
    requested_at: datetime = utc_datetime_field(default_factory=utcnow)
    requested_by: str = Field(max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    # Erasing inside the Reg B retention period needs saying so (docs/security.md).
    within_retention_acknowledged: bool = False
    approved_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    approved_by: str | None = Field(default=None, max_length=64)
    approval_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
