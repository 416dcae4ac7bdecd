"""Drift of a scorecard in use: the monitoring baseline recorded with it at training, and the
PSI of the score and CSI of each characteristic of live counts against that baseline.

The figures are optbinning's ``ScorecardMonitoring`` figures (see
:mod:`risk_models.stability`), reproduced from counts alone so that a check of any number of
live applications needs one grouped query rather than re-scoring them:

- the score is binned at the split points a CART tree finds on the development sample's scores
  (at most :data:`~risk_models.stability.PSI_BINS` bins, each with at least 5 % of it), a score
  falling in ``(splits[i - 1], splits[i]]``;
- each characteristic is binned by its scorecard bins, with Special and Missing values counted
  in the first bin (``ScorecardMonitoring`` reads bin indices with optbinning's default
  ``metric_special=0, metric_missing=0``), and only the bins up to the last one the development
  sample fills are compared;
- an index is ``sum((a - e) * ln(a / e))`` over the bins' shares ``a`` (live) and ``e``
  (development): a bin empty on one side only makes it infinite; a bin empty on both sides adds
  nothing to a characteristic's index.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from optbinning import Scorecard
from optbinning.binning.prebinning import PreBinning
from scipy import special

from risk_models.artifact import REGULAR, CompiledScorecard, format_number
from risk_models.policy import StabilityRules
from risk_models.stability import PSI_BINS

__all__ = [
    "ACT",
    "BASELINE_FORMAT",
    "MIN_LIVE_ROWS",
    "PSI_MIN_BIN_SIZE",
    "STABLE",
    "TOO_FEW",
    "WARN",
    "CharacteristicBaseline",
    "Crossing",
    "DriftAssessment",
    "MonitoringBaseline",
    "StabilityIndex",
    "assess",
    "drift_level",
    "monitoring_baseline",
    "score_bin_indices",
    "stability_index",
]

BASELINE_FORMAT = 1
# ScorecardMonitoring's default least share of the development sample in a score bin, which
# risk_models.stability keeps.
PSI_MIN_BIN_SIZE = 0.05
# Below this many live applications in a window the shares are too noisy to judge: a check
# says so (level too_few) and raises nothing.
MIN_LIVE_ROWS = 100
STABLE, WARN, ACT, TOO_FEW = "stable", "warn", "act", "too_few"
SCORE = "score"


@dataclass(frozen=True)
class CharacteristicBaseline:
    """Development counts of one characteristic, one per compiled scorecard bin (regular bins,
    then Special, then Missing: :class:`risk_models.artifact.Characteristic` order)."""

    name: str
    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    counts: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "labels": list(self.labels), "kinds": list(self.kinds),
                "counts": list(self.counts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CharacteristicBaseline:
        return cls(name=str(data["name"]), labels=tuple(str(x) for x in data["labels"]),
                   kinds=tuple(str(x) for x in data["kinds"]),
                   counts=tuple(int(x) for x in data["counts"]))


@dataclass(frozen=True)
class MonitoringBaseline:
    """What a drift check compares live applications with: the development sample's score bin
    split points and counts, and its counts per bin of each characteristic."""

    development_rows: int
    score_splits: tuple[float, ...]
    score_counts: tuple[int, ...]
    characteristics: tuple[CharacteristicBaseline, ...]

    @property
    def score_labels(self) -> list[str]:
        """``<= a``, ``(a, b]``, ..., ``> z``: the score bins, closed on the right."""
        edges = [format_number(s) for s in self.score_splits]
        if not edges:
            return ["all scores"]
        middle = [f"({low}, {high}]" for low, high in zip(edges, edges[1:], strict=False)]
        return [f"<= {edges[0]}", *middle, f"> {edges[-1]}"]

    def characteristic(self, name: str) -> CharacteristicBaseline | None:
        return next((c for c in self.characteristics if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": BASELINE_FORMAT,
            "method": {"psi_method": "cart", "psi_n_bins": PSI_BINS,
                       "psi_min_bin_size": PSI_MIN_BIN_SIZE},
            "development_rows": self.development_rows,
            "score": {"splits": list(self.score_splits), "counts": list(self.score_counts)},
            "characteristics": [c.to_dict() for c in self.characteristics],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitoringBaseline:
        if data.get("format") != BASELINE_FORMAT:
            raise ValueError(f"unknown monitoring baseline format {data.get('format')!r}")
        return cls(
            development_rows=int(data["development_rows"]),
            score_splits=tuple(float(s) for s in data["score"]["splits"]),
            score_counts=tuple(int(c) for c in data["score"]["counts"]),
            characteristics=tuple(CharacteristicBaseline.from_dict(c)
                                  for c in data["characteristics"]),
        )


def score_bin_indices(scores: np.ndarray, splits: Sequence[float]) -> np.ndarray:
    """The score bin of each score: ``i`` for ``splits[i - 1] < score <= splits[i]``."""
    return np.digitize(np.asarray(scores, dtype=float), np.asarray(splits, dtype=float),
                       right=True)


def monitoring_baseline(scorecard: Scorecard, compiled: CompiledScorecard,
                        development: pd.DataFrame, y_development: np.ndarray,
                        ) -> MonitoringBaseline:
    """The monitoring baseline of a fitted scorecard on its development sample.

    Parameters
    ----------
    scorecard : optbinning.Scorecard
        Fitted on ``development``.
    compiled : CompiledScorecard
        ``scorecard`` compiled: its characteristics and bin order are the baseline's.
    development : pandas.DataFrame
        The characteristics of the development sample.
    y_development : array of 0/1
        Its outcomes (the score's CART bins are fitted to them, as ``ScorecardMonitoring``
        fits them).

    Returns
    -------
    MonitoringBaseline
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="optbinning")
        scores = scorecard.score(development)
    y = np.asarray(y_development)
    # ScorecardMonitoring's own step (_fit_system): a CART pre-binning of the scores.
    splits = PreBinning(problem_type="classification", method="cart", n_bins=PSI_BINS,
                        min_bin_size=PSI_MIN_BIN_SIZE).fit(scores, y).splits
    score_counts = np.bincount(score_bin_indices(scores, splits), minlength=len(splits) + 1)
    process = scorecard.binning_process_
    characteristics = []
    for spec in compiled.characteristics:
        optb = process.get_binned_variable(spec.name)
        # "empirical" puts Special and Missing in bins of their own, after the regular bins:
        # the compiled scorecard's order. (The index comparison folds them into the first bin.)
        indices = np.asarray(optb.transform(development[spec.name], metric="indices",
                                            metric_special="empirical",
                                            metric_missing="empirical"))
        if indices.min() < 0 or indices.max() >= len(spec.bins):
            raise ValueError(f"{spec.name}: development bins do not match the compiled bins")
        counts = np.bincount(indices, minlength=len(spec.bins))
        characteristics.append(CharacteristicBaseline(
            name=spec.name, labels=tuple(b.label for b in spec.bins),
            kinds=tuple(b.kind for b in spec.bins), counts=tuple(int(c) for c in counts)))
    return MonitoringBaseline(
        development_rows=len(development),
        score_splits=tuple(float(s) for s in splits),
        score_counts=tuple(int(c) for c in score_counts),
        characteristics=tuple(characteristics))


