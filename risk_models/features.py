"""Derive the scorecard's characteristics from a raw application document.

The output uses the German credit data's column names and category labels exactly, so the bundled
model scores live applications. ``docs/features.md`` is the field-by-field table of this module.
Protected data (the ``monitoring`` block, date of birth) is never read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from risk_models.capacity import completed_years
from risk_models.derived import derived_values
from risk_models.terms import monthly_payment

if TYPE_CHECKING:
    from risk_models.policy import Policy

CHECKING_NONE = "no checking account"
CHECKING_NEGATIVE = "< 0 DM"
CHECKING_LOW = "0 <= ... < 200 DM"
CHECKING_HIGH = ">= 200 DM or salary assigned >= 1 year"
SAVINGS_NONE = "unknown / no savings account"
SAVINGS_BANDS = (
    (Decimal(100), "< 100 DM"),
    (Decimal(500), "100 <= ... < 500 DM"),
    (Decimal(1000), "500 <= ... < 1000 DM"),
)
SAVINGS_TOP = ">= 1000 DM"
EMPLOYMENT_BANDS = ((1, "< 1 year"), (4, "1 <= ... < 4 years"), (7, "4 <= ... < 7 years"))
EMPLOYMENT_TOP = ">= 7 years"
NOT_EMPLOYED = "unemployed"
NOT_EMPLOYED_STATUSES = frozenset({"unemployed", "retired", "student"})
# Installment as a share of disposable income -> the data's installment-rate band 1..4.
INSTALLMENT_RATE_BANDS = ((Decimal("0.20"), 1), (Decimal("0.25"), 2), (Decimal("0.35"), 3))
INSTALLMENT_RATE_TOP = 4

PURPOSES = {
    "car_new": "car (new)",
    "car_used": "car (used)",
    "furniture_equipment": "furniture/equipment",
    "radio_television": "radio/television",
    "domestic_appliances": "domestic appliances",
    "repairs": "repairs",
    "education": "education",
    "retraining": "retraining",
    "business": "business",
    "other": "others",
}
CREDIT_HISTORY = {
    "no_credits_or_all_paid": "no credits taken / all paid back duly",
    "all_paid_at_this_bank": "all credits at this bank paid back duly",
    "existing_paid_duly": "existing credits paid back duly till now",
    "delay_in_past": "delay in paying off in the past",
    "critical_account": "critical account / other credits existing elsewhere",
}
PROPERTY = {
    "real_estate": "real estate",
    "savings_insurance": "building society savings / life insurance",
    "car_or_other": "car or other",
    "none": "unknown / no property",
}
HOUSING = {"own": "own", "rent": "rent", "for_free": "for free"}
OTHER_INSTALLMENT_PLANS = {"none": "none", "bank": "bank", "stores": "stores"}
JOB_CATEGORIES = {
    "unskilled_non_resident": "unemployed / unskilled - non-resident",
    "unskilled_resident": "unskilled - resident",
    "skilled": "skilled employee / official",
    "highly_qualified": "management / self-employed / highly qualified",
}
JOB_NOT_EMPLOYED = "unemployed / unskilled - non-resident"
NO_ACCOUNT = "no_account"
TELEPHONE = {True: "yes, registered under the customer name", False: "none"}


class UnsupportedCurrencyError(ValueError):
    """The application's currency has no conversion to the model's unit in the policy."""


def raw_field(document: Any, path: str) -> Any:
    """The value at dotted ``path`` of a mapping or attribute object; ``None`` if absent."""
    value = document
    for part in path.split("."):
        if value is None:
            return None
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
    return value


@dataclass(frozen=True)
class Affordability:
    """Affordability figures of the request, in the application's currency.

    ``monthly_installment`` is priced at the policy's reference APR; ``installment_ratio`` is
    installment / disposable income (income - obligations); ``debt_to_income`` is
    (obligations + installment) / income. Ratios are ``None`` when income is missing.
    """

    monthly_installment: Decimal
    disposable_income: Decimal | None
    installment_ratio: Decimal | None
    debt_to_income: Decimal | None
    reference_apr: Decimal
    currency: str

    def to_dict(self) -> dict[str, Any]:
        return {key: None if value is None else str(value) for key, value in self.__dict__.items()}


@dataclass(frozen=True)
class FeatureDerivation:
    """Characteristics for the scorecard, the raw fields behind each, and affordability."""

    characteristics: dict[str, Any]
    sources: dict[str, tuple[str, ...]]
    affordability: Affordability
    amount_in_model_unit: Decimal
    as_of: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "characteristics": dict(self.characteristics),
            "sources": {k: list(v) for k, v in self.sources.items()},
            "affordability": self.affordability.to_dict(),
            "amount_in_model_unit": str(self.amount_in_model_unit),
            "as_of": self.as_of.isoformat(),
        }


def to_model_unit(amount: Decimal | None, currency: str, policy: Policy) -> Decimal | None:
    """Convert an amount in ``currency`` to the model's unit at the policy's fixed rate."""
    if amount is None:
        return None
    try:
        rate = policy.currencies[currency].to_model_unit
    except KeyError:
        raise UnsupportedCurrencyError(
            f"currency {currency!r} is not supported by policy {policy.version}"
        ) from None
    return Decimal(amount) * rate


def checking_account_status(
    balance: Decimal | str | None,
    salary_assigned_since: date | None,
    currency: str,
    as_of: date,
    policy: Policy,
) -> str | None:
    """Band of the checking account: none, below 0, 0 to under 200, 200+ or salary 1 year+."""
    if balance == NO_ACCOUNT:
        return CHECKING_NONE
    if salary_assigned_since is not None and completed_years(salary_assigned_since, as_of) >= 1:
        return CHECKING_HIGH
    in_unit = to_model_unit(balance, currency, policy)
    if in_unit is None:
        return None
    if in_unit < 0:
        return CHECKING_NEGATIVE
    return CHECKING_LOW if in_unit < 200 else CHECKING_HIGH


def savings_account_band(balance: Decimal | str | None, currency: str, policy: Policy) -> str:
    """Band of savings and bonds; no savings account (or not known) is its own band."""
    in_unit = None if balance == NO_ACCOUNT else to_model_unit(balance, currency, policy)
    if in_unit is None:
        return SAVINGS_NONE
    for upper, label in SAVINGS_BANDS:
        if in_unit < upper:
            return label
    return SAVINGS_TOP


def employment_band(status: str | None, start_date: date | None, as_of: date) -> str | None:
    """Present employment since: ``unemployed`` without a job, else a band of completed years."""
    if status in NOT_EMPLOYED_STATUSES:
        return NOT_EMPLOYED
    if status is None or start_date is None:
        return None
    years = completed_years(start_date, as_of)
    for upper, label in EMPLOYMENT_BANDS:
        if years < upper:
            return label
    return EMPLOYMENT_TOP


def installment_rate_band(installment_ratio: Decimal | None) -> int | None:
    """Installment / disposable income -> 1 (< 20 %), 2 (20-25 %), 3 (25-35 %), 4 (>= 35 %)."""
    if installment_ratio is None:
        return None
    for upper, band in INSTALLMENT_RATE_BANDS:
        if installment_ratio < upper:
            return band
    return INSTALLMENT_RATE_TOP


def residence_years(residence_since: date | None, as_of: date) -> int | None:
    """Completed years at the present address, clamped to the data's range 1..4."""
    if residence_since is None:
        return None
    return min(max(completed_years(residence_since, as_of), 1), 4)


