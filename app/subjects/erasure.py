"""Erasing a data subject's personal data by destroying their key (crypto-shredding): on request
of one admin and approval of another; never under a legal hold or while a notice is still owed;
inside the Reg B retention period only when both say they know it is.

What stays after shredding: the rows and their sealed bytes (which no key opens any more), the
application's non-identifying inputs and decisions, the monitoring data, the keyed digests, and
the ledger. So the ledger still verifies, decisions replay and fairness figures still compute.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from app.audit.service import append_event
from app.auth.four_eyes import require_person, require_second_person
from app.auth.principal import Principal
from app.errors import Conflict, NotFound
from app.models import DataSubject, ErasureRequest
from app.subjects import repository
from compliance.ledger import sha256_hex
from compliance.retention import retained_until

ERASURE = "erasure"
RETENTION = "retention"


def get_subject(session: Session, subject_id: str, *, lock: bool = False) -> DataSubject:
    subject = (repository.for_update(session, subject_id) if lock
               else session.get(DataSubject, subject_id))
    if subject is None:
        raise NotFound(f"no data subject {subject_id}", code="subject_not_found")
    return subject


def _require_key(subject: DataSubject) -> None:
    if subject.wrapped_key is None:
        raise Conflict(f"the personal data of subject {subject.id} is already erased "
                       f"({subject.shred_cause}, {subject.shredded_at:%Y-%m-%d})"
                       if subject.shredded_at else f"subject {subject.id} has no key",
                       code="already_erased")


def retention_end(session: Session, subject_id: str) -> date | None:
    """The first day the subject's applications may be destroyed under Reg B §1002.12(b)."""
    last = repository.last_actions(session, [subject_id]).get(subject_id)
    return None if last is None else retained_until(last.date())


@dataclass(frozen=True)
class ErasureOutcome:
    request: ErasureRequest
    executed: bool


def _check_erasable(session: Session, subject: DataSubject, acknowledge_retention: bool,
                    today: date) -> bool:
    """Refuse what blocks erasure; whether it falls inside the retention period."""
    _require_key(subject)
    if subject.legal_hold_since is not None:
        raise Conflict(f"subject {subject.id} is under a legal hold since "
                       f"{subject.legal_hold_since:%Y-%m-%d}; release it first",
                       code="legal_hold")
    if repository.with_notices_owed(session, [subject.id]):
        raise Conflict(f"a notice is still owed to subject {subject.id} (Reg B §1002.9); "
                       "deliver it before erasing", code="notice_still_owed")
    until = retention_end(session, subject.id)
    within = until is not None and today < until
    if within and not acknowledge_retention:
        raise Conflict(
            f"subject {subject.id}'s applications are kept until {until} (Reg B §1002.12(b), "
            "25 months after the last action); erasing now leaves the lender unable to show "
            "the applicant's identity to an examiner. Send acknowledge_retention: true to erase "
            "anyway", code="within_retention", details={"retained_until": str(until)})
    return within


def erase(session: Session, actor: Principal, subject_id: str, *, reason: str,
          acknowledge_retention: bool = False) -> ErasureOutcome:
    """Request erasure of a subject, or, when another admin has requested it, approve and carry
    it out. The requester approving their own request is refused (four eyes)."""
    require_person(actor, ERASURE)
    subject = get_subject(session, subject_id, lock=True)
    now = datetime.now(UTC)
    within = _check_erasable(session, subject, acknowledge_retention, now.date())
    pending = repository.pending_erasure(session, subject.id)
    if pending is None:
        request = ErasureRequest(id=uuid.uuid4().hex, subject_id=subject.id, status="pending",
                                 requested_at=now, requested_by=actor.actor_id, reason=reason,
                                 within_retention_acknowledged=within)
        session.add(request)
        session.flush()
        append_event(session, actor, "subject.erasure_requested", "data_subject", subject.id, {
            "request_id": request.id, "reason_sha256": sha256_hex(reason),
            "within_retention": within})
        return ErasureOutcome(request, executed=False)
    require_second_person(pending.requested_by, actor, ERASURE)
    pending.status, pending.approved_at = "executed", now
    pending.approved_by, pending.approval_reason = actor.actor_id, reason
    session.add(pending)
    append_event(session, actor, "subject.erasure_approved", "data_subject", subject.id, {
        "request_id": pending.id, "requested_by": pending.requested_by,
        "reason_sha256": sha256_hex(reason), "within_retention": within})
    shred(session, actor, subject, cause=ERASURE, now=now,
          details={"request_id": pending.id})
    return ErasureOutcome(pending, executed=True)


def shred(session: Session, actor: Principal, subject: DataSubject, *, cause: str,
          now: datetime, details: dict[str, Any]) -> None:
    """Destroy the subject's wrapped data key: everything sealed under it stays unreadable."""
    application_ids = repository.application_ids(session, subject.id)
    if session.get_bind().dialect.name == "sqlite":
        # Overwrite the freed bytes of the old key in the database file rather than leave them
        # in the page until it is reused (the old page leaves the WAL at its next checkpoint).
        session.connection().exec_driver_sql("PRAGMA secure_delete = ON")
    subject.wrapped_key = None
    subject.master_key_id = None
    subject.lookup_digest = None
    subject.shredded_at = now
    subject.shred_cause = cause
    session.add(subject)
    session.flush()
    append_event(session, actor, "subject.shredded", "data_subject", subject.id, {
        "cause": cause, "application_ids": application_ids, **details})


# --- Legal holds --------------------------------------------------------------------------------


def set_legal_hold(session: Session, actor: Principal, subject_id: str,
                   reason: str) -> DataSubject:
    """Hold a subject's data: neither erasure nor retention destroys it until released."""
    subject = get_subject(session, subject_id, lock=True)
    _require_key(subject)
    if subject.legal_hold_since is not None:
        raise Conflict(f"subject {subject.id} is under a legal hold already, since "
                       f"{subject.legal_hold_since:%Y-%m-%d}", code="legal_hold_already_set")
    subject.legal_hold_since = datetime.now(UTC)
    subject.legal_hold_by = actor.actor_id
    subject.legal_hold_reason = reason
    session.add(subject)
    session.flush()
    append_event(session, actor, "subject.legal_hold_set", "data_subject", subject.id,
                 {"reason_sha256": sha256_hex(reason)})
    return subject


def release_legal_hold(session: Session, actor: Principal, subject_id: str,
                       reason: str) -> DataSubject:
    subject = get_subject(session, subject_id, lock=True)
    if subject.legal_hold_since is None:
        raise Conflict(f"subject {subject.id} is not under a legal hold", code="no_legal_hold")
    since = subject.legal_hold_since
    subject.legal_hold_since = subject.legal_hold_by = subject.legal_hold_reason = None
    session.add(subject)
    session.flush()
    append_event(session, actor, "subject.legal_hold_released", "data_subject", subject.id,
                 {"reason_sha256": sha256_hex(reason), "held_since": since.isoformat()})
    return subject
