"""The fast scorer of a compiled scorecard: one applicant in plain Python, a batch in numpy."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from risk_models.artifact import NUMERICAL, Characteristic, CompiledScorecard, ScorecardBin

try:
    # The hash table behind ``Index.get_indexer`` on object data. Called directly it skips the
    # dtype inference ``get_indexer`` first runs over every row, a third of a text column's cost.
    from pandas._libs.hashtable import PyObjectHashTable as _ObjectHashTable
except ImportError:  # pragma: no cover - only if pandas moves its internals
    _ObjectHashTable = None

# Rows sampled from a large text column to find the string objects it uses for each category.
KEY_SAMPLE_ROWS = 1024


def is_missing(value: Any) -> bool:
    """True for ``None`` and float NaN (including ``pandas.NA``-like scalars)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class CharacteristicScore:
    """The points one characteristic contributed, and how far they fall below its best bin."""

    characteristic: str
    kind: str
    value: Any
    bin_index: int
    scorecard_bin: ScorecardBin
    best_points: float

    @property
    def bin_label(self) -> str:
        return self.scorecard_bin.label

    @property
    def points(self) -> float:
        return self.scorecard_bin.points

    @property
    def points_below_best(self) -> float:
        return self.best_points - self.points


@dataclass(frozen=True)
class ScoreResult:
    """Total score, probability of default and per-characteristic breakdown of one applicant."""

    score: float
    probability_of_default: float
    breakdown: tuple[CharacteristicScore, ...]
    artifact_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "probability_of_default": self.probability_of_default,
            "artifact_sha256": self.artifact_sha256,
            "breakdown": [
                {
                    "characteristic": c.characteristic,
                    "bin": c.bin_label,
                    "points": c.points,
                    "best_points": c.best_points,
                }
                for c in self.breakdown
            ],
        }


def _key_positions(keys: np.ndarray, texts: np.ndarray) -> np.ndarray:
    """Position of each of ``texts`` among the distinct ``keys`` (``-1`` where absent)."""
    if _ObjectHashTable is None:
        index = pd.Index(keys, dtype=object)
        return index.get_indexer(pd.Index(texts, dtype=object, copy=False))
    table = _ObjectHashTable(len(keys))
    table.map_locations(keys)
    return table.lookup(texts)


