"""Train a points scorecard on any table with a binary target, and validate it honestly.

Binning (optbinning), logistic regression (scikit-learn) and PDO scaling; compiled to JSON.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd
from optbinning import BinningProcess, OptimalBinning, Scorecard
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from risk_models.artifact import CompiledScorecard
from risk_models.benchmarking import Fold, benchmark_row, run_benchmarks
from risk_models.columns import (
    ColumnPlan,
    ProtectedFeatureError,
    bad_flag,
    characteristic_frame,
    plan_columns,
)
from risk_models.compilation import binning_tables, compile_scorecard, fitted_trends
from risk_models.drift import MonitoringBaseline, monitoring_baseline
from risk_models.evaluation import calibration_table, ks_statistic, roc_auc
from risk_models.scorecard_params import EXPLAINABLE_TREND, ScorecardParams
from risk_models.stability import stability_record

__all__ = [
    "ProtectedFeatureError",
    "ScorecardParams",
    "TrainingResult",
    "build_scorecard",
    "choose_trend",
    "choose_trends",
    "fit_scorecard",
    "train_from_csv",
    "train_scorecard",
]


@dataclass(frozen=True)
class TrainingResult:
    """A trained scorecard with its validation evidence.

    Attributes
    ----------
    compiled : CompiledScorecard
        The deployable artifact (refit on all rows). Its metadata's ``trends`` records the
        fitted shape of each numerical characteristic (see :attr:`trends`).
    metrics : dict
        ``n_rows``, ``n_bad``, ``bad_rate``, ``cv_auc``, ``cv_auc_std``, ``cv_fold_aucs``,
        ``gini`` (``2 * cv_auc - 1``), ``ks`` and ``oof_auc`` (first CV round's out-of-fold
        predictions), ``holdout_auc``, ``holdout_gini``, ``holdout_ks``, ``holdout_rows``,
        ``stability`` (score PSI and characteristics' CSI, development against hold-out rows,
        :func:`risk_models.stability.stability_record`), ``benchmarks`` (this model and the
        methods of :mod:`risk_models.benchmarking` on the same folds),
        ``train_auc`` (in-sample, final model), ``total_iv`` and ``calibration`` (rows of
        :func:`risk_models.evaluation.calibration_table` on out-of-fold predictions).
    features : list of str
        The characteristics the scorecard uses, in scoring order.
    data_sha256 : str
        SHA-256 of the training CSV bytes, or of the frame's canonical CSV serialisation.
    binning_tables : dict
        Per characteristic, rows of bin, kind, count, count_share, bads, goods, event_rate, woe,
        iv and points.
    iv_by_characteristic : dict
        Information value of each characteristic; ``total_iv`` is their sum.
    oof_predictions : pandas.DataFrame
        One row per training row (same index): ``fold``, ``y_bad``, ``probability_of_default``
        and ``score`` from the model that did not see the row, plus the protected columns' raw
        values, for fairness audits and validation charts.
    params : ScorecardParams
    estimator : optbinning.Scorecard
        The final fitted scorecard (not serialised; kept for validation and benchmarks).
    monitoring_baseline : MonitoringBaseline or None
        The final scorecard's score bins and bin counts on the training rows, which drift
        checks compare live applications with (:func:`risk_models.drift.monitoring_baseline`).
    """

    compiled: CompiledScorecard
    metrics: dict[str, Any]
    features: list[str]
    data_sha256: str
    binning_tables: dict[str, list[dict[str, Any]]]
    iv_by_characteristic: dict[str, float]
    oof_predictions: pd.DataFrame
    params: ScorecardParams
    estimator: Scorecard
    monitoring_baseline: MonitoringBaseline | None = None

    @property
    def total_iv(self) -> float:
        return float(sum(self.iv_by_characteristic.values()))

    @property
    def artifact_sha256(self) -> str:
        return self.compiled.artifact_sha256

    @property
    def trends(self) -> dict[str, str]:
        """Per numerical characteristic, the shape of its bad rate across its bins (ascending,
        descending, peak or valley), as recorded in the artifact's metadata."""
        return dict(self.compiled.metadata.get("trends", {}))

    def summary(self) -> dict[str, Any]:
        """JSON-safe headline figures of the model."""
        keys = (
            "cv_auc",
            "cv_auc_std",
            "gini",
            "ks",
            "oof_auc",
            "holdout_auc",
            "train_auc",
            "n_rows",
            "n_bad",
            "bad_rate",
        )
        summary: dict[str, Any] = {key: self.metrics[key] for key in keys}
        summary.update(
            features=list(self.features),
            total_iv=self.total_iv,
            data_sha256=self.data_sha256,
            artifact_sha256=self.artifact_sha256,
            trained_at=self.compiled.metadata.get("trained_at"),
            trends=self.trends,
        )
        return summary


