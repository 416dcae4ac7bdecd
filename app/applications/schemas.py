"""The loan application document and the decision returned for it.

Validation is strict and explains itself: unknown fields are refused, every offending field is
named, and impossible dates, negative amounts and unsupported values never reach the model.
"""

from __future__ import annotations

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class Kyc(Strict):
    full_name: Text = Field(description="Applicant's full name (personal data).")
    date_of_birth: PastDate = Field(description="Date of birth (personal data).")
    national_id: str = Field(min_length=4, max_length=40, description="National identifier.")
    address: Address = Field(description="Residential address (personal data).")
    contact: Contact = Field(default_factory=Contact, description="Contact details.")
    employment: Employment = Field(description="Employment.")
    monthly_income: Money | None = Field(description="Net monthly income; null if not provided.")
    monthly_obligations: Money = Field(Decimal("0"), description="Rent and existing debt "
                                                                  "service per month.")
    housing: Literal["rent", "own", "for_free"] = Field(description="Housing situation.")
    residence_start_date: PastDate = Field(description="Living at the present address since.")
    dependents: int = Field(ge=0, le=20, description="People the applicant supports.")
    property: Literal["real_estate", "savings_insurance", "car_or_other", "none"] = Field(
        description="Most valuable property.")
    telephone_registered: bool = Field(description="A telephone is registered in their name.")
    sanctions_screening: SanctionsScreening = Field(description="Sanctions screening result.")

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


class CoApplicant(Strict):
    full_name: Text = Field(description="Co-applicant's name (personal data).")
    date_of_birth: PastDate = Field(description="Co-applicant's date of birth (personal data).")
    national_id: str = Field(min_length=4, max_length=40, description="National identifier.")
    monthly_income: Money | None = Field(None, description="Net monthly income.")


class Guarantor(Strict):
    full_name: Text = Field(description="Guarantor's name (personal data).")
    national_id: str = Field(min_length=4, max_length=40, description="National identifier.")


class Monitoring(Strict):
    sex: Literal["female", "male", "other", "not_provided"] = Field(
        "not_provided", description="For fairness monitoring only; never used to decide.")
    nationality: str | None = Field(None, pattern=r"^[A-Za-z]{2}$",
                                    description="ISO alpha-2; fairness monitoring only.")


class ApplicationCreate(Strict):
    loan: Loan = Field(description="The requested loan.")
    kyc: Kyc = Field(description="Identity, employment, income, sanctions screening.")
    bureau: Bureau = Field(description="Credit bureau data.")
    crm: Crm = Field(description="The customer's relationship with this bank.")
    co_applicant: CoApplicant | None = Field(None, description="Optional co-applicant.")
    guarantor: Guarantor | None = Field(None, description="Optional guarantor.")
    monitoring: Monitoring | None = Field(None, description="Fairness monitoring data only.")


# --- Responses ----------------------------------------------------------------------------------


class KnockoutPublic(BaseModel):
    code: str = Field(description="Stable rule code.")
    action: str = Field(description="decline or refer.")
    statement: str = Field(description="What the rule found.")


class AffordabilityPublic(BaseModel):
    monthly_installment: Decimal = Field(description="Installment at the reference APR.")
    disposable_income: Decimal | None = Field(None, description="Income minus obligations.")
    installment_ratio: Decimal | None = Field(None, description="Installment / disposable.")
    debt_to_income: Decimal | None = Field(None, description="(Obligations + installment) / "
                                                             "income.")
    reference_apr: Decimal = Field(description="APR used for the installment estimate.")
    currency: str = Field(description="ISO 4217 code.")


class ReasonPublic(BaseModel):
    code: str = Field(description="Stable reason code.")
    statement: str = Field(description="Specific statement tied to the applicant's data.")
    characteristic: str | None = Field(None, description="Scorecard characteristic, if any.")
    points_lost: float | None = Field(None, description="Points below the characteristic's "
                                                        "best bin.")


