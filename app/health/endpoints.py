"""Liveness and readiness: public, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.db import READ_ONLY, get_engine
from app.migrations import current_revision, head_revision

# Public by design: probes carry no data and must work without credentials.
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str  # ok | unavailable
    database: str  # ok | unreachable
    migration: str | None = None
    migration_head: str | None = None
    detail: str | None = None


@router.get("/readyz", response_model=Readiness, responses={
    503: {"model": Readiness, "description": "Not ready: the database is unreachable or not at "
          "the newest migration"}})
def readyz() -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    head = head_revision()
    try:
        with get_engine().connect().execution_options(**{READ_ONLY: True}) as conn:
            conn.execute(text("SELECT 1"))
            current = current_revision(conn)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "database": "unreachable",
                             "detail": type(exc).__name__}, status_code=503)
    ready = current == head
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "database": "ok",
         "migration": current, "migration_head": head},
        status_code=200 if ready else 503)
