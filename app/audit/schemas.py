"""Response bodies of the ledger endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from risk_models.document import Strict


class VerificationPublic(BaseModel):
    ok: bool = Field(description="True when every event hashes and links correctly (and, for "
                     "GET /audit/verify, the checkpoints and rows check too).")
    events: int = Field(description="Events verified before the first break (all when ok).")
    head_seq: int = Field(description="Sequence number of the last verified event.")
    head_hash: str = Field(description="Hash of the last verified event.")
    first_bad_seq: int | None = Field(None, description="First sequence number that fails.")
    problem: str | None = Field(None, description="What is wrong at first_bad_seq.")


class StoredCheckpointPublic(BaseModel):
    line: int = Field(description="Line of the checkpoint file.")
    head_seq: int = Field(description="Sequence number the checkpoint signed.")
    head_hash: str = Field(description="Hash it signed at that sequence number.")
    signed_at: str | None = Field(None, description="UTC time of signing, as signed.")


class CheckpointProblemPublic(StoredCheckpointPublic):
    problem: str = Field(description="How the chain contradicts this checkpoint.")


class CheckpointCheckPublic(BaseModel):
    ok: bool = Field(description="True when the chain extends every checkpoint kept.")
    checked: int = Field(description="Checkpoints signed with this service's key.")
    latest: StoredCheckpointPublic | None = Field(
        None, description="The checkpoint of the highest sequence number; null when none.")
    problems: list[CheckpointProblemPublic] = Field(
        description="Checkpoints the chain contradicts: a removed tail, a rewritten chain, or "
        "a signature that is not valid.")
    other_key: int = Field(description="Checkpoints signed with another key, not checked.")
    unreadable_lines: list[int] = Field(description="Lines of the file that are not "
                                        "checkpoints (a write cut short, say).")
    note: str | None = Field(None, description="Said when there is no checkpoint yet.")


class TableCountsPublic(BaseModel):
    table: str = Field(description="A table whose rows the ledger records by digest.")
    rows: int = Field(description="Rows compared.")
    verified: int = Field(description="Rows matching the digest their latest event recorded.")
    not_covered: int = Field(description="Rows written before events recorded row digests, "
                             "checked only on the columns whose sha256 their events carried.")
    altered: int = Field(description="Rows that differ from what was recorded.")
    unrecorded: int = Field(description="Rows no event records.")
    missing: int = Field(description="Rows an event recorded that are gone.")


class RowFindingPublic(BaseModel):
    table: str = Field(description="The row's table.")
    id: str = Field(description="The row's id (a model's or policy's version, for rows named "
                    "by old events).")
    kind: Literal["altered", "unrecorded", "missing"] = Field(description="What is wrong.")
    seq: int | None = Field(None, description="The event that recorded the row.")
    detail: str = Field(description="The finding in words.")


class DeepVerificationPublic(BaseModel):
    ok: bool = Field(description="True when no row is altered, unrecorded or missing.")
    tables: list[TableCountsPublic] = Field(description="Counts per table.")
    findings: list[RowFindingPublic] = Field(description="The findings (the first 1,000).")
    findings_total: int = Field(description="Every finding, listed or not.")
    note: str | None = Field(None, description="Rows not covered, or why none were compared.")


class LedgerVerificationPublic(VerificationPublic):
    checkpoints: CheckpointCheckPublic = Field(
        description="The chain against the checkpoints kept outside the database.")
    deep: DeepVerificationPublic | None = Field(
        None, description="With deep=true: every tracked row against its recorded digest.")


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