@dataclass(frozen=True)
class StabilityIndex:
    """A PSI or CSI and its terms, one per bin compared."""

    value: float  # may be infinite: a bin empty on one side only
    contributions: tuple[float, ...]  # NaN for a bin empty on both sides
    development_shares: tuple[float, ...]
    live_shares: tuple[float, ...]

    @property
    def finite(self) -> bool:
        return math.isfinite(self.value)


def stability_index(development_counts: Sequence[int] | np.ndarray,
                    live_counts: Sequence[int] | np.ndarray) -> StabilityIndex:
    """``sum((a - e) * ln(a / e))`` over the shares of two count vectors of the same bins.

    Computed as optbinning's ``jeffrey`` divergence computes it (``xlogy(a - e, a / e)``), so the
    figures agree to the last bit; a bin empty on both sides counts as nothing, as the sum over a
    characteristic's bins in ``psi_variable_table`` skips it.

    Raises
    ------
    ValueError
        If either side has no rows, or the vectors differ in length.
    """
    expected = np.asarray(development_counts, dtype=np.int64)
    actual = np.asarray(live_counts, dtype=np.int64)
    if expected.shape != actual.shape:
        raise ValueError("the two count vectors must cover the same bins")
    if expected.sum() == 0 or actual.sum() == 0:
        raise ValueError("a stability index needs rows on both sides")
    share_e = expected / expected.sum()
    share_a = actual / actual.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = special.xlogy(share_a - share_e, share_a / share_e)
    return StabilityIndex(value=float(np.nansum(terms)),
                          contributions=tuple(float(t) for t in terms),
                          development_shares=tuple(float(s) for s in share_e),
                          live_shares=tuple(float(s) for s in share_a))


