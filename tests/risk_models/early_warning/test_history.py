"""Folding events into an account's history: order-independent, and the inverse of the events a
history is replayed as."""

from __future__ import annotations

import random

from risk_models.early_warning.history import (
    Cycle,
    current_days_past_due,
    cycles_of,
    empty_history,
    events_from_cycles,
    fold,
)

CYCLES = [Cycle("2026-01", 900.0, 0.0, 0, 5000.0, None),
          Cycle("2026-02", 1000.0, 900.0, 0, 5000.0, 900.0),
          Cycle("2026-03", 1400.0, 100.0, 30, 5000.0, 1000.0),
          Cycle("2026-04", 1500.0, 0.0, 60, 5000.0, 1400.0)]


def test_replaying_the_events_of_cycles_gives_the_cycles_back():
    history = fold(empty_history(), events_from_cycles("A", CYCLES, id_prefix="t"))
    back = cycles_of(history, 5000.0)
    assert [(c.period, c.balance, c.paid, c.days_past_due) for c in back] == [
        (c.period, c.balance, c.paid, c.days_past_due) for c in CYCLES]
    assert [c.due for c in back[1:]] == [c.due for c in CYCLES[1:]]
    assert current_days_past_due(history) == 60


def test_folding_is_the_same_in_any_order_and_in_any_batches():
    events = events_from_cycles("A", CYCLES, id_prefix="t")
    expected = fold(empty_history(), events)
    shuffled = list(events)
    random.Random(5).shuffle(shuffled)
    history = empty_history()
    for start in range(0, len(shuffled), 2):
        history = fold(history, shuffled[start:start + 2])
    assert history == expected


def test_a_status_persists_until_the_servicer_reports_another():
    history = fold(empty_history(), [
        {"kind": "payment_missed", "occurred_at": "2026-01-25T00:00:00+00:00",
         "days_past_due": 15},
        {"kind": "payment_due", "occurred_at": "2026-02-20T00:00:00+00:00", "amount": "10.00"}])
    assert [c.days_past_due for c in cycles_of(history, None)] == [15, 15]
    history = fold(history, [{"kind": "payment_paid", "occurred_at": "2026-02-26T00:00:00+00:00",
                              "amount": "50.00", "days_past_due": 0}])
    assert current_days_past_due(history) == 0


def test_interactions_keep_only_their_scores_and_engagement_counts_them():
    history = fold(empty_history(), [
        {"kind": "support_interaction", "occurred_at": "2026-01-02T00:00:00+00:00",
         "compound": -0.6, "distress_terms": 2},
        {"kind": "engagement", "occurred_at": "2026-01-03T00:00:00+00:00",
         "activity": "sign_in"}])
    assert history["interactions"] == [["2026-01-02T00:00:00+00:00", -0.6, 2]]
    assert history["engagement"] == {"2026-01": 2}
