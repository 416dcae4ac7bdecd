"""Registering trained scorecards and policies, activating them, and loading them for scoring.

The service scores from the compiled JSON artifact alone; nothing is ever unpickled.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlmodel import Session

from app.audit.service import append_event
from app.auth.principal import Principal
from app.errors import Conflict, NotFound, ServiceUnavailable
from app.models import DecisionPolicy, ScoringModel
from app.scoring import lifecycle, repository
from app.scoring.states import ModelPurpose, RegistryStatus
from compliance.ledger import canonical_json, sha256_hex
from risk_models.artifact import CompiledScorecard
from risk_models.policy import Policy
from risk_models.scorer import CompiledScorer
from risk_models.training import TrainingResult

log = logging.getLogger(__name__)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def validation_record(result: TrainingResult) -> dict[str, Any]:
    """What validation reports and model fairness audits need, as stored with the model.

    ``oof`` holds the out-of-fold predictions column by column (``y_bad``,
    ``probability_of_default``, ``score``, ``fold`` and each protected column's raw values);
    ``monitoring_baseline`` what drift checks compare live applications with (app.drift).
    """
    oof = result.oof_predictions
    baseline = result.monitoring_baseline
    return _json_safe({
        "binning_tables": result.binning_tables,
        "iv_by_characteristic": result.iv_by_characteristic,
        "oof": {column: oof[column].tolist() for column in oof.columns},
        **({"monitoring_baseline": baseline.to_dict()} if baseline is not None else {}),
    })


def model_version_for(result: TrainingResult, trained_at: datetime) -> str:
    return f"scorecard-{trained_at:%Y%m%d%H%M%S}-{result.compiled.artifact_sha256[:8]}"


def register_model(session: Session, actor: Principal, result: TrainingResult, *,
                   data_name: str, target: str, protected: list[str],
                   purpose: str = ModelPurpose.APPLICATION) -> ScoringModel:
    """Store a trained scorecard in the registry as a draft, with its ledger event. A draft
    decides nothing: it is validated, approved and promoted first (app.scoring.lifecycle)."""
    artifact = result.compiled.to_json().decode()
    sha = result.compiled.artifact_sha256
    trained_at = datetime.now(UTC)
    model = ScoringModel(
        version=model_version_for(result, trained_at), status=RegistryStatus.DRAFT,
        purpose=purpose, trained_by=actor.actor_id, trained_at=trained_at,
        data_sha256=result.data_sha256,
        data_name=data_name[:200], target=target, protected_columns=json.dumps(protected),
        params=canonical_json(_json_safe(result.params.to_dict())),
        metrics=canonical_json(_json_safe(result.metrics)), artifact=artifact,
        artifact_sha256=sha, validation=canonical_json(validation_record(result)))
    session.add(model)
    session.flush()
    append_event(session, actor, "model.trained", "model", model.version, {
        "artifact_sha256": sha, "data_sha256": result.data_sha256,
        "cv_auc": round(float(result.metrics["cv_auc"]), 6), "features": result.features,
        "protected_columns": protected, "status": model.status, "purpose": purpose},
        rows=(model,))
    lifecycle.record_transition(session, actor, "model", model.version, None,
                                RegistryStatus.DRAFT, "registered by training")
    return model


def register_policy(session: Session, actor: Principal, body: dict[str, Any]) -> DecisionPolicy:
    """Store a policy version (its JSON canonicalised and hashed) as a draft."""
    version = str(body.get("version") or "")
    if not version:
        raise Conflict("a policy needs a version", code="policy_version_missing")
    if repository.policy_by_version(session, version) is not None:
        raise Conflict(f"policy version {version!r} exists already; versions are immutable",
                       code="policy_version_exists")
    text = canonical_json(body)
    policy = DecisionPolicy(version=version, status=RegistryStatus.DRAFT,
                            created_by=actor.actor_id, body=text, sha256=sha256_hex(text))
    session.add(policy)
    session.flush()
    append_event(session, actor, "policy.created", "policy", version, {
        "sha256": policy.sha256, "status": policy.status}, rows=(policy,))
    lifecycle.record_transition(session, actor, "policy", version, None, RegistryStatus.DRAFT,
                                "registered")
    return policy


# --- Loading for scoring ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedModel:
    version: str
    artifact_sha256: str
    scorecard: CompiledScorecard
    scorer: CompiledScorer


# Parsed scorecards by artifact digest. The version name is not cached with them: it is the
# registry's, read with every call (the same artifact could be registered under another name in
# another database).
_cache: dict[str, tuple[CompiledScorecard, CompiledScorer]] = {}
_cache_lock = threading.Lock()


def _loaded(version: str, artifact_sha256: str, artifact: Callable[[], str]) -> LoadedModel:
    """The scorecard of ``artifact_sha256``, parsed once per process and checked against it."""
    cached = _cache.get(artifact_sha256)
    if cached is None:
        scorecard = CompiledScorecard.from_json(artifact())
        if scorecard.artifact_sha256 != artifact_sha256:
            raise ServiceUnavailable(f"model {version}'s artifact does not match its recorded "
                                     "sha256; refusing to score with it", code="model_integrity")
        cached = (scorecard, CompiledScorer(scorecard))
        with _cache_lock:
            _cache[artifact_sha256] = cached
    return LoadedModel(version, artifact_sha256, *cached)


@dataclass(frozen=True)
class InUse:
    """What decides new applications (the champion model and policy) and what scores them in
    shadow beside it (a challenger model or policy, or none)."""

    model: LoadedModel
    policy: Policy
    shadow: tuple[LoadedModel, Policy] | None


def load_in_use(session: Session) -> InUse:
    """The champion scorecard and policy, and the challenger pair when there is a challenger,
    parsed once per process and checked against their digests.

    Each call asks the database, in one statement, which versions are in use (so a promotion
    takes effect at once in every process), but reads an artifact or a policy body only when
    this process has not parsed it yet.
    """
    refs = repository.in_use_refs(session)
    champion_policy = refs.get(("policy", RegistryStatus.CHAMPION))
    champion_model = refs.get(("model", RegistryStatus.CHAMPION))
    if champion_policy is None:
        raise ServiceUnavailable(
            "no decision policy is champion; train a model with `riskdesk train`, take it "
            "through validation and approval (`riskdesk models`), or run `make demo`",
            code="no_active_policy")
    if champion_model is None:
        raise ServiceUnavailable(
            "no scoring model is champion; train one with `riskdesk train`, take it through "
            "validation and approval (`riskdesk models`), or run `make demo`",
            code="no_active_model")
    model = _model_of(session, *champion_model)
    policy = _policy_of(session, *champion_policy)
    challenger_model = refs.get(("model", RegistryStatus.CHALLENGER))
    challenger_policy = refs.get(("policy", RegistryStatus.CHALLENGER))
    shadow = None
    if challenger_model is not None or challenger_policy is not None:
        try:
            shadow = (model if challenger_model is None
                      else _model_of(session, *challenger_model),
                      policy if challenger_policy is None
                      else _policy_of(session, *challenger_policy))
        except ServiceUnavailable:
            # A challenger that cannot be loaded (its artifact altered, say) decides nothing
            # anyway: the champion decides, without a shadow, and the log says why.
            log.error("the challenger cannot be loaded; deciding without a shadow",
                      exc_info=True)
    return InUse(model, policy, shadow)


def load_active(session: Session) -> tuple[LoadedModel, Policy]:
    """The champion scorecard and policy (see :func:`load_in_use`)."""
    in_use = load_in_use(session)
    return in_use.model, in_use.policy


def _model_of(session: Session, version: str, artifact_sha256: str) -> LoadedModel:
    return _loaded(version, artifact_sha256,
                   lambda: repository.artifact_of(session, version) or "")


def _policy_of(session: Session, version: str, sha256: str) -> Policy:
    return _policies.get(sha256) or load_policy_version(session, version)


def load_model_by_version(session: Session, version: str) -> LoadedModel:
    """A registered scorecard by version, whatever its status (for replaying past decisions)."""
    row = repository.model_by_version(session, version)
    if row is None:
        raise NotFound(f"no model version {version!r}", code="model_not_found")
    return _loaded(version, row.artifact_sha256, lambda: row.artifact)


# Parsed policies by the digest of their stored body.
_policies: dict[str, Policy] = {}


def load_policy_version(session: Session, version: str) -> Policy:
    """A stored policy by version, whatever its status, checked against its recorded sha256 and
    parsed once per process (for deciding, reviewing and replaying alike)."""
    row = repository.policy_by_version(session, version)
    if row is None:
        raise ServiceUnavailable(f"policy {version} is not stored", code="policy_not_found")
    policy = _policies.get(row.sha256)
    if policy is None:
        if sha256_hex(row.body) != row.sha256:
            raise ServiceUnavailable(f"policy {version}'s body does not match its recorded "
                                     "sha256; refusing to decide with it",
                                     code="policy_integrity")
        policy = _policies.setdefault(row.sha256, Policy.from_json(row.body))
    return policy
