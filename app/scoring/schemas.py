"""Response and request bodies for the model registry and the decision policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.scoring.lifecycle import REASON_MAX_LENGTH
from risk_models.document import Strict

STATUS_DESCRIPTION = ("draft, validated, approved, champion (decides new applications), "
                      "challenger (scores them in shadow) or retired.")


class Governance(BaseModel):
    validated_by: str | None = Field(None, description="Actor id of the model validator.")
    validated_at: datetime | None = Field(None, description="When it was validated (UTC).")
    validation_report_id: int | None = Field(
        None, description="The model validation report attached at validation.")
    approved_by: str | None = Field(None, description="Actor id of the second person who "
                                                      "approved it.")
    approved_at: datetime | None = Field(None, description="When it was approved (UTC).")


class TransitionPublic(BaseModel):
    from_status: str | None = Field(description="Status before (none: registered).")
    to_status: str = Field(description="Status after.")
    actor_id: str = Field(description="Who made the move.")
    actor_role: str = Field(description="Their role then.")
    reason: str = Field(description="Why, as they gave it.")
    at: datetime = Field(description="When (UTC).")
    report_id: int | None = Field(None, description="Report attached to the move.")


class ModelPublic(Governance):
    version: str = Field(description="Model version, stamped on every decision.")
    status: str = Field(description=STATUS_DESCRIPTION)
    trained_by: str = Field(description="Actor id that trained it.")
    trained_at: datetime = Field(description="When it was trained (UTC).")
    activated_at: datetime | None = Field(None, description="When it last became champion.")
    data_name: str = Field(description="Training data file name.")
    data_sha256: str = Field(description="sha256 of the training data.")
    target: str = Field(description="Target column.")
    protected_columns: list[str] = Field(description="Columns refused as features.")
    artifact_sha256: str = Field(description="sha256 of the compiled scorecard JSON.")
    params: dict[str, Any] = Field(description="Training parameters.")
    metrics: dict[str, Any] = Field(description="Cross-validated and hold-out metrics.")


class ModelArtifactPublic(BaseModel):
    version: str = Field(description="Model version.")
    artifact_sha256: str = Field(description="sha256 of the artifact below.")
    artifact: dict[str, Any] = Field(description="The compiled scorecard: bins and points.")


class PolicyPublic(Governance):
    version: str = Field(description="Policy version, stamped on every decision.")
    status: str = Field(description=STATUS_DESCRIPTION)
    created_by: str = Field(description="Actor id that created it.")
    created_at: datetime = Field(description="When it was created (UTC).")
    activated_at: datetime | None = Field(None, description="When it last became champion.")
    sha256: str = Field(description="sha256 of the canonical policy JSON.")
    body: dict[str, Any] = Field(description="Knock-outs, tiers and cut-offs, pricing, DTI cap.")


class ModelDetail(ModelPublic):
    transitions: list[TransitionPublic] = Field(description="Its lifecycle, oldest first.")


class PolicyDetail(PolicyPublic):
    transitions: list[TransitionPublic] = Field(description="Its lifecycle, oldest first.")


class PolicyCreate(Strict):
    body: dict[str, Any] = Field(description="A complete policy (see GET /policies/active); "
                                             "its version must be new. It is stored as a "
                                             "draft, to be validated, approved and promoted.")


class LifecycleMove(Strict):
    reason: str = Field(min_length=1, max_length=REASON_MAX_LENGTH,
                        description="Why: recorded with the move and on the ledger (no "
                                    "personal data).")


class Promotion(LifecycleMove):
    to: Literal["champion", "challenger"] = Field(
        description="champion: decides new applications (the current champion retires); "
                    "challenger: scores every new application in shadow, deciding nothing.")


class ComparisonPublic(BaseModel):
    challenger_version: str = Field(description="The challenger compared.")
    challenger_kind: str = Field(description="model or policy.")
    without_shadow: int = Field(description="Automated decisions of the range with no shadow "
                                            "decision beside them (before the challenger, not "
                                            "yet backfilled, or refused by it), left out.")
    champion_versions: list[str] = Field(description="Champion model(s) that decided the "
                                                     "applications in the range.")
    date_from: str = Field(description="First decision day (UTC).")
    date_to: str = Field(description="Last decision day (UTC), inclusive.")
    applications: int = Field(description="Applications both decided (champion for real, "
                                          "challenger in shadow).")
    score_correlation: float | None = Field(description="Pearson correlation of the scores.")
    score_rank_correlation: float | None = Field(description="Spearman correlation.")
    approval_rate: dict[str, float] = Field(description="Approval rate of each.")
    approval_rate_difference: float | None = Field(description="Challenger minus champion.")
    agreement: float | None = Field(description="Share of identical outcomes.")
    swap_set: dict[str, Any] = Field(
        description="swap_in (approved by the challenger, declined by the champion) and "
                    "swap_out (the reverse): count, with_outcome, defaults, bad_rate.")
    bad_rate_approved: dict[str, Any] = Field(
        description="Realised bad rate of each side's approvals, where outcomes exist.")
    adverse_impact_ratio: dict[str, Any] = Field(
        description="Per side and protected attribute, the lowest adverse impact ratio of a "
                    "group large enough to judge against the most favoured group.")
