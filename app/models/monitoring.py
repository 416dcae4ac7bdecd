"""Watching models in use: challengers' shadow decisions, the bins and points each decision
scored, drift checks and their alerts, observed loan outcomes, back-tests, and the background
job runs that compute them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.applications import JSONValue
from app.models.base import utc_datetime_field, utcnow


class ShadowDecision(SQLModel, table=True):
    """A challenger's decision on an application the champion decided: stored beside it, never
    shown to the applicant, never deciding anything."""

    __tablename__ = "shadow_decisions"
    __table_args__ = (
        # One shadow decision per application and challenger pair, however often it is asked.
        UniqueConstraint("application_id", "model_version", "policy_version",
                         name="uq_shadow_decisions_pair"),
        Index("ix_shadow_decisions_model_decided", "model_version", "decided_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False))
    decision_id: str = Field(sa_column=Column(String(32), ForeignKey("decisions.id"),
                                              nullable=False))  # the champion's decision
    # When the champion decided: comparisons by date range read this, backfilled or live.
    decided_at: datetime = utc_datetime_field()
    scored_at: datetime = utc_datetime_field(default_factory=utcnow)
    source: str = Field(max_length=8)  # live | backfill
    model_version: str = Field(max_length=64)
    policy_version: str = Field(max_length=64)
    outcome: str = Field(max_length=16)
    risk_tier: str | None = Field(default=None, max_length=16)
    score: float
    probability_of_default: float
    reason_codes: list[str] = Field(sa_column=Column(JSONValue, nullable=False))


class ScoredCharacteristic(SQLModel, table=True):
    """The bin and points one characteristic scored in one automated decision, in columns a
    drift check counts with one grouped query."""

    __tablename__ = "scored_characteristics"
    __table_args__ = (
        # Covering: a drift check reads nothing but this index.
        Index("ix_scored_characteristics_drift", "model_version", "scored_at", "characteristic",
              "bin_index"),
    )

    application_id: str = Field(sa_column=Column(
        String(32), ForeignKey("applications.id"), primary_key=True))
    model_version: str = Field(primary_key=True, max_length=64)
    characteristic: str = Field(primary_key=True, max_length=64)
    scored_at: datetime = utc_datetime_field()
    bin_index: int  # position in the compiled scorecard's bins of the characteristic
    bin_label: str = Field(max_length=200)
    points: float


class DriftCheck(SQLModel, table=True):
    """PSI of the score and CSI of each characteristic, a model's development sample against
    the live applications of a window."""

    __tablename__ = "drift_checks"
    __table_args__ = (Index("ix_drift_checks_model", "model_version", "checked_at"),)

    id: str = Field(primary_key=True, max_length=32)
    model_version: str = Field(max_length=64)
    window_start: datetime = utc_datetime_field()
    window_end: datetime = utc_datetime_field()
    checked_at: datetime = utc_datetime_field(default_factory=utcnow)
    checked_by: str = Field(max_length=64)
    live_rows: int
    score_psi: float | None = None
    worst_csi: float | None = None
    level: str = Field(max_length=16)  # stable | warn | act | too_few
    warn_threshold: float
    act_threshold: float
    result: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))


class DriftAlert(SQLModel, table=True):
    """A drift check that crossed a threshold, for the model's owners to acknowledge."""

    __tablename__ = "drift_alerts"
    __table_args__ = (Index("ix_drift_alerts_open", "acknowledged_at", "raised_at"),)

    id: str = Field(primary_key=True, max_length=32)
    drift_check_id: str = Field(sa_column=Column(String(32), ForeignKey("drift_checks.id"),
                                                 nullable=False, unique=True))
    model_version: str = Field(max_length=64)
    level: str = Field(max_length=16)  # warn | act
    raised_at: datetime = utc_datetime_field(default_factory=utcnow)
    # Each crossing: metric ("score" or a characteristic), value, threshold crossed.
    crossings: list[dict[str, Any]] = Field(sa_column=Column(JSONValue, nullable=False))
    acknowledged_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    acknowledged_by: str | None = Field(default=None, max_length=64)
    acknowledgement: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class OutcomeLoad(SQLModel, table=True):
    """One batch of observed loan outcomes, loaded whole or not at all."""

    __tablename__ = "outcome_loads"

    id: str = Field(primary_key=True, max_length=32)
    loaded_at: datetime = utc_datetime_field(default_factory=utcnow)
    loaded_by: str = Field(max_length=64)
    source: str = Field(max_length=16)  # api | csv
    sha256: str = Field(max_length=64)
    rows: int
    defaults: int


class LoanOutcome(SQLModel, table=True):
    """What became of a loan by a date: in default or not. An application may be observed many
    times (each month, say); the first default observed dates it for vintage curves."""

    __tablename__ = "loan_outcomes"
    __table_args__ = (
        UniqueConstraint("application_id", "observed_on", name="uq_loan_outcomes_observation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False, index=True))
    defaulted: bool
    observed_on: date
    load_id: str = Field(sa_column=Column(String(32), ForeignKey("outcome_loads.id"),
                                          nullable=False, index=True))


class Backtest(SQLModel, table=True):
    """Realised against predicted defaults of a model over a window of its decisions."""

    __tablename__ = "backtests"
    __table_args__ = (Index("ix_backtests_model", "model_version", "created_at"),)

    id: str = Field(primary_key=True, max_length=32)
    model_version: str = Field(max_length=64)
    window_start: date
    window_end: date
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    created_by: str = Field(max_length=64)
    rows: int
    result: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))


class JobRun(SQLModel, table=True):
    """A background job's request and progress. The queue says when to work; this row says
    what the work is, how far it got and what it found, so a job lost from the queue or cut off
    in a worker restart is queued again and resumes (``cursor``)."""

    __tablename__ = "job_runs"
    __table_args__ = (
        # The same work asked for twice is one run: a job is idempotent by its key.
        UniqueConstraint("kind", "key", name="uq_job_runs_kind_key"),
        Index("ix_job_runs_state", "state"),
    )

    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=32)
    key: str = Field(max_length=200)
    params: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    state: str = Field(max_length=16)  # queued | running | done | failed
    requested_at: datetime = utc_datetime_field(default_factory=utcnow)
    requested_by: str = Field(max_length=64)
    started_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    finished_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    attempts: int = 0
    cursor: str | None = Field(default=None, max_length=64)
    progress: int = 0
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONValue,
                                                                        nullable=True))
    error: str | None = Field(default=None, max_length=500)
