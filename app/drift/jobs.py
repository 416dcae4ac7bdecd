"""Drift checks as background jobs: one run per model and window, and every night a check of the
champion and the challenger over the trailing days."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huey import crontab
from sqlmodel import Session

from app.auth.principal import Principal
from app.drift import service
from app.errors import RiskdeskError
from app.fairness.service import period_bounds
from app.jobs import huey
from app.models import JobRun
from app.monitoring import runs
from app.monitoring.runs import RunContext

log = logging.getLogger(__name__)

KIND = "drift_check"
NIGHTLY_WINDOW_DAYS = 30
ACTOR = Principal.system("drift")


def request_check(session: Session, actor: Principal, model_version: str, start: datetime,
                  end: datetime) -> tuple[JobRun, bool]:
    """The run checking ``model_version`` over ``[start, end)``, queued if new (whoever asks
    for the same model and window again gets the same run)."""
    key = f"{model_version}/{start.isoformat()}/{end.isoformat()}"
    return runs.request(session, actor, KIND, key, {
        "model_version": model_version, "window_start": start.isoformat(),
        "window_end": end.isoformat()})


def request_nightly(session: Session, actor: Principal, today: date) -> list[JobRun]:
    """Runs checking the champion and the challenger over the :data:`NIGHTLY_WINDOW_DAYS` days
    before ``today``; the window ends at today's midnight (UTC), so a night asks once."""
    start, end = period_bounds(today - timedelta(days=NIGHTLY_WINDOW_DAYS),
                               today - timedelta(days=1))
    requested = []
    for version in service.models_in_use(session):
        try:
            service.baseline_for(session, version)
        except RiskdeskError as refused:
            # A model trained before baselines existed: a run would fail every night.
            log.warning("no nightly drift check of model %s: %s", version, refused.code)
            continue
        requested.append(request_check(session, actor, version, start, end)[0])
    return requested


@runs.handler(KIND)
def drift_check(context: RunContext) -> dict[str, Any]:
    """Carry out a drift check run; a refusal (no baseline, model gone) is its answer, not a
    failure to retry."""
    from app.db import session_scope

    params = context.params
    try:
        with session_scope() as session:
            outcome = service.run_check(
                session, ACTOR, model_version=params["model_version"],
                start=datetime.fromisoformat(params["window_start"]),
                end=datetime.fromisoformat(params["window_end"]),
                checked_by=context.requested_by)
            check, alert = outcome.check, outcome.alert
            return {"drift_check_id": check.id, "level": check.level,
                    "live_rows": check.live_rows, "alert_id": None if alert is None else alert.id}
    except RiskdeskError as refused:
        return {"refused": refused.code, "message": refused.message}


@huey.periodic_task(crontab(hour=2, minute=15))
def nightly_drift_checks() -> list[str]:
    """At 02:15 every night: ask for the drift checks of the models in use."""
    from app.db import session_scope

    with session_scope() as session:
        return [run.id for run in request_nightly(session, ACTOR, datetime.now(UTC).date())]
