"""Keyed digests of personal data: comparable (duplicate checks, counting a client's sign-ins)
yet not reversible by guessing, as a plain hash of a national id or an IP address would be from
its small space."""

from __future__ import annotations

import hashlib
import hmac

from app.config import Settings


def keyed_digest(settings: Settings, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` for ``purpose`` under the digest key (never the token secret)."""
    key = hashlib.sha256(b"riskdesk-pii:" + settings.digest_key.get_secret_value().encode())
    return hmac.new(key.digest(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
