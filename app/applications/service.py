"""Submitting an application: validate against policy, cleanse, derive features, score, decide,
detect duplicates, and store application, decision and ledger event in one transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app import digests
from app.applications import repository
from app.applications.catalogs import catalog_sha256, reason_catalog
from app.applications.cleansing import cleanse
from app.applications.states import ApplicationStatus, DecisionKind
from app.audit.service import append_event
from app.auth.four_eyes import require_not_submitter
from app.auth.principal import Principal
from app.auth.scope import check_own_application
from app.config import Settings
from app.db import JSONText, insert_row
from app.errors import Conflict, NotFound, Unprocessable
from app.models import (
    Application,
    ApplicationMonitoring,
    Decision,
    FourEyesApproval,
    NoticeObligation,
    ReviewCase,
)
from app.notices import service as notices_service
from app.reviews import service as reviews
from app.reviews.states import ApprovalState, CaseKind
from app.scoring import shadow
from app.scoring.service import (
    LoadedModel,
    load_in_use,
    load_model_by_version,
    load_policy_version,
)
from app.screening import service as screening_service
from app.subjects import service as subjects
from compliance.fairness import age_band_on
from compliance.ledger import canonical_json, sha256_hex
from risk_models.decisions import (
    AdverseAction,
    DecisionRecord,
    OutsidePolicyError,
    approval_offer,
    approval_refusals,
    decide_application,
    outcome_if_counteroffer_accepted,
)
from risk_models.document import (
    ApplicationDocument,
    ApplicationInputs,
    Monitoring,
    SanctionsScreening,
)
from risk_models.notices import NoticeKind
from risk_models.policy import APPROVE, DECLINE, REFER, Policy
from risk_models.reasons import ReasonCatalog

DUPLICATE_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class Submission:
    """A submitted application, its automated decision row, the notices it opened and the data
    subject its personal data is sealed for; a replayed idempotent retry carries only the
    application."""

    application: Application
    decision: Decision | None
    replayed: bool
    notices: list[NoticeObligation] = field(default_factory=list)
    subject_id: str | None = None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal | date | datetime):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, sort_keys=True, separators=(",", ":"))


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


def decide(inputs: ApplicationInputs, model: LoadedModel, policy: Policy,
           catalog: ReasonCatalog, as_of: date) -> DecisionRecord:
    """The decision record for ``inputs``; a request outside the policy's limits is a 422."""
    try:
        return decide_application(inputs, scorer=model.scorer, policy=policy, catalog=catalog,
                                  as_of=as_of)
    except OutsidePolicyError as exc:
        raise Unprocessable(str(exc), code="validation_error",
                            details=[v.to_dict() for v in exc.violations]) from exc


