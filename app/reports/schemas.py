"""Request and response bodies of the PDF reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from risk_models.document import Strict


class ReportKind(StrEnum):
    ADVERSE_ACTION = "adverse_action"
    MODEL_VALIDATION = "model_validation"
    COMPLIANCE = "compliance"


# Which parameters each kind takes (all of them required).
PARAMETERS: dict[ReportKind, tuple[str, ...]] = {
    ReportKind.ADVERSE_ACTION: ("application_id",),
    ReportKind.MODEL_VALIDATION: ("model_version",),
    ReportKind.COMPLIANCE: ("date_from", "date_to"),
}


def _for_kind(name: str, value: Any, info: ValidationInfo) -> Any:
    kind = info.data.get("kind")
    if kind is None:
        return value
    wanted = name in PARAMETERS[ReportKind(kind)]
    if wanted and value is None:
        raise ValueError(f"required for kind {kind!r}")
    if not wanted and value is not None:
        raise ValueError(f"not a parameter of kind {kind!r}")
    return value


class ReportCreate(Strict):
    """``kind`` and that kind's parameters."""

    model_config = ConfigDict(extra="forbid")
    kind: ReportKind = Field(description="adverse_action (needs application_id), "
                                         "model_validation (model_version) or compliance "
                                         "(date_from, date_to).")
    application_id: str | None = Field(None, min_length=1, max_length=32, validate_default=True,
                                       description="Application the adverse action notice is "
                                                   "for.")
    model_version: str | None = Field(None, min_length=1, max_length=64, validate_default=True,
                                      description="Model version to validate.")
    date_from: date | None = Field(None, validate_default=True,
                                   description="First day (UTC) of the compliance period.")
    date_to: date | None = Field(None, validate_default=True,
                                 description="Last day (UTC) of the compliance period, "
                                             "inclusive.")

    @field_validator("application_id")
    @classmethod
    def _application(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _for_kind("application_id", value, info)

    @field_validator("model_version")
    @classmethod
    def _model(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _for_kind("model_version", value, info)

    @field_validator("date_from")
    @classmethod
    def _from(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _for_kind("date_from", value, info)

    @field_validator("date_to")
    @classmethod
    def _to(cls, value: date | None, info: ValidationInfo) -> date | None:
        value = _for_kind("date_to", value, info)
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise ValueError("date_to is before date_from")
        return value


class ReportPublic(BaseModel):
    id: int = Field(description="Report id.")
    kind: ReportKind = Field(description="Report kind.")
    parameters: dict[str, Any] = Field(description="What the report was built from: the "
                                                   "request's parameters and what they resolved "
                                                   "to (decision, policy, bootstrap seed).")
    created_at: datetime = Field(description="Creation time (UTC); also the PDF's creation "
                                             "date.")
    created_by: str = Field(description="Actor id of who created it.")
    created_by_role: str = Field(description="Role they acted with.")
    application_id: str | None = Field(None, description="Application (adverse action "
                                                         "notices).")
    model_version: str | None = Field(None, description="Model version (validation reports).")
    ledger_head_seq: int = Field(description="Sequence number of the newest ledger event the "
                                             "report was built against (printed on each page).")
    ledger_head_hash: str = Field(description="That event's hash.")
    sha256: str = Field(description="sha256 of the PDF bytes.")
    size: int = Field(description="Size of the PDF in bytes.")
    manifest_sha256: str | None = Field(None, description="sha256 of the canonical input "
                                        "manifest the PDF was built from (printed in its "
                                        "footer); none for reports made before manifests.")
    pdf_url: str = Field(description="Where to download the PDF (each download is ledgered).")
    verify_url: str = Field(description="Where to verify it against the ledger.")


class VerificationCheck(BaseModel):
    ok: bool
    detail: str = Field(description="What was found.")


class ReportVerificationPublic(BaseModel):
    report_id: int
    kind: str | None
    ok: bool = Field(description="True only when every check holds.")
    failed: list[str] = Field(description="The checks that failed, by name.")
    checks: dict[str, VerificationCheck] = Field(
        description="bytes_match_ledger: the stored PDF's sha256 is the one its report.created "
        "event recorded; rebuild_identical: the PDF rebuilt from its manifest (whose sha256 the "
        "event also recorded) is byte for byte the stored one; chain_verified: the ledger "
        "verifies from its first event up to that event. ledger_event appears, failed, when no "
        "event records the report's creation.")


class ReportPage(BaseModel):
    items: list[ReportPublic] = Field(description="Reports, newest first.")
    total: int = Field(description="Reports visible to the caller matching the filters.")
