"""The bundled default model: a scorecard trained on the German credit data, and its policy."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from importlib import resources
from pathlib import Path

import pandas as pd

from risk_models.derived import (
    AMOUNT_PER_MONTH,
    DERIVED,
    INCOME_CAPACITY,
    TERM_BURDEN,
    add_derived_characteristics,
)
from risk_models.policy import Policy, default_policy_for
from risk_models.training import ScorecardParams, TrainingResult, train_scorecard

__all__ = [
    "BAD_VALUE",
    "DEFAULT_PARAMS",
    "DERIVED",
    "EXCLUDED",
    "PROTECTED",
    "TARGET",
    "german_credit_path",
    "default_training_frame",
    "train_default_model",
]

TARGET = "outcome"
BAD_VALUE = "bad"
# Sex and marital status, age and national origin: never characteristics, kept for audits.
PROTECTED = ("personal_status_sex", "age_years", "foreign_worker")
# Information value about 0 (bad rate flat across their values): they add only noise to the
# scorecard. Live applications still derive them; the scorecard does not read them.
EXCLUDED = ("residence_since_years", "dependents")

# Chosen by 3 x stratified 5-fold CV (see docs/model-card.md): risk rises with the term, the
# installment burden, the repayment per month and the term burden, falls with the disposable
# income behind the installment; for the amount it is highest for the largest loans and also
# raised for very small ones.
DEFAULT_PARAMS = ScorecardParams(
    monotonic_trend="auto_asc_desc",
    monotonic_trends={
        "duration_months": "ascending",
        "installment_rate_pct_income": "ascending",
        "credit_amount": "valley",
        AMOUNT_PER_MONTH: "ascending",
        INCOME_CAPACITY: "descending",
        TERM_BURDEN: "ascending",
    },
    min_bin_size=0.05,
    categorical_min_prebin_size=0.03,
    regularisation_c=0.5,
)


def german_credit_path() -> Path:
    """Path of the bundled Statlog German Credit CSV."""
    return Path(str(resources.files("risk_models").joinpath("data/german_credit.csv")))


def default_training_frame() -> tuple[pd.DataFrame, str]:
    """The German credit data with the derived characteristics, and the CSV's SHA-256.

    Returns
    -------
    frame : pandas.DataFrame
        The bundled CSV's columns plus those of
        :func:`risk_models.derived.add_derived_characteristics`.
    data_sha256 : str
        SHA-256 of the CSV bytes (the derivation is code, versioned with the model).
    """
    raw = german_credit_path().read_bytes()
    frame = add_derived_characteristics(pd.read_csv(io.BytesIO(raw)))
    return frame, hashlib.sha256(raw).hexdigest()


def train_default_model(
    *, params: ScorecardParams = DEFAULT_PARAMS, trained_at: datetime | None = None
) -> tuple[TrainingResult, Policy]:
    """Train the bundled scorecard (protected columns excluded) and derive its default policy."""
    frame, data_sha256 = default_training_frame()
    result = train_scorecard(
        frame,
        target=TARGET,
        bad_value=BAD_VALUE,
        exclude=EXCLUDED,
        protected=PROTECTED,
        params=params,
        data_sha256=data_sha256,
        trained_at=trained_at,
    )
    return result, default_policy_for(result)
