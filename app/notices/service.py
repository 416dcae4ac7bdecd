"""Notice obligations: opened with every adverse action, then generated and delivered.

Nothing adverse exists without its obligation: :func:`open_for` runs in the transaction that
records the decision, so both commit or neither does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from app.audit.service import append_event
from app.auth.principal import Principal
from app.db import insert_row
from app.errors import Conflict, NotFound, Unprocessable
from app.models import Decision, NoticeObligation
from app.notices import repository
from compliance.reports.period import NoticeCoverage
from risk_models.decisions import AdverseAction
from risk_models.notices import (
    DELIVERY_CHANNELS,
    OPEN_STATUSES,
    NoticeKind,
    NoticeStatus,
    due_date,
    notice_kind,
    respond_by,
)


def open_for(session: Session, actor: Principal, decision: Decision,
             now: datetime) -> list[NoticeObligation]:
    """Open the notice obligation that ``decision``'s adverse action owes, if it takes one."""
    if decision.adverse_action is None:
        return []
    kind = notice_kind(AdverseAction(decision.adverse_action))
    values = {
        "id": uuid.uuid4().hex, "application_id": decision.application_id,
        "decision_id": decision.id, "kind": kind, "status": NoticeStatus.PENDING,
        "opened_at": now, "due_date": due_date(kind, now.date()),
        "missing": list(decision.record.get("incomplete", [])) if kind == NoticeKind.INCOMPLETE
        else []}
    obligation = insert_row(session, NoticeObligation, values)
    append_event(session, actor, "notice.opened", "notice", obligation.id, {
        "application_id": obligation.application_id, "decision_id": decision.id,
        "kind": str(kind), "due_date": obligation.due_date.isoformat()}, rows=(obligation,))
    return [obligation]


def get(session: Session, notice_id: str) -> NoticeObligation:
    obligation = session.get(NoticeObligation, notice_id)
    if obligation is None:
        raise NotFound(f"no notice {notice_id}", code="notice_not_found")
    return obligation


def mark_generated(session: Session, actor: Principal, obligation: NoticeObligation,
                   report_id: int, now: datetime) -> NoticeObligation:
    """Link the generated PDF; an incompleteness notice fixes its respond-by date now."""
    if obligation.status not in OPEN_STATUSES:
        raise Conflict(f"notice {obligation.id} is {obligation.status}; nothing to generate",
                       code="notice_closed")
    obligation.status = NoticeStatus.GENERATED
    obligation.report_id = report_id
    obligation.generated_at = now
    # The date given to the applicant is the one on the first notice: a copy does not move it.
    obligation.respond_by = obligation.respond_by or respond_by(NoticeKind(obligation.kind),
                                                                now.date())
    session.add(obligation)
    session.flush()
    append_event(session, actor, "notice.generated", "notice", obligation.id, {
        "application_id": obligation.application_id, "report_id": report_id},
        rows=(obligation,))
    return obligation


def mark_delivered(session: Session, actor: Principal, obligation: NoticeObligation, *,
                   channel: str, now: datetime) -> NoticeObligation:
    """Record that the generated notice reached the applicant: channel, time and who sent it."""
    if channel not in DELIVERY_CHANNELS:
        raise Unprocessable(f"channel must be one of {', '.join(DELIVERY_CHANNELS)}",
                            code="validation_error")
    if obligation.status != NoticeStatus.GENERATED:
        raise Conflict(f"notice {obligation.id} is {obligation.status}; generate it before "
                       "recording its delivery", code="notice_not_generated")
    obligation.status = NoticeStatus.DELIVERED
    obligation.delivered_at = now
    obligation.delivery_channel = channel
    obligation.delivered_by = actor.actor_id
    session.add(obligation)
    session.flush()
    append_event(session, actor, "notice.delivered", "notice", obligation.id, {
        "application_id": obligation.application_id, "channel": channel,
        "late": now.date() > obligation.due_date}, rows=(obligation,))
    return obligation


def withdraw(session: Session, actor: Principal, application_id: str, kind: NoticeKind,
             reason: str) -> None:
    """Close the open obligations of ``kind``: the action they were owed for did not stand."""
    for obligation in repository.of_application(session, application_id):
        if obligation.kind == kind and obligation.status in OPEN_STATUSES:
            obligation.status = NoticeStatus.WITHDRAWN
            obligation.closed_reason = reason
            session.add(obligation)
            session.flush()
            append_event(session, actor, "notice.withdrawn", "notice", obligation.id, {
                "application_id": application_id, "reason": reason}, rows=(obligation,))


def is_overdue(obligation: NoticeObligation, today: date) -> bool:
    return obligation.status in OPEN_STATUSES and obligation.due_date < today


@dataclass(frozen=True)
class Timeliness:
    """How the notices owed stand on a day, with the compliance report's definitions
    (:func:`compliance.reports.period.notice_coverage`)."""

    coverage: NoticeCoverage

    @property
    def due(self) -> int:
        """Notices whose due date has come: delivered (on time or late) or overdue."""
        c = self.coverage
        return c.delivered_on_time + c.delivered_late + c.overdue

    @property
    def on_time_share(self) -> float | None:
        """Delivered by the due date, of those due (the report's "on time, of those due")."""
        return self.coverage.delivered_on_time / self.due if self.due else None


def timeliness(session: Session, today: date) -> Timeliness:
    """Every notice obligation's standing on ``today``, from one aggregate query."""
    counts = repository.timeliness_counts(session, today)
    withdrawn = counts.get("withdrawn", 0)
    return Timeliness(NoticeCoverage(
        owed=sum(counts.values()) - withdrawn,
        delivered_on_time=counts.get("delivered_on_time", 0),
        delivered_late=counts.get("delivered_late", 0),
        not_yet_due=counts.get("not_yet_due", 0), overdue=counts.get("overdue", 0),
        withdrawn=withdrawn))
