"""Request and response bodies of the review queue and of four-eyes approvals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.models import CaseNote, FourEyesApproval, ReviewCase
from app.reviews.states import OPEN_STATES

SHA256 = r"^[0-9a-f]{64}$"


class CasePublic(BaseModel):
    id: str
    application_id: str
    kind: str = Field(description="referral or sanctions_match")
    state: str = Field(description="open, assigned, escalated, pending_approval or decided")
    priority: int = Field(description="1 is the most urgent")
    opened_at: datetime
    due_at: datetime = Field(description="From the policy's service level for this kind.")
    overdue: bool
    age_hours: float = Field(description="Hours since it was opened (to its decision, if "
                                         "decided).")
    assignee_id: str | None
    assigned_at: datetime | None
    decided_at: datetime | None
    decision_id: str | None
    detail: dict[str, Any] = Field(description="What opened it: reason codes, or the list "
                                               "entries matched; never personal data.")


def case_public(case: ReviewCase, now: datetime) -> CasePublic:
    end = case.decided_at or now
    return CasePublic(
        id=case.id, application_id=case.application_id, kind=case.kind, state=case.state,
        priority=case.priority, opened_at=case.opened_at, due_at=case.due_at,
        overdue=case.state in OPEN_STATES and case.due_at < now,
        age_hours=round((end - case.opened_at).total_seconds() / 3600, 2),
        assignee_id=case.assignee_id, assigned_at=case.assigned_at, decided_at=case.decided_at,
        decision_id=case.decision_id, detail=case.detail)


class CasePage(BaseModel):
    items: list[CasePublic]
    total: int
    offset: int
    limit: int


class Attachment(BaseModel):
    sha256: str = Field(pattern=SHA256, description="SHA-256 of the document's bytes.")
    media_type: str = Field(max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")
    size: int = Field(ge=0, le=2**40)


class NoteCreate(BaseModel):
    note: str = Field(min_length=1, max_length=4000,
                      description="Sealed under the applicant's key; the ledger keeps its digest.")
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)


class EscalateCreate(BaseModel):
    note: str = Field(min_length=1, max_length=4000, description="Why it goes to a lead.")


class ReassignCreate(BaseModel):
    assignee_id: str = Field(min_length=1, max_length=64, pattern=r"^\d+$",
                             description="User id of an active underwriter or lead.")


class NotePublic(BaseModel):
    id: str
    author_id: str
    created_at: datetime
    note: str | None = Field(description="Null once the applicant's personal data is erased.")
    attachments: list[Attachment]


class ListedEntry(BaseModel):
    """A match on a sanctions case, with the entry as its list version holds it (public list
    data; the applicant's own name is not repeated here)."""

    party: str = Field(description="applicant, co_applicant or guarantor")
    screening_id: str
    entry_id: str
    list_name: str
    list_id: str
    score: float
    features: dict[str, float]
    disposition: str | None = Field(description="false_positive or true_match once settled.")
    entry: dict[str, Any] = Field(description="Name, aliases, dates of birth, nationalities "
                                              "and programmes, as listed.")


class CaseDetail(CasePublic):
    notes: list[NotePublic]
    matches: list[ListedEntry] = Field(default_factory=list,
                                       description="A sanctions case's matches.")


class ApprovalPublic(BaseModel):
    id: str
    application_id: str
    case_id: str | None
    state: str = Field(description="pending, approved, rejected or withdrawn")
    rules: list[str] = Field(description="Why a second underwriter is needed.")
    kind: str = Field(description="review, override or sanctions_disposition")
    outcome: str = Field(description="The outcome proposed (a disposition's: false_positive "
                                     "or true_match).")
    terms: dict[str, Any] | None = Field(description="The terms an approval would carry.")
    reason_codes: list[str]
    entry_ids: list[str] = Field(default_factory=list,
                                 description="A true match's list entries.")
    maker_id: str
    made_at: datetime
    checker_id: str | None
    checked_at: datetime | None


def approval_public(approval: FourEyesApproval) -> ApprovalPublic:
    proposal = approval.proposal
    record = proposal.get("record") or {"outcome": proposal.get("disposition")}
    return ApprovalPublic(
        id=approval.id, application_id=approval.application_id, case_id=approval.case_id,
        state=approval.state, rules=list(approval.rules), kind=proposal["kind"],
        outcome=record["outcome"], terms=record.get("terms"),
        reason_codes=[r["code"] for r in record.get("reasons", [])],
        entry_ids=list(proposal.get("entry_ids", [])),
        maker_id=approval.maker_id, made_at=approval.made_at, checker_id=approval.checker_id,
        checked_at=approval.checked_at)


class ApprovalReject(BaseModel):
    note: str = Field(min_length=1, max_length=4000, description="Why it is sent back.")


class AgeBand(BaseModel):
    band: str
    cases: int


class AgeingPublic(BaseModel):
    as_of: datetime
    open_total: int
    open_by_age_band: list[AgeBand]
    overdue: int
    decided: int = Field(description="Cases decided in the window.")
    median_hours_to_decision: float | None


def note_public(row: CaseNote, text: str | None) -> NotePublic:
    return NotePublic(id=row.id, author_id=row.author_id, created_at=row.created_at, note=text,
                      attachments=[Attachment(**a) for a in row.attachments])
