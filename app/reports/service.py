"""Building, storing, listing and serving the regulatory PDF reports.

Every report is built against the ledger head at build time and stamped with its creation time
(to the second), and both are stored with the PDF and its parameters. ``build`` reads only the
database and those stored values, so :func:`rebuild` reproduces a stored report byte for byte.
The compliance report's verification covers the ledger up to that head, and its checkpoint
signs that head at the creation time (Ed25519 signatures are deterministic).

Who may do what (the endpoints' role lists admit the roles; this module narrows them):

* compliance officers create and read every kind;
* loan officers create and read adverse action notices of applications they submitted;
* underwriters read adverse action notices (they resolve the referrals those follow);
* auditors read every kind and create none;
* the command line (``Principal.system``) creates every kind.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.audit.service import append_event, signing_key
from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.errors import Conflict, Forbidden, NotFound, RiskdeskError
from app.fairness import service as fairness
from app.models import Application, Decision, Report
from app.reports import repository
from app.reports.schemas import PARAMETERS, ReportCreate, ReportKind
from compliance import ledger
from compliance.reports import (
    ActionTaken,
    AdverseActionNotice,
    BinRow,
    CalibrationRow,
    Characteristic,
    ComplianceReportInput,
    Counteroffer,
    CountRow,
    CreditScoreDisclosure,
    DataSummary,
    LedgerHead,
    LedgerVerification,
    ModelValidationInput,
    OverrideRow,
    Party,
    PerformanceSummary,
    Reason,
    ReasonCount,
    SignedCheckpoint,
    build_adverse_action_notice,
    build_compliance_report,
    build_model_validation_report,
)
from compliance.reports.common import fmt_money
from risk_models.compiled import CompiledScorecard
from risk_models.reasons import ReasonCatalog

MAX_REASONS = 4
MAX_KEY_FACTORS = 5
OVERRIDES_LISTED = 50
TOP_REASONS = 10
# Bootstrap settings of the audits inside reports: fixed, so a report rebuilds identically.
REPORT_AUDIT = {"n_boot": 200, "seed": 0}
COMPLIANCE_INTERSECTIONS = (("sex", "age_band"),)
MODEL_NAME = "Application scorecard"


class ReportIntegrityError(RiskdeskError):
    status_code = 500
    code = "report_integrity"


# --- Access -------------------------------------------------------------------------------------


def _is_system(actor: Principal) -> bool:
    return actor.actor_type == "system"


def _check_may_create(actor: Principal, kind: ReportKind) -> None:
    if _is_system(actor) or actor.role == Role.COMPLIANCE_OFFICER:
        return
    if actor.role == Role.LOAN_OFFICER and kind == ReportKind.ADVERSE_ACTION:
        return
    raise Forbidden(f"the {actor.role} role may not create {kind} reports",
                    code="report_kind_not_allowed")


def _check_own_application(actor: Principal, application: Application) -> None:
    if actor.role == Role.LOAN_OFFICER and not _is_system(actor):
        if application.submitted_by != actor.actor_id:
            raise Forbidden("loan officers may only act on applications they submitted",
                            code="not_your_application")


def _visible_kinds(actor: Principal) -> tuple[str, ...] | None:
    """Kinds the actor may read (None: all), before the loan officers' ownership rule."""
    if _is_system(actor) or actor.role in (Role.COMPLIANCE_OFFICER, Role.AUDITOR):
        return None
    if actor.role in (Role.UNDERWRITER, Role.LOAN_OFFICER):
        return (ReportKind.ADVERSE_ACTION.value,)
    return ()


def _check_may_read(session: Session, actor: Principal, report: Report) -> None:
    kinds = _visible_kinds(actor)
    if kinds is not None and report.kind not in kinds:
        raise Forbidden(f"the {actor.role} role may not read {report.kind} reports",
                        code="report_kind_not_allowed")
    if actor.role == Role.LOAN_OFFICER and not _is_system(actor):
        application = repository.application(session, report.application_id or "")
        if application is None or application.submitted_by != actor.actor_id:
            raise Forbidden("loan officers may only read notices of applications they "
                            "submitted", code="not_your_application")


