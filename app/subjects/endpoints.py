"""Data subjects: their state, finding them, erasure (two admins), legal holds; the retention
run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from sqlmodel import Session

from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.models import DataSubject, ErasureRequest
from app.subjects import erasure, repository, retention
from app.subjects import service as subjects
from app.subjects.schemas import (
    ErasureCreate,
    ErasurePublic,
    ErasureRequestPublic,
    LegalHoldChange,
    LegalHoldPublic,
    RetentionRunCreate,
    RetentionRunPublic,
    SubjectMatch,
    SubjectPublic,
    SubjectSearch,
)

router = APIRouter(prefix="/subjects", tags=["data subjects"])
retention_router = APIRouter(prefix="/retention", tags=["data subjects"])
Reader = Annotated[Principal, RequireAction(Action.SUBJECT_READ)]
Finder = Annotated[Principal, RequireAction(Action.SUBJECT_FIND)]
Eraser = Annotated[Principal, RequireAction(Action.SUBJECT_ERASE)]
Holder = Annotated[Principal, RequireAction(Action.SUBJECT_LEGAL_HOLD)]
Keeper = Annotated[Principal, RequireAction(Action.RETENTION_RUN)]


def _request_public(request: ErasureRequest) -> ErasureRequestPublic:
    return ErasureRequestPublic.model_validate(request, from_attributes=True)


def _subject_public(session: Session, subject: DataSubject) -> SubjectPublic:
    hold = None
    if subject.legal_hold_since is not None:
        hold = LegalHoldPublic(since=subject.legal_hold_since, by=subject.legal_hold_by or "",
                               reason=subject.legal_hold_reason or "")
    pending = repository.pending_erasure(session, subject.id)
    return SubjectPublic(
        id=subject.id, created_at=subject.created_at,
        personal_data="held" if subject.wrapped_key is not None else "erased",
        shredded_at=subject.shredded_at, shred_cause=subject.shred_cause,
        master_key_id=subject.master_key_id,
        application_ids=repository.application_ids(session, subject.id),
        retained_until=erasure.retention_end(session, subject.id), legal_hold=hold,
        pending_erasure=None if pending is None else _request_public(pending))


@router.post("/search", response_model=list[SubjectMatch])
def search_subjects(body: SubjectSearch, session: SessionDep, settings: SettingsDep,
                    actor: Finder) -> list[SubjectMatch]:
    """Find the data subjects of a person (to answer an erasure request or set a legal hold) by
    national id, or by name and date of birth; the search is ledgered (not what was searched)."""
    found = subjects.find(session, settings, actor, national_id=body.national_id,
                          full_name=body.full_name, date_of_birth=body.date_of_birth)
    return [SubjectMatch(subject_id=k, application_ids=v) for k, v in sorted(found.items())]


@router.get("/{subject_id}", response_model=SubjectPublic)
def get_subject(subject_id: str, session: SessionDep, actor: Reader) -> SubjectPublic:
    """A subject's state: whether their personal data is held, holds, pending erasure,
    retention; no personal data."""
    return _subject_public(session, erasure.get_subject(session, subject_id))


@router.delete("/{subject_id}", response_model=ErasurePublic, status_code=200,
               responses={202: {"model": ErasurePublic,
                                "description": "Erasure requested; a different admin's DELETE "
                                               "approves and carries it out."}})
def erase_subject(subject_id: str, body: ErasureCreate, response: Response, session: SessionDep,
                  actor: Eraser) -> ErasurePublic:
    """Erase a subject's personal data by destroying their key, in two steps by two admins.

    The first admin's call requests it (202); a different admin's call approves and carries it
    out (200). The requester's own second call is 403 ``four_eyes_same_person``. Refused with
    409 under a legal hold (``legal_hold``), while a notice is still owed
    (``notice_still_owed``), inside the Reg B retention period without
    ``acknowledge_retention`` (``within_retention``), or once erased (``already_erased``).
    """
    outcome = erasure.erase(session, actor, subject_id, reason=body.reason,
                            acknowledge_retention=body.acknowledge_retention)
    if not outcome.executed:
        response.status_code = 202
    return ErasurePublic(status="executed" if outcome.executed else "pending",
                         request=_request_public(outcome.request),
                         subject=_subject_public(session, erasure.get_subject(session,
                                                                              subject_id)))


@router.put("/{subject_id}/legal-hold", response_model=SubjectPublic)
def set_legal_hold(subject_id: str, body: LegalHoldChange, session: SessionDep,
                   actor: Holder) -> SubjectPublic:
    """Hold a subject's data: no erasure, and no retention run, destroys it until released."""
    return _subject_public(session, erasure.set_legal_hold(session, actor, subject_id,
                                                           body.reason))


@router.delete("/{subject_id}/legal-hold", response_model=SubjectPublic)
def release_legal_hold(subject_id: str, body: LegalHoldChange, session: SessionDep,
                       actor: Holder) -> SubjectPublic:
    """Release a legal hold, with the reason."""
    return _subject_public(session, erasure.release_legal_hold(session, actor, subject_id,
                                                               body.reason))


@retention_router.post("/run", response_model=RetentionRunPublic)
def run_retention(body: RetentionRunCreate, session: SessionDep, settings: SettingsDep,
                  actor: Keeper) -> RetentionRunPublic:
    """Shred the subjects whose every application is past the Reg B retention period (25 months
    after the last action), except those under a legal hold or still owed a notice. A dry run
    changes nothing."""
    result = retention.run(session, settings, actor, as_of=body.as_of, dry_run=body.dry_run)
    return RetentionRunPublic(
        as_of=result.as_of, dry_run=result.dry_run, retention_months=result.retention_months,
        considered=result.considered, expired=result.expired, held=result.held,
        notice_owed=result.notice_owed, ledger_retention_months=result.ledger_retention_months,
        ledger_events_past_retention=result.ledger_events_past_retention)
