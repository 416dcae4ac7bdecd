"""Queries on the model registry and the policy versions."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models import DecisionPolicy, ScoringModel
from app.scoring.states import RegistryStatus


def active_model_ref(session: Session) -> tuple[str, str] | None:
    """``(version, artifact_sha256)`` of the active model, without loading its large texts."""
    row = session.exec(select(ScoringModel.version, ScoringModel.artifact_sha256)
                       .where(ScoringModel.status == RegistryStatus.ACTIVE)).first()
    return (row[0], row[1]) if row else None


def artifact_of(session: Session, version: str) -> str | None:
    return session.exec(select(ScoringModel.artifact)
                        .where(ScoringModel.version == version)).first()


def active_policy_ref(session: Session) -> tuple[str, str] | None:
    """``(version, sha256)`` of the active policy."""
    row = session.exec(select(DecisionPolicy.version, DecisionPolicy.sha256)
                       .where(DecisionPolicy.status == RegistryStatus.ACTIVE)).first()
    return (row[0], row[1]) if row else None


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
