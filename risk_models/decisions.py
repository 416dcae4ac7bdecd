"""The credit decision: one function from an application's inputs to its complete decision record.

:func:`decide_application` is the only place the rules of a decision live: the policy's lending
limits, the knock-outs, affordability (for each offer at that offer's own term and rate), the
score and its risk tier, the principal reasons, the priced terms and any counteroffer, and which
adverse action (if any) the outcome is. It is pure: the same inputs, scorecard, policy and reason
catalogue always give the same record, which is what makes a stored decision replayable.

The only protected fact any rule reads is legal capacity (the statutory minimum age), already
reduced to a yes/no by :meth:`risk_models.document.ApplicationDocument.inputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from risk_models.document import ApplicationInputs
from risk_models.features import Affordability, FeatureDerivation, derive_characteristics
from risk_models.policy import APPROVE, DECLINE, REFER, LimitViolation, Policy
from risk_models.reasons import (
    MAX_PRINCIPAL_REASONS,
    MoneyContext,
    Reason,
    ReasonCatalog,
    principal_reasons,
)
from risk_models.scorer import CompiledScorer, ScoreResult
from risk_models.terms import (
    LoanTerms,
    affordable_principal,
    counteroffer,
    max_affordable_payment,
    quote,
)

# FCRA §609(f)(1)(C): a score disclosure names all the key factors that adversely affected
# the score, up to four, or five when the number of inquiries is one of them.
MAX_KEY_FACTORS = 4
MAX_KEY_FACTORS_WITH_INQUIRIES = 5
SANCTIONS_CLEAR = "clear"
SANCTIONS_CONFIRMED = "confirmed_match"


class AdverseAction(StrEnum):
    """The adverse actions of Reg B §1002.2(c) that riskdesk takes; each owes a notice."""

    DECLINE = "decline"
    COUNTEROFFER = "counteroffer"  # adverse unless the applicant accepts it
    INCOMPLETE = "incomplete"  # a notice of incompleteness (§1002.9(c)) is owed


class OutsidePolicyError(ValueError):
    """The request asks for what the policy does not lend at all: a bad request, not a decline."""

    def __init__(self, policy: Policy, violations: list[LimitViolation]):
        self.policy_version = policy.version
        self.violations = violations
        super().__init__("the request is outside the lending policy; check: "
                         + ", ".join(v.field for v in violations))


@dataclass(frozen=True)
class KnockOut:
    """A policy rule the application failed: its code, action (decline/refer) and statement."""

    code: str
    action: str
    statement: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "action": self.action, "statement": self.statement}


@dataclass(frozen=True)
class Offer:
    """Priced terms with their own affordability: the cap and the most that fits at *these*
    terms' term and rate."""

    terms: LoanTerms
    max_monthly_payment: Decimal | None
    max_affordable_amount: Decimal | None

    @property
    def affordable(self) -> bool | None:
        """Whether the payment fits the cap; ``None`` when income is unknown."""
        if self.max_monthly_payment is None:
            return None
        return self.terms.monthly_payment <= self.max_monthly_payment

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.terms.to_dict(),
            "max_monthly_payment": _text(self.max_monthly_payment),
            "max_affordable_amount": _text(self.max_affordable_amount),
            "affordable": self.affordable,
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class DecisionRecord:
    """Everything decided about one application, and everything needed to explain and replay it.

    ``requested`` is the request priced at the tier's rate with its affordability, whatever the
    outcome; ``terms`` is that offer when it is made (approve, refer). ``reasons`` is empty for a
    clean approval; otherwise knock-out reasons come first, then,
    when the score's own tier is not an approval, the principal score reasons, at most
    :data:`MAX_PRINCIPAL_REASONS` in all unless more knock-outs fired. ``score_used`` says whether
    the credit score contributed to the outcome (so a notice discloses it only then).
    """

    outcome: str
    adverse_action: AdverseAction | None
    risk_tier: str
    tier_outcome: str
    score: float
    probability_of_default: float
    score_used: bool
    knockouts: tuple[KnockOut, ...]
    reasons: tuple[Reason, ...]
    key_factors: tuple[Reason, ...]
    requested: Offer
    terms: Offer | None
    counteroffer: Offer | None
    incomplete: tuple[str, ...]
    affordability: Affordability
    derivation: FeatureDerivation
    scored: ScoreResult
    model_artifact_sha256: str
    policy_version: str
    policy_sha256: str
    reason_catalog_version: str
    as_of: date

    @property
    def max_affordable_amount(self) -> Decimal | None:
        """The most the applicant can borrow at the requested term and the tier's rate."""
        return self.requested.max_affordable_amount

    def to_dict(self) -> dict[str, Any]:
        """The record as stored and as answered: plain JSON types, nothing converted twice."""
        return {
            "outcome": self.outcome,
            "adverse_action": None if self.adverse_action is None else str(self.adverse_action),
            "risk_tier": self.risk_tier,
            "tier_outcome": self.tier_outcome,
            "score": self.score,
            "probability_of_default": self.probability_of_default,
            "score_used": self.score_used,
            "knockouts": [k.to_dict() for k in self.knockouts],
            "reasons": [r.to_dict() for r in self.reasons],
            "key_factors": [r.to_dict() for r in self.key_factors],
            "requested": self.requested.to_dict(),
            "terms": None if self.terms is None else self.terms.to_dict(),
            "counteroffer": None if self.counteroffer is None else self.counteroffer.to_dict(),
            "incomplete": list(self.incomplete),
            "affordability": self.affordability.to_dict(),
            "characteristics": dict(self.derivation.characteristics),
            "score_breakdown": self.scored.to_dict()["breakdown"],
            "model_artifact_sha256": self.model_artifact_sha256,
            "policy_version": self.policy_version,
            "policy_sha256": self.policy_sha256,
            "reason_catalog_version": self.reason_catalog_version,
            "as_of": self.as_of.isoformat(),
        }


