"""Backfilling a new challenger's shadow decisions over the stored applications.

Promoting a version to challenger asks for a run (app.monitoring.runs) that replays every stored
application decided automatically, from its kept inputs, with the challenger in place of what
decided it: a challenger model under the policy the application was decided under, or a
challenger policy with the model that scored it. So the comparison over history isolates the
challenged part. A run commits batch by batch and saves its cursor: cut off, it resumes; run
twice, it adds nothing (applications with a shadow by the challenger are skipped).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, col, select

from app.applications.catalogs import catalog_version
from app.applications.states import DecisionKind
from app.auth.principal import Principal
from app.models import Application, Decision, JobRun, ShadowDecision
from app.monitoring import runs
from app.scoring import service, shadow
from app.scoring.lifecycle import Kind
from risk_models.document import ApplicationInputs

KIND = "challenger_backfill"
BATCH_SIZE = 500


def request(session: Session, actor: Principal, kind: Kind, version: str) -> JobRun:
    """Ask for the backfill of challenger ``version`` (once: asking again returns the run)."""
    run, _ = runs.request(session, actor, KIND, f"{kind}:{version}",
                          {"kind": kind, "version": version})
    return run


def _batch(session: Session, kind: str, version: str, after: str | None,
           ) -> list[tuple[Application, Decision]]:
    challenged = (col(ShadowDecision.model_version) if kind == "model"
                  else col(ShadowDecision.policy_version))
    shadowed = exists().where(col(ShadowDecision.application_id) == col(Application.id),
                              challenged == version)
    statement = (select(Application, Decision)
                 .join(Decision, col(Decision.application_id) == col(Application.id))
                 .where(Decision.kind == DecisionKind.AUTOMATED, ~shadowed)
                 .order_by(col(Application.id)).limit(BATCH_SIZE))
    if after is not None:
        statement = statement.where(col(Application.id) > after)
    return [(a, d) for a, d in session.exec(statement).all()]


@runs.handler(KIND)
def backfill(context: runs.RunContext) -> dict[str, Any]:
    """Replay the stored applications with the challenger, a batch per transaction."""
    from app.db import session_scope

    kind, version = context.params["kind"], context.params["version"]
    cursor, done = context.cursor, context.progress
    skipped = 0
    # Models, policies and reason statements by version, read once per run: a few versions
    # serve every application (a model's row carries its artifact and validation data).
    loaded: dict[tuple[str, str], Any] = {}
    while True:
        with session_scope() as session:
            batch = _batch(session, kind, version, cursor)
            if not batch:
                break
            rows = []
            now = datetime.now(UTC)
            for application, decision in batch:
                record = _replayed(session, kind, version, application, decision, loaded)
                if record is None:
                    skipped += 1
                    continue
                model, policy, decided = record
                rows.append(shadow.shadow_row(application.id, decision.id, decision.created_at,
                                              model, policy, decided, shadow.BACKFILL, now))
            shadow.store_shadows(session, rows)
            done += len(rows)
            cursor = batch[-1][0].id
        runs.save_progress(context.id, cursor, done)
    return {"shadow_decisions": done, "skipped": skipped}


def _replayed(session: Session, kind: str, version: str, application: Application,
              decision: Decision, loaded: dict[tuple[str, str], Any],
              ) -> tuple[Any, Any, Any] | None:
    """The challenger pair's decision on a stored application, or ``None`` when it cannot be
    replayed (decided before inputs were kept, or outside the challenger policy's limits)."""
    if not application.inputs or not decision.record or decision.reason_catalog_version is None:
        return None
    if application.model_version is None:
        return None

    def once(what: str, name: str, load: Callable[[Session, str], Any]) -> Any:
        if (what, name) not in loaded:
            loaded[what, name] = load(session, name)
        return loaded[what, name]

    model = once("model", version if kind == "model" else application.model_version,
                 service.load_model_by_version)
    policy = once("policy", version if kind == "policy" else decision.policy_version,
                  service.load_policy_version)
    catalog = once("catalog", decision.reason_catalog_version, catalog_version)
    if catalog is None:
        return None
    inputs = ApplicationInputs.model_validate(application.inputs)
    as_of = date.fromisoformat(decision.record["as_of"])
    record = shadow.shadow_record(inputs, model, policy, catalog, as_of)
    return None if record is None else (model, policy, record)
