"""Loan application endpoints: submit and decide, read, list, underwriter review."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlmodel import Session

from app.applications import replay, repository, service, trail
from app.applications.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationPublic,
    ApplicationSummary,
    DecisionPublic,
    MonitoringDisclosure,
    ReplayPublic,
    ReviewCreate,
    TrailPublic,
)
from app.applications.service import Submission
from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.auth.scope import own_applications_only
from app.config import Settings
from app.db import SessionDep, commit_in_worker
from app.models import Application, Decision, FourEyesApproval, NoticeObligation
from app.notices import repository as notices_repository
from app.notices.schemas import NoticePublic, notice_public
from app.openapi import errors_for
from app.params import Offset
from app.reviews.schemas import ApprovalPublic, approval_public
from app.subjects import service as subjects
from app.subjects.service import PersonalData
from risk_models.document import MONITORING_DISCLOSURE

router = APIRouter(prefix="/applications", tags=["applications"])
monitoring_router = APIRouter(prefix="/monitoring", tags=["applications"])
Submitter = Annotated[Principal, RequireAction(Action.APPLICATION_SUBMIT)]
Reader = Annotated[Principal, RequireAction(Action.APPLICATION_READ)]
Answerer = Annotated[Principal, RequireAction(Action.APPLICATION_ANSWER_COUNTEROFFER)]
Examiner = Annotated[Principal, RequireAction(Action.APPLICATION_REPLAY)]
TrailReader = Annotated[Principal, RequireAction(Action.APPLICATION_TRAIL)]
Reviewer = Annotated[Principal, RequireAction(Action.APPLICATION_REVIEW)]


def decision_public(row: Decision, personal: PersonalData) -> DecisionPublic:
    record = row.record
    return DecisionPublic(
        id=row.id, kind=row.kind, outcome=row.outcome, risk_tier=row.risk_tier, score=row.score,
        probability_of_default=row.probability_of_default,
        adverse_action=row.adverse_action, reasons=record.get("reasons", []),
        knockouts=record.get("knockouts", []), terms=record.get("terms"),
        counteroffer=record.get("counteroffer"), incomplete=record.get("incomplete", []),
        model_version=row.model_version, policy_version=row.policy_version,
        reason_catalog_version=row.reason_catalog_version, decided_by=row.decided_by,
        note=personal.notes.get(row.id),
        note_erased=personal.erased and row.note_sealed is not None, created_at=row.created_at)


def _application_public(application: Application, decisions: list[Decision],
                        notices: list[NoticeObligation],
                        personal: PersonalData) -> ApplicationPublic:
    """The answer, built from rows in hand: the automated decision's record, then reviews."""
    shown = [decision_public(d, personal) for d in decisions]
    automated, current = shown[0], shown[-1]
    record = decisions[0].record
    return ApplicationPublic(
        id=application.id, submitted_at=application.submitted_at,
        submitted_by=application.submitted_by, status=application.status,
        loan={"amount": str(application.amount), "currency": application.currency,
              "term_months": application.term_months, "purpose": application.purpose},
        outcome=current.outcome, adverse_action=current.adverse_action,
        risk_tier=automated.risk_tier, score=automated.score,
        probability_of_default=automated.probability_of_default, reasons=current.reasons,
        terms=current.terms, counteroffer=current.counteroffer,
        incomplete=automated.incomplete,
        duplicate_flags=application.duplicate_flags,
        affordability=record["affordability"], cleansing=application.cleansing,
        model_version=application.model_version, policy_version=application.policy_version,
        reason_catalog_version=decisions[0].reason_catalog_version,
        subject_id=personal.subject_id,
        personal_data="erased" if personal.erased else "held", decisions=shown,
        notices=[notice_public(n) for n in notices])


@router.post("", response_model=ApplicationPublic, status_code=201,
             responses={200: {"description": "A retry with the same Idempotency-Key: the "
                                             "first result, unchanged."}, **errors_for(409)})
async def submit_application(
    body: ApplicationCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    actor: Submitter,
    idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", min_length=1, max_length=128,
        description="Retrying with the same key returns the first result.")] = None,
) -> ApplicationPublic:
    """Submit an application with its KYC, bureau and CRM data and get the decision."""

    def decide_and_store() -> tuple[Submission, ApplicationPublic]:
        submission = service.submit(session, settings, actor, body, idempotency_key)
        application = submission.application
        if submission.replayed:
            decisions = repository.decisions_of(session, application.id)
            return submission, _application_public(
                application, decisions,
                notices_repository.of_application(session, application.id),
                subjects.personal_data_of(session, settings, application.id, decisions))
        assert submission.decision is not None  # a new submission always carries its decision
        assert submission.subject_id is not None
        # Just sealed under the subject's key: held, and a new decision has no note yet.
        return submission, _application_public(
            application, [submission.decision], submission.notices,
            subjects.PersonalData(submission.subject_id, False, {}))

    # One worker-thread hand-off for the whole unit of work: decide, store, answer, commit.
    submission, answer = await commit_in_worker(session, decide_and_store)
    response.headers["Location"] = f"/applications/{submission.application.id}"
    if submission.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("", response_model=ApplicationPage)
