"""The audit ledger's hash chain: canonical encoding, event hashes, verification and checkpoints.

The database layer stores events; this module alone defines what an event's hash is, so an auditor
can re-verify a chain with nothing but this file and an export of the table.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from json.encoder import encode_basestring as _json_str
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS_HASH = "0" * 64
# One encoder built once: json.dumps with keyword arguments builds a new one on every call, which
# dominated the cost of verifying a long chain.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as canonical JSON: sorted keys, no insignificant whitespace, UTF-8.

    Parameters
    ----------
    value : Any
        JSON-compatible data (dicts, lists, str, int, bool, None; floats must be finite).

    Returns
    -------
    str
        The one textual form of ``value`` that the ledger hashes.
    """
    return _CANONICAL.encode(value)


def format_timestamp(moment: datetime | str) -> str:
    """Render a timestamp the way the chain hashes it: UTC, microseconds, ``Z`` suffix.

    A naive datetime is taken to be UTC already (SQLite returns stored UTC values naive); an ISO
    string, as SQLite stores it, is parsed first.
    """
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """The hashed fields of one ledger event, as stored."""

    seq: int
    occurred_at: datetime | str
    actor_type: str
    actor_id: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: str
    payload: str  # canonical JSON text
    prev_hash: str
    hash: str = ""


def record_bytes(
    seq: int,
    occurred_at: datetime | str,
    actor_type: str,
    actor_id: str,
    actor_role: str,
    action: str,
    entity_type: str,
    entity_id: str,
    payload: str,
) -> bytes:
    """Canonical bytes of an event's fields other than the hashes.

    A JSON array of the header fields followed by the payload text. The payload is spliced in as
    stored rather than re-serialised: verification then costs one string join per event, and any
    edit to the stored text, even one that keeps its meaning, changes the hash.
    """
    # Equal to canonical_json([...header, payload]) — the test suite pins that — but built from
    # the C string escaper directly: verification spends most of its time here.
    header = ",".join(
        (
            str(int(seq)),
            f'"{format_timestamp(occurred_at)}"',
            _json_str(actor_type),
            _json_str(actor_id),
            _json_str(actor_role),
            _json_str(action),
            _json_str(entity_type),
            _json_str(entity_id),
        )
    )
    return f"[{header},{payload}]".encode()


def event_hash(prev_hash: str, canonical_record: bytes) -> str:
    """Return sha256(prev_hash ‖ canonical bytes) as lowercase hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_record)
    return digest.hexdigest()


def hash_record(record: LedgerRecord) -> str:
    """Compute the hash a record should carry given its fields and its predecessor's hash."""
    return event_hash(
        record.prev_hash,
        record_bytes(
            record.seq,
            record.occurred_at,
            record.actor_type,
            record.actor_id,
            record.actor_role,
            record.action,
            record.entity_type,
            record.entity_id,
            record.payload,
        ),
    )


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """Outcome of recomputing the chain from its first event."""

    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON-safe form reported by the API and the CLI."""
        return {
            "ok": self.ok,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify_chain(records: Iterable[tuple]) -> VerificationResult:
    """Recompute every hash of a chain, in sequence order, and report the first break.

    Parameters
    ----------
    records : iterable of tuples
        ``(seq, occurred_at, actor_type, actor_id, actor_role, action, entity_type, entity_id,
        payload, prev_hash, hash)`` ordered by ``seq``. Streaming is fine: nothing is kept.

    Returns
    -------
    VerificationResult
        ``first_bad_seq`` names the first sequence number whose stored fields do not hash to the
        stored hash, whose ``prev_hash`` does not link to its predecessor, or that breaks the
        1, 2, 3, ... numbering (a deleted or reordered event).
    """
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    for row in records:
        seq, occurred_at, a_type, a_id, a_role, action, e_type, e_id, payload, prev_hash, h = row
        problem = None
        if seq != expected_seq:
            problem = f"sequence {seq} found where {expected_seq} was expected"
        elif prev_hash != prev:
            problem = "prev_hash does not match the preceding event's hash"
        elif (
            event_hash(
                prev,
                record_bytes(seq, occurred_at, a_type, a_id, a_role, action, e_type, e_id, payload),
            )
            != h
        ):
            problem = "stored fields do not hash to the stored hash"
        if problem is not None:
            bad = expected_seq if seq != expected_seq else seq
            return VerificationResult(False, count, expected_seq - 1, prev, bad, problem)
        prev = h
        count += 1
        expected_seq += 1
    return VerificationResult(True, count, expected_seq - 1, prev, None)


# --- Signed checkpoints -------------------------------------------------------------------------


def checkpoint_message(seq: int, head_hash: str, signed_at: str) -> bytes:
    """The exact bytes a checkpoint signature covers."""
    message = {"head_hash": head_hash, "head_seq": seq, "signed_at": signed_at}
    return canonical_json(message).encode()


def generate_signing_key() -> bytes:
    """Return a new Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_signing_key(pem: bytes) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM, refusing any other key type."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the ledger signing key must be an Ed25519 key")
    return key


