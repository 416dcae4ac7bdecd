"""Shadow decisions: what a challenger would have decided, stored beside the champion's.

A shadow decision is never shown to the applicant, never decides anything and never stops a
decision: whatever goes wrong while making one is logged and the application goes on without
it. The challenger pair is the challenger model (or the champion model, when only the policy is
challenged) under the challenger policy (or the champion policy).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from app.models import ScoredCharacteristic, ShadowDecision
from app.models.base import table_of
from app.scoring.service import LoadedModel
from risk_models.decisions import DecisionRecord, decide_application
from risk_models.document import ApplicationInputs
from risk_models.policy import Policy
from risk_models.reasons import ReasonCatalog

log = logging.getLogger(__name__)
LIVE, BACKFILL = "live", "backfill"
_SHADOW_INSERT = insert(table_of(ShadowDecision))
_SCORED_INSERT = insert(table_of(ScoredCharacteristic))


def shadow_record(inputs: ApplicationInputs, model: LoadedModel, policy: Policy,
                  catalog: ReasonCatalog, as_of: date) -> DecisionRecord | None:
    """The challenger pair's decision on ``inputs``, or ``None`` when it cannot make one (a
    request outside the challenger policy's limits, say). Never raises."""
    try:
        return decide_application(inputs, scorer=model.scorer, policy=policy, catalog=catalog,
                                  as_of=as_of)
    except Exception:  # noqa: BLE001 - a shadow never stops a decision
        log.warning("no shadow decision by model %s under policy %s", model.version,
                    policy.version, exc_info=True)
        return None


def shadow_row(application_id: str, decision_id: str, decided_at: datetime,
               model: LoadedModel, policy: Policy, record: DecisionRecord, source: str,
               scored_at: datetime) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "application_id": application_id,
            "decision_id": decision_id, "decided_at": decided_at, "scored_at": scored_at,
            "source": source, "model_version": model.version,
            "policy_version": policy.version, "outcome": record.outcome,
            "risk_tier": record.risk_tier, "score": record.score,
            "probability_of_default": record.probability_of_default,
            "reason_codes": [r.code for r in record.reasons]}


def store_shadows(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_SHADOW_INSERT, rows)


def store_scored(session: Session, application_id: str, model_version: str,
                 record: DecisionRecord, scored_at: datetime) -> None:
    """The bin and points of each characteristic the deciding model scored: what drift checks
    count, in columns."""
    rows = [{"application_id": application_id, "model_version": model_version,
             "characteristic": c.characteristic, "scored_at": scored_at,
             "bin_index": c.bin_index, "bin_label": c.bin_label[:200], "points": c.points}
            for c in record.scored.breakdown]
    if rows:
        session.connection().execute(_SCORED_INSERT, rows)
