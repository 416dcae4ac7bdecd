"""Principal reasons for a limit reduction: chosen from lawful signals only, most important
first, at most four, and none at all refused."""

from __future__ import annotations

import pytest

from risk_models.early_warning.levels import LevelPolicy, assess_level
from risk_models.early_warning.reasons import (
    ACCOUNT_REASONS,
    HIGH_UTILISATION,
    checked_reasons,
    reasons_for_signals,
)
from risk_models.reasons import MAX_PRINCIPAL_REASONS

# Everything that fires, as signals and as the level's drivers word them.
ALL_FIRED = {"payment_ratio_drop": True, "payment_ratio_drop_threshold": True,
             "bureau_delinquency": True, "balance_drop": True, "utilisation": 0.97,
             "behavioural_pd": 0.8, "days_past_due": 0}
NOT_REASONS = {"sentiment": -0.95, "distress_terms": 4, "engagement_ratio": 0.1,
               "engagement_decline": True}
PROTECTED = {"sex": "female", "marriage": "married", "age": 67, "education": "university",
             "SEX": 2, "MARRIAGE": 1, "AGE": 67, "EDUCATION": 3}


def _codes(reasons):
    return [r["code"] for r in reasons]


def test_sentiment_and_engagement_alone_give_no_lawful_reason():
    with pytest.raises(ValueError, match="no lawful principal reason"):
        reasons_for_signals(NOT_REASONS, [])


def test_drivers_naming_sentiment_or_engagement_give_no_reason():
    level = assess_level({**NOT_REASONS, "balance_drop": False}, LevelPolicy())
    drivers = [*level.drivers, "engagement declined against its own baseline",
               "interaction sentiment -0.95 ≤ -0.50; 4 credit-distress term(s) in recent "
               "interactions"]
    with pytest.raises(ValueError, match="no lawful principal reason"):
        reasons_for_signals(NOT_REASONS, drivers)


def test_protected_attributes_never_yield_or_change_a_reason():
    with pytest.raises(ValueError):
        reasons_for_signals(PROTECTED, [])
    plain = reasons_for_signals({"payment_ratio_drop": True}, [])
    assert reasons_for_signals({"payment_ratio_drop": True, **PROTECTED, **NOT_REASONS},
                               []) == plain


def test_a_payment_ratio_fall_is_a_reason():
    assert _codes(reasons_for_signals({"payment_ratio_drop_threshold": True}, [])) == [
        "EW-PAYMENTS-SHORT"]


def test_a_bureau_delinquency_is_flagged_as_bureau_sourced():
    (reason,) = reasons_for_signals({"bureau_delinquency": True}, [])
    assert reason["code"] == "EW-BUREAU-DELINQUENCY" and reason["bureau"] is True


def test_only_the_bureau_reason_is_bureau_sourced():
    assert [c for c, r in ACCOUNT_REASONS.items() if r.bureau] == ["EW-BUREAU-DELINQUENCY"]


def test_utilisation_is_a_reason_from_its_threshold_up():
    assert reasons_for_signals({"utilisation": HIGH_UTILISATION}, [])[0]["code"] == (
        "EW-UTILISATION")
    with pytest.raises(ValueError):
        reasons_for_signals({"utilisation": HIGH_UTILISATION - 0.01}, [])


def test_the_behavioural_score_is_a_reason_only_when_it_set_the_level():
    high = assess_level({"behavioural_pd": 0.7}, LevelPolicy())
    assert _codes(reasons_for_signals({"behavioural_pd": 0.7}, high.drivers)) == [
        "EW-PAYMENT-HISTORY"]
    low = assess_level({"behavioural_pd": 0.1}, LevelPolicy())
    with pytest.raises(ValueError):
        reasons_for_signals({"behavioural_pd": 0.1}, low.drivers)


def test_reasons_the_level_drivers_name_come_first_in_their_order():
    signals = {"bureau_delinquency": True, "payment_ratio_drop": True, "behavioural_pd": 0.3}
    drivers = assess_level(signals, LevelPolicy()).drivers  # PD, then the bureau delinquency
    assert _codes(reasons_for_signals(signals, drivers)) == [
        "EW-PAYMENT-HISTORY", "EW-BUREAU-DELINQUENCY", "EW-PAYMENTS-SHORT"]


def test_at_most_four_reasons_are_given():
    drivers = assess_level(ALL_FIRED, LevelPolicy()).drivers
    reasons = reasons_for_signals(ALL_FIRED, drivers)
    assert len(reasons) == MAX_PRINCIPAL_REASONS == 4
    assert len(set(_codes(reasons))) == 4


def test_each_statement_is_plain_words_without_codes_or_signal_names():
    for reason in ACCOUNT_REASONS.values():
        assert reason.statement[0].isupper() and "_" not in reason.statement


def test_checked_reasons_words_them_from_the_catalogue():
    assert checked_reasons([{"code": "EW-UTILISATION", "statement": "anything"}]) == [
        ACCOUNT_REASONS["EW-UTILISATION"].to_dict()]


@pytest.mark.parametrize("reasons", [
    [],
    [{"code": "EW-UTILISATION"}, {"code": "EW-UTILISATION"}],
    [{"code": "SENTIMENT"}],
    [{"code": c} for c in ACCOUNT_REASONS],
], ids=["none", "repeated", "unknown", "five"])
def test_checked_reasons_refuses_what_a_notice_cannot_state(reasons):
    with pytest.raises(ValueError):
        checked_reasons(reasons)
