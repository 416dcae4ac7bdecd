"""The credit decision: knock-out rules, then the score's risk tier, reasons and loan terms.

``decide`` is pure: the same inputs always give the same ``Decision``. The only protected field
any rule reads is the date of birth, for the statutory minimum-age check alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from risk_models.capacity import has_legal_capacity
from risk_models.compiled import ScoreResult
from risk_models.features import Affordability, FeatureDerivation, raw_field
from risk_models.policy import APPROVE, DECLINE, REFER, Policy, RiskTier
from risk_models.reasons import MAX_PRINCIPAL_REASONS, Reason, ReasonCatalog, principal_reasons
from risk_models.terms import (
    LoanTerms,
    affordable_principal,
    counteroffer,
    max_affordable_payment,
    quote,
)

SANCTIONS_CLEAR = "clear"
SANCTIONS_CONFIRMED = "confirmed_match"


@dataclass(frozen=True)
class KnockOut:
    """A policy rule the application failed: its code, action (decline/refer) and statement."""

    code: str
    action: str
    statement: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "action": self.action, "statement": self.statement}


@dataclass(frozen=True)
class Decision:
    """The outcome of one application and everything needed to explain and audit it.

    ``reasons`` is empty for a clean approval; otherwise knock-out reasons come first, then,
    when the score's own tier is not an approval, the principal score reasons (at most four
    reasons in all unless more knock-outs fired). ``terms`` are the priced request (approve and
    refer); ``counteroffer`` an affordable alternative when the request fails the DTI cap.
    """

    outcome: str
    risk_tier: str
    score: float
    probability_of_default: float
    knockouts: tuple[KnockOut, ...]
    reasons: tuple[Reason, ...]
    terms: LoanTerms | None
    counteroffer: LoanTerms | None
    affordability: Affordability
    max_affordable_amount: Decimal | None
    model_artifact_sha256: str
    policy_version: str
    policy_sha256: str
    reason_catalog_version: str
    as_of: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "risk_tier": self.risk_tier,
            "score": self.score,
            "probability_of_default": self.probability_of_default,
            "knockouts": [k.to_dict() for k in self.knockouts],
            "reasons": [r.to_dict() for r in self.reasons],
            "terms": None if self.terms is None else self.terms.to_dict(),
            "counteroffer": None if self.counteroffer is None else self.counteroffer.to_dict(),
            "affordability": self.affordability.to_dict(),
            "max_affordable_amount": None
            if self.max_affordable_amount is None
            else str(self.max_affordable_amount),
            "model_artifact_sha256": self.model_artifact_sha256,
            "policy_version": self.policy_version,
            "policy_sha256": self.policy_sha256,
            "reason_catalog_version": self.reason_catalog_version,
            "as_of": self.as_of.isoformat(),
        }


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def identity_knockouts(document: Any, as_of: date, policy: Policy) -> list[tuple[str, str]]:
    """Legal capacity, KYC completeness and sanctions screening: ``(code, action)`` pairs."""
    hits = []
    capacity = has_legal_capacity(
        raw_field(document, "kyc.date_of_birth"), as_of, policy.minimum_age
    )
    if capacity is False:
        hits.append(("KO-AGE", DECLINE))
    elif capacity is None:
        hits.append(("KO-KYC-DOB", REFER))
    for path, code in (
        ("kyc.national_id", "KO-KYC-ID"),
        ("kyc.address.line1", "KO-KYC-ADDRESS"),
        ("kyc.employment.status", "KO-KYC-EMPLOYMENT"),
    ):
        if _is_blank(raw_field(document, path)):
            hits.append((code, REFER))
    sanctions = raw_field(document, "kyc.sanctions_screening.status")
    if sanctions == SANCTIONS_CONFIRMED:
        hits.append(("KO-SANCTIONS-MATCH", DECLINE))
    elif sanctions != SANCTIONS_CLEAR:
        hits.append(("KO-SANCTIONS-REVIEW", REFER))
    return hits


def request_knockouts(document: Any, policy: Policy) -> list[tuple[str, str]]:
    """Term and amount within policy bounds, and income present: ``(code, action)`` pairs."""
    hits = []
    term = int(raw_field(document, "loan.term_months"))
    if not policy.min_term_months <= term <= policy.max_term_months:
        hits.append(("KO-TERM", DECLINE))
    rule = policy.currencies[raw_field(document, "loan.currency")]
    if not rule.min_amount <= Decimal(raw_field(document, "loan.amount")) <= rule.max_amount:
        hits.append(("KO-AMOUNT", DECLINE))
    income = raw_field(document, "kyc.monthly_income")
    if income is None or Decimal(income) <= 0:
        hits.append(("KO-INCOME", REFER))
    return hits


def _statement_details(code: str, document: Any, policy: Policy) -> dict[str, Any]:
    if code == "KO-DTI":
        return {"cap": f"{policy.dti_cap * 100:g}%"}
    if code == "KO-TERM":
        return {"min": policy.min_term_months, "max": policy.max_term_months}
    if code == "KO-AMOUNT":
        currency = raw_field(document, "loan.currency")
        rule = policy.currencies[currency]
        return {"min": f"{rule.min_amount} {currency}", "max": f"{rule.max_amount} {currency}"}
    return {}


def _price(
    document: Any,
    tier: RiskTier,
    policy: Policy,
) -> tuple[LoanTerms, Decimal | None]:
    """The request priced at the tier's APR, and the most a month the applicant can afford."""
    requested = quote(
        Decimal(raw_field(document, "loan.amount")),
        raw_field(document, "loan.currency"),
        int(raw_field(document, "loan.term_months")),
        tier.apr,
    )
    income = raw_field(document, "kyc.monthly_income")
    if income is None or Decimal(income) <= 0:
        return requested, None
    obligations = Decimal(raw_field(document, "kyc.monthly_obligations") or 0)
    return requested, max_affordable_payment(Decimal(income), obligations, policy.dti_cap)