def submit(session: Session, settings: Settings, actor: Principal,
           body: ApplicationDocument, idempotency_key: str | None) -> Submission:
    """Decide a new application and store it with its decision, notices and ledger event."""
    request_sha256 = sha256_hex(_dumps(body.model_dump(mode="json")))
    if idempotency_key is not None:
        _lock_idempotency_key(session, actor.actor_id, idempotency_key)
        earlier = repository.by_idempotency_key(session, actor.actor_id, idempotency_key)
        if earlier is not None:
            if earlier.request_sha256 != request_sha256:
                raise Conflict("this Idempotency-Key was used for a different request; use a "
                               "new key for a new application", code="idempotency_key_reused")
            return Submission(earlier, None, True)

    if body.monitoring is not None and settings.monitoring_collection == "off":
        raise Unprocessable(
            "this lender does not collect monitoring data (sex, marital status, nationality); "
            "leave out the monitoring block", code="monitoring_not_collected",
            details=[{"field": "monitoring", "type": "monitoring_not_collected",
                      "message": "not collected under RISKDESK_MONITORING_COLLECTION=off"}])
    changes = cleanse(body)
    # Every party is screened against the lists in force; the stricter of the caller's status
    # and ours is the one the decision reads and the inputs keep (so a replay reads it too).
    screening = screening_service.screen_application(session, settings, body)
    body = _with_screening_status(body, screening)
    in_use = load_in_use(session)
    model, policy = in_use.model, in_use.policy
    catalog = reason_catalog(session)
    now = datetime.now(UTC)
    as_of = now.date()
    inputs = body.inputs(as_of=as_of, minimum_age=policy.minimum_age)
    record = decide(inputs, model, policy, catalog, as_of)
    # Made only once the champion has decided, from the same inputs, and kept apart from
    # everything the decision is answered and proven from.
    shadow_record = (None if in_use.shadow is None
                     else shadow.shadow_record(inputs, *in_use.shadow, catalog, as_of))

    kyc = body.kyc
    national_id_digest = (None if kyc.national_id is None
                          else digests.national_id_digest(settings, kyc.national_id))
    name_dob_digest = digests.name_dob_digest(settings, kyc.full_name, kyc.date_of_birth)
    duplicates = [
        {"kind": "national_id" if national_id_digest is not None
         and a.national_id_digest == national_id_digest else "name_and_date_of_birth",
         "application_id": a.id,
         "submitted_at": a.submitted_at.isoformat()}
        for a in repository.possible_duplicates(
            session, national_id_digest=national_id_digest, name_dob_digest=name_dob_digest,
            since=now - DUPLICATE_WINDOW)]

    # The rows are written with Core inserts, in foreign-key order, and the answer is built
    # from these same in-memory rows: nothing is read back.
    loan = body.loan
    stored = record.to_dict()
    kept_inputs = inputs.model_dump(mode="json")
    # The JSON the ledger event hashes is the JSON stored: serialised once.
    as_json = {"record": JSONText(canonical_json(stored)),
               "inputs": JSONText(canonical_json(kept_inputs)),
               "characteristics": JSONText(canonical_json(stored["characteristics"]))}
    application = insert_row(session, Application, {
        "id": uuid.uuid4().hex, "submitted_at": now, "submitted_by": actor.actor_id,
        "submitted_by_role": str(actor.role), "idempotency_key": idempotency_key,
        "request_sha256": request_sha256, "status": str(initial_status(record)),
        "outcome": record.outcome, "risk_tier": record.risk_tier, "score": record.score,
        "amount": loan.amount, "currency": loan.currency, "term_months": loan.term_months,
        "purpose": loan.purpose, "characteristics": stored["characteristics"],
        "derivation": record.derivation.to_dict(), "cleansing": changes,
        "duplicate_flags": duplicates, "national_id_digest": national_id_digest,
        "name_dob_digest": name_dob_digest, "model_version": model.version,
        "policy_version": policy.version, "inputs": kept_inputs},
        {"inputs": as_json["inputs"], "characteristics": as_json["characteristics"]})
    identity = subjects.keep_identity(session, settings, application, body)
    # No monitoring block is every voluntary field not provided.
    monitoring = body.monitoring or Monitoring()
    insert_row(session, ApplicationMonitoring, {
        "application_id": application.id, "sex": monitoring.sex,
        "marital_status": monitoring.marital_status, "nationality": monitoring.nationality,
        "age_band": age_band_on(kyc.date_of_birth, as_of),
        "national_origin": _national_origin(monitoring.nationality, settings.domestic_country)})
    row = insert_row(session, Decision, {
        "id": uuid.uuid4().hex, "application_id": application.id,
        "kind": DecisionKind.AUTOMATED, "created_at": now, "outcome": record.outcome,
        "risk_tier": record.risk_tier, "score": record.score,
        "probability_of_default": record.probability_of_default,
        "model_version": model.version, "policy_version": policy.version,
        "decided_by": "system", "decided_by_role": "system", "note_sealed": None,
        "adverse_action": stored["adverse_action"],
        "reason_catalog_version": catalog.version, "record": stored},
        {"record": as_json["record"]})
    shadow.store_scored(session, application.id, model.version, record, now)
    if shadow_record is not None and in_use.shadow is not None:
        shadow.store_shadows(session, [shadow.shadow_row(
            application.id, row.id, now, *in_use.shadow, shadow_record, shadow.LIVE, now)])
    notices = notices_service.open_for(session, actor, row, now)
    append_event(session, actor, "application.decided", "application", application.id, {
        "decision_id": row.id, "outcome": record.outcome, "risk_tier": record.risk_tier,
        "score": round(record.score, 6),
        "probability_of_default": round(record.probability_of_default, 9),
        "adverse_action": stored["adverse_action"],
        "reason_codes": [r.code for r in record.reasons],
        "knockout_codes": [k.code for k in record.knockouts],
        "counteroffer": record.counteroffer is not None,
        "model_version": model.version, "model_artifact_sha256": model.artifact_sha256,
        "policy_version": policy.version, "policy_sha256": policy.sha256,
        "reason_catalog_version": catalog.version, "reason_catalog_sha256": catalog_sha256(catalog),
        "request_sha256": request_sha256,
        "inputs_sha256": sha256_hex(as_json["inputs"]),
        "record_sha256": sha256_hex(as_json["record"]),
        "characteristics_sha256": sha256_hex(as_json["characteristics"]),
        "applicant_digest": national_id_digest or name_dob_digest,
        "notice_ids": [n.id for n in notices],
        "duplicate_of": [d["application_id"] for d in duplicates],
        "screening": screening.summary()}, rows=(application, row))
    screening_service.record(session, screening.parties, screening.lists,
                             application_id=application.id, purpose="application", actor=actor,
                             now=now)
    if screening.status == screening_service.POTENTIAL:
        reviews.open_case(session, actor, application.id, CaseKind.SANCTIONS_MATCH,
                          policy.review_rules, screening_case_detail(row, screening), now)
    elif application.status == ApplicationStatus.REFERRED:
        open_referral(session, actor, application.id, row, policy, now)
    return Submission(application, row, False, notices, identity.subject_id)


