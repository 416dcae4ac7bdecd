"""Applications, the personal data kept apart from them, monitoring data, and decisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utc_datetime_field, utcnow


class Application(SQLModel, table=True):
    """What was asked and what the model saw: the request's features, never personal data."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("submitted_by", "idempotency_key", name="uq_applications_idempotency"),
        Index("ix_applications_submitted_at", "submitted_at"),
        Index("ix_applications_submitted_by", "submitted_by"),
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
    status: str = Field(max_length=16, index=True)  # decided | referred | reviewed
    outcome: str = Field(max_length=16, index=True)  # current outcome
    risk_tier: str | None = Field(default=None, max_length=16, index=True)
    score: float | None = None
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    currency: str = Field(max_length=3)
    term_months: int
    purpose: str = Field(max_length=32)
    characteristics: str = Field(sa_column=Column(Text, nullable=False))  # JSON, model inputs
    derivation: str = Field(sa_column=Column(Text, nullable=False))  # JSON, affordability etc.
    cleansing: str = Field(sa_column=Column(Text, nullable=False))  # JSON list (field, rule)
    duplicate_flags: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    # Keyed digests (HMAC) for duplicate detection: comparable, not reversible without the key.
    national_id_digest: str = Field(max_length=64)
    name_dob_digest: str = Field(max_length=64)
    model_version: str | None = Field(default=None, max_length=64)
    policy_version: str = Field(max_length=64)


class ApplicantIdentity(SQLModel, table=True):
    """Personal data, stored apart from the features and never written to the ledger or logs."""

    __tablename__ = "applicant_identities"

    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 primary_key=True))
    full_name: str = Field(max_length=200)
    date_of_birth: date
    national_id: str = Field(max_length=40)
    address: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    contact: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    co_applicant: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    guarantor: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ApplicationMonitoring(SQLModel, table=True):
    """Protected attributes, for fairness monitoring only: no decision code reads this table."""

    __tablename__ = "application_monitoring"

    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 primary_key=True))
    sex: str = Field(max_length=16)
    nationality: str | None = Field(default=None, max_length=2)
    age_band: str = Field(max_length=16)
    national_origin: str = Field(max_length=16)  # domestic | foreign | unknown


class Decision(SQLModel, table=True):
    """An automated decision, or an underwriter's review of a referred one."""

    __tablename__ = "decisions"

    id: str = Field(primary_key=True, max_length=32)
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False, index=True))
    kind: str = Field(max_length=16)  # automated | review
    created_at: datetime = utc_datetime_field(default_factory=utcnow, index=True)
    outcome: str = Field(max_length=16, index=True)
    risk_tier: str | None = Field(default=None, max_length=16)
    score: float | None = None
    probability_of_default: float | None = None
    reasons: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    knockouts: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    terms: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    counteroffer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    model_version: str | None = Field(default=None, max_length=64)
    policy_version: str = Field(max_length=64)
    decided_by: str = Field(max_length=64)
    decided_by_role: str = Field(max_length=32)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
