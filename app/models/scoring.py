"""The model registry and the versioned decision policies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from app.models.base import utc_datetime_field, utcnow


def _one_in_status(table: str, status: str, *within: str) -> Index:
    """At most one row of ``table`` in ``status`` (one champion, one challenger) — per value of
    the ``within`` columns — on both backends: unique among the rows that have that status."""
    where = text(f"status = '{status}'")
    return Index(f"uq_{table}_one_{status}", *within, "status", unique=True,
                 sqlite_where=where, postgresql_where=where)


class ScoringModel(SQLModel, table=True):
    """One trained scorecard: its compiled artifact, the data it came from and its metrics, and
    where it stands in its lifecycle (app.scoring.states)."""

    __tablename__ = "scoring_models"
    # One champion and one challenger for each purpose: the application scorecard decides
    # applications, the behavioural one re-scores booked accounts.
    __table_args__ = (_one_in_status("scoring_models", "champion", "purpose"),
                      _one_in_status("scoring_models", "challenger", "purpose"))

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=64, unique=True, index=True)
    status: str = Field(max_length=16, index=True)  # RegistryStatus
    purpose: str = Field(default="application", max_length=16)  # ModelPurpose
    trained_by: str = Field(max_length=64)
    trained_at: datetime = utc_datetime_field(default_factory=utcnow)
    # When it last became champion.
    activated_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    validated_by: str | None = Field(default=None, max_length=64)
    validated_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    validation_report_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("reports.id"), nullable=True))
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    data_sha256: str = Field(max_length=64)
    data_name: str = Field(max_length=200)
    target: str = Field(max_length=100)
    protected_columns: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    params: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    metrics: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    artifact: str = Field(sa_column=Column(Text, nullable=False))  # compiled scorecard JSON
    artifact_sha256: str = Field(max_length=64, unique=True)
    # Out-of-fold predictions, binning tables and calibration: what validation reports and
    # fairness audits of the model are built from.
    validation: str = Field(sa_column=Column(Text, nullable=False))


class DecisionPolicy(SQLModel, table=True):
    """A versioned decision policy: knock-outs, cut-offs, pricing, affordability."""

    __tablename__ = "decision_policies"
    __table_args__ = (_one_in_status("decision_policies", "champion"),
                      _one_in_status("decision_policies", "challenger"))

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=64, unique=True, index=True)
    status: str = Field(max_length=16, index=True)  # RegistryStatus
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    activated_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    validated_by: str | None = Field(default=None, max_length=64)
    validated_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    validation_report_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("reports.id"), nullable=True))
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    body: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    sha256: str = Field(max_length=64)


class RegistryTransition(SQLModel, table=True):
    """Each move of a model or policy version through its lifecycle: who, when, why (the same
    facts are on the ledger; this table answers "show me its history" without reading it)."""

    __tablename__ = "registry_transitions"
    __table_args__ = (Index("ix_registry_transitions_subject", "kind", "version", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)  # model | policy
    version: str = Field(max_length=64)
    from_status: str | None = Field(default=None, max_length=16)  # None: registered
    to_status: str = Field(max_length=16)
    actor_id: str = Field(max_length=64)
    actor_role: str = Field(max_length=32)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = utc_datetime_field(default_factory=utcnow)
    report_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("reports.id"), nullable=True))
