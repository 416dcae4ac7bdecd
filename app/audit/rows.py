"""The digest of a row: which tables' rows the ledger records, which of their columns it covers,
and the one form each value is hashed in, whether it is the value written or one read back.

Every event that creates or changes a tracked row lists the row's new digest in its payload
(``append_event(..., rows=[...])`` adds ``"rows": [{"table", "id", "sha256"}, ...]``); deep
verification (:mod:`app.audit.deep`) compares each row with the digest its latest event recorded.

The columns are listed, not taken from the table: a column added later does not silently change
the digest of rows recorded before it. A test holds every column of a tracked table either
listed here or excluded with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from functools import cached_property
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Integer, LargeBinary, Numeric, String, Table
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from app.models import (
    AccountAction,
    Application,
    CustomerSnooze,
    Decision,
    DecisionPolicy,
    EventLoad,
    FairnessAudit,
    FourEyesApproval,
    NoticeObligation,
    Report,
    ReviewCase,
    ScoringModel,
    ScreeningDisposition,
    ScreeningList,
    WatchListEntry,
)
from app.models.base import UTCDateTime
from app.models.monitoring import Backtest, DriftAlert, OutcomeLoad
from compliance import ledger

Normalizer = Callable[[Any], Any]


@dataclass(frozen=True)
class TrackedTable:
    """A table whose rows the ledger records by digest."""

    model: type[SQLModel]
    columns: tuple[str, ...]
    # Columns left out of the digest, each with the reason.
    excluded: Mapping[str, str] = field(default_factory=dict)
    # The column events written before row digests named a row by (``entity_id``).
    legacy_key: str = "id"

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[attr-defined]

    @property
    def name(self) -> str:
        return self.table.name

    @cached_property
    def normalizers(self) -> tuple[tuple[str, Normalizer | None], ...]:
        return tuple((name, _normalizer(self.table.c[name].type)) for name in self.columns)


TRACKED: tuple[TrackedTable, ...] = (
    TrackedTable(Application, (
        "id", "submitted_at", "submitted_by", "submitted_by_role", "idempotency_key",
        "request_sha256", "status", "outcome", "risk_tier", "score", "amount", "currency",
        "term_months", "purpose", "characteristics", "derivation", "cleansing",
        "duplicate_flags", "national_id_digest", "name_dob_digest", "model_version",
        "policy_version", "inputs")),
    TrackedTable(Decision, (
        "id", "application_id", "kind", "created_at", "outcome", "risk_tier", "score",
        "probability_of_default", "model_version", "policy_version", "decided_by",
        "decided_by_role", "note_sealed", "adverse_action", "reason_catalog_version",
        "record")),
    TrackedTable(NoticeObligation, (
        "id", "application_id", "decision_id", "kind", "status", "opened_at", "due_date",
        "missing", "respond_by", "report_id", "generated_at", "delivered_at",
        "delivery_channel", "delivered_by", "closed_reason")),
    TrackedTable(Report, (
        "id", "kind", "parameters", "created_at", "created_by", "created_by_role",
        "application_id", "model_version", "ledger_head_seq", "ledger_head_hash", "sha256",
        "size", "pdf", "manifest", "manifest_sha256")),
    TrackedTable(ScoringModel, (
        "id", "version", "status", "trained_by", "trained_at", "activated_at", "data_sha256",
        "data_name", "target", "protected_columns", "params", "metrics", "artifact",
        "artifact_sha256", "validation", "validated_by", "validated_at", "validation_report_id",
        "approved_by", "approved_at"), legacy_key="version",
        excluded={"purpose": "added after models were first recorded: digesting it would make "
                             "every model recorded before it read as altered; a purpose is "
                             "fixed at training and recorded in model.trained's payload"}),
    TrackedTable(DecisionPolicy, (
        "id", "version", "status", "created_by", "created_at", "body", "sha256",
        "activated_at", "validated_by", "validated_at", "validation_report_id", "approved_by",
        "approved_at"), legacy_key="version"),
    # What back-tests are computed from, and what they found: a forged load or result would
    # change what a validation report says of a model's performance.
    TrackedTable(OutcomeLoad, (
        "id", "loaded_at", "loaded_by", "source", "sha256", "rows", "defaults")),
    # A forged acknowledgement would silence a drift alert.
    TrackedTable(DriftAlert, (
        "id", "drift_check_id", "model_version", "level", "raised_at", "crossings",
        "acknowledged_at", "acknowledged_by", "acknowledgement")),
    TrackedTable(Backtest, (
        "id", "model_version", "window_start", "window_end", "created_at", "created_by", "rows",
        "result")),
    TrackedTable(FairnessAudit, (
        "id", "created_at", "created_by", "created_by_role", "source", "model_version",
        "policy_version", "date_from", "date_to", "parameters", "result", "sha256", "audited",
        "flagged")),
    TrackedTable(ReviewCase, (
        "id", "application_id", "kind", "state", "priority", "opened_at", "due_at",
        "assignee_id", "assigned_at", "decided_at", "decision_id", "detail")),
    TrackedTable(FourEyesApproval, (
        "id", "application_id", "case_id", "rules", "state", "maker_id", "maker_role",
        "made_at", "proposal", "note_sealed", "checker_id", "checked_at")),
    # Which list is in force, and what a disposition suppresses: a row slipped in behind the
    # service's back would silence a match.
    TrackedTable(ScreeningList, (
        "id", "list_name", "sha256", "source_name", "loaded_at", "loaded_by", "entry_count",
        "individual_count", "problems", "state", "superseded_at")),
    TrackedTable(ScreeningDisposition, (
        "id", "subject_digest", "list_name", "entry_id", "entry_sha256", "list_id",
        "disposition", "application_id", "case_id", "approval_id", "maker_id", "checker_id",
        "decided_at", "note_id", "note_sha256")),
    # Early warning: what the rules in force said, what was done about an account and who
    # approved it. A row slipped in would forge an approval or a snooze. (A rule set's events
    # carry the sha256 of its canonical body instead.)
    TrackedTable(EventLoad, (
        "id", "loaded_at", "loaded_by", "source", "sha256", "received", "applied", "duplicates",
        "rejected", "accounts", "rule_set_version", "problems")),
    TrackedTable(AccountAction, (
        "id", "account_id", "kind", "state", "channel", "created_at", "created_by",
        "rule_set_version", "rule_id", "assessment_id", "high_impact", "params", "held_reason",
        "maker_id", "checker_id", "decided_at", "outcome", "decision_id", "notice_id")),
    TrackedTable(WatchListEntry, (
        "id", "account_id", "owner_id", "state", "added_at", "added_by", "reason",
        "exit_requested_by", "exit_requested_at", "exit_reason", "exited_by", "exited_at")),
    TrackedTable(CustomerSnooze, (
        "id", "subject_id", "until", "reason", "created_by", "created_at", "lifted_by",
        "lifted_at")),
)
BY_NAME: dict[str, TrackedTable] = {t.name: t for t in TRACKED}
_BY_MODEL: dict[type[SQLModel], TrackedTable] = {t.model: t for t in TRACKED}


# --- One form per column type -------------------------------------------------------------------


# Each takes None to None. Read back, most values are already in their form (a str, an int);
# these run once per column of every row a deep verification reads, so they stay plain.


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return str(value.value) if isinstance(value, Enum) else str(value)


def _timestamp(value: datetime | str | None) -> str | None:
    return None if value is None else ledger.format_timestamp(value)  # naive (SQLite) or aware


def _float(value: Any) -> float | None:
    return None if value is None else float(value) + 0.0  # an int written reads back a float


def _integer(value: Any) -> int | None:
    return None if value is None else int(value)


def _boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _day(value: date | str | None) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def _bytes(value: Any) -> str | None:
    return None if value is None else ledger.sha256_hex(bytes(value))


def _money(scale: int) -> Normalizer:
    # PostgreSQL rounds half away from zero when it stores a value of more decimals; SQLite
    # returns a float that SQLAlchemy turns back into a Decimal.
    step = Decimal(1).scaleb(-scale)

    def money(value: Any) -> str | None:
        if value is None:
            return None
        return str(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP))

    return money


def _normalizer(column_type: Any) -> Normalizer | None:
    """The function that puts a value of ``column_type`` in its one hashed form; None for JSON,
    whose values are hashed as they are (JSON null and SQL NULL both read back as None)."""
    if isinstance(column_type, UTCDateTime):
        return _timestamp
    if isinstance(column_type, TypeDecorator):  # sqlmodel's AutoString, say
        return _normalizer(column_type.impl)
    if isinstance(column_type, Float):
        return _float
    if isinstance(column_type, Numeric):
        return _money(column_type.scale or 0)
    if isinstance(column_type, Boolean):
        return _boolean
    if isinstance(column_type, Integer):
        return _integer
    if isinstance(column_type, Date):
        return _day
    if isinstance(column_type, LargeBinary):
        return _bytes
    if isinstance(column_type, JSON):
        return None
    if isinstance(column_type, String):
        return _text
    raise TypeError(f"no digest form for column type {column_type!r}")


# --- Digests --------------------------------------------------------------------------------------


def digest_of(tracked: TrackedTable, values: Mapping[Any, Any]) -> str:
    """The digest of a row given its column values, as written or as read back."""
    return ledger.row_digest({name: values[name] if convert is None else convert(values[name])
                              for name, convert in tracked.normalizers})


def row_entry(row: SQLModel) -> dict[str, str]:
    """What an event records of a row it created or changed: table, id and digest.

    Call it after the row's last change in the transaction (and after a flush, for a
    database-assigned id).
    """
    tracked = _BY_MODEL.get(type(row))
    if tracked is None:
        raise TypeError(f"{type(row).__name__} rows are not recorded by digest")
    values = {name: getattr(row, name) for name in tracked.columns}
    if values["id"] is None:
        raise ValueError(f"a {tracked.name} row has no id yet; flush it before recording it")
    return {"table": tracked.name, "id": str(values["id"]), "sha256": digest_of(tracked, values)}
