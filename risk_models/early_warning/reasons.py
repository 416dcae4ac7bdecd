"""Principal reasons for an adverse action on a monitored account, in words the customer reads.

The codes and statements a credit-limit reduction's notice gives (Reg B §1002.9(a)(2)), and the
one rule choosing them from the account's signals and the drivers of its risk level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from risk_models.reasons import MAX_PRINCIPAL_REASONS

__all__ = [
    "ACCOUNT_REASONS",
    "ACCOUNT_REASONS_VERSION",
    "HIGH_UTILISATION",
    "READ_SIGNALS",
    "AccountReason",
    "checked_reasons",
    "reasons_for_signals",
]

# Bump whenever a statement changes: a decision records the version its reasons were worded in.
ACCOUNT_REASONS_VERSION = "ew-2026.1"
# Nine tenths of the limit or more: little of the limit is left unused, so the balance itself
# says the account is close to its limit; below that, utilisation alone is no reason.
HIGH_UTILISATION = 0.9


@dataclass(frozen=True, slots=True)
class AccountReason:
    """A principal reason for an action on an account.

    Attributes
    ----------
    code : str
        Stable code, printed beside the statement.
    statement : str
        What the customer reads, in plain words.
    bureau : bool
        Whether the reason rests on information from a consumer reporting agency, so that the
        notice carries the FCRA §615(a) disclosure.
    """

    code: str
    statement: str
    bureau: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the reason as stored on a decision: code, statement and bureau flag."""
        return {"code": self.code, "statement": self.statement, "bureau": self.bureau}


PAYMENT_HISTORY = AccountReason(
    "EW-PAYMENT-HISTORY",
    "Your recent payment history on this account shows a higher risk that future payments "
    "will be missed",
)
PAYMENTS_SHORT = AccountReason(
    "EW-PAYMENTS-SHORT",
    "Your recent payments on this account were smaller than the amount due",
)
BUREAU_DELINQUENCY = AccountReason(
    "EW-BUREAU-DELINQUENCY",
    "A credit bureau reported a new late or missed payment on credit you have with another "
    "lender",
    bureau=True,
)
BALANCE_FALL = AccountReason(
    "EW-BALANCE-FALL",
    "The balance of your savings or current account with us fell sharply",
)
HIGH_UTILISATION_REASON = AccountReason(
    "EW-UTILISATION",
    "The balance on this account is close to or above its credit limit",
)

ACCOUNT_REASONS: dict[str, AccountReason] = {
    r.code: r
    for r in (PAYMENT_HISTORY, PAYMENTS_SHORT, BUREAU_DELINQUENCY, HIGH_UTILISATION_REASON,
              BALANCE_FALL)
}
# Among reasons no driver of the level names: the account's own repayment first, as it is what
# the behavioural score and the limit reduction rule read; then what others report, then the
# balance against the limit, then deposits.
_FALLBACK_ORDER = (PAYMENT_HISTORY, PAYMENTS_SHORT, BUREAU_DELINQUENCY, HIGH_UTILISATION_REASON,
                   BALANCE_FALL)

# The only signals a reason is read from. Interaction sentiment and distress terms (what the
# customer said), engagement, and protected attributes are never reasons: they are not read.
READ_SIGNALS = (
    "payment_ratio_drop",
    "payment_ratio_drop_threshold",
    "bureau_delinquency",
    "utilisation",
    "balance_drop",
)


def _fired(signals: Mapping[str, Any]) -> set[AccountReason]:
    fired = set()
    if signals.get("payment_ratio_drop") is True or (
        signals.get("payment_ratio_drop_threshold") is True
    ):
        fired.add(PAYMENTS_SHORT)
    if signals.get("bureau_delinquency") is True:
        fired.add(BUREAU_DELINQUENCY)
    if signals.get("balance_drop") is True:
        fired.add(BALANCE_FALL)
    utilisation = signals.get("utilisation")
    if (isinstance(utilisation, int | float) and not isinstance(utilisation, bool)
            and math.isfinite(utilisation) and utilisation >= HIGH_UTILISATION):
        fired.add(HIGH_UTILISATION_REASON)
    return fired


