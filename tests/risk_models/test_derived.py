"""Derived characteristics: one definition, equal values at training time and for live documents."""

import dataclasses
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from risk_models.default_model import (
    DEFAULT_PARAMS,
    DERIVED,
    EXCLUDED,
    PROTECTED,
    default_training_frame,
)
from risk_models.derived import add_derived_characteristics, derived_values
from risk_models.features import derive_characteristics
from risk_models.policy import CurrencyRule
from risk_models.terms import monthly_payment
from tests.risk_models.conftest import AS_OF, make_application

# A share of disposable income inside each installment-rate band (1: < 20 % ... 4: >= 35 %).
RATIO_IN_BAND = {1: Decimal("0.10"), 2: Decimal("0.22"), 3: Decimal("0.30"), 4: Decimal("0.50")}
OBLIGATIONS = Decimal("400")


@pytest.fixture(scope="module")
def model_unit_policy(default_policy):
    """The default policy with a currency worth exactly one model unit, so amounts carry over."""
    currencies = {**default_policy.currencies}
    currencies["DEM"] = CurrencyRule(
        to_model_unit=Decimal(1), min_amount=Decimal(1), max_amount=Decimal(100000)
    )
    return dataclasses.replace(default_policy, currencies=currencies)


def document_for(row, policy):
    """A live application with a German data row's amount, term and installment-rate band."""
    amount = Decimal(int(row.credit_amount))
    term = int(row.duration_months)
    installment = monthly_payment(amount, policy.reference_apr, term)
    income = installment / RATIO_IN_BAND[int(row.installment_rate_pct_income)] + OBLIGATIONS
    return make_application(
        loan__amount=amount,
        loan__currency="DEM",
        loan__term_months=term,
        kyc__monthly_income=income,
        kyc__monthly_obligations=OBLIGATIONS,
    )


def test_live_values_equal_training_values_for_the_same_inputs(model_unit_policy):
    frame, _ = default_training_frame()
    for row in frame.iloc[::25].itertuples(index=False):
        live = derive_characteristics(
            document_for(row, model_unit_policy), as_of=AS_OF, policy=model_unit_policy
        ).characteristics
        assert live["credit_amount"] == row.credit_amount
        assert live["installment_rate_pct_income"] == row.installment_rate_pct_income
        for name in DERIVED:
            assert live[name] == getattr(row, name), name


def test_definitions_and_the_input_frame_is_left_alone():
    frame = pd.DataFrame(
        {"credit_amount": [1200.0], "duration_months": [24], "installment_rate_pct_income": [4]}
    )
    derived = add_derived_characteristics(frame).iloc[0]
    assert derived["amount_per_month"] == 50.0
    assert derived["installment_income_capacity"] == 12.5
    assert derived["term_burden"] == 96.0
    assert list(frame.columns) == [
        "credit_amount",
        "duration_months",
        "installment_rate_pct_income",
    ]


def test_missing_rate_band_leaves_band_based_values_missing(default_policy):
    live = derive_characteristics(
        make_application(kyc__monthly_income=None), as_of=AS_OF, policy=default_policy
    ).characteristics
    assert live["amount_per_month"] == pytest.approx(2000 * 1.95583 / 24)
    assert live["installment_income_capacity"] is None
    assert live["term_burden"] is None


@pytest.mark.parametrize("term", [0, -3, None])
def test_unusable_term_is_missing(term):
    values = derived_values(
        {"credit_amount": 1000.0, "duration_months": term, "installment_rate_pct_income": 2}
    )
    assert values["amount_per_month"] is None
    assert values["installment_income_capacity"] is None
    assert values["term_burden"] is None


def test_derived_characteristics_read_no_protected_column():
    frame, _ = default_training_frame()
    changed = frame.assign(personal_status_sex="male : single", age_years=99, foreign_worker="no")
    pd.testing.assert_frame_equal(
        add_derived_characteristics(changed)[list(DERIVED)], frame[list(DERIVED)]
    )
    assert not set(DERIVED) & set(PROTECTED)


def test_default_model_uses_the_derived_characteristics_with_business_trends(training_result):
    assert set(DERIVED) <= set(training_result.features)
    assert not set(EXCLUDED) & set(training_result.features)
    trends = DEFAULT_PARAMS.monotonic_trends
    assert trends["amount_per_month"] == "ascending"
    assert trends["term_burden"] == "ascending"
    assert trends["installment_income_capacity"] == "descending"
    for name in DERIVED:
        woe = [
            row["woe"] for row in training_result.binning_tables[name] if row["kind"] == "regular"
        ]
        # Risk rising with the value means WoE falling across the bins, and vice versa.
        steps = np.diff(woe)
        if trends[name] == "ascending":
            assert np.all(steps <= 0), name
        else:
            assert np.all(steps >= 0), name
