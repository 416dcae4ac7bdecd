"""Principal reasons for an adverse outcome, with stable codes and applicant-specific statements.

Statements live in one editable table, ``risk_models/data/reason_statements.json``: per
characteristic and bin, per knock-out rule, and the reasons underwriters give.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from risk_models.artifact import (
    CATEGORICAL,
    MISSING,
    SPECIAL,
    ScorecardBin,
    format_number,
)
from risk_models.policy import DEFAULT_CURRENCIES, CurrencyRule, Policy
from risk_models.scorer import CharacteristicScore, ScoreResult

if TYPE_CHECKING:
    from risk_models.artifact import Characteristic, CompiledScorecard

MAX_PRINCIPAL_REASONS = 4
# Points differences below this are floating-point noise, not a reason.
POINTS_TOLERANCE = 1e-9
# Bin edges in money are shown to this many significant figures, rounded outwards.
MONEY_SIGNIFICANT_FIGURES = 2
DEFAULT_CURRENCY = "EUR"
# Knock-out details shown as a percentage when given as a fraction.
_PERCENT_DETAILS = frozenset({"cap"})


def format_money(amount: Decimal, currency: str) -> str:
    """``1,234 EUR``; cents are shown only when there are any (``1,234.50 EUR``)."""
    if amount == amount.to_integral_value():
        return f"{amount.to_integral_value():,} {currency}"
    return f"{amount.quantize(Decimal('0.01')):,} {currency}"


@dataclass(frozen=True)
class MoneyContext:
    """The applicant's currency and its policy rule: how a statement shows money.

    Amounts in the model's unit are converted at ``rule.to_model_unit``; the balance thresholds
    quoted are the rule's own, the ones the features classified the balances against.
    """

    currency: str
    rule: CurrencyRule

    @classmethod
    def of(cls, policy: Policy, currency: str) -> MoneyContext:
        """The context of an application in ``currency`` decided under ``policy``."""
        return cls(currency, policy.currencies[currency])

    @classmethod
    def default(cls) -> MoneyContext:
        """EUR under the default policy's rule."""
        return cls(DEFAULT_CURRENCY, DEFAULT_CURRENCIES[DEFAULT_CURRENCY])

    def from_model_unit(self, amount: float) -> Decimal:
        """``amount`` in the model's unit, in this currency (unrounded)."""
        return Decimal(repr(float(amount))) / self.rule.to_model_unit

    def format(self, amount: Decimal) -> str:
        """``amount`` in this currency, as :func:`format_money` shows it."""
        return format_money(amount, self.currency)

    def thresholds(self) -> dict[str, str]:
        """The balance thresholds statements quote, by placeholder name."""
        low, mid, high = self.rule.savings_thresholds
        return {
            "checking_threshold": self.format(self.rule.checking_threshold),
            "savings_low": self.format(low),
            "savings_mid": self.format(mid),
            "savings_high": self.format(high),
        }