def other_debtors(co_applicant: Any, guarantor: Any) -> str:
    """``guarantor`` if there is one (the stronger security), else ``co-applicant``, else none."""
    if guarantor:
        return "guarantor"
    return "co-applicant" if co_applicant else "none"


def affordability(document: Any, policy: Policy) -> Affordability:
    """Installment at the reference APR, disposable income, installment ratio and DTI."""
    currency = raw_field(document, "loan.currency")
    installment = monthly_payment(
        Decimal(raw_field(document, "loan.amount")),
        policy.reference_apr,
        int(raw_field(document, "loan.term_months")),
    )
    income = raw_field(document, "kyc.monthly_income")
    obligations = Decimal(raw_field(document, "kyc.monthly_obligations") or 0)
    if income is None or Decimal(income) <= 0:
        return Affordability(installment, None, None, None, policy.reference_apr, currency)
    income = Decimal(income)
    disposable = income - obligations
    # No disposable income at all is the heaviest burden, the top band.
    ratio = installment / disposable if disposable > 0 else Decimal("Infinity")
    dti = (obligations + installment) / income
    return Affordability(installment, disposable, ratio, dti, policy.reference_apr, currency)


def _mapped(table: Mapping[Any, str], value: Any, name: str) -> str | None:
    if value is None:
        return None
    try:
        return table[value]
    except KeyError:
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(table)}") from None


