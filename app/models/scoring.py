"""The model registry and the versioned decision policies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.models.base import utc_datetime_field, utcnow


class ScoringModel(SQLModel, table=True):
    """One trained scorecard: its compiled artifact, the data it came from and its metrics."""

    __tablename__ = "scoring_models"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=64, unique=True, index=True)
    status: str = Field(max_length=16, index=True)  # candidate | active | retired
    trained_by: str = Field(max_length=64)
    trained_at: datetime = utc_datetime_field(default_factory=utcnow)
    activated_at: datetime | None = utc_datetime_field(default=None, nullable=True)
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

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=64, unique=True, index=True)
    status: str = Field(max_length=16, index=True)  # active | retired
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    body: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    sha256: str = Field(max_length=64)
