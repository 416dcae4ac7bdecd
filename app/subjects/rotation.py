"""Rotating master keys: re-wrap every data key under the active master key (the sealed values
are untouched: their data keys do not change), and retire a master key nothing uses any more."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session

from app.audit.service import append_event
from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict
from app.subjects import crypto, keys, repository
from app.subjects.keys import MasterKeyUnavailable

BATCH = 500


@dataclass(frozen=True)
class KeyStatus:
    active_id: str
    source: str
    configured: list[str]
    usage: dict[str, int]  # master key id -> subjects it wraps

    @property
    def missing(self) -> list[str]:
        """Ids that wrap data keys but are not configured: their subjects cannot be read."""
        return sorted(set(self.usage) - set(self.configured))


def status(session: Session, settings: Settings) -> KeyStatus:
    ring = keys.keyring(settings)
    return KeyStatus(ring.active_id, ring.source, sorted(ring.keys),
                     repository.key_usage(session))


def rewrap(session: Session, settings: Settings, actor: Principal) -> dict[str, int]:
    """Re-wrap every data key not yet under the active master key; how many, by old key id."""
    ring = keys.keyring(settings)
    active_id, active = ring.active()
    moved: Counter[str] = Counter()
    while batch := repository.wrapped_by_other_than(session, active_id, BATCH):
        for subject in batch:
            old_id = str(subject.master_key_id)
            assert subject.wrapped_key is not None  # the query keeps only wrapped keys
            try:
                data_key = crypto.unwrap(ring.key(old_id), old_id, subject.id,
                                         subject.wrapped_key)
            except crypto.SealedValueError:
                raise MasterKeyUnavailable(f"master key {old_id} does not open the data key of "
                                           f"subject {subject.id}", code="master_key_mismatch"
                                           ) from None
            subject.wrapped_key = crypto.wrap(active, active_id, subject.id, data_key)
            subject.master_key_id = active_id
            session.add(subject)
            moved[old_id] += 1
        session.flush()
    append_event(session, actor, "keys.rewrapped", "master_key", active_id,
                 {"rewrapped": sum(moved.values()), "from": dict(sorted(moved.items()))})
    return dict(moved)


def rotate(session: Session, settings: Settings, actor: Principal) -> tuple[str, dict[str, int]]:
    """Add a fresh master key to the key file and re-wrap under it; with keys from the
    environment, re-wrap under its first key (put the new key first there beforehand)."""
    if settings.master_key is None:
        keys.add_file_key(settings)
    moved = rewrap(session, settings, actor)
    return keys.keyring(settings).active_id, moved


def retire(session: Session, settings: Settings, actor: Principal, key_id: str) -> None:
    """Remove a master key from the key file once no data key is wrapped by it."""
    if keys.keyring(settings).active_id == key_id:
        raise Conflict(f"{key_id} is the active master key; rotate first",
                       code="master_key_active")
    in_use = repository.key_usage(session).get(key_id, 0)
    if in_use:
        raise Conflict(f"master key {key_id} still wraps {in_use} data keys; run "
                       "`riskdesk keys rotate` first", code="master_key_in_use")
    keys.remove_file_key(settings, key_id)
    append_event(session, actor, "keys.retired", "master_key", key_id, {})