@dataclass(frozen=True)
class Reason:
    """One principal reason: a stable code and a statement tied to the applicant's own bin.

    ``kind`` is ``"score"`` (points lost on a characteristic), ``"knockout"`` (a policy rule)
    or ``"underwriter"`` (a reason an underwriter gave).
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
    """A statement for one bin; ``adverse`` is False where the catalogue marks the category
    favourable in ordinary meaning (it is then never given as a reason)."""

    code: str
    text: str
    specific: bool
    adverse: bool = True


class ReasonCatalog:
    """The reason statement table: per characteristic and bin, per knock-out rule, and the
    underwriters' reasons.

    Parameters
    ----------
    table : mapping
        The parsed ``reason_statements.json``.
    """

    def __init__(self, table: Mapping[str, Any]):
        self.table = table
        self.version = str(table["version"])
        self._characteristics: Mapping[str, Any] = table["characteristics"]
        self._knockouts: Mapping[str, str | list[str]] = table["knockouts"]
        self._underwriter: Mapping[str, str] = table.get("underwriter", {})

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
        """The reason of a knock-out rule; ``details`` fill the statement's placeholders.

        A rule may have several statements, most detailed first: the first whose placeholders
        all have a (non-``None``) detail is used. ``Decimal`` details are amounts in the
        ``currency`` detail, except ``cap`` (a fraction, shown as a percentage).
        """
        templates = self._knockouts[code]
        candidates = [templates] if isinstance(templates, str) else list(templates)
        shown = _shown_details(details)
        for template in candidates:
            if _placeholders(template) <= shown.keys():
                return Reason(code=code, statement=template.format(**shown), kind="knockout")
        raise KeyError(f"knock-out {code} needs details {sorted(_placeholders(candidates[-1]))}")

    def underwriter_codes(self) -> tuple[str, ...]:
        """The codes of the reasons an underwriter can give, sorted."""
        return tuple(sorted(self._underwriter))

    def underwriter_reason(self, code: str) -> Reason:
        """The reason an underwriter gives by ``code``; ``KeyError`` for an unknown code."""
        if code not in self._underwriter:
            raise KeyError(f"unknown underwriter reason {code!r}")
        return Reason(code=code, statement=self._underwriter[code], kind="underwriter")

    def statement(
        self,
        characteristic: str,
        scorecard_bin: ScorecardBin,
        bin_index: int,
        value: Any,
        kind: str,
        *,
        money: MoneyContext,
    ) -> Statement:
        """The statement for ``value`` falling in ``scorecard_bin`` of ``characteristic``.

        Looked up by the applicant's category (categorical) or value (discrete numerical),
        else worded from the bin's range, with money in ``money.currency``; ``specific`` is
        False for the templated fallback.
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
        keyed = self._keyed_statement(entry, value, kind, money)
        if keyed is not None:
            return keyed
        ranges = entry.get("ranges")
        if kind != CATEGORICAL and ranges:
            text = _range_statement(ranges, scorecard_bin, entry, money)
            return Statement(f"{prefix}-{bin_index + 1:02d}", text, True)
        shown = value if kind == CATEGORICAL else scorecard_bin.label
        return Statement(
            f"{prefix}-{bin_index + 1:02d}",
            self.table["fallback"].format(title=title, bin=shown),
            False,
        )

    @staticmethod
    def _keyed_statement(
        entry: Mapping[str, Any], value: Any, kind: str, money: MoneyContext
    ) -> Statement | None:
        if kind == CATEGORICAL:
            found = entry.get("categories", {}).get(str(value))
        else:
            found = entry.get("values", {}).get(_value_key(value))
        if found is None:
            return None
        text = found["statement"].format(**money.thresholds())
        return Statement(found["code"], text, True, bool(found.get("adverse", True)))


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _shown_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details as a statement shows them; ``None`` values are left out."""
    currency = details.get("currency")
    shown: dict[str, Any] = {}
    for name, value in details.items():
        if value is None:
            continue
        if name in _PERCENT_DETAILS and isinstance(value, Decimal | float):
            shown[name] = f"{(Decimal(str(value)) * 100).normalize():f}%"
        elif isinstance(value, Decimal) and currency:
            shown[name] = format_money(value, str(currency))
        else:
            shown[name] = value
    return shown


def _value_key(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else format_number(number)


def round_outwards(
    amount: Decimal, *, up: bool, figures: int = MONEY_SIGNIFICANT_FIGURES
) -> Decimal:
    """``amount`` to ``figures`` significant figures (whole units at least), rounded up or down.

    A range's lower bound is rounded down and its upper bound up, so a statement of the range
    stays true for every value inside it.
    """
    if amount == 0:
        return Decimal(0)
    exponent = max(amount.adjusted() - figures + 1, 0)
    step = Decimal(1).scaleb(exponent)
    rounded = (amount / step).quantize(Decimal(1), rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return (rounded * step).quantize(Decimal(1))


def _range_statement(
    ranges: Mapping[str, str], scorecard_bin: ScorecardBin, entry: Mapping[str, Any],
    money: MoneyContext,
) -> str:
    lower, upper = scorecard_bin.lower, scorecard_bin.upper
    if lower is None and upper is None:
        return ranges["all"]
    shown_lower: str | None
    shown_upper: str | None
    if entry.get("money"):
        shown_lower = None if lower is None else money.format(
            round_outwards(money.from_model_unit(lower), up=False))
        shown_upper = None if upper is None else money.format(
            round_outwards(money.from_model_unit(upper), up=True))
    else:
        if entry.get("integer"):
            # An integer characteristic in [a, b) takes the values ceil(a) .. ceil(b) - 1.
            lower = None if lower is None else math.ceil(lower)
            upper = None if upper is None else math.ceil(upper) - 1
        shown_lower = None if lower is None else format_number(lower)
        shown_upper = None if upper is None else format_number(upper)
    if lower is None:
        return ranges["below"].format(upper=shown_upper)
    if upper is None:
        return ranges["at_least"].format(lower=shown_lower)
    return ranges["between"].format(lower=shown_lower, upper=shown_upper)


def neutral_points(characteristic: Characteristic) -> float:
    """The points a bin of weight of evidence 0 (average risk) would earn.

    A characteristic's points are linear in its bins' WoE (``points = a + b * woe``); this is
    ``a``, from a least-squares line through all the bins.
    """
    woes = [b.woe for b in characteristic.bins]
    points = [b.points for b in characteristic.bins]
    mean_woe = sum(woes) / len(woes)
    mean_points = sum(points) / len(points)
    spread = sum((w - mean_woe) ** 2 for w in woes)
    if spread == 0:
        return mean_points
    slope = sum((w - mean_woe) * (p - mean_points) for w, p in zip(woes, points, strict=True))
    return mean_points - slope / spread * mean_woe


def neutral_points_of(scorecard: CompiledScorecard) -> dict[str, float]:
    """:func:`neutral_points` of every characteristic of ``scorecard``."""
    return {c.name: neutral_points(c) for c in scorecard.characteristics}


def counts_against(scored: CharacteristicScore, neutral: float | None = None) -> bool:
    """Whether the applicant's bin worked against them: points below the neutral points.

    Without ``neutral`` (no scorecard at hand) the bin's own WoE decides: below 0 is
    above-average risk, which is the same test wherever points rise with WoE, as they do on
    every characteristic of the bundled scorecard.
    """
    if neutral is None:
        return scored.scorecard_bin.woe < -POINTS_TOLERANCE
    return scored.points < neutral - POINTS_TOLERANCE


def score_reason(
    scored: CharacteristicScore, catalog: ReasonCatalog, money: MoneyContext | None = None
) -> Reason:
    """The reason for the points ``scored`` lost against its characteristic's best bin."""
    statement = _statement_of(scored, catalog, money or MoneyContext.default())
    return _reason(scored, statement)


