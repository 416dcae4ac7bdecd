"""Loan terms: the annuity payment, the affordable amount under a DTI cap, and the terms a
counteroffer tries.

All money is ``Decimal``; APRs are fractions (``Decimal("0.069")`` is 6.9 %) applied as a nominal
annual rate compounded monthly. Payments round half up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LoanTerms:
    """A priced loan: amount, term, APR, the monthly payment and the total repayable."""

    amount: Decimal
    currency: str
    term_months: int
    apr: Decimal
    monthly_payment: Decimal

    @property
    def total_repayable(self) -> Decimal:
        return self.monthly_payment * self.term_months

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": str(self.amount),
            "currency": self.currency,
            "term_months": self.term_months,
            "apr": str(self.apr),
            "monthly_payment": str(self.monthly_payment),
            "total_repayable": str(self.total_repayable),
        }


def _annuity_factor(apr: Decimal, term_months: int) -> Decimal:
    """Present value of 1 a month for ``term_months`` months at ``apr`` / 12 a month."""
    if term_months <= 0:
        raise ValueError("term_months must be positive")
    if apr < 0:
        raise ValueError("apr must not be negative")
    if apr == 0:
        return Decimal(term_months)
    monthly_rate = apr / 12
    return (1 - (1 + monthly_rate) ** -term_months) / monthly_rate


def monthly_payment(principal: Decimal, apr: Decimal, term_months: int) -> Decimal:
    """The level monthly payment that repays ``principal`` over ``term_months`` at ``apr``.

    ``principal * r / (1 - (1 + r) ** -n)`` with ``r = apr / 12``; ``principal / n`` at APR 0.
    """
    with localcontext() as context:
        context.prec = 40
        payment = Decimal(principal) / _annuity_factor(Decimal(apr), term_months)
    return payment.quantize(CENT, rounding=ROUND_HALF_UP)


def affordable_principal(
    max_payment: Decimal, apr: Decimal, term_months: int, step: Decimal = CENT
) -> Decimal:
    """The largest principal, a multiple of ``step``, whose payment is at most ``max_payment``."""
    if max_payment <= 0:
        return Decimal("0")
    with localcontext() as context:
        context.prec = 40
        principal = Decimal(max_payment) * _annuity_factor(Decimal(apr), term_months)
    principal = (principal / step).to_integral_value(rounding=ROUND_DOWN) * step
    # Rounding the payment half up can push it a cent over; step down until it fits.
    while principal > 0 and monthly_payment(principal, apr, term_months) > max_payment:
        principal -= step
    return principal


def max_affordable_payment(
    monthly_income: Decimal, monthly_obligations: Decimal, dti_cap: Decimal
) -> Decimal:
    """The most a new loan may cost a month: ``dti_cap * income - obligations``."""
    room = dti_cap * monthly_income - monthly_obligations
    return max(room, Decimal("0")).quantize(CENT, rounding=ROUND_DOWN)


def quote(amount: Decimal, currency: str, term_months: int, apr: Decimal) -> LoanTerms:
    """Price ``amount`` over ``term_months`` at ``apr``."""
    return LoanTerms(
        amount=amount,
        currency=currency,
        term_months=term_months,
        apr=apr,
        monthly_payment=monthly_payment(amount, apr, term_months),
    )


def longer_terms(term_months: int, max_term_months: int, step_months: int) -> list[int]:
    """The terms a counteroffer tries after ``term_months``: every ``step_months`` up to the
    longest the policy lends, and that longest term itself."""
    terms = list(range(term_months + step_months, max_term_months + 1, step_months))
    if max_term_months > term_months and max_term_months not in terms:
        terms.append(max_term_months)
    return terms
