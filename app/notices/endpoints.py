"""Notice obligations: what is owed to applicants, what is late, and recording delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.applications import service as applications_service
from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.auth.scope import own_applications_only
from app.db import SessionDep
from app.errors import Conflict
from app.notices import repository, service
from app.notices.schemas import DeliveryCreate, NoticePage, NoticePublic, notice_public
from app.openapi import errors_for
from app.params import Offset
from app.reports.schemas import ReportCreate, ReportKind
from app.reports.service import create_report
from risk_models.notices import OPEN_STATUSES

router = APIRouter(prefix="/notices", tags=["notices"])
Reader = Annotated[Principal, RequireAction(Action.NOTICE_READ)]
Sender = Annotated[Principal, RequireAction(Action.NOTICE_SEND)]


@router.get("", response_model=NoticePage)
def list_notices(
    session: SessionDep,
    actor: Reader,
    status: Literal["pending", "generated", "delivered", "withdrawn"] | None = None,
    kind: Literal["decline", "counteroffer", "incomplete", "limit_reduction"] | None = None,
    overdue: Annotated[bool, Query(description="Only open notices past their due date.")] = False,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> NoticePage:
    """Notice obligations, earliest due first; loan officers see those of their applications."""
    today = datetime.now(UTC).date()
    rows = repository.search(session, status=status, kind=kind,
                             overdue_on=today if overdue else None,
                             submitted_by=own_applications_only(actor),
                             offset=offset, limit=limit)
    return NoticePage(items=[notice_public(r, today) for r in rows], offset=offset, limit=limit)


@router.post("/{notice_id}/generate", response_model=NoticePublic, status_code=201,
             responses=errors_for(409))
def generate_notice(notice_id: str, session: SessionDep, settings: SettingsDep,
                    actor: Sender) -> NoticePublic:
    """Build the notice's PDF (stored as an adverse action report) and mark it generated."""
    obligation = service.get(session, notice_id)
    if obligation.status not in OPEN_STATUSES:
        raise Conflict(f"notice {notice_id} is {obligation.status}; nothing to generate",
                       code="notice_closed")
    create_report(session, settings, actor, ReportCreate(
        kind=ReportKind.ADVERSE_ACTION, application_id=obligation.application_id),
        notice_id=obligation.id)
    session.refresh(obligation)
    return notice_public(obligation)


@router.post("/{notice_id}/delivery", response_model=NoticePublic, responses=errors_for(409))
def record_delivery(notice_id: str, body: DeliveryCreate, session: SessionDep,
                    actor: Sender) -> NoticePublic:
    """Record that a generated notice was delivered: channel, time and who sent it."""
    obligation = service.get(session, notice_id)
    applications_service.get_for(session, actor, obligation.application_id)
    return notice_public(service.mark_delivered(session, actor, obligation, channel=body.channel,
                                                now=datetime.now(UTC)))
