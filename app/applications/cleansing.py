"""Normalise what is safe to normalise in an application, and record what was changed.

Only formatting is touched (whitespace, letter case, country and currency codes, phone numbers);
nothing that changes meaning. The record names the field and the rule, never the values, because
the values are personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from app.errors import Unprocessable

_SPACES = re.compile(r"\s+")
_PHONE_JUNK = re.compile(r"[\s().\-/]")
_ID_JUNK = re.compile(r"[\s\-.]")


def _collapse_whitespace(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def _phone(value: str) -> str:
    digits = _PHONE_JUNK.sub("", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    return digits


RULES: dict[str, list[tuple[str, Callable[[str], str]]]] = {
    "loan.currency": [("upper_case", str.upper)],
    "kyc.full_name": [("collapse_whitespace", _collapse_whitespace)],
    "kyc.national_id": [("strip_separators", lambda v: _ID_JUNK.sub("", v)),
                        ("upper_case", str.upper)],
    "kyc.address.line1": [("collapse_whitespace", _collapse_whitespace)],
    "kyc.address.line2": [("collapse_whitespace", _collapse_whitespace)],
    "kyc.address.city": [("collapse_whitespace", _collapse_whitespace)],
    "kyc.address.postal_code": [("collapse_whitespace", _collapse_whitespace),
                                ("upper_case", str.upper)],
    "kyc.address.country": [("upper_case", str.upper)],
    "kyc.contact.email": [("collapse_whitespace", _collapse_whitespace),
                          ("lower_case", str.lower)],
    "kyc.contact.phone": [("phone_e164", _phone)],
    "kyc.sanctions_screening.reference": [("collapse_whitespace", _collapse_whitespace)],
    "co_applicant.full_name": [("collapse_whitespace", _collapse_whitespace)],
    "co_applicant.national_id": [("strip_separators", lambda v: _ID_JUNK.sub("", v)),
                                 ("upper_case", str.upper)],
    "guarantor.full_name": [("collapse_whitespace", _collapse_whitespace)],
    "guarantor.national_id": [("strip_separators", lambda v: _ID_JUNK.sub("", v)),
                              ("upper_case", str.upper)],
    "monitoring.nationality": [("upper_case", str.upper)],
}
REQUIRED_TEXT = {"kyc.full_name", "kyc.national_id", "kyc.address.line1", "kyc.address.city",
                 "kyc.address.postal_code", "co_applicant.full_name", "guarantor.full_name"}


def normalised(path: str, value: str) -> str:
    """``value`` as cleansing leaves the field at ``path`` (to compare a value given later, in
    a search, with what was stored)."""
    for _rule, fn in RULES.get(path, []):
        value = fn(value)
    return value


def _parent(document: Any, path: str) -> tuple[Any, str]:
    *parents, leaf = path.split(".")
    node: Any = document
    for key in parents:
        node = getattr(node, key, None)
        if node is None:
            return None, leaf
    return node, leaf


def cleanse(document: Any) -> list[dict[str, str]]:
    """Normalise the validated ``document`` in place; return the ``{field, rule}`` changes.

    Every rule maps a valid value to a valid value (formatting only), so the document stays as
    valid as it was validated.
    """
    changes: list[dict[str, str]] = []
    empty: list[str] = []
    for path, rules in RULES.items():
        parent, leaf = _parent(document, path)
        if parent is None or not isinstance(getattr(parent, leaf, None), str):
            continue
        for rule, fn in rules:
            before = getattr(parent, leaf)
            after = fn(before)
            if after != before:
                setattr(parent, leaf, after)
                changes.append({"field": path, "rule": rule})
        if path in REQUIRED_TEXT and not getattr(parent, leaf):
            empty.append(path)
    if empty:
        raise Unprocessable(
            "these fields are blank: " + ", ".join(empty), code="validation_error",
            details=[{"field": f, "message": "must not be blank", "type": "blank"} for f in empty])
    return changes
