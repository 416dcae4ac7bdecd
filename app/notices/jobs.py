"""The daily notice deadline run: notices prepared before they fall due, late ones recorded.

An adverse action notice is owed within 30 days (Reg B §1002.9(a)); a pending one is generated
here once it is within ``PREPARE_DAYS`` of its due date, so the officer who delivers it finds it
ready. An undelivered notice past its due date is recorded on the ledger as overdue (once per
notice), so the lateness is on the record even if no one lists it.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from huey import crontab
from sqlmodel import Session, col, select

from app.audit.service import append_event
from app.auth.principal import Principal
from app.jobs import huey
from app.models import AuditEvent, NoticeObligation
from app.monitoring import runs
from risk_models.notices import NoticeStatus

log = logging.getLogger(__name__)
KIND = "notice_deadlines"
PREPARE_DAYS = 5
ACTOR = Principal.system("notices")


def request(session: Session, day: date) -> None:
    runs.request(session, ACTOR, KIND, day.isoformat(), {"day": day.isoformat()})


def _flagged(session: Session, obligation_id: str) -> bool:
    return session.exec(select(AuditEvent.seq).where(
        AuditEvent.action == "notice.overdue", AuditEvent.entity_id == obligation_id)
    ).first() is not None


def _pending_due_by(session: Session, day: date) -> list[str]:
    return list(session.exec(select(NoticeObligation.id).where(
        NoticeObligation.status == NoticeStatus.PENDING, NoticeObligation.due_date <= day)
        .order_by(col(NoticeObligation.due_date))).all())


def _overdue(session: Session, day: date) -> list[str]:
    open_statuses = [str(NoticeStatus.PENDING), str(NoticeStatus.GENERATED)]
    return list(session.exec(select(NoticeObligation.id).where(
        col(NoticeObligation.status).in_(open_statuses), NoticeObligation.due_date < day)
        .order_by(col(NoticeObligation.due_date))).all())


@runs.handler(KIND)
def notice_deadlines(context: runs.RunContext) -> dict[str, Any]:
    """Generate the pending notices due within ``PREPARE_DAYS``, record the overdue ones; one
    transaction per notice, so a run cut off resumes without doing anything twice."""
    from app.config import get_settings
    from app.db import session_scope
    from app.errors import RiskdeskError
    from app.reports.schemas import ReportCreate, ReportKind
    from app.reports.service import create_report

    settings = get_settings()
    day = date.fromisoformat(context.params["day"])
    generated, failed, flagged = 0, 0, 0
    with session_scope() as session:
        pending = _pending_due_by(session, day + timedelta(days=PREPARE_DAYS))
    for obligation_id in pending:
        try:
            with session_scope() as session:
                obligation = session.get(NoticeObligation, obligation_id)
                if obligation is None or obligation.status != NoticeStatus.PENDING:
                    continue
                create_report(session, settings, ACTOR, ReportCreate(
                    kind=ReportKind.ADVERSE_ACTION, application_id=obligation.application_id),
                    notice_id=obligation.id)
                generated += 1
        except RiskdeskError as exc:  # its data erased, say: listed as failed, not retried
            failed += 1
            log.warning("notice %s not generated: %s (%s)", obligation_id, exc.message,
                        exc.code)
    with session_scope() as session:
        overdue = _overdue(session, day)
    for obligation_id in overdue:
        with session_scope() as session:
            obligation = session.get(NoticeObligation, obligation_id)
            if obligation is None or _flagged(session, obligation_id):
                continue
            append_event(session, ACTOR, "notice.overdue", "notice", obligation_id, {
                "application_id": obligation.application_id, "kind": obligation.kind,
                "due_date": obligation.due_date.isoformat(),
                "days_late": (day - obligation.due_date).days})
            flagged += 1
    return {"generated": generated, "failed": failed, "flagged_overdue": flagged}


@huey.periodic_task(crontab(hour=6, minute=0))
def daily_notice_deadlines() -> None:
    """Every morning: the day's notice deadline run (once per day, however often asked)."""
    from app.db import session_scope

    with session_scope() as session:
        request(session, datetime.now(UTC).date())
