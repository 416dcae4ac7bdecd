"""The loan application document: what a lender receives, typed and validated.

The one definition of an application's fields, read by the decision (``risk_models.decisions``)
and by the service's intake alike. Validation is strict and explains itself: unknown fields are
refused, every offending field is named, and impossible dates, negative amounts and unsupported
values never reach the model. Personal data (names, national ids, dates of birth, addresses and
contacts) and monitoring data (``monitoring``) are fields of their own, so that the
non-identifying inputs can be kept apart from them (:func:`non_identifying_inputs`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from risk_models.capacity import has_legal_capacity

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _not_in_future(value: date) -> date:
    if value > datetime.now(UTC).date():
        raise ValueError("date lies in the future")
    return value


def _plausible_past(value: date) -> date:
    _not_in_future(value)
    if value.year < 1900:
        raise ValueError("date is before 1900")
    return value


PastDate = Annotated[date, AfterValidator(_plausible_past)]


# NUL and the other control characters but tab, line feed and carriage return: no text field
# has a use for them, and some (NUL) are refused by the database or break what is printed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Strict(BaseModel):
    """A request body: unknown fields are refused, and so are control characters in text."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and _CONTROL.search(t) for t in texts):
            raise ValueError("text must not contain NUL or other control characters")
        return value


class Loan(Strict):
    amount: PositiveMoney = Field(description="Requested principal, a decimal string: \"5000.00\".")
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code; see the policy.")
    term_months: int = Field(ge=1, le=480, description="Requested term; the policy bounds it.")
    purpose: Literal["car_new", "car_used", "furniture_equipment", "radio_television",
                     "domestic_appliances", "repairs", "education", "retraining", "business",
                     "other"] = Field(description="What the loan pays for.")


class Address(Strict):
    line1: Text = Field(description="Street and number.")
    line2: str | None = Field(None, max_length=200, description="Further address line.")
    city: Text = Field(description="City.")
    postal_code: str = Field(min_length=1, max_length=20, description="Postal code.")
    country: str = Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 code.")


class Contact(Strict):
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                              description="E-mail address.")
    phone: str | None = Field(None, max_length=32, description="Phone number; normalised to "
                                                               "E.164 where possible.")


class Employment(Strict):
    status: Literal["employed", "self_employed", "unemployed", "retired", "student"] = Field(
        description="Present employment status.")
    start_date: PastDate | None = Field(None, description="Start of present employment.")
    job_category: Literal["unskilled_non_resident", "unskilled_resident", "skilled",
                          "highly_qualified"] = Field(description="Job category.")

    @model_validator(mode="after")
    def _start_date_when_working(self) -> Employment:
        if self.status in ("employed", "self_employed") and self.start_date is None:
            raise ValueError("start_date is required when employed or self-employed")
        return self


class SanctionsScreening(Strict):
    status: Literal["clear", "potential_match", "confirmed_match", "not_screened"] = Field(
        description="Result of sanctions and PEP screening.")
    reference: str | None = Field(None, max_length=100, description="Screening provider's case.")
    screened_at: PastDate | None = Field(None, description="When the screening ran.")


IncomeSource = Literal["employment", "self_employment", "pension", "public_assistance",
                       "investment", "other"]


class KycInputs(Strict):
    """What KYC says about the applicant's means, without identifying them."""

    employment: Employment = Field(description="Employment.")
    monthly_income: Money | None = Field(description="Net monthly income; null if not provided.")
    # Recorded for the file only: no rule or characteristic reads it, so pension or
    # public-assistance income counts as income like any other (Reg B §1002.6(b)(5)).
    income_source: IncomeSource | None = Field(
        None, description="Main source of the income; recorded, never used to decide.")
    monthly_obligations: Money = Field(Decimal("0"), description="Rent and existing debt "
                                                                  "service per month.")
    housing: Literal["rent", "own", "for_free"] = Field(description="Housing situation.")
    residence_start_date: PastDate = Field(description="Living at the present address since.")
    dependents: int = Field(ge=0, le=20, description="People the applicant supports.")
    property: Literal["real_estate", "savings_insurance", "car_or_other", "none"] = Field(
        description="Most valuable property.")
    telephone_registered: bool = Field(description="A telephone is registered in their name.")
    sanctions_screening: SanctionsScreening = Field(description="Sanctions screening result.")


class Kyc(KycInputs):
    full_name: Text = Field(description="Applicant's full name (personal data).")
    date_of_birth: PastDate = Field(description="Date of birth (personal data).")
    national_id: str | None = Field(
        min_length=4, max_length=40,
        description="National identifier (personal data); null while not yet provided, which "
                    "makes the application incomplete.")
    address: Address | None = Field(
        description="Residential address (personal data); null while not yet provided, which "
                    "makes the application incomplete.")
    contact: Contact = Field(default_factory=Contact, description="Contact details.")

    @model_validator(mode="after")
    def _dates_after_birth(self) -> Kyc:
        problems = []
        if self.residence_start_date < self.date_of_birth:
            problems.append("residence_start_date is before date_of_birth")
        start = self.employment.start_date
        if start is not None and start < self.date_of_birth:
            problems.append("employment.start_date is before date_of_birth")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Bureau(Strict):
    credit_history: Literal["no_credits_or_all_paid", "all_paid_at_this_bank",
                            "existing_paid_duly", "delay_in_past", "critical_account"] = Field(
        description="Repayment history category from the credit bureau.")
    other_installment_plans: Literal["none", "bank", "stores"] = Field(
        description="Installment plans held elsewhere.")
    delinquencies_24m: int = Field(ge=0, le=100, description="Delinquencies in the last 24 "
                                                             "months.")
    existing_credits_elsewhere: int = Field(ge=0, le=100, description="Open credits at other "
                                                                      "lenders.")


