"""Request and response bodies of the fairness audits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from risk_models.document import Strict

MAX_BOOTSTRAP_ROUNDS = 2000
ATTRIBUTE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


class ThresholdsIn(Strict):
    model_config = ConfigDict(extra="forbid")
    min_air: float = Field(0.80, gt=0, le=1, description="Adverse impact ratios below this are "
                                                         "flagged (when also significant).")
    max_p_value: float = Field(0.05, gt=0, lt=1, description="Fisher exact p-values below this "
                                                             "count as significant.")
    min_group_size: int = Field(30, ge=1, le=1_000_000, description="Groups with fewer decisions "
                                                                    "are shown but not judged.")
    ci_level: float = Field(0.95, gt=0, lt=1, description="Coverage of the bootstrap intervals.")


class FairnessAuditCreate(Strict):
    """What to audit and how. ``source`` decides which of the other scope fields are needed."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["model", "decisions"] = Field(
        description="'model': a model version's out-of-fold validation predictions; "
                    "'decisions': the live decisions on applications submitted in a date range.")
    model_version: str | None = Field(
        None, min_length=1, max_length=64, validate_default=True,
        description="Model version to audit; required when source is 'model'.")
    policy_version: str | None = Field(
        None, min_length=1, max_length=64,
        description="Policy whose score cut-offs turn validation scores into approvals "
                    "(source 'model'); default: the active policy.")
    date_from: date | None = Field(
        None, validate_default=True,
        description="First day (UTC) of submission, inclusive; required when source is "
                    "'decisions'.")
    date_to: date | None = Field(
        None, validate_default=True,
        description="Last day (UTC) of submission, inclusive; required when source is "
                    "'decisions'.")
    intersections: list[tuple[str, str]] = Field(
        default_factory=list, max_length=10,
        description="Pairs of attributes to audit jointly, e.g. [[\"sex\", \"age_band\"]].")
    reference_groups: dict[str, str] = Field(
        default_factory=dict,
        description="Reference group per attribute (or intersection 'a*b'); default: the "
                    "most favoured group.")
    n_boot: int = Field(200, ge=0, le=MAX_BOOTSTRAP_ROUNDS,
                        description="Bootstrap rounds for the confidence intervals (0: none).")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Bootstrap seed; same inputs and seed "
                                                         "give the same result.")
    thresholds: ThresholdsIn = Field(default_factory=ThresholdsIn,
                                     description="Flagging and small-group rules.")

    @field_validator("model_version")
    @classmethod
    def _model_version_for_model(cls, value: str | None, info: ValidationInfo) -> str | None:
        source = info.data.get("source")
        if source == "model" and value is None:
            raise ValueError("required when source is 'model'")
        if source == "decisions" and value is not None:
            raise ValueError("only for source 'model'")
        return value

    @field_validator("date_from")
    @classmethod
    def _from_for_decisions(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _date_for_decisions(value, info)

    @field_validator("date_to")
    @classmethod
    def _to_after_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        value = _date_for_decisions(value, info)
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise ValueError("date_to is before date_from")
        return value

    @field_validator("intersections")
    @classmethod
    def _pairs_of_two_attributes(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for first, second in value:
            if first == second:
                raise ValueError(f"an intersection needs two different attributes, got {first!r}")
        if len({tuple(p) for p in value}) != len(value):
            raise ValueError("an intersection is listed twice")
        return value


def _date_for_decisions(value: date | None, info: ValidationInfo) -> date | None:
    source = info.data.get("source")
    if source == "decisions" and value is None:
        raise ValueError("required when source is 'decisions'")
    if source == "model" and value is not None:
        raise ValueError("only for source 'decisions'")
    return value


class FairnessAuditSummary(BaseModel):
    id: int = Field(description="Audit id.")
    created_at: datetime = Field(description="When the audit ran (UTC).")
    created_by: str = Field(description="Actor id of who ran it.")
    created_by_role: str = Field(description="Role they acted with.")
    source: str = Field(description="'model' or 'decisions'.")
    model_version: str | None = Field(None, description="Audited model version (source model).")
    policy_version: str | None = Field(None, description="Policy whose cut-offs defined approval "
                                                         "(source model).")
    date_from: date | None = Field(None, description="First submission day (source decisions).")
    date_to: date | None = Field(None, description="Last submission day (source decisions).")
    parameters: dict[str, Any] = Field(description="Intersections, reference groups, bootstrap "
                                                   "rounds, seed and thresholds used.")
    audited: int = Field(description="Decisions (or validation rows) in the approval rates.")
    flagged: bool = Field(description="True when any group was flagged.")
    sha256: str = Field(description="sha256 of the canonical JSON of the result.")


class FairnessAuditPublic(FairnessAuditSummary):
    result: dict[str, Any] = Field(
        description="The audit: 'scope', 'overall', 'attributes' (groups with approval rates, "
                    "adverse impact ratios, Fisher p-values, intervals), 'flags', 'caveat'.")


class FairnessAuditPage(BaseModel):
    items: list[FairnessAuditSummary] = Field(description="Audits, newest first.")
    total: int = Field(description="Audits matching the filters.")
