"""Loan accounts: booking an approved application as an account, closing it, and reading
accounts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.audit.service import append_event
from app.auth.principal import Principal
from app.db import insert_row
from app.errors import Conflict, NotFound, Unprocessable
from app.models import ApplicantIdentity, Application, Decision, LoanAccount, WatchListEntry
from app.models.base import utcnow
from compliance.ledger import sha256_hex
from risk_models.early_warning.history import empty_history

# An application is booked on the terms it was last granted (its latest decision that granted
# credit: automated, an underwriter's, or an accepted counteroffer).
_GRANTING_OUTCOMES = ("approve",)


def get(session: Session, account_id: str) -> LoanAccount:
    account = session.get(LoanAccount, account_id)
    if account is None:
        raise NotFound(f"no loan account {account_id}", code="account_not_found")
    return account


def _granted_terms(session: Session, application: Application) -> dict[str, Any]:
    if application.outcome not in _GRANTING_OUTCOMES:
        raise Conflict(f"application {application.id} is {application.outcome}; only an approved "
                       "application is booked as a loan account", code="application_not_approved")
    decisions = session.exec(select(Decision).where(Decision.application_id == application.id)
                             .order_by(col(Decision.created_at).desc())).all()
    for decision in decisions:
        if decision.outcome not in _GRANTING_OUTCOMES:
            continue
        record = decision.record or {}
        offer = record.get("offer") or {}
        terms = record.get("terms") or offer.get("terms")
        if terms:
            return dict(terms)
    raise Conflict(f"application {application.id} records no granted terms to book",
                   code="terms_missing")


def book(session: Session, actor: Principal, *, account_id: str, application_id: str,
         product: str, credit_limit: Decimal | None, booked_at: datetime | None) -> LoanAccount:
    """Book the approved application as loan account ``account_id`` on its granted terms."""
    if session.get(LoanAccount, account_id) is not None:
        raise Conflict(f"loan account {account_id} exists already", code="account_exists")
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", code="application_not_found")
    if session.exec(select(LoanAccount.id)
                    .where(LoanAccount.application_id == application_id)).first():
        raise Conflict(f"application {application_id} is booked already",
                       code="application_booked")
    if (product == "revolving") != (credit_limit is not None):
        raise Unprocessable("a revolving account needs its credit_limit, and an instalment loan "
                            "has none", code="credit_limit_mismatch")
    identity = session.get(ApplicantIdentity, application_id)
    if identity is None:
        raise Conflict(f"application {application_id} has no applicant on record (erased?)",
                       code="applicant_missing")
    terms = _granted_terms(session, application)
    now = utcnow()
    values = {
        "id": account_id, "application_id": application_id, "subject_id": identity.subject_id,
        "product": product, "currency": str(terms.get("currency") or application.currency),
        "principal": Decimal(str(terms["amount"])), "credit_limit": credit_limit,
        "term_months": int(terms["term_months"]), "apr": Decimal(str(terms["apr"])),
        "monthly_payment": Decimal(str(terms["monthly_payment"])),
        "booked_at": booked_at or now, "booked_by": actor.actor_id, "state": "open",
        "days_past_due": 0, "dpd_bucket": "current", "level": "low", "level_since": now,
        "events_applied": 0, "history": empty_history(), "characteristics": {}, "signals": {},
        "drivers": []}
    account = insert_row(session, LoanAccount, values)
    append_event(session, actor, "account.booked", "account", account_id, {
        "application_id": application_id, "product": product,
        "credit_limit": None if credit_limit is None else str(credit_limit),
        "principal": str(values["principal"]), "term_months": values["term_months"]})
    return account


def open_account(session: Session, account_id: str, doing: str) -> LoanAccount:
    """The account, which must be open for ``doing``: a closed account is done with."""
    account = get(session, account_id)
    if account.state != "open":
        raise Conflict(f"account {account_id} is closed ({account.closed_reason}); "
                       f"{doing} is for open accounts", code="account_closed")
    return account


def close(session: Session, actor: Principal, account_id: str, reason: str,
          note: str) -> LoanAccount:
    """Close an open account (repaid, charged off, sold): it takes no more events or actions.
    Its open alerts, cases and proposals stay for their owners to close or reject."""
    account = open_account(session, account_id, "closing")
    account.state, account.closed_reason = "closed", reason
    account.closed_at, account.closed_by, account.closed_note = utcnow(), actor.actor_id, note
    session.add(account)
    append_event(session, actor, "account.closed", "account", account_id, {
        "reason": reason, "note_sha256": sha256_hex(note)})
    return account


def on_watch_list(session: Session, account_ids: list[str]) -> set[str]:
    if not account_ids:
        return set()
    rows = session.exec(select(WatchListEntry.account_id).where(
        col(WatchListEntry.account_id).in_(account_ids), WatchListEntry.state != "exited")).all()
    return set(rows)


def search(session: Session, *, level: str | None = None, dpd_bucket: str | None = None,
           after: str | None = None, limit: int = 50) -> list[LoanAccount]:
    query = select(LoanAccount)
    if level is not None:
        query = query.where(LoanAccount.level == level)
    if dpd_bucket is not None:
        query = query.where(LoanAccount.dpd_bucket == dpd_bucket)
    if after is not None:
        query = query.where(LoanAccount.id > after)
    return list(session.exec(query.order_by(col(LoanAccount.id)).limit(limit)).all())
