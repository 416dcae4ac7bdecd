"""Screening on demand (/screening/checks), the lists in force, rescreening runs, and the
disposition of a sanctions case (/cases/{id}/disposition)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, PastDate

from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.openapi import errors_for
from app.reviews.schemas import ApprovalPublic, approval_public
from app.screening import dispositions, service

router = APIRouter(tags=["screening"])
Checker = Annotated[Principal, RequireAction(Action.SCREENING_CHECK)]
Reader = Annotated[Principal, RequireAction(Action.SCREENING_READ)]
CaseWorker = Annotated[Principal, RequireAction(Action.CASE_WORK)]


class CheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=service.NAME_MAX_LENGTH, pattern=r"[^\W_]",
                      description="Full name, in any order (personal data: never logged, "
                                  "only its keyed digest is kept).")
    date_of_birth: PastDate | None = Field(None, description="Sharpens the match when given.")
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$",
                                description="Nationality, ISO 3166-1 alpha-2.")


class MatchPublic(BaseModel):
    entry_id: str
    list_name: str
    list_id: str
    name: str = Field(description="The entry's primary name as listed.")
    matched_name: str = Field(description="The listed name (primary or alias) that matched.")
    programs: list[str]
    score: float = Field(description="0..1; a potential match from 0.85.")
    features: dict[str, float] = Field(description="What drove the score: name similarity, "
                                                   "alias, date of birth, nationality.")
    disposition: str | None = Field(description="A remembered disposition for this person "
                                                "and entry: false_positive or true_match.")


class CheckPublic(BaseModel):
    screening_id: str
    status: Literal["clear", "potential_match", "confirmed_match"]
    matches: list[MatchPublic]


@router.post("/screening/checks", response_model=CheckPublic, status_code=201)
def check(body: CheckCreate, session: SessionDep, settings: SettingsDep,
          actor: Checker) -> Any:
    """Screen one person against the lists in force. The check is recorded by a digest of
    what was screened, never the name."""
    person = service.Person("check", body.name, body.date_of_birth, None, body.country)
    return service.check(session, settings, actor, person).answer()


class ListVersionPublic(BaseModel):
    list_id: str
    list_name: str
    sha256: str
    source_name: str
    loaded_at: datetime | None = Field(description="Null for the bundled sample.")
    entry_count: int
    individual_count: int
    problems: int = Field(description="Lines of the file that could not be read.")
    bundled: bool


@router.get("/screening/lists", response_model=list[ListVersionPublic])
def lists(session: SessionDep, actor: Reader) -> Any:
    """The list versions in force (loaded with `riskdesk screening load`)."""
    return [v.to_dict() for v in service.lists_in_force(session)]


class RescreenPublic(BaseModel):
    id: str
    list_id: str
    state: str = Field(description="queued, running, done or failed")
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    screened: int
    raised: int = Field(description="Sanctions cases it opened.")
    skipped: int = Field(description="Applications whose personal data was erased.")
    error: str | None


@router.get("/screening/rescreens", response_model=list[RescreenPublic])
def rescreens(session: SessionDep, actor: Reader,
              limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Any:
    """Rescreening runs, the latest first."""
    return [r.model_dump() for r in service.recent_rescreens(session, limit)]


class DispositionCreate(BaseModel):
    disposition: Literal["false_positive", "true_match"]
    entry_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=50,
        description="For a true match: the entries the person is. A false positive clears "
                    "every match of the case and names none.")
    note: str = Field(min_length=1, max_length=4000,
                      description="The reason (sealed on the case; the ledger keeps its "
                                  "digest).")


@router.post("/cases/{case_id}/disposition", response_model=ApprovalPublic, status_code=202,
             responses=errors_for(409), tags=["reviews"])
def dispose(case_id: str, body: DispositionCreate, session: SessionDep, settings: SettingsDep,
            actor: CaseWorker) -> ApprovalPublic:
    """Propose a disposition of a sanctions case. It waits for a second underwriter
    (POST /approvals/{id}/approve); until then nothing changes for the applicant."""
    approval = dispositions.propose(session, settings, actor, case_id,
                                    disposition=body.disposition, entry_ids=body.entry_ids,
                                    note=body.note)
    return approval_public(approval)