def _with_screening_status(body: ApplicationDocument,
                           screening: screening_service.ApplicationScreening,
                           ) -> ApplicationDocument:
    """``body`` with the screening status that stands; unchanged when it is the caller's."""
    sent = body.kyc.sanctions_screening
    if screening.status == sent.status:
        return body
    stands = SanctionsScreening(status=screening.status,
                                reference="riskdesk-screening", screened_at=None)
    return body.model_copy(update={"kyc": body.kyc.model_copy(
        update={"sanctions_screening": stands})})


def screening_case_detail(decision: Decision,
                          screening: screening_service.ApplicationScreening) -> dict[str, Any]:
    """What a sanctions case says of what opened it: the matches by entry and score (no
    names), and the caller's own status (a case opens on the caller's potential match too)."""
    return {"decision_id": decision.id, "source": "application",
            "caller_status": screening.caller_status,
            "parties": [p.summary() for p in screening.parties if p.status != "clear"]}


def open_referral(session: Session, actor: Principal, application_id: str, decision: Decision,
                   policy: Policy, now: datetime) -> None:
    """A referral is a case in the underwriters' queue, opened with the decision; while a
    sanctions case is open on the application, its disposition opens the referral instead."""
    if any(reviews.open_case_of(session, application_id, kind) is not None
           for kind in (CaseKind.SANCTIONS_MATCH, CaseKind.REFERRAL)):
        return
    reviews.open_case(session, actor, application_id, CaseKind.REFERRAL, policy.review_rules, {
        "decision_id": decision.id,
        "reason_codes": [r["code"] for r in decision.record.get("reasons", [])],
        "knockout_codes": [k["code"] for k in decision.record.get("knockouts", [])]}, now)


def initial_status(record: DecisionRecord) -> ApplicationStatus:
    """Where a freshly decided application stands in its workflow."""
    if record.adverse_action == AdverseAction.INCOMPLETE:
        return ApplicationStatus.INCOMPLETE
    if record.adverse_action == AdverseAction.COUNTEROFFER:
        return ApplicationStatus.COUNTEROFFERED
    return ApplicationStatus.REFERRED if record.outcome == REFER else ApplicationStatus.DECIDED


# --- Reading -----------------------------------------------------------------------------------


def get_for(session: Session, actor: Principal, application_id: str) -> Application:
    """The application, if ``actor`` may see it (:mod:`app.auth.scope`)."""
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application_not_found")
    check_own_application(actor, application)
    return application


def record_view(session: Session, actor: Principal, application: Application) -> None:
    """Reading an application is recorded: its decision trail is personal financial data."""
    append_event(session, actor, "application.viewed", "application", application.id, {})


# --- Underwriter review ------------------------------------------------------------------------


def _review_reasons(automated: Decision, catalog: ReasonCatalog,
                    reason_codes: list[str]) -> list[dict[str, Any]]:
    """A decline's reasons: codes of the automated decision's reasons and knock-outs, or of the
    underwriters' catalogue of human reasons; at least one and at most four (the schema)."""
    known = {r["code"]: r for r in automated.record.get("reasons", [])
             + automated.record.get("knockouts", [])}
    chosen, unknown = [], []
    for code in reason_codes:
        if code in known:
            chosen.append({"code": code, "statement": known[code]["statement"],
                           "kind": known[code].get("kind", "knockout"),
                           "characteristic": known[code].get("characteristic")})
            continue
        try:
            chosen.append(catalog.underwriter_reason(code).to_dict())
        except KeyError:
            unknown.append(code)
    if unknown or not chosen:
        raise Unprocessable(
            "a decline needs one to four reason codes, from the automated decision ("
            + (", ".join(sorted(known)) or "none") + ") or the underwriter reasons ("
            + ", ".join(catalog.underwriter_codes()) + ")",
            code="reason_codes_required", details={"unknown": unknown})
    return chosen


