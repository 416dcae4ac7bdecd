"""Early-warning signals read from one account's own history.

Arrears, falls in payment ratio and balance, engagement decline, interaction sentiment and bureau
delinquencies, each a plain function whose result says what fired and on which numbers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from river.drift import PageHinkley

from risk_models.early_warning.history import Cycle

__all__ = [
    "BALANCE_DELTA",
    "BALANCE_MIN_INSTANCES",
    "BALANCE_THRESHOLD",
    "BUREAU_WINDOW_DAYS",
    "DPD_BUCKETS",
    "INTERACTION_WINDOW_DAYS",
    "MAX_PAYMENT_RATIO",
    "PAYMENT_RATIO_DELTA",
    "PAYMENT_RATIO_MIN_INSTANCES",
    "PAYMENT_RATIO_THRESHOLD",
    "SIGNAL_NAMES",
    "ChangeSignal",
    "EngagementSignal",
    "balance_drop",
    "balance_drop_threshold",
    "bureau_delinquency",
    "compute_signals",
    "dpd_bucket",
    "engagement_decline",
    "payment_ratio_drop",
    "payment_ratio_drop_threshold",
    "payment_ratios",
]

DPD_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
# A payment far above the amount due (a lump-sum settlement) would otherwise dominate the mean
# the next cycles are judged against.
MAX_PAYMENT_RATIO = 1.5

# Page-Hinkley on monthly series. river's defaults (min_instances=30, delta=0.005,
# threshold=50) suit streams of thousands of points; an account has 3-12 cycles, so:
# - min_instances=3: two cycles establish the account's own level, the third can depart from
#   it (fewer would judge a single cycle against nothing);
# - delta=0.05: each cycle forgives a fall of 5 points of the amount due below the running
#   mean, the ordinary month-to-month wobble of someone paying in full, so noise does not add up;
# - threshold=0.35: the cumulative fall (in units of the amount due) that declares a change.
#   One cycle paying 20 % after full payments crosses it at once; a fall to 60 % takes two
#   cycles. Over 2,000 simulated 12-cycle payers paying in full give or take 8 points
#   (seeded normal noise), these settings alarm on 0.05 % of them; with delta=0, on 7.5 %.
PAYMENT_RATIO_DELTA = 0.05
PAYMENT_RATIO_THRESHOLD = 0.35
PAYMENT_RATIO_MIN_INSTANCES = 3
# Balances are divided by the median absolute balance of the series first, so these are
# fractions of the account's usual balance. Deposit balances swing more than payment ratios
# (salary in, bills out), hence a wider allowance and a fall of half the usual balance.
BALANCE_DELTA = 0.1
BALANCE_THRESHOLD = 0.5
BALANCE_MIN_INSTANCES = 3

INTERACTION_WINDOW_DAYS = 30
BUREAU_WINDOW_DAYS = 90

SIGNAL_NAMES = (
    "days_past_due",
    "dpd_bucket",
    "payment_ratio",
    "payment_ratio_drop",
    "payment_ratio_drop_threshold",
    "balance_drop",
    "utilisation",
    "engagement_ratio",
    "engagement_decline",
    "sentiment",
    "distress_terms",
    "bureau_delinquency",
    "months_on_book",
)


@dataclass(frozen=True, slots=True)
class ChangeSignal:
    """Whether a series has fallen away from its own history, and the numbers that say so.

    Attributes
    ----------
    fired : bool
        True when a fall is in force at the latest point.
    at_index : int or None
        Index, in the series given, of the point at which the fall was declared (None when not
        fired).
    baseline : float or None
        The level the latest point is judged against: for ``"threshold"`` the mean of the
        baseline periods (whenever there are enough of them); for ``"page_hinkley"`` the mean of
        the points the detector had seen before declaring the fall (only when fired).
    latest : float or None
        The latest point of the series (None for an empty series).
    method : {"page_hinkley", "threshold"}
        Which detector produced the signal.
    """

    fired: bool
    at_index: int | None
    baseline: float | None
    latest: float | None
    method: Literal["page_hinkley", "threshold"]


@dataclass(frozen=True, slots=True)
class EngagementSignal:
    """The latest period's engagement against the account's own recent baseline.

    Attributes
    ----------
    ratio : float or None
        ``recent / baseline``; None when there are too few periods or the baseline is zero.
    declined : bool
        True when the baseline is thick enough and the ratio fell below the chosen ratio.
    baseline : float or None
        Mean count of the baseline periods preceding the latest one.
    recent : int
        Count of the latest period (0 when there are no periods).
    """

    ratio: float | None
    declined: bool
    baseline: float | None
    recent: int


def dpd_bucket(days_past_due: int) -> str:
    """Name the arrears bucket of a number of days past due.

    Parameters
    ----------
    days_past_due : int
        Days past due, 0 when current.

    Returns
    -------
    str
        One of :data:`DPD_BUCKETS`.

    Raises
    ------
    ValueError
        If `days_past_due` is negative.
    """
    if days_past_due < 0:
        raise ValueError(f"days_past_due must be >= 0, got {days_past_due}")
    if days_past_due == 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


def payment_ratios(cycles: Sequence[Cycle]) -> list[float]:
    """Amount paid over amount due of each cycle that had something due, oldest first.

    Parameters
    ----------
    cycles : sequence of Cycle
        The account's cycles, oldest first.

    Returns
    -------
    list of float
        ``paid / due`` clipped to ``[0, MAX_PAYMENT_RATIO]``; cycles whose `due` is None or not
        positive (nothing owed, or a credit balance) are skipped.
    """
    ratios: list[float] = []
    for cycle in cycles:
        if cycle.due is None:
            continue
        due = _finite(cycle.due, "due")
        if due <= 0:
            continue
        ratio = _finite(cycle.paid, "paid") / due
        ratios.append(min(max(ratio, 0.0), MAX_PAYMENT_RATIO))
    return ratios


def payment_ratio_drop(
    ratios: Sequence[float],
    *,
    delta: float = PAYMENT_RATIO_DELTA,
    threshold: float = PAYMENT_RATIO_THRESHOLD,
    min_instances: int = PAYMENT_RATIO_MIN_INSTANCES,
) -> ChangeSignal:
    """Detect a fall of the payment ratio with the Page-Hinkley test.

    A fall is in force when a Page-Hinkley detector in mode ``"down"`` declared one and the
    latest ratio is still nearer the value that declared it than the level before it (below
    their midpoint); an account whose payments recover stops firing. Ratios are fed as they
    are, so `delta` and `threshold` are in units of the amount due.

    Parameters
    ----------
    ratios : sequence of float
        Payment ratios, oldest first (see :func:`payment_ratios`).
    delta : float, default PAYMENT_RATIO_DELTA
        Fall per point tolerated without adding to the evidence.
    threshold : float, default PAYMENT_RATIO_THRESHOLD
        Cumulative fall that declares a change.
    min_instances : int, default PAYMENT_RATIO_MIN_INSTANCES
        Points seen before a change can be declared.

    Returns
    -------
    ChangeSignal
        ``method="page_hinkley"``.
    """
    return _page_hinkley_fall(
        [_finite(r, "ratio") for r in ratios],
        scale=1.0,
        delta=delta,
        threshold=threshold,
        min_instances=min_instances,
    )


def payment_ratio_drop_threshold(
    ratios: Sequence[float], *, baseline_periods: int = 3, drop: float = 0.5
) -> ChangeSignal:
    """Fire when the latest payment ratio is below `drop` times the mean of the periods before.

    Parameters
    ----------
    ratios : sequence of float
        Payment ratios, oldest first.
    baseline_periods : int, default 3
        Number of periods before the latest one that make the baseline; fewer never fire.
    drop : float, default 0.5
        Fraction of the baseline below which the latest ratio fires.

    Returns
    -------
    ChangeSignal
        ``method="threshold"``.
    """
    return _threshold_fall(
        [_finite(r, "ratio") for r in ratios], baseline_periods=baseline_periods, drop=drop
    )


def balance_drop(
    balances: Sequence[float],
    *,
    delta: float = BALANCE_DELTA,
    threshold: float = BALANCE_THRESHOLD,
    min_instances: int = BALANCE_MIN_INSTANCES,
) -> ChangeSignal:
    """Detect a sharp fall of a balance (savings, deposit snapshots) with Page-Hinkley.

    The series is first divided by its median absolute value, so `delta` and `threshold` are
    fractions of the account's usual balance and one setting serves every account size. The
    rule for "in force" is that of :func:`payment_ratio_drop`; `baseline` and `latest` are
    reported in the balance's own units.

    Parameters
    ----------
    balances : sequence of float
        Balances, oldest first.
    delta : float, default BALANCE_DELTA
        Fall per point, as a fraction of the usual balance, tolerated as noise.
    threshold : float, default BALANCE_THRESHOLD
        Cumulative fall, as a fraction of the usual balance, that declares a change.
    min_instances : int, default BALANCE_MIN_INSTANCES
        Points seen before a change can be declared.

    Returns
    -------
    ChangeSignal
        ``method="page_hinkley"``; never fired for a series whose balances are all zero.
    """
    values = [_finite(b, "balance") for b in balances]
    scale = statistics.median(abs(v) for v in values) if values else 0.0
    return _page_hinkley_fall(
        values, scale=scale, delta=delta, threshold=threshold, min_instances=min_instances
    )


def balance_drop_threshold(
    balances: Sequence[float], *, baseline_periods: int = 3, drop: float = 0.5
) -> ChangeSignal:
    """Fire when the latest balance is below `drop` times the mean of the periods before.

    Parameters
    ----------
    balances : sequence of float
        Balances, oldest first.
    baseline_periods : int, default 3
        Number of periods before the latest one that make the baseline; fewer never fire.
    drop : float, default 0.5
        Fraction of the baseline below which the latest balance fires.

    Returns
    -------
    ChangeSignal
        ``method="threshold"``; a baseline at or below zero (an overdrawn account) has no
        meaningful fraction and never fires.
    """
    return _threshold_fall(
        [_finite(b, "balance") for b in balances], baseline_periods=baseline_periods, drop=drop
    )


def engagement_decline(
    counts_per_period: Sequence[int],
    *,
    baseline_periods: int = 3,
    ratio: float = 0.5,
    min_baseline: float = 2.0,
) -> EngagementSignal:
    """Compare the latest period's engagement count with the mean of the periods before it.

    Parameters
    ----------
    counts_per_period : sequence of int
        Engagement counts (logins, app sessions...) per period, oldest first.
    baseline_periods : int, default 3
        Periods before the latest one whose mean is the baseline; with fewer there is no ratio.
    ratio : float, default 0.5
        A latest count below ``ratio * baseline`` is a decline.
    min_baseline : float, default 2.0
        Below this baseline an account engages too little for a fall to mean anything, and no
        decline is declared.

    Returns
    -------
    EngagementSignal
        The ratio, whether it declined and the numbers it was computed from.

    Raises
    ------
    ValueError
        If a count is negative or `baseline_periods` is below 1.
    """
    if baseline_periods < 1:
        raise ValueError("baseline_periods must be at least 1")
    if any(c < 0 for c in counts_per_period):
        raise ValueError("engagement counts must be >= 0")
    if not counts_per_period:
        return EngagementSignal(ratio=None, declined=False, baseline=None, recent=0)
    recent = int(counts_per_period[-1])
    if len(counts_per_period) <= baseline_periods:
        return EngagementSignal(ratio=None, declined=False, baseline=None, recent=recent)
    window = counts_per_period[-1 - baseline_periods : -1]
    baseline = sum(window) / baseline_periods
    if baseline == 0:
        return EngagementSignal(ratio=None, declined=False, baseline=0.0, recent=recent)
    observed = recent / baseline
    declined = baseline >= min_baseline and observed < ratio
    return EngagementSignal(
        ratio=observed, declined=declined, baseline=float(baseline), recent=recent
    )


def bureau_delinquency(
    update_dates: Sequence[datetime], as_of: datetime, window_days: int = BUREAU_WINDOW_DAYS
) -> bool:
    """Whether a bureau reported a new delinquency elsewhere in the window ending at `as_of`.

    Parameters
    ----------
    update_dates : sequence of datetime
        Times of bureau updates reporting a new delinquency.
    as_of : datetime
        End of the window (inclusive); updates after it are ignored.
    window_days : int, default BUREAU_WINDOW_DAYS
        Length of the window in days (its start is inclusive too).

    Returns
    -------
    bool
        True when at least one update falls in ``[as_of - window_days, as_of]``.
    """
    start = as_of - timedelta(days=window_days)
    return any(start <= when <= as_of for when in update_dates)


def compute_signals(
    cycles: Sequence[Cycle],
    *,
    engagement_counts: Sequence[int],
    interactions: Sequence[tuple[datetime, float, int]],
    bureau_updates: Sequence[datetime],
    balances: Sequence[float] | None = None,
    as_of: datetime,
) -> dict[str, Any]:
    """Assemble the signals an account's history yields, under the names rules are written over.

    Parameters
    ----------
    cycles : sequence of Cycle
        The account's statement cycles, oldest first; pass the whole history, as
        ``months_on_book`` counts from the first one.
    engagement_counts : sequence of int
        Engagement counts per period, oldest first.
    interactions : sequence of (datetime, float, int)
        Each support interaction's time, compound sentiment and count of credit-distress terms
        (see :func:`risk_models.early_warning.sentiment.score_interaction`).
    bureau_updates : sequence of datetime
        Times of bureau updates reporting a new delinquency elsewhere.
    balances : sequence of float, optional
        Deposit-style balance snapshots, oldest first. Without them ``balance_drop`` is False:
        a loan's own statement balance falling is repayment, not distress.
    as_of : datetime
        Timezone-aware time the signals are computed at.

    Returns
    -------
    dict
        Keys :data:`SIGNAL_NAMES`; values are bool, int, float, str or None (``payment_ratio``
        when the latest cycle had nothing due, ``utilisation`` for an instalment loan,
        ``engagement_ratio`` without a baseline), all JSON-safe.

    Raises
    ------
    ValueError
        If `as_of` is naive, or a figure is not finite.
    """
    if as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    latest = cycles[-1] if cycles else None
    days_past_due = int(latest.days_past_due) if latest else 0
    ratios = payment_ratios(cycles)
    engagement = engagement_decline(engagement_counts)
    sentiment, distress_terms = _recent_interactions(interactions, as_of)
    return {
        "days_past_due": days_past_due,
        "dpd_bucket": dpd_bucket(days_past_due),
        "payment_ratio": _latest_payment_ratio(latest),
        "payment_ratio_drop": payment_ratio_drop(ratios).fired,
        "payment_ratio_drop_threshold": payment_ratio_drop_threshold(ratios).fired,
        "balance_drop": balance_drop(balances).fired if balances is not None else False,
        "utilisation": _utilisation(latest),
        "engagement_ratio": engagement.ratio,
        "engagement_decline": engagement.declined,
        "sentiment": sentiment,
        "distress_terms": distress_terms,
        "bureau_delinquency": bureau_delinquency(bureau_updates, as_of),
        "months_on_book": _months_on_book(cycles[0].period, as_of) if cycles else 0,
    }


def _page_hinkley_fall(
    values: list[float], *, scale: float, delta: float, threshold: float, min_instances: int
) -> ChangeSignal:
    latest = values[-1] if values else None
    if scale <= 0:
        return ChangeSignal(False, None, None, latest, "page_hinkley")
    falls = PageHinkley(min_instances=min_instances, delta=delta, threshold=threshold, mode="down")
    fall_at: int | None = None
    baseline = fallen_to = 0.0
    window_start = 0  # first point of the detector's current window (it resets after a fall)
    for index, value in enumerate(values):
        falls.update(value / scale)
        if falls.drift_detected:
            before = values[window_start:index] or [value]
            fall_at, baseline, fallen_to = index, sum(before) / len(before), value
            window_start = index + 1
    if fall_at is None or latest is None or latest >= (baseline + fallen_to) / 2:
        return ChangeSignal(False, None, None, latest, "page_hinkley")
    return ChangeSignal(True, fall_at, baseline, latest, "page_hinkley")


def _threshold_fall(values: list[float], *, baseline_periods: int, drop: float) -> ChangeSignal:
    if baseline_periods < 1:
        raise ValueError("baseline_periods must be at least 1")
    latest = values[-1] if values else None
    if latest is None or len(values) <= baseline_periods:
        return ChangeSignal(False, None, None, latest, "threshold")
    baseline = sum(values[-1 - baseline_periods : -1]) / baseline_periods
    fired = baseline > 0 and latest < drop * baseline
    return ChangeSignal(fired, len(values) - 1 if fired else None, baseline, latest, "threshold")


def _latest_payment_ratio(latest: Cycle | None) -> float | None:
    if latest is None:
        return None
    ratios = payment_ratios([latest])
    return ratios[0] if ratios else None


def _utilisation(latest: Cycle | None) -> float | None:
    if latest is None or latest.limit is None or latest.limit <= 0:
        return None
    # A credit balance uses none of the limit; over-limit balances are kept above 1.
    return max(_finite(latest.balance, "balance"), 0.0) / latest.limit


def _recent_interactions(
    interactions: Sequence[tuple[datetime, float, int]], as_of: datetime
) -> tuple[float, int]:
    start = as_of - timedelta(days=INTERACTION_WINDOW_DAYS)
    lowest: float | None = None
    terms = 0
    for when, compound, distress_terms in interactions:
        if not start <= when <= as_of:
            continue
        score = _finite(compound, "compound")
        lowest = score if lowest is None else min(lowest, score)
        terms += int(distress_terms)
    return (lowest if lowest is not None else 0.0), terms


def _months_on_book(first_period: str, as_of: datetime) -> int:
    year, _, month = first_period.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        raise ValueError(f"period must be YYYY-MM, got {first_period!r}")
    return max((as_of.year - int(year)) * 12 + as_of.month - int(month), 0)


def _finite(value: float, name: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number