# --- Rules -----------------------------------------------------------------------------------


def incomplete_items(inputs: ApplicationInputs) -> tuple[str, ...]:
    """What the application still lacks before it can be decided (§1002.9(c)): field paths."""
    missing = [f"kyc.{name}" for name in inputs.identity.missing]
    if inputs.identity.legal_capacity is None:
        missing.append("kyc.date_of_birth")
    if inputs.kyc.monthly_income is None:
        missing.append("kyc.monthly_income")
    return tuple(missing)


_INCOMPLETE_CODES = {"kyc.national_id": "KO-KYC-ID", "kyc.address": "KO-KYC-ADDRESS",
                     "kyc.date_of_birth": "KO-KYC-DOB", "kyc.monthly_income": "KO-INCOME"}


def knockouts_of(inputs: ApplicationInputs, missing: tuple[str, ...]) -> list[tuple[str, str]]:
    """Legal capacity, completeness and sanctions screening: ``(code, action)`` pairs."""
    hits = []
    if inputs.identity.legal_capacity is False:
        hits.append(("KO-AGE", DECLINE))
    hits += [(_INCOMPLETE_CODES[item], REFER) for item in missing]
    sanctions = inputs.kyc.sanctions_screening.status
    if sanctions == SANCTIONS_CONFIRMED:
        hits.append(("KO-SANCTIONS-MATCH", DECLINE))
    elif sanctions != SANCTIONS_CLEAR:
        hits.append(("KO-SANCTIONS-REVIEW", REFER))
    return hits


def max_monthly_payment(inputs: ApplicationInputs, policy: Policy) -> Decimal | None:
    """The most a new loan may cost a month under the DTI cap; ``None`` when income is unknown.

    Obligations at or above the income leave nothing: the cap is 0, never negative.
    """
    income = inputs.kyc.monthly_income
    if income is None:
        return None
    return max_affordable_payment(income, inputs.kyc.monthly_obligations, policy.dti_cap)


def offer_for(terms: LoanTerms, max_payment: Decimal | None) -> Offer:
    """``terms`` with the affordability computed at their own term and rate."""
    return Offer(
        terms=terms,
        max_monthly_payment=max_payment,
        max_affordable_amount=None if max_payment is None
        else affordable_principal(max_payment, terms.apr, terms.term_months),
    )


def approval_offer(inputs: ApplicationInputs, policy: Policy, tier_name: str) -> Offer:
    """The requested loan priced as an automated approval in ``tier_name`` would be: at the
    tier's APR, with its affordability. An underwriter's approval is never without terms."""
    tier = next(t for t in policy.tiers if t.name == tier_name)
    loan = inputs.loan
    return offer_for(quote(loan.amount, loan.currency, loan.term_months, tier.apr),
                     max_monthly_payment(inputs, policy))


def outcome_if_counteroffer_accepted(record: dict[str, Any]) -> str:
    """The outcome once the applicant accepts a stored record's counteroffer: the score's tier
    decides, and a knock-out that refers still refers (a counteroffer never follows one that
    declines)."""
    refers = any(k["action"] == REFER for k in record["knockouts"])
    return REFER if refers or record["tier_outcome"] == REFER else APPROVE


