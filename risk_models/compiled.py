"""The compiled scorecard: the deployable JSON artifact and the plain-Python scorer that reads it.

Nothing here needs optbinning at scoring time, and nothing is ever unpickled.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

try:
    # The hash table behind ``Index.get_indexer`` on object data. Called directly it skips the
    # dtype inference ``get_indexer`` first runs over every row, a third of a text column's cost.
    from pandas._libs.hashtable import PyObjectHashTable as _ObjectHashTable
except ImportError:  # pragma: no cover - only if pandas moves its internals
    _ObjectHashTable = None

FORMAT_NAME = "riskdesk.compiled-scorecard"
FORMAT_VERSION = 1
NUMERICAL = "numerical"
CATEGORICAL = "categorical"
REGULAR, SPECIAL, MISSING = "regular", "special", "missing"
# Rows sampled from a large text column to find the string objects it uses for each category.
KEY_SAMPLE_ROWS = 1024


def format_number(value: float) -> str:
    """A bin edge as a reader expects it: ``12`` rather than ``12.0``, ``3913.5`` kept."""
    return format(value, ".10g")


def interval_label(lower: float | None, upper: float | None) -> str:
    """Label of the numerical bin ``[lower, upper)``; ``None`` means unbounded."""
    if lower is None and upper is None:
        return "all values"
    if lower is None:
        return f"< {format_number(upper)}"
    if upper is None:
        return f">= {format_number(lower)}"
    return f"[{format_number(lower)}, {format_number(upper)})"


def canonical_json(payload: Any) -> bytes:
    """Serialise ``payload`` to canonical JSON bytes (sorted keys, no spaces, UTF-8).

    Floats use Python's shortest round-trip ``repr``, so equal values always give equal bytes.
    NaN and infinity are refused because they are not JSON.
    """
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


@dataclass(frozen=True)
class ScoreScaling:
    """PDO scaling: ``base_score`` points at ``base_odds``:1 good:bad odds, ``pdo`` to double them.

    Under optbinning's ``pdo_odds`` method the total score is
    ``offset - factor * logit``, where ``logit = log(PD / (1 - PD))`` is the estimator's
    decision function, ``factor = pdo / ln 2`` and ``offset = base_score - factor * ln(base_odds)``.
    """

    base_score: float
    base_odds: float
    pdo: float

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def probability_of_default(self, score: float) -> float:
        """Invert the scaling: the PD of a total score (exact for an unrounded score)."""
        log_odds_good = (score - self.offset) / self.factor
        return 1.0 / (1.0 + math.exp(log_odds_good))

    def score_for_probability(self, probability_of_default: float) -> float:
        """The total score whose PD is ``probability_of_default``."""
        pd_ = probability_of_default
        return self.offset + self.factor * math.log((1.0 - pd_) / pd_)


@dataclass(frozen=True)
class ScorecardBin:
    """One attribute (bin) of a characteristic and the points it earns.

    Numerical bins cover ``[lower, upper)``; categorical bins hold a set of ``categories``.
    ``kind`` is ``regular``, ``special`` or ``missing``.
    """

    label: str
    points: float
    woe: float
    kind: str = REGULAR
    lower: float | None = None
    upper: float | None = None
    categories: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "label": self.label,
            "points": self.points,
            "woe": self.woe,
            "kind": self.kind,
        }
        if self.categories:
            data["categories"] = list(self.categories)
        if self.lower is not None:
            data["lower"] = self.lower
        if self.upper is not None:
            data["upper"] = self.upper
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScorecardBin:
        return cls(
            label=str(data["label"]),
            points=float(data["points"]),
            woe=float(data["woe"]),
            kind=str(data["kind"]),
            lower=_optional_float(data.get("lower")),
            upper=_optional_float(data.get("upper")),
            categories=tuple(str(c) for c in data.get("categories", ())),
        )


@dataclass(frozen=True)
class Characteristic:
    """A scored characteristic: its bins in order (regular bins, then Special, then Missing).

    ``splits`` are the numerical cut points (``bisect_right`` gives the regular bin index).
    A category never seen in training is scored in the Missing bin, as optbinning's
    ``Scorecard.score`` does (it maps an unknown category to the last bin, Missing).
    """

    name: str
    kind: str
    coefficient: float
    bins: tuple[ScorecardBin, ...]
    splits: tuple[float, ...] = ()
    special_codes: tuple[Any, ...] = ()

    @property
    def regular_bins(self) -> tuple[ScorecardBin, ...]:
        return tuple(b for b in self.bins if b.kind == REGULAR)

    @property
    def special_index(self) -> int:
        return len(self.bins) - 2

    @property
    def missing_index(self) -> int:
        return len(self.bins) - 1

    @property
    def best_points(self) -> float:
        """The most points any real value can earn: the maximum over the regular bins."""
        return max(b.points for b in self.regular_bins)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "coefficient": self.coefficient,
            "splits": list(self.splits),
            "special_codes": list(self.special_codes),
            "best_points": self.best_points,
            "unseen_category_bin": MISSING,
            "bins": [b.to_dict() for b in self.bins],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Characteristic:
        kind = str(data["kind"])
        if kind not in (NUMERICAL, CATEGORICAL):
            raise ValueError(f"unknown characteristic kind {kind!r}")
        return cls(
            name=str(data["name"]),
            kind=kind,
            coefficient=float(data["coefficient"]),
            bins=tuple(ScorecardBin.from_dict(b) for b in data["bins"]),
            splits=tuple(float(s) for s in data.get("splits", ())),
            special_codes=tuple(data.get("special_codes", ())),
        )


@dataclass(frozen=True)
class CompiledScorecard:
    """The deployable scorecard: characteristics, estimator intercept, scaling and metadata.

    ``metadata`` holds ``features``, ``params``, ``data_sha256``, ``trained_at`` (ISO 8601 UTC),
    ``target`` and ``bad_value``; it is part of the hashed bytes.
    """

    characteristics: tuple[Characteristic, ...]
    intercept: float
    scaling: ScoreScaling
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return [c.name for c in self.characteristics]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "intercept": self.intercept,
            "scaling": {
                "base_score": self.scaling.base_score,
                "base_odds": self.scaling.base_odds,
                "pdo": self.scaling.pdo,
                "factor": self.scaling.factor,
                "offset": self.scaling.offset,
            },
            "characteristics": [c.to_dict() for c in self.characteristics],
            "metadata": dict(self.metadata),
        }

    def to_json(self) -> bytes:
        """Canonical JSON bytes of the artifact: the bytes that ``artifact_sha256`` hashes."""
        return canonical_json(self.to_dict())

    @property
    def artifact_sha256(self) -> str:
        return hashlib.sha256(self.to_json()).hexdigest()

    @classmethod
    def from_json(cls, raw: bytes | str) -> CompiledScorecard:
        """Load an artifact from JSON (plain ``json.loads``: nothing is unpickled)."""
        return cls.from_dict(json.loads(raw))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompiledScorecard:
        if data.get("format") != FORMAT_NAME or data.get("format_version") != FORMAT_VERSION:
            raise ValueError("not a riskdesk compiled scorecard (format or version mismatch)")
        scaling = data["scaling"]
        return cls(
            characteristics=tuple(Characteristic.from_dict(c) for c in data["characteristics"]),
            intercept=float(data["intercept"]),
            scaling=ScoreScaling(
                base_score=float(scaling["base_score"]),
                base_odds=float(scaling["base_odds"]),
                pdo=float(scaling["pdo"]),
            ),
            metadata=dict(data.get("metadata", {})),
        )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


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
