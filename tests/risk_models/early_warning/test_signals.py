"""Early-warning signals computed from one account's own history."""

from __future__ import annotations

import dataclasses
import inspect
import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from risk_models.early_warning.history import Cycle
from risk_models.early_warning.signals import (
    DPD_BUCKETS,
    SIGNAL_NAMES,
    balance_drop,
    balance_drop_threshold,
    bureau_delinquency,
    compute_signals,
    dpd_bucket,
    engagement_decline,
    payment_ratio_drop,
    payment_ratio_drop_threshold,
    payment_ratios,
)

AS_OF = datetime(2025, 6, 30, 12, tzinfo=UTC)
STEADY_NOISY_RATIOS = [1.0, 0.92, 1.05, 0.95, 1.0, 0.88, 1.02, 0.97, 0.9, 1.0, 0.93, 1.04]
STEADY_NOISY_BALANCES = [5000.0, 5600.0, 4700.0, 5300.0, 4800.0, 5500.0, 4900.0, 5200.0]
PROTECTED = {"sex", "marriage", "marital", "age", "birth", "national", "nationality", "origin",
             "education"}


def card_cycles(paid: list[float], *, due: float = 200.0, dpd_last: int = 0) -> list[Cycle]:
    return [
        Cycle(
            period=f"2025-{month:02d}",
            balance=450.0,
            paid=amount,
            days_past_due=dpd_last if month == len(paid) else 0,
            limit=1000.0,
            due=due,
        )
        for month, amount in enumerate(paid, start=1)
    ]


def signals_of(cycles: list[Cycle], **overrides) -> dict:
    arguments = {
        "engagement_counts": [],
        "interactions": [],
        "bureau_updates": [],
        "as_of": AS_OF,
    }
    return compute_signals(cycles, **{**arguments, **overrides})


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
     (90, "61-90"), (91, "90+"), (400, "90+")],
)
def test_dpd_bucket_boundaries(days, bucket):
    assert dpd_bucket(days) == bucket


def test_dpd_buckets_are_the_shared_names_in_order():
    assert DPD_BUCKETS == ("current", "1-30", "31-60", "61-90", "90+")


def test_negative_days_past_due_are_refused():
    with pytest.raises(ValueError):
        dpd_bucket(-1)


def test_payment_ratios_clip_and_skip_cycles_with_nothing_due():
    cycles = [
        Cycle("2025-01", 0.0, 50.0, 0, due=None),
        Cycle("2025-02", 0.0, 50.0, 0, due=0.0),
        Cycle("2025-03", 0.0, 50.0, 0, due=-20.0),
        Cycle("2025-04", 0.0, 500.0, 0, due=100.0),
        Cycle("2025-05", 0.0, -10.0, 0, due=100.0),
        Cycle("2025-06", 0.0, 25.0, 0, due=100.0),
    ]
    assert payment_ratios(cycles) == [1.5, 0.0, 0.25]


def test_page_hinkley_fires_on_a_clear_fall_of_payment_ratio():
    signal = payment_ratio_drop([1.0, 1.0, 1.0, 1.0, 1.0, 0.2])
    assert (signal.fired, signal.at_index, signal.baseline, signal.latest, signal.method) == (
        True, 5, 1.0, 0.2, "page_hinkley",
    )


def test_page_hinkley_stays_quiet_on_a_steady_noisy_payer():
    signal = payment_ratio_drop(STEADY_NOISY_RATIOS)
    assert not signal.fired
    assert signal.at_index is None


def steady_payers(count: int, seed: int) -> list[list[float]]:
    """Monthly payment ratios of payers who pay in full give or take 8 points, 12 cycles each."""
    rng = random.Random(seed)
    return [[min(max(rng.gauss(1.0, 0.08), 0.0), 1.5) for _ in range(12)] for _ in range(count)]


def test_page_hinkley_defaults_rarely_alarm_on_steady_payers():
    alarms = sum(payment_ratio_drop(ratios).fired for ratios in steady_payers(500, seed=7))
    assert alarms / 500 < 0.01


