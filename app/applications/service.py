"""Submitting an application: validate against policy, cleanse, derive features, score, decide,
detect duplicates, and store application, decision and ledger event in one transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.applications import repository
from app.applications.cleansing import cleanse
from app.applications.schemas import ApplicationCreate
from app.audit.service import append_event
from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, Unprocessable
from app.models import ApplicantIdentity, Application, ApplicationMonitoring, Decision
from app.scoring import repository as scoring_repository
from app.scoring.service import LoadedModel, load_active_model
from compliance.fairness import age_band_on
from compliance.ledger import sha256_hex
from risk_models.decisions import decide
from risk_models.features import derive_characteristics
from risk_models.policy import Policy

DUPLICATE_WINDOW = timedelta(days=90)
_policy_cache: dict[str, Policy] = {}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal | date | datetime):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, sort_keys=True, separators=(",", ":"))


def keyed_digest(settings: Settings, purpose: str, value: str) -> str:
    """HMAC-SHA256 of personal data: comparable for duplicate checks, yet not reversible by
    guessing (a plain hash of a national id could be brute-forced from its small space)."""
    key = hashlib.sha256(b"riskdesk-pii:" + settings.secret_key.get_secret_value().encode())
    return hmac.new(key.digest(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def load_active_policy(session: Session) -> Policy:
    """The active policy, parsed once per process per version (checked against its hash)."""
    ref = scoring_repository.active_policy_ref(session)
    if ref is None:
        raise ServiceUnavailable("no decision policy is active; train a model with "
                                 "`riskdesk train` (or run `make demo`)", code="no_active_policy")
    version, sha256 = ref
    policy = _policy_cache.get(sha256)
    if policy is None:
        row = scoring_repository.policy_by_version(session, version)
        assert row is not None  # the reference above came from the same row
        if sha256_hex(row.body) != sha256:
            raise ServiceUnavailable(f"policy {version}'s body does not match its recorded "
                                     "sha256; refusing to decide with it", code="policy_integrity")
        policy = _policy_cache.setdefault(sha256, Policy.from_json(row.body))
    return policy


def _check_against_policy(document: dict[str, Any], policy: Policy) -> None:
    """What the policy does not lend at all is a bad request (422), not a decline."""
    loan = document["loan"]
    problems = []
    rule = policy.currencies.get(loan["currency"])
    if rule is None:
        problems.append({"field": "loan.currency", "type": "unsupported_currency",
                         "message": f"currency {loan['currency']} is not lent under policy "
                                    f"{policy.version}; supported: "
                                    + ", ".join(sorted(policy.currencies))})
    elif not rule.min_amount <= loan["amount"] <= rule.max_amount:
        problems.append({"field": "loan.amount", "type": "amount_outside_policy",
                         "message": f"amount must be between {rule.min_amount} and "
                                    f"{rule.max_amount} {loan['currency']}"})
    if not policy.min_term_months <= loan["term_months"] <= policy.max_term_months:
        problems.append({"field": "loan.term_months", "type": "term_outside_policy",
                         "message": f"term must be between {policy.min_term_months} and "
                                    f"{policy.max_term_months} months"})
    if problems:
        raise Unprocessable("the request is outside the lending policy; check: "
                            + ", ".join(p["field"] for p in problems),
                            code="validation_error", details=problems)


def _lock_idempotency_key(session: Session, submitted_by: str, key: str) -> None:
    # Two concurrent retries with one key must not both create an application. SQLite already
    # serialises writers; PostgreSQL takes a transaction lock on the key.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                        {"k": f"idem:{submitted_by}:{key}"})


def _national_origin(nationality: str | None, domestic_country: str) -> str:
    if nationality is None:
        return "unknown"
    return "domestic" if nationality == domestic_country else "foreign"


def _terms_record(terms: Any, max_amount: Decimal | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    record = terms.to_dict()
    record["max_affordable_amount"] = None if max_amount is None else str(max_amount)
    record["affordable"] = None if max_amount is None else terms.amount <= max_amount
    return record


def submit(session: Session, settings: Settings, actor: Principal, body: ApplicationCreate,
           idempotency_key: str | None) -> tuple[Application, bool]:
    """Decide a new application; returns it and whether it is a replay of an earlier request."""
    request_sha256 = sha256_hex(_dumps(body.model_dump(mode="json")))
    if idempotency_key is not None:
        _lock_idempotency_key(session, actor.actor_id, idempotency_key)
        earlier = repository.by_idempotency_key(session, actor.actor_id, idempotency_key)
        if earlier is not None:
            if earlier.request_sha256 != request_sha256:
                raise Conflict("this Idempotency-Key was used for a different request; use a "
                               "new key for a new application", code="idempotency_key_reused")
            return earlier, True

    document, changes = cleanse(body.model_dump())
    policy = load_active_policy(session)
    _check_against_policy(document, policy)
    model: LoadedModel = load_active_model(session)
    now = datetime.now(UTC)
    as_of = now.date()
    derivation = derive_characteristics(document, as_of=as_of, policy=policy)
    scored = model.scorer.score_applicant(derivation.characteristics)
    decision = decide(policy, scored, derivation, document, as_of)

    kyc = document["kyc"]
    national_id_digest = keyed_digest(settings, "national_id", kyc["national_id"])
    name_dob_digest = keyed_digest(settings, "name_dob",
                                   f"{kyc['full_name'].casefold()}|{kyc['date_of_birth']}")
    duplicates = [
        {"kind": "national_id" if a.national_id_digest == national_id_digest
         else "name_and_date_of_birth", "application_id": a.id,
         "submitted_at": a.submitted_at.isoformat()}
        for a in repository.possible_duplicates(
            session, national_id_digest=national_id_digest, name_dob_digest=name_dob_digest,
            since=now - DUPLICATE_WINDOW)]

    loan = document["loan"]
    max_amount = decision.max_affordable_amount
    application = Application(
        id=uuid.uuid4().hex, submitted_at=now, submitted_by=actor.actor_id,
        submitted_by_role=str(actor.role), idempotency_key=idempotency_key,
        request_sha256=request_sha256,
        status="referred" if decision.outcome == "refer" else "decided",
        outcome=decision.outcome, risk_tier=decision.risk_tier, score=decision.score,
        amount=loan["amount"],
        currency=loan["currency"], term_months=loan["term_months"], purpose=loan["purpose"],
        characteristics=_dumps(derivation.characteristics),
        derivation=_dumps({**derivation.to_dict(), "score_breakdown": scored.to_dict()}),
        cleansing=_dumps(changes), duplicate_flags=_dumps(duplicates),
        national_id_digest=national_id_digest, name_dob_digest=name_dob_digest,
        model_version=model.version, policy_version=policy.version)
    session.add(application)
    # The rows below reference the application; without relationships declared, the unit of
    # work does not order inserts by foreign key, so the application is written first.
    session.flush()
    session.add(ApplicantIdentity(
        application_id=application.id, full_name=kyc["full_name"],
        date_of_birth=kyc["date_of_birth"], national_id=kyc["national_id"],
        address=_dumps(kyc["address"]), contact=_dumps(kyc["contact"]),
        co_applicant=_dumps(document["co_applicant"]) if document["co_applicant"] else None,
        guarantor=_dumps(document["guarantor"]) if document["guarantor"] else None))
    monitoring = document.get("monitoring") or {}
    nationality = monitoring.get("nationality")
    session.add(ApplicationMonitoring(
        application_id=application.id, sex=monitoring.get("sex") or "not_provided",
        nationality=nationality, age_band=age_band_on(kyc["date_of_birth"], as_of),
        national_origin=_national_origin(nationality, settings.domestic_country)))
    row = Decision(
        id=uuid.uuid4().hex, application_id=application.id, kind="automated", created_at=now,
        outcome=decision.outcome, risk_tier=decision.risk_tier, score=decision.score,
        probability_of_default=decision.probability_of_default,
        reasons=_dumps([_reason_record(r) for r in decision.reasons]),
        knockouts=_dumps([k.to_dict() for k in decision.knockouts]),
        terms=_dumps(_terms_record(decision.terms, max_amount)) if decision.terms else None,
        counteroffer=_dumps(_terms_record(decision.counteroffer, max_amount))
        if decision.counteroffer else None,
        model_version=model.version, policy_version=policy.version, decided_by="system",
        decided_by_role="system")
    session.add(row)
    append_event(session, actor, "application.decided", "application", application.id, {
        "decision_id": row.id, "outcome": decision.outcome, "risk_tier": decision.risk_tier,
        "score": round(decision.score, 6),
        "probability_of_default": round(decision.probability_of_default, 9),
        "reason_codes": [r.code for r in decision.reasons],
        "knockout_codes": [k.code for k in decision.knockouts],
        "counteroffer": decision.counteroffer is not None,
        "model_version": model.version, "model_artifact_sha256": model.artifact_sha256,
        "policy_version": policy.version, "policy_sha256": policy.sha256,
        "request_sha256": request_sha256,
        "characteristics_sha256": sha256_hex(application.characteristics),
        "applicant_digest": national_id_digest,
        "duplicate_of": [d["application_id"] for d in duplicates]})
    return application, False


def _reason_record(reason: Any) -> dict[str, Any]:
    return {"code": reason.code, "statement": reason.statement,
            "characteristic": reason.characteristic,
            "points_lost": None if reason.points_below_best is None
            else round(reason.points_below_best, 4)}


# --- Reading -----------------------------------------------------------------------------------


def get_for(session: Session, actor: Principal, application_id: str) -> Application:
    """The application, if ``actor`` may see it; loan officers see only their own."""
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application_not_found")
    if actor.role == Role.LOAN_OFFICER and application.submitted_by != actor.actor_id:
        raise Forbidden("loan officers see only the applications they submitted",
                        code="not_your_application")
    return application


def record_view(session: Session, actor: Principal, application: Application) -> None:
    """Reading an application is recorded: its decision trail is personal financial data."""
    append_event(session, actor, "application.viewed", "application", application.id, {})


# --- Underwriter review ------------------------------------------------------------------------


def review(session: Session, actor: Principal, application_id: str, *, outcome: str, note: str,
           reason_codes: list[str]) -> Decision:
    """An underwriter decides a referred application, or overrides an automated decision."""
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application_not_found")
    decisions = repository.decisions_of(session, application_id)
    automated = decisions[0]
    kind = "review" if application.status == "referred" else "override"
    if kind == "override" and application.outcome == outcome:
        raise Conflict(f"the application is already {outcome}d", code="nothing_to_override")
    reasons = json.loads(automated.reasons)
    knockouts = json.loads(automated.knockouts)
    if outcome == "decline":
        known = {r["code"]: r for r in reasons + knockouts}
        unknown = [c for c in reason_codes if c not in known]
        if unknown or not reason_codes:
            raise Unprocessable(
                "a decline needs one to four principal reason codes from the automated "
                "decision's reasons: " + ", ".join(sorted(known) or ["(none)"]),
                code="reason_codes_required", details={"unknown": unknown})
        reasons = [{"code": c, "statement": known[c]["statement"],
                    "characteristic": known[c].get("characteristic"),
                    "points_lost": known[c].get("points_lost")} for c in reason_codes]
    else:
        reasons = []
    now = datetime.now(UTC)
    row = Decision(
        id=uuid.uuid4().hex, application_id=application_id, kind=kind, created_at=now,
        outcome=outcome, risk_tier=automated.risk_tier, score=automated.score,
        probability_of_default=automated.probability_of_default, reasons=_dumps(reasons),
        knockouts=automated.knockouts if outcome == "decline" else "[]",
        terms=automated.terms if outcome == "approve" else None,
        counteroffer=None, model_version=automated.model_version,
        policy_version=automated.policy_version, decided_by=actor.actor_id,
        decided_by_role=str(actor.role), note=note)
    session.add(row)
    previous_outcome = application.outcome
    application.outcome = outcome
    application.status = "reviewed"
    session.add(application)
    session.flush()
    append_event(session, actor, f"decision.{kind}", "application", application_id, {
        "decision_id": row.id, "from_outcome": previous_outcome, "to_outcome": outcome,
        "reason_codes": [r["code"] for r in reasons], "note_sha256": sha256_hex(note)})
    return row
