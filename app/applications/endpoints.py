"""Loan application endpoints: submit and decide, read, list, underwriter review."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from app.applications import repository, service
from app.applications.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationPublic,
    ApplicationSummary,
    DecisionPublic,
    ReviewCreate,
)
from app.auth.deps import RequireRoles, SettingsDep
from app.auth.principal import Principal
from app.auth.roles import Role
from app.db import SessionDep
from app.models import Application, Decision

router = APIRouter(prefix="/applications", tags=["applications"])
Submitter = Annotated[Principal, RequireRoles(Role.LOAN_OFFICER, Role.ADMIN)]
Reader = Annotated[Principal, RequireRoles(Role.LOAN_OFFICER, Role.UNDERWRITER,
                                           Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.ADMIN)]
Reviewer = Annotated[Principal, RequireRoles(Role.UNDERWRITER, Role.ADMIN)]


def _decision_public(row: Decision) -> DecisionPublic:
    return DecisionPublic(
        id=row.id, kind=row.kind, outcome=row.outcome, risk_tier=row.risk_tier, score=row.score,
        probability_of_default=row.probability_of_default, reasons=json.loads(row.reasons),
        knockouts=json.loads(row.knockouts),
        terms=json.loads(row.terms) if row.terms else None,
        counteroffer=json.loads(row.counteroffer) if row.counteroffer else None,
        model_version=row.model_version, policy_version=row.policy_version,
        decided_by=row.decided_by, note=row.note, created_at=row.created_at)


def _application_public(session: SessionDep, application: Application) -> ApplicationPublic:
    decisions = [_decision_public(d) for d in repository.decisions_of(session, application.id)]
    automated, current = decisions[0], decisions[-1]
    derivation = json.loads(application.derivation)
    return ApplicationPublic(
        id=application.id, submitted_at=application.submitted_at,
        submitted_by=application.submitted_by, status=application.status,
        loan={"amount": str(application.amount), "currency": application.currency,
              "term_months": application.term_months, "purpose": application.purpose},
        outcome=current.outcome, risk_tier=automated.risk_tier, score=automated.score,
        probability_of_default=automated.probability_of_default, reasons=current.reasons,
        terms=current.terms, counteroffer=current.counteroffer,
        duplicate_flags=json.loads(application.duplicate_flags),
        affordability=derivation["affordability"], cleansing=json.loads(application.cleansing),
        model_version=application.model_version, policy_version=application.policy_version,
        decisions=decisions)


@router.post("", response_model=ApplicationPublic, status_code=201,
             responses={200: {"description": "A retry with the same Idempotency-Key: the "
                                             "first result, unchanged."}})
def submit_application(
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
    application, replayed = service.submit(session, settings, actor, body, idempotency_key)
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/applications/{application.id}"
    return _application_public(session, application)


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
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ApplicationPage:
    """List applications, newest first; loan officers see only their own."""
    if actor.role == Role.LOAN_OFFICER:
        officer = actor.actor_id
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
def get_application(application_id: str, session: SessionDep,
                    actor: Reader) -> ApplicationPublic:
    """One application with its decisions; each read is recorded in the ledger."""
    application = service.get_for(session, actor, application_id)
    service.record_view(session, actor, application)
    return _application_public(session, application)


@router.post("/{application_id}/review", response_model=DecisionPublic, status_code=201)
def review_application(application_id: str, body: ReviewCreate, session: SessionDep,
                       actor: Reviewer) -> DecisionPublic:
    """Decide a referred application, or override an automated decision, with a reason."""
    row = service.review(session, actor, application_id, outcome=body.outcome, note=body.note,
                         reason_codes=body.reason_codes)
    return _decision_public(row)