# --- Creating, reading, downloading -------------------------------------------------------------


def create_report(session: Session, settings: Settings, actor: Principal,
                  body: ReportCreate) -> Report:
    """Check access, pin the inputs, build the PDF against the ledger head, store and ledger it."""
    _check_may_create(actor, body.kind)
    parameters = _resolve_parameters(session, actor, body)
    generated_at = datetime.now(UTC).replace(microsecond=0)
    seq, head_hash = repository.ledger_head(session)
    pdf = build(session, settings, body.kind, parameters, generated_at, LedgerHead(seq, head_hash))
    digest = ledger.sha256_hex(pdf)
    report = repository.add(session, Report(
        kind=body.kind.value, parameters=ledger.canonical_json(parameters),
        created_at=generated_at, created_by=actor.actor_id, created_by_role=str(actor.role),
        application_id=parameters.get("application_id"),
        model_version=parameters.get("model_version"), ledger_head_seq=seq,
        ledger_head_hash=head_hash, sha256=digest, size=len(pdf), pdf=pdf))
    append_event(session, actor, "report.created", "report", report.id or 0, {
        "kind": report.kind, "sha256": digest, "size": len(pdf), "ledger_head_seq": seq,
        "ledger_head_hash": head_hash, "parameters": parameters})
    return report


def get_report(session: Session, actor: Principal, report_id: int) -> Report:
    """A report's metadata, when the actor may read it."""
    report = repository.get(session, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}", code="report_not_found")
    _check_may_read(session, actor, report)
    return report


def download_report(session: Session, actor: Principal, report_id: int) -> Report:
    """A report with its bytes, checked against the stored sha256; the download is ledgered."""
    report = get_report(session, actor, report_id)
    full = repository.get(session, report_id, with_pdf=True)
    assert full is not None
    if ledger.sha256_hex(full.pdf) != full.sha256:
        raise ReportIntegrityError(f"report {report_id}'s stored bytes do not match their "
                                   "sha256; not serving them")
    append_event(session, actor, "report.downloaded", "report", report_id,
                 {"kind": report.kind, "sha256": report.sha256, "size": report.size})
    return full


def list_reports(session: Session, actor: Principal, *, kind: ReportKind | None = None,
                 application_id: str | None = None, offset: int = 0,
                 limit: int = 50) -> tuple[list[Report], int]:
    """The reports the actor may read, newest first."""
    kinds = _visible_kinds(actor)
    if kind is not None:
        kinds = (kind.value,) if kinds is None or kind.value in kinds else ()
    own = actor.actor_id if actor.role == Role.LOAN_OFFICER and not _is_system(actor) else None
    return repository.search(session, kinds=kinds, application_id=application_id,
                             submitted_by=own, offset=offset, limit=limit)


def rebuild(session: Session, settings: Settings, report: Report) -> bytes:
    """Build ``report`` again from its stored parameters, creation time and ledger head."""
    return build(session, settings, ReportKind(report.kind), json.loads(report.parameters),
                 report.created_at,
                 LedgerHead(report.ledger_head_seq, report.ledger_head_hash))


def build(session: Session, settings: Settings, kind: ReportKind, parameters: dict[str, Any],
          generated_at: datetime, head: LedgerHead) -> bytes:
    """The PDF of ``kind`` from pinned ``parameters`` (see :func:`_resolve_parameters`)."""
    if kind == ReportKind.ADVERSE_ACTION:
        return build_adverse_action_notice(
            adverse_action_input(session, settings, parameters, generated_at, head))
    if kind == ReportKind.MODEL_VALIDATION:
        return build_model_validation_report(
            model_validation_input(session, parameters, generated_at, head))
    return build_compliance_report(
        compliance_input(session, settings, parameters, generated_at, head))


