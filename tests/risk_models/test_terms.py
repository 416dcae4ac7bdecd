from decimal import Decimal

import pytest

from risk_models.terms import (
    affordable_principal,
    longer_terms,
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


def test_longer_terms_step_up_to_the_longest_lent():
    assert longer_terms(12, 36, 6) == [18, 24, 30, 36]
    assert longer_terms(12, 40, 6) == [18, 24, 30, 36, 40]


def test_no_longer_term_at_the_longest_lent():
    assert longer_terms(72, 72, 6) == []


def test_total_repayable_is_payment_times_term():
    assert quote(Decimal("1000"), "EUR", 3, Decimal("0")).total_repayable == Decimal("999.99")