def _compared_counts(baseline: CharacteristicBaseline, live: Sequence[int],
                     ) -> tuple[np.ndarray, np.ndarray, int]:
    """The development and live counts of the bins ``ScorecardMonitoring`` compares, and how
    many live rows fall outside them.

    It reads Special and Missing as the first bin, and compares the bins up to the last one
    the development sample fills.
    """
    regular = [i for i, kind in enumerate(baseline.kinds) if kind == REGULAR]
    folded = [i for i, kind in enumerate(baseline.kinds) if kind != REGULAR]
    development = np.array([baseline.counts[i] for i in regular], dtype=np.int64)
    live_counts = np.array([live[i] for i in regular], dtype=np.int64)
    development[0] += sum(baseline.counts[i] for i in folded)
    live_counts[0] += sum(live[i] for i in folded)
    filled = np.flatnonzero(development)
    compared = int(filled[-1]) + 1 if len(filled) else 0
    outside = int(live_counts[compared:].sum())
    return development[:compared], live_counts[:compared], outside


@dataclass(frozen=True)
class Crossing:
    """A figure at or above a threshold: the metric (``score`` or a characteristic), its value
    (``inf`` when infinite) and the threshold it reached (the act threshold when both)."""

    metric: str
    value: float
    threshold: float
    level: str

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": _json_number(self.value),
                "threshold": self.threshold, "level": self.level}


def drift_level(values: Iterable[float], rules: StabilityRules) -> str:
    """``act`` if any value reaches ``rules.act``, else ``warn`` if any reaches ``rules.warn``,
    else ``stable`` (optbinning's report bins a PSI the same way: [0, 0.1), [0.1, 0.25),
    [0.25, inf))."""
    worst = max(values, default=0.0)
    return ACT if worst >= rules.act else WARN if worst >= rules.warn else STABLE


@dataclass(frozen=True)
class DriftAssessment:
    """The outcome of comparing a window's live counts with a model's baseline."""

    level: str
    live_rows: int
    score_psi: float | None  # None: too few live rows to judge
    worst_csi: float | None
    crossings: tuple[Crossing, ...]
    rules: StabilityRules
    detail: dict[str, Any]  # JSON-safe: per score bin and per characteristic rows


