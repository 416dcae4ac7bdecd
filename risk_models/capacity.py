"""Statutory minimum-age check (legal capacity to contract): the only reader of a date of birth.

Age is a protected attribute: it never becomes a scorecard characteristic, and no other rule
reads it. This check asks one yes/no question, whether the applicant may sign a credit contract.
"""

from __future__ import annotations

from datetime import date


def completed_years(start: date, as_of: date) -> int:
    """Whole years from ``start`` to ``as_of`` (a birthday or anniversary counts on the day)."""
    years = as_of.year - start.year
    if (as_of.month, as_of.day) < (start.month, start.day):
        years -= 1
    return years


def has_legal_capacity(date_of_birth: date | None, as_of: date, minimum_age: int) -> bool | None:
    """Whether the applicant has reached ``minimum_age`` on ``as_of``; ``None`` if unknown."""
    if date_of_birth is None:
        return None
    return completed_years(date_of_birth, as_of) >= minimum_age