# A peak or valley replaces the best monotone trend only when it adds at least this much
# information value, the usual floor of a useful characteristic (IV 0.02) ...
UNIMODAL_MIN_IV_GAIN = 0.02
# ... and at least this share of the monotone IV, so that a small wobble in a strong
# characteristic does not bend its points.
UNIMODAL_MIN_IV_SHARE = 0.1
MONOTONE_TRENDS = ("ascending", "descending")
UNIMODAL_TRENDS = ("peak", "valley")


def _binning_options(params: ScorecardParams) -> dict[str, Any]:
    """The optimal-binning options every numerical characteristic is fitted with."""
    return {
        "max_n_prebins": params.max_n_prebins,
        "min_prebin_size": params.min_prebin_size,
        "min_bin_size": params.min_bin_size,
        "special_codes": list(params.special_codes) or None,
    }


def _information_value(values: np.ndarray, y_bad: np.ndarray, trend: str,
                       params: ScorecardParams) -> float:
    binning = OptimalBinning(dtype="numerical", monotonic_trend=trend, **_binning_options(params))
    with warnings.catch_warnings():
        # See _fit_once: empty Special and Missing bins take log(0) before being masked.
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="optbinning")
        binning.fit(values, y_bad)
        binning.binning_table.build()
    return float(binning.binning_table.iv)


def choose_trend(values: np.ndarray, y_bad: np.ndarray, params: ScorecardParams) -> str:
    """The event-rate trend of one numerical characteristic under ``"auto_explainable"``.

    The characteristic is binned four times, as the scorecard will bin it, each time under one
    trend: ascending, descending, peak and valley. The monotone trend with the larger
    information value (IV) is kept unless the better of peak and valley beats it by at least
    ``UNIMODAL_MIN_IV_GAIN`` and by at least ``UNIMODAL_MIN_IV_SHARE`` of its IV: risk then
    turns once, for example a loan amount whose risk is raised for very small loans and for
    the largest ones (a valley). The result is never a shape with more than one turn.

    Parameters
    ----------
    values : numpy.ndarray
        The characteristic's training values.
    y_bad : numpy.ndarray
        1 for a bad outcome, else 0.
    params : ScorecardParams
        The binning options (pre-bins, minimum bin size, special codes).

    Returns
    -------
    str
        ``"ascending"``, ``"descending"``, ``"peak"`` or ``"valley"``.

    Notes
    -----
    Optimal binning under a peak or valley finds some turn even in noise, and at about 1,000
    rows its IV gain on noise can pass the margin: the trend is recorded with the model
    (``TrainingResult.trends``) for a reader to check against business sense.
    """
    iv = {t: _information_value(values, y_bad, t, params)
          for t in (*MONOTONE_TRENDS, *UNIMODAL_TRENDS)}
    monotone = max(MONOTONE_TRENDS, key=iv.__getitem__)
    unimodal = max(UNIMODAL_TRENDS, key=iv.__getitem__)
    gain = iv[unimodal] - iv[monotone]
    if gain >= UNIMODAL_MIN_IV_GAIN and gain >= UNIMODAL_MIN_IV_SHARE * iv[monotone]:
        return unimodal
    return monotone


