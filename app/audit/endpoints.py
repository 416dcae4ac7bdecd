"""Ledger verification, signed checkpoints and event search."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import repository, service
from app.audit.schemas import (
    AuditEventPage,
    AuditEventPublic,
    CheckpointPublic,
    CheckpointVerificationPublic,
    LedgerVerificationPublic,
    PublicKeyPublic,
)
from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep, get_engine
from app.params import MAX_INT32

router = APIRouter(prefix="/audit", tags=["audit"])
LedgerReader = Annotated[Principal, RequireAction(Action.LEDGER_READ)]


@router.get("/verify", response_model=LedgerVerificationPublic)
def verify(
    session: SessionDep,
    settings: SettingsDep,
    actor: LedgerReader,
    deep: Annotated[bool, Query(description="Also compare every application, decision, "
                                "notice, report, model, policy and fairness audit with the "
                                "digest its latest event recorded.")] = False,
) -> LedgerVerificationPublic:
    """Recompute the hash chain and compare it with the checkpoints kept outside the database;
    ``deep`` also checks every tracked row. Reports the first break and names each finding.
    The verification, its outcome and who ran it are recorded (``ledger.verified``)."""
    result = service.verify_ledger(get_engine(), settings, deep_rows=deep)
    service.record_verification(session, actor, result)
    return LedgerVerificationPublic(**result)


@router.post("/verify", response_model=CheckpointVerificationPublic)
def verify_checkpoint(body: CheckpointPublic, session: SessionDep, settings: SettingsDep,
                      actor: LedgerReader) -> CheckpointVerificationPublic:
    """Verify the chain and confirm a saved signed checkpoint is a prefix of it."""
    return CheckpointVerificationPublic(
        **service.verify_against_checkpoint(session, settings, body.model_dump()))


@router.get("/checkpoint", response_model=CheckpointPublic)
def checkpoint(session: SessionDep, settings: SettingsDep,
               actor: LedgerReader) -> CheckpointPublic:
    """The chain head signed with the service's Ed25519 key; keep it outside the database."""
    return CheckpointPublic(**service.checkpoint(session, settings))


@router.get("/public-key", response_model=PublicKeyPublic)
def public_key(settings: SettingsDep, actor: LedgerReader) -> PublicKeyPublic:
    """The public key that verifies checkpoints."""
    return PublicKeyPublic(**service.public_key(settings))


@router.get("/events", response_model=AuditEventPage)
def list_events(
    session: SessionDep,
    actor: LedgerReader,
    entity_type: Annotated[str | None, Query(description="e.g. application")] = None,
    entity_id: Annotated[str | None, Query(description="Id of the entity")] = None,
    actor_id: Annotated[str | None, Query(description="User id or key:<key id>")] = None,
    action: Annotated[str | None, Query(description="e.g. decision.made")] = None,
    occurred_from: Annotated[datetime | None, Query(alias="from")] = None,
    occurred_to: Annotated[datetime | None, Query(alias="to")] = None,
    after_seq: Annotated[int | None, Query(ge=0, le=MAX_INT32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditEventPage:
    """Search the ledger by entity, actor, action and time range, oldest first."""
    events, total = repository.search_events(
        session, entity_type=entity_type, entity_id=entity_id, actor_id=actor_id, action=action,
        occurred_from=occurred_from, occurred_to=occurred_to, after_seq=after_seq, limit=limit)
    items = [AuditEventPublic(**{**e.model_dump(), "payload": json.loads(e.payload)})
             for e in events]
    next_after = items[-1].seq if len(items) == limit else None
    return AuditEventPage(items=items, total=total, next_after_seq=next_after)
