"""Signed checkpoints kept outside the database: one append-only file, one JSON line each.

Lines are only ever appended (``O_APPEND``, under an exclusive ``flock`` so that several server
processes and the command line can write at once, then ``fsync``); nothing here rewrites or
truncates the file. Verification compares the chain with every checkpoint in it and names the
latest; the writer refuses to sign a chain that contradicts the latest.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.errors import Conflict
from compliance import ledger

FILE_NAME = "checkpoints.jsonl"


class LedgerContradictsCheckpoint(Conflict):
    code = "ledger_contradicts_checkpoint"


@dataclass(frozen=True)
class StoredCheckpoint:
    """One line of the checkpoint file."""

    line: int
    body: Mapping[str, Any]

    @property
    def seq(self) -> int:
        return int(self.body["head_seq"])

    @property
    def head_hash(self) -> str:
        return str(self.body["head_hash"])

    def describe(self) -> dict[str, Any]:
        return {"line": self.line, "head_seq": self.seq, "head_hash": self.head_hash,
                "signed_at": self.body.get("signed_at")}


@dataclass(frozen=True)
class CheckpointFile:
    """The checkpoints read from the file, and the numbers of lines that are not checkpoints."""

    path: Path
    checkpoints: list[StoredCheckpoint]
    unreadable: list[int]

    def signed_by(self, public_pem: str) -> tuple[list[StoredCheckpoint], int]:
        """The checkpoints claiming this key, and how many claim another (a retired key)."""
        fingerprint = ledger.public_key_fingerprint(public_pem)
        ours = [c for c in self.checkpoints if c.body.get("key_fingerprint") == fingerprint]
        return ours, len(self.checkpoints) - len(ours)


def latest_in(directory: Path, public_pem: str) -> StoredCheckpoint | None:
    """The last validly signed checkpoint of the file: what a writer extends.

    Read from the end, parsing only as many lines as it takes: the server asks every few
    seconds, and the file grows by a line every few minutes for years. Writers only ever
    append a checkpoint at or beyond the last one, so the last valid line is the latest.
    """
    try:
        lines = (directory / FILE_NAME).read_bytes().split(b"\n")
    except FileNotFoundError:
        return None
    fingerprint = ledger.public_key_fingerprint(public_pem)
    for index in range(len(lines) - 1, -1, -1):
        body = _parse(lines[index].decode("utf-8", errors="replace"))
        if (body is not None and body.get("key_fingerprint") == fingerprint
                and ledger.checkpoint_signature_valid(public_pem, body)):
            return StoredCheckpoint(index + 1, body)
    return None


def _parse(line: str) -> Mapping[str, Any] | None:
    try:
        body = json.loads(line)
        int(body["head_seq"])
        str(body["head_hash"])
    except (ValueError, KeyError, TypeError):
        return None
    return body if isinstance(body, dict) else None


def read(directory: Path) -> CheckpointFile:
    """Every checkpoint in ``directory``'s file (none when it does not exist yet)."""
    path = directory / FILE_NAME
    checkpoints: list[StoredCheckpoint] = []
    unreadable: list[int] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return CheckpointFile(path, checkpoints, unreadable)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        body = _parse(line)
        if body is None:
            unreadable.append(number)
        else:
            checkpoints.append(StoredCheckpoint(number, body))
    return CheckpointFile(path, checkpoints, unreadable)


# --- Writing ------------------------------------------------------------------------------------


