from decimal import Decimal

import pytest

from risk_models.terms import (
    affordable_principal,
    counteroffer,
    max_affordable_payment,
    monthly_payment,
    quote,
)


def test_monthly_payment_matches_hand_computed_annuity():
    # 10000 * 0.01 / (1 - 1.01 ** -12) = 888.4878867...
    assert monthly_payment(Decimal("10000"), Decimal("0.12"), 12) == Decimal("888.49")


def test_monthly_payment_rounds_half_up_to_the_cent():
    # 100.005 a month must round up, not to even.
    assert monthly_payment(Decimal("1200.06"), Decimal("0"), 12) == Decimal("100.01")


def test_zero_apr_payment_is_principal_over_term():
    assert monthly_payment(Decimal("1000"), Decimal("0"), 3) == Decimal("333.33")


def test_non_positive_term_is_refused():
    with pytest.raises(ValueError):
        monthly_payment(Decimal("1000"), Decimal("0.05"), 0)


def test_max_affordable_payment_is_cap_times_income_less_obligations():
    assert max_affordable_payment(Decimal("2000"), Decimal("300"), Decimal("0.40")) == Decimal(
        "500.00"
    )


def test_max_affordable_payment_is_never_negative():
    assert max_affordable_payment(Decimal("1000"), Decimal("900"), Decimal("0.40")) == 0


def test_affordable_principal_at_zero_apr_is_payment_times_term():
    assert affordable_principal(Decimal("500"), Decimal("0"), 12) == Decimal("6000.00")


def test_affordable_principal_inverts_the_annuity_rounding_down_to_the_cent():
    # 888.49 * (1 - 1.01 ** -12) / 0.01 = 888.49 * 11.2550774735 = 10000.0238...
    assert affordable_principal(Decimal("888.49"), Decimal("0.12"), 12) == Decimal("10000.02")


def test_affordable_principal_steps_down_when_payment_rounding_overshoots():
    # 100.004 a month at 0 % exactly fits 1200.05, whose payment 100.0042 rounds to 100.00.
    principal = affordable_principal(Decimal("100.00"), Decimal("0"), 12)
    assert monthly_payment(principal, Decimal("0"), 12) <= Decimal("100.00")


def test_no_counteroffer_for_an_affordable_request():
    assert (
        counteroffer(
            Decimal("6000"),
            "EUR",
            12,
            Decimal("0"),
            Decimal("500"),
            max_term_months=72,
            min_amount=Decimal("250"),
        )
        is None
    )


def test_counteroffer_extends_the_term_when_that_makes_the_amount_affordable():
    # 8000 / 12 = 666.67 > 500; 8000 / 18 = 444.44 fits.
    offer = counteroffer(
        Decimal("8000"),
        "EUR",
        12,
        Decimal("0"),
        Decimal("500"),
        max_term_months=72,
        min_amount=Decimal("250"),
    )
    assert (offer.amount, offer.term_months, offer.monthly_payment) == (
        Decimal("8000"),
        18,
        Decimal("444.44"),
    )


def test_counteroffer_lowers_the_amount_when_no_longer_term_is_allowed():
    offer = counteroffer(
        Decimal("8000"),
        "EUR",
        12,
        Decimal("0"),
        Decimal("500"),
        max_term_months=12,
        min_amount=Decimal("250"),
    )
    assert (offer.amount, offer.term_months) == (Decimal("6000"), 12)


def test_no_counteroffer_below_the_minimum_loan_size():
    assert (
        counteroffer(
            Decimal("8000"),
            "EUR",
            12,
            Decimal("0"),
            Decimal("500"),
            max_term_months=12,
            min_amount=Decimal("7000"),
        )
        is None
    )


def test_total_repayable_is_payment_times_term():
    assert quote(Decimal("1000"), "EUR", 3, Decimal("0")).total_repayable == Decimal("999.99")
