"""Counter-intuitive bins: where a scorecard's observed bad rates run against the expected order.

A validator checks that each characteristic's bins rank risk the way domain knowledge says they
should, and that every exception is explained before the model is approved (SR 11-7's
"conceptual soundness"). The expected order of each characteristic, and the modeller's
rationale for keeping any exception, are data: ``risk_models/data/bin_expectations.json``.

- A numerical characteristic expects risk to rise (``ascending``) or fall (``descending``) with
  its value; each pair of neighbouring bins whose bad rates move the other way is a finding.
- A categorical characteristic expects an order of category groups, safest first (categories in
  one group are not ranked against each other; a category left out has no prior); a bin whose
  categories are all expected to be safer than all of another bin's, yet shows the higher bad
  rate, is a finding.

Every reversal is listed, however small; the rows and bad rates shown beside it say how much it
weighs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from risk_models.artifact import NUMERICAL, CompiledScorecard

__all__ = [
    "CounterIntuitiveBin",
    "Expectation",
    "ExpectationCatalogue",
    "counter_intuitive_bins",
    "load_expectations",
]


@dataclass(frozen=True)
class Expectation:
    """The expected risk order of one characteristic, and why exceptions to it are kept."""

    characteristic: str
    # "ascending" or "descending" (risk against the value), or category groups, safest first.
    expect: str | tuple[tuple[str, ...], ...]
    description: str
    rationale: str | None = None

    def rank_of(self, category: str) -> int | None:
        if isinstance(self.expect, str):
            return None
        for rank, group in enumerate(self.expect):
            if category in group:
                return rank
        return None


@dataclass(frozen=True)
class ExpectationCatalogue:
    version: str
    characteristics: Mapping[str, Expectation]


@dataclass(frozen=True)
class CounterIntuitiveBin:
    """A bin whose bad rate is above that of a bin expected to be riskier."""

    characteristic: str
    bin: str
    rows: int
    bad_rate: float
    riskier_bin: str
    riskier_rows: int
    riskier_bad_rate: float
    expectation: str
    rationale: str | None = None


def load_expectations(text: str | bytes | None = None) -> ExpectationCatalogue:
    """The catalogue from ``text``, or the bundled ``bin_expectations.json``."""
    if text is None:
        text = resources.files("risk_models").joinpath("data/bin_expectations.json").read_bytes()
    data = json.loads(text)
    characteristics = {}
    for name, entry in data["characteristics"].items():
        expect = entry["expect"]
        if isinstance(expect, str):
            if expect not in ("ascending", "descending"):
                raise ValueError(f"{name}: expect must be ascending, descending or groups")
        else:
            expect = tuple(tuple(str(c) for c in group) for group in expect)
        characteristics[name] = Expectation(name, expect, str(entry["description"]),
                                            entry.get("rationale"))
    return ExpectationCatalogue(str(data["version"]), characteristics)


def counter_intuitive_bins(compiled: CompiledScorecard,
                           binning_tables: Mapping[str, Sequence[Mapping[str, Any]]],
                           catalogue: ExpectationCatalogue) -> list[CounterIntuitiveBin]:
    """Every counter-intuitive bin of the scorecard's characteristics that have an expectation.

    Parameters
    ----------
    compiled : CompiledScorecard
        Which categories each bin holds (bin labels alone cannot say: categories contain commas).
    binning_tables : mapping
        Per characteristic, the training rows of each bin (``count``, ``event_rate``), in the
        compiled bins' order, as :func:`risk_models.compilation.binning_tables` writes them.
    catalogue : ExpectationCatalogue
    """
    findings: list[CounterIntuitiveBin] = []
    for characteristic in compiled.characteristics:
        expectation = catalogue.characteristics.get(characteristic.name)
        table = binning_tables.get(characteristic.name)
        if expectation is None or not table:
            continue
        regular = [(b, row) for b, row in zip(characteristic.bins, table, strict=True)
                   if b.kind == "regular" and int(row["count"]) > 0]
        if characteristic.kind == NUMERICAL:
            pairs = _numeric_pairs(regular, expectation)
        else:
            pairs = _category_pairs(regular, expectation)
        for (safer, safer_row), (riskier, riskier_row) in pairs:
            if float(safer_row["event_rate"]) > float(riskier_row["event_rate"]):
                findings.append(CounterIntuitiveBin(
                    characteristic.name, safer.label, int(safer_row["count"]),
                    float(safer_row["event_rate"]), riskier.label, int(riskier_row["count"]),
                    float(riskier_row["event_rate"]), expectation.description,
                    expectation.rationale))
    return findings


def _numeric_pairs(regular: list[Any], expectation: Expectation) -> list[tuple[Any, Any]]:
    """(expected safer, expected riskier) neighbours: bins run from the lowest value up."""
    if not isinstance(expectation.expect, str):
        return []
    neighbours = list(zip(regular, regular[1:], strict=False))
    if expectation.expect == "ascending":
        return neighbours
    return [(upper, lower) for lower, upper in neighbours]


def _category_pairs(regular: list[Any], expectation: Expectation) -> list[tuple[Any, Any]]:
    ranked: list[tuple[int, int, Any]] = []
    for b, row in regular:
        ranks = [rank for c in b.categories if (rank := expectation.rank_of(c)) is not None]
        # A bin holding any category without a prior cannot be placed in the order.
        if ranks and len(ranks) == len(b.categories):
            ranked.append((min(ranks), max(ranks), (b, row)))
    return [(safer, riskier)
            for low_a, high_a, safer in ranked
            for low_b, _, riskier in ranked
            if high_a < low_b]