def test_page_hinkley_defaults_catch_a_fall_to_forty_percent_within_two_cycles():
    histories = [[*ratios[:6], 0.4, 0.4] for ratios in steady_payers(500, seed=11)]
    caught = sum(payment_ratio_drop(ratios).fired for ratios in histories)
    assert caught / 500 > 0.99


def test_page_hinkley_keeps_firing_while_the_fall_lasts():
    signal = payment_ratio_drop([1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2, 0.2])
    assert signal.fired
    assert signal.at_index == 5


def test_page_hinkley_stops_firing_once_payments_recover_most_of_the_way():
    assert not payment_ratio_drop([1.0, 1.0, 1.0, 1.0, 0.2, 0.2, 0.9]).fired


def test_page_hinkley_keeps_firing_on_a_partial_recovery():
    assert payment_ratio_drop([1.0, 1.0, 1.0, 1.0, 0.2, 0.2, 0.5]).fired


def test_page_hinkley_needs_two_cycles_to_declare_a_moderate_fall():
    ratios = [1.0, 1.0, 1.0, 1.0, 1.0, 0.6]
    assert not payment_ratio_drop(ratios).fired
    assert payment_ratio_drop([*ratios, 0.6]).at_index == 6


def test_page_hinkley_never_fires_before_min_instances():
    assert not payment_ratio_drop([1.0, 0.0]).fired


def test_overpaying_then_paying_in_full_is_not_a_fall():
    assert not payment_ratio_drop([1.5, 1.5, 1.0]).fired


def test_page_hinkley_on_an_empty_series_reports_nothing():
    signal = payment_ratio_drop([])
    assert (signal.fired, signal.latest) == (False, None)


def test_threshold_fires_below_half_the_baseline_mean():
    signal = payment_ratio_drop_threshold([0.2, 1.0, 1.0, 1.0, 0.49])
    assert (signal.fired, signal.at_index, signal.baseline, signal.latest, signal.method) == (
        True, 4, 1.0, 0.49, "threshold",
    )


def test_threshold_does_not_fire_at_exactly_half_the_baseline():
    signal = payment_ratio_drop_threshold([1.0, 1.0, 1.0, 0.5])
    assert not signal.fired
    assert signal.baseline == 1.0


def test_threshold_needs_a_full_baseline():
    signal = payment_ratio_drop_threshold([1.0, 1.0, 0.0])
    assert (signal.fired, signal.baseline) == (False, None)


def test_balance_drop_fires_on_a_sharp_fall_of_savings():
    signal = balance_drop([5000.0, 5200.0, 4900.0, 5100.0, 800.0])
    assert (signal.fired, signal.at_index, signal.latest) == (True, 4, 800.0)
    assert signal.baseline == pytest.approx(5050.0)


def test_balance_drop_stays_quiet_on_steady_noisy_savings():
    assert not balance_drop(STEADY_NOISY_BALANCES).fired


def test_balance_drop_does_not_depend_on_the_size_of_the_balance():
    small = balance_drop([50.0, 52.0, 49.0, 51.0, 8.0])
    large = balance_drop([500_000.0, 520_000.0, 490_000.0, 510_000.0, 80_000.0])
    assert (small.fired, small.at_index) == (large.fired, large.at_index) == (True, 4)


def test_balance_drop_ignores_an_all_zero_series():
    assert not balance_drop([0.0, 0.0, 0.0, 0.0]).fired


def test_balance_threshold_fires_on_a_sharp_fall():
    assert balance_drop_threshold([5000.0, 5200.0, 4900.0, 1000.0]).fired


def test_balance_threshold_never_fires_on_an_overdrawn_baseline():
    assert not balance_drop_threshold([-100.0, -200.0, -150.0, -900.0]).fired


def test_engagement_decline_against_own_baseline():
    signal = engagement_decline([10, 8, 12, 3])
    assert (signal.declined, signal.ratio, signal.baseline, signal.recent) == (
        True, 0.3, 10.0, 3,
    )


def test_engagement_decline_not_declared_on_a_thin_baseline():
    signal = engagement_decline([1, 2, 1, 0])
    assert not signal.declined
    assert signal.ratio == 0.0


