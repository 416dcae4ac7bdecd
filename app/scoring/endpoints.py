"""The model registry and decision policies."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter

from app.auth.deps import RequireAction
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound, Unprocessable
from app.models import DecisionPolicy, ScoringModel
from app.openapi import errors_for
from app.scoring import repository, service
from app.scoring.schemas import ModelArtifactPublic, ModelPublic, PolicyCreate, PolicyPublic
from risk_models.policy import Policy

router = APIRouter(tags=["models"])
ModelReader = Annotated[Principal, RequireAction(Action.MODEL_READ)]
ModelActivator = Annotated[Principal, RequireAction(Action.MODEL_ACTIVATE)]
PolicyReader = Annotated[Principal, RequireAction(Action.POLICY_READ)]
PolicyCreator = Annotated[Principal, RequireAction(Action.POLICY_CREATE)]
PolicyActivator = Annotated[Principal, RequireAction(Action.POLICY_ACTIVATE)]


def _model_public(m: ScoringModel) -> ModelPublic:
    return ModelPublic(
        version=m.version, status=m.status, trained_by=m.trained_by, trained_at=m.trained_at,
        activated_at=m.activated_at, data_name=m.data_name, data_sha256=m.data_sha256,
        target=m.target, protected_columns=json.loads(m.protected_columns),
        artifact_sha256=m.artifact_sha256, params=json.loads(m.params),
        metrics=json.loads(m.metrics))


def _policy_public(p: DecisionPolicy) -> PolicyPublic:
    return PolicyPublic(version=p.version, status=p.status, created_by=p.created_by,
                        created_at=p.created_at, sha256=p.sha256, body=json.loads(p.body))


def _model(session: SessionDep, version: str) -> ScoringModel:
    model = repository.model_by_version(session, version)
    if model is None:
        raise NotFound(f"no model version {version!r}", code="model_not_found")
    return model


@router.get("/models", response_model=list[ModelPublic])
def list_models(session: SessionDep, actor: ModelReader) -> list[ModelPublic]:
    """Every registered model, newest first."""
    return [_model_public(m) for m in repository.list_models(session)]


@router.get("/models/{version}", response_model=ModelPublic)
def get_model(version: str, session: SessionDep, actor: ModelReader) -> ModelPublic:
    """One model's metadata and metrics."""
    return _model_public(_model(session, version))


@router.get("/models/{version}/artifact", response_model=ModelArtifactPublic)
def get_model_artifact(version: str, session: SessionDep,
                       actor: ModelReader) -> ModelArtifactPublic:
    """The compiled scorecard the service scores with: readable, diffable, hashed."""
    model = _model(session, version)
    return ModelArtifactPublic(version=model.version, artifact_sha256=model.artifact_sha256,
                               artifact=json.loads(model.artifact))


@router.post("/models/{version}/activate", response_model=ModelPublic)
def activate_model(version: str, session: SessionDep, actor: ModelActivator) -> ModelPublic:
    """Make a registered model the one that scores new applications."""
    return _model_public(service.activate_model(session, actor, version))


@router.get("/policies", response_model=list[PolicyPublic])
def list_policies(session: SessionDep, actor: PolicyReader) -> list[PolicyPublic]:
    """Every policy version, newest first."""
    return [_policy_public(p) for p in repository.list_policies(session)]


@router.get("/policies/active", response_model=PolicyPublic)
def active_policy(session: SessionDep, actor: PolicyReader) -> PolicyPublic:
    """The policy new applications are decided under."""
    policy = repository.active_policy(session)
    if policy is None:
        raise NotFound("no policy is active", code="no_active_policy")
    return _policy_public(policy)


@router.post("/policies", response_model=PolicyPublic, status_code=201, responses=errors_for(409))
def create_policy(body: PolicyCreate, session: SessionDep,
                  actor: PolicyCreator) -> PolicyPublic:
    """Add a policy version (validated in full); versions are immutable once stored."""
    try:
        policy = Policy.from_dict(body.body)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise Unprocessable(f"the policy is not valid: {exc}", code="invalid_policy") from exc
    return _policy_public(service.register_policy(session, actor, policy.to_dict(),
                                                  activate=body.activate))


@router.post("/policies/{version}/activate", response_model=PolicyPublic)
def activate_policy(version: str, session: SessionDep,
                    actor: PolicyActivator) -> PolicyPublic:
    """Make a stored policy version the active one."""
    return _policy_public(service.activate_policy(session, actor, version))
