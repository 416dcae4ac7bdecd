"""The nightly portfolio reassessment: every open account re-scored with the champion
scorecards (the same run as ``riskdesk portfolio rescore``, in the worker's process), once per
day however often asked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from huey import crontab
from sqlmodel import Session

from app.auth.principal import Principal
from app.jobs import huey
from app.monitoring import runs

KIND = "portfolio_rescore"
ACTOR = Principal.system("portfolio_rescore")


def request(session: Session, day: date) -> None:
    runs.request(session, ACTOR, KIND, day.isoformat(), {"day": day.isoformat()})


@runs.handler(KIND)
def portfolio_rescore(context: runs.RunContext) -> dict[str, Any]:
    """Re-score the portfolio in one process (the worker is itself one of a pool; a cluster
    run is ``riskdesk portfolio rescore --scheduler``)."""
    from app.config import get_settings
    from app.early_warning import rescore

    settings = get_settings()
    summary = rescore.run(settings, username=None, engine="pandas", scheduler_address=None,
                          n_workers=1, work_dir=Path(settings.data_dir) / "rescore" /
                          context.id)
    return {k: summary[k] for k in ("rows", "digest", "level_changes", "seconds")}


@huey.periodic_task(crontab(hour=1, minute=30))
def nightly_portfolio_rescore() -> None:
    from app.db import session_scope

    with session_scope() as session:
        request(session, datetime.now(UTC).date())
