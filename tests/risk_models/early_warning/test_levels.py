import pytest

from risk_models.early_warning.levels import (
    LEVELS,
    LevelAssessment,
    LevelPolicy,
    assess_level,
    level_rank,
)
from risk_models.early_warning.signals import dpd_bucket

POLICY = LevelPolicy(medium_pd=0.25, high_pd=0.5)


def test_levels_rank_low_medium_high():
    assert LEVELS == ("low", "medium", "high")
    assert [level_rank(level) for level in LEVELS] == [0, 1, 2]


def test_an_unknown_level_has_no_rank():
    with pytest.raises(ValueError, match="unknown risk level"):
        level_rank("severe")


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
     (90, "61-90"), (91, "90+")],
)
def test_dpd_bucket_edges(days, bucket):
    assert dpd_bucket(days) == bucket


@pytest.mark.parametrize(("medium", "high"), [(0.5, 0.5), (0.6, 0.5), (0.0, 0.5), (0.2, 1.0)])
def test_level_policy_refuses_cut_offs_out_of_order_or_range(medium, high):
    with pytest.raises(ValueError):
        LevelPolicy(medium, high)


@pytest.mark.parametrize(
    ("pd", "level", "driver"),
    [
        (0.52, "high", "behavioural PD 0.52 ≥ 0.50"),
        (0.5, "high", "behavioural PD 0.50 ≥ 0.50"),
        (0.31, "medium", "behavioural PD 0.31 ≥ 0.25"),
        (0.1, "low", "behavioural PD 0.10 < 0.25"),
    ],
)
def test_pd_against_the_cut_offs_sets_the_level(pd, level, driver):
    assert assess_level({"behavioural_pd": pd}, POLICY) == LevelAssessment(level, (driver,))


def test_a_pd_just_below_a_cut_off_is_not_printed_as_equal_to_it():
    assert assess_level({"behavioural_pd": 0.4999}, POLICY).drivers == (
        "behavioural PD 0.4999 ≥ 0.2500",
    )


def test_the_cut_offs_come_from_the_policy():
    assert assess_level({"behavioural_pd": 0.31}, LevelPolicy(0.1, 0.3)).level == "high"


@pytest.mark.parametrize("days", [60, 75, 120])
def test_sixty_or_more_days_past_due_is_high_whatever_the_pd(days):
    assessment = assess_level({"days_past_due": days, "behavioural_pd": 0.01}, POLICY)
    assert assessment.level == "high"
    assert assessment.drivers == (f"days past due {dpd_bucket(days)} ({days} days)",)


def test_driver_names_the_bucket():
    assert assess_level({"days_past_due": 75}, POLICY).drivers == (
        "days past due 61-90 (75 days)",
    )


@pytest.mark.parametrize("days", [1, 30, 59])
def test_one_to_fifty_nine_days_past_due_is_at_least_medium(days):
    assert assess_level({"days_past_due": days, "behavioural_pd": 0.01}, POLICY).level == "medium"


def test_days_past_due_does_not_lower_a_high_pd():
    assessment = assess_level({"days_past_due": 10, "behavioural_pd": 0.7}, POLICY)
    assert assessment == LevelAssessment("high", ("behavioural PD 0.70 ≥ 0.50",))


def test_a_bureau_delinquency_is_at_least_medium():
    assessment = assess_level({"bureau_delinquency": True, "behavioural_pd": 0.05}, POLICY)
    assert assessment == LevelAssessment("medium", ("new delinquency reported at another lender",))


def test_two_warning_signs_are_at_least_medium_and_both_are_named():
    signals = {"payment_ratio_drop": True, "engagement_decline": True, "behavioural_pd": 0.05}
    assert assess_level(signals, POLICY) == LevelAssessment(
        "medium",
        ("payment ratio fell (Page-Hinkley)", "engagement declined against its own baseline"),
    )


def test_one_warning_sign_alone_leaves_the_level():
    assert assess_level({"balance_drop": True, "behavioural_pd": 0.05}, POLICY).level == "low"


def test_negative_sentiment_and_distress_terms_count_as_one_sign():
    signals = {"sentiment": -0.9, "distress_terms": 4, "behavioural_pd": 0.05}
    assert assess_level(signals, POLICY).level == "low"


def test_sentiment_with_another_sign_is_medium():
    signals = {"sentiment": -0.6, "balance_drop": True}
    assert assess_level(signals, POLICY) == LevelAssessment(
        "medium", ("balance dropped", "interaction sentiment -0.60 ≤ -0.50"),
    )


def test_sentiment_never_makes_an_account_high():
    signals = {
        "sentiment": -1.0, "distress_terms": 12, "payment_ratio_drop": True, "balance_drop": True,
        "engagement_decline": True, "behavioural_pd": 0.3,
    }
    assert assess_level(signals, POLICY).level == "medium"


def test_sentiment_above_the_threshold_is_no_sign():
    signals = {"sentiment": -0.49, "distress_terms": 0, "balance_drop": True}
    assert assess_level(signals, POLICY).level == "low"


def test_without_a_pd_the_floors_set_the_level():
    assert assess_level({"behavioural_pd": None, "days_past_due": 45}, POLICY).level == "medium"


def test_without_a_pd_or_a_floor_the_account_is_low_with_no_driver():
    assert assess_level({"behavioural_pd": None, "days_past_due": 0}, POLICY) == LevelAssessment(
        "low", ()
    )


def test_every_driver_of_the_level_reached_is_named():
    signals = {"days_past_due": 12, "behavioural_pd": 0.3, "bureau_delinquency": True}
    assert assess_level(signals, POLICY).drivers == (
        "days past due 1-30 (12 days)",
        "behavioural PD 0.30 ≥ 0.25",
        "new delinquency reported at another lender",
    )