def test_engagement_ratio_needs_the_full_baseline():
    signal = engagement_decline([10, 0])
    assert (signal.ratio, signal.declined, signal.baseline, signal.recent) == (None, False, None, 0)


def test_engagement_ratio_undefined_on_a_zero_baseline():
    signal = engagement_decline([0, 0, 0, 4])
    assert (signal.ratio, signal.declined, signal.baseline) == (None, False, 0.0)


def test_negative_engagement_counts_are_refused():
    with pytest.raises(ValueError):
        engagement_decline([3, -1, 2, 2])


@pytest.mark.parametrize(
    ("age_days", "expected"), [(0, True), (45, True), (90, True), (91, False), (-1, False)]
)
def test_bureau_delinquency_window(age_days, expected):
    assert bureau_delinquency([AS_OF - timedelta(days=age_days)], AS_OF) is expected


def test_compute_signals_names_are_the_shared_catalogue_and_json_safe():
    signals = signals_of(card_cycles([200.0] * 6))
    assert tuple(signals) == SIGNAL_NAMES
    json.dumps(signals, allow_nan=False)


def test_compute_signals_reads_a_deteriorating_card():
    cycles = card_cycles([200.0, 200.0, 200.0, 200.0, 200.0, 20.0], dpd_last=12)
    signals = signals_of(
        cycles,
        engagement_counts=[10, 9, 11, 2],
        interactions=[(AS_OF - timedelta(days=3), -0.54, 1), (AS_OF - timedelta(days=10), 0.3, 0)],
        bureau_updates=[AS_OF - timedelta(days=20)],
        balances=[5000.0, 5200.0, 4900.0, 5100.0, 800.0],
    )
    assert signals == {
        "days_past_due": 12,
        "dpd_bucket": "1-30",
        "payment_ratio": 0.1,
        "payment_ratio_drop": True,
        "payment_ratio_drop_threshold": True,
        "balance_drop": True,
        "utilisation": 0.45,
        "engagement_ratio": 0.2,
        "engagement_decline": True,
        "sentiment": -0.54,
        "distress_terms": 1,
        "bureau_delinquency": True,
        "months_on_book": 5,
    }


def test_interactions_older_than_30_days_or_after_as_of_are_ignored():
    signals = signals_of(
        card_cycles([200.0] * 3),
        interactions=[(AS_OF - timedelta(days=31), -0.9, 4), (AS_OF + timedelta(days=1), -0.9, 2)],
    )
    assert (signals["sentiment"], signals["distress_terms"]) == (0.0, 0)


def test_without_balance_snapshots_there_is_no_balance_drop():
    assert signals_of(card_cycles([200.0] * 6))["balance_drop"] is False


def test_instalment_loan_has_no_utilisation():
    cycles = [Cycle("2025-05", 9000.0, 300.0, 0, due=300.0)]
    assert signals_of(cycles)["utilisation"] is None


def test_latest_cycle_with_nothing_due_has_no_payment_ratio():
    cycles = [*card_cycles([200.0] * 3), Cycle("2025-04", 0.0, 0.0, 0, limit=1000.0, due=0.0)]
    assert signals_of(cycles)["payment_ratio"] is None


def test_an_account_without_cycles_is_current_and_new():
    signals = signals_of([])
    assert (signals["days_past_due"], signals["dpd_bucket"], signals["months_on_book"]) == (
        0, "current", 0,
    )


def test_naive_as_of_is_refused():
    with pytest.raises(ValueError):
        signals_of(card_cycles([200.0] * 3), as_of=datetime(2025, 6, 30))


def test_non_finite_payment_is_refused():
    with pytest.raises(ValueError):
        signals_of(card_cycles([200.0, float("nan")]))


def test_protected_attributes_never_reach_the_signals():
    names = [
        *SIGNAL_NAMES,
        *inspect.signature(compute_signals).parameters,
        *(field.name for field in dataclasses.fields(Cycle)),
    ]
    leaked = [name for name in names if PROTECTED & set(name.lower().split("_"))]
    assert leaked == []