class _CompiledCharacteristic:
    """Lookup tables of one characteristic, prepared once for fast scoring.

    The batch scorer gives every row a *position* in a small per-characteristic table of terms
    (points plus weighted WoE times ``1j``, see :meth:`CompiledScorer.score_batch`), so one
    gather scores a whole column. Numerical positions count the splits at or below the value
    (``bisect_right``); categorical positions are a category's place in ``categories``. The last
    two positions are the Special and Missing bins, so position ``-1`` (unknown) is Missing.
    """

    def __init__(self, characteristic: Characteristic):
        self.spec = characteristic
        self.best_points = characteristic.best_points
        self.points = np.array([b.points for b in characteristic.bins], dtype=float)
        self.woe = np.array([b.woe for b in characteristic.bins], dtype=float)
        self.weighted_woe = self.woe * characteristic.coefficient
        self.splits = list(characteristic.splits)
        self.category_index = {
            cat: i for i, b in enumerate(characteristic.regular_bins) for cat in b.categories
        }
        self.special_codes = set(characteristic.special_codes)
        self.categories = np.array(list(self.category_index), dtype=object)
        if characteristic.kind == NUMERICAL:
            regular = list(range(len(self.splits) + 1))
        else:
            regular = list(self.category_index.values())
        bin_of_position = [*regular, characteristic.special_index, characteristic.missing_index]
        self.special_position = len(bin_of_position) - 2
        self.missing_position = len(bin_of_position) - 1
        self.position_terms = np.empty(len(bin_of_position), dtype=complex)
        self.position_terms.real = self.points[bin_of_position]
        self.position_terms.imag = self.weighted_woe[bin_of_position]
        # The smallest integer type that holds every position keeps the per-split passes cheap.
        self.position_dtype = np.min_scalar_type(len(bin_of_position))

    def bin_index(self, value: Any) -> int:
        spec = self.spec
        if is_missing(value):
            return spec.missing_index
        if self.special_codes and value in self.special_codes:
            return spec.special_index
        if spec.kind == NUMERICAL:
            return bisect.bisect_right(self.splits, float(value))
        return self.category_index.get(str(value), spec.missing_index)

    def batch_positions(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        """Positions of a column's rows and the table of terms they index.

        Parameters
        ----------
        values : pandas.Series, numpy.ndarray or sequence
            One value per row: numbers for a numerical characteristic; text (object or
            string dtype), pandas ``category`` or anything ``str`` can render for a
            categorical one. ``None``, NaN and ``pandas.NA`` are missing.

        Returns
        -------
        positions : numpy.ndarray
            One integer per row, indexing ``terms``.
        terms : numpy.ndarray of complex
            Points (real part) and weighted WoE, coefficient times WoE (imaginary part).
        """
        series = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
        if self.spec.kind == NUMERICAL:
            positions = self._numerical_positions(series)
        elif isinstance(series.dtype, pd.CategoricalDtype):
            categories = series.cat.categories.to_numpy(dtype=object)
            per_code = np.append(self._category_positions(categories), -1)
            if not self.special_codes:
                # Score each category once; the codes (-1 for missing) then index those terms.
                return series.cat.codes.to_numpy(), self.position_terms[per_code]
            positions = per_code[series.cat.codes.to_numpy()]
        else:
            if series.dtype != object and not isinstance(series.dtype, pd.StringDtype):
                series = series.astype(str).where(series.notna())
            positions = self._category_positions(series.to_numpy(dtype=object))
        if self.special_codes:
            positions[series.isin(list(self.special_codes)).to_numpy()] = self.special_position
        return positions, self.position_terms

    def _category_positions(self, texts: np.ndarray) -> np.ndarray:
        return _key_positions(self._lookup_keys(texts), texts)

    def _lookup_keys(self, texts: np.ndarray) -> np.ndarray:
        """The categories, each spelt where possible by the very string object the rows use.

        A hash lookup compares a row with the key it hashes to, and comparing a string with
        itself is an identity check while comparing two equal strings reads both. Text that
        pandas or Arrow read shares one object per distinct value, so keying the lookup by the
        rows' own objects (found in a sample) makes most comparisons identity checks. Keys are
        still matched by value: a row whose object was not sampled finds its category as before.
        """
        keys = self.categories.copy()
        step = len(texts) // KEY_SAMPLE_ROWS
        if step < 8:
            return keys
        sample = texts[::step]
        found, first_row = np.unique(_key_positions(keys, sample), return_index=True)
        known = found >= 0
        keys[found[known]] = sample[first_row[known]]
        return keys

    def _numerical_positions(self, series: pd.Series) -> np.ndarray:
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiu":
            numbers = series.to_numpy(dtype=float)
        else:
            numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        # Counting the splits at or below each value is ``bisect_right``; with a handful of
        # splits these comparisons beat ``np.searchsorted``, whose branches mispredict on
        # unsorted rows. NaN compares false with every split, so it is sent to Missing apart.
        positions = np.zeros(len(numbers), dtype=self.position_dtype)
        at_or_above = np.empty(len(numbers), dtype=bool)
        for split in self.splits:
            np.greater_equal(numbers, split, out=at_or_above)
            positions += at_or_above
        positions[np.isnan(numbers)] = self.missing_position
        return positions


class CompiledScorer:
    """Score applicants with a :class:`CompiledScorecard` using plain Python or numpy.

    Parameters
    ----------
    scorecard : CompiledScorecard
        The artifact to score with.
    """

    def __init__(self, scorecard: CompiledScorecard):
        self.scorecard = scorecard
        self.artifact_sha256 = scorecard.artifact_sha256
        self._characteristics = [_CompiledCharacteristic(c) for c in scorecard.characteristics]

    def score_applicant(self, characteristics: Mapping[str, Any]) -> ScoreResult:
        """Score one applicant given as ``{characteristic: value}`` (absent means missing)."""
        score = 0.0
        logit = 0.0
        breakdown = []
        for compiled in self._characteristics:
            spec = compiled.spec
            value = characteristics.get(spec.name)
            index = compiled.bin_index(value)
            scorecard_bin = spec.bins[index]
            score += scorecard_bin.points
            logit += spec.coefficient * scorecard_bin.woe
            breakdown.append(
                CharacteristicScore(
                    characteristic=spec.name,
                    kind=spec.kind,
                    value=value,
                    bin_index=index,
                    scorecard_bin=scorecard_bin,
                    best_points=compiled.best_points,
                )
            )
        probability = 1.0 / (1.0 + math.exp(-(logit + self.scorecard.intercept)))
        return ScoreResult(
            score=score,
            probability_of_default=probability,
            breakdown=tuple(breakdown),
            artifact_sha256=self.artifact_sha256,
        )

    def score_batch(self, frame: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
        """Score many applicants at once (vectorised).

        Parameters
        ----------
        frame : pandas.DataFrame or mapping of column name to array
            One column per characteristic; an absent column counts as missing for every row.

        Returns
        -------
        pandas.DataFrame
            Columns ``score`` and ``probability_of_default``, one row per applicant.
        """
        n_rows = len(frame) if isinstance(frame, pd.DataFrame) else len(next(iter(frame.values())))
        # Each row's points (real part) and logit (imaginary part) build up together, so one
        # gather and one addition per characteristic serve both sums. Complex addition adds the
        # parts separately, and points are added in characteristic order as optbinning adds
        # them, so the scores are the very floats optbinning computes.
        totals = np.zeros(n_rows, dtype=complex)
        for compiled in self._characteristics:
            name = compiled.spec.name
            if name in frame:
                positions, terms = compiled.batch_positions(frame[name])
                totals += terms.take(positions)
            else:
                totals += compiled.position_terms[compiled.missing_position]
        score = np.ascontiguousarray(totals.real)
        # 1 / (1 + exp(-(logit + intercept))), worked in place in one array.
        probability = totals.imag + self.scorecard.intercept
        np.negative(probability, out=probability)
        np.exp(probability, out=probability)
        probability += 1.0
        np.reciprocal(probability, out=probability)
        index = frame.index if isinstance(frame, pd.DataFrame) else None
        return pd.DataFrame(
            {"score": score, "probability_of_default": probability}, index=index, copy=False
        )