def assess(baseline: MonitoringBaseline, live_score_counts: Sequence[int],
           live_characteristic_counts: Mapping[str, Mapping[int, int]],
           rules: StabilityRules, *, min_live_rows: int = MIN_LIVE_ROWS) -> DriftAssessment:
    """Compare live counts with ``baseline`` under ``rules``.

    Parameters
    ----------
    baseline : MonitoringBaseline
    live_score_counts : sequence of int
        Live applications per score bin of ``baseline`` (:func:`score_bin_indices`).
    live_characteristic_counts : mapping
        Per characteristic, live applications per compiled bin index; a characteristic or a
        bin left out counted none.
    rules : StabilityRules
        The warn and act thresholds.
    min_live_rows : int
        Fewer live applications than this is level ``too_few``: no index is computed.

    Returns
    -------
    DriftAssessment
    """
    live_rows = int(sum(live_score_counts))
    enough = live_rows >= min_live_rows
    if len(live_score_counts) != len(baseline.score_counts):
        raise ValueError("live score counts must cover the baseline's score bins")
    score_index = (stability_index(baseline.score_counts, live_score_counts) if enough
                   else None)
    score_rows = _score_rows(baseline, live_score_counts, score_index)
    csi: dict[str, float] = {}
    characteristic_rows = []
    for spec in baseline.characteristics:
        index, row = _characteristic(spec, live_characteristic_counts.get(spec.name, {}),
                                     enough)
        if index is not None:
            csi[spec.name] = index.value
        characteristic_rows.append(row)
    figures = {SCORE: score_index.value} if score_index is not None else {}
    figures.update(csi)
    crossings = tuple(Crossing(metric, value, rules.act if value >= rules.act else rules.warn,
                               ACT if value >= rules.act else WARN)
                      for metric, value in figures.items() if value >= rules.warn)
    detail = {
        "development_rows": baseline.development_rows,
        "live_rows": live_rows,
        "min_live_rows": min_live_rows,
        "thresholds": rules.to_dict(),
        "score": {"psi": None if score_index is None else _json_number(score_index.value),
                  "infinite": score_index is not None and not score_index.finite,
                  "splits": list(baseline.score_splits), "bins": score_rows},
        "characteristics": characteristic_rows,
    }
    return DriftAssessment(
        level=drift_level(figures.values(), rules) if enough else TOO_FEW, live_rows=live_rows,
        score_psi=None if score_index is None else score_index.value,
        worst_csi=max(csi.values()) if csi else None,
        crossings=crossings if enough else (), rules=rules, detail=detail)


def _characteristic(spec: CharacteristicBaseline, counts: Mapping[int, int], enough: bool,
                    ) -> tuple[StabilityIndex | None, dict[str, Any]]:
    """One characteristic's CSI (None when not computed) and its JSON-safe row."""
    live = [int(counts.get(i, 0)) for i in range(len(spec.counts))]
    # Bin indices the baseline does not have (another artifact's) are counted, not compared.
    unknown_bins = sum(int(n) for i, n in counts.items() if not 0 <= i < len(spec.counts))
    development, live_compared, outside = _compared_counts(spec, live)
    index = (stability_index(development, live_compared)
             if enough and development.sum() > 0 and live_compared.sum() > 0 else None)
    return index, {
        "name": spec.name, "csi": None if index is None else _json_number(index.value),
        "infinite": index is not None and not index.finite,
        "live_rows": int(sum(live)) + unknown_bins,
        "live_rows_not_compared": outside + unknown_bins,
        "bins": [{"bin": label, "kind": kind, "development_count": dev, "live_count": n,
                  "psi": _contribution(index, i) if kind == REGULAR else None}
                 for i, (label, kind, dev, n)
                 in enumerate(zip(spec.labels, spec.kinds, spec.counts, live, strict=True))],
    }


def _score_rows(baseline: MonitoringBaseline, live: Sequence[int],
                index: StabilityIndex | None) -> list[dict[str, Any]]:
    return [{"bin": label, "development_count": dev, "live_count": int(n),
             "psi": _contribution(index, i)}
            for i, (label, dev, n)
            in enumerate(zip(baseline.score_labels, baseline.score_counts, live, strict=True))]


def _contribution(index: StabilityIndex | None, position: int) -> float | None:
    if index is None or position >= len(index.contributions):
        return None
    term = index.contributions[position]
    return 0.0 if math.isnan(term) else _json_number(term)


def _json_number(value: float) -> float | None:
    """A figure as JSON carries it: an infinite index has no JSON number, so it is null (and
    flagged ``infinite`` beside it)."""
    return value if math.isfinite(value) else None
