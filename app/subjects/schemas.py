"""The API's shapes of data subjects, erasure, legal holds and retention runs: none carries
personal data except the search request."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from risk_models.document import PastDate, Strict, Text

Reason = Field(min_length=10, max_length=2000,
               description="Why: a case or request reference rather than anyone's name; kept "
                           "with the record, and as a sha256 in the ledger.")


class SubjectSearch(Strict):
    national_id: str | None = Field(None, min_length=4, max_length=40,
                                    description="The national id the person applied with.")
    full_name: Text | None = Field(None, description="With date_of_birth, when there is no "
                                                     "national id.")
    date_of_birth: PastDate | None = Field(None, description="With full_name.")

    @model_validator(mode="after")
    def _one_way_to_find(self) -> SubjectSearch:
        if self.national_id is None and (self.full_name is None or self.date_of_birth is None):
            raise ValueError("give national_id, or full_name with date_of_birth")
        return self


class SubjectMatch(BaseModel):
    subject_id: str = Field(description="The data subject.")
    application_ids: list[str] = Field(description="Their applications that match.")


class LegalHoldPublic(BaseModel):
    since: datetime = Field(description="When the hold was set (UTC).")
    by: str = Field(description="Actor id of who set it.")
    reason: str = Field(description="Why.")


class ErasureRequestPublic(BaseModel):
    id: str = Field(description="Request id.")
    status: Literal["pending", "executed"] = Field(description="pending until a second admin "
                                                               "approves; then executed.")
    requested_at: datetime = Field(description="When requested (UTC).")
    requested_by: str = Field(description="Actor id of the requesting admin.")
    within_retention_acknowledged: bool = Field(
        description="Requested inside the Reg B retention period, knowingly.")
    approved_at: datetime | None = Field(None, description="When approved and carried out.")
    approved_by: str | None = Field(None, description="Actor id of the approving admin.")


class SubjectPublic(BaseModel):
    id: str = Field(description="Data subject id.")
    created_at: datetime = Field(description="When first seen (UTC).")
    personal_data: Literal["held", "erased"] = Field(description="erased once the key is "
                                                                 "destroyed.")
    shredded_at: datetime | None = Field(None, description="When the key was destroyed.")
    shred_cause: Literal["erasure", "retention"] | None = Field(
        None, description="Why: an approved erasure, or the retention run.")
    master_key_id: str | None = Field(None, description="The master key wrapping the data key.")
    application_ids: list[str] = Field(description="Their applications.")
    retained_until: date | None = Field(
        None, description="First day the applications may be destroyed (Reg B §1002.12(b): "
                          "25 months after the last action).")
    legal_hold: LegalHoldPublic | None = Field(None, description="A legal hold, if set.")
    pending_erasure: ErasureRequestPublic | None = Field(
        None, description="An erasure request awaiting a second admin.")


class ErasureCreate(Strict):
    reason: str = Reason
    acknowledge_retention: bool = Field(
        False, description="Erase although the Reg B retention period has not ended (required "
                           "then, from both admins).")


class ErasurePublic(BaseModel):
    status: Literal["pending", "executed"] = Field(
        description="pending: requested, awaiting a different admin's DELETE; executed: the "
                    "key is destroyed.")
    request: ErasureRequestPublic = Field(description="The erasure request.")
    subject: SubjectPublic = Field(description="The subject, as it now stands.")


class LegalHoldChange(Strict):
    reason: str = Reason


class RetentionRunCreate(Strict):
    dry_run: bool = Field(description="true: say what would be shredded, change nothing.")
    as_of: date | None = Field(None, description="The day to apply the retention period on "
                                                 "(default today; a future day only dry).")


class RetentionRunPublic(BaseModel):
    as_of: date = Field(description="The day applied.")
    dry_run: bool = Field(description="Whether nothing was changed.")
    retention_months: int = Field(description="Reg B §1002.12(b) period, months after the last "
                                              "action.")
    considered: int = Field(description="Subjects still holding a key.")
    expired: list[str] = Field(description="Subjects shredded (or, dry, to be shredded).")
    held: list[str] = Field(description="Past retention but under a legal hold: kept.")
    notice_owed: list[str] = Field(description="Past retention but still owed a notice: kept.")
    ledger_retention_months: int = Field(description="RISKDESK_LEDGER_RETENTION_MONTHS.")
    ledger_events_past_retention: int = Field(
        description="Ledger events older than that: reported, never deleted automatically.")
