"""Champion against challenger over a date range: the champion's automated decisions and the
challenger's shadow decisions on the same applications, with outcomes where observed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Integer, cast, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from app.applications.states import DecisionKind
from app.errors import NotFound, Unprocessable
from app.fairness.service import period_bounds
from app.models import (
    ApplicationMonitoring,
    Decision,
    LoanOutcome,
    OutcomeLoad,
    ShadowDecision,
)
from app.scoring import repository
from app.scoring.states import RegistryStatus
from compliance.fairness import audit_fairness
from risk_models.champion_challenger import compare_decisions
from risk_models.policy import APPROVE

# The protected groups whose adverse impact ratios are compared (monitoring data only: read
# here to measure, never by a decision).
AIR_ATTRIBUTES = {"sex": "Sex", "age_band": "Age band", "national_origin": "National origin"}


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    if date_to < date_from:
        raise Unprocessable("date_to is before date_from", code="invalid_date_range")
    if date_to >= date.max:
        raise Unprocessable("date_to is beyond the last day a decision can carry",
                            code="invalid_date_range")
    return period_bounds(date_from, date_to)


def challenger_version(session: Session, version: str | None) -> tuple[str, str]:
    """The challenger compared, and whether it is a ``model`` or a ``policy``: the one named,
    else the challenger model, else the challenger policy."""
    if version is not None:
        if repository.model_by_version(session, version) is not None:
            return version, "model"
        if repository.policy_by_version(session, version) is not None:
            return version, "policy"
        raise NotFound(f"no model or policy version {version!r}", code="model_not_found")
    model = repository.model_in(session, RegistryStatus.CHALLENGER)
    if model is not None:
        return model.version, "model"
    policy = repository.policy_in(session, RegistryStatus.CHALLENGER)
    if policy is not None:
        return policy.version, "policy"
    raise NotFound("no model or policy is challenger; name one with challenger=VERSION",
                   code="no_challenger")


def paired_frame(session: Session, challenger: str, start: datetime, end: datetime, *,
                 kind: str = "model", scored_until: datetime | None = None,
                 outcomes_until: datetime | None = None) -> pd.DataFrame:
    """One row per application the challenger shadowed in the window, beside the champion's
    automated decision, the monitoring groups and the observed outcome (1, 0 or missing).

    ``scored_until`` and ``outcomes_until`` keep the shadow decisions stored, and the outcomes
    loaded, by then: what a report pinned them at, so it is derived again the same later.
    """
    # Defaulted if any observation says so.
    outcomes = (core_select(col(LoanOutcome.application_id),
                            func.max(cast(col(LoanOutcome.defaulted), Integer))
                            .label("defaulted"))
                .join(OutcomeLoad, col(OutcomeLoad.id) == col(LoanOutcome.load_id)))
    if outcomes_until is not None:
        outcomes = outcomes.where(col(OutcomeLoad.loaded_at) <= outcomes_until)
    defaulted = outcomes.group_by(col(LoanOutcome.application_id)).subquery()
    challenged = (col(ShadowDecision.model_version) if kind == "model"
                  else col(ShadowDecision.policy_version))
    shadows = [challenged == challenger,
               col(ShadowDecision.decided_at) >= start, col(ShadowDecision.decided_at) < end]
    if scored_until is not None:
        shadows.append(col(ShadowDecision.scored_at) <= scored_until)
    rows = session.execute(
        core_select(col(ShadowDecision.application_id), col(Decision.model_version),
                    col(Decision.outcome),
                    col(Decision.score), col(ShadowDecision.outcome), col(ShadowDecision.score),
                    defaulted.c.defaulted, col(ApplicationMonitoring.sex),
                    col(ApplicationMonitoring.age_band),
                    col(ApplicationMonitoring.national_origin))
        .join(Decision, col(Decision.id) == col(ShadowDecision.decision_id))
        .join(ApplicationMonitoring,
              col(ApplicationMonitoring.application_id) == col(ShadowDecision.application_id))
        .outerjoin(defaulted, defaulted.c.application_id == col(ShadowDecision.application_id))
        .where(*shadows, col(Decision.kind) == DecisionKind.AUTOMATED)).all()
    return pd.DataFrame(rows, columns=[
        "application_id", "champion_version", "champion_outcome", "champion_score",
        "challenger_outcome", "challenger_score", "defaulted", "sex", "age_band",
        "national_origin"]).astype({"sex": object, "age_band": object,
                                    "national_origin": object})


def _lowest_air(frame: pd.DataFrame, outcome_column: str) -> dict[str, Any]:
    """Per protected attribute, the lowest adverse impact ratio of a judged group against the
    most favoured group, under one side's decisions."""
    if frame.empty:
        return {}
    audit = audit_fairness(frame.assign(approved=frame[outcome_column] == APPROVE),
                           attributes=AIR_ATTRIBUTES, score_col=None, outcome_col=None,
                           n_boot=0)
    lowest: dict[str, Any] = {}
    for entry in audit["attributes"]:
        judged = [g for g in entry["groups"] if not g["too_small_to_judge"]]
        worst = min(judged, key=lambda g: g["air_vs_most_favoured"], default=None)
        lowest[entry["name"]] = None if worst is None else {
            "group": worst["group"], "air": worst["air_vs_most_favoured"]}
    return lowest