def choose_trends(
    characteristics: pd.DataFrame, y_bad: np.ndarray, plan: ColumnPlan, params: ScorecardParams
) -> dict[str, str]:
    """The trend imposed on each numerical characteristic of ``plan``.

    A per-characteristic override in ``params.monotonic_trends`` wins over
    ``params.monotonic_trend``; a characteristic left to ``"auto_explainable"`` gets
    :func:`choose_trend` on these rows; any other value passes to optbinning as it is.
    """
    trends = {}
    for name in plan.numerical:
        trend = params.monotonic_trends.get(name, params.monotonic_trend)
        if trend == EXPLAINABLE_TREND:
            trend = choose_trend(characteristics[name].to_numpy(), y_bad, params)
        trends[name] = trend
    return trends


def build_scorecard(
    plan: ColumnPlan, params: ScorecardParams, trends: Mapping[str, str] | None = None
) -> Scorecard:
    """An unfitted optbinning ``Scorecard`` configured from ``params``.

    ``trends`` (from :func:`choose_trends`) gives each numerical characteristic its trend; it
    is needed wherever ``params`` leaves a characteristic to ``"auto_explainable"``, which only
    the training rows can resolve.
    """
    fit_params: dict[str, dict[str, Any]] = {}
    for name in plan.numerical:
        trend = (trends or {}).get(name) or params.monotonic_trends.get(
            name, params.monotonic_trend)
        if trend == EXPLAINABLE_TREND:
            raise ValueError(f"{name}: the {EXPLAINABLE_TREND!r} trend is chosen from the "
                             "training rows; pass trends=choose_trends(...)")
        fit_params[name] = {"monotonic_trend": trend}
    for name in plan.categorical:
        fit_params[name] = {"min_prebin_size": params.categorical_min_prebin_size}
    selection = {"iv": {"min": params.min_iv}} if params.min_iv > 0 else None
    process = BinningProcess(
        variable_names=plan.features,
        categorical_variables=list(plan.categorical),
        selection_criteria=selection,
        binning_fit_params=fit_params,
        **_binning_options(params),
    )
    estimator = LogisticRegression(
        C=params.regularisation_c, class_weight=params.class_weight, max_iter=1000
    )
    return Scorecard(
        binning_process=process,
        estimator=estimator,
        scaling_method="pdo_odds",
        scaling_method_params={
            "pdo": params.points_to_double_odds,
            "odds": params.base_odds,
            "scorecard_points": params.base_score,
        },
    )


def _fit_once(
    characteristics: pd.DataFrame,
    y_bad: np.ndarray,
    plan: ColumnPlan,
    params: ScorecardParams,
    trends: Mapping[str, str],
) -> Scorecard:
    scorecard = build_scorecard(plan, params, trends)
    with warnings.catch_warnings():
        # optbinning takes log(0) for empty Special/Missing bins before masking them to WoE 0;
        # the masked value is what is used, so numpy's divide warning says nothing here.
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="optbinning")
        scorecard.fit(
            characteristics[plan.features],
            y_bad,
            metric_special="empirical",
            metric_missing="empirical",
        )
    return scorecard


def fit_scorecard(
    characteristics: pd.DataFrame, y_bad: np.ndarray, plan: ColumnPlan, params: ScorecardParams
) -> Scorecard:
    """Fit a scorecard whose points never reward the riskier bin of a characteristic.

    Numerical characteristics' trends are chosen on these rows first (:func:`choose_trends`),
    so cross-validation folds choose theirs without seeing their test rows. A characteristic
    whose coefficient comes out with the wrong sign (points rising with the bad rate, a sign of
    collinearity) is dropped and the scorecard refit. Special and Missing bins keep their
    observed (empirical) WoE.
    """
    trends = choose_trends(characteristics, y_bad, plan, params)
    while True:
        scorecard = _fit_once(characteristics, y_bad, plan, params, trends)
        selected = scorecard.binning_process_.get_support(names=True)
        coefficients = np.ravel(scorecard.estimator_.coef_)
        # WoE rises as the bad rate falls, so a sound coefficient on it is negative.
        wrong_sign = {name for name, c in zip(selected, coefficients, strict=True) if c >= 0}
        if not wrong_sign or len(wrong_sign) == len(selected):
            return scorecard
        plan = plan.without(wrong_sign)


def _predict(scorecard: Scorecard, characteristics: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="optbinning")
        probability = scorecard.predict_proba(characteristics)[:, 1]
        score = scorecard.score(characteristics)
    return probability, score