def _resolve_parameters(session: Session, actor: Principal, body: ReportCreate) -> dict[str, Any]:
    """The request's parameters plus what they resolve to now, so a rebuild uses the same."""
    given = {name: getattr(body, name) for name in PARAMETERS[body.kind]}
    if body.kind == ReportKind.ADVERSE_ACTION:
        application = _application(session, given["application_id"])
        _check_own_application(actor, application)
        decision = repository.current_decision(session, application.id)
        if decision is None or not _is_adverse(decision):
            raise Conflict(f"application {application.id}'s current decision is neither a "
                           "decline nor a counteroffer; there is no adverse action to notify",
                           code="no_adverse_action")
        return {"application_id": application.id, "decision_id": decision.id}
    if body.kind == ReportKind.MODEL_VALIDATION:
        model = fairness.resolve_model(session, given["model_version"])
        try:
            policy_version: str | None = fairness.resolve_policy(session, None).version
        except Conflict:
            policy_version = None
        return {"model_version": model.version, "policy_version": policy_version,
                "fairness": dict(REPORT_AUDIT)}
    return {"date_from": given["date_from"].isoformat(), "date_to": given["date_to"].isoformat(),
            "fairness": {**REPORT_AUDIT,
                         "intersections": [list(p) for p in COMPLIANCE_INTERSECTIONS]}}


def _application(session: Session, application_id: str) -> Application:
    application = repository.application(session, application_id)
    if application is None:
        raise NotFound(f"no application {application_id!r}", code="application_not_found")
    return application


# --- Adverse action notice ----------------------------------------------------------------------


def _is_adverse(decision: Decision) -> bool:
    return decision.outcome == "decline" or _json(decision.counteroffer) is not None


def adverse_action_input(session: Session, settings: Settings, parameters: dict[str, Any],
                         generated_at: datetime, head: LedgerHead) -> AdverseActionNotice:
    application = _application(session, parameters["application_id"])
    decision = repository.decision(session, parameters["decision_id"])
    if decision is None or decision.application_id != application.id:
        raise NotFound(f"no decision {parameters['decision_id']!r} on application "
                       f"{application.id}", code="decision_not_found")
    identity = repository.identity(session, application.id)
    if identity is None:
        raise Conflict(f"application {application.id} has no applicant identity to address "
                       "the notice to", code="applicant_identity_missing")
    reasons = principal_reasons(decision)
    if not reasons:
        raise Conflict(f"decision {decision.id} records no reasons to state",
                       code="no_reasons_recorded")
    offer = _json(decision.counteroffer)
    scored = decision if decision.score is not None and decision.model_version else (
        repository.latest_scored_decision(session, application.id, decision.created_at))
    return AdverseActionNotice(
        creditor=Party(settings.creditor_name, _lines(settings.creditor_address)),
        supervising_agency=Party(settings.supervising_agency_name,
                                 _lines(settings.supervising_agency_address)),
        applicant_name=identity.full_name,
        applicant_address_lines=address_lines(json.loads(identity.address)),
        application_ref=application.id,
        notice_date=generated_at.date(),
        action=ActionTaken.COUNTEROFFER if offer else ActionTaken.DECLINED,
        reasons=reasons,
        generated_at=generated_at,
        ledger_head=head,
        product=f"{application.purpose.replace('_', ' ')} loan",
        requested_amount=Decimal(application.amount),
        currency=application.currency,
        requested_term_months=application.term_months,
        counteroffer=_counteroffer(offer) if offer else None,
        credit_score=_score_disclosure(session, settings, scored) if scored else None,
        # The bureau block of every application comes from a consumer report.
        consumer_reporting_agency=Party(
            settings.consumer_reporting_agency_name,
            _lines(settings.consumer_reporting_agency_address),
            settings.consumer_reporting_agency_phone,
        ) if settings.consumer_reporting_agency_name else None,
    )