def _statement_of(
    scored: CharacteristicScore, catalog: ReasonCatalog, money: MoneyContext
) -> Statement:
    return catalog.statement(
        scored.characteristic,
        scored.scorecard_bin,
        scored.bin_index,
        scored.value,
        scored.kind,
        money=money,
    )


def _reason(scored: CharacteristicScore, statement: Statement) -> Reason:
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
    result: ScoreResult,
    catalog: ReasonCatalog,
    limit: int = MAX_PRINCIPAL_REASONS,
    *,
    money: MoneyContext | None = None,
    scorecard: CompiledScorecard | None = None,
) -> list[Reason]:
    """Up to ``limit`` characteristics that worked against the applicant, by points lost.

    A characteristic is eligible only when the applicant's bin scored below the neutral points
    (WoE 0) of its characteristic (see :func:`counts_against`; ``scorecard`` gives the exact
    neutral points) and its statement is adverse; so a Missing bin (WoE 0) never is. Eligible
    ones rank by points below the characteristic's best bin; ties (to 1e-9 points) are broken
    by characteristic name, so the same applicant always gets the same list. ``money`` is the
    applicant's currency (EUR under the default policy when not given).
    """
    money = money or MoneyContext.default()
    neutral = {} if scorecard is None else neutral_points_of(scorecard)
    eligible = [
        c
        for c in result.breakdown
        if c.points_below_best > POINTS_TOLERANCE
        and counts_against(c, neutral.get(c.characteristic))
    ]
    eligible.sort(key=lambda c: (-round(c.points_below_best, 9), c.characteristic))
    reasons = []
    for scored in eligible:
        statement = _statement_of(scored, catalog, money)
        if statement.adverse:
            reasons.append(_reason(scored, statement))
    return reasons[:limit]


@cache
def _bundled_catalog() -> ReasonCatalog:
    return ReasonCatalog._read_bundled()