def _named_by(driver: str) -> AccountReason | None:
    # The wording of risk_models.early_warning.levels.assess_level's drivers. A behavioural PD
    # below its cut-off ("<") kept the level down and is no reason; days past due, engagement,
    # sentiment and distress terms map to nothing.
    if driver.startswith("behavioural PD") and "≥" in driver:
        return PAYMENT_HISTORY
    if driver.startswith("payment ratio fell"):
        return PAYMENTS_SHORT
    if driver.startswith("new delinquency reported at another lender"):
        return BUREAU_DELINQUENCY
    if driver.startswith("balance dropped"):
        return BALANCE_FALL
    return None


def reasons_for_signals(signals: Mapping[str, Any], drivers: Sequence[str]) -> list[dict[str, Any]]:
    """Choose the principal reasons for a limit reduction on an account, most important first.

    A reason applies when its signal fired or a driver of the account's risk level names it;
    the behavioural score (recent payment history on the account) applies only when a driver
    shows it at or above a level's cut-off. Reasons the drivers name come first, in the
    drivers' order (they set the level the action was taken on), then the others in a fixed
    order: payment history, payments short of the amount due, a bureau-reported delinquency,
    high utilisation, a sharp fall in deposit balances.

    Only the signals of :data:`READ_SIGNALS` and the drivers are read: sentiment, interaction
    text, engagement and protected attributes never yield a reason, whatever their values.

    Parameters
    ----------
    signals : Mapping
        The account's signals by the names of the rules' catalogue.
    drivers : sequence of str
        The drivers of the account's risk level, as
        :func:`risk_models.early_warning.levels.assess_level` words them.

    Returns
    -------
    list of dict
        At most :data:`risk_models.reasons.MAX_PRINCIPAL_REASONS` reasons, each
        ``{"code", "statement", "bureau"}``.

    Raises
    ------
    ValueError
        When no lawful reason applies: the action has nothing it may be explained with, and
        must not be taken as an adverse action.
    """
    fired = _fired(signals)
    chosen: list[AccountReason] = []
    for driver in drivers:
        reason = _named_by(driver)
        if reason is not None and reason not in chosen:
            chosen.append(reason)
    chosen += [r for r in _FALLBACK_ORDER if r in fired and r not in chosen]
    if not chosen:
        raise ValueError(
            "no lawful principal reason: no payment, bureau, utilisation, balance or "
            "behavioural-score signal supports the action (sentiment, interactions and "
            "engagement are never reasons)")
    return [r.to_dict() for r in chosen[:MAX_PRINCIPAL_REASONS]]


def checked_reasons(reasons: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Check the reasons an account action is to be notified with, and word them.

    Parameters
    ----------
    reasons : sequence of Mapping
        Each with a ``code`` of :data:`ACCOUNT_REASONS`, most important first.

    Returns
    -------
    list of dict
        The reasons as the catalogue words them (``{"code", "statement", "bureau"}``), in the
        order given.

    Raises
    ------
    ValueError
        When there are none, more than :data:`risk_models.reasons.MAX_PRINCIPAL_REASONS`, a
        code repeats, or a code is not an account reason.
    """
    if not 1 <= len(reasons) <= MAX_PRINCIPAL_REASONS:
        raise ValueError(f"an adverse action on an account states 1 to {MAX_PRINCIPAL_REASONS} "
                         f"principal reasons; {len(reasons)} given")
    codes = [str(r.get("code")) for r in reasons]
    unknown = [c for c in codes if c not in ACCOUNT_REASONS]
    if unknown:
        raise ValueError(f"not account reason codes: {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(ACCOUNT_REASONS))})")
    if len(set(codes)) != len(codes):
        raise ValueError("a reason is stated once")
    return [ACCOUNT_REASONS[c].to_dict() for c in codes]
