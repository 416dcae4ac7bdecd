"""Fairness audits: compliance officers run them; compliance officers and auditors read them."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.auth.deps import RequireAction
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.fairness import repository, service
from app.fairness.schemas import (
    FairnessAuditCreate,
    FairnessAuditPage,
    FairnessAuditPublic,
    FairnessAuditSummary,
)
from app.models import FairnessAudit
from app.openapi import errors_for
from app.params import Offset, RowId

router = APIRouter(prefix="/fairness", tags=["fairness"])
Runner = Annotated[Principal, RequireAction(Action.FAIRNESS_RUN)]
Reader = Annotated[Principal, RequireAction(Action.FAIRNESS_READ)]


def _summary(record: FairnessAudit) -> dict:
    data = record.model_dump(exclude={"result"})
    data["parameters"] = json.loads(record.parameters)
    return data


def _public(record: FairnessAudit) -> FairnessAuditPublic:
    return FairnessAuditPublic(**_summary(record), result=json.loads(record.result))


@router.post("/audits", response_model=FairnessAuditPublic, status_code=201,
             responses=errors_for(409))
def run_audit(body: FairnessAuditCreate, session: SessionDep,
              actor: Runner) -> FairnessAuditPublic:
    """Run a fairness audit now, store its result with its sha256 and record it in the ledger.

    A date range with no decided applications is refused with 422 ``no_decisions_in_range``.
    """
    return _public(service.run_audit(session, actor, body))


@router.get("/audits", response_model=FairnessAuditPage)
def list_audits(
    session: SessionDep,
    actor: Reader,
    source: Annotated[Literal["model", "decisions"] | None,
                      Query(description="Only audits of this source.")] = None,
    model_version: Annotated[str | None, Query(description="Only audits of this model.")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Audits per page.")] = 50,
) -> FairnessAuditPage:
    """Stored audits, newest first, without their full results."""
    records, total = repository.search(session, source=source, model_version=model_version,
                                       offset=offset, limit=limit)
    return FairnessAuditPage(items=[FairnessAuditSummary(**_summary(r)) for r in records],
                             total=total)


@router.get("/audits/{audit_id}", response_model=FairnessAuditPublic)
def get_audit(audit_id: RowId, session: SessionDep, actor: Reader) -> FairnessAuditPublic:
    """One stored audit with its full result."""
    return _public(service.get_audit(session, audit_id))
