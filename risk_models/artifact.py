"""The compiled scorecard's artifact: its data model and canonical JSON format.

Plain data that loads with ``json.loads``: nothing needs optbinning, nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT_NAME = "riskdesk.compiled-scorecard"
FORMAT_VERSION = 1
NUMERICAL = "numerical"
CATEGORICAL = "categorical"
REGULAR, SPECIAL, MISSING = "regular", "special", "missing"


def format_number(value: float) -> str:
    """A bin edge as a reader expects it: ``12`` rather than ``12.0``, ``3913.5`` kept."""
    return format(value, ".10g")


def interval_label(lower: float | None, upper: float | None) -> str:
    """Label of the numerical bin ``[lower, upper)``; ``None`` means unbounded."""
    if lower is None:
        return "all values" if upper is None else f"< {format_number(upper)}"
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
    ``target``, ``bad_value``, ``protected`` and ``trends`` (per numerical characteristic, the
    shape of its bad rate across its bins: ascending, descending, peak or valley); it is part
    of the hashed bytes.
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
