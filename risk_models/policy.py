"""The versioned credit policy: knock-out rules, score cut-offs, risk tiers and pricing.

A policy is plain data (frozen, canonical JSON, SHA-256); ``decide`` lives in ``decisions.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from risk_models.artifact import canonical_json

if TYPE_CHECKING:
    from risk_models.training import TrainingResult

APPROVE, REFER, DECLINE = "approve", "refer", "decline"
OUTCOMES = (APPROVE, REFER, DECLINE)
# The UCI documentation of the German data rates a bad loan granted 5 times as costly as a good
# loan refused: lending breaks even where the bad rate is 1/6.
APPROVE_MAX_BAD_RATE = 1 / 6
# Where bad loans outnumber good ones, no review is likely to turn the case.
DECLINE_MIN_BAD_RATE = 0.5
DEUTSCHE_MARK_PER_EURO = Decimal("1.95583")


# The German data bands account balances in its own unit (DM): checking below or from 200,
# savings below 100, 500 and 1000. Each currency states round equivalents of these.
MODEL_CHECKING_THRESHOLD = Decimal(200)
MODEL_SAVINGS_THRESHOLDS = (Decimal(100), Decimal(500), Decimal(1000))
# Round amounts a threshold is rounded to: 1, 2, 2.5 and 5 times a power of ten.
_ROUND_MANTISSAS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


def round_equivalent(amount: Decimal) -> Decimal:
    """The round amount (1, 2, 2.5 or 5 times a power of ten) nearest to positive ``amount``."""
    power = Decimal(1).scaleb(amount.adjusted())
    mantissa = min(_ROUND_MANTISSAS, key=lambda m: abs(amount - m * power))
    return (mantissa * power).normalize() + Decimal(0)


@dataclass(frozen=True)
class CurrencyRule:
    """A lending currency: units of the model's currency per unit, the amounts lent, and the
    balance thresholds the checking and savings bands use in this currency.

    ``checking_threshold`` stands for the German data's 200 DM checking band and
    ``savings_thresholds`` for its 100, 500 and 1000 DM savings bands. Balances are classified
    against these amounts in the applicant's own currency, and reason statements quote the same
    amounts, so "below 100 EUR" is literally true. Left out, each is the round equivalent
    (:func:`round_equivalent`) of the DM band at ``to_model_unit``.
    """

    to_model_unit: Decimal
    min_amount: Decimal
    max_amount: Decimal
    checking_threshold: Decimal = None  # type: ignore[assignment]
    savings_thresholds: tuple[Decimal, ...] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # Derived defaults: a frozen dataclass sets them through object.__setattr__.
        if self.checking_threshold is None:
            derived = round_equivalent(MODEL_CHECKING_THRESHOLD / self.to_model_unit)
            object.__setattr__(self, "checking_threshold", derived)
        if self.savings_thresholds is None:
            derived_savings = tuple(
                round_equivalent(dm / self.to_model_unit) for dm in MODEL_SAVINGS_THRESHOLDS
            )
            object.__setattr__(self, "savings_thresholds", derived_savings)
        if self.checking_threshold <= 0:
            raise ValueError("checking_threshold must be positive")
        savings = self.savings_thresholds
        rising = all(0 < low < high for low, high in zip(savings, savings[1:], strict=False))
        if len(savings) != len(MODEL_SAVINGS_THRESHOLDS) or not rising or savings[0] <= 0:
            raise ValueError("savings_thresholds must be three positive amounts, rising")

    def to_dict(self) -> dict[str, Any]:
        return {
            "to_model_unit": str(self.to_model_unit),
            "min_amount": str(self.min_amount),
            "max_amount": str(self.max_amount),
            "checking_threshold": str(self.checking_threshold),
            "savings_thresholds": [str(t) for t in self.savings_thresholds],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CurrencyRule:
        """Read a stored rule; one stored before the thresholds existed gets them derived."""
        checking = data.get("checking_threshold")
        savings = data.get("savings_thresholds")
        return cls(
            to_model_unit=Decimal(data["to_model_unit"]),
            min_amount=Decimal(data["min_amount"]),
            max_amount=Decimal(data["max_amount"]),
            checking_threshold=None if checking is None else Decimal(checking),  # type: ignore[arg-type]
            savings_thresholds=None  # type: ignore[arg-type]
            if savings is None
            else tuple(Decimal(t) for t in savings),
        )


@dataclass(frozen=True)
class ReviewRules:
    """The review queue's service levels, and when an underwriter's approval needs a second
    underwriter's (four-eyes).

    ``four_eyes_amount_above`` is per currency: an underwriter's approval of more than that
    amount waits for a checker; in a currency not listed, every underwriter's approval does.
    """

    referral_due_hours: int = 48
    sanctions_due_hours: int = 24
    four_eyes_amount_above: Mapping[str, Decimal] = field(
        default_factory=lambda: {"EUR": Decimal("5000")})

    def __post_init__(self) -> None:
        if self.referral_due_hours < 1 or self.sanctions_due_hours < 1:
            raise ValueError("service levels must be at least one hour")
        if any(amount < 0 for amount in self.four_eyes_amount_above.values()):
            raise ValueError("four_eyes_amount_above must not be negative")

    def approval_needs_checker(self, currency: str, amount: Decimal) -> bool:
        limit = self.four_eyes_amount_above.get(currency)
        return limit is None or amount > limit

    def to_dict(self) -> dict[str, Any]:
        return {"referral_due_hours": self.referral_due_hours,
                "sanctions_due_hours": self.sanctions_due_hours,
                "four_eyes_amount_above": {code: str(amount) for code, amount
                                           in sorted(self.four_eyes_amount_above.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReviewRules:
        return cls(referral_due_hours=int(data["referral_due_hours"]),
                   sanctions_due_hours=int(data["sanctions_due_hours"]),
                   four_eyes_amount_above={code: Decimal(amount) for code, amount
                                           in data["four_eyes_amount_above"].items()})


@dataclass(frozen=True)
class StabilityRules:
    """When a model in use has drifted from its development sample: a population stability
    index (of the score, or CSI of a characteristic) from ``warn`` up asks for a look, from
    ``act`` up for action (retraining, or a policy change).

    The defaults are the industry's rule of thumb, which optbinning's stability report uses too.
    """

    warn: float = 0.10
    act: float = 0.25

    def __post_init__(self) -> None:
        if not (math.isfinite(self.warn) and math.isfinite(self.act)):
            raise ValueError("stability thresholds must be finite numbers")
        if not 0 < self.warn < self.act:
            raise ValueError("stability thresholds need 0 < warn < act")

    def to_dict(self) -> dict[str, Any]:
        return {"warn": self.warn, "act": self.act}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StabilityRules:
        return cls(warn=float(data["warn"]), act=float(data["act"]))


@dataclass(frozen=True)
class LimitViolation:
    """One way a request falls outside what the policy lends: the field, a code and a message."""

    field: str
    type: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "type": self.type, "message": self.message}


@dataclass(frozen=True)
class RiskTier:
    """Scores from ``min_score`` up (``None``: no floor) fall in this tier, priced at ``apr``."""

    name: str
    min_score: float | None
    outcome: str
    apr: Decimal

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"tier outcome must be one of {OUTCOMES}, got {self.outcome!r}")


@dataclass(frozen=True)
class Policy:
    """Credit policy parameters; every decision records ``version`` and ``sha256``.

    ``tiers`` run from the highest ``min_score`` down; the last tier has no floor.
    ``dti_cap`` bounds (existing obligations + new payment) / income. ``reference_apr`` prices
    the installment of the installment-rate characteristic before a tier is known.
    """

    version: str
    currencies: Mapping[str, CurrencyRule]
    tiers: tuple[RiskTier, ...]
    model_unit: str = "DM"
    min_term_months: int = 6
    max_term_months: int = 72
    term_step_months: int = 6
    minimum_age: int = 18
    dti_cap: Decimal = Decimal("0.40")
    reference_apr: Decimal = Decimal("0.099")
    counteroffer_amount_step: Decimal = Decimal("100")
    cutoff_rationale: Mapping[str, Any] = field(default_factory=dict)
    # None in a policy stored before review rules existed: it keeps its body (and sha256) and
    # is reviewed under the defaults (:attr:`review_rules`).
    review: ReviewRules | None = None
    # None in a policy stored before drift checks existed: likewise kept as stored, and checked
    # against the defaults (:attr:`stability_rules`).
    stability: StabilityRules | None = None

    @property
    def review_rules(self) -> ReviewRules:
        return self.review or ReviewRules()

    @property
    def stability_rules(self) -> StabilityRules:
        return self.stability or StabilityRules()

    def __post_init__(self) -> None:
        floors = [t.min_score for t in self.tiers]
        if not floors or floors[-1] is not None or None in floors[:-1]:
            raise ValueError("tiers need floors from high to low, the last without a floor")
        upper = [f for f in floors[:-1] if f is not None]
        if upper != sorted(upper, reverse=True):
            raise ValueError("tier floors must run from the highest score down")

    def tier_indices(self, scores: np.ndarray) -> np.ndarray:
        """The one rule of tier assignment, vectorised: for each score, the index of the first
        tier (from the highest floor down) whose floor it reaches."""
        floors = np.array([t.min_score for t in self.tiers[:-1]], dtype=float)
        # Floors run from high to low: the tiers a score misses are the floors above it.
        return (np.asarray(scores, dtype=float)[:, None] < floors[None, :]).sum(axis=1)

    def tier_for(self, score: float) -> RiskTier:
        """The tier of one score (:meth:`tier_indices`)."""
        return self.tiers[int(self.tier_indices(np.array([score]))[0])]

    def limit_violations(
        self, currency: str, amount: Decimal, term_months: int
    ) -> list[LimitViolation]:
        """The lending limits: the currencies lent, and the amounts and terms in each.

        The one home of these limits: intake refuses a request that breaks them (422), so a
        decision never has to decline for them.
        """
        problems = []
        rule = self.currencies.get(currency)
        if rule is None:
            problems.append(LimitViolation(
                "loan.currency", "unsupported_currency",
                f"currency {currency} is not lent under policy {self.version}; supported: "
                + ", ".join(sorted(self.currencies))))
        elif not rule.min_amount <= amount <= rule.max_amount:
            problems.append(LimitViolation(
                "loan.amount", "amount_outside_policy",
                f"amount must be between {rule.min_amount} and {rule.max_amount} {currency}"))
        if not self.min_term_months <= term_months <= self.max_term_months:
            problems.append(LimitViolation(
                "loan.term_months", "term_outside_policy",
                f"term must be between {self.min_term_months} and {self.max_term_months} months"))
        return problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "model_unit": self.model_unit,
            "currencies": {code: rule.to_dict() for code, rule in sorted(self.currencies.items())},
            "tiers": [
                {"name": t.name, "min_score": t.min_score, "outcome": t.outcome, "apr": str(t.apr)}
                for t in self.tiers
            ],
            "min_term_months": self.min_term_months,
            "max_term_months": self.max_term_months,
            "term_step_months": self.term_step_months,
            "minimum_age": self.minimum_age,
            "dti_cap": str(self.dti_cap),
            "reference_apr": str(self.reference_apr),
            "counteroffer_amount_step": str(self.counteroffer_amount_step),
            "cutoff_rationale": dict(self.cutoff_rationale),
            **({"review": self.review.to_dict()} if self.review is not None else {}),
            **({"stability": self.stability.to_dict()} if self.stability is not None else {}),
        }

    def to_json(self) -> bytes:
        return canonical_json(self.to_dict())

    @cached_property
    def sha256(self) -> str:
        # Cached: every decision records it. cached_property writes to the instance's __dict__
        # directly, which a frozen dataclass without slots allows.
        return hashlib.sha256(self.to_json()).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        return cls(
            version=str(data["version"]),
            model_unit=str(data["model_unit"]),
            currencies={
                code: CurrencyRule.from_dict(rule) for code, rule in data["currencies"].items()
            },
            tiers=tuple(
                RiskTier(t["name"], t["min_score"], t["outcome"], Decimal(t["apr"]))
                for t in data["tiers"]
            ),
            min_term_months=int(data["min_term_months"]),
            max_term_months=int(data["max_term_months"]),
            term_step_months=int(data["term_step_months"]),
            minimum_age=int(data["minimum_age"]),
            dti_cap=Decimal(data["dti_cap"]),
            reference_apr=Decimal(data["reference_apr"]),
            counteroffer_amount_step=Decimal(data["counteroffer_amount_step"]),
            cutoff_rationale=dict(data.get("cutoff_rationale", {})),
            review=ReviewRules.from_dict(data["review"]) if "review" in data else None,
            stability=(StabilityRules.from_dict(data["stability"]) if "stability" in data
                       else None),
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Policy:
        return cls.from_dict(json.loads(raw))


DEFAULT_CURRENCIES = {
    "EUR": CurrencyRule(
        to_model_unit=DEUTSCHE_MARK_PER_EURO,
        min_amount=Decimal("250"),
        max_amount=Decimal("10000"),
        # 200 DM is 102.26 EUR; 100, 500 and 1000 DM are 51.13, 255.65 and 511.29 EUR.
        checking_threshold=Decimal("100"),
        savings_thresholds=(Decimal("50"), Decimal("250"), Decimal("500")),
    ),
}
DEFAULT_APRS = {"low": Decimal("0.069"), "medium": Decimal("0.099"), "high": Decimal("0.149")}


def score_band_bad_rates(
    scores: np.ndarray, y_bad: np.ndarray, n_bands: int = 10
) -> list[dict[str, Any]]:
    """Observed bad rate of equal-count score bands, lowest scores first."""
    order = np.argsort(scores, kind="stable")
    bands = []
    for number, rows in enumerate(np.array_split(order, n_bands), start=1):
        bands.append(
            {
                "band": number,
                "rows": len(rows),
                "min_score": float(scores[rows].min()),
                "max_score": float(scores[rows].max()),
                "bad_rate": float(y_bad[rows].mean()),
            }
        )
    return bands


def choose_cutoffs(
    bands: list[dict[str, Any]], approve_max_bad_rate: float, decline_min_bad_rate: float
) -> tuple[float, float]:
    """Score cut-offs from score bands: (decline below, approve from).

    Decline below the top of the highest run of bottom bands whose bad rate reaches
    ``decline_min_bad_rate``; approve from the bottom of the longest run of top bands whose bad
    rate stays within ``approve_max_bad_rate``. Cuts sit midway between neighbouring bands.
    """

    def between(lower_band: dict[str, Any], upper_band: dict[str, Any]) -> float:
        return (lower_band["max_score"] + upper_band["min_score"]) / 2

    declined = 0
    while declined < len(bands) and bands[declined]["bad_rate"] >= decline_min_bad_rate:
        declined += 1
    approved = 0
    while (
        approved < len(bands) - declined
        and bands[-1 - approved]["bad_rate"] <= approve_max_bad_rate
    ):
        approved += 1
    below_all = bands[0]["min_score"] - 1
    above_all = bands[-1]["max_score"] + 1
    decline_below = (
        below_all
        if declined == 0
        else (
            above_all if declined == len(bands) else between(bands[declined - 1], bands[declined])
        )
    )
    first_approved = len(bands) - approved
    approve_from = (
        above_all
        if approved == 0
        else (
            below_all
            if first_approved == 0
            else between(bands[first_approved - 1], bands[first_approved])
        )
    )
    return decline_below, max(approve_from, decline_below)


def default_policy_for(
    training: TrainingResult,
    *,
    version: str | None = None,
    approve_max_bad_rate: float = APPROVE_MAX_BAD_RATE,
    decline_min_bad_rate: float = DECLINE_MIN_BAD_RATE,
) -> Policy:
    """A policy whose score cut-offs come from the training data's out-of-fold scores.

    Scores are cut into deciles; from the top, deciles whose observed bad rate is at most
    ``approve_max_bad_rate`` are approved (tier low); from the bottom, deciles whose bad rate is
    at least ``decline_min_bad_rate`` are declined (tier high); the rest are referred (medium).
    """
    oof = training.oof_predictions
    bands = score_band_bad_rates(oof["score"].to_numpy(), oof["y_bad"].to_numpy())
    decline_below, approve_from = choose_cutoffs(bands, approve_max_bad_rate, decline_min_bad_rate)
    scaling = training.compiled.scaling
    rationale = {
        "method": "out-of-fold score deciles of the training data",
        "approve_max_bad_rate": approve_max_bad_rate,
        "decline_min_bad_rate": decline_min_bad_rate,
        "approve_from_score": approve_from,
        "decline_below_score": decline_below,
        "approve_from_pd": scaling.probability_of_default(approve_from),
        "decline_below_pd": scaling.probability_of_default(decline_below),
        "bands": bands,
        "artifact_sha256": training.artifact_sha256,
    }
    tiers = (
        RiskTier("low", approve_from, APPROVE, DEFAULT_APRS["low"]),
        RiskTier("medium", decline_below, REFER, DEFAULT_APRS["medium"]),
        RiskTier("high", None, DECLINE, DEFAULT_APRS["high"]),
    )
    return Policy(
        version=version or f"default-{training.artifact_sha256[:12]}",
        currencies=dict(DEFAULT_CURRENCIES),
        tiers=tiers,
        cutoff_rationale=_json_safe(rationale),
        review=ReviewRules(),
        stability=StabilityRules(),
    )


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value))