def review(session: Session, settings: Settings, actor: Principal, application_id: str, *,
           outcome: str, note: str, reason_codes: list[str]) -> Decision | FourEyesApproval:
    """An underwriter decides a referred application, or overrides an automated decision.

    An approval is priced by the rules of an automated approval at the decision's own tier; a
    decline states its reasons and opens its notice obligation; an approval withdraws notices
    still owed for the decision it replaces. A referral is decided through its case, which the
    underwriter holds (an open case is claimed on the way). A decision the policy's four-eyes
    rules cover (app.reviews.service.four_eyes_rules) is not written: it waits, as a proposal,
    for a second underwriter, and the applicant's outcome does not change until then.
    """
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application_not_found")
    require_not_submitter(application.submitted_by, actor)
    reviews.require_no_open_sanctions_case(session, application_id)
    decisions = repository.decisions_of(session, application_id)
    automated = decisions[0]
    now = datetime.now(UTC)
    case = reviews.open_case_of(session, application_id)
    if case is not None:
        reviews.holder_check(session, actor, case, now)
    kind = (DecisionKind.REVIEW if application.status in (ApplicationStatus.REFERRED,
                                                          ApplicationStatus.INCOMPLETE)
            else DecisionKind.OVERRIDE)
    if kind == DecisionKind.OVERRIDE and application.outcome == outcome:
        raise Conflict(f"the application is already {outcome}d", code="nothing_to_override")
    catalog = reason_catalog(session)
    record = _review_record(session, application, decisions, catalog, outcome, reason_codes)
    policy = load_policy_version(session, automated.policy_version)
    decision_id = uuid.uuid4().hex
    note_sealed = subjects.seal_note(session, settings, application_id, decision_id, note)
    rules = reviews.four_eyes_rules(
        previous_outcome=application.outcome, outcome=outcome, kind=kind,
        currency=application.currency, amount=_approved_amount(application, record),
        rules=policy.review_rules)
    if rules:
        proposal = {"kind": str(kind), "decision_id": decision_id, "record": record,
                    "after_decision_id": decisions[-1].id,
                    "reason_catalog_version": catalog.version, "note_sha256": sha256_hex(note)}
        return reviews.propose(session, actor, application_id=application_id, case=case,
                               rules=rules, proposal=proposal, note_sealed=note_sealed,
                               note_sha256=sha256_hex(note), now=now)
    return write_review(session, actor, application, automated, kind=kind, record=record,
                         decision_id=decision_id, note_sealed=note_sealed,
                         note_sha256=sha256_hex(note), catalog_version=catalog.version,
                         case=case, now=now)


def _approved_amount(application: Application, record: dict[str, Any]) -> Decimal:
    terms = record.get("terms") or {}
    return Decimal(str(terms.get("amount", application.amount)))


def _review_record(session: Session, application: Application, decisions: list[Decision],
                   catalog: ReasonCatalog, outcome: str,
                   reason_codes: list[str]) -> dict[str, Any]:
    """What an underwriter's decision records: a decline's reasons, or an approval's terms
    (the accepted counteroffer's, or priced like an automated approval at the decision's tier;
    refused when a knock-out or the policy forbids approving)."""
    automated = decisions[0]
    accepted = next((d for d in reversed(decisions)
                     if d.kind == DecisionKind.COUNTEROFFER_ACCEPTED), None)
    record: dict[str, Any] = {"outcome": outcome, "reasons": [], "knockouts": [],
                              "terms": None, "counteroffer": None, "incomplete": []}
    if outcome == DECLINE:
        record["reasons"] = _review_reasons(automated, catalog, reason_codes)
        record["knockouts"] = automated.record.get("knockouts", [])
        record["adverse_action"] = str(AdverseAction.DECLINE)
    elif accepted is not None:
        # The applicant accepted the counteroffer: those are the terms approved.
        record["terms"] = accepted.record["terms"]
        record["adverse_action"] = None
    else:
        policy = load_policy_version(session, automated.policy_version)
        inputs = ApplicationInputs.model_validate(application.inputs)
        offer = approval_offer(inputs, policy, automated.risk_tier or "")
        refusals = approval_refusals(automated.record, offer)
        if refusals:
            raise Conflict("this application cannot be approved: " + "; ".join(refusals),
                           code="not_approvable", details={"refusals": refusals})
        record["terms"] = offer.to_dict()
        record["adverse_action"] = None
    return record


