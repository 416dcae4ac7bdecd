"""Response and request bodies for the model registry and the decision policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ModelPublic(BaseModel):
    version: str = Field(description="Model version, stamped on every decision.")
    status: str = Field(description="candidate, active or retired.")
    trained_by: str = Field(description="Actor id that trained it.")
    trained_at: datetime = Field(description="When it was trained (UTC).")
    activated_at: datetime | None = Field(None, description="When it was last activated.")
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


class PolicyPublic(BaseModel):
    version: str = Field(description="Policy version, stamped on every decision.")
    status: str = Field(description="candidate, active or retired.")
    created_by: str = Field(description="Actor id that created it.")
    created_at: datetime = Field(description="When it was created (UTC).")
    sha256: str = Field(description="sha256 of the canonical policy JSON.")
    body: dict[str, Any] = Field(description="Knock-outs, tiers and cut-offs, pricing, DTI cap.")


class PolicyCreate(BaseModel):
    body: dict[str, Any] = Field(description="A complete policy (see GET /policies/active); "
                                             "its version must be new.")
    activate: bool = Field(False, description="Make it the active policy at once.")
