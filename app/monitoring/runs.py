"""Job runs: each background job's request, state and progress, in the service's database.

A run is asked for by its ``kind`` and a ``key`` saying which work it is (a drift check of one
model over one window, say): asking again for the same work returns the same run, so a job is
idempotent whoever asks and however often. The queue (huey, :mod:`app.jobs`) carries only the
run's id. The worker executes the run's handler, which saves its progress as it goes
(:func:`save_progress`), so a run cut off by a restart resumes from its cursor when it is queued
again: by the worker as it starts, and by its sweep every few minutes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.models import JobRun

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
UNFINISHED = (QUEUED, RUNNING, FAILED)
# A run that failed this many times waits for someone to look at it; the sweep leaves it.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class RunContext:
    """What a handler is given: the run's id, parameters and where it got to last time."""

    id: str
    params: dict[str, Any]
    cursor: str | None
    progress: int
    requested_by: str


Handler = Callable[[RunContext], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out runs of ``kind``."""
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function
    return register


def request(session: Session, actor: Principal, kind: str, key: str,
            params: dict[str, Any]) -> tuple[JobRun, bool]:
    """The run of ``kind`` and ``key``, created (queued) if there is none; and whether it is new.

    A failed run asked for again is queued again, from where it stopped. The run is queued on
    the job queue once this transaction commits (nothing is queued for a rolled-back request).
    """
    run = session.exec(select(JobRun).where(JobRun.kind == kind, JobRun.key == key)).first()
    created = run is None
    if run is None:
        run = JobRun(id=uuid.uuid4().hex, kind=kind, key=key[:200], params=params,
                     state=QUEUED, requested_by=actor.actor_id)
    elif run.state == FAILED:
        run.state, run.error, run.attempts = QUEUED, None, 0
    else:
        return run, False
    session.add(run)
    session.flush()
    queue_after_commit(session, run.id)
    return run, created


def queue_after_commit(session: Session, run_id: str) -> None:
    """Put ``run_id`` on the job queue when ``session`` commits."""
    from app.db import after_commit

    def queue() -> None:
        from app.jobs import queue_run

        queue_run(run_id)
    after_commit(session, queue)


def save_progress(run_id: str, cursor: str | None, progress: int) -> None:
    """Commit how far a run got (a handler calls this after each batch it has committed)."""
    from app.db import session_scope

    with session_scope() as session:
        run = session.get(JobRun, run_id)
        if run is not None:
            run.cursor, run.progress = cursor, progress
            session.add(run)


def execute(run_id: str) -> dict[str, Any]:
    """Carry out a run to its end: the worker's side. A run already done answers its result."""
    from app.db import session_scope

    with session_scope() as session:
        run = session.get(JobRun, run_id)
        if run is None:
            return {"run_id": run_id, "state": "unknown"}
        if run.state == DONE:
            return {"run_id": run_id, "state": DONE, **(run.result or {})}
        run.state, run.attempts = RUNNING, run.attempts + 1
        run.started_at = run.started_at or datetime.now(UTC)
        session.add(run)
        context = RunContext(run.id, dict(run.params), run.cursor, run.progress,
                             run.requested_by)
        kind = run.kind
    work = HANDLERS.get(kind)
    try:
        if work is None:
            raise LookupError(f"no handler for job kind {kind!r}")
        result = work(context)
    except Exception as exc:
        _finish(run_id, FAILED, None, f"{type(exc).__name__}: {exc}"[:500])
        raise
    _finish(run_id, DONE, result, None)
    return {"run_id": run_id, "state": DONE, **result}


def _finish(run_id: str, state: str, result: dict[str, Any] | None, error: str | None) -> None:
    from app.db import session_scope

    with session_scope() as session:
        run = session.get(JobRun, run_id)
        if run is None:
            return
        run.state, run.result, run.error = state, result, error
        run.finished_at = datetime.now(UTC)
        session.add(run)


def unfinished(session: Session) -> list[JobRun]:
    """Runs still to carry out: queued, cut off while running, or failed with attempts left."""
    rows = session.exec(select(JobRun).where(col(JobRun.state).in_(UNFINISHED))
                        .order_by(col(JobRun.requested_at))).all()
    return [r for r in rows if r.state != FAILED or r.attempts < MAX_ATTEMPTS]


def get(session: Session, run_id: str) -> JobRun | None:
    return session.get(JobRun, run_id)


def recent(session: Session, *, kind: str | None = None, limit: int = 50) -> list[JobRun]:
    statement = select(JobRun).order_by(col(JobRun.requested_at).desc()).limit(limit)
    if kind is not None:
        statement = statement.where(JobRun.kind == kind)
    return list(session.exec(statement).all())
