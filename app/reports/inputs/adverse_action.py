"""The adverse action notice's input: the decision's reasons, counteroffer and score disclosure."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from app.applications.states import ApplicationStatus
from app.config import Settings
from app.errors import Conflict, NotFound
from app.fairness import service as fairness
from app.models import Application, Decision, NoticeObligation
from app.notices import repository as notices_repository
from app.notices import service as notices_service
from app.reports import repository
from app.subjects import service as subjects
from app.subjects.service import Identity
from compliance.reports import (
    ActionTaken,
    AdverseActionNotice,
    Counteroffer,
    CreditScoreDisclosure,
    LedgerHead,
    Party,
    Reason,
)
from compliance.reports.common import fmt_money
from risk_models.artifact import CompiledScorecard
from risk_models.notices import (
    MISSING_ITEM_WORDING,
    OPEN_STATUSES,
    NoticeKind,
    NoticeStatus,
    respond_by,
)

ACTION_OF = {NoticeKind.DECLINE: ActionTaken.DECLINED,
             NoticeKind.COUNTEROFFER: ActionTaken.COUNTEROFFER,
             NoticeKind.INCOMPLETE: ActionTaken.INCOMPLETE,
             NoticeKind.LIMIT_REDUCTION: ActionTaken.LIMIT_REDUCED}
# What a booked account's product is called on a notice.
ACCOUNT_PRODUCT = {"revolving": "revolving credit", "instalment": "instalment loan"}


def require_application(session: Session, application_id: str) -> Application:
    application = repository.application(session, application_id)
    if application is None:
        raise NotFound(f"no application {application_id!r}", code="application_not_found")
    return application


def notice_to_build(session: Session, application: Application) -> NoticeObligation:
    """The notice obligation a new adverse action notice answers: the application's open one,
    else the newest it ever had (a copy); none means no adverse action was taken."""
    obligations = [n for n in notices_repository.of_application(session, application.id)
                   if n.status != NoticeStatus.WITHDRAWN]
    if not obligations:
        raise Conflict(f"application {application.id} has no adverse action to notify (no "
                       "decline, counteroffer, incompleteness or limit reduction is owed a "
                       "notice)",
                       code="no_adverse_action")
    open_ones = [n for n in obligations if n.status in OPEN_STATUSES]
    return (open_ones or obligations)[-1]


def adverse_action_input(session: Session, settings: Settings, parameters: dict[str, Any],
                         generated_at: datetime, head: LedgerHead) -> AdverseActionNotice:
    application = require_application(session, parameters["application_id"])
    decision = repository.decision(session, parameters["decision_id"])
    if decision is None or decision.application_id != application.id:
        raise NotFound(f"no decision {parameters['decision_id']!r} on application "
                       f"{application.id}", code="decision_not_found")
    obligation = notices_service.get(session, parameters["notice_id"])
    # 410 personal_data_erased once the applicant's key is destroyed: a notice cannot be
    # addressed to no one.
    identity = subjects.identity_of(session, settings, application.id)
    lines = recipient_lines(identity)
    if not lines:
        raise Conflict(f"application {application.id} has neither a postal address nor an "
                       "e-mail address or phone to send the notice to",
                       code="applicant_identity_missing")
    kind = NoticeKind(obligation.kind)
    # Pinned at creation: a counteroffer the applicant has since declined is notified as the
    # decline it became, and a rebuild of an earlier notice says what that one said.
    action = ActionTaken(parameters.get("action") or ACTION_OF[kind])
    if kind == NoticeKind.LIMIT_REDUCTION:
        return _limit_reduction_notice(settings, application, decision, identity.full_name,
                                       lines, action, generated_at, head)
    # The score and the consumer report behind it are disclosed only when they played a part
    # in the outcome: the automated decision records whether they did.
    automated = repository.automated_decision(session, application.id)
    score_used = bool(automated is not None and automated.record.get("score_used"))
    offer = decision.record.get("counteroffer")
    return AdverseActionNotice(
        creditor=_creditor(settings),
        supervising_agency=_supervising_agency(settings),
        applicant_name=identity.full_name,
        applicant_address_lines=lines,
        application_ref=application.id,
        notice_date=generated_at.date(),
        action=action,
        reasons=[] if kind == NoticeKind.INCOMPLETE else principal_reasons(decision),
        generated_at=generated_at,
        ledger_head=head,
        product=f"{application.purpose.replace('_', ' ')} loan",
        requested_amount=Decimal(application.amount),
        currency=application.currency,
        requested_term_months=application.term_months,
        counteroffer=_counteroffer(offer) if action is ActionTaken.COUNTEROFFER and offer
        else None,
        credit_score=_score_disclosure(session, settings, automated)
        if score_used and automated is not None else None,
        consumer_reporting_agency=_agency(settings) if score_used else None,
        missing=[MISSING_ITEM_WORDING[item] for item in obligation.missing],
        respond_by=obligation.respond_by or respond_by(kind, generated_at.date()),
    )


def _limit_reduction_notice(settings: Settings, application: Application, decision: Decision,
                            applicant_name: str, lines: list[str], action: ActionTaken,
                            generated_at: datetime, head: LedgerHead) -> AdverseActionNotice:
    """The notice of a credit limit lowered on the account ``application`` was booked as.

    The application's own score played no part in it, and the behavioural score read only the
    account's own history, so no score is disclosed; the consumer reporting agency is named
    (FCRA §615(a)) when a reason rests on what a credit bureau reported.
    """
    record = decision.record
    bureau = any(r.get("bureau") for r in record["reasons"])
    return AdverseActionNotice(
        creditor=_creditor(settings),
        supervising_agency=_supervising_agency(settings),
        applicant_name=applicant_name,
        applicant_address_lines=lines,
        application_ref=application.id,
        notice_date=generated_at.date(),
        action=action,
        reasons=principal_reasons(decision),
        generated_at=generated_at,
        ledger_head=head,
        product=ACCOUNT_PRODUCT.get(str(record["product"]), str(record["product"])),
        currency=str(record["currency"]),
        consumer_reporting_agency=_agency(settings) if bureau else None,
        account_ref=str(record["account_id"]),
        previous_limit=Decimal(record["previous_limit"]),
        new_limit=Decimal(record["new_limit"]),
        action_date=decision.created_at.date(),
    )


def _creditor(settings: Settings) -> Party:
    return Party(settings.creditor_name, _lines(settings.creditor_address),
                 settings.creditor_phone)


def _supervising_agency(settings: Settings) -> Party:
    return Party(settings.supervising_agency_name, _lines(settings.supervising_agency_address))


def _agency(settings: Settings) -> Party:
    return Party(settings.consumer_reporting_agency_name,
                 _lines(settings.consumer_reporting_agency_address),
                 settings.consumer_reporting_agency_phone)


def principal_reasons(decision: Decision) -> list[Reason]:
    """The decision's reasons as recorded: knock-outs first, at most four (the record's rule)."""
    return [Reason(str(r["code"]), str(r["statement"])) for r in decision.record["reasons"]]


def score_range(scorecard: CompiledScorecard) -> tuple[int, int]:
    """Lowest and highest possible scores: the sums of each characteristic's min and max bin
    points (rounded outwards)."""
    low = sum(min(b.points for b in c.bins) for c in scorecard.characteristics)
    high = sum(max(b.points for b in c.bins) for c in scorecard.characteristics)
    return math.floor(round(low, 9)), math.ceil(round(high, 9))


def key_factors(decision: Decision) -> list[Reason]:
    """The score's key factors as the decision recorded them, most important first."""
    return [Reason(str(r["code"]), str(r["statement"]))
            for r in decision.record.get("key_factors", [])]


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


def notice_action(application: Application, obligation: NoticeObligation) -> ActionTaken:
    """What the notice reports: a counteroffer the applicant declined is reported as a decline,
    without offering again what was refused."""
    kind = NoticeKind(obligation.kind)
    if (kind == NoticeKind.COUNTEROFFER
            and application.status == ApplicationStatus.COUNTEROFFER_DECLINED):
        return ActionTaken.DECLINED
    return ACTION_OF[kind]


def recipient_lines(identity: Identity) -> list[str]:
    """Where the notice goes: the postal address, or, while the applicant has given none, the
    e-mail address or phone they gave (the notice is then delivered electronically)."""
    if identity.address is not None:
        return address_lines(identity.address)
    contact = identity.contact or {}
    if contact.get("email"):
        return [f"By e-mail to {contact['email']}"]
    if contact.get("phone"):
        return [f"Telephone {contact['phone']}"]
    return []


def address_lines(address: dict[str, Any]) -> list[str]:
    """Postal lines of a stored address: street, further line, postcode and city, country."""
    city = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    lines = [address.get("line1"), address.get("line2"), city, address.get("country")]
    return [str(line) for line in lines if line]


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
