import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from risk_models.derived import DERIVED
from risk_models.features import (
    UnsupportedCurrencyError,
    checking_account_status,
    derive_characteristics,
    employment_band,
    installment_rate_band,
    other_debtors,
    residence_years,
    savings_account_band,
)
from risk_models.policy import CurrencyRule, Policy
from tests.risk_models.conftest import AS_OF, make_application

CENT = Decimal("0.01")


def derive(policy, **changes):
    return derive_characteristics(make_application(**changes), as_of=AS_OF, policy=policy)


@pytest.mark.parametrize(
    ("balance", "salary_since", "expected"),
    [
        ("no_account", None, "no checking account"),
        (Decimal("-0.01"), None, "< 0 DM"),
        (Decimal("0"), None, "0 <= ... < 200 DM"),
        (Decimal("99.99"), None, "0 <= ... < 200 DM"),
        (Decimal("100"), None, ">= 200 DM or salary assigned >= 1 year"),
        (Decimal("-50"), date(2024, 6, 30), ">= 200 DM or salary assigned >= 1 year"),
        (Decimal("-50"), date(2024, 7, 1), "< 0 DM"),
        (None, None, None),
    ],
)
def test_checking_account_bands_use_the_currencys_own_threshold(
    default_policy, balance, salary_since, expected
):
    assert default_policy.currencies["EUR"].checking_threshold == Decimal("100")
    assert checking_account_status(balance, salary_since, "EUR", AS_OF, default_policy) == expected


@pytest.mark.parametrize(
    ("balance", "expected"),
    [
        (None, "unknown / no savings account"),
        ("no_account", "unknown / no savings account"),
        (Decimal("0"), "< 100 DM"),
        (Decimal("49.99"), "< 100 DM"),
        (Decimal("50"), "100 <= ... < 500 DM"),
        (Decimal("249.99"), "100 <= ... < 500 DM"),
        (Decimal("250"), "500 <= ... < 1000 DM"),
        (Decimal("499.99"), "500 <= ... < 1000 DM"),
        (Decimal("500"), ">= 1000 DM"),
    ],
)
def test_savings_bands_use_the_currencys_own_thresholds(default_policy, balance, expected):
    assert default_policy.currencies["EUR"].savings_thresholds == (50, 250, 500)
    assert savings_account_band(balance, "EUR", default_policy) == expected


def _with_currency(policy, code, rule):
    return dataclasses.replace(policy, currencies={**policy.currencies, code: rule})


def test_balances_are_classified_against_the_rules_thresholds_not_the_exchange_rate(
    default_policy,
):
    rule = CurrencyRule(
        to_model_unit=Decimal("1.95583"),
        min_amount=Decimal(1),
        max_amount=Decimal(100000),
        checking_threshold=Decimal("120"),
        savings_thresholds=(Decimal("60"), Decimal("300"), Decimal("600")),
    )
    policy = _with_currency(default_policy, "XEU", rule)
    assert checking_account_status(Decimal("110"), None, "XEU", AS_OF, policy) == (
        "0 <= ... < 200 DM"
    )
    assert savings_account_band(Decimal("599.99"), "XEU", policy) == "500 <= ... < 1000 DM"


@pytest.mark.parametrize(
    ("rate", "checking", "savings"),
    [
        ("1.95583", "100", ("50", "250", "500")),  # EUR
        ("1", "200", ("100", "500", "1000")),  # the model's own unit
        ("1.1", "200", ("100", "500", "1000")),
        ("0.0125", "20000", ("10000", "50000", "100000")),
    ],
)
def test_thresholds_left_out_are_the_round_equivalents_of_the_dm_bands(rate, checking, savings):
    rule = CurrencyRule(Decimal(rate), Decimal(1), Decimal(2))
    assert rule.checking_threshold == Decimal(checking)
    assert rule.savings_thresholds == tuple(Decimal(s) for s in savings)


