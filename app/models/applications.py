"""Applications, the personal data kept apart from them, monitoring data, and decisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.base import utc_datetime_field, utcnow

# JSON on SQLite, JSONB on PostgreSQL (queryable and indexable there).
JSONValue = JSON().with_variant(JSONB(), "postgresql")


class Application(SQLModel, table=True):
    """What was asked and what the model saw: the request's features, never personal data."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("submitted_by", "idempotency_key", name="uq_applications_idempotency"),
        # Lists page by (submitted_at, id) (keyset); status and outcome ride along so monthly
        # rates are read from the index alone. An officer's own list has its own index.
        Index("ix_applications_submitted_at_id", "submitted_at", "id", "status", "outcome"),
        Index("ix_applications_submitted_by_at", "submitted_by", "submitted_at", "id"),
        Index("ix_applications_idempotency_key", "idempotency_key"),
        # A status filter (counteroffers awaiting an answer) pages in the same order.
        Index("ix_applications_status", "status", "submitted_at", "id"),
        # Duplicate checks look up one digest within a recent window.
        Index("ix_applications_national_id_digest", "national_id_digest", "submitted_at"),
        Index("ix_applications_name_dob_digest", "name_dob_digest", "submitted_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    submitted_at: datetime = utc_datetime_field(default_factory=utcnow)
    submitted_by: str = Field(max_length=64)
    submitted_by_role: str = Field(max_length=32)
    idempotency_key: str | None = Field(default=None, max_length=128)
    request_sha256: str = Field(max_length=64)
    status: str = Field(max_length=16)  # ApplicationStatus (indexed with its order below)
    outcome: str = Field(max_length=16, index=True)  # current outcome
    risk_tier: str | None = Field(default=None, max_length=16, index=True)
    score: float | None = None
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    currency: str = Field(max_length=3)
    term_months: int
    purpose: str = Field(max_length=32)
    # The model's inputs; their derivation (sources, affordability); what cleansing changed
    # (field, rule); earlier applications the same person made.
    characteristics: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    derivation: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    cleansing: list[dict[str, str]] = Field(sa_column=Column(JSONValue, nullable=False))
    duplicate_flags: list[dict[str, Any]] = Field(sa_column=Column(JSONValue, nullable=False))
    # Keyed digests (HMAC) for duplicate detection: comparable, not reversible without the key.
    national_id_digest: str | None = Field(default=None, max_length=64)  # none yet: incomplete
    name_dob_digest: str = Field(max_length=64)
    model_version: str | None = Field(default=None, max_length=64)
    policy_version: str = Field(max_length=64)
    # Every non-identifying input as received, with the identity facts established at intake
    # (risk_models.document.ApplicationInputs): what a replay decides from again.
    inputs: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))


class ApplicantIdentity(SQLModel, table=True):
    """Personal data, stored apart from the features and never written to the ledger or logs:
    the applicant's name, date of birth, national id, address, contacts, co-applicant and
    guarantor, as one JSON value sealed under the data subject's key (app.subjects)."""

    __tablename__ = "applicant_identities"

    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 primary_key=True))
    # The person the application is from: the holder of the key. Kept here, with the personal
    # data, rather than on the application, whose features stand without anyone's key.
    subject_id: str = Field(sa_column=Column(String(32), ForeignKey("data_subjects.id"),
                                             nullable=False, index=True))
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ApplicationMonitoring(SQLModel, table=True):
    """Protected attributes, for fairness monitoring only: no decision code reads this table."""

    __tablename__ = "application_monitoring"

    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 primary_key=True))
    sex: str = Field(max_length=16)
    marital_status: str = Field(default="not_provided", max_length=16)
    nationality: str | None = Field(default=None, max_length=2)
    age_band: str = Field(max_length=16)
    national_origin: str = Field(max_length=16)  # domestic | foreign | unknown


class Decision(SQLModel, table=True):
    """An automated decision, or an underwriter's review of a referred one."""

    __tablename__ = "decisions"

    id: str = Field(primary_key=True, max_length=32)
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False, index=True))
    kind: str = Field(max_length=24)  # DecisionKind
    created_at: datetime = utc_datetime_field(default_factory=utcnow, index=True)
    outcome: str = Field(max_length=16, index=True)
    risk_tier: str | None = Field(default=None, max_length=16)
    score: float | None = None
    probability_of_default: float | None = None
    model_version: str | None = Field(default=None, max_length=64)
    policy_version: str = Field(max_length=64)
    decided_by: str = Field(max_length=64)
    decided_by_role: str = Field(max_length=32)
    # The underwriter's free-text note, sealed under the applicant's key: it may name them.
    note_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    adverse_action: str | None = Field(default=None, max_length=16)  # AdverseAction
    reason_catalog_version: str | None = Field(default=None, max_length=32)
    # The complete decision record (risk_models.decisions.DecisionRecord.to_dict() for an
    # automated decision): what the service answers from and what a replay compares against.
    record: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))


class ReasonCatalogVersion(SQLModel, table=True):
    """Each version of the reason statements a decision was explained with, kept for replay."""

    __tablename__ = "reason_catalogs"

    version: str = Field(primary_key=True, max_length=32)
    sha256: str = Field(max_length=64)
    body: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    registered_at: datetime = utc_datetime_field(default_factory=utcnow)


class NoticeObligation(SQLModel, table=True):
    """A notice owed to an applicant for an adverse action, opened the moment the action is
    taken (Reg B §1002.9(a), (c); FCRA §615(a))."""

    __tablename__ = "notice_obligations"
    __table_args__ = (Index("ix_notice_obligations_status_due", "status", "due_date"),)

    id: str = Field(primary_key=True, max_length=32)
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False, index=True))
    decision_id: str = Field(sa_column=Column(String(32), ForeignKey("decisions.id"),
                                              nullable=False))
    kind: str = Field(max_length=16)  # NoticeKind
    status: str = Field(max_length=16)  # NoticeStatus
    opened_at: datetime = utc_datetime_field(default_factory=utcnow)
    due_date: date
    # For a notice of incompleteness: what is missing and by when the applicant may supply it.
    missing: list[str] = Field(default_factory=list, sa_column=Column(JSONValue, nullable=False))
    respond_by: date | None = None
    report_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("reports.id"), nullable=True))
    generated_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    delivered_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    delivery_channel: str | None = Field(default=None, max_length=16)
    delivered_by: str | None = Field(default=None, max_length=64)
    closed_reason: str | None = Field(default=None, max_length=200)
