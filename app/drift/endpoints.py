"""Drift checks of the models in use, and the alerts they raise."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.deps import RequireAction
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.drift import repository, service
from app.drift.schemas import (
    AcknowledgementCreate,
    DriftAlertPublic,
    DriftCheckCreate,
    DriftCheckPublic,
    DriftCheckSummary,
    alert_public,
    check_public,
    check_summary,
)
from app.fairness.service import period_bounds
from app.openapi import errors_for
from app.params import Offset

router = APIRouter(prefix="/drift", tags=["monitoring"])
Reader = Annotated[Principal, RequireAction(Action.MONITORING_READ)]
Runner = Annotated[Principal, RequireAction(Action.MONITORING_RUN)]
Acknowledger = Annotated[Principal, RequireAction(Action.DRIFT_ACKNOWLEDGE)]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
CheckId = Annotated[str, Path(max_length=32, description="Drift check id.")]
AlertId = Annotated[str, Path(max_length=32, description="Drift alert id.")]


@router.post("/checks", response_model=DriftCheckPublic, status_code=201,
             responses=errors_for(404, 409))
def run_check(body: DriftCheckCreate, session: SessionDep, actor: Runner) -> DriftCheckPublic:
    """Check a model's drift over a window of days now: PSI of the score and CSI of each
    characteristic against its development sample. Crossing a threshold raises an alert."""
    start, end = period_bounds(body.date_from, body.date_to)
    outcome = service.run_check(session, actor, model_version=body.model_version, start=start,
                                end=end)
    return check_public(outcome.check, outcome.alert)


@router.get("/checks", response_model=list[DriftCheckSummary])
def list_checks(
    session: SessionDep,
    actor: Reader,
    model_version: Annotated[str | None, Query(max_length=64,
                                               description="Only this model's checks.")] = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> list[DriftCheckSummary]:
    """Drift checks, newest first."""
    return [check_summary(c) for c in repository.list_checks(
        session, model_version=model_version, offset=offset, limit=limit)]


@router.get("/checks/{check_id}", response_model=DriftCheckPublic, responses=errors_for(404))
def get_check(check_id: CheckId, session: SessionDep, actor: Reader) -> DriftCheckPublic:
    """One drift check with its per-bin figures."""
    check = service.get_check(session, check_id)
    return check_public(check, repository.alert_of_check(session, check.id))


@router.get("/alerts", response_model=list[DriftAlertPublic])
def list_alerts(
    session: SessionDep,
    actor: Reader,
    open_only: Annotated[bool, Query(alias="open", description="true: only alerts not yet "
                                                               "acknowledged; false: all.")]
    = True,
    offset: Offset = 0,
    limit: Limit = 100,
) -> list[DriftAlertPublic]:
    """Drift alerts, newest first."""
    return [alert_public(a) for a in repository.list_alerts(
        session, open_only=open_only, offset=offset, limit=limit)]


@router.post("/alerts/{alert_id}/acknowledge", response_model=DriftAlertPublic,
             responses=errors_for(404, 409))
def acknowledge_alert(alert_id: AlertId, body: AcknowledgementCreate, session: SessionDep,
                      actor: Acknowledger) -> DriftAlertPublic:
    """Acknowledge an alert with a note of what will be done; an alert is acknowledged once."""
    return alert_public(service.acknowledge(session, actor, alert_id, body.note))
