"""Guardrails around the actions rules propose.

The contact cap, snoozes, when a limit reduction is an adverse action, and uncovered escalations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from risk_models.early_warning.levels import LevelAssessment, level_rank

if TYPE_CHECKING:
    from risk_models.early_warning.rules import ProposedAction

OUTREACH_CHANNELS = ("call", "email", "sms", "letter")
# Bounds a rule set's cap must keep within: a cap of more than 50 contacts or a window longer
# than a quarter caps nothing a person would call a limit.
MAX_CAP_CONTACTS = 50
MAX_CAP_WINDOW_DAYS = 90
# Regulation F's presumption for telephone calls (12 CFR 1006.14(b)(2)): no more than 7 calls
# within 7 consecutive days. It is the floor of every cap: a rule set may cap more channels or
# call less, never call more.
REG_F_CALLS, REG_F_DAYS = 7, 7
# Days past due from which a limit reduction can rest on the account's own delinquency: a
# missed cycle.
DELINQUENT_DAYS = 30


def contact_cap_problems(
    max_contacts: object, window_days: object, channels: object
) -> list[tuple[str, str]]:
    """List what is wrong with a contact cap's fields, as (field, message) pairs.

    Parameters
    ----------
    max_contacts, window_days, channels : object
        The cap's fields as a document gives them.

    Returns
    -------
    list of (str, str)
        The field at fault (``channels[1]`` for an element) and a sentence saying what to fix;
        empty when the cap is sound.
    """
    problems: list[tuple[str, str]] = []
    for name, value, upper in (
        ("max_contacts", max_contacts, MAX_CAP_CONTACTS),
        ("window_days", window_days, MAX_CAP_WINDOW_DAYS),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
            problems.append((name, f"{name} must be a whole number from 1 to {upper}."))
    if not isinstance(channels, list | tuple) or not channels:
        problems.append(
            ("channels", f"channels must be a non-empty list of {', '.join(OUTREACH_CHANNELS)}.")
        )
        return problems
    if "call" not in channels:
        problems.append(("channels", "channels must include call: calls are capped by "
                         f"Regulation F ({REG_F_CALLS} within {REG_F_DAYS} days) whatever "
                         "else is."))
    elif not problems and _calls_in_reg_f_window(max_contacts, window_days) > REG_F_CALLS:
        problems.append(("max_contacts", f"{max_contacts} calls every {window_days} day(s) "
                         f"allows more than Regulation F's {REG_F_CALLS} within {REG_F_DAYS} "
                         "days; call less often."))
    seen: set[object] = set()
    for i, channel in enumerate(channels):
        if channel not in OUTREACH_CHANNELS:
            problems.append(
                (f"channels[{i}]", f"{channel!r} is not a channel; use one of "
                 f"{', '.join(OUTREACH_CHANNELS)}.")
            )
        elif channel in seen:
            problems.append((f"channels[{i}]", f"Channel {channel!r} is listed twice."))
        seen.add(channel)
    return problems


def _calls_in_reg_f_window(max_contacts: object, window_days: object) -> int:
    """The most calls a cap lets into any REG_F_DAYS days: its count once per window that
    starts in them."""
    assert isinstance(max_contacts, int) and isinstance(window_days, int)
    return max_contacts * -(-REG_F_DAYS // window_days)


@dataclass(frozen=True, slots=True)
class ContactCap:
    """How often an account may be contacted on the capped channels.

    The default is Regulation F's presumption for telephone calls: no more than 7 calls within
    7 consecutive days (12 CFR 1006.14(b)(2)).

    Attributes
    ----------
    max_contacts : int
        Contacts allowed within the window.
    window_days : int
        Length of the rolling window, in days of 24 hours.
    channels : tuple of str
        The outreach channels the cap counts and limits.
    """

    max_contacts: int = REG_F_CALLS
    window_days: int = REG_F_DAYS
    channels: tuple[str, ...] = ("call",)

    def __post_init__(self) -> None:
        """Refuse a cap outside the bounds a rule set's cap must keep."""
        problems = contact_cap_problems(self.max_contacts, self.window_days, self.channels)
        if problems:
            raise ValueError(" ".join(message for _, message in problems))

    def applies_to(self, channel: str) -> bool:
        """Return whether contacts on ``channel`` are counted and limited by this cap."""
        return channel in self.channels