def test_a_policy_stored_before_the_thresholds_reads_with_derived_ones(default_policy):
    stored = default_policy.to_dict()
    for rule in stored["currencies"].values():
        del rule["checking_threshold"], rule["savings_thresholds"]
    read = Policy.from_dict(stored)
    assert read.currencies["EUR"] == default_policy.currencies["EUR"]
    assert Policy.from_json(read.to_json()) == read


def test_thresholds_round_trip_through_the_policy_json(default_policy):
    rule = dataclasses.replace(
        default_policy.currencies["EUR"], checking_threshold=Decimal("150")
    )
    policy = _with_currency(default_policy, "EUR", rule)
    assert Policy.from_json(policy.to_json()).currencies["EUR"].checking_threshold == 150


@pytest.mark.parametrize(
    ("checking", "savings"),
    [("0", ("50", "250", "500")), ("100", ("50", "500", "250")), ("100", ("50", "250"))],
)
def test_thresholds_must_be_positive_and_rising(checking, savings):
    with pytest.raises(ValueError, match="threshold"):
        CurrencyRule(
            Decimal("1.95583"),
            Decimal(1),
            Decimal(2),
            checking_threshold=Decimal(checking),
            savings_thresholds=tuple(Decimal(s) for s in savings),
        )


@pytest.mark.parametrize(
    ("status", "start", "expected"),
    [
        ("unemployed", date(2010, 1, 1), "unemployed"),
        ("retired", None, None),
        ("retired", date(2010, 1, 1), None),
        ("student", None, None),
        ("employed", date(2024, 7, 1), "< 1 year"),
        ("employed", date(2024, 6, 30), "1 <= ... < 4 years"),
        ("self_employed", date(2021, 7, 1), "1 <= ... < 4 years"),
        ("employed", date(2021, 6, 30), "4 <= ... < 7 years"),
        ("employed", date(2018, 7, 1), "4 <= ... < 7 years"),
        ("employed", date(2018, 6, 30), ">= 7 years"),
        ("employed", None, None),
    ],
)
def test_employment_length_bands(status, start, expected):
    assert employment_band(status, start, AS_OF) == expected


@pytest.mark.parametrize(
    ("ratio", "band"),
    [
        ("0.1999", 1),
        ("0.20", 2),
        ("0.2499", 2),
        ("0.25", 3),
        ("0.3499", 3),
        ("0.35", 4),
        ("Infinity", 4),
    ],
)
def test_installment_rate_bands(ratio, band):
    assert installment_rate_band(Decimal(ratio)) == band


@pytest.mark.parametrize(
    ("since", "years"),
    [
        (date(2025, 1, 1), 1),
        (date(2023, 6, 30), 2),
        (date(2022, 6, 30), 3),
        (date(2021, 6, 30), 4),
        (date(1990, 1, 1), 4),
    ],
)
def test_residence_years_are_completed_years_clamped_to_one_to_four(since, years):
    assert residence_years(since, AS_OF) == years


@pytest.mark.parametrize(
    ("co_applicant", "guarantor", "expected"),
    [
        (None, None, "none"),
        ({"name": "A"}, None, "co-applicant"),
        (None, {"name": "B"}, "guarantor"),
        ({"name": "A"}, {"name": "B"}, "guarantor"),
    ],
)
def test_other_debtors(co_applicant, guarantor, expected):
    assert other_debtors(co_applicant, guarantor) == expected


def test_installment_uses_annuity_at_reference_apr_over_disposable_income(default_policy):
    derivation = derive(
        default_policy,
        loan__amount=Decimal("12000"),
        loan__term_months=12,
        kyc__monthly_income=Decimal("3000"),
        kyc__monthly_obligations=Decimal("400"),
    )
    figures = derivation.affordability
    # 12000 * 0.00825 / (1 - 1.00825 ** -12) = 1054.4326...; 1054.43 / 2600 = 0.4056 -> band 4.
    assert figures.monthly_installment == Decimal("1054.43")
    assert figures.disposable_income == Decimal("2600")
    assert derivation.characteristics["installment_rate_pct_income"] == 4
    assert figures.debt_to_income == (Decimal("400") + Decimal("1054.43")) / Decimal("3000")


