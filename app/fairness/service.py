"""Running fairness audits: building the audited frame from the database, auditing, storing.

Two sources:

* ``model``: a model version's out-of-fold validation predictions. Protected columns named at
  training are turned into audit groups (``personal_status_sex`` → ``sex``, ``age_years`` →
  ``age_band``, ``foreign_worker`` → ``national_origin``; any other is audited as-is). A row is
  favourable when the policy's score cut-offs would approve its score; outcomes are known
  (``y_good = 1 - y_bad``).
* ``decisions``: applications submitted in a date range (UTC days, both inclusive), grouped by
  their monitoring attributes. Favourable means the current outcome is ``approve``;
  applications still ``referred`` have no final outcome, so they are left out of the rates and
  counted in ``scope.excluded_referred``. Outcomes are unknown.

A range with nothing to audit is refused with 422 ``no_decisions_in_range``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from app.applications.states import PENDING_STATUSES
from app.audit.service import append_event
from app.auth.principal import Principal
from app.errors import Conflict, NotFound, Unprocessable
from app.fairness import repository
from app.fairness.schemas import FairnessAuditCreate
from app.models import DecisionPolicy, FairnessAudit, ScoringModel
from app.scoring import repository as registry
from compliance.fairness import (
    AGE_BANDS,
    FairnessThresholds,
    age_bands,
    audit_fairness,
    marital_status_from_personal_status,
    national_origin_from_foreign_worker,
    sex_from_personal_status,
)
from compliance.ledger import canonical_json, sha256_hex
from risk_models.policy import APPROVE, Policy

ATTRIBUTE_LABELS = {"sex": "Sex", "marital_status": "Marital status", "age_band": "Age band",
                    "national_origin": "National origin"}
LIVE_ATTRIBUTES = tuple(ATTRIBUTE_LABELS)
# Raw German-credit columns and the audit groups each becomes (None: age bands).
DERIVED_GROUPS = {
    "personal_status_sex": (("sex", sex_from_personal_status),
                            ("marital_status", marital_status_from_personal_status)),
    "age_years": (("age_band", None),),
    "foreign_worker": (("national_origin", national_origin_from_foreign_worker),),
}
FAVOURABLE_LIVE = "current outcome is approve (applications still referred are excluded)"
FAVOURABLE_MODEL = "the policy's score cut-offs give the out-of-fold score the outcome approve"


@dataclass(frozen=True)
class AuditOptions:
    """How to audit: everything but the scope."""

    intersections: tuple[tuple[str, str], ...] = ()
    reference_groups: dict[str, str] = field(default_factory=dict)
    n_boot: int = 200
    seed: int = 0
    thresholds: FairnessThresholds = FairnessThresholds()

    def as_dict(self) -> dict[str, Any]:
        return {"intersections": [list(p) for p in self.intersections],
                "reference_groups": dict(sorted(self.reference_groups.items())),
                "n_boot": self.n_boot, "seed": self.seed,
                "thresholds": {"min_air": self.thresholds.min_air,
                               "max_p_value": self.thresholds.max_p_value,
                               "min_group_size": self.thresholds.min_group_size,
                               "ci_level": self.thresholds.ci_level}}


@dataclass(frozen=True)
class AuditFrame:
    """The rows to audit, the attribute columns (with labels) and what the scope says."""

    frame: pd.DataFrame
    attributes: dict[str, str]
    outcome_col: str | None
    scope: dict[str, Any]


# --- Periods ------------------------------------------------------------------------------------


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """``[date_from 00:00 UTC, day after date_to 00:00 UTC)``."""
    if date_to >= date.max:
        raise Unprocessable("date_to is past the last day the calendar has; give a real date",
                            code="invalid_period")
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    return start, datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)


# --- Frames -------------------------------------------------------------------------------------


def live_decisions_frame(session: Session, date_from: date, date_to: date) -> AuditFrame:
    """Applications submitted from ``date_from`` to ``date_to`` (inclusive), ready to audit."""
    rows = repository.live_decisions(session, *period_bounds(date_from, date_to))
    # Applications still waiting (for an underwriter, the applicant's missing information or an
    # answer to a counteroffer) have no final outcome yet.
    referred = rows["status"].isin([str(s) for s in PENDING_STATUSES])
    decided = rows.loc[~referred].reset_index(drop=True)
    decided["approved"] = decided["outcome"] == APPROVE
    decided["age_band"] = age_bands_from_labels(decided["age_band"])
    scope = {"source": "decisions", "date_from": date_from.isoformat(),
             "date_to": date_to.isoformat(), "applications": len(rows),
             "excluded_referred": int(referred.sum()), "audited": len(decided),
             "favourable": FAVOURABLE_LIVE, "outcomes_known": False}
    return AuditFrame(decided, dict(ATTRIBUTE_LABELS), None, scope)


def age_bands_from_labels(labels: pd.Series) -> pd.Series:
    """Stored age-band labels as an ordered categorical, so reports list bands by age."""
    return pd.Series(pd.Categorical(labels, categories=list(AGE_BANDS), ordered=True),
                     index=labels.index)


def model_frame(model: ScoringModel, policy: Policy) -> AuditFrame:
    """A model's out-of-fold validation rows with audit groups and the policy's approvals."""
    oof = pd.DataFrame(json.loads(model.validation)["oof"])
    protected = [c for c in json.loads(model.protected_columns) if c in oof.columns]
    frame = pd.DataFrame(index=oof.index)
    attributes: dict[str, str] = {}
    for column in protected:
        if column in DERIVED_GROUPS:
            values = oof[column]
            for name, mapper in DERIVED_GROUPS[column]:
                frame[name] = age_bands(values) if mapper is None else values.map(
                    lambda v, m=mapper: None if pd.isna(v) else m(v))
                attributes[name] = ATTRIBUTE_LABELS[name]
        else:
            frame[column] = oof[column]
            attributes[column] = column.replace("_", " ").capitalize()
    score = pd.to_numeric(oof["score"], errors="coerce").to_numpy(dtype=float)
    frame["score"] = score
    frame["approved"] = approvals(policy, score)
    frame["y_good"] = 1 - pd.to_numeric(oof["y_bad"]).astype(int)
    scope = {"source": "model", "model_version": model.version, "policy_version": policy.version,
             "rows": len(frame), "audited": len(frame), "favourable": FAVOURABLE_MODEL,
             "outcomes_known": True, "protected_columns": protected}
    return AuditFrame(frame, attributes, "y_good", scope)


def approvals(policy: Policy, scores: np.ndarray) -> np.ndarray:
    """Whether the policy's tier for each score approves."""
    approving = np.array([tier.outcome == APPROVE for tier in policy.tiers])
    return approving[policy.tier_indices(scores)]


