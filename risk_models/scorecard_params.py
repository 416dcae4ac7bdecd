"""Training parameters of a points scorecard: binning, estimator, PDO scaling and validation.

A frozen dataclass that round-trips through JSON, so a model's parameters travel with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# The generic default: each numerical characteristic ascending or descending, or a single peak
# or valley where the data clearly call for one (risk_models.training.choose_trends). The other
# values are optbinning's own ``monotonic_trend`` values, passed to it as they are.
EXPLAINABLE_TREND = "auto_explainable"

NUMERIC_TRENDS = (
    EXPLAINABLE_TREND,
    "auto",
    "auto_heuristic",
    "auto_asc_desc",
    "ascending",
    "descending",
    "concave",
    "convex",
    "peak",
    "valley",
    "peak_heuristic",
    "valley_heuristic",
)


@dataclass(frozen=True)
class ScorecardParams:
    """Everything that shapes a trained scorecard.

    Parameters
    ----------
    base_score, base_odds, points_to_double_odds : float
        PDO scaling: ``base_score`` points at ``base_odds``:1 good:bad odds, and
        ``points_to_double_odds`` more points each time those odds double.
    monotonic_trend : str
        Event-rate trend imposed on numerical characteristics unless overridden per characteristic
        in ``monotonic_trends``: ``"auto_explainable"`` (the default) chooses per characteristic
        from the training rows, ascending or descending unless a single peak or valley carries
        clearly more information value (:func:`risk_models.training.choose_trends`); any other
        value is optbinning's ``monotonic_trend`` (``"auto_asc_desc"`` forces every
        characteristic to be monotone).
    monotonic_trends : mapping of str to str
        Per-characteristic trend where business sense says which way risk moves.
    min_bin_size : float or None
        Smallest share of rows a bin may hold.
    max_n_prebins, min_prebin_size, categorical_min_prebin_size : int, float, float
        Pre-binning: the most pre-bins, and their smallest share of rows for numerical and for
        categorical characteristics (rarer categories are pooled before optimisation).
    min_iv : float
        Characteristics whose information value is below this are not selected.
    regularisation_c : float
        Inverse L2 regularisation strength of the logistic regression.
    class_weight : str or None
        ``"balanced"`` to weight bad and good rows equally in the logistic regression.
    special_codes : tuple
        Values that mean something other than a quantity (for example ``-999``): Special bin.
    cv_folds, cv_repeats, holdout_share, random_state : int, int, float, int
        Validation: ``cv_repeats`` rounds of stratified ``cv_folds``-fold CV with seeds
        ``random_state, random_state + 1, ...`` and a stratified hold-out of ``holdout_share``.
    """

    base_score: float = 600.0
    base_odds: float = 50.0
    points_to_double_odds: float = 20.0
    monotonic_trend: str = EXPLAINABLE_TREND
    monotonic_trends: Mapping[str, str] = field(default_factory=dict)
    min_bin_size: float | None = 0.05
    max_n_prebins: int = 20
    min_prebin_size: float = 0.05
    categorical_min_prebin_size: float = 0.05
    min_iv: float = 0.0
    regularisation_c: float = 1.0
    class_weight: str | None = None
    special_codes: tuple[Any, ...] = ()
    cv_folds: int = 5
    cv_repeats: int = 3
    holdout_share: float = 0.3
    random_state: int = 0

    def __post_init__(self) -> None:
        trends = [self.monotonic_trend, *self.monotonic_trends.values()]
        unknown = [t for t in trends if t not in NUMERIC_TRENDS]
        if unknown:
            raise ValueError(f"unknown monotonic trend(s) {unknown}; use one of {NUMERIC_TRENDS}")
        if self.base_odds <= 0 or self.points_to_double_odds <= 0:
            raise ValueError("base_odds and points_to_double_odds must be positive")
        if not 0 < self.holdout_share < 1:
            raise ValueError("holdout_share must be between 0 and 1")
        if self.cv_folds < 2 or self.cv_repeats < 1:
            raise ValueError("cv_folds must be at least 2 and cv_repeats at least 1")
        # Normalise containers so equal parameters serialise to equal JSON.
        object.__setattr__(self, "monotonic_trends", dict(sorted(self.monotonic_trends.items())))
        object.__setattr__(self, "special_codes", tuple(self.special_codes))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["monotonic_trends"] = dict(self.monotonic_trends)
        data["special_codes"] = list(self.special_codes)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScorecardParams:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown scorecard parameter(s): {sorted(unknown)}")
        values = dict(data)
        if "special_codes" in values:
            values["special_codes"] = tuple(values["special_codes"])
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> ScorecardParams:
        return cls.from_dict(json.loads(text))
