"""The demo's example applications: one of each kind of decision, with their notices.

Submitted through the same service as the API, as the demo loan officer, so that a first look at
the demo shows a decline, a counteroffer, a knock-out and an incomplete application, each with
the notice it owes. Every value is fictitious.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.applications import service as applications
from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.models import Application, User
from app.reports.schemas import ReportCreate, ReportKind
from app.reports.service import create_report, pdf_of
from risk_models.document import ApplicationDocument

_APPLICANT: dict[str, Any] = {
    "loan": {"amount": "2500.00", "currency": "EUR", "term_months": 12, "purpose": "car_used"},
    "kyc": {
        "full_name": "Alex Beispiel", "date_of_birth": "1980-05-17", "national_id": "T22000129",
        "address": {"line1": "Musterstrasse 1", "city": "Berlin", "postal_code": "10115",
                    "country": "DE"},
        "contact": {"email": "alex@example.org"},
        "employment": {"status": "employed", "start_date": "2010-01-01",
                       "job_category": "skilled"},
        "monthly_income": "4200.00", "income_source": "employment",
        "monthly_obligations": "900.00", "housing": "own",
        "residence_start_date": "2012-03-01", "dependents": 1, "property": "real_estate",
        "telephone_registered": True,
        "sanctions_screening": {"status": "clear", "reference": "SCR-1",
                                "screened_at": "2026-01-02"},
    },
    "bureau": {"credit_history": "critical_account", "other_installment_plans": "none",
               "delinquencies_24m": 0, "existing_credits_elsewhere": 0},
    "crm": {"checking_balance": "no_account", "savings_balance": "1200.00",
            "existing_credits_at_bank": 0, "customer_since": "2011-01-01"},
    "monitoring": {"sex": "female", "marital_status": "married", "nationality": "DE"},
}


def _varied(name: str, number: int, changes: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(_APPLICANT)
    document["kyc"]["full_name"] = name
    # Each example is another person: a data subject, with a key, of their own.
    document["kyc"]["national_id"] = f"T2200{number:04d}"
    for path, value in changes.items():
        node = document
        *parents, leaf = path.split(".")
        for key in parents:
            node = node[key]
        node[leaf] = value
    return document


# (label, applicant, changes): what each example shows.
EXAMPLES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("approved", "Alex Beispiel", {}),
    ("declined on its score", "Robin Muster", {
        "loan.amount": "6000.00", "loan.term_months": 48, "loan.purpose": "business",
        "crm.checking_balance": "-150.00", "crm.savings_balance": "20.00",
        "bureau.credit_history": "all_paid_at_this_bank", "bureau.other_installment_plans": "bank",
        "kyc.housing": "rent", "kyc.property": "none", "kyc.telephone_registered": False,
        "kyc.residence_start_date": "2025-06-01", "kyc.employment.start_date": "2026-01-01"}),
    ("counteroffer", "Kim Probe", {
        "loan.amount": "3000.00", "kyc.monthly_income": "1000.00",
        "kyc.monthly_obligations": "200.00"}),
    ("knock-out: sanctions match", "Sam Vorlage", {
        "kyc.sanctions_screening.status": "confirmed_match"}),
    ("incomplete: income not provided", "Jo Entwurf", {"kyc.monthly_income": None}),
    ("referred to an underwriter", "Max Platzhalter", {
        "crm.checking_balance": "50.00", "bureau.credit_history": "existing_paid_duly",
        "loan.term_months": 30, "crm.savings_balance": "20.00"}),
)


def seed_examples(session: Session, settings: Settings,
                  notices_dir: Path | None = None) -> list[tuple[str, Application]]:
    """Submit the examples as the demo officer (once) and generate every notice they owe.

    Returns each example's label and application; writes each notice's PDF to ``notices_dir``
    when given. Does nothing when the demo already holds applications.
    """
    if session.exec(select(Application.id)).first() is not None:
        return []
    officer = session.exec(select(User).where(User.role == Role.LOAN_OFFICER)).first()
    if officer is None or officer.id is None:
        return []
    actor = Principal.of_user(officer)
    seeded = []
    for number, (label, name, changes) in enumerate(EXAMPLES):
        body = ApplicationDocument.model_validate(_varied(name, number, changes))
        submission = applications.submit(session, settings, actor, body, None)
        for notice in submission.notices:
            report = create_report(session, settings, actor, ReportCreate(
                kind=ReportKind.ADVERSE_ACTION, application_id=notice.application_id))
            if notices_dir is not None:
                notices_dir.mkdir(parents=True, exist_ok=True)
                slug = label.split(":")[0].replace(" ", "-")
                (notices_dir / f"{slug}-notice-{notice.kind}.pdf").write_bytes(
                    pdf_of(session, settings, report))
        seeded.append((label, submission.application))
    return seeded


# Taiwan card holders whose six months the demo's accounts live through: one who pays in full,
# one who slides into arrears, one who stops paying (rows of the bundled data).
DEMO_HISTORIES = (("steady", 3), ("sliding", 0), ("stopped", 1))
# The card holders the demo lends to, beside the examples (fictitious names).
DEMO_CARD_HOLDERS = ("Kim Beispiel", "Sam Muster", "Jo Probe")


def seed_accounts(session: Session, settings: Settings) -> list[tuple[str, str]]:
    """Book the demo's approved applications as card accounts and send each six months of a real
    payment history (shifted to end last month) through the event path, as the servicing
    user. Does nothing once any account exists."""
    from datetime import UTC, datetime

    from app.early_warning import accounts, events
    from app.models import LoanAccount
    from risk_models.early_warning.behavioural import load_taiwan, taiwan_cycles
    from risk_models.early_warning.history import events_from_cycles

    if session.exec(select(LoanAccount.id)).first() is not None:
        return []
    servicing = session.exec(select(User).where(User.role == Role.SERVICING)).first()
    officer = session.exec(select(User).where(User.role == Role.LOAN_OFFICER)).first()
    if servicing is None or officer is None:
        return []
    # Each demo account is its own approved application, submitted as any other.
    approved = [applications.submit(
        session, settings, Principal.of_user(officer), ApplicationDocument.model_validate(
            _varied(name, 100 + number, {})), None).application
        for number, name in enumerate(DEMO_CARD_HOLDERS)]
    actor = Principal.of_user(servicing)
    today = datetime.now(UTC)
    last = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    frame = load_taiwan()
    booked = []
    for (label, row), application in zip(DEMO_HISTORIES, approved, strict=False):
        record = frame.iloc[row].to_dict()
        account_id = f"DEMO-{label.upper()}"
        accounts.book(session, actor, account_id=account_id, application_id=application.id,
                      product="revolving", credit_limit=None if record["limit"] is None
                      else Decimal(str(record["limit"])), booked_at=None)
        cycles = taiwan_cycles(record, last_period=f"{last[0]:04d}-{last[1]:02d}")
        events.load(session, settings, actor, events_from_cycles(account_id, cycles,
                                                                 id_prefix="demo-"),
                    source=events.API)
        booked.append((account_id, label))
    return booked
