"""Shared fixtures: the bundled model is trained once per test session."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from risk_models.default_model import german_credit_path
from risk_models.scorer import CompiledScorer

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="session")
def default_model(default_training):
    """The bundled scorecard and its default policy (trained once per session, in
    tests/conftest.py, for these tests and the service's alike)."""
    return default_training


@pytest.fixture(scope="session")
def training_result(default_model):
    return default_model[0]


@pytest.fixture(scope="session")
def default_policy(default_model):
    return default_model[1]


@pytest.fixture(scope="session")
def scorer(training_result):
    return CompiledScorer(training_result.compiled)


@pytest.fixture(scope="session")
def german_frame() -> pd.DataFrame:
    return pd.read_csv(german_credit_path())


BASE_APPLICATION: dict[str, Any] = {
    "loan": {
        "amount": Decimal("2000"),
        "currency": "EUR",
        "term_months": 24,
        "purpose": "car_used",
    },
    "kyc": {
        "full_name": "Erika Mustermann",
        "date_of_birth": date(1985, 3, 14),
        "national_id": "X1234567",
        "address": {
            "line1": "1 Main Street",
            "line2": None,
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
        },
        "contact": {"email": None, "phone": None},
        "employment": {
            "status": "employed",
            "start_date": date(2015, 4, 1),
            "job_category": "skilled",
        },
        "monthly_income": Decimal("3000"),
        "monthly_obligations": Decimal("400"),
        "housing": "own",
        "residence_start_date": date(2019, 1, 1),
        "dependents": 1,
        "property": "real_estate",
        "telephone_registered": True,
        "sanctions_screening": {"status": "clear", "reference": None, "screened_at": None},
    },
    "bureau": {
        "credit_history": "existing_paid_duly",
        "other_installment_plans": "none",
        "delinquencies_24m": 0,
        "existing_credits_elsewhere": 0,
    },
    "crm": {
        "checking_balance": Decimal("1500"),
        "salary_assigned_since": date(2016, 1, 1),
        "savings_balance": Decimal("5000"),
        "existing_credits_at_bank": 0,
        "customer_since": None,
    },
    "co_applicant": None,
    "guarantor": None,
    "monitoring": {"sex": "female", "nationality": "DE"},
}


def make_application(**changes: Any) -> dict[str, Any]:
    """A copy of a sound application with dotted-path ``changes`` (``"loan__amount"``)."""
    document = copy.deepcopy(BASE_APPLICATION)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        target = document
        for part in parents:
            target = target[part]
        target[leaf] = value
    return document
