"""The model registry and decision policies, and their lifecycle (app.scoring.lifecycle)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound, Unprocessable
from app.models import DecisionPolicy, RegistryTransition, ScoringModel
from app.openapi import errors_for
from app.scoring import backfill, comparison, lifecycle, repository, service
from app.scoring.lifecycle import Kind
from app.scoring.schemas import (
    ComparisonPublic,
    LifecycleMove,
    ModelArtifactPublic,
    ModelDetail,
    ModelPublic,
    PolicyCreate,
    PolicyDetail,
    PolicyPublic,
    Promotion,
    TransitionPublic,
)
from app.scoring.states import RegistryStatus
from risk_models.policy import Policy

router = APIRouter(tags=["models"])
ModelReader = Annotated[Principal, RequireAction(Action.MODEL_READ)]
Validator = Annotated[Principal, RequireAction(Action.MODEL_VALIDATE)]
Approver = Annotated[Principal, RequireAction(Action.MODEL_APPROVE)]
Promoter = Annotated[Principal, RequireAction(Action.MODEL_PROMOTE)]
Retirer = Annotated[Principal, RequireAction(Action.MODEL_RETIRE)]
PolicyReader = Annotated[Principal, RequireAction(Action.POLICY_READ)]
PolicyCreator = Annotated[Principal, RequireAction(Action.POLICY_CREATE)]
MonitoringReader = Annotated[Principal, RequireAction(Action.MONITORING_READ)]
MOVE_ERRORS = errors_for(403, 404, 409)


def _governance(row: ScoringModel | DecisionPolicy) -> dict[str, Any]:
    return {"validated_by": row.validated_by, "validated_at": row.validated_at,
            "validation_report_id": row.validation_report_id, "approved_by": row.approved_by,
            "approved_at": row.approved_at, "activated_at": row.activated_at}


def model_public(m: ScoringModel) -> ModelPublic:
    return ModelPublic(
        version=m.version, status=m.status, trained_by=m.trained_by, trained_at=m.trained_at,
        data_name=m.data_name, data_sha256=m.data_sha256,
        target=m.target, protected_columns=json.loads(m.protected_columns),
        artifact_sha256=m.artifact_sha256, params=json.loads(m.params),
        metrics=json.loads(m.metrics), **_governance(m))


def policy_public(p: DecisionPolicy) -> PolicyPublic:
    return PolicyPublic(version=p.version, status=p.status, created_by=p.created_by,
                        created_at=p.created_at, sha256=p.sha256, body=json.loads(p.body),
                        **_governance(p))


def _transitions(rows: list[RegistryTransition]) -> list[TransitionPublic]:
    return [TransitionPublic(from_status=t.from_status, to_status=t.to_status,
                             actor_id=t.actor_id, actor_role=t.actor_role, reason=t.reason,
                             at=t.at, report_id=t.report_id) for t in rows]


def _model(session: SessionDep, version: str) -> ScoringModel:
    model = repository.model_by_version(session, version)
    if model is None:
        raise NotFound(f"no model version {version!r}", code="model_not_found")
    return model


def _policy(session: SessionDep, version: str) -> DecisionPolicy:
    policy = repository.policy_by_version(session, version)
    if policy is None:
        raise NotFound(f"no policy version {version!r}", code="policy_not_found")
    return policy


def _answer(session: SessionDep, kind: Kind, row: ScoringModel | DecisionPolicy,
            ) -> ModelDetail | PolicyDetail:
    history = _transitions(lifecycle.history(session, kind, row.version))
    if isinstance(row, ScoringModel):
        return ModelDetail(**model_public(row).model_dump(), transitions=history)
    return PolicyDetail(**policy_public(row).model_dump(), transitions=history)


@router.get("/models", response_model=list[ModelPublic])
def list_models(session: SessionDep, actor: ModelReader) -> list[ModelPublic]:
    """Every registered model, newest first."""
    return [model_public(m) for m in repository.list_models(session)]


@router.get("/models/{version}", response_model=ModelDetail)
def get_model(version: str, session: SessionDep, actor: ModelReader) -> Any:
    """One model's metadata, metrics, governance and lifecycle."""
    return _answer(session, "model", _model(session, version))


@router.get("/models/{version}/artifact", response_model=ModelArtifactPublic)
def get_model_artifact(version: str, session: SessionDep,
                       actor: ModelReader) -> ModelArtifactPublic:
    """The compiled scorecard the service scores with: readable, diffable, hashed."""
    model = _model(session, version)
    return ModelArtifactPublic(version=model.version, artifact_sha256=model.artifact_sha256,
                               artifact=json.loads(model.artifact))