def list_applications(
    session: SessionDep,
    actor: Reader,
    outcome: Literal["approve", "refer", "decline"] | None = None,
    risk_tier: Annotated[Literal["low", "medium", "high"] | None, Query(alias="tier")] = None,
    status: Literal["decided", "referred", "reviewed"] | None = None,
    officer: Annotated[str | None, Query(description="Submitting actor id")] = None,
    submitted_from: Annotated[datetime | None, Query(alias="from")] = None,
    submitted_to: Annotated[datetime | None, Query(alias="to")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ApplicationPage:
    """List applications, newest first; loan officers see only their own."""
    officer = own_applications_only(actor) or officer
    rows, total = repository.search(
        session, submitted_by=officer, outcome=outcome, risk_tier=risk_tier, status=status,
        submitted_from=submitted_from, submitted_to=submitted_to, offset=offset, limit=limit)
    return ApplicationPage(
        items=[ApplicationSummary(id=a.id, submitted_at=a.submitted_at,
                                  submitted_by=a.submitted_by, status=a.status,
                                  outcome=a.outcome, risk_tier=a.risk_tier,
                                  score=a.score, amount=a.amount, currency=a.currency)
               for a in rows],
        total=total, offset=offset, limit=limit)


@router.get("/{application_id}", response_model=ApplicationPublic)
def get_application(application_id: str, session: SessionDep, settings: SettingsDep,
                    actor: Reader) -> ApplicationPublic:
    """One application with its decisions; each read is recorded in the ledger. Once the
    applicant's personal data is erased, ``personal_data`` says so and notes read as null."""
    application = service.get_for(session, actor, application_id)
    service.record_view(session, actor, application)
    decisions = repository.decisions_of(session, application.id)
    return _application_public(
        application, decisions, notices_repository.of_application(session, application.id),
        subjects.personal_data_of(session, settings, application.id, decisions))


@router.post("/{application_id}/review", response_model=DecisionPublic, status_code=201,
             responses={**errors_for(409), 202: {
                 "model": ApprovalPublic,
                 "description": "The decision needs a second underwriter: it waits as a "
                                "proposal (GET /approvals) and the outcome is unchanged."}})
def review_application(application_id: str, body: ReviewCreate, session: SessionDep,
                       settings: SettingsDep, actor: Reviewer) -> Any:
    """Decide a referred application, or override an automated decision, with a reason (the
    note is sealed under the applicant's key). A referral is decided through its case (an open
    one is claimed on the way); a decision under the policy's four-eyes rules answers 202 and
    waits for a second underwriter."""
    row = service.review(session, settings, actor, application_id, outcome=body.outcome,
                         note=body.note, reason_codes=body.reason_codes)
    if isinstance(row, FourEyesApproval):
        return JSONResponse(status_code=202,
                            content=jsonable_encoder(approval_public(row)))
    return decision_public(row, subjects.personal_data_of(session, settings, application_id,
                                                           [row]))


def _answer(session: Session, settings: Settings, actor: Principal, application_id: str, *,
            accept: bool) -> DecisionPublic:
    row = service.answer_counteroffer(session, actor, application_id, accept=accept)
    return decision_public(row, subjects.personal_data_of(session, settings, application_id,
                                                           [row]))


@router.post("/{application_id}/counteroffer/accept", response_model=DecisionPublic,
             responses=errors_for(409),
             status_code=201)
def accept_counteroffer(application_id: str, session: SessionDep, settings: SettingsDep,
                        actor: Answerer) -> DecisionPublic:
    """The applicant accepts the counteroffer: its terms become the offer."""
    return _answer(session, settings, actor, application_id, accept=True)


@router.post("/{application_id}/counteroffer/decline", response_model=DecisionPublic,
             responses=errors_for(409),
             status_code=201)
def decline_counteroffer(application_id: str, session: SessionDep, settings: SettingsDep,
                         actor: Answerer) -> DecisionPublic:
    """The applicant declines the counteroffer: the adverse action stands and its notice is
    owed."""
    return _answer(session, settings, actor, application_id, accept=False)


@router.get("/{application_id}/notices", response_model=list[NoticePublic])
def application_notices(application_id: str, session: SessionDep,
                        actor: Reader) -> list[NoticePublic]:
    """The notice obligations the application's adverse actions opened."""
    application = service.get_for(session, actor, application_id)
    return [notice_public(n) for n in notices_repository.of_application(session, application.id)]


@router.get("/{application_id}/replay", response_model=ReplayPublic, responses=errors_for(409))
def replay_application(application_id: str, session: SessionDep,
                       actor: Examiner) -> ReplayPublic:
    """Decide the stored application again with the versions stamped on its decision."""
    return ReplayPublic(**replay.replay(session, actor, application_id))


@monitoring_router.get("/disclosure", response_model=MonitoringDisclosure)
def monitoring_disclosure(settings: SettingsDep, actor: Reader) -> MonitoringDisclosure:
    """Whether voluntary monitoring data is collected, and the disclosure to show with it."""
    return MonitoringDisclosure(
        collection=settings.monitoring_collection,
        disclosure=MONITORING_DISCLOSURE if settings.monitoring_collection != "off" else None,
        fields=["sex", "marital_status", "nationality"])


@router.get("/{application_id}/trail", response_model=TrailPublic)
def application_trail(application_id: str, session: SessionDep, settings: SettingsDep,
                      actor: TrailReader) -> TrailPublic:
    """The application's whole trail in one answer: every ledger event about it, its notices
    and its reports, in order; its decisions and reviews with their makers named; its notices;
    its reports each verified against the ledger; and the proof that the events sit in the
    verified chain, with a checkpoint of that chain signed now. Each read is recorded."""
    return TrailPublic.model_validate(trail.trail(session, settings, actor, application_id))