def principal_reasons(decision: Decision) -> list[Reason]:
    """Up to four reasons: a knock-out decline's knock-outs first, then the score reasons."""
    entries = list(_json(decision.reasons) or [])
    if decision.outcome == "decline":
        entries = [*(_json(decision.knockouts) or []), *entries]
    chosen: list[Reason] = []
    for entry in entries:
        code = str(entry["code"])
        if code not in {r.code for r in chosen}:
            chosen.append(Reason(code, str(entry["statement"])))
    return chosen[:MAX_REASONS]


def score_range(scorecard: CompiledScorecard) -> tuple[int, int]:
    """Lowest and highest possible scores: the sums of each characteristic's min and max bin
    points (rounded outwards)."""
    low = sum(min(b.points for b in c.bins) for c in scorecard.characteristics)
    high = sum(max(b.points for b in c.bins) for c in scorecard.characteristics)
    return math.floor(round(low, 9)), math.ceil(round(high, 9))


def key_factors(decision: Decision) -> list[Reason]:
    """The characteristics behind the decision's score reasons, most important first."""
    titles = ReasonCatalog.bundled().table.get("characteristics", {})
    factors: list[Reason] = []
    for entry in _json(decision.reasons) or []:
        name = entry.get("characteristic")
        if not name or any(f.statement == _title(titles, name) for f in factors):
            continue
        factors.append(Reason(str(titles.get(name, {}).get("code") or entry["code"]),
                              _title(titles, name)))
    return factors[:MAX_KEY_FACTORS]


def _title(titles: dict[str, Any], name: str) -> str:
    return str(titles.get(name, {}).get("title") or name.replace("_", " ").capitalize())


def _score_disclosure(session: Session, settings: Settings,
                      decision: Decision) -> CreditScoreDisclosure:
    model = fairness.resolve_model(session, str(decision.model_version))
    low, high = score_range(CompiledScorecard.from_json(model.artifact))
    assert decision.score is not None
    return CreditScoreDisclosure(
        score=round(decision.score), range_min=low, range_max=high,
        created_on=decision.created_at.date(),
        source=f"{settings.creditor_name} application scorecard, model version {model.version}",
        key_factors=key_factors(decision))


def _counteroffer(offer: dict[str, Any]) -> Counteroffer:
    currency = str(offer["currency"])
    other = []
    if offer.get("monthly_payment") is not None:
        other.append(f"Monthly payment: {fmt_money(Decimal(offer['monthly_payment']), currency)}")
    return Counteroffer(
        amount=Decimal(offer["amount"]), currency=currency, term_months=int(offer["term_months"]),
        annual_percentage_rate=(Decimal(offer["apr"]) * 100).quantize(Decimal("0.01")),
        other_terms=other)


def address_lines(address: dict[str, Any]) -> list[str]:
    """Postal lines of a stored address: street, further line, postcode and city, country."""
    city = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    lines = [address.get("line1"), address.get("line2"), city, address.get("country")]
    return [str(line) for line in lines if line]


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# --- Model validation report --------------------------------------------------------------------


