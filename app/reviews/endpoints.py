"""The review queue (/cases) and four-eyes approvals (/approvals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.applications import service as applications
from app.applications.endpoints import decision_public
from app.applications.schemas import DecisionPublic
from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import RiskdeskError, error_body
from app.models import ReviewCase
from app.openapi import errors_for
from app.params import Offset
from app.reviews import service
from app.reviews.schemas import (
    AgeBand,
    AgeingPublic,
    ApprovalPublic,
    ApprovalReject,
    CaseDetail,
    CasePage,
    CasePublic,
    EscalateCreate,
    ListedEntry,
    NoteCreate,
    NotePublic,
    ReassignCreate,
    approval_public,
    case_public,
    note_public,
)
from app.reviews.states import CaseKind
from app.screening import dispositions
from app.screening import service as screening
from app.subjects import service as subjects

router = APIRouter(tags=["reviews"])
CaseReader = Annotated[Principal, RequireAction(Action.CASE_READ)]
CaseWorker = Annotated[Principal, RequireAction(Action.CASE_WORK)]
CaseAssigner = Annotated[Principal, RequireAction(Action.CASE_ASSIGN)]
ApprovalReader = Annotated[Principal, RequireAction(Action.APPROVAL_READ)]
Checker = Annotated[Principal, RequireAction(Action.APPROVAL_DECIDE)]
CaseStateParam = Literal["open", "assigned", "escalated", "pending_approval", "decided"]


@router.get("/cases", response_model=CasePage)
def list_cases(
    session: SessionDep,
    actor: CaseReader,
    state: CaseStateParam | None = None,
    assignee: Annotated[str | None, Query(max_length=64, description="A user id, or `me`.")] = None,
    kind: Literal["referral", "sanctions_match"] | None = None,
    overdue: Annotated[bool | None, Query(description="Only cases past (true) or within "
                                                      "(false) their due time.")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CasePage:
    """Cases, the most urgent first (priority, then the longest waiting)."""
    now = datetime.now(UTC)
    rows, total = service.list_cases(
        session, state=state, assignee=actor.actor_id if assignee == "me" else assignee,
        kind=kind, overdue=overdue, now=now, limit=limit, offset=offset)
    return CasePage(items=[case_public(c, now) for c in rows], total=total, offset=offset,
                    limit=limit)


@router.get("/cases/ageing", response_model=AgeingPublic)
def case_ageing(
    session: SessionDep,
    actor: CaseReader,
    days: Annotated[int, Query(ge=1, le=3660, description="Window for the time to "
                                                          "decision.")] = 30,
) -> AgeingPublic:
    """Open cases by age band, overdue cases, and the median time to decision over the window."""
    now = datetime.now(UTC)
    figures = service.ageing(session, now, since=now - timedelta(days=days))
    return AgeingPublic(as_of=figures.as_of, open_total=figures.open_total,
                        open_by_age_band=[AgeBand(band=b, cases=n)
                                          for b, n in figures.open_by_age_band],
                        overdue=figures.overdue, decided=figures.decided,
                        median_hours_to_decision=figures.median_hours_to_decision)


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: str, session: SessionDep, settings: SettingsDep,
             actor: CaseReader) -> CaseDetail:
    """A case with its notes (opened under the applicant's key; reading them is recorded)."""
    case = service.get(session, case_id)
    notes = service.notes_of(session, case_id)
    if notes:
        service.record_notes_read(session, actor, case)
    texts = [subjects.open_case_note(session, settings, case.application_id, n.id,
                                     n.note_sealed) for n in notes]
    return CaseDetail(**case_public(case, datetime.now(UTC)).model_dump(),
                      notes=[note_public(n, t) for n, t in zip(notes, texts, strict=True)],
                      matches=_listed_matches(session, case))


def _listed_matches(session: Session, case: ReviewCase) -> list[ListedEntry]:
    """A sanctions case's matches with their entries as listed, and their dispositions."""
    if case.kind != CaseKind.SANCTIONS_MATCH:
        return []
    settled = {(d.subject_digest, d.entry_id): d.disposition
               for d in dispositions.dispositions_of(session, case.application_id)
               if d.case_id == case.id}
    return [ListedEntry(party=s.party, screening_id=s.id, entry_id=m["entry_id"],
                        list_name=m["list_name"], list_id=m["list_id"], score=m["score"],
                        features=m["features"],
                        disposition=m.get("disposition")
                        or settled.get((s.subject_digest, m["entry_id"])),
                        entry=screening.entry(session, m["list_id"], m["entry_id"]))
            for s in dispositions.case_screenings(session, case) for m in s.matches]


@router.post("/cases/{case_id}/claim", response_model=CasePublic, responses=errors_for(409))
def claim_case(case_id: str, session: SessionDep, actor: CaseWorker) -> CasePublic:
    """Take an open case."""
    return case_public(service.claim(session, actor, case_id), datetime.now(UTC))


@router.post("/cases/{case_id}/release", response_model=CasePublic, responses=errors_for(409))
def release_case(case_id: str, session: SessionDep, actor: CaseWorker) -> CasePublic:
    """Give a case back to the queue."""
    return case_public(service.release(session, actor, case_id), datetime.now(UTC))


@router.post("/cases/{case_id}/escalate", response_model=CasePublic, responses=errors_for(409))
def escalate_case(case_id: str, body: EscalateCreate, session: SessionDep,
                  settings: SettingsDep, actor: CaseWorker) -> CasePublic:
    """Hand a case up to a lead, with a note saying why."""
    case = service.escalate(session, settings, actor, case_id, body.note)
    return case_public(case, datetime.now(UTC))


@router.post("/cases/{case_id}/assign", response_model=CasePublic, responses=errors_for(409))
def assign_case(case_id: str, body: ReassignCreate, session: SessionDep,
                actor: CaseAssigner) -> CasePublic:
    """A lead (or an admin) gives a case to an underwriter."""
    case = service.reassign(session, actor, case_id, body.assignee_id)
    return case_public(case, datetime.now(UTC))


@router.post("/cases/{case_id}/notes", response_model=NotePublic, status_code=201)
def add_case_note(case_id: str, body: NoteCreate, session: SessionDep, settings: SettingsDep,
                  actor: CaseWorker) -> NotePublic:
    """A note on a case, with the digests of the documents it refers to."""
    case = service.get(session, case_id)
    row = service.add_note(session, settings, actor, case, body.note,
                           [a.model_dump() for a in body.attachments])
    return note_public(row, body.note)


@router.get("/approvals", response_model=list[ApprovalPublic])
def list_approvals(
    session: SessionDep,
    actor: ApprovalReader,
    state: Literal["pending", "approved", "rejected", "withdrawn"] | None = "pending",
    mine_to_check: Annotated[bool, Query(description="Only those this user may check (made "
                                                     "by someone else).")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ApprovalPublic]:
    """Decisions waiting for (or settled by) a second underwriter, oldest first."""
    rows = service.list_approvals(session, state=state, limit=limit,
                                  not_made_by=actor.actor_id if mine_to_check else None)
    return [approval_public(a) for a in rows]


class DispositionPublic(BaseModel):
    """An approved disposition of a sanctions case."""

    approval: ApprovalPublic
    case_id: str
    application_id: str
    disposition: str = Field(description="false_positive or true_match")
    dispositions: list[dict[str, str]] = Field(
        description="What is remembered: each entry, its list and version.")
    decision: DecisionPublic | None = Field(
        description="The decline a true match wrote on an application not yet decided.")


@router.post("/approvals/{approval_id}/approve",
             response_model=DecisionPublic | DispositionPublic, status_code=201,
             responses=errors_for(409))
def approve(approval_id: str, session: SessionDep, settings: SettingsDep,
            actor: Checker) -> Any:
    """Approve a proposed decision (it takes effect now: the decision is the answer) or a
    sanctions disposition (recorded now). The maker can never be the checker."""
    approval = service.get_approval(session, approval_id)
    if dispositions.is_disposition(approval):
        done = dispositions.approve(session, settings, actor, approval)
        decision = (decision_public(done.decision, subjects.personal_data_of(
            session, settings, done.decision.application_id, [done.decision]))
            if done.decision is not None else None)
        return DispositionPublic(
            approval=approval_public(done.approval), case_id=done.case.id,
            application_id=done.approval.application_id,
            disposition=done.approval.proposal["disposition"],
            dispositions=[{"id": d.id, "entry_id": d.entry_id, "list_name": d.list_name,
                           "list_id": d.list_id} for d in done.dispositions],
            decision=decision)
    row = applications.approve_proposal(session, actor, approval_id)
    if isinstance(row, RiskdeskError):
        return JSONResponse(error_body(row.code, row.message, row.details),
                            status_code=row.status_code)
    return decision_public(row, subjects.personal_data_of(session, settings, row.application_id,
                                                          [row]))


@router.post("/approvals/{approval_id}/reject", response_model=ApprovalPublic,
             responses=errors_for(409))
def reject(approval_id: str, body: ApprovalReject, session: SessionDep, settings: SettingsDep,
           actor: Checker) -> ApprovalPublic:
    """Send a proposed decision back to its maker, with the reason; nothing changes for the
    applicant."""
    return approval_public(service.reject_proposal(session, settings, actor, approval_id,
                                                   body.note))