def _outcome(tier_outcome: str, hits: list[tuple[str, str]]) -> str:
    actions = {action for _, action in hits}
    if DECLINE in actions or tier_outcome == DECLINE:
        return DECLINE
    if REFER in actions:
        return REFER
    return tier_outcome


def _adverse_action(outcome: str, offer: Offer | None,
                    missing: tuple[str, ...]) -> AdverseAction | None:
    if outcome == DECLINE:
        return AdverseAction.COUNTEROFFER if offer is not None else AdverseAction.DECLINE
    if missing:
        return AdverseAction.INCOMPLETE
    return None


def decide_application(
    inputs: ApplicationInputs,
    *,
    scorer: CompiledScorer,
    policy: Policy,
    catalog: ReasonCatalog,
    as_of: date,
) -> DecisionRecord:
    """Decide one application.

    Raises
    ------
    OutsidePolicyError
        When the currency, amount or term is one the policy does not lend at all.

    Returns
    -------
    DecisionRecord
        A decline knock-out or a declining tier declines; otherwise a refer knock-out refers;
        otherwise the tier's outcome stands. An unaffordable request is declined, with a
        counteroffer when one fits and nothing else declines.
    """
    loan = inputs.loan
    violations = policy.limit_violations(loan.currency, loan.amount, loan.term_months)
    if violations:
        raise OutsidePolicyError(policy, violations)
    derivation = derive_characteristics(inputs, as_of=as_of, policy=policy)
    scored = scorer.score_applicant(derivation.characteristics)
    tier = policy.tier_for(scored.score)
    missing = incomplete_items(inputs)
    hits = knockouts_of(inputs, missing)
    max_payment = max_monthly_payment(inputs, policy)
    requested = offer_for(quote(loan.amount, loan.currency, loan.term_months, tier.apr),
                          max_payment)
    offer = None
    if requested.affordable is False:
        if tier.outcome != DECLINE and all(action != DECLINE for _, action in hits):
            alternative = counteroffer(
                loan.amount, loan.currency, loan.term_months, tier.apr, max_payment or Decimal(0),
                max_term_months=policy.max_term_months,
                min_amount=policy.currencies[loan.currency].min_amount,
                term_step_months=policy.term_step_months,
                amount_step=policy.counteroffer_amount_step,
            )
            offer = None if alternative is None else offer_for(alternative, max_payment)
        hits.append(("KO-DTI", DECLINE))
    details = {
        "cap": f"{(policy.dti_cap * 100).normalize():f}%", "currency": loan.currency,
        "monthly_payment": requested.terms.monthly_payment,
        "max_monthly_payment": max_payment, "minimum_age": policy.minimum_age,
    }
    knockout_reasons = [catalog.knockout_reason(code, **details) for code, _ in hits]
    knockouts = tuple(KnockOut(code, action, reason.statement)
                      for (code, action), reason in zip(hits, knockout_reasons, strict=True))
    outcome = _outcome(tier.outcome, hits)
    score_used = outcome != APPROVE and tier.outcome != APPROVE
    # The score's key factors: every characteristic that worked against the applicant, for the
    # score disclosure of a notice; none when the score played no part in the outcome.
    key_factors = principal_reasons(
        scored, catalog, limit=MAX_KEY_FACTORS, money=MoneyContext.of(policy, loan.currency),
        scorecard=scorer.scorecard) if score_used else []
    reasons: list[Reason] = []
    if outcome != APPROVE:
        # Knock-outs first: they decided. The rule of at most four reasons is this slice alone.
        reasons = (knockout_reasons + key_factors)[:MAX_PRINCIPAL_REASONS]
    return DecisionRecord(
        outcome=outcome,
        adverse_action=_adverse_action(outcome, offer, missing),
        risk_tier=tier.name,
        tier_outcome=tier.outcome,
        score=scored.score,
        probability_of_default=scored.probability_of_default,
        score_used=score_used,
        knockouts=knockouts,
        reasons=tuple(reasons),
        key_factors=tuple(key_factors),
        requested=requested,
        terms=requested if outcome in (APPROVE, REFER) else None,
        counteroffer=offer,
        incomplete=missing,
        affordability=derivation.affordability,
        derivation=derivation,
        scored=scored,
        model_artifact_sha256=scored.artifact_sha256,
        policy_version=policy.version,
        policy_sha256=policy.sha256,
        reason_catalog_version=catalog.version,
        as_of=as_of,
    )
