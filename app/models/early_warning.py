"""Watching granted loans: loan accounts, their events, risk-level assessments, the watch list,
versioned rule sets, the actions rules and people take, and customers' snoozes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    text,
)
from sqlmodel import Field, SQLModel

from app.models.applications import JSONValue
from app.models.base import utc_datetime_field, utcnow


class LoanAccount(SQLModel, table=True):
    """A booked loan: the approved application it came from, its terms, and its state as the
    events received so far leave it (the signals, level and score the last assessment gave)."""

    __tablename__ = "loan_accounts"
    __table_args__ = (
        # The portfolio view counts by level and by bucket with the index alone.
        Index("ix_loan_accounts_level", "level", "dpd_bucket"),
        Index("ix_loan_accounts_subject", "subject_id"),
    )

    id: str = Field(primary_key=True, max_length=64)  # the servicer's account reference
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False, unique=True))
    # The customer: the data subject whose key seals their interaction text.
    subject_id: str = Field(sa_column=Column(String(32), ForeignKey("data_subjects.id"),
                                             nullable=False))
    product: str = Field(max_length=16)  # instalment | revolving
    currency: str = Field(max_length=3)
    principal: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    credit_limit: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2),
                                                                        nullable=True))
    term_months: int
    apr: Decimal = Field(sa_column=Column(Numeric(7, 4), nullable=False))
    monthly_payment: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    booked_at: datetime = utc_datetime_field(default_factory=utcnow)
    booked_by: str = Field(max_length=64)
    state: str = Field(default="open", max_length=16)  # open | closed
    # Why and when servicing closed it (repaid, charged_off, sold, other): a closed account
    # takes no events and no actions; its history stays.
    closed_reason: str | None = Field(default=None, max_length=16)
    closed_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    closed_by: str | None = Field(default=None, max_length=64)
    closed_note: str | None = Field(default=None, max_length=2_000)
    days_past_due: int = 0
    dpd_bucket: str = Field(default="current", max_length=8)
    level: str = Field(default="low", max_length=8)
    level_since: datetime = utc_datetime_field(default_factory=utcnow)
    behavioural_score: float | None = None
    behavioural_pd: float | None = None
    behavioural_model: str | None = Field(default=None, max_length=64)
    application_pd: float | None = None  # the application scorecard's, at the last rescore
    last_event_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    events_applied: int = 0
    # What the last assessment read and found: the account's cycles and contacts in the shape
    # risk_models.early_warning reads them, its characteristics and its signals.
    history: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    characteristics: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    signals: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    drivers: list[str] = Field(sa_column=Column(JSONValue, nullable=False))


class EventLoad(SQLModel, table=True):
    """One batch of account events received: how many were new, repeated or refused."""

    __tablename__ = "event_loads"

    id: str = Field(primary_key=True, max_length=32)
    loaded_at: datetime = utc_datetime_field(default_factory=utcnow, index=True)
    loaded_by: str = Field(max_length=64)
    source: str = Field(max_length=8)  # api | file
    sha256: str = Field(max_length=64)
    received: int
    applied: int
    duplicates: int
    rejected: int
    accounts: int
    rule_set_version: int | None = None
    problems: list[dict[str, Any]] = Field(sa_column=Column(JSONValue, nullable=False))


class AccountEvent(SQLModel, table=True):
    """An event of a loan account as received (its id is the sender's: loading it twice is
    loading it once). Interaction text is personal data: sealed, never in ``payload``."""

    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_account_time", "account_id", "occurred_at"),)

    id: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(sa_column=Column(String(64), ForeignKey("loan_accounts.id"),
                                             nullable=False))
    kind: str = Field(max_length=24)
    occurred_at: datetime = utc_datetime_field()
    received_at: datetime = utc_datetime_field(default_factory=utcnow)
    load_id: str = Field(max_length=32)
    sha256: str = Field(max_length=64)  # of the event as received, text included
    payload: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    text_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # What was derived from the text (sentiment, distress terms): kept in the clear.
    derived: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))


class AccountAssessment(SQLModel, table=True):
    """One assessment of an account: its signals as they stood, the level they gave and why.
    Kept for every assessment, so a draft rule set can be run in shadow over past ones."""

    __tablename__ = "account_assessments"
    __table_args__ = (
        Index("ix_account_assessments_account", "account_id", "id"),
        Index("ix_account_assessments_at", "assessed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(sa_column=Column(String(64), ForeignKey("loan_accounts.id"),
                                             nullable=False))
    assessed_at: datetime = utc_datetime_field(default_factory=utcnow)
    as_of: datetime = utc_datetime_field()  # the latest event it read
    cause: str = Field(max_length=16)  # events | rescore
    level: str = Field(max_length=8)
    previous_level: str = Field(max_length=8)
    behavioural_pd: float | None = None
    rule_set_version: int | None = None
    signals: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    drivers: list[str] = Field(sa_column=Column(JSONValue, nullable=False))


class RuleSetVersion(SQLModel, table=True):
    """A version of the early-warning rules: drafted, run in shadow, published by a second
    person; one published at a time, and the one before it a step away (rollback)."""

    __tablename__ = "rule_sets"
    __table_args__ = (
        Index("uq_rule_sets_one_published", "state", unique=True,
              sqlite_where=text("state = 'published'"),
              postgresql_where=text("state = 'published'")),
    )

    version: int = Field(primary_key=True)
    state: str = Field(max_length=16)  # draft | published | superseded | withdrawn
    body: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    sha256: str = Field(max_length=64)
    based_on: int | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    published_by: str | None = Field(default=None, max_length=64)
    published_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    superseded_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    # The last shadow run's figures: what this version would have done over past assessments.
    shadow: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONValue,
                                                                         nullable=True))


class AccountAction(SQLModel, table=True):
    """What a rule (or a person) did or proposes for an account: an alert, a case, an outreach
    task, a watch-list entry, a limit reduction or restructuring awaiting a second person, an
    exception no rule covered, or an action a guardrail held back."""

    __tablename__ = "account_actions"
    __table_args__ = (
        Index("ix_account_actions_state", "state", "created_at", "id"),
        Index("ix_account_actions_account", "account_id", "created_at"),
        Index("ix_account_actions_contacts", "account_id", "kind", "channel", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(sa_column=Column(String(64), ForeignKey("loan_accounts.id"),
                                             nullable=False))
    kind: str = Field(max_length=32)
    state: str = Field(max_length=24)
    channel: str | None = Field(default=None, max_length=16)  # an outreach's
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    created_by: str = Field(max_length=64)  # system:early_warning, or the person
    rule_set_version: int | None = None
    rule_id: str | None = Field(default=None, max_length=64)
    assessment_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("account_assessments.id"), nullable=True))
    high_impact: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    params: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))
    held_reason: str | None = Field(default=None, max_length=32)  # why a guardrail held it
    # Four eyes on a high-impact action: the person who proposed or endorsed it (maker), and a
    # different person who approved or rejected it (checker).
    maker_id: str | None = Field(default=None, max_length=64)
    checker_id: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    outcome: str | None = Field(default=None, max_length=200)
    decision_id: str | None = Field(default=None, max_length=32)  # a limit reduction's
    notice_id: str | None = Field(default=None, max_length=32)


class WatchListEntry(SQLModel, table=True):
    """An account on the watch list, with its named owner; leaving takes a second person."""

    __tablename__ = "watch_list"
    __table_args__ = (
        # One entry in force per account.
        Index("uq_watch_list_one_active", "account_id", unique=True,
              sqlite_where=text("state != 'exited'"), postgresql_where=text("state != 'exited'")),
        Index("ix_watch_list_state", "state", "added_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(sa_column=Column(String(64), ForeignKey("loan_accounts.id"),
                                             nullable=False))
    owner_id: str = Field(max_length=64)
    state: str = Field(max_length=16)  # active | exit_requested | exited
    added_at: datetime = utc_datetime_field(default_factory=utcnow)
    added_by: str = Field(max_length=64)
    reason: str = Field(max_length=200)
    exit_requested_by: str | None = Field(default=None, max_length=64)
    exit_requested_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    exit_reason: str | None = Field(default=None, max_length=200)
    exited_by: str | None = Field(default=None, max_length=64)
    exited_at: datetime | None = utc_datetime_field(default=None, nullable=True)


class CustomerSnooze(SQLModel, table=True):
    """No automated contact with a customer until it expires (a hardship arrangement, a
    bereavement, a complaint being handled)."""

    __tablename__ = "customer_snoozes"
    __table_args__ = (Index("ix_customer_snoozes_subject", "subject_id", "until"),)

    id: str = Field(primary_key=True, max_length=32)
    subject_id: str = Field(sa_column=Column(String(32), ForeignKey("data_subjects.id"),
                                             nullable=False))
    until: datetime = utc_datetime_field()
    reason: str = Field(max_length=200)
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_datetime_field(default_factory=utcnow)
    lifted_by: str | None = Field(default=None, max_length=64)
    lifted_at: datetime | None = utc_datetime_field(default=None, nullable=True)