def model_validation_input(session: Session, parameters: dict[str, Any], generated_at: datetime,
                           head: LedgerHead) -> ModelValidationInput:
    model = fairness.resolve_model(session, parameters["model_version"])
    validation = json.loads(model.validation)
    metrics = json.loads(model.metrics)
    artifact = json.loads(model.artifact)
    oof = validation["oof"]
    iv = validation.get("iv_by_characteristic", {})
    characteristics = [
        Characteristic(name, [BinRow(str(r["bin"]), int(r["count"]), float(r["count_share"]),
                                     float(r["event_rate"]), float(r["woe"]), float(r["iv"]),
                                     float(r["points"])) for r in rows],
                       total_iv=iv.get(name))
        for name, rows in validation["binning_tables"].items()]
    audit = None
    policy_version = parameters.get("policy_version")
    if policy_version:
        options = fairness.AuditOptions(n_boot=parameters["fairness"]["n_boot"],
                                        seed=parameters["fairness"]["seed"])
        audit = fairness.model_audit(session, model.version, policy_version, options)
    bad_value = artifact.get("metadata", {}).get("bad_value")
    return ModelValidationInput(
        model_name=MODEL_NAME,
        model_version=model.version,
        purpose=(
            "Application scorecard estimating the probability that a new loan goes bad "
            f"({model.target} = {bad_value}). The policy's score cut-offs turn its points into "
            "approve, refer or decline, and the points an applicant loses per characteristic "
            "give the principal reasons stated on adverse action notices. Trained "
            f"{model.trained_at:%Y-%m-%d %H:%M:%S} UTC; artifact sha256 "
            f"{model.artifact_sha256}."),
        generated_at=generated_at,
        ledger_head=head,
        data=DataSummary(source=model.data_name, rows=int(metrics["n_rows"]),
                         bad_rate=float(metrics["bad_rate"]), sha256=model.data_sha256,
                         target=f"bad = {model.target} is {bad_value} (the event), "
                                "good = otherwise"),
        characteristics=characteristics,
        performance=PerformanceSummary(
            auc=float(metrics.get("oof_auc", metrics["cv_auc"])), gini=float(metrics["gini"]),
            ks=float(metrics["ks"]), cv_auc_mean=float(metrics["cv_auc"]),
            cv_auc_std=float(metrics["cv_auc_std"]), cv_folds=int(metrics["cv_folds"]),
            holdout_auc=_optional_float(metrics.get("holdout_auc")),
            calibration=[CalibrationRow(int(r["group"]), float(r["mean_pd"]),
                                        float(r["observed_bad_rate"]), int(r["rows"]))
                         for r in metrics.get("calibration", [])]),
        y_bad=[int(v) for v in oof["y_bad"]],
        score=[float(v) for v in oof["score"]],
        probability_of_default=[float(v) for v in oof["probability_of_default"]],
        fairness_audit=audit,
        limitations=limitations(model.data_name, json.loads(model.protected_columns), metrics,
                                policy_version),
    )


def limitations(data_name: str, protected: list[str], metrics: dict[str, Any],
                policy_version: str | None) -> list[str]:
    """What the validation cannot show, for this model's data."""
    rows, bads = int(metrics["n_rows"]), int(metrics.get("n_bad", 0))
    german = "german" in data_name.lower() or "personal_status_sex" in protected
    out = []
    if german:
        out += [
            "The development data are the Statlog German Credit Data (UCI): loans granted by "
            "one southern German bank in the 1970s. Today's applicants, and this lender's, "
            "may differ in mix and behaviour; monitor population stability and the observed "
            "bad rate before relying on the cut-offs.",
            "Amounts in the development data are Deutsche Mark (DM). Applications in other "
            "currencies are converted at the fixed euro conversion rate, which does not "
            "correct for decades of inflation or changes in purchasing power.",
        ]
    out += [
        f"The sample is small ({rows:,} rows, {bads:,} bad): bin bad rates and points carry "
        "wide sampling error, and small groups in the fairness audit cannot be judged.",
        "Outcomes exist only for loans that were granted. Applicants declined at the time are "
        "absent and no reject inference was applied, so performance on the through-the-door "
        "population is not measured.",
        "Protected attributes were excluded from the characteristics and used only for the "
        "fairness audit; characteristics correlated with them can still act as proxies.",
        "Out-of-fold predictions come from the first cross-validation round; the hold-out AUC "
        "is from a single split.",
    ]
    if policy_version is None:
        out.append("No decision policy was active when this report was built, so the "
                   "validation scores could not be turned into approvals and the fairness "
                   "audit was not run.")
    return out


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- Compliance report --------------------------------------------------------------------------


