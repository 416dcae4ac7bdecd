"""Keyed digests of personal data: comparable (duplicate checks, counting a client's sign-ins)
yet not reversible by guessing, as a plain hash of a national id or an IP address would be from
its small space."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from app.config import Settings


def keyed_digest(settings: Settings, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` for ``purpose`` under the digest key (never the token secret)."""
    key = hashlib.sha256(b"riskdesk-pii:" + settings.digest_key.get_secret_value().encode())
    return hmac.new(key.digest(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def national_id_digest(settings: Settings, national_id: str) -> str:
    """The digest duplicate checks and data subjects find a national id by."""
    return keyed_digest(settings, "national_id", national_id)


def name_dob_digest(settings: Settings, full_name: str, date_of_birth: date) -> str:
    """The digest of a name (case-folded) and date of birth, when there is no national id."""
    return keyed_digest(settings, "name_dob", f"{full_name.casefold()}|{date_of_birth}")
