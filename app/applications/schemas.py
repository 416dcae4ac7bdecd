"""The API's shapes of an application: the request is the application document itself
(``risk_models.document``); the responses show the decision record and its notices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field

from app.notices.schemas import NoticePublic
from risk_models.document import ApplicationDocument, Strict
from risk_models.reasons import MAX_PRINCIPAL_REASONS

# The request body of POST /applications is the application document, validated as such.
ApplicationCreate = ApplicationDocument



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
    kind: str | None = Field(None, description="score, knockout or underwriter.")
    points_lost: float | None = Field(
        None, validation_alias=AliasChoices("points_lost", "points_below_best"),
        description="Points below the characteristic's best bin.")


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
    max_monthly_payment: Decimal | None = Field(
        None, description="The most a new loan may cost a month under the debt-to-income cap; "
                          "null when income is unknown.")
    affordable: bool | None = Field(None, description="Whether this offer's payment fits the "
                                                      "cap, at this offer's own term and APR.")
    risk_tier: str | None = Field(None, description="The tier the application scores in with "
                                                    "these terms (a counteroffer is scored at "
                                                    "its own amount and term).")


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
    adverse_action: Literal["decline", "counteroffer", "incomplete"] | None = Field(
        None, description="The adverse action this decision takes, each owing a notice.")
    reasons: list[ReasonPublic] = Field(
        description=f"Principal reasons (at most {MAX_PRINCIPAL_REASONS}).")
    knockouts: list[KnockoutPublic] = Field(description="Knock-out rules that fired.")
    terms: TermsPublic | None = Field(None, description="Recommended terms.")
    counteroffer: TermsPublic | None = Field(None, description="Offered instead of the request.")
    incomplete: list[str] = Field(default_factory=list,
                                  description="What the application still lacks.")
    model_version: str | None = Field(None, description="Scorecard version used.")
    policy_version: str = Field(description="Policy version used.")
    reason_catalog_version: str | None = Field(None, description="Reason statements used.")
    decided_by: str = Field(description="system, or the reviewing underwriter's actor id.")
    note: str | None = Field(None, description="Underwriter's reason for a review decision; "
                                               "null when none, or when erased.")
    note_erased: bool = Field(False, description="True when the decision had a note and the "
                                                 "applicant's personal data has been erased.")
    created_at: datetime = Field(description="When it was made (UTC).")


class ApplicationPublic(BaseModel):
    id: str = Field(description="Application id.")
    submitted_at: datetime = Field(description="When it was submitted (UTC).")
    submitted_by: str = Field(description="Actor id of the submitting officer or key.")
    status: str = Field(description="decided, referred, incomplete, counteroffered, reviewed, "
                                     "offer_accepted or offer_declined.")
    loan: dict[str, Any] = Field(description="The requested loan.")
    outcome: str = Field(description="Current outcome (the review's when reviewed).")
    adverse_action: Literal["decline", "counteroffer", "incomplete"] | None = Field(
        None, description="The current decision's adverse action, if any.")
    risk_tier: str | None = Field(None, description="Risk tier.")
    score: float | None = Field(None, description="Scorecard points.")
    probability_of_default: float | None = Field(None, description="Modelled PD.")
    reasons: list[ReasonPublic] = Field(description="Principal reasons.")
    terms: TermsPublic | None = Field(None, description="Recommended terms.")
    counteroffer: TermsPublic | None = Field(None, description="Counteroffer, if any.")
    incomplete: list[str] = Field(default_factory=list,
                                  description="What the application still lacks.")
    duplicate_flags: list[DuplicateFlag] = Field(description="Earlier applications it matches.")
    affordability: AffordabilityPublic = Field(description="Affordability of the request.")
    cleansing: list[dict[str, str]] = Field(description="What intake normalised (field, rule).")
    model_version: str | None = Field(None, description="Scorecard version.")
    policy_version: str = Field(description="Policy version.")
    reason_catalog_version: str | None = Field(None, description="Reason statements version.")
    subject_id: str = Field(description="The data subject the application is from: the holder "
                                        "of the key its personal data is sealed under.")
    personal_data: Literal["held", "erased"] = Field(
        description="erased once the subject's key was destroyed (erasure or retention): the "
                    "decision and its inputs remain, the identity and notes are gone.")
    decisions: list[DecisionPublic] = Field(description="Automated decision, then reviews.")
    notices: list[NoticePublic] = Field(description="Notice obligations its adverse actions "
                                                    "opened.")


class ApplicationSummary(BaseModel):
    id: str = Field(description="Application id.")
    submitted_at: datetime = Field(description="When it was submitted (UTC).")
    submitted_by: str = Field(description="Submitting actor id.")
    status: str = Field(description="decided, referred, incomplete, counteroffered, reviewed, "
                                     "offer_accepted or offer_declined.")
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
    reason_codes: list[str] = Field(default_factory=list, max_length=MAX_PRINCIPAL_REASONS,
                                    description="For a decline: the principal reason codes.")




class ReplayDifference(BaseModel):
    field: str = Field(description="Dotted path in the decision record.")
    stored: Any = Field(description="As stored with the decision.")
    replayed: Any = Field(description="As decided again.")


class ReplayPublic(BaseModel):
    application_id: str = Field(description="The application replayed.")
    decision_id: str = Field(description="Its automated decision.")
    identical: bool = Field(description="True when the replay reproduces the stored record.")
    differences: list[ReplayDifference] = Field(description="Each field that differs.")
    model_version: str = Field(description="Scorecard version used, as stamped.")
    model_artifact_sha256: str = Field(description="Its artifact digest.")
    policy_version: str = Field(description="Policy version used, as stamped.")
    reason_catalog_version: str = Field(description="Reason statements used, as stamped.")
    as_of: date = Field(description="The decision date the replay decides on.")


class MonitoringDisclosure(BaseModel):
    collection: Literal["off", "self_test"] = Field(
        description="off: a monitoring block is refused; self_test: it may be asked for, "
                    "voluntarily, with the disclosure.")
    disclosure: str | None = Field(None, description="The text to show the applicant.")
    fields: list[str] = Field(description="The voluntary monitoring fields.")


class TrailActor(BaseModel):
    id: str = Field(description="Actor id: a user id, an API key (key:ID) or a system name.")
    name: str = Field(description="The user's name; the id itself for systems and keys.")
    acted_as: str = Field(description="The role they acted with at the time.")


class TrailEvent(BaseModel):
    seq: int
    occurred_at: datetime
    action: str
    entity_type: str
    entity_id: str
    actor: TrailActor
    payload: dict[str, Any]
    hash: str
    prev_hash: str
    in_verified_chain: bool = Field(description="The chain recomputed from its first event "
                                                "reaches this event with this hash.")


class TrailDecision(BaseModel):
    id: str
    kind: str
    created_at: datetime
    outcome: str
    adverse_action: str | None
    risk_tier: str | None
    score: float | None
    reason_codes: list[str]
    knockout_codes: list[str]
    model_version: str | None
    policy_version: str
    decided_by: TrailActor


class TrailNotice(BaseModel):
    id: str
    kind: str
    status: str
    due_date: date
    report_id: int | None
    delivered_at: datetime | None
    delivery_channel: str | None


class TrailReportCheck(BaseModel):
    ok: bool
    detail: str


class TrailReportVerification(BaseModel):
    report_id: int
    kind: str | None
    ok: bool
    failed: list[str]
    checks: dict[str, TrailReportCheck]


class TrailReport(BaseModel):
    id: int
    kind: str
    created_at: datetime
    sha256: str
    manifest_sha256: str | None
    verification: TrailReportVerification


class TrailProof(BaseModel):
    chain: dict[str, Any] = Field(description="The whole chain recomputed from its first event "
                                              "(as GET /audit/verify answers).")
    events_in_verified_chain: int
    events: int
    ok: bool = Field(description="The chain verifies and every event of the trail is in it.")
    checkpoint: dict[str, Any] | None = Field(description="The verified head, signed now: keep "
                                                          "it to prove the trail later.")
    verified_at: datetime


class TrailPublic(BaseModel):
    application_id: str
    status: str
    outcome: str
    submitted_at: datetime
    submitted_by: TrailActor
    events: list[TrailEvent] = Field(description="Every ledger event about the application, "
                                                 "its notices and its reports, in order.")
    decisions: list[TrailDecision]
    notices: list[TrailNotice]
    reports: list[TrailReport]
    proof: TrailProof
