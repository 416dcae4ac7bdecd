"""Background jobs, on huey: SQLite storage in the data directory by default (nothing to run
beside the service), Redis in production (``RISKDESK_JOBS_URL=redis://host:6379/0``).

A job's own progress is kept in the service's database, not in the queue: a run records its
state and cursor there, so a job lost from the queue (a Redis flushed, a SQLite file deleted)
is queued again from the database when a worker starts and every few minutes after. The queue
says *when* to work; the database says *what* is left.

``RISKDESK_JOBS_URL=immediate`` runs each job in the process that queues it, as it is queued
(the test suite's setting).
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab, signals
from huey.exceptions import TaskLockedException

log = logging.getLogger(__name__)
RETRIES = 3
RETRY_DELAY_SECONDS = 30


def _make_huey() -> Huey:
    url = os.environ.get("RISKDESK_JOBS_URL", "")
    if url == "immediate":
        return MemoryHuey("riskdesk", immediate=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("riskdesk", url=url)
    if url and not url.startswith("sqlite:///"):
        raise ValueError(f"RISKDESK_JOBS_URL must be redis://…, sqlite:///PATH or immediate, "
                         f"not {url!r}")
    path = (Path(url.removeprefix("sqlite:///")) if url
            else Path(os.environ.get("RISKDESK_DATA_DIR", "var")) / "jobs.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("riskdesk", filename=str(path))


huey = _make_huey()

# The modules that register job handlers (app.monitoring.runs.handler): imported wherever jobs
# run, so the worker knows every kind it may be handed.
HANDLER_MODULES = (
    "app.scoring.backfill",
    "app.drift.jobs",
    "app.outcomes.jobs",
    "app.notices.jobs",
    "app.early_warning.jobs",
)


def load_handlers() -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
def run_job(run_id: str) -> dict[str, Any]:
    """Carry out a job run (app.monitoring.runs); one worker at a time per run."""
    from app.monitoring import runs

    load_handlers()
    try:
        with huey.lock_task(f"job:{run_id}"):
            return runs.execute(run_id)
    except TaskLockedException:
        return {"run_id": run_id, "state": "running elsewhere"}


def queue_run(run_id: str) -> None:
    """Queue a job run; when the queue cannot be reached the run stays queued in the database
    and a worker picks it up when it starts or at its next sweep."""
    try:
        run_job(run_id)
    except Exception:  # noqa: BLE001 - the database already holds the run
        log.warning("could not queue job run %s; a worker will pick it up", run_id,
                    exc_info=True)


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
def rescreen(rescreen_id: str) -> dict[str, Any]:
    """Run a rescreening run to its end (or resume it); one worker at a time per run."""
    from app.screening import rescreen as runs

    try:
        # No time-to-live (SQLite storage has none): a worker clears stale locks as it starts.
        with huey.lock_task(f"rescreen:{rescreen_id}"):
            job = runs.run(rescreen_id)
    except TaskLockedException:
        # Another worker is running it (a sweep queued it again): nothing to do here.
        return {"rescreen_id": rescreen_id, "state": "running elsewhere"}
    return {"rescreen_id": job.id, "state": job.state, "screened": job.screened,
            "raised": job.raised}


@huey.signal(signals.SIGNAL_ERROR)
def _record_failure(signal: str, task: Any, exc: Exception | None = None) -> None:
    # Out of retries: the run is marked failed, to be queued again (it resumes where it was).
    if isinstance(task, rescreen.task_class) and not task.retries:
        from app.screening import rescreen as runs

        runs.fail(task.args[0], f"{type(exc).__name__}: {exc}")


def queue_rescreen(rescreen_id: str) -> None:
    """Queue a run; when the queue cannot be reached the run stays queued in the database and
    a worker picks it up when it starts or at its next sweep."""
    try:
        rescreen(rescreen_id)
    except Exception:  # noqa: BLE001 - the database already holds the run
        log.warning("could not queue rescreening run %s; a worker will pick it up",
                    rescreen_id, exc_info=True)


def queue_unfinished() -> list[str]:
    """Queue every run the database holds as unfinished (queued, running when a worker died,
    or failed): rescreening runs and job runs."""
    from app.db import session_scope
    from app.monitoring import runs
    from app.screening import service

    with session_scope() as session:
        rescreens = [r.id for r in service.unfinished_rescreens(session)]
        job_runs = [r.id for r in runs.unfinished(session)]
    for rescreen_id in rescreens:
        queue_rescreen(rescreen_id)
    for run_id in job_runs:
        queue_run(run_id)
    return rescreens + job_runs


@huey.periodic_task(crontab(minute="*/5"))
def sweep() -> list[str]:
    """Every five minutes: queue again what the database says is unfinished."""
    return queue_unfinished()


def run_worker(workers: int = 1) -> None:
    """Run the consumer in the foreground until interrupted, after queuing unfinished runs."""
    load_handlers()
    queued = queue_unfinished()
    if queued:
        log.info("queued %d unfinished run(s)", len(queued))
    huey.create_consumer(workers=workers, worker_type="thread", flush_locks=True).run()