# The one table of raw fields behind each characteristic (docs/features.md mirrors it).
SOURCES: dict[str, tuple[str, ...]] = {
    "checking_account_status": (
        "crm.checking_balance",
        "crm.salary_assigned_since",
        "loan.currency",
    ),
    "duration_months": ("loan.term_months",),
    "credit_history": ("bureau.credit_history",),
    "purpose": ("loan.purpose",),
    "credit_amount": ("loan.amount", "loan.currency"),
    "savings_account": ("crm.savings_balance", "loan.currency"),
    "employment_since": ("kyc.employment.status", "kyc.employment.start_date"),
    "installment_rate_pct_income": (
        "loan.amount",
        "loan.term_months",
        "kyc.monthly_income",
        "kyc.monthly_obligations",
    ),
    "other_debtors": ("co_applicant", "guarantor"),
    "residence_since_years": ("kyc.residence_start_date",),
    "property": ("kyc.property",),
    "other_installment_plans": ("bureau.other_installment_plans",),
    "housing": ("kyc.housing",),
    "existing_credits_at_bank": ("crm.existing_credits_at_bank",),
    "job": ("kyc.employment.status", "kyc.employment.job_category"),
    "dependents": ("kyc.dependents",),
    "telephone": ("kyc.telephone_registered",),
    # Derived characteristics (risk_models/derived.py), from the amount, term and rate band.
    "amount_per_month": ("loan.amount", "loan.currency", "loan.term_months"),
    "installment_income_capacity": (
        "loan.amount",
        "loan.currency",
        "loan.term_months",
        "kyc.monthly_income",
        "kyc.monthly_obligations",
    ),
    "term_burden": (
        "loan.term_months",
        "loan.amount",
        "kyc.monthly_income",
        "kyc.monthly_obligations",
    ),
}


def _job(status: str | None, job_category: str | None) -> str | None:
    if status in NOT_EMPLOYED_STATUSES:
        return JOB_NOT_EMPLOYED
    return _mapped(JOB_CATEGORIES, job_category, "kyc.employment.job_category")


def _count_band(value: Any, low: int, high: int, offset: int = 0) -> int | None:
    return None if value is None else min(max(int(value) + offset, low), high)


def derive_characteristics(document: Any, *, as_of: date, policy: Policy) -> FeatureDerivation:
    """Map a validated application document to the scorecard's characteristics.

    Parameters
    ----------
    document : mapping or object
        The application (see ``docs/features.md`` for its fields); nested mappings or objects
        with the same attribute names both work.
    as_of : date
        The decision date, against which durations (employment, residence) are counted.
    policy : Policy
        Supplies currency conversion to the model's unit and the reference APR.

    Returns
    -------
    FeatureDerivation
        Characteristics keyed by the German data's column names (``None`` where the document
        does not say: scored in the Missing bin), their source fields and affordability figures.
    """
    currency = raw_field(document, "loan.currency")
    amount_in_unit = to_model_unit(Decimal(raw_field(document, "loan.amount")), currency, policy)
    status = raw_field(document, "kyc.employment.status")
    figures = affordability(document, policy)
    telephone = raw_field(document, "kyc.telephone_registered")
    characteristics = {
        "checking_account_status": checking_account_status(
            raw_field(document, "crm.checking_balance"),
            raw_field(document, "crm.salary_assigned_since"),
            currency,
            as_of,
            policy,
        ),
        "duration_months": int(raw_field(document, "loan.term_months")),
        "credit_history": _mapped(
            CREDIT_HISTORY, raw_field(document, "bureau.credit_history"), "bureau.credit_history"
        ),
        "purpose": _mapped(PURPOSES, raw_field(document, "loan.purpose"), "loan.purpose"),
        "credit_amount": float(amount_in_unit),
        "savings_account": savings_account_band(
            raw_field(document, "crm.savings_balance"), currency, policy
        ),
        "employment_since": employment_band(
            status, raw_field(document, "kyc.employment.start_date"), as_of
        ),
        "installment_rate_pct_income": installment_rate_band(figures.installment_ratio),
        "other_debtors": other_debtors(
            raw_field(document, "co_applicant"), raw_field(document, "guarantor")
        ),
        "residence_since_years": residence_years(
            raw_field(document, "kyc.residence_start_date"), as_of
        ),
        "property": _mapped(PROPERTY, raw_field(document, "kyc.property"), "kyc.property"),
        "other_installment_plans": _mapped(
            OTHER_INSTALLMENT_PLANS,
            raw_field(document, "bureau.other_installment_plans"),
            "bureau.other_installment_plans",
        ),
        "housing": _mapped(HOUSING, raw_field(document, "kyc.housing"), "kyc.housing"),
        # The data counts the credit applied for (its minimum is 1), so the new loan adds one.
        "existing_credits_at_bank": _count_band(
            raw_field(document, "crm.existing_credits_at_bank"), 1, 4, offset=1
        ),
        "job": _job(status, raw_field(document, "kyc.employment.job_category")),
        "dependents": _count_band(raw_field(document, "kyc.dependents"), 1, 2),
        "telephone": None if telephone is None else TELEPHONE[bool(telephone)],
    }
    # Computed by the same function as at training time, from the values above.
    characteristics.update(derived_values(characteristics))
    return FeatureDerivation(
        characteristics=characteristics,
        sources=dict(SOURCES),
        affordability=figures,
        amount_in_model_unit=amount_in_unit,
        as_of=as_of,
    )