def test_missing_income_leaves_installment_rate_missing(default_policy):
    derivation = derive(default_policy, kyc__monthly_income=None)
    assert derivation.characteristics["installment_rate_pct_income"] is None


def test_amount_is_converted_to_deutsche_mark(default_policy):
    derivation = derive(default_policy, loan__amount=Decimal("1000"))
    assert derivation.characteristics["credit_amount"] == pytest.approx(1955.83)


def test_existing_credits_count_the_new_loan_and_cap_at_four(default_policy):
    assert derive(default_policy).characteristics["existing_credits_at_bank"] == 1
    counted = derive(default_policy, crm__existing_credits_at_bank=7)
    assert counted.characteristics["existing_credits_at_bank"] == 4


def test_dependents_are_one_or_two(default_policy):
    assert derive(default_policy, kyc__dependents=0).characteristics["dependents"] == 1
    assert derive(default_policy, kyc__dependents=3).characteristics["dependents"] == 2


@pytest.mark.parametrize(
    ("path", "value", "characteristic", "label"),
    [
        ("loan__purpose", "radio_television", "purpose", "radio/television"),
        ("loan__purpose", "other", "purpose", "others"),
        (
            "bureau__credit_history",
            "critical_account",
            "credit_history",
            "critical account / other credits existing elsewhere",
        ),
        ("kyc__property", "none", "property", "unknown / no property"),
        ("kyc__housing", "for_free", "housing", "for free"),
        ("bureau__other_installment_plans", "stores", "other_installment_plans", "stores"),
        ("kyc__telephone_registered", False, "telephone", "none"),
        (
            "kyc__employment__job_category",
            "highly_qualified",
            "job",
            "management / self-employed / highly qualified",
        ),
        ("kyc__employment__status", "unemployed", "job", "unemployed / unskilled - non-resident"),
        ("kyc__employment__status", "retired", "job", None),
        ("kyc__employment__status", "student", "job", None),
        ("kyc__employment__job_category", "unskilled_resident", "job", "unskilled - resident"),
    ],
)
def test_enumerations_map_to_the_data_labels(default_policy, path, value, characteristic, label):
    assert derive(default_policy, **{path: value}).characteristics[characteristic] == label


def test_every_label_produced_is_a_category_of_the_training_data(default_policy, german_frame):
    characteristics = derive(default_policy).characteristics
    for name, value in characteristics.items():
        if isinstance(value, str):
            assert value in set(german_frame[name]), name


def test_characteristics_are_exactly_the_data_columns_less_protected_and_target(
    default_policy, german_frame
):
    expected = set(german_frame.columns) - {
        "outcome",
        "personal_status_sex",
        "age_years",
        "foreign_worker",
    }
    assert set(derive(default_policy).characteristics) == expected | set(DERIVED)


def test_protected_fields_do_not_change_characteristics(default_policy):
    base = derive(default_policy).characteristics
    changed = derive(
        default_policy,
        monitoring__sex="male",
        monitoring__nationality="TR",
        kyc__date_of_birth=date(1950, 1, 1),
    ).characteristics
    assert changed == base


def test_every_characteristic_names_its_source_fields(default_policy):
    derivation = derive(default_policy)
    assert set(derivation.sources) == set(derivation.characteristics)
    assert all(
        not s.startswith(("monitoring", "kyc.date_of_birth"))
        for fields in derivation.sources.values()
        for s in fields
    )


def test_unsupported_currency_is_refused(default_policy):
    with pytest.raises(UnsupportedCurrencyError):
        derive(default_policy, loan__currency="XAU")


def test_unknown_enumeration_value_is_refused(default_policy):
    with pytest.raises(ValueError, match="loan.purpose"):
        derive(default_policy, loan__purpose="yacht")


def test_income_source_is_not_read(default_policy):
    base = derive(default_policy).characteristics
    for source in ("pension", "public_assistance", "employment"):
        assert derive(default_policy, kyc__income_source=source).characteristics == base