def _outcome(tier: RiskTier, knockouts: tuple[KnockOut, ...]) -> str:
    actions = {k.action for k in knockouts}
    if DECLINE in actions or tier.outcome == DECLINE:
        return DECLINE
    if REFER in actions:
        return REFER
    return tier.outcome


def decide(
    policy: Policy,
    scorer_result: ScoreResult,
    derivation: FeatureDerivation,
    document: Any,
    as_of: date,
    *,
    catalog: ReasonCatalog | None = None,
) -> Decision:
    """Decide one application.

    Parameters
    ----------
    policy : Policy
    scorer_result : ScoreResult
        The compiled scorer's result for ``derivation.characteristics``.
    derivation : FeatureDerivation
        From :func:`risk_models.features.derive_characteristics` on the same document.
    document : mapping or object
        The application, read for identity checks, sanctions screening and the request.
    as_of : date
        Decision date (for the minimum-age check).
    catalog : ReasonCatalog, optional
        Reason statements; the bundled table by default.

    Returns
    -------
    Decision
        A decline knock-out or a declining tier declines; otherwise a refer knock-out refers;
        otherwise the tier's outcome stands.
    """
    catalog = catalog or ReasonCatalog.bundled()
    tier = policy.tier_for(scorer_result.score)
    hits = identity_knockouts(document, as_of, policy) + request_knockouts(document, policy)
    requested, max_payment = _price(document, tier, policy)
    offer = None
    if max_payment is not None and requested.monthly_payment > max_payment:
        if tier.outcome != DECLINE and all(action != DECLINE for _, action in hits):
            offer = counteroffer(
                requested.amount,
                requested.currency,
                requested.term_months,
                tier.apr,
                max_payment,
                max_term_months=policy.max_term_months,
                min_amount=policy.currencies[requested.currency].min_amount,
                term_step_months=policy.term_step_months,
                amount_step=policy.counteroffer_amount_step,
            )
        hits.append(("KO-DTI", DECLINE))
    knockout_reasons = [
        catalog.knockout_reason(code, **_statement_details(code, document, policy))
        for code, _ in hits
    ]
    knockouts = tuple(
        KnockOut(code, action, reason.statement)
        for (code, action), reason in zip(hits, knockout_reasons, strict=True)
    )
    outcome = _outcome(tier, knockouts)
    reasons: list[Reason] = []
    if outcome != APPROVE:
        reasons = list(knockout_reasons)
        if tier.outcome != APPROVE:
            room = max(MAX_PRINCIPAL_REASONS - len(reasons), 0)
            reasons += principal_reasons(scorer_result, catalog, limit=room)
    return Decision(
        outcome=outcome,
        risk_tier=tier.name,
        score=scorer_result.score,
        probability_of_default=scorer_result.probability_of_default,
        knockouts=knockouts,
        reasons=tuple(reasons),
        terms=requested if outcome in (APPROVE, REFER) else None,
        counteroffer=offer,
        affordability=derivation.affordability,
        max_affordable_amount=None
        if max_payment is None
        else affordable_principal(max_payment, tier.apr, requested.term_months),
        model_artifact_sha256=scorer_result.artifact_sha256,
        policy_version=policy.version,
        policy_sha256=policy.sha256,
        reason_catalog_version=catalog.version,
        as_of=as_of,
    )
