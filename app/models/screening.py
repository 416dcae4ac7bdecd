"""Sanctions screening: the list versions loaded, their entries, every screening made, the
dispositions underwriters reached, and the rescreening runs a new list version starts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from app.models.applications import JSONValue
from app.models.base import utc_datetime_field, utcnow


class ScreeningList(SQLModel, table=True):
    """One version of a sanctions list as loaded: its file's sha256, when and by whom, what
    could not be read. At most one version of each list is in force (a partial unique index);
    loading a new one supersedes it in the same transaction, so a load that fails leaves the
    previous version in force."""

    __tablename__ = "screening_lists"
    __table_args__ = (
        Index("uq_screening_lists_in_force", "list_name", unique=True,
              sqlite_where=text("state = 'in_force'"),
              postgresql_where=text("state = 'in_force'")),
    )

    id: str = Field(primary_key=True, max_length=32)
    list_name: str = Field(max_length=32)  # ofac-sdn, opensanctions
    sha256: str = Field(max_length=64, index=True)
    source_name: str = Field(max_length=255)  # the file's name, never its path
    loaded_at: datetime = utc_datetime_field(default_factory=utcnow)
    loaded_by: str = Field(max_length=64)
    entry_count: int
    individual_count: int
    # Lines that could not be read, or not wholly: [{"line", "message"}].
    problems: list[dict[str, Any]] = Field(sa_column=Column(JSONValue, nullable=False))
    state: str = Field(max_length=16)  # in_force, superseded
    superseded_at: datetime | None = utc_datetime_field(default=None, nullable=True)


class ScreeningListEntry(SQLModel, table=True):
    """An entry of a list version as read (risk_models.screening.ListEntry.to_dict), with the
    digest of that content: a disposition holds while the entry it was made on is unchanged."""

    __tablename__ = "screening_list_entries"

    list_id: str = Field(sa_column=Column(String(32), ForeignKey("screening_lists.id"),
                                          primary_key=True))
    entry_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    entry_sha256: str = Field(max_length=64)
    entry: dict[str, Any] = Field(sa_column=Column(JSONValue, nullable=False))


class Screening(SQLModel, table=True):
    """One person screened: for an application (its applicant, co-applicant or guarantor), by a
    rescreening run, or on demand. Never their name: the keyed digest of what was screened
    (app.screening.service.subject_digest), the list versions, the outcome and the matches."""

    __tablename__ = "screenings"
    __table_args__ = (Index("ix_screenings_subject", "subject_digest"),
                      # Sanctions matches, newest first, page by (screened_at, id).
                      Index("ix_screenings_status", "status", "screened_at", "id"))

    id: str = Field(primary_key=True, max_length=32)
    application_id: str | None = Field(default=None, sa_column=Column(
        String(32), ForeignKey("applications.id"), nullable=True, index=True))
    party: str = Field(max_length=16)  # applicant, co_applicant, guarantor, check
    purpose: str = Field(max_length=16)  # application, rescreen, check
    rescreen_id: str | None = Field(default=None, max_length=32)
    screened_at: datetime = utc_datetime_field(default_factory=utcnow)
    screened_by: str = Field(max_length=64)
    subject_digest: str = Field(max_length=64)
    # [{"list_id", "list_name", "sha256"}] of the versions in force when it ran.
    lists: list[dict[str, Any]] = Field(sa_column=Column(JSONValue, nullable=False))
    status: str = Field(max_length=16)  # clear, potential_match, confirmed_match
    # [{"entry_id", "list_name", "list_id", "entry_sha256", "score", "features",
    #   "disposition_id"}]; a match a disposition settled names it.
    matches: list[dict[str, Any]] = Field(sa_column=Column(JSONValue, nullable=False))


class ScreeningDisposition(SQLModel, table=True):
    """An underwriter's conclusion on one match, approved by a second: the person screened is
    not the listed entry (false_positive) or is (true_match). Remembered by the subject's
    digest and the entry's content, so the same person is not raised again against the same
    entry as listed."""

    __tablename__ = "screening_dispositions"
    __table_args__ = (Index("ix_screening_dispositions_lookup", "subject_digest", "list_name",
                            "entry_id"),)

    id: str = Field(primary_key=True, max_length=32)
    subject_digest: str = Field(max_length=64)
    list_name: str = Field(max_length=32)
    entry_id: str = Field(max_length=64)
    entry_sha256: str = Field(max_length=64)
    list_id: str = Field(max_length=32)  # the version it was made on
    disposition: str = Field(max_length=16)  # false_positive, true_match
    application_id: str = Field(sa_column=Column(String(32), ForeignKey("applications.id"),
                                                 nullable=False, index=True))
    case_id: str = Field(max_length=32)
    approval_id: str = Field(max_length=32)
    maker_id: str = Field(max_length=64)
    checker_id: str = Field(max_length=64)
    decided_at: datetime = utc_datetime_field(default_factory=utcnow)
    note_id: str = Field(max_length=32)  # the case note stating the reason (sealed)
    note_sha256: str = Field(max_length=64)


class Rescreen(SQLModel, table=True):
    """A rescreening run over open applications and approved customers, started by a new list
    version. Its progress is committed batch by batch (``cursor``: the last application id
    done), so a run cut off resumes where it stopped and nothing it raised is lost."""

    __tablename__ = "screening_rescreens"

    id: str = Field(primary_key=True, max_length=32)
    list_id: str = Field(max_length=32)  # the version whose loading started it
    requested_at: datetime = utc_datetime_field(default_factory=utcnow)
    requested_by: str = Field(max_length=64)
    state: str = Field(max_length=16)  # queued, running, done, failed
    cursor: str | None = Field(default=None, max_length=32)
    screened: int = 0
    raised: int = 0
    skipped: int = 0  # applications whose personal data was erased
    started_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    finished_at: datetime | None = utc_datetime_field(default=None, nullable=True)
    error: str | None = Field(default=None, max_length=500)
