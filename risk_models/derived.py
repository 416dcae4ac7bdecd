"""Derived characteristics of the bundled scorecard: one definition for training and live scoring.

Each derived characteristic is arithmetic on the loan's amount (in the model's unit), its term and
its installment-rate band, so it can be computed alike from a row of the German credit data and
from a live application. ``_derive`` is the only place they are computed: the default model
applies it (through :func:`add_derived_characteristics`) to the training frame's columns, and
``risk_models.features`` (through :func:`derived_values`) to a live application's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

AMOUNT = "credit_amount"
TERM = "duration_months"
RATE_BAND = "installment_rate_pct_income"

AMOUNT_PER_MONTH = "amount_per_month"
INCOME_CAPACITY = "installment_income_capacity"
TERM_BURDEN = "term_burden"

# The inputs behind each derived characteristic (docs/features.md lists the raw fields).
INPUTS: dict[str, tuple[str, ...]] = {
    AMOUNT_PER_MONTH: (AMOUNT, TERM),
    INCOME_CAPACITY: (AMOUNT, TERM, RATE_BAND),
    TERM_BURDEN: (TERM, RATE_BAND),
}
DERIVED = tuple(INPUTS)


def add_derived_characteristics(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with the derived characteristics appended as float columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        Has ``credit_amount`` (model unit), ``duration_months`` and
        ``installment_rate_pct_income`` (band 1..4); missing values are allowed.

    Returns
    -------
    pandas.DataFrame
        ``frame`` plus:

        ``amount_per_month``
            amount ÷ term: the repayment per month before interest, a proxy for the installment.
        ``installment_income_capacity``
            ``amount_per_month`` ÷ installment-rate band: the installment scaled down by the
            share of disposable income it takes, so it grows with the disposable income behind
            the loan.
        ``term_burden``
            term × installment-rate band: how long the borrower commits how large a share of
            disposable income.

        A derived value is missing (NaN) when an input is missing or the term is not positive.
    """
    amount = pd.to_numeric(frame[AMOUNT], errors="coerce").to_numpy(dtype=float)
    term = pd.to_numeric(frame[TERM], errors="coerce").to_numpy(dtype=float)
    band = pd.to_numeric(frame[RATE_BAND], errors="coerce").to_numpy(dtype=float)
    derived = frame.copy()
    for name, values in _derive(amount, term, band).items():
        derived[name] = values
    return derived


def _derive(amount: np.ndarray, term: np.ndarray, band: np.ndarray) -> dict[str, np.ndarray]:
    """The one definition of the derived characteristics, on float arrays (NaN = missing)."""
    # A non-positive term or band has no meaning as a divisor: score it in the Missing bin.
    term = np.where(term > 0, term, np.nan)
    band = np.where(band > 0, band, np.nan)
    with np.errstate(invalid="ignore"):
        per_month = amount / term
        return {AMOUNT_PER_MONTH: per_month, INCOME_CAPACITY: per_month / band,
                TERM_BURDEN: term * band}


def derived_values(characteristics: Mapping[str, Any]) -> dict[str, float | None]:
    """The derived characteristics of one applicant, ``None`` where missing.

    The same arithmetic as :func:`add_derived_characteristics` on one-element arrays, so the
    values are bit-for-bit those the same inputs get at training time, without building a
    DataFrame on the decision path.
    """
    amount, term, band = (np.array([_number(characteristics.get(name))])
                          for name in (AMOUNT, TERM, RATE_BAND))
    values = _derive(amount, term, band)
    return {name: None if np.isnan(values[name][0]) else float(values[name][0])
            for name in DERIVED}


def _number(value: Any) -> float:
    return np.nan if value is None else float(value)
