"""Principal reasons for an adverse outcome, with stable codes and applicant-specific statements.

Statements live in one editable table, ``risk_models/data/reason_statements.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from risk_models.compiled import (
    CATEGORICAL,
    MISSING,
    SPECIAL,
    CharacteristicScore,
    ScorecardBin,
    ScoreResult,
    format_number,
)

MAX_PRINCIPAL_REASONS = 4
# Points differences below this are floating-point noise, not a reason.
POINTS_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Reason:
    """One principal reason: a stable code and a statement tied to the applicant's own bin.

    ``kind`` is ``"score"`` (points lost on a characteristic) or ``"knockout"`` (a policy rule).
    """

    code: str
    statement: str
    kind: str
    characteristic: str | None = None
    bin_label: str | None = None
    points: float | None = None
    points_below_best: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Statement:
    code: str
    text: str
    specific: bool


class ReasonCatalog:
    """The reason statement table: per characteristic and bin, and per knock-out rule.

    Parameters
    ----------
    table : mapping
        The parsed ``reason_statements.json``.
    """

    def __init__(self, table: Mapping[str, Any]):
        self.table = table
        self.version = str(table["version"])
        self._characteristics: Mapping[str, Any] = table["characteristics"]
        self._knockouts: Mapping[str, str] = table["knockouts"]

    @classmethod
    def bundled(cls) -> ReasonCatalog:
        """The statements shipped with riskdesk (read once: every decision asks for them)."""
        return _bundled_catalog()

    @classmethod
    def _read_bundled(cls) -> ReasonCatalog:
        text = (
            resources.files("risk_models")
            .joinpath("data/reason_statements.json")
            .read_text(encoding="utf-8")
        )
        return cls(json.loads(text))

    def knockout_reason(self, code: str, **details: Any) -> Reason:
        """The reason of a knock-out rule; ``details`` fill the statement's placeholders."""
        return Reason(code=code, statement=self._knockouts[code].format(**details), kind="knockout")

    def statement(
        self,
        characteristic: str,
        scorecard_bin: ScorecardBin,
        bin_index: int,
        value: Any,
        kind: str,
    ) -> Statement:
        """The statement for ``value`` falling in ``scorecard_bin`` of ``characteristic``.

        Looked up by the applicant's category (categorical) or value (discrete numerical),
        else worded from the bin's range; ``specific`` is False for the templated fallback.
        """
        entry = self._characteristics.get(characteristic, {})
        prefix = entry.get("code") or "RC-" + characteristic.upper().replace("_", "-")
        title = entry.get("title") or characteristic.replace("_", " ").capitalize()
        if scorecard_bin.kind == MISSING:
            text = entry.get("missing")
            return Statement(
                f"{prefix}-MS",
                text or self.table["missing_fallback"].format(title=title),
                text is not None,
            )
        if scorecard_bin.kind == SPECIAL:
            text = entry.get("special")
            return Statement(
                f"{prefix}-SP",
                text or self.table["special_fallback"].format(title=title, bin=value),
                text is not None,
            )
        keyed = self._keyed_statement(entry, value, kind)
        if keyed is not None:
            return keyed
        ranges = entry.get("ranges")
        if kind != CATEGORICAL and ranges:
            text = _range_statement(ranges, scorecard_bin, bool(entry.get("integer")))
            return Statement(f"{prefix}-{bin_index + 1:02d}", text, True)
        shown = value if kind == CATEGORICAL else scorecard_bin.label
        return Statement(
            f"{prefix}-{bin_index + 1:02d}",
            self.table["fallback"].format(title=title, bin=shown),
            False,
        )

    @staticmethod
    def _keyed_statement(entry: Mapping[str, Any], value: Any, kind: str) -> Statement | None:
        if kind == CATEGORICAL:
            found = entry.get("categories", {}).get(str(value))
        else:
            found = entry.get("values", {}).get(_value_key(value))
        if found is None:
            return None
        return Statement(found["code"], found["statement"], True)


def _value_key(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else format_number(number)


def _range_statement(ranges: Mapping[str, str], scorecard_bin: ScorecardBin, integer: bool) -> str:
    lower, upper = scorecard_bin.lower, scorecard_bin.upper
    if integer:
        # An integer characteristic in [a, b) takes the values ceil(a) .. ceil(b) - 1.
        lower = None if lower is None else math.ceil(lower)
        upper = None if upper is None else math.ceil(upper) - 1
    shown_lower = None if lower is None else format_number(lower)
    shown_upper = None if upper is None else format_number(upper)
    if lower is None and upper is None:
        return ranges["all"]
    if lower is None:
        return ranges["below"].format(upper=shown_upper)
    if upper is None:
        return ranges["at_least"].format(lower=shown_lower)
    return ranges["between"].format(lower=shown_lower, upper=shown_upper)


def score_reason(scored: CharacteristicScore, catalog: ReasonCatalog) -> Reason:
    """The reason for the points ``scored`` lost against its characteristic's best bin."""
    statement = catalog.statement(
        scored.characteristic, scored.scorecard_bin, scored.bin_index, scored.value, scored.kind
    )
    return Reason(
        code=statement.code,
        statement=statement.text,
        kind="score",
        characteristic=scored.characteristic,
        bin_label=scored.bin_label,
        points=scored.points,
        points_below_best=scored.points_below_best,
    )


def principal_reasons(
    result: ScoreResult, catalog: ReasonCatalog, limit: int = MAX_PRINCIPAL_REASONS
) -> list[Reason]:
    """Up to ``limit`` characteristics that cost the most points against their best bins.

    Ties (to 1e-9 points) are broken by characteristic name, so the same applicant always gets
    the same list. Characteristics already in their best bin are never reasons.
    """
    losing = [c for c in result.breakdown if c.points_below_best > POINTS_TOLERANCE]
    losing.sort(key=lambda c: (-round(c.points_below_best, 9), c.characteristic))
    return [score_reason(c, catalog) for c in losing[:limit]]


@cache
def _bundled_catalog() -> ReasonCatalog:
    return ReasonCatalog._read_bundled()
