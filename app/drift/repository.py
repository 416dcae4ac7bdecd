"""Queries of drift checks: live counts of a model's applications in a window, and the checks
and alerts stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import (
    Float,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from app.applications.states import DecisionKind
from app.models import (
    Decision,
    DriftAlert,
    DriftCheck,
    ScoredCharacteristic,
    ScoringModel,
    ShadowDecision,
)
from app.models.base import table_of
from app.statements import Prepared

_decisions = table_of(Decision)
_shadow = table_of(ShadowDecision)
_scored = table_of(ScoredCharacteristic)
_alerts = table_of(DriftAlert)


def model_ref(session: Session, version: str) -> tuple[str, str, str] | None:
    """``(version, status, artifact_sha256)`` of a registered model, without its large texts."""
    row = session.exec(sqlmodel_select(ScoringModel.version, ScoringModel.status,
                                       ScoringModel.artifact_sha256)
                       .where(ScoringModel.version == version)).first()
    return None if row is None else (row[0], row[1], row[2])


def validation_of(session: Session, version: str) -> str | None:
    """The stored validation record (JSON text) of a model."""
    return session.exec(sqlmodel_select(ScoringModel.validation)
                        .where(ScoringModel.version == version)).first()


# Statements with named parameters (model_version, start, end), compiled once per dialect.
_MODEL: BindParameter[Any] = bindparam("model_version")
_START: BindParameter[Any] = bindparam("start")
_END: BindParameter[Any] = bindparam("end")


def _live_scores() -> Any:
    """The scores a model gave the applications of ``[start, end)``: its automated decisions,
    and its shadow scores as challenger (only where another model decided, so an application is
    counted once)."""
    automated = (select(_decisions.c.score.label("score"))
                 .where(_decisions.c.model_version == _MODEL,
                        _decisions.c.kind == DecisionKind.AUTOMATED.value,
                        _decisions.c.created_at >= _START, _decisions.c.created_at < _END,
                        _decisions.c.score.is_not(None)))
    shadow = (select(_shadow.c.score.label("score"))
              .join(_decisions, _decisions.c.id == _shadow.c.decision_id)
              .where(_shadow.c.model_version == _MODEL,
                     _shadow.c.decided_at >= _START, _shadow.c.decided_at < _END,
                     or_(_decisions.c.model_version.is_(None),
                         _decisions.c.model_version != _MODEL)))
    return union_all(automated, shadow).subquery("live")


@lru_cache(maxsize=32)
def _score_bin_counts(n_splits: int) -> Prepared:
    score = _live_scores().c.score
    # The splits are bound as parameters, so the database compares the very floats recorded;
    # the bin numbers are written in, and grouped by name from a subquery, so that PostgreSQL
    # sees one expression to group by.
    score_bin = case(*((score <= bindparam(f"split_{i}", type_=Float()), literal_column(str(i)))
                       for i in range(n_splits)), else_=literal_column(str(n_splits)))
    binned = select(score_bin.label("score_bin")).subquery("binned")
    return Prepared(select(binned.c.score_bin, func.count()).group_by(binned.c.score_bin))


_SCORES = Prepared(select(_live_scores().c.score))
_CHARACTERISTIC_COUNTS = Prepared(
    select(_scored.c.characteristic, _scored.c.bin_index, func.count())
    .where(_scored.c.model_version == _MODEL, _scored.c.scored_at >= _START,
           _scored.c.scored_at < _END)
    .group_by(_scored.c.characteristic, _scored.c.bin_index))


def _window(model_version: str, start: datetime, end: datetime) -> dict[str, Any]:
    return {"model_version": model_version, "start": start, "end": end}


def live_score_counts(session: Session, model_version: str, start: datetime, end: datetime,
                      splits: Sequence[float]) -> list[int]:
    """Live applications per score bin (``splits[i - 1] < score <= splits[i]``), counted by
    the database in one grouped query."""
    params = {**_window(model_version, start, end),
              **{f"split_{i}": float(split) for i, split in enumerate(splits)}}
    counts = [0] * (len(splits) + 1)
    for score_bin, count in _score_bin_counts(len(splits)).run(session, params):
        counts[int(score_bin)] = int(count)
    return counts


def live_scores(session: Session, model_version: str, start: datetime,
                end: datetime) -> np.ndarray:
    """The live scores themselves, one column fetched (the benchmark's other way to count)."""
    rows = _SCORES.run(session, _window(model_version, start, end))
    return np.fromiter((row[0] for row in rows), dtype=float, count=len(rows))


def characteristic_counts(session: Session, model_version: str, start: datetime,
                          end: datetime) -> dict[str, dict[int, int]]:
    """Per characteristic, the live applications in each of its bins, from one grouped query
    that reads only the covering index of ``scored_characteristics``."""
    counts: dict[str, dict[int, int]] = {}
    for characteristic, bin_index, count in _CHARACTERISTIC_COUNTS.run(
            session, _window(model_version, start, end)):
        counts.setdefault(characteristic, {})[int(bin_index)] = int(count)
    return counts


def get_check(session: Session, check_id: str) -> DriftCheck | None:
    return session.get(DriftCheck, check_id)


def list_checks(session: Session, *, model_version: str | None, offset: int,
                limit: int) -> list[DriftCheck]:
    statement = sqlmodel_select(DriftCheck)
    if model_version is not None:
        statement = statement.where(DriftCheck.model_version == model_version)
    statement = (statement.order_by(col(DriftCheck.checked_at).desc(), col(DriftCheck.id))
                 .offset(offset).limit(limit))
    return list(session.exec(statement).all())


def get_alert(session: Session, alert_id: str) -> DriftAlert | None:
    return session.get(DriftAlert, alert_id)


def alert_of_check(session: Session, check_id: str) -> DriftAlert | None:
    return session.exec(sqlmodel_select(DriftAlert)
                        .where(DriftAlert.drift_check_id == check_id)).first()


def list_alerts(session: Session, *, open_only: bool, offset: int,
                limit: int) -> list[DriftAlert]:
    statement = sqlmodel_select(DriftAlert)
    if open_only:
        statement = statement.where(col(DriftAlert.acknowledged_at).is_(None))
    statement = (statement.order_by(col(DriftAlert.raised_at).desc(), col(DriftAlert.id))
                 .offset(offset).limit(limit))
    return list(session.exec(statement).all())


def acknowledge(session: Session, alert_id: str, *, at: datetime, by: str, note: str) -> bool:
    """Mark an open alert acknowledged; False when it was already (the condition is in the
    statement, so two people acknowledging at once cannot both succeed)."""
    result = session.execute(
        update(_alerts).where(_alerts.c.id == alert_id, _alerts.c.acknowledged_at.is_(None))
        .values(acknowledged_at=at, acknowledged_by=by, acknowledgement=note))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def alerts_of_model(session: Session, model_version: str, *, limit: int) -> list[DriftAlert]:
    """A model's drift alerts, open or acknowledged, newest first."""
    return list(session.exec(
        sqlmodel_select(DriftAlert).where(DriftAlert.model_version == model_version)
        .order_by(col(DriftAlert.raised_at).desc(), col(DriftAlert.id)).limit(limit)).all())


def count_open_alerts(session: Session) -> int:
    """How many alerts wait for acknowledgement (read from the open-alerts index)."""
    return int(session.execute(select(func.count()).select_from(_alerts)
                               .where(_alerts.c.acknowledged_at.is_(None))).scalar_one())
