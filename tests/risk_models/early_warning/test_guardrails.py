from datetime import UTC, datetime, timedelta

import pytest

from risk_models.early_warning.guardrails import (
    CapCheck,
    ContactCap,
    contact_allowed,
    limit_reduction_is_adverse_action,
    snooze_active,
    uncovered,
)
from risk_models.early_warning.levels import LevelAssessment
from risk_models.early_warning.rules import ProposedAction

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
CAP = ContactCap()


def hours_ago(*hours: float) -> list[datetime]:
    return [NOW - timedelta(hours=h) for h in hours]


def test_default_cap_is_seven_calls_in_seven_days():
    assert (CAP.max_contacts, CAP.window_days, CAP.channels) == (7, 7, ("call",))
    assert CAP.applies_to("call") and not CAP.applies_to("email")


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"max_contacts": 0}, "max_contacts"), ({"window_days": 0}, "window_days"),
     ({"channels": ("fax",)}, "not a channel"), ({"channels": ()}, "channels")],
)
def test_an_unsound_cap_is_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        ContactCap(**fields)


def test_six_calls_in_the_window_allow_a_seventh():
    assert contact_allowed(hours_ago(1, 2, 3, 4, 5, 6), NOW, CAP) == CapCheck(True, 6, None)


def test_seven_calls_in_the_window_refuse_the_eighth():
    check = contact_allowed(hours_ago(1, 2, 3, 4, 5, 6, 100), NOW, CAP)
    assert (check.allowed, check.in_window) == (False, 7)


def test_a_refused_call_says_when_the_oldest_leaves_the_window():
    check = contact_allowed(hours_ago(1, 2, 3, 4, 5, 6, 100), NOW, CAP)
    assert check.next_allowed_at == NOW - timedelta(hours=100) + timedelta(days=7)
    assert contact_allowed(hours_ago(1, 2, 3, 4, 5, 6, 100), check.next_allowed_at, CAP).allowed


def test_with_more_calls_than_the_cap_the_wait_lasts_until_enough_have_left():
    check = contact_allowed(hours_ago(1, 2, 3, 4, 5, 6, 7, 8, 9), NOW, CAP)
    # Nine in the window: three must leave, the third oldest (7 h ago) last.
    assert check.next_allowed_at == NOW - timedelta(hours=7) + timedelta(days=7)


def test_a_call_exactly_one_window_ago_has_left_the_window():
    calls = hours_ago(1, 2, 3, 4, 5, 6, 7 * 24)
    assert contact_allowed(calls, NOW, CAP) == CapCheck(True, 6, None)


def test_a_call_just_inside_the_window_counts():
    calls = [*hours_ago(1, 2, 3, 4, 5, 6), NOW - timedelta(days=7) + timedelta(microseconds=1)]
    assert contact_allowed(calls, NOW, CAP).in_window == 7


def test_a_call_at_now_counts_and_later_ones_do_not():
    calls = [NOW, NOW + timedelta(minutes=1)]
    assert contact_allowed(calls, NOW, CAP).in_window == 1


def test_the_window_follows_the_cap():
    cap = ContactCap(max_contacts=1, window_days=1, channels=("call", "sms"))
    assert not contact_allowed(hours_ago(23), NOW, cap).allowed
    assert contact_allowed(hours_ago(25), NOW, cap).allowed


@pytest.mark.parametrize(("max_contacts", "window_days", "channels"), [
    (7, 7, ("email",)),  # calls uncapped
    (8, 7, ("call",)),
    (2, 1, ("call",)),  # 14 calls in a week
    (4, 3, ("call", "sms")),  # 12 in a week: three windows start in it
])
def test_no_cap_lets_calls_exceed_regulation_f(max_contacts, window_days, channels):
    with pytest.raises(ValueError, match="Regulation F"):
        ContactCap(max_contacts, window_days, channels)


@pytest.mark.parametrize(("max_contacts", "window_days"), [(7, 7), (1, 1), (2, 4), (7, 30)])
def test_a_cap_may_call_less_than_regulation_f(max_contacts, window_days):
    assert ContactCap(max_contacts, window_days, ("call", "email")).applies_to("call")


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        contact_allowed([datetime(2025, 6, 30)], NOW, CAP)


def test_no_snooze_is_never_active():
    assert not snooze_active(None, NOW)


def test_a_snooze_holds_until_its_end():
    assert snooze_active(NOW + timedelta(seconds=1), NOW)
    assert not snooze_active(NOW, NOW)


@pytest.mark.parametrize("days", [0, 1, 3, 29])
def test_limit_reduction_short_of_a_missed_cycle_is_an_adverse_action(days):
    assert limit_reduction_is_adverse_action(days)


@pytest.mark.parametrize("days", [30, 45, 90])
def test_limit_reduction_for_delinquency_on_the_account_is_not(days):
    assert not limit_reduction_is_adverse_action(days)


def test_negative_days_past_due_are_refused():
    with pytest.raises(ValueError):
        limit_reduction_is_adverse_action(-1)


HIGH = LevelAssessment("high", ("days past due 61-90 (70 days)",))
ALERT = ProposedAction("r", "raise_alert", {"severity": "warning"}, False, None)
BLOCKED = ProposedAction("r", "propose_restructuring", {}, True, "sentiment_alone")


@pytest.mark.parametrize("previous", ["low", "medium", None])
def test_rising_to_high_with_no_proposal_is_uncovered(previous):
    assert uncovered(HIGH, previous, [])


def test_rising_to_high_with_a_proposal_is_covered():
    assert not uncovered(HIGH, "medium", [ALERT])


def test_a_blocked_proposal_does_not_cover_a_rise():
    assert uncovered(HIGH, "medium", [BLOCKED])


def test_staying_high_is_not_a_rise():
    assert not uncovered(HIGH, "high", [])


def test_rising_one_level_below_high_is_not_an_escalation():
    assert not uncovered(LevelAssessment("medium", ()), "low", [])
