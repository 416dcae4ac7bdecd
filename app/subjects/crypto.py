"""Envelope encryption, the primitives: AES-256-GCM values bound to where they are stored, and
data keys wrapped by master keys. No database and no settings here.

A sealed value is ``FORMAT | nonce (12 bytes) | ciphertext and tag``; each value has a fresh
random nonce, and its associated data names the subject, table, row and column it belongs to,
so a value copied to another row, column or subject does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


class SealedValueError(Exception):
    """A sealed value did not open: the wrong key, or a value altered or moved elsewhere."""


@dataclass(frozen=True)
class Binding:
    """Where a sealed value is stored; its associated data. ``row`` is the row's key."""

    table: str
    row: str
    column: str

    def associated_data(self, subject_id: str) -> bytes:
        return f"riskdesk:v1:{subject_id}:{self.table}:{self.row}:{self.column}".encode()


def new_key() -> bytes:
    """A random 256-bit AES key (a data key or a master key)."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def open_sealed(key: bytes, sealed: bytes, associated_data: bytes) -> bytes:
    if not sealed.startswith(FORMAT) or len(sealed) < 1 + NONCE_BYTES + 16:
        raise SealedValueError("not a sealed value of a known format")
    nonce, body = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, body, associated_data)
    except InvalidTag as exc:
        raise SealedValueError("the value does not open with this key where it is stored; "
                               "it was altered, moved, or sealed under another key") from exc


def _wrapping_data(subject_id: str, master_key_id: str) -> bytes:
    return f"riskdesk:data-key:v1:{subject_id}:{master_key_id}".encode()


def wrap(master_key: bytes, master_key_id: str, subject_id: str, data_key: bytes) -> bytes:
    """``data_key`` sealed under a master key, bound to its subject and the master key's id."""
    return seal(master_key, data_key, _wrapping_data(subject_id, master_key_id))


def unwrap(master_key: bytes, master_key_id: str, subject_id: str, wrapped: bytes) -> bytes:
    return open_sealed(master_key, wrapped, _wrapping_data(subject_id, master_key_id))


def master_key_id(master_key: bytes) -> str:
    """A master key's id, derived from the key: a key and its id cannot be mismatched, and the
    id (a truncated digest of 256 random bits) says nothing about the key."""
    return "mk-" + hashlib.sha256(b"riskdesk master key id\0" + master_key).hexdigest()[:16]


def decode_master_key(text: str) -> bytes:
    """A master key from its base64 text; exactly 32 bytes."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a master key is base64 text") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"a master key is {KEY_BYTES} bytes (base64 of 32 random bytes, "
                         f"e.g. `openssl rand -base64 32`), not {len(key)}")
    return key


def encode_master_key(key: bytes) -> str:
    return base64.b64encode(key).decode()