class TermsPublic(BaseModel):
    amount: Decimal = Field(description="Principal.")
    currency: str = Field(description="ISO 4217 code.")
    term_months: int = Field(description="Term in months.")
    apr: Decimal = Field(description="Annual percentage rate as a fraction: 0.0990 is 9.90%.")
    monthly_payment: Decimal = Field(description="Annuity payment per month.")
    total_repayable: Decimal = Field(description="Monthly payment times the term.")
    max_affordable_amount: Decimal | None = Field(
        None, description="Largest amount whose payment fits the debt-to-income cap at this "
                          "term and APR; null when income is unknown.")
    affordable: bool | None = Field(None, description="Whether the amount fits the DTI cap.")


class DuplicateFlag(BaseModel):
    kind: str = Field(description="national_id or name_and_date_of_birth.")
    application_id: str = Field(description="The earlier application it matches.")
    submitted_at: datetime = Field(description="When the earlier one was submitted.")


class DecisionPublic(BaseModel):
    id: str = Field(description="Decision id.")
    kind: str = Field(description="automated; review (an underwriter deciding a referral); or "
                                  "override (reversing an automated decision).")
    outcome: str = Field(description="approve, refer or decline.")
    risk_tier: str | None = Field(None, description="low, medium or high.")
    score: float | None = Field(None, description="Scorecard points.")
    probability_of_default: float | None = Field(None, description="Modelled PD.")
    reasons: list[ReasonPublic] = Field(description="Principal reasons (at most four).")
    knockouts: list[KnockoutPublic] = Field(description="Knock-out rules that fired.")
    terms: TermsPublic | None = Field(None, description="Recommended terms.")
    counteroffer: TermsPublic | None = Field(None, description="Offered instead of the request.")
    model_version: str | None = Field(None, description="Scorecard version used.")
    policy_version: str = Field(description="Policy version used.")
    decided_by: str = Field(description="system, or the reviewing underwriter's actor id.")
    note: str | None = Field(None, description="Underwriter's reason for a review decision.")
    created_at: datetime = Field(description="When it was made (UTC).")


class ApplicationPublic(BaseModel):
    id: str = Field(description="Application id.")
    submitted_at: datetime = Field(description="When it was submitted (UTC).")
    submitted_by: str = Field(description="Actor id of the submitting officer or key.")
    status: str = Field(description="decided, referred or reviewed.")
    loan: dict[str, Any] = Field(description="The requested loan.")
    outcome: str = Field(description="Current outcome (the review's when reviewed).")
    risk_tier: str | None = Field(None, description="Risk tier.")
    score: float | None = Field(None, description="Scorecard points.")
    probability_of_default: float | None = Field(None, description="Modelled PD.")
    reasons: list[ReasonPublic] = Field(description="Principal reasons.")
    terms: TermsPublic | None = Field(None, description="Recommended terms.")
    counteroffer: TermsPublic | None = Field(None, description="Counteroffer, if any.")
    duplicate_flags: list[DuplicateFlag] = Field(description="Earlier applications it matches.")
    affordability: AffordabilityPublic = Field(description="Affordability of the request.")
    cleansing: list[dict[str, str]] = Field(description="What intake normalised (field, rule).")
    model_version: str | None = Field(None, description="Scorecard version.")
    policy_version: str = Field(description="Policy version.")
    decisions: list[DecisionPublic] = Field(description="Automated decision, then reviews.")


class ApplicationSummary(BaseModel):
    id: str = Field(description="Application id.")
    submitted_at: datetime = Field(description="When it was submitted (UTC).")
    submitted_by: str = Field(description="Submitting actor id.")
    status: str = Field(description="decided, referred or reviewed.")
    outcome: str = Field(description="Current outcome.")
    risk_tier: str | None = Field(None, description="Risk tier.")
    score: float | None = Field(None, description="Scorecard points.")
    amount: Decimal = Field(description="Requested amount.")
    currency: str = Field(description="Currency.")


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary] = Field(description="Newest first.")
    total: int = Field(description="Applications matching the filters.")
    offset: int = Field(description="Offset of the first item.")
    limit: int = Field(description="Page size.")


class ReviewCreate(Strict):
    outcome: Literal["approve", "decline"] = Field(description="The underwriter's decision.")
    note: str = Field(min_length=10, max_length=2000,
                      description="Why; kept with the decision and its ledger digest.")
    reason_codes: list[str] = Field(default_factory=list, max_length=4,
                                    description="For a decline: the principal reason codes.")


