"""Derive the scorecard's characteristics from a raw application document.

The output uses the German credit data's column names and category labels exactly, so the bundled
model scores live applications. ``docs/features.md`` is the field-by-field table of this module.
Protected data (the ``monitoring`` block, date of birth) is never read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from risk_models.capacity import completed_years
from risk_models.derived import derived_values
from risk_models.terms import monthly_payment

if TYPE_CHECKING:
    from risk_models.policy import CurrencyRule, Policy

# The German data's balance bands. The DM amounts in the labels are the data's; a live balance is
# compared with its currency's own round equivalents (CurrencyRule.checking_threshold and
# savings_thresholds), which reason statements quote.
CHECKING_NONE = "no checking account"
CHECKING_NEGATIVE = "< 0 DM"
CHECKING_LOW = "0 <= ... < 200 DM"
CHECKING_HIGH = ">= 200 DM or salary assigned >= 1 year"
SAVINGS_NONE = "unknown / no savings account"
SAVINGS_LABELS = ("< 100 DM", "100 <= ... < 500 DM", "500 <= ... < 1000 DM")
SAVINGS_TOP = ">= 1000 DM"
EMPLOYMENT_BANDS = ((1, "< 1 year"), (4, "1 <= ... < 4 years"), (7, "4 <= ... < 7 years"))
EMPLOYMENT_TOP = ">= 7 years"
NOT_EMPLOYED = "unemployed"
NOT_EMPLOYED_STATUSES = frozenset({"unemployed"})
# Retirement and study are not unemployment and may not count against the applicant
# (Reg B §1002.6(b)(2), (b)(5)): their employment and job are left missing, the neutral bin.
NEUTRAL_STATUSES = frozenset({"retired", "student"})
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


def currency_rule(currency: str, policy: Policy) -> CurrencyRule:
    """The policy's rule for ``currency``; :class:`UnsupportedCurrencyError` if it has none."""
    try:
        return policy.currencies[currency]
    except KeyError:
        raise UnsupportedCurrencyError(
            f"currency {currency!r} is not supported by policy {policy.version}"
        ) from None


def to_model_unit(amount: Decimal | None, currency: str, policy: Policy) -> Decimal | None:
    """Convert an amount in ``currency`` to the model's unit at the policy's fixed rate."""
    if amount is None:
        return None
    return Decimal(amount) * currency_rule(currency, policy).to_model_unit


def checking_account_status(
    balance: Decimal | str | None,
    salary_assigned_since: date | None,
    currency: str,
    as_of: date,
    policy: Policy,
) -> str | None:
    """Band of the checking account: none, below 0, 0 to under the currency's checking
    threshold (the data's 200 DM band), from it, or salary paid in for a year or more."""
    if balance == NO_ACCOUNT:
        return CHECKING_NONE
    if salary_assigned_since is not None and completed_years(salary_assigned_since, as_of) >= 1:
        return CHECKING_HIGH
    if balance is None:
        return None
    amount = Decimal(balance)
    if amount < 0:
        return CHECKING_NEGATIVE
    threshold = currency_rule(currency, policy).checking_threshold
    return CHECKING_LOW if amount < threshold else CHECKING_HIGH


def savings_account_band(balance: Decimal | str | None, currency: str, policy: Policy) -> str:
    """Band of savings and bonds against the currency's savings thresholds (the data's 100, 500
    and 1000 DM bands); no savings account (or not known) is its own band."""
    if balance is None or balance == NO_ACCOUNT:
        return SAVINGS_NONE
    amount = Decimal(balance)
    thresholds = currency_rule(currency, policy).savings_thresholds
    for upper, label in zip(thresholds, SAVINGS_LABELS, strict=True):
        if amount < upper:
            return label
    return SAVINGS_TOP


def employment_band(status: str | None, start_date: date | None, as_of: date) -> str | None:
    """Present employment since: ``unemployed`` without a job, else a band of completed years.

    Retired and student are neither employed nor unemployed: missing (the neutral bin).
    """
    if status in NOT_EMPLOYED_STATUSES:
        return NOT_EMPLOYED
    if status is None or status in NEUTRAL_STATUSES or start_date is None:
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
    if income is None:
        return Affordability(installment, None, None, None, policy.reference_apr, currency)
    income = Decimal(income)
    disposable = income - obligations
    # Without disposable income the ratio has no finite value (see installment_burden_band).
    ratio = installment / disposable if disposable > 0 else None
    dti = (obligations + installment) / income if income > 0 else None
    return Affordability(installment, disposable, ratio, dti, policy.reference_apr, currency)


def installment_burden_band(figures: Affordability) -> int | None:
    """The installment-rate band of the request: missing without income, the top band when
    obligations leave no disposable income at all (the heaviest burden there is)."""
    if figures.disposable_income is not None and figures.disposable_income <= 0:
        return INSTALLMENT_RATE_TOP
    return installment_rate_band(figures.installment_ratio)


def underivable_characteristics(features: Iterable[str]) -> list[str]:
    """The characteristics in ``features`` that no application document can give.

    ``SOURCES`` names, for every characteristic :func:`derive_characteristics` derives, the
    document fields it comes from; a model reading any other column would score every
    applicant in its Missing bin.
    """
    return sorted(set(features) - set(SOURCES))


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
    if status in NEUTRAL_STATUSES:
        return None
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
        Supplies currency conversion to the model's unit, the balance thresholds of each
        currency and the reference APR.

    Returns
    -------
    FeatureDerivation
        Characteristics keyed by the German data's column names (``None`` where the document
        does not say: scored in the Missing bin), their source fields and affordability figures.
    """
    currency = raw_field(document, "loan.currency")
    amount_in_unit = Decimal(raw_field(document, "loan.amount")) * currency_rule(
        currency, policy
    ).to_model_unit
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
        "installment_rate_pct_income": installment_burden_band(figures),
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