@dataclass(frozen=True, slots=True)
class CapCheck:
    """The answer to "may this account be contacted now?".

    Attributes
    ----------
    allowed : bool
        Whether one more contact keeps within the cap.
    in_window : int
        Contacts already made within the window ending now.
    next_allowed_at : datetime or None
        When the oldest contact that matters leaves the window; None when allowed now.
    """

    allowed: bool
    in_window: int
    next_allowed_at: datetime | None


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")


def contact_allowed(
    previous_contacts: Sequence[datetime], now: datetime, cap: ContactCap
) -> CapCheck:
    """Check whether one more contact at ``now`` keeps within ``cap``.

    The window is the ``cap.window_days`` × 24 hours ending at ``now``: a contact at time ``t``
    counts when ``now - window < t <= now``, so a contact made exactly one window ago has left
    it. Contacts after ``now`` are not counted.

    Parameters
    ----------
    previous_contacts : Sequence of datetime
        Times of earlier contacts on the channels the cap applies to (timezone-aware).
    now : datetime
        The moment of the contact asked for (timezone-aware).
    cap : ContactCap
        The cap in force.

    Returns
    -------
    CapCheck
        Whether the contact is allowed, how many contacts the window holds, and, when refused,
        the first moment a contact would be allowed.
    """
    _require_aware(now, "now")
    for moment in previous_contacts:
        _require_aware(moment, "every previous contact")
    window = timedelta(days=cap.window_days)
    in_window = sorted(t for t in previous_contacts if now - window < t <= now)
    if len(in_window) < cap.max_contacts:
        return CapCheck(allowed=True, in_window=len(in_window), next_allowed_at=None)
    # One more contact is allowed once all but max_contacts - 1 of these have left the window.
    leaving = in_window[len(in_window) - cap.max_contacts]
    return CapCheck(allowed=False, in_window=len(in_window), next_allowed_at=leaving + window)


def snooze_active(until: datetime | None, now: datetime) -> bool:
    """Return whether a snooze set until ``until`` still holds at ``now`` (None: no snooze)."""
    _require_aware(now, "now")
    if until is None:
        return False
    _require_aware(until, "until")
    return now < until


def limit_reduction_is_adverse_action(days_past_due: int) -> bool:
    """Return whether reducing this account's credit limit is an adverse action.

    Under Regulation B, an action taken in connection with inactivity, default or delinquency
    on that account is not an adverse action (12 CFR 1002.2(c)(2)(ii)); any other reduction is,
    and the notice of adverse action is owed. A few days late is not the delinquency a cut can
    rest on: only a missed cycle (:data:`DELINQUENT_DAYS` past due, what bureaus report as
    delinquent) is; short of it the cut rests on something else (a delinquency elsewhere, a
    falling payment ratio) and its notice is owed.

    Parameters
    ----------
    days_past_due : int
        Days past due on the account whose limit would be reduced.

    Returns
    -------
    bool
        True unless the account is at least :data:`DELINQUENT_DAYS` past due.
    """
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    return days_past_due < DELINQUENT_DAYS


def uncovered(
    level: LevelAssessment, previous_level: str | None, proposals: Iterable[ProposedAction]
) -> bool:
    """Return whether an escalation went without any action, so the exception queue gets it.

    An account escalates when it rises to high, or rises two levels; an account seen for the
    first time (``previous_level`` None) is taken to rise from low. A proposal blocked by a
    guardrail does not cover the account, as nothing will be done with it.

    Parameters
    ----------
    level : LevelAssessment
        The account's level now.
    previous_level : str or None
        Its level before this assessment.
    proposals : Iterable of ProposedAction
        What the rule set proposed for the account at this assessment.

    Returns
    -------
    bool
        True when the account escalated and no unblocked action was proposed.
    """
    before = level_rank(previous_level) if previous_level is not None else 0
    now = level_rank(level.level)
    escalated = (level.level == "high" and before < now) or now - before >= 2
    return escalated and not any(p.blocked is None for p in proposals)
