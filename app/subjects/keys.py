"""The master keys that wrap data keys: read from ``RISKDESK_MASTER_KEY`` or from the key file
(created 0600 on first use, as the ledger's signing key is), rotated and retired.

The key file is JSON: ``{"active": ID, "keys": [{"id", "key" (base64), "created_at"}]}``. A key's
id is derived from the key (:func:`app.subjects.crypto.master_key_id`). Keyrings are cached by
the file's modification time and size, so a service picks up a rotation made by the command line
at its next use of a key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.config import KeySettings
from app.errors import Conflict, ServiceUnavailable
from app.subjects import crypto


class MasterKeyUnavailable(ServiceUnavailable):
    code = "master_key_unavailable"


@dataclass(frozen=True)
class Keyring:
    """The configured master keys by id; ``active_id`` wraps every new data key."""

    active_id: str
    keys: dict[str, bytes] = field(repr=False)
    source: str  # "environment" or the key file's path

    def active(self) -> tuple[str, bytes]:
        return self.active_id, self.keys[self.active_id]

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise MasterKeyUnavailable(
                f"personal data is wrapped by master key {key_id}, which is not among the "
                f"configured master keys ({', '.join(self.keys)}; from {self.source}); restore "
                "it to RISKDESK_MASTER_KEY or the key file", code="master_key_missing") from None


def keyring(settings: KeySettings) -> Keyring:
    """The master keys: ``RISKDESK_MASTER_KEY`` when set, else the key file, created with one
    fresh key when it does not exist yet."""
    if settings.master_key is not None:
        return _from_environment(settings.master_key.get_secret_value())
    path = settings.master_key_path
    ensure_key_file(path)
    stat = path.stat()
    return _from_file(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _from_environment(text: str) -> Keyring:
    try:
        keys = [crypto.decode_master_key(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise MasterKeyUnavailable(f"RISKDESK_MASTER_KEY: {exc}",
                                   code="master_key_invalid") from None
    if not keys:
        raise MasterKeyUnavailable("RISKDESK_MASTER_KEY is empty", code="master_key_invalid")
    by_id = {crypto.master_key_id(key): key for key in keys}
    return Keyring(crypto.master_key_id(keys[0]), by_id, "environment")


@lru_cache(maxsize=8)
def _from_file(path: Path, _mtime_ns: int, _size: int) -> Keyring:
    document = _read(path)
    try:
        by_id = {}
        for entry in document["keys"]:
            key = crypto.decode_master_key(entry["key"])
            if crypto.master_key_id(key) != entry["id"]:
                raise ValueError(f"key {entry['id']} does not match its id")
            by_id[entry["id"]] = key
        active = document["active"]
        if active not in by_id:
            raise ValueError(f"the active key {active} is not in the file")
    except (KeyError, TypeError, ValueError) as exc:
        raise MasterKeyUnavailable(f"the master key file {path} is not valid: {exc}",
                                   code="master_key_invalid") from None
    return Keyring(active, by_id, str(path))


def _read(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MasterKeyUnavailable(f"the master key file {path} cannot be read: "
                                   f"{type(exc).__name__}", code="master_key_invalid") from None
    return document


def _entry(key: bytes) -> dict[str, str]:
    return {"id": crypto.master_key_id(key), "key": crypto.encode_master_key(key),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


def ensure_key_file(path: Path) -> None:
    """Create the key file (mode 0600) with one fresh key when it does not exist yet."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = _entry(crypto.new_key())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"active": entry["id"], "keys": [entry]}, handle, indent=2)


def _write(path: Path, document: dict[str, Any]) -> None:
    """Replace the key file atomically, readable by its owner alone."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def add_file_key(settings: KeySettings) -> str:
    """Add a fresh master key to the key file and make it the active one; its id."""
    _require_file(settings)
    path = settings.master_key_path
    ensure_key_file(path)
    document = _read(path)
    entry = _entry(crypto.new_key())
    document["keys"].append(entry)
    document["active"] = entry["id"]
    _write(path, document)
    return entry["id"]


def remove_file_key(settings: KeySettings, key_id: str) -> None:
    """Remove a master key from the key file (the caller has checked nothing uses it)."""
    _require_file(settings)
    path = settings.master_key_path
    document = _read(path)
    if document.get("active") == key_id:
        raise Conflict(f"{key_id} is the active master key; rotate first",
                       code="master_key_active")
    kept = [entry for entry in document["keys"] if entry["id"] != key_id]
    if len(kept) == len(document["keys"]):
        raise Conflict(f"no master key {key_id} in {path}", code="master_key_not_found")
    document["keys"] = kept
    _write(path, document)


def _require_file(settings: KeySettings) -> None:
    if settings.master_key is not None:
        raise Conflict("the master keys come from RISKDESK_MASTER_KEY: add a key by putting it "
                       "first there (comma-separated), remove one by leaving it out",
                       code="master_keys_from_environment")
