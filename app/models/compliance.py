"""Stored fairness audits and regulatory PDF reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from app.models.base import utc_datetime_field, utcnow


class FairnessAudit(SQLModel, table=True):
    """One fairness audit run: its scope, parameters and the result JSON with its sha256."""

    __tablename__ = "fairness_audits"
    __table_args__ = (Index("ix_fairness_audits_created_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    created_by: str = Field(max_length=64)
    created_by_role: str = Field(max_length=32)
    source: str = Field(max_length=16, index=True)  # model | decisions
    model_version: str | None = Field(default=None, max_length=64, index=True)
    policy_version: str | None = Field(default=None, max_length=64)
    date_from: date | None = None
    date_to: date | None = None
    parameters: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    result: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    sha256: str = Field(max_length=64)
    audited: int  # decisions (or validation rows) in the rates
    flagged: bool


class Report(SQLModel, table=True):
    """A generated PDF, the parameters it was built from and the ledger head it was built at."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_created_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)  # adverse_action | model_validation | compliance
    parameters: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    created_by: str = Field(max_length=64)
    created_by_role: str = Field(max_length=32)
    application_id: str | None = Field(
        default=None,
        sa_column=Column(String(32), ForeignKey("applications.id"), nullable=True, index=True))
    model_version: str | None = Field(default=None, max_length=64)
    ledger_head_seq: int
    ledger_head_hash: str = Field(max_length=64)
    sha256: str = Field(max_length=64)
    size: int  # of the PDF, as its sha256 is
    # The PDF; a report on an application (an adverse action notice, which names the applicant)
    # is sealed under the applicant's key (app.subjects.service.pdf_of opens it).
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # Every input the PDF was built from, resolved at creation into canonical JSON (UTF-8;
    # app.reports.manifests): the report is rebuilt from it alone. Sealed like the PDF on a
    # report on an application. None for reports made before manifests were kept.
    manifest: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    manifest_sha256: str | None = Field(default=None, max_length=64)
