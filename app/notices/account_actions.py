"""Adverse actions on a booked loan account: the decision recorded on its application, and the
notice it owes (Reg B §1002.9(a)(1)(iii)), in the transaction that takes the action."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from app.applications.states import DecisionKind
from app.audit.service import append_event
from app.auth.principal import Principal
from app.errors import NotFound, Unprocessable
from app.models import Application, Decision, LoanAccount, NoticeObligation
from app.notices.service import open_for
from risk_models.decisions import AdverseAction
from risk_models.early_warning.reasons import ACCOUNT_REASONS_VERSION, checked_reasons

LIMIT_REDUCED = "limit_reduced"


def record_limit_reduction(session: Session, actor: Principal, *, application_id: str,
                           account_id: str, previous_limit: Decimal, new_limit: Decimal,
                           reasons: list[dict], now: datetime,
                           ) -> tuple[Decision, NoticeObligation | None]:
    """Record that ``account_id``'s credit limit was lowered, and open the notice it owes.

    The decision is written on the application the account was booked from, with its reasons
    and the limits before and after; the application's own status and outcome are untouched
    (it stays approved). Refused (422) without a lawful reason, and when the limit does not
    go down.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    try:
        stated = checked_reasons(reasons)
    except ValueError as exc:
        raise Unprocessable(f"a limit reduction is notified with its principal reasons: {exc}",
                            code="limit_reduction_reasons") from None
    if not Decimal(0) <= new_limit < previous_limit:
        raise Unprocessable(f"a limit reduction lowers the limit: {previous_limit} to "
                            f"{new_limit} is not one", code="not_a_limit_reduction")
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application_not_found")
    account = session.get(LoanAccount, account_id)
    if account is None or account.application_id != application_id:
        raise NotFound(f"no loan account {account_id} booked from application {application_id}",
                       code="account_not_found")
    record = {
        "outcome": LIMIT_REDUCED, "adverse_action": str(AdverseAction.LIMIT_REDUCTION),
        "account_id": account.id, "product": account.product, "currency": account.currency,
        "previous_limit": str(previous_limit), "new_limit": str(new_limit),
        "reasons": stated, "reason_codes": [r["code"] for r in stated],
        # Empty, as on any decision that states none, so readers of decisions need no case.
        "knockouts": [], "terms": None, "counteroffer": None, "incomplete": [],
        "as_of": now.date().isoformat(),
    }
    decision = Decision(
        id=uuid.uuid4().hex, application_id=application.id, kind=DecisionKind.LIMIT_REDUCTION,
        created_at=now, outcome=LIMIT_REDUCED, risk_tier=None,
        score=account.behavioural_score, probability_of_default=account.behavioural_pd,
        # The behavioural model behind the account's level; the lending policy it was granted
        # under (a decision names one).
        model_version=account.behavioural_model, policy_version=application.policy_version,
        decided_by=actor.actor_id, decided_by_role=str(actor.role), note_sealed=None,
        adverse_action=str(AdverseAction.LIMIT_REDUCTION),
        reason_catalog_version=ACCOUNT_REASONS_VERSION, record=record)
    session.add(decision)
    session.flush()
    notices = open_for(session, actor, decision, now)
    append_event(session, actor, f"decision.{DecisionKind.LIMIT_REDUCTION}", "application",
                 application.id, {
                     "decision_id": decision.id, "account_id": account.id,
                     "previous_limit": str(previous_limit), "new_limit": str(new_limit),
                     "currency": account.currency, "reason_codes": record["reason_codes"],
                     "reason_catalog_version": ACCOUNT_REASONS_VERSION,
                     "bureau_reason": any(r["bureau"] for r in stated),
                     "notice_ids": [n.id for n in notices]}, rows=(decision,))
    return decision, (notices[0] if notices else None)
