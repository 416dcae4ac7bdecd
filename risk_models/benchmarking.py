"""Benchmark models for a scorecard's validation: the same data, the same folds, other methods.

SR 11-7 asks that a model's performance be compared with alternative approaches. Each
challenger here is fitted on the training rows of every fold of the scorecard's own first
cross-validation round and scored on that fold's held-out rows, so the figures differ only by
method, never by split:

- **optbinning defaults**: optbinning's ``Scorecard`` with a default ``BinningProcess`` and a
  default ``LogisticRegression``, on the same characteristics;
- **one-hot logistic regression**: categories one-hot encoded, numbers standardised, no binning;
- **gradient boosting**: scikit-learn's histogram gradient boosting with native categorical
  splits, default settings (a flexible model with no monotonicity or explainability constraints,
  the usual "how much does interpretability cost" reference).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from optbinning import BinningProcess, Scorecard
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from risk_models.columns import ColumnPlan
from risk_models.evaluation import ks_statistic, roc_auc

__all__ = ["BENCHMARK_METHODS", "Fold", "benchmark_row", "run_benchmarks"]

Fold = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Method:
    name: str
    description: str
    build: Callable[[ColumnPlan, int], Any]


def _optbinning_defaults(plan: ColumnPlan, seed: int) -> Any:
    process = BinningProcess(variable_names=plan.features,
                             categorical_variables=list(plan.categorical))
    return Scorecard(binning_process=process, estimator=LogisticRegression())


def _one_hot_logistic(plan: ColumnPlan, seed: int) -> Any:
    columns = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         list(plan.numerical)),
        ("categories", make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                                     OneHotEncoder(handle_unknown="ignore")),
         list(plan.categorical)),
    ])
    return Pipeline([("columns", columns), ("model", LogisticRegression(max_iter=2000))])


def _gradient_boosting(plan: ColumnPlan, seed: int) -> Any:
    # Categories become small integer codes that the booster splits on as categories (unknown
    # ones as missing), numbers pass through; the booster handles missing values natively.
    columns = ColumnTransformer(
        [("categories", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                       encoded_missing_value=np.nan), list(plan.categorical)),
         ("numbers", "passthrough", list(plan.numerical))])
    categorical = [True] * len(plan.categorical) + [False] * len(plan.numerical)
    booster = HistGradientBoostingClassifier(categorical_features=categorical, random_state=seed)
    return Pipeline([("columns", columns), ("model", booster)])


BENCHMARK_METHODS: tuple[_Method, ...] = (
    _Method("optbinning defaults", "optbinning Scorecard, default binning and regression",
            _optbinning_defaults),
    _Method("one-hot logistic regression", "categories one-hot, numbers standardised",
            _one_hot_logistic),
    _Method("gradient boosting", "histogram gradient boosting, default settings",
            _gradient_boosting),
)


def benchmark_row(name: str, description: str, y_bad: np.ndarray, fold_aucs: Sequence[float],
                  oof_probability: np.ndarray) -> dict[str, Any]:
    """One JSON-safe row of the benchmark table.

    ``auc`` is the mean of the fold AUCs and ``gini`` is ``2 * auc - 1`` of that same mean, so
    the two printed side by side always agree; ``ks`` is measured on the pooled out-of-fold
    predictions.
    """
    auc = float(np.mean(fold_aucs))
    return {
        "name": name,
        "description": description,
        "auc": auc,
        "auc_std": float(np.std(fold_aucs)),
        "gini": 2 * auc - 1,
        "ks": ks_statistic(y_bad, oof_probability),
        "fold_aucs": [float(a) for a in fold_aucs],
    }


def _fold_predictions(method: _Method, characteristics: pd.DataFrame, y_bad: np.ndarray,
                      plan: ColumnPlan, folds: Sequence[Fold],
                      seed: int) -> tuple[list[float], np.ndarray]:
    oof = np.full(len(y_bad), np.nan)
    aucs = []
    frame = characteristics[plan.features]
    for train_rows, test_rows in folds:
        model = method.build(plan, seed)
        with warnings.catch_warnings():
            # optbinning's log(0) on empty Special/Missing bins, masked before use.
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            model.fit(frame.iloc[train_rows], y_bad[train_rows])
            probability = model.predict_proba(frame.iloc[test_rows])[:, 1]
        oof[test_rows] = probability
        aucs.append(roc_auc(y_bad[test_rows], probability))
    return aucs, oof


def run_benchmarks(characteristics: pd.DataFrame, y_bad: np.ndarray, plan: ColumnPlan,
                   folds: Sequence[Fold], *, seed: int = 0) -> list[dict[str, Any]]:
    """Each benchmark method's row (see :func:`benchmark_row`) on ``folds``.

    Parameters
    ----------
    characteristics : pandas.DataFrame
        The candidate characteristics (categorical columns as ``object`` dtype).
    y_bad : array of 0/1
    plan : ColumnPlan
        Which columns are numerical and which categorical; every method sees all of them.
    folds : sequence of (train_rows, test_rows)
        Positional row indices, the scorecard's own first cross-validation round.
    seed : int
        Random state of the methods that use one.
    """
    return [benchmark_row(method.name, method.description, y_bad,
                          *_fold_predictions(method, characteristics, y_bad, plan, folds, seed))
            for method in BENCHMARK_METHODS]
