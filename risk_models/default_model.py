"""The bundled default model: a scorecard trained on the German credit data, and its policy."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path

from risk_models.policy import Policy, default_policy_for
from risk_models.training import ScorecardParams, TrainingResult, train_from_csv

TARGET = "outcome"
BAD_VALUE = "bad"
# Sex and marital status, age and national origin: never characteristics, kept for audits.
PROTECTED = ("personal_status_sex", "age_years", "foreign_worker")

# Chosen by 3 x stratified 5-fold CV (see docs/model-card.md): risk rises with the term and the
# installment burden; it is highest for the largest loans and also raised for very small ones.
DEFAULT_PARAMS = ScorecardParams(
    monotonic_trend="auto_asc_desc",
    monotonic_trends={
        "duration_months": "ascending",
        "installment_rate_pct_income": "ascending",
        "credit_amount": "valley",
    },
    min_bin_size=0.05,
    categorical_min_prebin_size=0.03,
    regularisation_c=0.2,
)


def german_credit_path() -> Path:
    """Path of the bundled Statlog German Credit CSV."""
    return Path(str(resources.files("risk_models").joinpath("data/german_credit.csv")))


def train_default_model(
    *, params: ScorecardParams = DEFAULT_PARAMS, trained_at: datetime | None = None
) -> tuple[TrainingResult, Policy]:
    """Train the bundled scorecard (protected columns excluded) and derive its default policy."""
    result = train_from_csv(
        german_credit_path(),
        target=TARGET,
        bad_value=BAD_VALUE,
        protected=PROTECTED,
        params=params,
        trained_at=trained_at,
    )
    return result, default_policy_for(result)
