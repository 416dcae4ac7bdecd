"""What the early-warning API reads and answers: account events, bookings, rule sets, actions,
the watch list, snoozes and the portfolio view."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from risk_models.document import Strict

# A POST /events batch, and a file's transaction: big enough for a servicer's nightly feed in a
# few requests, small enough that one transaction stays short.
MAX_EVENTS_PER_BATCH = 5_000
# How far an event's occurrence may lie from the time it is loaded. Ahead: a sender's clock
# running fast, no more; a later event would stand as the account's latest status until then
# and hide the arrears reported meanwhile. Behind: no signal reads more than a year of cycles;
# ten years leaves room for a migrated book without admitting typos such as the year 1.
EVENT_CLOCK_SKEW = timedelta(hours=1)
EVENT_MAX_AGE = timedelta(days=3653)
# An interaction's text beyond this is refused: a support note, not a transcript archive.
MAX_INTERACTION_TEXT = 20_000

EventId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$",
                               description="The sender's id of the event: sending it again is "
                                           "sending it once.")]
AccountId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$",
                                 description="The loan account's reference.")]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2,
                                  description="An amount in the account's currency.")]
Days = Annotated[int, Field(ge=0, le=3650, description="Days past due.")]


class _Event(Strict):
    id: EventId
    account_id: AccountId
    occurred_at: AwareDatetime = Field(description="When it happened (with its offset).")


class PaymentDue(_Event):
    kind: Literal["payment_due"]
    amount: Amount = Field(description="The amount due this cycle.")
    statement_balance: Decimal | None = Field(
        None, ge=Decimal("-999999999999.99"), le=Decimal("999999999999.99"), decimal_places=2,
        description="The statement balance the amount is due on (revolving accounts).")


class PaymentPaid(_Event):
    kind: Literal["payment_paid"]
    amount: Amount = Field(description="The amount paid.")
    days_past_due: Days = Field(0, description="Days past due after this payment (0: current).")


class PaymentLate(_Event):
    kind: Literal["payment_late", "payment_missed"]
    days_past_due: Annotated[int, Field(ge=1, le=3650)] = Field(
        description="Days past due as of this event.")
    amount_overdue: Amount | None = Field(None, description="The amount overdue.")


class BalanceSnapshot(_Event):
    kind: Literal["balance_snapshot"]
    balance: Decimal = Field(ge=Decimal("-999999999999.99"), le=Decimal("999999999999.99"),
                             decimal_places=2, description="The balance (negative: a credit).")


class Engagement(_Event):
    kind: Literal["engagement"]
    activity: Literal["sign_in", "contact"] = Field(description="What the customer did.")


class SupportInteraction(_Event):
    kind: Literal["support_interaction"]
    channel: Literal["phone", "email", "chat", "branch", "letter"]
    text: str = Field(min_length=1, max_length=MAX_INTERACTION_TEXT,
                      description="What was said: personal data, sealed on arrival and never "
                                  "logged; only its sentiment score is kept in the clear.")


class BureauUpdate(_Event):
    kind: Literal["bureau_update"]
    new_delinquency: bool = Field(description="A new delinquency reported at another lender.")
    days_past_due: Days | None = Field(None, description="Its days past due, when reported.")


AccountEventIn = Annotated[
    PaymentDue | PaymentPaid | PaymentLate | BalanceSnapshot | Engagement | SupportInteraction
    | BureauUpdate, Field(discriminator="kind")]
EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(AccountEventIn)
EVENT_KINDS = ("payment_due", "payment_paid", "payment_late", "payment_missed",
               "balance_snapshot", "engagement", "support_interaction", "bureau_update")


class EventBatch(BaseModel):
    # A misspelt key beside "events" is refused, not ignored: the sender meant something by it.
    model_config = ConfigDict(extra="forbid")
    # Items are validated one by one by the service, so one bad event never refuses the rest.
    events: list[Any] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH,
                                         description="The events, in any order.")


class EventProblem(BaseModel):
    index: int = Field(description="Position in the batch (0-based) or line in the file "
                                   "(1-based).")
    event_id: str | None = Field(None, description="The event's id, when it had one.")
    field: str | None = Field(None, description="The field at fault.")
    code: str = Field(description="Stable code of the problem.")
    message: str = Field(description="What is wrong and what to do.")


class EventLoadPublic(BaseModel):
    id: str = Field(description="The load's id.")
    loaded_at: datetime
    source: str = Field(description="api or file.")
    sha256: str = Field(description="Of the events as received.")
    received: int = Field(description="Events in the batch.")
    applied: int = Field(description="New events stored and applied.")
    duplicates: int = Field(description="Events already received (same id, same content).")
    rejected: int = Field(description="Events refused; each is listed in problems (the first "
                                      "200 problems, then one entry `more_problems` saying "
                                      "how many more).")
    accounts: int = Field(description="Accounts reassessed.")
    rule_set_version: int | None = Field(None, description="The published rule set applied.")
    problems: list[EventProblem] = Field(description="Each refused event and why.")


class AccountBook(Strict):
    account_id: AccountId
    application_id: str = Field(min_length=1, max_length=32,
                                description="The approved application the loan was granted on.")
    product: Literal["instalment", "revolving"] = Field(description="The kind of credit.")
    credit_limit: Amount | None = Field(None, description="The limit of a revolving account.")
    booked_at: AwareDatetime | None = Field(None, description="When it was booked (default: "
                                                              "now).")


CloseReason = Literal["repaid", "charged_off", "sold", "other"]


class AccountClose(Strict):
    reason: CloseReason = Field(description="Why the account is closed.")
    note: str = Field(min_length=1, max_length=2_000,
                      description="What servicing records with it (kept as written; the "
                                  "ledger holds its sha256).")


class AccountPublic(BaseModel):
    id: str
    application_id: str
    product: str
    currency: str
    principal: Decimal
    credit_limit: Decimal | None
    term_months: int
    apr: Decimal
    monthly_payment: Decimal
    booked_at: datetime
    state: str
    closed_reason: str | None = None
    closed_at: datetime | None = None
    closed_note: str | None = None
    days_past_due: int
    dpd_bucket: str = Field(description="current, 1-30, 31-60, 61-90 or 90+.")
    level: str = Field(description="low, medium or high.")
    level_since: datetime
    behavioural_score: float | None
    behavioural_pd: float | None
    behavioural_model: str | None
    application_pd: float | None
    last_event_at: datetime | None
    events_applied: int
    signals: dict[str, Any] = Field(description="The signals of the last assessment.")
    drivers: list[str] = Field(description="What set the level, in words.")
    on_watch_list: bool = False


class AssessmentPublic(BaseModel):
    id: int
    assessed_at: datetime
    as_of: datetime
    cause: str
    level: str
    previous_level: str
    behavioural_pd: float | None
    rule_set_version: int | None
    signals: dict[str, Any]
    drivers: list[str]


class ActionPublic(BaseModel):
    id: str
    account_id: str
    kind: str
    state: str
    channel: str | None
    created_at: datetime
    created_by: str
    rule_set_version: int | None
    rule_id: str | None
    high_impact: bool
    params: dict[str, Any]
    held_reason: str | None
    maker_id: str | None
    checker_id: str | None
    decided_at: datetime | None
    outcome: str | None
    decision_id: str | None
    notice_id: str | None


class ActionDecision(Strict):
    note: str = Field(min_length=3, max_length=200, description="Why (kept on the ledger; no "
                                                                 "personal data).")


class ManualProposal(Strict):
    kind: Literal["propose_limit_reduction", "propose_restructuring", "schedule_outreach",
                  "raise_alert"]
    reduce_by_pct: int | None = Field(None, ge=1, le=90, description="For a limit reduction.")
    channel: Literal["call", "email", "sms", "letter"] | None = None
    note: str = Field(min_length=3, max_length=200)


class WatchListAdd(Strict):
    owner_id: str = Field(min_length=1, max_length=64, description="The named owner's user id.")
    reason: str = Field(min_length=3, max_length=200)


class WatchListPublic(BaseModel):
    id: str
    account_id: str
    owner_id: str
    state: str
    added_at: datetime
    added_by: str
    reason: str
    exit_requested_by: str | None
    exit_requested_at: datetime | None
    exit_reason: str | None
    exited_by: str | None
    exited_at: datetime | None
    age_days: int = Field(description="Days on the list so far (or until it left).")


class SnoozeCreate(Strict):
    until: AwareDatetime = Field(description="When automated contact may resume.")
    reason: str = Field(min_length=3, max_length=200)


class SnoozePublic(BaseModel):
    id: str
    account_id: str
    until: datetime
    reason: str
    created_by: str
    created_at: datetime
    lifted_at: datetime | None


class RuleSetDraft(Strict):
    body: dict[str, Any] = Field(description="The rule-set document (docs/monitoring.md).")
    based_on: int | None = Field(None, description="The version it revises.")


class RuleSetPublic(BaseModel):
    version: int
    state: str = Field(description="draft, published, superseded or withdrawn.")
    body: dict[str, Any]
    sha256: str
    based_on: int | None
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None
    superseded_at: datetime | None
    shadow: dict[str, Any] | None = Field(description="Its last shadow run's figures.")
    figures: dict[str, Any] = Field(description="What it has done while published.")


class RuleSetMove(Strict):
    reason: str = Field(min_length=3, max_length=200)