def compliance_input(session: Session, settings: Settings, parameters: dict[str, Any],
                     generated_at: datetime, head: LedgerHead) -> ComplianceReportInput:
    date_from = date.fromisoformat(parameters["date_from"])
    date_to = date.fromisoformat(parameters["date_to"])
    start, end = fairness.period_bounds(date_from, date_to)
    by_outcome, by_tier = decision_counts(repository.automated_counts(session, start, end))
    options = fairness.AuditOptions(
        intersections=tuple(tuple(p) for p in parameters["fairness"]["intersections"]),  # type: ignore[misc]
        n_boot=parameters["fairness"]["n_boot"], seed=parameters["fairness"]["seed"])
    try:
        audit = fairness.decisions_audit(session, date_from, date_to, options)
    except RiskdeskError as exc:
        if exc.code != "no_decisions_in_range":
            raise
        audit = None
    verification = repository.verify_up_to(session, head.seq)
    signed = ledger.sign_checkpoint(signing_key(settings), head.seq, head.hash, generated_at)
    return ComplianceReportInput(
        lender_name=settings.creditor_name,
        period_start=date_from,
        period_end=date_to,
        generated_at=generated_at,
        ledger_head=head,
        decisions_by_outcome=by_outcome,
        decisions_by_tier=by_tier,
        overrides=[_override_row(d, previous)
                   for d, previous in repository.overrides(session, start, end,
                                                           OVERRIDES_LISTED)],
        override_total=repository.override_count(session, start, end),
        top_reasons=top_reasons(repository.reason_lists(session, start, end)),
        ledger_verification=LedgerVerification(**verification.as_dict()),
        checkpoint=SignedCheckpoint(seq=signed["head_seq"], hash=signed["head_hash"],
                                    signed_at=generated_at, signature=signed["signature"],
                                    public_key_fingerprint=signed["key_fingerprint"]),
        fairness_audit=audit,
    )


def decision_counts(rows: list[tuple[str, str | None, int]]
                    ) -> tuple[list[CountRow], list[CountRow]]:
    """By outcome (most frequent first) and by risk tier (by name)."""
    outcomes: Counter[str] = Counter()
    tiers: Counter[str] = Counter()
    for outcome, tier, count in rows:
        outcomes[outcome] += count
        tiers[tier or "none"] += count
    by_outcome = sorted(outcomes.items(), key=lambda item: (-item[1], item[0]))
    return ([CountRow(k, n) for k, n in by_outcome],
            [CountRow(k, n) for k, n in sorted(tiers.items())])


def top_reasons(rows: list[tuple[str, str]], top_n: int = TOP_REASONS) -> list[ReasonCount]:
    """How many decisions gave each reason code (knock-outs included, once per decision), most
    frequent first, each with its most frequent statement."""
    counts: Counter[str] = Counter()
    statements: dict[str, Counter[str]] = defaultdict(Counter)
    for reasons, knockouts in rows:
        seen = set()
        for entry in [*json.loads(reasons), *json.loads(knockouts)]:
            code = str(entry["code"])
            statements[code][str(entry.get("statement", ""))] += 1
            if code not in seen:
                seen.add(code)
                counts[code] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top_n]
    return [ReasonCount(code, _most_common(statements[code]), n) for code, n in ranked]


def _most_common(counter: Counter[str]) -> str:
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0] if counter else ""


def _override_row(decision: Decision, previous: str | None) -> OverrideRow:
    note = decision.note or "no note recorded"
    reason = f"Review of a referral: {note}" if decision.kind == "review" else note
    return OverrideRow(decision_id=decision.id, from_outcome=previous or "—",
                       to_outcome=decision.outcome, by_role=decision.decided_by_role,
                       reason=reason, at=decision.created_at)


# --- Helpers ------------------------------------------------------------------------------------


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)