def public_key_pem(key: Ed25519PrivateKey) -> str:
    """The PEM (SubjectPublicKeyInfo) of the key's public half."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def public_key_fingerprint(public_pem: str) -> str:
    """sha256 of the raw 32-byte public key, hex: a short name for the key."""
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign_checkpoint(
    key: Ed25519PrivateKey, seq: int, head_hash: str, signed_at: datetime
) -> dict[str, Any]:
    """Sign the chain head; the result is what an auditor stores outside the database."""
    when = format_timestamp(signed_at)
    signature = key.sign(checkpoint_message(seq, head_hash, when))
    return {
        "head_seq": seq,
        "head_hash": head_hash,
        "signed_at": when,
        "signature": base64.b64encode(signature).decode("ascii"),
        "key_fingerprint": public_key_fingerprint(public_key_pem(key)),
    }


@lru_cache(maxsize=8)
def _public_key(public_pem: str) -> Any:
    # Parsed once: verification checks every checkpoint kept, with the same key.
    return serialization.load_pem_public_key(public_pem.encode("ascii"))


def checkpoint_signature_valid(public_pem: str, checkpoint: Mapping[str, Any]) -> bool:
    """True when ``checkpoint`` carries a valid signature by the key ``public_pem``."""
    key = _public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        signature = base64.b64decode(str(checkpoint["signature"]), validate=True)
        key.verify(
            signature,
            checkpoint_message(
                int(checkpoint["head_seq"]),
                str(checkpoint["head_hash"]),
                str(checkpoint["signed_at"]),
            ),
        )
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


# --- Row digests -------------------------------------------------------------------------------

# Floats whose canonical text differs between a value as written and as read back from
# PostgreSQL's JSONB, which keeps numbers as decimals: one of 1e16 or more, written with an
# exponent, comes back as the integer its text denotes; -0.0 comes back as 0.0. Their text
# always holds one of these markers; text without them is hashed as it is, the rare rest is
# normalised first (see _stable_numbers).
_UNSTABLE_FLOAT_MARKS = ("e+", "-0.0,", "-0.0]", "-0.0}")


def _stable_float(value: float) -> float | int:
    if value == 0:
        return 0.0
    text = repr(value)
    return int(Decimal(text)) if "e+" in text else value


def _stable_numbers(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _stable_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_stable_numbers(item) for item in value]
    if isinstance(value, float):
        return _stable_float(value)
    return value


def row_digest(values: Mapping[str, Any]) -> str:
    """sha256 of a table row as the ledger records it: canonical JSON of column → value.

    Parameters
    ----------
    values : Mapping
        Column name → JSON-compatible value, already put in one form per column type by the
        caller (timestamps as :func:`format_timestamp`, decimals as text at the column's scale,
        bytes as their sha256).

    Returns
    -------
    str
        The same digest whether ``values`` are those written or those read back later from
        SQLite or PostgreSQL: key order does not count, and floats JSONB would return in
        another form (1e16 as the integer 10000000000000000, -0.0 as 0.0) are normalised.
    """
    text = canonical_json(values)
    if any(mark in text for mark in _UNSTABLE_FLOAT_MARKS):
        text = canonical_json(_stable_numbers(values))
    return sha256_hex(text)


def sha256_hex(data: bytes | str) -> str:
    """sha256 of bytes (or UTF-8 text) as hex: how the ledger refers to documents and people."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()