def _routes(kind: Kind, detail: type[ModelDetail] | type[PolicyDetail]) -> None:
    """The lifecycle routes of ``kind``: the same moves, rules and errors for both kinds."""
    base = "/models" if kind == "model" else "/policies"

    @router.post(f"{base}/{{version}}/validate", response_model=detail, responses=MOVE_ERRORS,
                 name=f"validate_{kind}")
    def validate(version: str, body: LifecycleMove, session: SessionDep,
                 settings: SettingsDep, actor: Validator) -> Any:
        """Validate a draft (a model validator, never its builder). For a model, the model
        validation report is generated and attached; a model reading characteristics no
        application can give is refused (409 model_incompatible, naming them)."""
        row = lifecycle.validate(session, settings, actor, kind, version, body.reason)
        return _answer(session, kind, row)

    @router.post(f"{base}/{{version}}/approve", response_model=detail, responses=MOVE_ERRORS,
                 name=f"approve_{kind}")
    def approve(version: str, body: LifecycleMove, session: SessionDep,
                actor: Approver) -> Any:
        """Approve a validated version for use: a second person, never whoever built or
        validated it (403 four_eyes_same_person)."""
        return _answer(session, kind, lifecycle.approve(session, actor, kind, version,
                                                        body.reason))

    @router.post(f"{base}/{{version}}/promote", response_model=detail, responses=MOVE_ERRORS,
                 name=f"promote_{kind}")
    def promote(version: str, body: Promotion, session: SessionDep, actor: Promoter) -> Any:
        """Put an approved version in use: as champion (the champion it replaces retires) or
        as challenger (scores every new application in shadow; its shadow decisions over the
        stored applications are backfilled in the background)."""
        move = lifecycle.promote(session, actor, kind, version, RegistryStatus(body.to),
                                 body.reason)
        if body.to == RegistryStatus.CHALLENGER:
            backfill.request(session, actor, kind, version)
        return _answer(session, kind, move.row)

    @router.post(f"{base}/{{version}}/retire", response_model=detail, responses=MOVE_ERRORS,
                 name=f"retire_{kind}")
    def retire(version: str, body: LifecycleMove, session: SessionDep, actor: Retirer) -> Any:
        """Retire a version that is not the champion (a draft that failed validation, a
        challenger that lost)."""
        return _answer(session, kind, lifecycle.retire(session, actor, kind, version,
                                                       body.reason))

    @router.post(f"{base}/rollback", response_model=detail, responses=MOVE_ERRORS,
                 name=f"rollback_{kind}")
    def rollback(body: LifecycleMove, session: SessionDep, actor: Promoter) -> Any:
        """Put the previous champion back in one step; the current champion retires."""
        return _answer(session, kind, lifecycle.rollback(session, actor, kind,
                                                         body.reason).row)


_routes("model", ModelDetail)


@router.get("/comparisons", response_model=ComparisonPublic, responses=errors_for(404))
def compare(session: SessionDep, actor: MonitoringReader,
            date_from: Annotated[date, Query(description="First decision day (UTC).")],
            date_to: Annotated[date, Query(description="Last decision day (UTC), inclusive.")],
            challenger: Annotated[str | None, Query(
                max_length=64, description="Challenger model version (default: the current "
                                           "challenger).")] = None) -> Any:
    """Champion against challenger over the decisions of a date range: score correlation, the
    swap set with its realised bad rates, approval rates and each side's adverse impact ratio
    by protected group."""
    return comparison.compare(session, challenger=challenger, date_from=date_from,
                              date_to=date_to)


@router.get("/policies", response_model=list[PolicyPublic])
def list_policies(session: SessionDep, actor: PolicyReader) -> list[PolicyPublic]:
    """Every policy version, newest first."""
    return [policy_public(p) for p in repository.list_policies(session)]


@router.get("/policies/active", response_model=PolicyPublic)
def active_policy(session: SessionDep, actor: PolicyReader) -> PolicyPublic:
    """The champion policy: the one new applications are decided under."""
    policy = repository.champion_policy(session)
    if policy is None:
        raise NotFound("no policy is champion", code="no_active_policy")
    return policy_public(policy)


@router.get("/policies/{version}", response_model=PolicyDetail)
def get_policy(version: str, session: SessionDep, actor: PolicyReader) -> Any:
    """One policy version, its governance and lifecycle."""
    return _answer(session, "policy", _policy(session, version))


@router.post("/policies", response_model=PolicyPublic, status_code=201, responses=errors_for(409))
def create_policy(body: PolicyCreate, session: SessionDep,
                  actor: PolicyCreator) -> PolicyPublic:
    """Add a policy version as a draft (validated in full); versions are immutable once
    stored, and one decides only once validated, approved and promoted."""
    try:
        policy = Policy.from_dict(body.body)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise Unprocessable(f"the policy is not valid: {exc}", code="invalid_policy") from exc
    return policy_public(service.register_policy(session, actor, policy.to_dict()))


_routes("policy", PolicyDetail)