@contextmanager
def _locked(directory: Path) -> Iterator[int]:
    """The checkpoint file opened for appending, held under an exclusive lock."""
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o750, exist_ok=True)
    fd = os.open(directory / FILE_NAME, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _append_line(fd: int, text: str) -> None:
    size = os.fstat(fd).st_size
    # A line cut short by a crash stays a line of its own, reported unreadable.
    prefix = "\n" if size and os.pread(fd, 1, size - 1) != b"\n" else ""
    os.write(fd, f"{prefix}{text}\n".encode())
    os.fsync(fd)


@dataclass(frozen=True)
class ChainView:
    """What the writer read of the chain: its head, and the hash now at the latest checkpoint's
    sequence number."""

    head_seq: int
    head_hash: str
    hash_at_latest: str | None


def contradiction(latest: StoredCheckpoint | None, view: ChainView) -> str | None:
    """Why the chain as read cannot extend ``latest``, or None when it does."""
    if latest is None or latest.seq == 0:
        return None
    if view.head_seq < latest.seq:
        return (f"the chain ends at event {view.head_seq}, before the checkpoint of event "
                f"{latest.seq} (signed {latest.body.get('signed_at')}, line {latest.line}): "
                "events were removed")
    if view.hash_at_latest != latest.head_hash:
        return (f"event {latest.seq} no longer has the hash the checkpoint of "
                f"{latest.body.get('signed_at')} (line {latest.line}) signed: the chain was "
                "rewritten")
    return None


def is_due(latest: StoredCheckpoint | None, head_seq: int, now: datetime, *,
           every_events: int, every_minutes: float) -> bool:
    """A checkpoint is due after ``every_events`` new events, or ``every_minutes`` after the
    last one when there is any new event."""
    if latest is None:
        return head_seq > 0
    if head_seq <= latest.seq:
        return False
    if head_seq - latest.seq >= every_events:
        return True
    try:
        signed_at = datetime.fromisoformat(str(latest.body["signed_at"]))
    except (KeyError, ValueError):
        return True
    return now - signed_at >= timedelta(minutes=every_minutes)


def _line(checkpoint: StoredCheckpoint | None) -> int | None:
    return checkpoint.line if checkpoint is not None else None


def append(directory: Path, key: Ed25519PrivateKey, view: ChainView,
           seen_latest: StoredCheckpoint | None, now: datetime, *, due: bool | None = None,
           every_events: int = 1, every_minutes: float = 0.0) -> dict[str, Any] | None:
    """Sign the head in ``view`` and append it, under the file's lock.

    ``seen_latest`` is the latest checkpoint when ``view`` was read; if another writer appended
    since, nothing is written (the view was checked against an older checkpoint). With ``due``
    None the due rule decides; True writes whenever the head is consistent. Raises
    :class:`LedgerContradictsCheckpoint` rather than sign a chain that does not extend the
    latest checkpoint.
    """
    public_pem = ledger.public_key_pem(key)
    with _locked(directory) as fd:
        latest = latest_in(directory, public_pem)
        if _line(latest) != _line(seen_latest):
            return None
        problem = contradiction(latest, view)
        if problem is not None:
            raise LedgerContradictsCheckpoint(f"refusing to sign the chain's head: {problem}")
        if due is None:
            due = is_due(latest, view.head_seq, now, every_events=every_events,
                         every_minutes=every_minutes)
        if not due:
            return None
        checkpoint = ledger.sign_checkpoint(key, view.head_seq, view.head_hash, now)
        _append_line(fd, ledger.canonical_json(checkpoint))
        return checkpoint


# --- Checking the chain against them ------------------------------------------------------------


def check(file: CheckpointFile, public_pem: str, chain: ledger.VerificationResult,
          hashes: Mapping[int, str]) -> dict[str, Any]:
    """Check the chain against every checkpoint signed with this service's key.

    ``hashes`` holds the chain's hash at each checkpoint's sequence number, as verified. A
    checkpoint beyond the chain's head means its tail was removed; a different hash at its
    sequence number means the chain was rewritten. Lines signed with another key are counted,
    not checked; lines that are not checkpoints are listed.
    """
    ours, other_key = file.signed_by(public_pem)
    problems: list[dict[str, Any]] = []
    valid: list[StoredCheckpoint] = []
    for stored in ours:
        if not ledger.checkpoint_signature_valid(public_pem, stored.body):
            problems.append({**stored.describe(), "problem": "its signature is not valid for "
                             "this service's key"})
            continue
        valid.append(stored)
        if stored.seq == 0 or (not chain.ok and stored.seq >= (chain.first_bad_seq or 0)):
            continue  # nothing to compare, or the chain's own break is the finding
        problem = contradiction(stored, ChainView(chain.head_seq, chain.head_hash,
                                                  hashes.get(stored.seq)))
        if problem is not None:
            problems.append({**stored.describe(), "problem": problem})
    latest = max(valid, key=lambda c: (c.seq, c.line), default=None)
    note = None
    if latest is None:
        note = ("no checkpoint has been taken yet: only the chain's own consistency was "
                "checked, which does not catch a removed tail or a rewritten chain")
    return {
        "file": str(file.path),
        "ok": not problems,
        "checked": len(ours),
        "latest": latest.describe() if latest else None,
        "problems": problems,
        "other_key": other_key,
        "unreadable_lines": file.unreadable,
        "note": note,
    }