# --- Auditing -----------------------------------------------------------------------------------


def audit(data: AuditFrame, options: AuditOptions) -> dict[str, Any]:
    """Run the audit on ``data``; the result is the audit dict with its ``scope`` added."""
    _check_names(data.attributes, options)
    if data.frame.empty:
        raise Unprocessable("there are no decided applications to audit in this range",
                            code="no_decisions_in_range", details=data.scope)
    try:
        result = audit_fairness(
            data.frame, attributes=data.attributes, favourable_col="approved",
            # Scores only with outcomes: compliance.fairness_stats.roc_auc fails on the empty
            # arrays an audit without any known outcome hands it for the overall AUC.
            score_col="score", outcome_col=data.outcome_col,
            reference_groups=options.reference_groups, intersections=options.intersections,
            n_boot=options.n_boot, seed=options.seed, thresholds=options.thresholds)
    except ValueError as exc:
        if "reference group" in str(exc):
            raise Unprocessable(str(exc), code="unknown_reference_group",
                                details=[{"field": "reference_groups",
                                          "message": str(exc)}]) from exc
        raise
    return {**result, "scope": data.scope}


def _check_names(attributes: dict[str, str], options: AuditOptions) -> None:
    known = set(attributes)
    problems = []
    for pair in options.intersections:
        unknown = [a for a in pair if a not in known]
        if unknown:
            problems.append({"field": "intersections",
                             "message": f"unknown attribute(s) {unknown}; known: {sorted(known)}"})
    names = known | {f"{a}*{b}" for a, b in options.intersections}
    for key in options.reference_groups:
        if key not in names:
            problems.append({"field": "reference_groups",
                             "message": f"{key!r} is neither an audited attribute nor a "
                                        f"requested intersection; known: {sorted(names)}"})
    if problems:
        fields = ", ".join(sorted({p["field"] for p in problems}))
        raise Unprocessable(f"the request is not valid; check: {fields}",
                            code="validation_error", details=problems)


def options_from(body: FairnessAuditCreate) -> AuditOptions:
    t = body.thresholds
    return AuditOptions(
        intersections=tuple((a, b) for a, b in body.intersections),
        reference_groups=dict(body.reference_groups), n_boot=body.n_boot, seed=body.seed,
        thresholds=FairnessThresholds(min_air=t.min_air, max_p_value=t.max_p_value,
                                      min_group_size=t.min_group_size, ci_level=t.ci_level))


def resolve_model(session: Session, version: str) -> ScoringModel:
    model = registry.model_by_version(session, version)
    if model is None:
        raise NotFound(f"no model version {version!r}", code="model_not_found")
    return model


def resolve_policy(session: Session, version: str | None) -> DecisionPolicy:
    """The named policy version, or the active one."""
    if version is not None:
        policy = registry.policy_by_version(session, version)
        if policy is None:
            raise NotFound(f"no policy version {version!r}", code="policy_not_found")
        return policy
    policy = registry.champion_policy(session)
    if policy is None:
        raise Conflict("no decision policy is active, so validation scores cannot be turned "
                       "into approvals; name a policy_version", code="no_active_policy")
    return policy