NoAccount = Literal["no_account"]


class Crm(Strict):
    checking_balance: Decimal | NoAccount = Field(
        description="Checking account balance (may be negative) or \"no_account\".")
    salary_assigned_since: PastDate | None = Field(
        None, description="Salary paid into the checking account since.")
    savings_balance: Money | NoAccount = Field(description="Savings balance or \"no_account\".")
    existing_credits_at_bank: int = Field(ge=0, le=100, description="Credits already held here.")
    customer_since: PastDate | None = Field(None, description="Customer relationship since.")

    @field_validator("checking_balance")
    @classmethod
    def _two_decimals(cls, value: Decimal | str) -> Decimal | str:
        if isinstance(value, Decimal) and (value.as_tuple().exponent < -2  # type: ignore[operator]
                                           or abs(value) >= Decimal("1e12")):
            raise ValueError("a balance has at most 2 decimal places and 12 digits")
        return value


class CoApplicantInputs(Strict):
    monthly_income: Money | None = Field(None, description="Net monthly income.")


class CoApplicant(CoApplicantInputs):
    full_name: Text = Field(description="Co-applicant's name (personal data).")
    date_of_birth: PastDate = Field(description="Co-applicant's date of birth (personal data).")
    national_id: str = Field(min_length=4, max_length=40, description="National identifier.")


class GuarantorInputs(Strict):
    """A guarantor's presence; who they are is personal data and stays out of the inputs."""


class Guarantor(GuarantorInputs):
    full_name: Text = Field(description="Guarantor's name (personal data).")
    date_of_birth: PastDate | None = Field(
        None, description="Guarantor's date of birth (personal data); sharpens sanctions "
                          "screening, which otherwise has only the name to go on.")
    national_id: str = Field(min_length=4, max_length=40, description="National identifier.")


MONITORING_DISCLOSURE = (
    "The following information is requested by the lender to monitor its compliance with equal "
    "credit opportunity laws. You are not required to provide it, and the lender may not "
    "discriminate on the basis of it or of whether you choose to provide it. It is never used "
    "to decide your application.")


class Monitoring(Strict):
    """Voluntary monitoring data (Reg B §1002.5(a)(2), §1002.13): never required, never read by
    a decision rule, stored apart and used only in fairness audits."""

    sex: Literal["female", "male", "other", "not_provided"] = Field(
        "not_provided", description="Voluntary; for fairness monitoring only, never used to "
                                    "decide.")
    marital_status: Literal["married", "unmarried", "separated", "not_provided"] = Field(
        "not_provided", description="Voluntary; for fairness monitoring only, never used to "
                                    "decide.")
    nationality: str | None = Field(None, pattern=r"^[A-Za-z]{2}$",
                                    description="Voluntary ISO alpha-2 code; for fairness "
                                                "monitoring only, never used to decide.")


class IdentityFacts(Strict):
    """What the decision needs to know from personal data, without holding any of it.

    Established at intake from the full document on the decision date, and kept with the
    inputs so that a decision can be replayed after the personal data is erased.
    """

    legal_capacity: bool | None = Field(
        description="Whether the applicant had reached the policy's minimum age on the decision "
                    "date; null when the date of birth was not known.")
    missing: list[Literal["national_id", "address"]] = Field(
        default_factory=list, description="Identity details not yet provided.")


class ApplicationInputs(Strict):
    """Every non-identifying input of an application, as received, and its identity facts.

    This is what the decision reads and what is kept for replay (Reg B §1002.12(b)).
    """

    loan: Loan = Field(description="The requested loan.")
    kyc: KycInputs = Field(description="Employment, income, obligations, sanctions screening.")
    bureau: Bureau = Field(description="Credit bureau data.")
    crm: Crm = Field(description="The customer's relationship with this bank.")
    co_applicant: CoApplicantInputs | None = Field(None, description="Co-applicant, if any.")
    guarantor: GuarantorInputs | None = Field(None, description="Guarantor, if any.")
    identity: IdentityFacts = Field(description="Facts established from the personal data.")


class ApplicationDocument(Strict):
    """A loan application as submitted: the request, KYC, bureau and CRM data, and the
    optional, voluntary monitoring block."""

    loan: Loan = Field(description="The requested loan.")
    kyc: Kyc = Field(description="Identity, employment, income, sanctions screening.")
    bureau: Bureau = Field(description="Credit bureau data.")
    crm: Crm = Field(description="The customer's relationship with this bank.")
    co_applicant: CoApplicant | None = Field(None, description="Optional co-applicant.")
    guarantor: Guarantor | None = Field(None, description="Optional guarantor.")
    monitoring: Monitoring | None = Field(None, description="Voluntary fairness monitoring data.")

    def inputs(self, *, as_of: date, minimum_age: int) -> ApplicationInputs:
        """The non-identifying inputs, with the identity facts established on ``as_of``."""
        kept = self.model_dump(exclude=_PERSONAL_FIELDS)
        missing = [name for name in ("national_id", "address")
                   if getattr(self.kyc, name) in (None, "")]
        kept["identity"] = IdentityFacts(
            legal_capacity=has_legal_capacity(self.kyc.date_of_birth, as_of, minimum_age),
            missing=missing)
        return ApplicationInputs.model_validate(kept)


# The fields each personal-data class adds to its inputs class: excluded from the inputs.
_PERSONAL_FIELDS: dict[str, Any] = {
    "kyc": set(Kyc.model_fields) - set(KycInputs.model_fields),
    "co_applicant": set(CoApplicant.model_fields) - set(CoApplicantInputs.model_fields),
    "guarantor": set(Guarantor.model_fields) - set(GuarantorInputs.model_fields),
    "monitoring": True,
}
