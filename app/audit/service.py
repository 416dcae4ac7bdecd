"""Appending to the ledger in the caller's transaction, verifying it and signing checkpoints."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, suppress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from app.audit import checkpoints, deep, repository
from app.audit.rows import row_entry
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
    *,
    rows: Iterable[SQLModel | None] = (),
) -> AuditEvent:
    """Append one event to the chain inside the session's current transaction.

    The event commits or rolls back with the change it records. Appends are serialised (see
    ``repository.lock_chain``) so concurrent requests never fork or gap the chain. ``rows`` are
    the tracked rows (:mod:`app.audit.rows`) the event created or changed, in their final state
    for this transaction (``None`` is skipped): the payload records each one's digest under
    ``"rows"``.
    """
    body = dict(payload or {})
    entries = [row_entry(row) for row in rows if row is not None]
    if entries:
        if "rows" in body:
            raise ValueError("the payload key 'rows' is reserved for row digests")
        body["rows"] = entries
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


def _observed(rows: Iterator[tuple[Any, ...]], wanted: set[int], hashes: dict[int, str],
              recorded: deep.RecordedRows | None) -> Iterator[tuple[Any, ...]]:
    """The chain's rows, passed on to verification while noting the hashes at the checkpoints'
    sequence numbers and, for a deep verification, what each event records of rows."""
    for row in rows:
        if row[0] in wanted:
            hashes[row[0]] = row[10]
        if recorded is not None:
            recorded.observe(row[0], row[5], row[7], row[8])
        yield row


def verify_ledger(engine: Engine, settings: Settings, *, deep_rows: bool = False
                  ) -> dict[str, Any]:
    """Verify the chain, compare it with every checkpoint kept outside the database, and with
    ``deep_rows`` compare every tracked row with the digest its latest event recorded.

    The checkpoint file is read first, then the database in one snapshot: a checkpoint the
    server writes meanwhile is of a head this snapshot already holds.
    """
    stored = checkpoints.read(settings.checkpoint_path)
    public_pem = ledger.public_key_pem(signing_key(settings))
    hashes: dict[int, str] = {}
    recorded = deep.RecordedRows() if deep_rows else None
    with repository.snapshot(engine) as connection:
        # Batches of 10,000 events (about 15 MB) rather than verify()'s 50,000: a deep
        # verification keeps what the events recorded of every row besides.
        with closing(repository.iter_chain(connection, batch_size=10_000)) as rows:
            chain = ledger.verify_chain(_observed(
                rows, {c.seq for c in stored.checkpoints}, hashes, recorded))
        result: dict[str, Any] = chain.as_dict()
        result["checkpoints"] = checkpoints.check(stored, public_pem, chain, hashes)
        if recorded is not None:
            result["deep"] = (deep.compare(connection, recorded) if chain.ok
                              else deep.skipped(chain))
    result["ok"] = (chain.ok and result["checkpoints"]["ok"]
                    and (recorded is None or result["deep"]["ok"]))
    return result


# --- Checkpoints --------------------------------------------------------------------------------


def ensure_signing_key(path: Path) -> None:
    """Create the Ed25519 checkpoint key (mode 0600) when it does not exist yet.

    Written aside and linked into place: processes starting at once never read a half-written
    key, and the first link wins.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(ledger.generate_signing_key())
            handle.flush()
            os.fsync(handle.fileno())
        with suppress(FileExistsError):
            os.link(aside, path)
    finally:
        aside.unlink()


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


def latest_checkpoint(settings: Settings) -> checkpoints.StoredCheckpoint | None:
    """The latest checkpoint in the checkpoint directory signed with this service's key."""
    pem = ledger.public_key_pem(signing_key(settings))
    return checkpoints.latest_in(settings.checkpoint_path, pem)


def read_chain_view(engine: Engine, latest: checkpoints.StoredCheckpoint | None
                    ) -> checkpoints.ChainView:
    """The chain's head and its hash at ``latest``'s sequence number, in one snapshot."""
    with repository.snapshot(engine) as connection:
        head = repository.head_on(connection) or (0, ledger.GENESIS_HASH)
        at = repository.hash_at(connection, latest.seq) if latest is not None else None
    return checkpoints.ChainView(head[0], head[1], at)


def write_checkpoint(settings: Settings, view: checkpoints.ChainView,
                     seen_latest: checkpoints.StoredCheckpoint | None, *,
                     only_if_due: bool) -> dict[str, Any] | None:
    """Sign ``view``'s head and append it to the checkpoint directory: when due (every
    CHECKPOINT_EVERY_EVENTS events or CHECKPOINT_EVERY_MINUTES), or always. None when nothing
    was written."""
    return checkpoints.append(
        settings.checkpoint_path, signing_key(settings), view, seen_latest, datetime.now(UTC),
        due=None if only_if_due else True, every_events=settings.checkpoint_every_events,
        every_minutes=settings.checkpoint_every_minutes)


def take_checkpoint(engine: Engine, settings: Settings, *,
                    only_if_due: bool = False) -> dict[str, Any] | None:
    """Read the chain's head and append its signed checkpoint to the checkpoint directory."""
    latest = latest_checkpoint(settings)
    return write_checkpoint(settings, read_chain_view(engine, latest), latest,
                            only_if_due=only_if_due)


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


VERIFIED_ACTION = "ledger.verified"


def record_verification(session: Session, actor: Principal, result: Mapping[str, Any]) -> None:
    """A person's verification of the chain (a :func:`verify_ledger` result) is a finding:
    it goes into the ledger, so the last verification, its outcome and who ran it can be shown
    and are themselves tamper-evident."""
    deep_result = result.get("deep")
    append_event(session, actor, VERIFIED_ACTION, "ledger", int(result["head_seq"]), {
        "ok": bool(result["ok"]), "events": int(result["events"]),
        "head_hash": result["head_hash"], "first_bad_seq": result.get("first_bad_seq"),
        "checkpoints_ok": bool(result["checkpoints"]["ok"]),
        "deep": None if deep_result is None else bool(deep_result["ok"])})