def model_audit(session: Session, model_version: str, policy_version: str | None,
                options: AuditOptions) -> dict[str, Any]:
    """The audit of a model's validation data (not stored)."""
    model = resolve_model(session, model_version)
    policy = Policy.from_json(resolve_policy(session, policy_version).body)
    return audit(model_frame(model, policy), options)


def decisions_audit(session: Session, date_from: date, date_to: date,
                    options: AuditOptions) -> dict[str, Any]:
    """The audit of the live decisions in a period (not stored)."""
    return audit(live_decisions_frame(session, date_from, date_to), options)


def run_audit(session: Session, actor: Principal, body: FairnessAuditCreate) -> FairnessAudit:
    """Run, store and ledger one audit."""
    options = options_from(body)
    policy_version = None
    if body.source == "model":
        assert body.model_version is not None  # guaranteed by the schema
        result = model_audit(session, body.model_version, body.policy_version, options)
        policy_version = result["scope"]["policy_version"]
    else:
        assert body.date_from is not None and body.date_to is not None
        result = decisions_audit(session, body.date_from, body.date_to, options)
    text = canonical_json(result)
    record = repository.add(session, FairnessAudit(
        created_at=datetime.now(UTC), created_by=actor.actor_id, created_by_role=str(actor.role),
        source=body.source, model_version=body.model_version, policy_version=policy_version,
        date_from=body.date_from, date_to=body.date_to,
        parameters=canonical_json(options.as_dict()), result=text, sha256=sha256_hex(text),
        audited=int(result["overall"]["count"]), flagged=bool(result["flagged"])))
    append_event(session, actor, "fairness.audit_run", "fairness_audit", record.id or 0, {
        "sha256": record.sha256, "source": record.source, "model_version": record.model_version,
        "policy_version": policy_version,
        "date_from": body.date_from.isoformat() if body.date_from else None,
        "date_to": body.date_to.isoformat() if body.date_to else None,
        "parameters": options.as_dict(), "audited": record.audited, "flagged": record.flagged,
        "flags": len(result["flags"])}, rows=(record,))
    return record


def get_audit(session: Session, audit_id: int) -> FairnessAudit:
    record = repository.get(session, audit_id)
    if record is None:
        raise NotFound(f"no fairness audit {audit_id}", code="fairness_audit_not_found")
    return record


# --- Monitoring between audits ------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyRate:
    """One month of submissions: decided as the live audit decides (applications still waiting
    are left out of the rate), approved when the current outcome is approve."""

    month: str  # YYYY-MM (UTC)
    applications: int
    waiting: int
    approved: int

    @property
    def decided(self) -> int:
        return self.applications - self.waiting

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.decided if self.decided else None


def months_between(start: date, end: date) -> list[str]:
    """``YYYY-MM`` of every month from ``start``'s to ``end``'s, both included."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def approval_rates_by_month(session: Session, date_from: date,
                            date_to: date) -> list[MonthlyRate]:
    """Approval rate per month of submission from ``date_from`` to ``date_to`` (UTC days, both
    inclusive), every month listed (empty ones with no rate); the same rule as
    :func:`live_decisions_frame` (waiting statuses left out, approve favourable), counted by
    the database."""
    start, end = period_bounds(date_from, date_to)
    months = []
    for label in months_between(date_from, date_to):
        year, month = int(label[:4]), int(label[5:])
        first = datetime(year, month, 1, tzinfo=UTC)
        after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        months.append((label, max(first, start), min(after, end)))
    rows = repository.monthly_counts(session, months,
                                     waiting=tuple(str(s) for s in PENDING_STATUSES),
                                     favourable=APPROVE)
    return sorted((MonthlyRate(label, applications, waiting, approved)
                   for label, applications, waiting, approved in rows), key=lambda r: r.month)


@dataclass(frozen=True)
class LowestRatio:
    """The judged group with the lowest adverse impact ratio against its reference group."""

    attribute: str
    label: str
    group: str
    reference_group: str
    air: float
    below_threshold: bool
    flagged: bool


def lowest_air(result: dict[str, Any]) -> LowestRatio | None:
    """The lowest impact ratio of a stored audit's result, among groups large enough to judge
    (None when no group could be judged)."""
    threshold = float(result["settings"]["thresholds"]["min_air"])
    lowest: LowestRatio | None = None
    for attribute in result["attributes"]:
        for row in attribute["groups"]:
            air = row.get("air_vs_reference")
            if air is None or row.get("too_small_to_judge"):
                continue
            if lowest is None or air < lowest.air:
                lowest = LowestRatio(attribute["name"], attribute["label"], row["group"],
                                     attribute["reference_group"], float(air), air < threshold,
                                     bool(row.get("flagged")))
    return lowest


def latest_audit(session: Session) -> FairnessAudit | None:
    """The audit run last (with its result), or None before the first."""
    return repository.latest(session)


def audits_page(session: Session, *, before_id: int | None = None,
                limit: int = 25) -> list[FairnessAudit]:
    """A keyset page of stored audits, newest first, without their results."""
    return repository.page(session, before_id=before_id, limit=limit)