def compare(session: Session, *, challenger: str | None, date_from: date, date_to: date,
            scored_until: datetime | None = None,
            outcomes_until: datetime | None = None) -> dict[str, Any]:
    """The comparison over decisions made from ``date_from`` to ``date_to`` (UTC, inclusive);
    see :func:`paired_frame` for the two pins."""
    version, kind = challenger_version(session, challenger)
    start, end = _bounds(date_from, date_to)
    frame = paired_frame(session, version, start, end, kind=kind, scored_until=scored_until,
                         outcomes_until=outcomes_until)
    result = compare_decisions(frame)
    decided = session.execute(
        core_select(func.count()).select_from(Decision)
        .where(col(Decision.kind) == DecisionKind.AUTOMATED, col(Decision.created_at) >= start,
               col(Decision.created_at) < end)).scalar_one()
    return {
        "challenger_version": version,
        "challenger_kind": kind,
        # Decisions of the range with no shadow beside them: made before the challenger was
        # in use and not backfilled yet, or refused by the challenger (a request outside its
        # policy's limits) or not replayable. Left out of every figure below.
        "without_shadow": int(decided) - int(result["applications"]),
        "champion_versions": sorted({str(v) for v in frame["champion_version"].dropna()}),
        "date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
        **result,
        "adverse_impact_ratio": {"champion": _lowest_air(frame, "champion_outcome"),
                                 "challenger": _lowest_air(frame, "challenger_outcome")},
    }


def shadow_period(session: Session, version: str) -> tuple[date, date] | None:
    """The first and last decision days (UTC) ``version`` decided in shadow, if it ever did."""
    first, last = session.execute(
        core_select(func.min(col(ShadowDecision.decided_at)),
                    func.max(col(ShadowDecision.decided_at)))
        .where(col(ShadowDecision.model_version) == version)).one()
    if first is None or last is None:
        return None
    as_utc = [(d if d.tzinfo else d.replace(tzinfo=UTC)).astimezone(UTC).date()
              for d in (first, last)]
    return as_utc[0], as_utc[1]


def report_pin(session: Session, version: str, now: datetime) -> dict[str, Any] | None:
    """What a model validation report pins of model ``version``'s comparison: its shadow period and
    the moment up to which shadow decisions and outcomes count (None: never in shadow)."""
    period = shadow_period(session, version)
    if period is None:
        return None
    return {"challenger": version, "date_from": period[0].isoformat(),
            "date_to": period[1].isoformat(), "until": now.isoformat()}


def pinned(session: Session, pin: dict[str, Any]) -> dict[str, Any]:
    """The comparison a report pinned, derived again from the stored rows."""
    until = datetime.fromisoformat(pin["until"])
    result = compare(session, challenger=pin["challenger"],
                     date_from=date.fromisoformat(pin["date_from"]),
                     date_to=date.fromisoformat(pin["date_to"]), scored_until=until,
                     outcomes_until=until)
    return {**result, "scored_until": pin["until"], "outcomes_until": pin["until"]}
