"""Request and response bodies of observed loan outcomes and back-tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from risk_models.document import Strict

# Rows one load may carry, through the API or a CSV file. An API request is also held to the
# service's body limit (RISKDESK_MAX_REQUEST_BYTES, 64 KiB by default: about 700 rows), so a
# servicer sending full batches raises that limit or loads the file with the command line.
MAX_OUTCOME_ROWS = 10_000


class OutcomeIn(Strict):
    """One observation of a loan: in default or not, on a date."""

    application_id: str = Field(min_length=1, max_length=32,
                                description="The application the loan was granted on.")
    defaulted: bool = Field(description="Whether the loan was in default on `observed_on` "
                                        "(JSON true or false).")
    observed_on: date = Field(description="The day of the observation, YYYY-MM-DD; not in the "
                                          "future and not before the application's approval.")

    @field_validator("defaulted", mode="before")
    @classmethod
    def _only_true_or_false(cls, value: Any) -> Any:
        # Lax parsing would read "no", "off" or 0 as false: a servicer's file mistake would
        # load as performing loans.
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    @field_validator("observed_on", mode="before")
    @classmethod
    def _only_iso_dates(cls, value: Any) -> Any:
        # Lax parsing would read a number as a Unix timestamp.
        if isinstance(value, date) or (isinstance(value, str) and len(value) == 10):
            return value
        raise ValueError("must be a date as YYYY-MM-DD")


class OutcomesCreate(Strict):
    """A batch of observations, loaded whole or refused whole."""

    outcomes: list[OutcomeIn] = Field(min_length=1, max_length=MAX_OUTCOME_ROWS,
                                      description=f"At most {MAX_OUTCOME_ROWS:,} observations.")


class OutcomeLoadPublic(BaseModel):
    """A stored load of outcomes: who loaded how many, and the batch's fingerprint."""

    id: str = Field(description="The load's id.")
    loaded_at: datetime = Field(description="When it was loaded (UTC).")
    loaded_by: str = Field(description="Who loaded it (user id, or the service's name).")
    source: str = Field(description="api or csv.")
    sha256: str = Field(description="sha256 of the batch's canonical JSON: its rows sorted by "
                                    "application and date, whatever their order or source.")
    rows: int = Field(description="Observations loaded.")
    defaults: int = Field(description="Of which in default.")


class OutcomeLoadPage(BaseModel):
    items: list[OutcomeLoadPublic] = Field(description="Loads, newest first.")
    total: int = Field(description="Loads in all.")


class BacktestCreate(Strict):
    """Which model's decisions to back-test, by the day they were decided."""

    model_version: str | None = Field(
        None, min_length=1, max_length=64,
        description="The model version; default: the champion.")
    date_from: date = Field(description="First day (UTC) of decision, inclusive.")
    date_to: date = Field(description="Last day (UTC) of decision, inclusive.")

    @field_validator("date_to")
    @classmethod
    def _to_after_from(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("date_from")
        if start is not None and value < start:
            raise ValueError("must not be before date_from")
        if value >= date.max:  # the window ends at the next midnight
            raise ValueError("must be before 9999-12-31")
        return value


class BacktestSummary(BaseModel):
    """A stored back-test without its full result."""

    id: str = Field(description="The back-test's id.")
    model_version: str = Field(description="The model back-tested.")
    window_start: date = Field(description="First day of decision, inclusive.")
    window_end: date = Field(description="Last day of decision, inclusive.")
    created_at: datetime = Field(description="When it was computed (UTC).")
    created_by: str = Field(description="Who asked for it (user id, or the service's name).")
    rows: int = Field(description="Loans with an observed outcome.")


class BacktestPublic(BacktestSummary):
    """A stored back-test with its result."""

    result: dict[str, Any] = Field(
        description="as_of (observations up to this day), loans, unobserved, defaults, "
                    "default_rate, predicted_rate, band_basis (risk_tier or score_decile), "
                    "bands (n, defaults, realised and predicted rate, binomial p-value, verdict "
                    "within/above/below at 5%), discrimination (AUC with DeLong interval, KS "
                    "with bootstrap interval), calibration (by PD decile) and vintages "
                    "(cumulative default rate by months on book per decision month).")


class BacktestPage(BaseModel):
    items: list[BacktestSummary] = Field(description="Back-tests, newest first.")
    total: int = Field(description="Back-tests matching, in all.")
