"""Queries on the model registry and the policy versions."""

from __future__ import annotations

from sqlalchemy import literal, or_, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.models import DecisionPolicy, ScoringModel
from app.models.base import table_of
from app.scoring.states import ModelPurpose, RegistryStatus
from app.statements import Prepared

_models, _policies = table_of(ScoringModel), table_of(DecisionPolicy)
# What is in use, champion and challenger, model and policy, in one statement: every decision
# asks. (Two comparisons, not IN: a prepared statement binds no expanding list.)
_IN_USE = or_(_models.c.status == RegistryStatus.CHAMPION,
              _models.c.status == RegistryStatus.CHALLENGER)
_IN_USE_REFS = Prepared(union_all(
    select(literal("model"), _models.c.status, _models.c.version, _models.c.artifact_sha256)
    .where(_IN_USE, _models.c.purpose == ModelPurpose.APPLICATION),
    select(literal("policy"), _policies.c.status, _policies.c.version, _policies.c.sha256)
    .where(or_(_policies.c.status == RegistryStatus.CHAMPION,
               _policies.c.status == RegistryStatus.CHALLENGER))))


def in_use_refs(session: Session) -> dict[tuple[str, str], tuple[str, str]]:
    """``{("model", "champion"): (version, artifact_sha256), ("policy", "champion"): (version,
    sha256), ...}`` for the champions and challengers (a key is missing when there is none),
    without loading their large texts."""
    return {(kind, status): (version, sha256)
            for kind, status, version, sha256 in _IN_USE_REFS.run(session)}


def artifact_of(session: Session, version: str) -> str | None:
    return session.exec(select(ScoringModel.artifact)
                        .where(ScoringModel.version == version)).first()


def model_in(session: Session, status: RegistryStatus,
             purpose: str = ModelPurpose.APPLICATION) -> ScoringModel | None:
    """The model of ``purpose`` in ``status`` (the champion or the challenger: one at most
    each per purpose)."""
    return session.exec(select(ScoringModel).where(ScoringModel.status == status,
                                                   ScoringModel.purpose == purpose)).first()


def champion_model(session: Session,
                   purpose: str = ModelPurpose.APPLICATION) -> ScoringModel | None:
    return model_in(session, RegistryStatus.CHAMPION, purpose)


def model_by_version(session: Session, version: str) -> ScoringModel | None:
    return session.exec(select(ScoringModel).where(ScoringModel.version == version)).first()


def list_models(session: Session) -> list[ScoringModel]:
    return list(session.exec(select(ScoringModel)
                             .order_by(col(ScoringModel.trained_at).desc())).all())


def policy_in(session: Session, status: RegistryStatus) -> DecisionPolicy | None:
    return session.exec(select(DecisionPolicy).where(DecisionPolicy.status == status)).first()


def champion_policy(session: Session) -> DecisionPolicy | None:
    return policy_in(session, RegistryStatus.CHAMPION)


def policy_by_version(session: Session, version: str) -> DecisionPolicy | None:
    return session.exec(select(DecisionPolicy).where(DecisionPolicy.version == version)).first()


def list_policies(session: Session) -> list[DecisionPolicy]:
    return list(session.exec(select(DecisionPolicy)
                             .order_by(col(DecisionPolicy.created_at).desc())).all())


# --- The console's registry views: who moved each version, without its large texts ---------

_GOVERNANCE = ("status", "version", "validated_by", "validated_at", "validation_report_id",
               "approved_by", "approved_at", "activated_at")


def registry_entries(session: Session, kind: str,
                     status: RegistryStatus | None = None) -> list[dict[str, object]]:
    """Each model (``kind="model"``) or policy version, newest first, as the registry lists it:
    its status, who built it and when, and who validated and approved it (none of the
    artifact, metrics or policy body). ``status`` keeps the versions in that status only."""
    table = _models if kind == "model" else _policies
    built_by = table.c.trained_by if kind == "model" else table.c.created_by
    built_at = table.c.trained_at if kind == "model" else table.c.created_at
    statement = core_select(*(table.c[name] for name in _GOVERNANCE),
                            built_by.label("built_by"), built_at.label("built_at"))
    if status is not None:
        statement = statement.where(table.c.status == status)
    rows = session.execute(statement.order_by(built_at.desc(), table.c.id.desc())).all()
    return [{"kind": kind, **row._asdict()} for row in rows]
