"""Drift checks of a model in use against its development sample, the alerts they raise, and
their acknowledgement.

The figures come from :mod:`risk_models.drift`; this module finds the model, its baseline and
the policy's thresholds, counts the window's live applications (two grouped queries) and keeps
the outcome.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from app.audit.service import append_event
from app.auth.principal import Principal
from app.drift import repository
from app.errors import Conflict, NotFound, Unprocessable
from app.models import DriftAlert, DriftCheck
from app.scoring import repository as scoring_repository
from app.scoring.service import load_policy_version
from app.scoring.states import RegistryStatus
from compliance.ledger import sha256_hex
from risk_models.drift import MonitoringBaseline, assess
from risk_models.policy import StabilityRules

NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class CheckOutcome:
    """A stored check and the alert it raised, if it crossed a threshold."""

    check: DriftCheck
    alert: DriftAlert | None


def model_to_check(session: Session, model_version: str | None) -> tuple[str, str]:
    """``(version, artifact_sha256)`` of the model named, or of the champion by default."""
    if model_version is None:
        champion = scoring_repository.in_use_refs(session).get(
            ("model", RegistryStatus.CHAMPION))
        if champion is None:
            raise Conflict("no scoring model is champion; name the model to check",
                           code="no_champion_model")
        return champion
    ref = repository.model_ref(session, model_version)
    if ref is None:
        raise NotFound(f"no model version {model_version!r}", code="model_not_found")
    return ref[0], ref[2]


def models_in_use(session: Session) -> list[str]:
    """The champion's and the challenger's versions (those there are)."""
    refs = scoring_repository.in_use_refs(session)
    return [refs[("model", status)][0]
            for status in (RegistryStatus.CHAMPION, RegistryStatus.CHALLENGER)
            if ("model", status) in refs]


# Parsed baselines by artifact digest: a model's validation record never changes once stored,
# and parsing it (out-of-fold predictions included) would cost more than the check itself.
_baselines: dict[str, MonitoringBaseline] = {}
_baselines_lock = threading.Lock()


def baseline_of(session: Session, version: str, artifact_sha256: str) -> MonitoringBaseline:
    """The monitoring baseline stored with a model.

    Raises
    ------
    Conflict
        ``no_drift_baseline`` for a model trained before baselines were recorded.
    """
    cached = _baselines.get(artifact_sha256)
    if cached is not None:
        return cached
    record = json.loads(repository.validation_of(session, version) or "{}")
    stored = record.get("monitoring_baseline")
    if stored is None:
        raise Conflict(f"model {version} was trained before drift baselines were recorded; "
                       "retrain it (`riskdesk train`) to check its drift",
                       code="no_drift_baseline")
    baseline = MonitoringBaseline.from_dict(stored)
    with _baselines_lock:
        _baselines[artifact_sha256] = baseline
    return baseline


def baseline_for(session: Session, model_version: str | None) -> MonitoringBaseline:
    """The baseline of the model named (the champion by default); see :func:`baseline_of`."""
    return baseline_of(session, *model_to_check(session, model_version))


def stability_rules(session: Session) -> StabilityRules:
    """The thresholds of the champion policy (the policy in force), or the defaults."""
    champion = scoring_repository.in_use_refs(session).get(("policy", RegistryStatus.CHAMPION))
    if champion is None:
        return StabilityRules()
    return load_policy_version(session, champion[0]).stability_rules


def run_check(session: Session, actor: Principal, *, model_version: str | None,
              start: datetime, end: datetime, checked_by: str | None = None) -> CheckOutcome:
    """Check a model's drift over ``[start, end)`` and store the check; a check that crosses
    a threshold raises an alert, recorded on the ledger with it.

    ``checked_by`` names who asked when it is not ``actor`` (a job run's requester).
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise Unprocessable("a window's ends must carry a time zone", code="invalid_window")
    if not start < end:
        raise Unprocessable("a window must start before it ends", code="invalid_window")
    version, artifact_sha256 = model_to_check(session, model_version)
    baseline = baseline_of(session, version, artifact_sha256)
    rules = stability_rules(session)
    assessment = assess(
        baseline,
        repository.live_score_counts(session, version, start, end, baseline.score_splits),
        repository.characteristic_counts(session, version, start, end), rules)
    check = DriftCheck(
        id=uuid.uuid4().hex, model_version=version, window_start=start, window_end=end,
        checked_at=datetime.now(UTC), checked_by=checked_by or actor.actor_id,
        live_rows=assessment.live_rows, score_psi=assessment.score_psi,
        worst_csi=assessment.worst_csi, level=assessment.level, warn_threshold=rules.warn,
        act_threshold=rules.act, result=assessment.detail)
    session.add(check)
    session.flush()
    if not assessment.crossings:
        return CheckOutcome(check, None)
    crossings = [c.to_dict() for c in assessment.crossings]
    alert = DriftAlert(id=uuid.uuid4().hex, drift_check_id=check.id, model_version=version,
                       level=assessment.level, raised_at=check.checked_at, crossings=crossings)
    session.add(alert)
    session.flush()
    append_event(session, actor, "model.drift_alert", "model", version, {
        "drift_check_id": check.id, "alert_id": alert.id, "level": alert.level,
        "window_start": start.isoformat(), "window_end": end.isoformat(),
        "live_rows": check.live_rows, "crossings": crossings}, rows=(alert,))
    return CheckOutcome(check, alert)


def get_check(session: Session, check_id: str) -> DriftCheck:
    check = repository.get_check(session, check_id)
    if check is None:
        raise NotFound(f"no drift check {check_id!r}", code="drift_check_not_found")
    return check


def get_alert(session: Session, alert_id: str) -> DriftAlert:
    alert = repository.get_alert(session, alert_id)
    if alert is None:
        raise NotFound(f"no drift alert {alert_id!r}", code="drift_alert_not_found")
    return alert


def acknowledge(session: Session, actor: Principal, alert_id: str, note: str) -> DriftAlert:
    """Record who acknowledged an alert, when, and what they will do; once only.

    The note stays in the alert; the ledger records its digest (a note is free text).
    """
    alert = get_alert(session, alert_id)
    now = datetime.now(UTC)
    if not repository.acknowledge(session, alert_id, at=now, by=actor.actor_id, note=note):
        raise Conflict(f"drift alert {alert_id} was acknowledged already",
                       code="drift_alert_acknowledged")
    session.refresh(alert)
    append_event(session, actor, "model.drift_alert_acknowledged", "model",
                 alert.model_version, {"alert_id": alert.id,
                                       "drift_check_id": alert.drift_check_id,
                                       "level": alert.level, "note_sha256": sha256_hex(note)},
                 rows=(alert,))
    return alert