def write_review(session: Session, actor: Principal, application: Application,
                  automated: Decision, *, kind: DecisionKind, record: dict[str, Any],
                  decision_id: str | None, note_sealed: bytes | None, note_sha256: str,
                  catalog_version: str, case: ReviewCase | None, now: datetime,
                  approval: FourEyesApproval | None = None) -> Decision:
    """Write an underwriter's decision: the row, the notices it settles and opens, its case
    closed, and its ledger event (naming the checker when it needed one)."""
    outcome = record["outcome"]
    previous_outcome = application.outcome
    row = _follow_up(session, actor, application, automated, kind=kind, record=record,
                     status=ApplicationStatus.REVIEWED, now=now,
                     reason_catalog_version=catalog_version, decision_id=decision_id,
                     note_sealed=note_sealed)
    # The notices still owed for what this decision replaces are no longer owed: all of them
    # on an approval; on a decline, those but a decline's own (the new one is opened below).
    superseded = ((NoticeKind.DECLINE, NoticeKind.COUNTEROFFER, NoticeKind.INCOMPLETE)
                  if outcome == APPROVE else (NoticeKind.COUNTEROFFER, NoticeKind.INCOMPLETE))
    for pending in superseded:
        notices_service.withdraw(session, actor, application.id, pending,
                                 f"superseded by the underwriter's {kind} ({outcome})")
    notices = notices_service.open_for(session, actor, row, now)
    if case is not None:
        reviews.close_for_decision(session, actor, case, row.id, now)
    four_eyes = ({"approval_id": approval.id, "maker": approval.maker_id,
                  "checker": approval.checker_id} if approval is not None else None)
    append_event(session, actor, f"decision.{kind}", "application", application.id, {
        "decision_id": row.id, "from_outcome": previous_outcome, "to_outcome": outcome,
        "reason_codes": [r["code"] for r in record["reasons"]],
        "reason_catalog_version": catalog_version, "note_sha256": note_sha256,
        "notice_ids": [n.id for n in notices], "case_id": case.id if case else None,
        "four_eyes": four_eyes}, rows=(application, row))
    return row


def approve_proposal(session: Session, checker: Principal,
                     approval_id: str) -> Decision | Conflict:
    """A second underwriter approves a proposed decision: it is written now, as its maker's,
    with the checker named. A proposal made stale by a later decision is withdrawn instead, and
    the refusal returned, not raised, so that the withdrawal commits with the answer."""
    approval = reviews.get_approval(session, approval_id)
    reviews.check_checker(session, checker, approval)
    reviews.require_no_open_sanctions_case(session, approval.application_id)
    application = session.get(Application, approval.application_id)
    assert application is not None  # the foreign key holds it
    decisions = repository.decisions_of(session, application.id)
    now = datetime.now(UTC)
    proposal = approval.proposal
    if decisions[-1].id != proposal["after_decision_id"]:
        reviews.settle(session, checker, approval, ApprovalState.WITHDRAWN, now,
                       {"why": "a later decision replaced the one it was proposed on"})
        return Conflict("the application was decided again after this proposal; it was "
                        "withdrawn, not applied", code="approval_stale")
    reviews.settle(session, checker, approval, ApprovalState.APPROVED, now, {})
    maker = Principal(actor_type="user", actor_id=approval.maker_id, role=approval.maker_role)
    case = (reviews.get(session, approval.case_id, for_update=True)
            if approval.case_id is not None else None)
    record = {**proposal["record"], "four_eyes": {
        "approval_id": approval.id, "maker": approval.maker_id, "checker": checker.actor_id,
        "checked_at": now.isoformat(), "rules": list(approval.rules)}}
    return write_review(session, maker, application, decisions[0],
                         kind=DecisionKind(proposal["kind"]), record=record,
                         decision_id=proposal["decision_id"], note_sealed=approval.note_sealed,
                         note_sha256=proposal["note_sha256"],
                         catalog_version=proposal["reason_catalog_version"], case=case, now=now,
                         approval=approval)


