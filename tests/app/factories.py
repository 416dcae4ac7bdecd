"""Insert applications, decisions, scorecard models and policies straight through the ORM.

For tests (and the reports benchmark) that need known data without going through scoring.
Every figure here is made up; names and addresses are fictitious.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlmodel import Session, select

from app.config import get_settings
from app.models import (
    Application,
    ApplicationMonitoring,
    Decision,
    DecisionPolicy,
    NoticeObligation,
    ScoringModel,
)
from app.subjects import service as subjects
from compliance.ledger import canonical_json, sha256_hex
from risk_models.artifact import (
    CATEGORICAL,
    MISSING,
    NUMERICAL,
    SPECIAL,
    Characteristic,
    CompiledScorecard,
    ScorecardBin,
    ScoreScaling,
)
from risk_models.decisions import AdverseAction
from risk_models.evaluation import calibration_table, ks_statistic, roc_auc
from risk_models.notices import due_date, notice_kind
from risk_models.policy import APPROVE, DECLINE, DEFAULT_CURRENCIES, REFER, Policy, RiskTier

MODEL_VERSION = "scorecard-test-1"
POLICY_VERSION = "policy-test-1"
APPROVE_FROM = 600.0
DECLINE_BELOW = 540.0
_ids = itertools.count(1)

REASON_CHK = {"code": "RC-CHK-01", "statement": "Checking account balance below 0",
              "characteristic": "checking_account_status", "points_lost": 30.0}
REASON_DUR = {"code": "RC-DUR-03", "statement": "Requested loan term of 24 months or more",
              "characteristic": "duration_months", "points_lost": 30.0}
REASON_HIS = {"code": "RC-HIS-02", "statement": "Delay in paying off credits in the past",
              "characteristic": "credit_history", "points_lost": 25.0}
KNOCKOUT_SANCTIONS = {"code": "KO-SANCTIONS-MATCH", "action": "decline",
                      "statement": "Sanctions screening confirmed a match"}
IDENTITY = {"full_name": "Robin Example", "date_of_birth": date(1985, 4, 12),
            "national_id": "X1234567",
            "address": {"line1": "12 Sample Lane", "line2": "Flat 3", "city": "Springfield",
                        "postal_code": "62704", "country": "US"}}


def next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):08d}"


# --- Scorecard model and policy -----------------------------------------------------------------


def _bins(rows: Sequence[tuple[str, float, float]], kind: str,
          edges: Sequence[float | None] = ()) -> tuple[ScorecardBin, ...]:
    out = []
    for i, (label, points, woe) in enumerate(rows):
        extra: dict[str, Any] = {}
        if kind == NUMERICAL and edges:
            extra = {"lower": edges[i], "upper": edges[i + 1]}
        else:
            extra = {"categories": (label,)}
        out.append(ScorecardBin(label=label, points=points, woe=woe, **extra))
    out.append(ScorecardBin(label="Special", points=25.0, woe=0.0, kind=SPECIAL))
    out.append(ScorecardBin(label="Missing", points=20.0, woe=0.0, kind=MISSING))
    return tuple(out)


def scorecard() -> CompiledScorecard:
    """Three characteristics with Special and Missing bins (range: ``score_bounds``)."""
    checking = Characteristic(
        "checking_account_status", CATEGORICAL, -1.0,
        _bins([("< 0 DM", 150.0, -0.8), ("0 <= ... < 200 DM", 170.0, -0.4),
               ("no checking account", 210.0, 1.2)], CATEGORICAL))
    duration = Characteristic(
        "duration_months", NUMERICAL, -1.0,
        _bins([("< 12", 220.0, 0.8), ("[12, 24)", 200.0, 0.1), (">= 24", 170.0, -0.6)],
              NUMERICAL, [None, 12.0, 24.0, None]), splits=(12.0, 24.0))
    history = Characteristic(
        "credit_history", CATEGORICAL, -1.0,
        _bins([("critical account", 240.0, 0.7), ("existing paid duly", 215.0, -0.1),
               ("delay in the past", 190.0, -0.1)], CATEGORICAL))
    return CompiledScorecard(
        characteristics=(checking, duration, history), intercept=-0.85,
        scaling=ScoreScaling(base_score=600.0, base_odds=50.0, pdo=20.0),
        metadata={"features": ["checking_account_status", "duration_months", "credit_history"],
                  "target": "credit_risk", "bad_value": "bad", "data_sha256": "0" * 64,
                  "trained_at": "2026-01-15T10:00:00+00:00",
                  "protected": ["personal_status_sex", "age_years", "foreign_worker"]})


def score_bounds(card: CompiledScorecard) -> tuple[float, float]:
    """Lowest and highest total points, summed over every bin of every characteristic."""
    low = sum(min(b.points for b in c.bins) for c in card.characteristics)
    high = sum(max(b.points for b in c.bins) for c in card.characteristics)
    return low, high


def validation_rows(n_rows: int, seed: int) -> dict[str, list[Any]]:
    """Out-of-fold columns as ``app.scoring.service.validation_record`` stores them."""
    rng = np.random.default_rng(seed)
    y_bad = (rng.random(n_rows) < 0.3).astype(int)
    score = np.round(rng.normal(590, 40, n_rows) - 45 * y_bad, 4)
    pd_ = 1 / (1 + np.exp((score - 540) / 30))
    sex = rng.choice(["male : single", "female : divorced/separated/married",
                      "male : married/widowed"], n_rows, p=[0.5, 0.3, 0.2])
    age = rng.integers(19, 75, n_rows)
    foreign = rng.choice(["yes", "no"], n_rows, p=[0.9, 0.1])
    return {"fold": [int(i % 5) + 1 for i in range(n_rows)], "y_bad": y_bad.tolist(),
            "probability_of_default": pd_.tolist(), "score": score.tolist(),
            "personal_status_sex": sex.tolist(), "age_years": age.tolist(),
            "foreign_worker": foreign.tolist()}


def binning_tables(card: CompiledScorecard, n_rows: int) -> dict[str, list[dict[str, Any]]]:
    tables = {}
    for c in card.characteristics:
        regular = [b for b in c.bins if b.kind == "regular"]
        rows = []
        for i, b in enumerate(c.bins):
            count = (n_rows // len(regular) + (i < n_rows % len(regular))) if b.kind == (
                "regular") else 0
            bads = round(count * (0.2 + 0.1 * i)) if count else 0
            rows.append({"bin": b.label, "kind": b.kind, "count": count,
                         "count_share": count / n_rows, "bads": bads, "goods": count - bads,
                         "event_rate": bads / count if count else 0.0, "woe": b.woe,
                         "iv": round(0.05 * (i + 1), 4) if count else 0.0, "points": b.points})
        tables[c.name] = rows
    return tables


def add_model(session: Session, *, version: str = MODEL_VERSION, n_rows: int = 400,
              seed: int = 0, status: str = "champion") -> ScoringModel:
    """A registered scorecard with validation data shaped like a German-credit training run."""
    card = scorecard()
    oof = validation_rows(n_rows, seed)
    y, p = np.array(oof["y_bad"]), np.array(oof["probability_of_default"])
    tables = binning_tables(card, n_rows)
    iv = {name: round(sum(r["iv"] for r in rows), 6) for name, rows in tables.items()}
    auc = roc_auc(y, p)
    metrics = {"n_rows": n_rows, "n_bad": int(y.sum()), "bad_rate": float(y.mean()),
               "cv_folds": 5, "cv_repeats": 1, "cv_auc": auc - 0.004, "cv_auc_std": 0.021,
               "gini": 2 * (auc - 0.004) - 1, "ks": ks_statistic(y, p), "oof_auc": auc,
               "holdout_auc": auc - 0.01, "total_iv": sum(iv.values()),
               "calibration": calibration_table(y, p, np.array(oof["score"]))}
    validation = {"binning_tables": tables, "iv_by_characteristic": iv, "oof": oof}
    artifact = card.to_json().decode()
    model = ScoringModel(
        version=version, status=status, trained_by="1",
        trained_at=datetime(2026, 1, 15, 10, 0, tzinfo=UTC), data_sha256="ab" * 32,
        data_name="german_credit.csv (Statlog German Credit Data)", target="credit_risk",
        protected_columns=json.dumps(["personal_status_sex", "age_years", "foreign_worker"]),
        params="{}", metrics=canonical_json(metrics), artifact=artifact,
        artifact_sha256=card.artifact_sha256, validation=canonical_json(validation))
    session.add(model)
    session.flush()
    return model


def policy(version: str = POLICY_VERSION, approve_from: float = APPROVE_FROM,
           decline_below: float = DECLINE_BELOW) -> Policy:
    return Policy(version=version, currencies=dict(DEFAULT_CURRENCIES), tiers=(
        RiskTier("low", approve_from, APPROVE, Decimal("0.069")),
        RiskTier("medium", decline_below, REFER, Decimal("0.099")),
        RiskTier("high", None, DECLINE, Decimal("0.149"))))


def add_policy(session: Session, *, version: str = POLICY_VERSION,
               approve_from: float = APPROVE_FROM, decline_below: float = DECLINE_BELOW,
               status: str = "champion") -> DecisionPolicy:
    body = policy(version, approve_from, decline_below).to_json().decode()
    record = DecisionPolicy(version=version, status=status, created_by="1", body=body,
                            sha256=sha256_hex(body))
    session.add(record)
    session.flush()
    return record


# --- Applications and decisions -----------------------------------------------------------------


def application_row(*, app_id: str, submitted_by: str, submitted_at: datetime, status: str,
                    outcome: str, risk_tier: str | None = "high",
                    amount: Decimal = Decimal("5000.00"), currency: str = "EUR",
                    term_months: int = 36, purpose: str = "car_used",
                    model_version: str | None = MODEL_VERSION,
                    submitted_by_role: str = "loan_officer") -> dict[str, Any]:
    """Column values of one ``applications`` row (for ORM objects or bulk inserts)."""
    return {"id": app_id, "submitted_at": submitted_at, "submitted_by": submitted_by,
            "submitted_by_role": submitted_by_role, "idempotency_key": None,
            "request_sha256": hashlib.sha256(app_id.encode()).hexdigest(), "status": status,
            "outcome": outcome, "risk_tier": risk_tier, "amount": amount, "currency": currency,
            "term_months": term_months, "purpose": purpose, "characteristics": {},
            "derivation": {}, "cleansing": [], "duplicate_flags": [],
            "national_id_digest": hashlib.sha256(b"nid" + app_id.encode()).hexdigest(),
            "name_dob_digest": hashlib.sha256(b"ndob" + app_id.encode()).hexdigest(),
            "model_version": model_version, "policy_version": POLICY_VERSION, "inputs": {}}


def decision_row(*, decision_id: str, app_id: str, kind: str, created_at: datetime,
                 outcome: str, risk_tier: str | None, score: float | None,
                 reasons: Sequence[dict[str, Any]] = (),
                 knockouts: Sequence[dict[str, Any]] = (),
                 counteroffer: dict[str, Any] | None = None,
                 model_version: str | None = MODEL_VERSION, decided_by: str = "system",
                 decided_by_role: str = "system") -> dict[str, Any]:
    """Column values of one ``decisions`` row."""
    pd_ = None if score is None else float(1 / (1 + np.exp((score - 540) / 30)))
    adverse = None
    if outcome == "decline":
        adverse = "counteroffer" if counteroffer is not None else "decline"
    # As a decision record states them: knock-outs first, at most four.
    stated = [{**k, "kind": "knockout"} for k in knockouts] + list(reasons)
    record = {"outcome": outcome, "adverse_action": adverse, "reasons": stated[:4],
              "knockouts": list(knockouts), "terms": None, "counteroffer": counteroffer,
              "incomplete": [], "score_used": bool(reasons), "key_factors": [
                  r for r in reasons if r.get("characteristic")],
              # As the decision service records it (read back by the application's answer).
              "affordability": {"monthly_installment": "220.00", "disposable_income": "2100.00",
                                "installment_ratio": "0.1048", "debt_to_income": "0.2857",
                                "reference_apr": "0.0790", "currency": "EUR"}}
    return {"id": decision_id, "application_id": app_id, "kind": kind, "created_at": created_at,
            "outcome": outcome, "risk_tier": risk_tier, "score": score,
            "probability_of_default": pd_,
            "model_version": model_version, "policy_version": POLICY_VERSION,
            "decided_by": decided_by, "decided_by_role": decided_by_role,
            "adverse_action": adverse, "reason_catalog_version": None, "record": record}


def add_application(session: Session, *, submitted_by: str, submitted_at: datetime,
                    outcome: str, status: str = "decided", risk_tier: str | None = "high",
                    score: float | None = 520.0, reasons: Sequence[dict[str, Any]] = (),
                    knockouts: Sequence[dict[str, Any]] = (),
                    counteroffer: dict[str, Any] | None = None,
                    monitoring: dict[str, Any] | None = None,
                    identity: dict[str, Any] | None = None, app_id: str | None = None,
                    **application: Any) -> tuple[Application, Decision]:
    """An application with its identity, monitoring data and automated decision."""
    app_id = app_id or next_id("APP")
    record = Application(**application_row(
        app_id=app_id, submitted_by=submitted_by, submitted_at=submitted_at, status=status,
        outcome=outcome, risk_tier=risk_tier, **application))
    session.add(record)
    session.flush()  # no ORM relationship orders the inserts, so the parent goes first
    ident = {**IDENTITY, **(identity or {})}
    subjects.store_identity(session, get_settings(), record, {
        "full_name": ident["full_name"], "date_of_birth": ident["date_of_birth"].isoformat(),
        "national_id": ident["national_id"], "address": ident["address"], "contact": {},
        "co_applicant": None, "guarantor": None})
    groups = {"sex": "female", "age_band": "25-39", "national_origin": "domestic",
              "nationality": None, **(monitoring or {})}
    session.add(ApplicationMonitoring(application_id=app_id, **groups))
    session.flush()
    automated_outcome = "refer" if status in ("referred", "reviewed") else outcome
    decision = add_decision(session, app_id=app_id, kind="automated", created_at=submitted_at,
                            outcome=automated_outcome, risk_tier=risk_tier, score=score,
                            reasons=reasons, knockouts=knockouts, counteroffer=counteroffer)
    return record, decision


def add_decision(session: Session, note: str | None = None, **fields: Any) -> Decision:
    """One decision row; ``decision_id`` defaults to a fresh id; a note is sealed under the
    applicant's key. An adverse decision opens its notice obligation, as the service's
    decisions do."""
    fields.setdefault("decision_id", next_id("DEC"))
    decision = Decision(**decision_row(**fields))
    if note is not None:
        decision.note_sealed = subjects.seal_note(session, get_settings(), decision.application_id,
                                                  decision.id, note)
    session.add(decision)
    session.flush()
    if decision.adverse_action is not None:
        kind = notice_kind(AdverseAction(decision.adverse_action))
        session.add(NoticeObligation(
            id=next_id("NOT"), application_id=decision.application_id, decision_id=decision.id,
            kind=kind, status="pending", opened_at=decision.created_at,
            due_date=due_date(kind, decision.created_at.date())))
        session.flush()
    return decision


def change_outcome(session: Session, application: Application, *, kind: str, outcome: str,
                   at: datetime, by: str, role: str, note: str | None = None,
                   reasons: Sequence[dict[str, Any]] = ()) -> Decision:
    """A review or override: a new decision and the application's new current outcome."""
    decision = add_decision(session, app_id=application.id, kind=kind, created_at=at,
                            outcome=outcome, risk_tier=application.risk_tier, score=None,
                            model_version=None, decided_by=by, decided_by_role=role, note=note,
                            reasons=reasons)
    application.outcome = outcome
    application.status = "reviewed" if kind == "review" else application.status
    session.add(application)
    if outcome == "approve":  # an approval withdraws the notices still owed, as the service does
        for obligation in session.exec(select(NoticeObligation).where(
                NoticeObligation.application_id == application.id)):
            obligation.status = "withdrawn"
            session.add(obligation)
    session.flush()
    return decision
