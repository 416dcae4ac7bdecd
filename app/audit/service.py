"""Appending to the ledger in the caller's transaction, verifying it and signing checkpoints."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session

from app.audit import repository
from app.auth.principal import Principal
from app.config import Settings
from app.db import insert_row
from app.errors import RiskdeskError, Unprocessable
from app.models import AuditEvent
from compliance import ledger

# Keys that would put personal data in the ledger. Payloads carry references and digests instead.
_PERSONAL_KEYS = frozenset({
    "name", "full_name", "first_name", "last_name", "national_id", "date_of_birth", "dob",
    "address", "email", "phone", "username", "password",
})


class PersonalDataInLedger(RiskdeskError):
    status_code = 500
    code = "personal_data_in_ledger"


def _check_payload(payload: Any, path: str = "") -> None:
    if isinstance(payload, Mapping):
        for key, value in payload.items():
            if str(key).lower() in _PERSONAL_KEYS:
                raise PersonalDataInLedger(f"ledger payload field {path}{key} would hold personal "
                                           "data; record a reference or a sha256 digest instead")
            _check_payload(value, f"{path}{key}.")
    elif isinstance(payload, list):
        for item in payload:
            _check_payload(item, path)


def append_event(
    session: Session,
    actor: Principal,
    action: str,
    entity_type: str,
    entity_id: str | int,
    payload: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the session's current transaction.

    The event commits or rolls back with the change it records. Appends are serialised (see
    ``repository.lock_chain``) so concurrent requests never fork or gap the chain.
    """
    body = dict(payload or {})
    _check_payload(body)
    # Changes still pending in the session are written before the event that records them.
    session.flush()
    seq, prev_hash = _locked_head(session)
    occurred_at = datetime.now(UTC)
    record = ledger.LedgerRecord(
        seq=seq + 1,
        occurred_at=occurred_at,
        actor_type=actor.actor_type,
        actor_id=str(actor.actor_id),
        actor_role=str(actor.role),
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        payload=ledger.canonical_json(body),
        prev_hash=prev_hash,
    )
    values = {
        "seq": record.seq, "occurred_at": occurred_at, "actor_type": record.actor_type,
        "actor_id": record.actor_id, "actor_role": record.actor_role, "action": record.action,
        "entity_type": record.entity_type, "entity_id": record.entity_id,
        "payload": record.payload, "prev_hash": record.prev_hash,
        "hash": ledger.hash_record(record),
    }
    event = insert_row(session, AuditEvent, values)
    _remember_head(session, (event.seq, event.hash))
    return event


# The chain head this transaction last appended, with the transaction: while the transaction
# lasts it holds the chain's lock, so no one else can have appended since, and its next append
# needs neither the lock nor the head again.
_HEAD_KEY = "riskdesk_ledger_head"


def _current_transaction(session: Session) -> object | None:
    # A savepoint counts as a transaction of its own: rolled back, it takes its appends along.
    return session.get_nested_transaction() or session.get_transaction()


def _locked_head(session: Session) -> tuple[int, str]:
    """Take the chain's lock (once per transaction) and return ``(seq, hash)`` of its head."""
    remembered = session.info.get(_HEAD_KEY)
    transaction = _current_transaction(session)
    if remembered is not None and transaction is not None and remembered[0] is transaction:
        head: tuple[int, str] = remembered[1]
        return head
    repository.lock_chain(session)
    return repository.chain_head(session) or (0, ledger.GENESIS_HASH)


def _remember_head(session: Session, head: tuple[int, str]) -> None:
    session.info[_HEAD_KEY] = (_current_transaction(session), head)


def verify(session: Session) -> ledger.VerificationResult:
    """Recompute the whole chain from the first event."""
    with closing(repository.iter_chain(session)) as rows:
        return ledger.verify_chain(rows)


# --- Checkpoints --------------------------------------------------------------------------------


def ensure_signing_key(path: Path) -> None:
    """Create the Ed25519 checkpoint key (mode 0600) when it does not exist yet."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(ledger.generate_signing_key())


@lru_cache(maxsize=4)
def _signing_key(path: Path) -> Ed25519PrivateKey:
    return ledger.load_signing_key(path.read_bytes())


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The service's checkpoint key, created on first use."""
    ensure_signing_key(settings.ledger_key_path)
    return _signing_key(settings.ledger_key_path)


def public_key(settings: Settings) -> dict[str, str]:
    pem = ledger.public_key_pem(signing_key(settings))
    return {"algorithm": "Ed25519", "public_key_pem": pem,
            "fingerprint": ledger.public_key_fingerprint(pem)}


def checkpoint(session: Session, settings: Settings) -> dict[str, Any]:
    """The signed head of the chain, for an auditor to keep outside the database."""
    head = repository.chain_head(session) or (0, ledger.GENESIS_HASH)
    return ledger.sign_checkpoint(signing_key(settings), head[0], head[1], datetime.now(UTC))


def verify_against_checkpoint(session: Session, settings: Settings,
                              saved: Mapping[str, Any]) -> dict[str, Any]:
    """Check a saved checkpoint's signature, that today's chain still holds its head at its
    sequence number, and that the whole chain verifies: history up to it was not rewritten."""
    pem = ledger.public_key_pem(signing_key(settings))
    if not ledger.checkpoint_signature_valid(pem, saved):
        raise Unprocessable("the checkpoint's signature is not valid for this service's key",
                            code="invalid_checkpoint_signature")
    result = verify(session)
    seq = int(saved["head_seq"])
    stored = repository.event_at(session, seq) if seq > 0 else None
    if seq == 0:
        prefix_ok = True
    else:
        prefix_ok = stored is not None and stored.hash == saved["head_hash"]
    return {**result.as_dict(), "checkpoint_seq": seq, "checkpoint_is_prefix": prefix_ok,
            "ok": result.ok and prefix_ok}
