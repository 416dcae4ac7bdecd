"""Risk levels of a monitored account, and the drivers that set each one.

The behavioural PD against a rule set's cut-offs, then floors set by delinquency and warning signs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from risk_models.early_warning.signals import dpd_bucket

LEVELS = ("low", "medium", "high")

# Days past due from which an account is high whatever its PD: by 60 days two instalments are
# missed, and roll rates to default from there are far above any PD cut-off a lender would use.
HIGH_DPD_FLOOR = 60
# Interaction sentiment (VADER compound, -1..1) at or below which an interaction counts as a
# warning sign; -0.5 is well past VADER's own -0.05 boundary of "negative".
NEGATIVE_SENTIMENT = -0.5
# Warning signs needed together before they lift an account to medium: one alone is too noisy.
MIN_WARNING_SIGNS = 2


def level_rank(level: str) -> int:
    """Return the rank of a risk level: 0 for low, 1 for medium, 2 for high.

    Parameters
    ----------
    level : str
        One of :data:`LEVELS`.

    Returns
    -------
    int
        The level's position in :data:`LEVELS`.

    Raises
    ------
    ValueError
        If ``level`` is not a risk level.
    """
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"unknown risk level {level!r}; expected one of {LEVELS}") from None


@dataclass(frozen=True, slots=True)
class LevelPolicy:
    """A rule set's PD cut-offs: medium from ``medium_pd``, high from ``high_pd``.

    Attributes
    ----------
    medium_pd : float
        Behavioural PD at or above which an account is at least medium.
    high_pd : float
        Behavioural PD at or above which an account is high; ``0 < medium_pd < high_pd < 1``.
    """

    medium_pd: float = 0.25
    high_pd: float = 0.5

    def __post_init__(self) -> None:
        """Refuse cut-offs out of order or outside (0, 1)."""
        if not (0.0 < self.medium_pd < self.high_pd < 1.0):
            raise ValueError("level cut-offs need 0 < medium_pd < high_pd < 1")


@dataclass(frozen=True, slots=True)
class LevelAssessment:
    """An account's risk level and what set it.

    Attributes
    ----------
    level : str
        One of :data:`LEVELS`.
    drivers : tuple of str
        Each thing that set the level, in words a reviewer reads. A low level names the PD that
        kept it low, or nothing when no PD was known.
    """

    level: str
    drivers: tuple[str, ...]


def _pd_digits(pd: float, policy: LevelPolicy) -> int:
    # Two decimals unless they would print the PD as equal to a cut-off it differs from (0.4999
    # as 0.50 beside a high cut-off of 0.50).
    for digits in range(2, 7):
        if all(
            (f"{pd:.{digits}f}" == f"{cut:.{digits}f}") == (pd == cut)
            for cut in (policy.medium_pd, policy.high_pd)
        ):
            return digits
    return 6


def _pd_level(pd: float, policy: LevelPolicy) -> tuple[str, str]:
    digits = _pd_digits(pd, policy)
    if pd >= policy.high_pd:
        level, relation, cut = "high", "≥", policy.high_pd
    elif pd >= policy.medium_pd:
        level, relation, cut = "medium", "≥", policy.medium_pd
    else:
        level, relation, cut = "low", "<", policy.medium_pd
    return level, f"behavioural PD {pd:.{digits}f} {relation} {cut:.{digits}f}"


def _warning_signs(signals: Mapping[str, Any]) -> list[str]:
    signs = []
    if signals.get("payment_ratio_drop") is True:
        signs.append("payment ratio fell (Page-Hinkley)")
    if signals.get("balance_drop") is True:
        signs.append("balance dropped")
    if signals.get("engagement_decline") is True:
        signs.append("engagement declined against its own baseline")
    # Negative sentiment and distress terms are one sign: both read the same interactions.
    sentiment, distress_terms = signals.get("sentiment"), signals.get("distress_terms")
    words = []
    if sentiment is not None and sentiment <= NEGATIVE_SENTIMENT:
        words.append(f"interaction sentiment {sentiment:.2f} ≤ {NEGATIVE_SENTIMENT:.2f}")
    if distress_terms is not None and distress_terms > 0:
        words.append(f"{distress_terms} credit-distress term(s) in recent interactions")
    if words:
        signs.append("; ".join(words))
    return signs


def assess_level(signals: Mapping[str, Any], policy: LevelPolicy) -> LevelAssessment:
    """Assess an account's risk level from its signals.

    The behavioural PD sets a level against ``policy``; floors then raise it: 60 or more days
    past due makes it high, 1 to 59 days at least medium, a new delinquency at another lender
    at least medium, and two or more warning signs together (payment ratio fell, balance
    dropped, engagement declined, negative sentiment or distress terms) at least medium.
    Interaction text is one warning sign among these and never makes an account high.

    Parameters
    ----------
    signals : Mapping
        Signals by the names of the rules' catalogue; a missing or None signal counts as
        absent. ``behavioural_pd`` None leaves the level to the floors, low otherwise.
    policy : LevelPolicy
        The PD cut-offs of the rule set in force.

    Returns
    -------
    LevelAssessment
        The level and the drivers that set it (those implying the level reached).
    """
    candidates: list[tuple[str, str]] = []
    days_past_due = signals.get("days_past_due")
    if days_past_due is not None and days_past_due > 0:
        floor = "high" if days_past_due >= HIGH_DPD_FLOOR else "medium"
        candidates.append(
            (floor, f"days past due {dpd_bucket(days_past_due)} ({days_past_due} days)")
        )
    pd = signals.get("behavioural_pd")
    if pd is not None and not math.isnan(pd):
        candidates.append(_pd_level(float(pd), policy))
    if signals.get("bureau_delinquency") is True:
        candidates.append(("medium", "new delinquency reported at another lender"))
    signs = _warning_signs(signals)
    if len(signs) >= MIN_WARNING_SIGNS:
        candidates.extend(("medium", sign) for sign in signs)

    level = max((lvl for lvl, _ in candidates), key=level_rank, default="low")
    drivers = tuple(text for lvl, text in candidates if lvl == level)
    return LevelAssessment(level=level, drivers=drivers)
