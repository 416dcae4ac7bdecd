"""Which columns of a training table become characteristics, and how they are typed.

Protected columns are never characteristics: they are kept aside for fairness evaluation only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

NUMERICAL = "numerical"
CATEGORICAL = "categorical"


class ProtectedFeatureError(ValueError):
    """Raised when a protected column is asked to be a scorecard characteristic."""


@dataclass(frozen=True)
class ColumnPlan:
    """The characteristics (numerical and categorical) and the protected columns of a table."""

    numerical: tuple[str, ...]
    categorical: tuple[str, ...]
    protected: tuple[str, ...]
    target: str

    @property
    def features(self) -> list[str]:
        return [*self.numerical, *self.categorical]

    def without(self, names: Iterable[str]) -> ColumnPlan:
        """The same plan with ``names`` no longer characteristics."""
        drop = set(names)
        return ColumnPlan(
            numerical=tuple(c for c in self.numerical if c not in drop),
            categorical=tuple(c for c in self.categorical if c not in drop),
            protected=self.protected,
            target=self.target,
        )

    def kind_of(self, name: str) -> str:
        return NUMERICAL if name in self.numerical else CATEGORICAL


def plan_columns(
    frame: pd.DataFrame,
    *,
    target: str,
    features: Sequence[str] | None = None,
    exclude: Iterable[str] = (),
    protected: Iterable[str] = (),
) -> ColumnPlan:
    """Choose and type the characteristics of ``frame``.

    Numeric columns (integers included, however few their distinct values) stay numerical;
    text, boolean and categorical columns become categorical.

    Raises
    ------
    ProtectedFeatureError
        If ``features`` names a protected column.
    KeyError
        If a named column is not in ``frame``.
    """
    protected = tuple(protected)
    exclude = set(exclude)
    named = [target, *protected, *exclude, *(features or ())]
    absent = [c for c in named if c not in frame.columns]
    if absent:
        raise KeyError(f"column(s) not in the training data: {absent}")
    if features is not None:
        refused = [c for c in features if c in protected]
        if refused:
            raise ProtectedFeatureError(
                f"protected column(s) {refused} cannot be scorecard characteristics; they are "
                "kept aside for fairness evaluation only"
            )
        if target in features:
            raise ValueError(f"the target {target!r} cannot be a characteristic")
        chosen = [c for c in features if c not in exclude]
    else:
        skip = {target, *protected, *exclude}
        chosen = [c for c in frame.columns if c not in skip]
    if not chosen:
        raise ValueError("no characteristics left to train on")
    numerical = tuple(c for c in chosen if _is_numeric(frame[c]))
    categorical = tuple(c for c in chosen if c not in numerical)
    return ColumnPlan(
        numerical=numerical, categorical=categorical, protected=protected, target=target
    )


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def characteristic_frame(frame: pd.DataFrame, plan: ColumnPlan) -> pd.DataFrame:
    """The characteristics of ``frame`` in the dtypes optbinning needs.

    Categorical columns become ``object`` strings (optbinning 1.0 would read pandas' string
    dtype as numerical); missing values stay missing. Numerical columns become float.
    """
    prepared = {}
    for name in plan.numerical:
        prepared[name] = frame[name].astype(float)
    for name in plan.categorical:
        column = frame[name]
        as_text = column.astype(object).where(column.notna(), None)
        prepared[name] = as_text.map(lambda v: v if v is None else str(v)).astype(object)
    return pd.DataFrame(prepared, index=frame.index)[plan.features]


def bad_flag(target: pd.Series, bad_value: object) -> np.ndarray:
    """1 where the outcome is ``bad_value``, else 0; refuses missing or non-binary targets."""
    if target.isna().any():
        raise ValueError(f"target {target.name!r} has missing values")
    values = set(target.unique().tolist())
    if bad_value not in values:
        raise ValueError(f"bad_value {bad_value!r} does not occur in target {target.name!r}")
    if len(values) != 2:
        raise ValueError(f"target {target.name!r} must have exactly two values, got {len(values)}")
    return (target == bad_value).to_numpy(dtype=int)
