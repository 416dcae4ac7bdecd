"""The underwriters' review queue: cases, their notes, and decisions waiting for a checker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String
from sqlmodel import Field, SQLModel

from app.models.applications import JSONValue
from app.models.base import utc_datetime_field, utcnow


class ReviewCase(SQLModel, table=True):
    """Work for an underwriter: a referred application, or a potential sanctions match.

    ``state`` runs open → assigned → decided, with escalated and pending_approval beside
    (app.reviews.states holds the transitions). ``detail`` holds what opened it, never
    personal data: the referral's reason codes, or the list entries matched and their scores.
    """

    __tablename__ = "review_cases"
    __table_args__ = (Index("ix_review_cases_state_due", "state", "due_at"),)

    id: str = Field(primary_key=True, max_length=32)
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False, index=True))
    kind: str = Field(max_length=24)  # CaseKind
    state: str = Field(max_length=24)  # CaseState
    priority: int  # 1 is the most urgent
    opened_at: datetime = utc_datetime_field(default_factory=utcnow)
    due_at: datetime = utc_datetime_field()
    assignee_id: str | None = Field(default=None, max_length=64, index=True)
    assigned_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    decided_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    decision_id: str | None = Field(default=None, max_length=32)
    detail: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))


class CaseNote(SQLModel, table=True):
    """An underwriter's note on a case, sealed under the applicant's key (it may name them),
    with the digests of the documents attached (the documents stay where they are kept)."""

    __tablename__ = "case_notes"

    id: str = Field(primary_key=True, max_length=32)
    case_id: str = Field(sa_column=Column(String(32), ForeignKey("review_cases.id"),
                                          nullable=False, index=True))
    author_id: str = Field(max_length=64)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    note_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    attachments: list[dict[str, Any]] = Field(default_factory=list,
                                              sa_column=Column(JSONValue, nullable=False))


class FourEyesApproval(SQLModel, table=True):
    """A decision proposed by one underwriter (the maker) that takes effect only when a second
    one (the checker) approves it. Until then the applicant's outcome does not change."""

    __tablename__ = "four_eyes_approvals"
    __table_args__ = (Index("ix_four_eyes_approvals_state", "state", "made_at"),)

    id: str = Field(primary_key=True, max_length=32)
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False, index=True))
    case_id: str | None = Field(default=None, sa_column=Column(
        String(32), ForeignKey("review_cases.id"), nullable=True))
    # Why a second person is needed: the rules that applied (app.reviews.four_eyes_rules).
    rules: list[str] = Field(sa_column=Column(JSONValue, nullable=False))
    state: str = Field(max_length=16)  # ApprovalState
    maker_id: str = Field(max_length=64)
    maker_role: str = Field(max_length=32)
    made_at: datetime = utc_datetime_field(default_factory=utcnow)
    # The decision as it will be written: kind, outcome, record, and the decision it follows
    # (a proposal made stale by a later decision is refused, not applied).
    proposal: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    note_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    checker_id: str | None = Field(default=None, max_length=64)
    checked_at: datetime | None = utc_datetime_field(default=None, nullable=True)
