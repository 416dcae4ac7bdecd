"""The API's shapes of drift checks and drift alerts."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from app.drift.service import NOTE_MAX_LENGTH
from app.models import DriftAlert, DriftCheck
from risk_models.document import Strict

Level = Literal["stable", "warn", "act", "too_few"]
# A window longer than this is more than a drift check is for (and the whole history at once).
MAX_WINDOW_DAYS = 366


class DriftCheckCreate(Strict):
    model_version: str | None = Field(
        None, min_length=1, max_length=64,
        description="The model to check; the champion when left out.")
    date_from: date = Field(description="First day of the window (UTC), included.")
    date_to: date = Field(description="Last day of the window (UTC), included.")

    @model_validator(mode="after")
    def _window(self) -> DriftCheckCreate:
        if self.date_to < self.date_from:
            raise ValueError("date_to must not be before date_from")
        if (self.date_to - self.date_from).days >= MAX_WINDOW_DAYS:
            raise ValueError(f"a window spans at most {MAX_WINDOW_DAYS} days")
        if self.date_to >= date.max:  # the window ends at the next midnight
            raise ValueError("date_to must be before 9999-12-31")
        return self


class CrossingPublic(BaseModel):
    metric: str = Field(description="\"score\" (PSI of the score) or a characteristic (its "
                                    "CSI).")
    value: float | None = Field(description="The index; null when it is infinite (a bin "
                                            "empty on one side only).")
    threshold: float = Field(description="The threshold it reached: the act threshold when it "
                                         "reached both.")
    level: Literal["warn", "act"] = Field(description="warn or act.")


class DriftCheckPublic(BaseModel):
    id: str = Field(description="Drift check id.")
    model_version: str = Field(description="The model checked.")
    window_start: datetime = Field(description="Start of the window, included (UTC).")
    window_end: datetime = Field(description="End of the window, excluded (UTC).")
    checked_at: datetime = Field(description="When the check ran (UTC).")
    checked_by: str = Field(description="Actor id of who asked for it.")
    live_rows: int = Field(description="Live applications the model scored in the window.")
    score_psi: float | None = Field(
        description="Population stability index of the score against the development "
                    "sample; null when the window had too few applications or it is infinite "
                    "(score_psi_infinite).")
    score_psi_infinite: bool = Field(description="The score PSI is infinite: a score bin "
                                                 "empty in the window held development rows.")
    worst_csi: float | None = Field(
        description="The largest characteristic stability index; null as for score_psi "
                    "(worst_csi_infinite).")
    worst_csi_infinite: bool = Field(description="The largest CSI is infinite.")
    level: Level = Field(description="stable, warn or act (the worst index against the "
                                     "thresholds), or too_few (too few applications to judge).")
    warn_threshold: float = Field(description="An index from this value up is level warn "
                                              "(the policy's stability.warn).")
    act_threshold: float = Field(description="An index from this value up is level act "
                                             "(the policy's stability.act).")
    alert_id: str | None = Field(None, description="The alert the check raised, if it crossed "
                                                   "a threshold.")
    result: dict[str, Any] = Field(
        description="Per score bin and per characteristic bin: development and live counts "
                    "and each bin's term of the index. Special and Missing rows are compared "
                    "as part of the first bin, and bins after the last one the development "
                    "sample fills not at all, as optbinning's ScorecardMonitoring compares "
                    "them (live_rows_not_compared counts those).")


class DriftCheckSummary(BaseModel):
    """A check without its per-bin rows, for lists."""

    id: str = Field(description="Drift check id.")
    model_version: str = Field(description="The model checked.")
    window_start: datetime = Field(description="Start of the window, included (UTC).")
    window_end: datetime = Field(description="End of the window, excluded (UTC).")
    checked_at: datetime = Field(description="When the check ran (UTC).")
    live_rows: int = Field(description="Live applications in the window.")
    score_psi: float | None = Field(description="PSI of the score (null: too few or "
                                                "infinite).")
    worst_csi: float | None = Field(description="Largest CSI (null: too few or infinite).")
    level: Level = Field(description="stable, warn, act or too_few.")


class DriftAlertPublic(BaseModel):
    id: str = Field(description="Drift alert id.")
    drift_check_id: str = Field(description="The check that raised it.")
    model_version: str = Field(description="The model that drifted.")
    level: Literal["warn", "act"] = Field(description="The worst level reached.")
    raised_at: datetime = Field(description="When it was raised (UTC).")
    crossings: list[CrossingPublic] = Field(description="Every index at or above a "
                                                        "threshold.")
    acknowledged_at: datetime | None = Field(description="When it was acknowledged; null "
                                                         "while open.")
    acknowledged_by: str | None = Field(description="Actor id of who acknowledged it.")
    acknowledgement: str | None = Field(description="Their note: what was looked at, what "
                                                    "will be done.")


class AcknowledgementCreate(Strict):
    note: str = Field(min_length=1, max_length=NOTE_MAX_LENGTH,
                      description="What was looked at and what will be done (retraining, a "
                                  "policy change, nothing and why). No personal data.")


def _figure(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _infinite(value: float | None) -> bool:
    return value is not None and math.isinf(value)


def check_public(row: DriftCheck, alert: DriftAlert | None) -> DriftCheckPublic:
    return DriftCheckPublic(
        id=row.id, model_version=row.model_version, window_start=row.window_start,
        window_end=row.window_end, checked_at=row.checked_at, checked_by=row.checked_by,
        live_rows=row.live_rows, score_psi=_figure(row.score_psi),
        score_psi_infinite=_infinite(row.score_psi), worst_csi=_figure(row.worst_csi),
        worst_csi_infinite=_infinite(row.worst_csi), level=row.level,
        warn_threshold=row.warn_threshold, act_threshold=row.act_threshold,
        alert_id=None if alert is None else alert.id, result=row.result)


def check_summary(row: DriftCheck) -> DriftCheckSummary:
    return DriftCheckSummary(
        id=row.id, model_version=row.model_version, window_start=row.window_start,
        window_end=row.window_end, checked_at=row.checked_at, live_rows=row.live_rows,
        score_psi=_figure(row.score_psi), worst_csi=_figure(row.worst_csi),
        level=row.level)


def alert_public(row: DriftAlert) -> DriftAlertPublic:
    return DriftAlertPublic(
        id=row.id, drift_check_id=row.drift_check_id, model_version=row.model_version,
        level=row.level, raised_at=row.raised_at,
        crossings=[CrossingPublic(**c) for c in row.crossings],
        acknowledged_at=row.acknowledged_at, acknowledged_by=row.acknowledged_by,
        acknowledgement=row.acknowledgement)
