"""Queries on the model registry and the policy versions."""

from __future__ import annotations

from sqlalchemy import literal, union_all
from sqlmodel import Session, col, select

from app.models import DecisionPolicy, ScoringModel
from app.models.base import table_of
from app.scoring.states import RegistryStatus
from app.statements import Prepared

_models, _policies = table_of(ScoringModel), table_of(DecisionPolicy)
# What is active, model and policy, in one statement: every decision asks.
_ACTIVE_REFS = Prepared(union_all(
    select(literal("model"), _models.c.version, _models.c.artifact_sha256)
    .where(_models.c.status == RegistryStatus.ACTIVE),
    select(literal("policy"), _policies.c.version, _policies.c.sha256)
    .where(_policies.c.status == RegistryStatus.ACTIVE)))


def active_refs(session: Session) -> dict[str, tuple[str, str]]:
    """``{"model": (version, artifact_sha256), "policy": (version, sha256)}`` of the active
    versions (a key is missing when none is active), without loading their large texts."""
    return {kind: (version, sha256) for kind, version, sha256 in _ACTIVE_REFS.run(session)}


def artifact_of(session: Session, version: str) -> str | None:
    return session.exec(select(ScoringModel.artifact)
                        .where(ScoringModel.version == version)).first()


def active_model(session: Session) -> ScoringModel | None:
    return session.exec(select(ScoringModel)
                        .where(ScoringModel.status == RegistryStatus.ACTIVE)).first()


def model_by_version(session: Session, version: str) -> ScoringModel | None:
    return session.exec(select(ScoringModel).where(ScoringModel.version == version)).first()


def list_models(session: Session) -> list[ScoringModel]:
    return list(session.exec(select(ScoringModel)
                             .order_by(col(ScoringModel.trained_at).desc())).all())


def active_policy(session: Session) -> DecisionPolicy | None:
    return session.exec(select(DecisionPolicy)
                        .where(DecisionPolicy.status == RegistryStatus.ACTIVE)).first()


def policy_by_version(session: Session, version: str) -> DecisionPolicy | None:
    return session.exec(select(DecisionPolicy).where(DecisionPolicy.version == version)).first()


def list_policies(session: Session) -> list[DecisionPolicy]:
    return list(session.exec(select(DecisionPolicy)
                             .order_by(col(DecisionPolicy.created_at).desc())).all())