def _cross_validate(
    characteristics: pd.DataFrame, y_bad: np.ndarray, plan: ColumnPlan, params: ScorecardParams
) -> tuple[list[float], pd.DataFrame, list[Fold]]:
    """Fold AUCs of every CV round, the first round's out-of-fold predictions and its folds."""
    fold_aucs: list[float] = []
    first_round: list[Fold] = []
    oof = pd.DataFrame(
        index=characteristics.index,
        columns=["fold", "probability_of_default", "score"],
        dtype=float,
    )
    for round_number in range(params.cv_repeats):
        splitter = StratifiedKFold(
            n_splits=params.cv_folds, shuffle=True, random_state=params.random_state + round_number
        )
        for fold, (train_rows, test_rows) in enumerate(splitter.split(characteristics, y_bad)):
            scorecard = fit_scorecard(
                characteristics.iloc[train_rows], y_bad[train_rows], plan, params
            )
            probability, score = _predict(scorecard, characteristics.iloc[test_rows])
            fold_aucs.append(roc_auc(y_bad[test_rows], probability))
            if round_number == 0:
                first_round.append((train_rows, test_rows))
                oof.iloc[test_rows] = np.column_stack(
                    [np.full(len(test_rows), fold + 1), probability, score]
                )
    oof["fold"] = oof["fold"].astype(int)
    return fold_aucs, oof, first_round


def _holdout(
    characteristics: pd.DataFrame, y_bad: np.ndarray, plan: ColumnPlan, params: ScorecardParams
) -> dict[str, Any]:
    train_rows, test_rows = train_test_split(
        np.arange(len(y_bad)),
        test_size=params.holdout_share,
        stratify=y_bad,
        random_state=params.random_state,
    )
    scorecard = fit_scorecard(characteristics.iloc[train_rows], y_bad[train_rows], plan, params)
    probability, _ = _predict(scorecard, characteristics.iloc[test_rows])
    auc = roc_auc(y_bad[test_rows], probability)
    # The data carry no dates, so stability is measured between the rows the hold-out model
    # was developed on and the rows it never saw.
    stability = stability_record(
        scorecard, characteristics.iloc[train_rows], y_bad[train_rows],
        characteristics.iloc[test_rows], y_bad[test_rows],
        list(scorecard.binning_process_.get_support(names=True)),
        comparison_name="hold-out sample")
    return {
        "holdout_auc": auc,
        "holdout_gini": 2 * auc - 1,
        "holdout_ks": ks_statistic(y_bad[test_rows], probability),
        "holdout_rows": len(test_rows),
        "stability": stability,
    }


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's canonical CSV serialisation (no index, ``\\n`` line ends)."""
    return hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def train_scorecard(
    frame: pd.DataFrame,
    *,
    target: str,
    bad_value: Any,
    features: Sequence[str] | None = None,
    exclude: Iterable[str] = (),
    protected: Iterable[str] = (),
    params: ScorecardParams = ScorecardParams(),
    data_sha256: str | None = None,
    trained_at: datetime | None = None,
    benchmarks: bool = True,
) -> TrainingResult:
    """Train, validate and compile a points scorecard.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per past loan, the outcome in ``target``.
    target, bad_value : str, object
        The outcome column and the value of it that means the loan went bad.
    features : sequence of str, optional
        Characteristics to use; by default every column except target, excluded and protected.
    exclude : iterable of str
        Columns dropped outright (identifiers, leakage).
    protected : iterable of str
        Columns never used as characteristics, carried into ``oof_predictions`` for audits.
    params : ScorecardParams
    data_sha256 : str, optional
        Hash of the source bytes; by default the frame's canonical serialisation is hashed.
    trained_at : datetime, optional
        Timezone-aware training time recorded in the artifact; now (UTC) by default.
    benchmarks : bool
        Also fit the methods of :mod:`risk_models.benchmarking` on the first CV round's folds
        (``metrics["benchmarks"]``); only quick experiments turn this off.

    Raises
    ------
    ProtectedFeatureError
        If ``features`` names a protected column.
    """
    plan = plan_columns(
        frame, target=target, features=features, exclude=exclude, protected=protected
    )
    y_bad = bad_flag(frame[target], bad_value)
    characteristics = characteristic_frame(frame, plan)
    fold_aucs, oof, first_round = _cross_validate(characteristics, y_bad, plan, params)
    holdout = _holdout(characteristics, y_bad, plan, params)
    final = fit_scorecard(characteristics, y_bad, plan, params)

    trained_at = (trained_at or datetime.now(UTC)).astimezone(UTC)
    data_sha256 = data_sha256 or frame_sha256(frame)
    compiled = compile_scorecard(
        final,
        plan,
        special_codes=params.special_codes,
        metadata={
            "features": list(final.binning_process_.get_support(names=True)),
            "params": params.to_dict(),
            "data_sha256": data_sha256,
            "trained_at": trained_at.isoformat(timespec="seconds"),
            "target": target,
            "bad_value": _json_scalar(bad_value),
            "protected": list(plan.protected),
            "trends": fitted_trends(final, plan),
        },
    )
    summary = final.binning_process_.summary().set_index("name")
    iv = {name: float(summary.loc[name, "iv"]) for name in compiled.features}
    oof.insert(1, "y_bad", y_bad)
    for column in plan.protected:
        oof[column] = frame[column].to_numpy()

    train_probability, _ = _predict(final, characteristics)
    metrics = _metrics(y_bad, fold_aucs, oof, holdout, train_probability, sum(iv.values()), params)
    if benchmarks:
        own = benchmark_row("riskdesk scorecard", "this model's training path", y_bad,
                            fold_aucs[:params.cv_folds], oof["probability_of_default"].to_numpy())
        metrics["benchmarks"] = [own, *run_benchmarks(characteristics, y_bad, plan, first_round,
                                                      seed=params.random_state)]
    return TrainingResult(
        compiled=compiled,
        metrics=metrics,
        features=compiled.features,
        data_sha256=data_sha256,
        binning_tables=binning_tables(final, compiled),
        iv_by_characteristic=iv,
        oof_predictions=oof,
        params=params,
        estimator=final,
        # What drift checks compare live applications with: the deployed scorecard's bins on
        # the rows it was developed on (all of them).
        monitoring_baseline=monitoring_baseline(final, compiled, characteristics, y_bad),
    )