def _follow_up(session: Session, actor: Principal, application: Application,
               automated: Decision, *, kind: DecisionKind, record: dict[str, Any],
               status: ApplicationStatus, now: datetime, reason_catalog_version: str | None,
               decision_id: str | None = None, note_sealed: bytes | None = None) -> Decision:
    """A decision after the automated one (a review, an override, a counteroffer's answer):
    the automated decision's score and versions, ``record``'s outcome, and the application's
    new outcome and status. A note comes sealed for the decision's id (app.subjects)."""
    row = Decision(
        id=decision_id or uuid.uuid4().hex, application_id=application.id, kind=kind,
        created_at=now, outcome=record["outcome"], risk_tier=automated.risk_tier,
        score=automated.score, probability_of_default=automated.probability_of_default,
        model_version=automated.model_version, policy_version=automated.policy_version,
        decided_by=actor.actor_id, decided_by_role=str(actor.role), note_sealed=note_sealed,
        adverse_action=record["adverse_action"],
        reason_catalog_version=reason_catalog_version, record=record)
    session.add(row)
    application.outcome = record["outcome"]
    application.status = status
    session.add(application)
    session.flush()
    return row


# --- Counteroffers ----------------------------------------------------------------------------


def answer_counteroffer(session: Session, actor: Principal, application_id: str, *,
                        accept: bool) -> Decision:
    """The applicant accepts or declines the counteroffer (recorded by the officer).

    Accepted, its terms become the offer and the counteroffer notice is no longer owed; declined,
    the counteroffer is the adverse action and its notice stays owed.
    """
    application = get_for(session, actor, application_id)
    reviews.require_no_open_sanctions_case(session, application_id)
    if application.status != ApplicationStatus.COUNTEROFFERED:
        raise Conflict(f"application {application_id} has no counteroffer awaiting an answer "
                       f"(it is {application.status})", code="no_open_counteroffer")
    automated = repository.decisions_of(session, application_id)[0]
    offered = automated.record["counteroffer"]
    now = datetime.now(UTC)
    if accept:
        outcome = outcome_if_counteroffer_accepted(automated.record)
        # Still to be reviewed (a knock-out refers it): it joins the underwriters' referrals.
        kind, status = DecisionKind.COUNTEROFFER_ACCEPTED, (
            ApplicationStatus.REFERRED if outcome == REFER
            else ApplicationStatus.COUNTEROFFER_ACCEPTED)
        record: dict[str, Any] = {"outcome": outcome, "adverse_action": None, "reasons": [],
                                  "knockouts": [], "terms": offered, "counteroffer": None,
                                  "incomplete": []}
    else:
        outcome = DECLINE
        kind, status = DecisionKind.COUNTEROFFER_DECLINED, ApplicationStatus.COUNTEROFFER_DECLINED
        record = {**{k: automated.record[k] for k in ("reasons", "knockouts", "incomplete")},
                  "outcome": DECLINE, "adverse_action": str(AdverseAction.COUNTEROFFER),
                  "terms": None, "counteroffer": offered}
    row = _follow_up(session, actor, application, automated, kind=kind, record=record,
                     status=status, now=now,
                     reason_catalog_version=automated.reason_catalog_version)
    if accept:
        notices_service.withdraw(session, actor, application_id, NoticeKind.COUNTEROFFER,
                                 "counteroffer accepted")
        if status == ApplicationStatus.REFERRED:
            open_referral(session, actor, application_id, row,
                           load_policy_version(session, automated.policy_version), now)
    append_event(session, actor, f"counteroffer.{'accepted' if accept else 'declined'}",
                 "application", application_id, {"decision_id": row.id, "outcome": outcome,
                                                  "amount": offered["amount"],
                                                  "term_months": offered["term_months"]},
                 rows=(application, row))
    return row


# --- What a decision's score means ------------------------------------------------------------


def score_range(session: Session, model_version: str | None) -> tuple[int, int] | None:
    """The lowest and highest score ``model_version`` can give, as the adverse action notice
    discloses them; None for a decision made without a stored model."""
    # Imported here: the reports package reads applications, so a module-level import would
    # make the two import each other.
    from app.reports.inputs.adverse_action import score_range as bounds

    if model_version is None:
        return None
    try:
        model = load_model_by_version(session, model_version)
    except NotFound:
        return None
    return bounds(model.scorecard)
