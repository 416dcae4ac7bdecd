"""Response bodies of the ledger endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from risk_models.document import Strict


class VerificationPublic(BaseModel):
    ok: bool = Field(description="True when every event hashes and links correctly.")
    events: int = Field(description="Events verified before the first break (all when ok).")
    head_seq: int = Field(description="Sequence number of the last verified event.")
    head_hash: str = Field(description="Hash of the last verified event.")
    first_bad_seq: int | None = Field(None, description="First sequence number that fails.")
    problem: str | None = Field(None, description="What is wrong at first_bad_seq.")


class CheckpointPublic(Strict):
    model_config = ConfigDict(extra="forbid")
    head_seq: int = Field(ge=0, description="Sequence number of the chain head.")
    head_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hash of the chain head.")
    signed_at: str = Field(description="UTC time of signing, as signed.")
    signature: str = Field(description="Ed25519 signature (base64) of the canonical head.")
    key_fingerprint: str = Field(description="sha256 of the raw public key.")


class CheckpointVerificationPublic(VerificationPublic):
    checkpoint_seq: int = Field(description="The saved checkpoint's sequence number.")
    checkpoint_is_prefix: bool = Field(
        description="True when today's chain still has the checkpoint's hash at its sequence.")


class PublicKeyPublic(BaseModel):
    algorithm: str = Field(description="Always Ed25519.")
    public_key_pem: str = Field(description="SubjectPublicKeyInfo PEM.")
    fingerprint: str = Field(description="sha256 of the raw public key.")


class AuditEventPublic(BaseModel):
    seq: int = Field(description="Gap-free sequence number.")
    occurred_at: datetime = Field(description="UTC time of the event.")
    actor_type: str = Field(description="user, api_key, system or anonymous.")
    actor_id: str = Field(description="User id, key:<key id>, or a system name.")
    actor_role: str = Field(description="Role the actor acted with.")
    action: str = Field(description="What happened, e.g. decision.made.")
    entity_type: str = Field(description="Kind of thing acted on.")
    entity_id: str = Field(description="Id of the thing acted on.")
    payload: dict[str, Any] = Field(description="References and digests; never personal data.")
    prev_hash: str = Field(description="Hash of the previous event.")
    hash: str = Field(description="sha256(prev_hash ‖ canonical bytes of this event).")


class AuditEventPage(BaseModel):
    items: list[AuditEventPublic] = Field(description="Events, oldest first.")
    total: int = Field(description="Events matching the filters.")
    next_after_seq: int | None = Field(
        None, description="Pass as after_seq for the next page; null on the last page.")
