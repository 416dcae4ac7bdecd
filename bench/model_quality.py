"""Model quality: 3 x stratified 5-fold CV ROC AUC on the German credit data.

(a) the bundled model's training, (b) what ``riskdesk train`` fits on the CSV by default
(``ScorecardParams()``), and the same with the previous default trend, every characteristic
monotone (``auto_asc_desc``), (c) optbinning's Scorecard with default BinningProcess and
LogisticRegression, (d) toad's chi-merge binning + WoE + LogisticRegression. Protected columns
(personal_status_sex, age_years, foreign_worker) are excluded from every method. The bundled
model uses its own characteristics (the data's columns, less ``EXCLUDED``, plus the derived ones
of ``risk_models/derived.py``); the others use the data's columns as they are, as
``riskdesk train`` reads them from the CSV. Derived characteristics are row-wise arithmetic,
fitted on nothing, so computing them on the whole frame leaks nothing; binning (and the choice
of each characteristic's trend) is refit inside every fold. Every method sees the same 15 folds,
so ``riskdesk train`` is also compared with optbinning fold by fold.

Run: .venv/bin/python bench/model_quality.py
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
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
from risk_models.compilation import fitted_trends  # noqa: E402
from risk_models.default_model import (  # noqa: E402
    BAD_VALUE,
    DEFAULT_PARAMS,
    EXCLUDED,
    PROTECTED,
    TARGET,
    default_training_frame,
)
from risk_models.derived import DERIVED  # noqa: E402
from risk_models.scorecard_params import ScorecardParams  # noqa: E402
from risk_models.training import fit_scorecard  # noqa: E402

SEEDS = (0, 1, 2)
FOLDS = 5
BUNDLED = "riskdesk bundled model"
GENERIC = "riskdesk train default"
OLD_GENERIC = "riskdesk train, all monotone (old)"
OPTBINNING = "optbinning Scorecard (defaults)"
# Fold AUCs closer than this are equal (the same bins give the same predictions).
EQUAL_AUC = 1e-12
# Fit on (train features, train target), return PD of the test rows.
Method = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], np.ndarray]


def riskdesk_method(plan, params: ScorecardParams, shapes: Counter | None = None) -> Method:
    """``fit_scorecard`` with ``params``; ``shapes`` counts each fold's fitted trends."""

    def fit_predict(train, y, test):
        scorecard = fit_scorecard(train[plan.features], y, plan, params)
        if shapes is not None:
            shapes.update(fitted_trends(scorecard, plan).items())
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


def paired(name: str, aucs: list[float], baseline: list[float]) -> str:
    """``name`` against optbinning's defaults, fold by fold on the same folds."""
    differences = np.asarray(aucs) - np.asarray(baseline)
    better = int(np.sum(differences > EQUAL_AUC))
    worse = int(np.sum(differences < -EQUAL_AUC))
    return (
        f"{name:34s} vs optbinning defaults: mean AUC {np.mean(aucs):.4f} vs "
        f"{np.mean(baseline):.4f}, mean paired difference {np.mean(differences):+.4f}; better "
        f"in {better}, worse in {worse}, equal in {len(differences) - better - worse} of "
        f"{len(differences)} folds"
    )


def main() -> int:
    frame, _ = default_training_frame()
    riskdesk_plan = plan_columns(frame, target=TARGET, protected=PROTECTED, exclude=EXCLUDED)
    # The other methods see the data's own columns only, as `riskdesk train` and a user of those
    # libraries would.
    plan = plan_columns(frame, target=TARGET, protected=PROTECTED, exclude=DERIVED)
    y = (frame[TARGET] == BAD_VALUE).to_numpy(dtype=int)
    generic_shapes: Counter = Counter()
    methods = {
        BUNDLED: (riskdesk_method(riskdesk_plan, DEFAULT_PARAMS), riskdesk_plan),
        GENERIC: (riskdesk_method(plan, ScorecardParams(), generic_shapes), plan),
        OLD_GENERIC: (
            riskdesk_method(plan, ScorecardParams(monotonic_trend="auto_asc_desc")), plan
        ),
        OPTBINNING: (optbinning_default_method(plan), plan),
        "toad chi-merge + WoE + LR": (toad_method(plan), plan),
    }
    print(
        f"German credit, {len(frame)} rows, protected excluded; bundled model "
        f"{len(riskdesk_plan.features)} characteristics ({len(DERIVED)} derived), others "
        f"{len(plan.features)}; {len(SEEDS)} x stratified {FOLDS}-fold CV, seeds {SEEDS}"
    )
    fold_aucs: dict[str, list[float]] = {}
    for name, (method, method_plan) in methods.items():
        started = time.perf_counter()
        try:
            aucs = cross_validated_auc(method, characteristic_frame(frame, method_plan), y)
        except Exception as error:  # report a broken third-party method, keep the others
            print(f"{name:34s} FAILED: {type(error).__name__}: {error}")
            continue
        fold_aucs[name] = aucs
        print(
            f"{name:34s} mean AUC {np.mean(aucs):.4f}  std {np.std(aucs):.4f}  "
            f"({time.perf_counter() - started:.0f} s)"
        )
    if OPTBINNING in fold_aucs:
        for name in (GENERIC, OLD_GENERIC):
            if name in fold_aucs:
                print(paired(name, fold_aucs[name], fold_aucs[OPTBINNING]))
    if generic_shapes:
        shown = ", ".join(f"{name} {shape} {count}" for (name, shape), count
                          in sorted(generic_shapes.items()))
        print(f"{GENERIC}, fitted trends (characteristic, shape, folds): {shown}")
    print("Repeat with: .venv/bin/python bench/model_quality.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
