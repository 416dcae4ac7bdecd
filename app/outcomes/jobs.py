"""Back-tests in the background: the ``backtest`` job handler, and each month's back-test of the
champion over the last 24 months of decisions (one run per model and window, however often it
is asked for)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huey import crontab
from sqlmodel import Session

from app.auth.principal import Principal
from app.errors import RiskdeskError
from app.jobs import huey
from app.models import JobRun
from app.monitoring import runs
from app.outcomes import service
from app.scoring import repository as registry

log = logging.getLogger(__name__)

KIND = "backtest"
MONTHLY_WINDOW_MONTHS = 24
SCHEDULER = Principal.system("scheduler")


def request(session: Session, actor: Principal, model_version: str, date_from: date,
            date_to: date) -> tuple[JobRun, bool]:
    """Ask for a back-test of ``model_version`` over a window: one run per model and window
    (asked again, the same run), queued once this transaction commits."""
    return runs.request(session, actor, KIND, f"{model_version}:{date_from}:{date_to}",
                        {"model_version": model_version, "date_from": date_from.isoformat(),
                         "date_to": date_to.isoformat()})


@runs.handler(KIND)
def backtest(context: runs.RunContext) -> dict[str, Any]:
    """Run the back-test a run asks for, in one transaction. A window with no observed outcome
    is a result, not a failure: retrying would find none either."""
    from app.db import session_scope

    params = context.params
    try:
        with session_scope() as session:
            record = service.run_backtest(
                session, Principal.system("jobs"), params["model_version"],
                date.fromisoformat(params["date_from"]), date.fromisoformat(params["date_to"]))
            return {"backtest_id": record.id, "rows": record.rows}
    except RiskdeskError as exc:
        if exc.code != "no_outcomes_in_window":
            raise
        return {"backtest_id": None, "rows": 0, "skipped": exc.code}


def monthly_window(today: date) -> tuple[date, date]:
    """The last ``MONTHLY_WINDOW_MONTHS`` whole months before ``today``'s month."""
    end = today.replace(day=1) - timedelta(days=1)
    months = end.year * 12 + end.month - MONTHLY_WINDOW_MONTHS  # zero-based month index
    return date(months // 12, months % 12 + 1, 1), end


def request_monthly(session: Session, today: date) -> JobRun | None:
    """Ask for this month's back-test of the champion (none when no model is champion)."""
    champion = registry.champion_model(session)
    if champion is None:
        return None
    run, _ = request(session, SCHEDULER, champion.version, *monthly_window(today))
    return run


@huey.periodic_task(crontab(day="1", hour="3", minute="0"))
def monthly_backtest() -> str | None:
    """On the first of each month at 03:00 UTC: back-test the champion."""
    from app.db import session_scope

    with session_scope() as session:
        run = request_monthly(session, datetime.now(UTC).date())
        return None if run is None else run.id
