"""The background job runs: what was asked, how far it got, what it found."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.auth.deps import RequireAction
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound
from app.models import JobRun
from app.monitoring import runs
from app.openapi import errors_for

router = APIRouter(prefix="/jobs", tags=["jobs"])
Reader = Annotated[Principal, RequireAction(Action.MONITORING_READ)]


class JobRunPublic(BaseModel):
    id: str = Field(description="Run id.")
    kind: str = Field(description="challenger_backfill, drift_check, backtest or "
                                  "notice_deadlines.")
    key: str = Field(description="The work it is (asking for the same key is the same run).")
    params: dict[str, Any] = Field(description="What it was asked to do.")
    state: str = Field(description="queued, running, done or failed.")
    requested_at: datetime = Field(description="When it was asked for (UTC).")
    requested_by: str = Field(description="Who asked (an actor id, or a system job).")
    started_at: datetime | None = Field(None, description="First started (UTC).")
    finished_at: datetime | None = Field(None, description="Done or failed (UTC).")
    attempts: int = Field(description="Times a worker took it up.")
    progress: int = Field(description="Items done so far (kind-specific).")
    result: dict[str, Any] | None = Field(None, description="What it found, once done.")
    error: str | None = Field(None, description="Why it last failed.")


def _public(run: JobRun) -> JobRunPublic:
    return JobRunPublic.model_validate(run, from_attributes=True)


@router.get("", response_model=list[JobRunPublic])
def list_runs(session: SessionDep, actor: Reader,
              kind: Annotated[str | None, Query(max_length=32,
                                                description="Only runs of this kind.")] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[JobRunPublic]:
    """The latest runs, newest first."""
    return [_public(r) for r in runs.recent(session, kind=kind, limit=limit)]


@router.get("/{run_id}", response_model=JobRunPublic, responses=errors_for(404))
def get_run(run_id: str, session: SessionDep, actor: Reader) -> JobRunPublic:
    """One run."""
    run = runs.get(session, run_id)
    if run is None:
        raise NotFound(f"no job run {run_id}", code="job_run_not_found")
    return _public(run)
