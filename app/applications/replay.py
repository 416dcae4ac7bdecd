"""Replaying a stored application: decide it again from its kept inputs with the model, policy
and reason statements stamped on its decision, and say whether anything differs."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from app.applications import repository
from app.applications.catalogs import catalog_version
from app.audit.service import append_event
from app.auth.principal import Principal
from app.errors import Conflict, NotFound, ServiceUnavailable
from app.models import Application
from app.scoring.service import load_model_by_version, load_policy_version
from risk_models.decisions import decide_application
from risk_models.document import ApplicationInputs


def differences(stored: Any, replayed: Any, path: str = "") -> list[dict[str, Any]]:
    """Each leaf where two JSON values differ, named by its dotted path."""
    if isinstance(stored, dict) and isinstance(replayed, dict):
        found = []
        for key in sorted(set(stored) | set(replayed)):
            found += differences(stored.get(key), replayed.get(key), f"{path}{key}.")
        return found
    if isinstance(stored, list) and isinstance(replayed, list) and len(stored) == len(replayed):
        found = []
        for index, (a, b) in enumerate(zip(stored, replayed, strict=True)):
            found += differences(a, b, f"{path}{index}.")
        return found
    if stored == replayed:
        return []
    return [{"field": path.rstrip("."), "stored": stored, "replayed": replayed}]


def replay(session: Session, actor: Principal, application_id: str) -> dict[str, Any]:
    """Re-derive and re-score ``application_id``; ``identical`` or each differing field."""
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application_not_found")
    automated = repository.decisions_of(session, application_id)[0]
    stored = automated.record
    if not application.inputs or not stored or automated.reason_catalog_version is None:
        raise Conflict(f"application {application_id} was decided before its inputs were kept; "
                       "it cannot be replayed", code="not_replayable")
    if application.model_version is None:
        raise Conflict(f"application {application_id} names no model", code="not_replayable")
    model = load_model_by_version(session, application.model_version)
    policy = load_policy_version(session, automated.policy_version)
    catalog = catalog_version(session, automated.reason_catalog_version)
    if catalog is None:
        raise ServiceUnavailable(f"reason statements {automated.reason_catalog_version} are not "
                                 "stored", code="reason_catalog_missing")
    inputs = ApplicationInputs.model_validate(application.inputs)
    record = decide_application(inputs, scorer=model.scorer,
                                policy=policy, catalog=catalog,
                                as_of=date.fromisoformat(stored["as_of"]))
    found = differences(stored, record.to_dict())
    result = {
        "application_id": application_id, "decision_id": automated.id,
        "identical": not found, "differences": found,
        "model_version": application.model_version,
        "model_artifact_sha256": model.artifact_sha256,
        "policy_version": automated.policy_version,
        "reason_catalog_version": automated.reason_catalog_version,
        "as_of": stored["as_of"],
    }
    append_event(session, actor, "application.replayed", "application", application_id, {
        "decision_id": automated.id, "identical": not found,
        "differing_fields": [d["field"] for d in found]})
    return result
