"""Model quality: 3 x stratified 5-fold CV ROC AUC on the German credit data, three methods.

(a) riskdesk's training, (b) optbinning's Scorecard with default BinningProcess and
LogisticRegression, (c) toad's chi-merge binning + WoE + LogisticRegression. Protected columns
(personal_status_sex, age_years, foreign_worker) are excluded from every method. riskdesk uses
its own characteristics (the data's columns, less ``EXCLUDED``, plus the derived ones of
``risk_models/derived.py``); (b) and (c) use the data's columns as they are. Derived
characteristics are row-wise arithmetic, fitted on nothing, so computing them on the whole frame
leaks nothing; binning is refit inside every fold.

Run: .venv/bin/python bench/model_quality.py
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

warnings.filterwarnings("ignore")  # third-party deprecation noise would drown the figures

# First: importing risk_models quiets a solver-import message that cvxpy logs under optbinning.
import risk_models  # noqa: E402,F401

# isort: split
from optbinning import BinningProcess, Scorecard  # noqa: E402

from risk_models.columns import characteristic_frame, plan_columns  # noqa: E402
from risk_models.default_model import (  # noqa: E402
    BAD_VALUE,
    DEFAULT_PARAMS,
    EXCLUDED,
    PROTECTED,
    TARGET,
    default_training_frame,
)
from risk_models.derived import DERIVED  # noqa: E402
from risk_models.training import fit_scorecard  # noqa: E402

SEEDS = (0, 1, 2)
FOLDS = 5
# Fit on (train features, train target), return PD of the test rows.
Method = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], np.ndarray]


def riskdesk_method(plan) -> Method:
    def fit_predict(train, y, test):
        scorecard = fit_scorecard(train[plan.features], y, plan, DEFAULT_PARAMS)
        return scorecard.predict_proba(test[plan.features])[:, 1]

    return fit_predict


def optbinning_default_method(plan) -> Method:
    def fit_predict(train, y, test):
        process = BinningProcess(plan.features, categorical_variables=list(plan.categorical))
        scorecard = Scorecard(
            binning_process=process,
            estimator=LogisticRegression(),
            scaling_method="pdo_odds",
            scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
        )
        scorecard.fit(train, y)
        return scorecard.predict_proba(test)[:, 1]

    return fit_predict


def toad_method(plan) -> Method:
    import toad

    def fit_predict(train, y, test):
        frame = train.assign(target=y)
        combiner = toad.transform.Combiner()
        combiner.fit(frame, y="target", method="chi", min_samples=0.05)
        woe = toad.transform.WOETransformer()
        train_woe = woe.fit_transform(
            combiner.transform(frame), frame["target"], exclude=["target"]
        )
        columns = [c for c in train_woe.columns if c != "target"]
        model = LogisticRegression(max_iter=1000).fit(train_woe[columns], y)
        test_woe = woe.transform(combiner.transform(test))
        return model.predict_proba(test_woe[columns])[:, 1]

    return fit_predict


def cross_validated_auc(method: Method, features: pd.DataFrame, y: np.ndarray) -> list[float]:
    aucs = []
    for seed in SEEDS:
        splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
        for train_rows, test_rows in splitter.split(features, y):
            probability = method(features.iloc[train_rows], y[train_rows], features.iloc[test_rows])
            aucs.append(roc_auc_score(y[test_rows], probability))
    return aucs


def main() -> int:
    frame, _ = default_training_frame()
    riskdesk_plan = plan_columns(frame, target=TARGET, protected=PROTECTED, exclude=EXCLUDED)
    # The other methods see the data's own columns only, as a user of those libraries would.
    plan = plan_columns(frame, target=TARGET, protected=PROTECTED, exclude=DERIVED)
    y = (frame[TARGET] == BAD_VALUE).to_numpy(dtype=int)
    methods = {
        "riskdesk": (riskdesk_method(riskdesk_plan), riskdesk_plan),
        "optbinning Scorecard (defaults)": (optbinning_default_method(plan), plan),
        "toad chi-merge + WoE + LR": (toad_method(plan), plan),
    }
    print(
        f"German credit, {len(frame)} rows, protected excluded; riskdesk "
        f"{len(riskdesk_plan.features)} characteristics ({len(DERIVED)} derived), others "
        f"{len(plan.features)}; {len(SEEDS)} x stratified {FOLDS}-fold CV, seeds {SEEDS}"
    )
    for name, (method, method_plan) in methods.items():
        started = time.perf_counter()
        try:
            aucs = cross_validated_auc(method, characteristic_frame(frame, method_plan), y)
        except Exception as error:  # report a broken third-party method, keep the others
            print(f"{name:34s} FAILED: {type(error).__name__}: {error}")
            continue
        print(
            f"{name:34s} mean AUC {np.mean(aucs):.4f}  std {np.std(aucs):.4f}  "
            f"({time.perf_counter() - started:.0f} s)"
        )
    print("Repeat with: .venv/bin/python bench/model_quality.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
