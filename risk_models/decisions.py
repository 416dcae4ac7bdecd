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
    longer_terms,
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
    # A credit limit lowered on an existing account other than for its own delinquency or
    # default (§1002.2(c)(1)(ii), (c)(2)(ii)).
    LIMIT_REDUCTION = "limit_reduction"


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
    terms' term and rate. ``risk_tier`` is the tier the application scores in with these terms
    (a counteroffer is scored at its own amount and term)."""

    terms: LoanTerms
    max_monthly_payment: Decimal | None
    max_affordable_amount: Decimal | None
    risk_tier: str | None = None

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
            "risk_tier": self.risk_tier,
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


def offer_for(terms: LoanTerms, max_payment: Decimal | None,
              risk_tier: str | None = None) -> Offer:
    """``terms`` with the affordability computed at their own term and rate."""
    return Offer(
        terms=terms,
        max_monthly_payment=max_payment,
        max_affordable_amount=None if max_payment is None
        else affordable_principal(max_payment, terms.apr, terms.term_months),
        risk_tier=risk_tier,
    )


# The amounts a counteroffer tries below an unaffordable request, at most.
COUNTEROFFER_AMOUNT_TRIES = 50


def counteroffer_for(inputs: ApplicationInputs, *, scorer: CompiledScorer, policy: Policy,
                     as_of: date, max_payment: Decimal) -> Offer | None:
    """An affordable alternative that the score approves at its own terms, or ``None``.

    First the shortest longer term for the same amount, then the largest smaller amount at the
    requested term. Every candidate is derived, scored and priced at its own tier's rate, as if
    applied for: a longer term or another amount moves the characteristics, so an offer priced
    at the request's tier could be one the model would refer or decline.
    """
    loan = inputs.loan

    def approved(amount: Decimal, term: int) -> Offer | None:
        if policy.limit_violations(loan.currency, amount, term):
            return None
        variant = inputs.model_copy(update={"loan": loan.model_copy(
            update={"amount": amount, "term_months": term})})
        derivation = derive_characteristics(variant, as_of=as_of, policy=policy)
        tier = policy.tier_for(scorer.score_applicant(derivation.characteristics).score)
        if tier.outcome != APPROVE:
            return None
        offer = offer_for(quote(amount, loan.currency, term, tier.apr), max_payment, tier.name)
        return offer if offer.affordable else None

    for term in longer_terms(loan.term_months, policy.max_term_months, policy.term_step_months):
        found = approved(loan.amount, term)
        if found is not None:
            return found
    step = policy.counteroffer_amount_step
    lowest_apr = min(t.apr for t in policy.tiers if t.outcome == APPROVE)
    amount = min(affordable_principal(max_payment, lowest_apr, loan.term_months, step),
                 loan.amount - step)
    for _ in range(COUNTEROFFER_AMOUNT_TRIES):
        if amount < policy.currencies[loan.currency].min_amount or amount <= 0:
            return None
        found = approved(amount, loan.term_months)
        if found is not None:
            return found
        amount -= step
    return None


# Knock-outs no one may approve over: a minor cannot contract, and a confirmed sanctions match
# may not be lent to.
NOT_OVERRIDABLE = frozenset({"KO-AGE", "KO-SANCTIONS-MATCH"})


def approval_offer(inputs: ApplicationInputs, policy: Policy, tier_name: str) -> Offer:
    """The requested loan priced as an automated approval in ``tier_name`` would be: at the
    tier's APR, with its affordability. An underwriter's approval is never without terms."""
    tier = next(t for t in policy.tiers if t.name == tier_name)
    loan = inputs.loan
    return offer_for(quote(loan.amount, loan.currency, loan.term_months, tier.apr),
                     max_monthly_payment(inputs, policy), tier.name)


def approval_refusals(record: dict[str, Any], offer: Offer) -> list[str]:
    """Why no one may approve the application of ``record`` on ``offer``: knock-outs no one may
    override, what the application still lacks, and a payment over the affordability cap (an
    automated approval is never unaffordable, and neither is an underwriter's)."""
    refusals = [f"{k['code']}: {k['statement']}" for k in record.get("knockouts", [])
                if k["code"] in NOT_OVERRIDABLE]
    refusals += [f"missing: {item}" for item in record.get("incomplete", [])]
    if offer.affordable is False:
        refusals.append(f"the monthly payment of {offer.terms.monthly_payment} "
                        f"{offer.terms.currency} is over the {offer.max_monthly_payment} cap")
    return refusals


def outcome_if_counteroffer_accepted(record: dict[str, Any]) -> str:
    """The outcome once the applicant accepts a stored record's counteroffer: the offer's own
    score approves (by construction), and a knock-out that refers still refers."""
    refers = any(k["action"] == REFER for k in record["knockouts"] if k["code"] != "KO-DTI")
    return REFER if refers else APPROVE


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
                          max_payment, tier.name)
    offer = None
    if requested.affordable is False:
        # No counteroffer while anything declines, or while the application is incomplete: its
        # notice must ask for what is missing first.
        if (tier.outcome != DECLINE and not missing
                and all(action != DECLINE for _, action in hits)):
            offer = counteroffer_for(inputs, scorer=scorer, policy=policy, as_of=as_of,
                                     max_payment=max_payment or Decimal(0))
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
    # The score was used when it alone would have reached this outcome: a declining tier for a
    # decline, a referring tier for a referral. A knock-out that declines a referred score
    # decided by itself, and its notice says nothing of a score.
    score_used = tier.outcome == outcome != APPROVE
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