def _metrics(
    y_bad: np.ndarray,
    fold_aucs: list[float],
    oof: pd.DataFrame,
    holdout: dict[str, Any],
    train_probability: np.ndarray,
    total_iv: float,
    params: ScorecardParams,
) -> dict[str, Any]:
    cv_auc = float(np.mean(fold_aucs))
    oof_pd = oof["probability_of_default"].to_numpy()
    return {
        "n_rows": len(y_bad),
        "n_bad": int(y_bad.sum()),
        "bad_rate": float(y_bad.mean()),
        "cv_folds": params.cv_folds,
        "cv_repeats": params.cv_repeats,
        "cv_auc": cv_auc,
        "cv_auc_std": float(np.std(fold_aucs)),
        "cv_fold_aucs": fold_aucs,
        "gini": 2 * cv_auc - 1,
        "ks": ks_statistic(y_bad, oof_pd),
        "oof_auc": roc_auc(y_bad, oof_pd),
        **holdout,
        "train_auc": roc_auc(y_bad, train_probability),
        "total_iv": float(total_iv),
        "calibration": calibration_table(y_bad, oof_pd, oof["score"].to_numpy()),
    }


def _json_scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("bad_value must be finite")
    return value


def train_from_csv(
    path: str | PathLike[str], *, target: str, bad_value: Any, **options: Any
) -> TrainingResult:
    """Train from a CSV file; ``data_sha256`` is the SHA-256 of the file's bytes.

    Keyword options are those of :func:`train_scorecard`.
    """
    with open(path, "rb") as source:
        raw = source.read()
    frame = pd.read_csv(io.BytesIO(raw))
    return train_scorecard(
        frame,
        target=target,
        bad_value=bad_value,
        data_sha256=hashlib.sha256(raw).hexdigest(),
        **options,
    )
