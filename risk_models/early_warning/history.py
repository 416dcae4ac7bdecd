"""An account's statement cycles: the one shape of payment history every signal, the behavioural
scorecard and the replay read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Cycle:
    """One monthly statement cycle of a loan account.

    Attributes
    ----------
    period : str
        The cycle's month, ``YYYY-MM``.
    balance : float
        Statement balance at the cycle's close (negative: a credit balance).
    paid : float
        Amount paid during the cycle.
    days_past_due : int
        Days past due at the cycle's close (0 when current).
    limit : float or None
        Credit limit of a revolving account; None for an instalment loan.
    due : float or None
        Amount due in the cycle (for a card, the previous statement's balance); None when
        unknown, as in an account's first cycle.
    """

    period: str
    balance: float
    paid: float
    days_past_due: int
    limit: float | None = None
    due: float | None = None


# --- Folding events into an account's history ---------------------------------------------------
#
# An account's history is a small JSON document the service keeps on the account and extends
# with each event: amounts due and paid, statement balances and days past due by month, the
# latest payment status, engagement by month, interactions' scores and bureau reports. Folding
# is order-independent: events of a month add up, and "latest" means latest by occurrence time,
# so events that arrive out of order give the same history as events in order.

MAX_CYCLES = 12  # a year of cycles is all the signals and the scorecard read
MAX_INTERACTIONS = 50


def empty_history() -> dict[str, Any]:
    """The history of an account no event has reached yet."""
    return {"cycles": {}, "status": None, "engagement": {}, "interactions": [], "bureau": [],
            "last": None}


def _month(iso: str) -> str:
    return iso[:7]


def _supersedes(at: str | None, current: Any, iso: str, value: Any) -> bool:
    """Whether a value at ``iso`` replaces ``current`` set at ``at``: the later one stands; of
    two at the same moment, the larger (the worse status), so that arrival order never
    decides."""
    return at is None or iso > at or (iso == at and (current is None or value > current))


def fold(history: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Return ``history`` extended with ``events`` (plain dicts: ``kind``, ``occurred_at`` as
    an ISO UTC string, and the kind's fields; an interaction as its ``compound`` score and
    ``distress_terms`` count, never its text)."""
    out = {"cycles": {k: dict(v) for k, v in history["cycles"].items()},
           "status": history["status"], "engagement": dict(history["engagement"]),
           "interactions": list(history["interactions"]), "bureau": list(history["bureau"]),
           "last": history["last"]}
    for event in events:
        iso = str(event["occurred_at"])
        kind = event["kind"]
        cycle = out["cycles"].setdefault(_month(iso), {"due": 0.0, "paid": 0.0,
                                                       "balance": None, "dpd": None})
        if kind == "payment_due":
            cycle["due"] = round(cycle["due"] + float(event["amount"]), 2)
            if event.get("statement_balance") is not None:
                cycle["balance"] = _latest(cycle.get("balance_at"), iso, cycle["balance"],
                                           float(event["statement_balance"]))
                cycle["balance_at"] = max(cycle.get("balance_at") or iso, iso)
        elif kind == "payment_paid":
            cycle["paid"] = round(cycle["paid"] + float(event["amount"]), 2)
            _status(out, cycle, iso, int(event.get("days_past_due") or 0))
        elif kind in ("payment_late", "payment_missed"):
            _status(out, cycle, iso, int(event["days_past_due"]))
        elif kind == "balance_snapshot":
            cycle["balance"] = _latest(cycle.get("balance_at"), iso, cycle["balance"],
                                       float(event["balance"]))
            cycle["balance_at"] = max(cycle.get("balance_at") or iso, iso)
        elif kind == "engagement":
            month = _month(iso)
            out["engagement"][month] = out["engagement"].get(month, 0) + 1
        elif kind == "support_interaction":
            out["interactions"].append([iso, float(event["compound"]),
                                        int(event["distress_terms"])])
            out["engagement"][_month(iso)] = out["engagement"].get(_month(iso), 0) + 1
        elif kind == "bureau_update":
            if event.get("new_delinquency"):
                out["bureau"].append(iso)
        else:  # the schema admits no other kind; a new one must be folded here first
            raise ValueError(f"unknown event kind {kind!r}")
        if out["last"] is None or iso > out["last"]:
            out["last"] = iso
    _trim(out)
    return out


def _latest(at: str | None, iso: str, current: float | None, value: float) -> float | None:
    return value if _supersedes(at, current, iso, value) else current


def _status(out: dict[str, Any], cycle: dict[str, Any], iso: str, dpd: int) -> None:
    if _supersedes(cycle.get("dpd_at"), cycle.get("dpd"), iso, dpd):
        cycle["dpd"], cycle["dpd_at"] = dpd, iso
    at, current = out["status"] if out["status"] is not None else (None, None)
    if _supersedes(at, current, iso, dpd):
        out["status"] = [iso, dpd]


def _trim(out: dict[str, Any]) -> None:
    for name in ("cycles", "engagement"):
        keys = sorted(out[name])
        for old in keys[:-MAX_CYCLES]:
            del out[name][old]
    out["interactions"] = sorted(out["interactions"])[-MAX_INTERACTIONS:]
    out["bureau"] = sorted(out["bureau"])[-MAX_INTERACTIONS:]


def cycles_of(history: Mapping[str, Any], limit: float | None) -> list[Cycle]:
    """The account's statement cycles, oldest first. A month without a balance carries the
    previous one; without a payment status, the previous status (a status persists until the
    servicer reports another)."""
    cycles: list[Cycle] = []
    balance, dpd, previous_balance = 0.0, 0, None
    for period in sorted(history["cycles"]):
        month = history["cycles"][period]
        balance = month["balance"] if month["balance"] is not None else balance
        dpd = month["dpd"] if month["dpd"] is not None else dpd
        due = month["due"] if month["due"] else (
            max(previous_balance, 0.0) if limit is not None and previous_balance is not None
            else None)
        cycles.append(Cycle(period=period, balance=float(balance), paid=float(month["paid"]),
                            days_past_due=int(dpd), limit=limit, due=due))
        previous_balance = balance
    return cycles


def current_days_past_due(history: Mapping[str, Any]) -> int:
    """Days past due as the latest payment status reported them (0 before any)."""
    return 0 if history["status"] is None else int(history["status"][1])


def engagement_counts(history: Mapping[str, Any], months: Sequence[str]) -> list[int]:
    """Engagement per month for ``months`` (in order), 0 where there was none."""
    return [int(history["engagement"].get(m, 0)) for m in months]


# When in a month a replayed cycle's events happen: the statement, the payment, a missed one.
STATEMENT_DAY, PAYMENT_DAY, STATUS_DAY = 5, 20, 25


def cycle_events(account_id: str, cycle: Cycle, previous_days_past_due: int, *,
                 id_prefix: str = "") -> list[dict[str, Any]]:
    """The events a servicer would send for one cycle (the inverse of :func:`fold`): a payment
    due on the statement, then the payment made (with the days past due it leaves; a payment
    of 0.00 when the account came back to current without one, as a status persists until
    another is reported), else a missed payment (a late one when nothing was due)."""
    stem = f"{id_prefix}{account_id}-{cycle.period}"
    due = max(cycle.due or 0.0, 0.0)
    events: list[dict[str, Any]] = [{
        "id": f"{stem}-due", "account_id": account_id, "kind": "payment_due",
        "occurred_at": _on(cycle.period, STATEMENT_DAY), "amount": f"{due:.2f}",
        "statement_balance": f"{cycle.balance:.2f}"}]
    if cycle.paid > 0 or (cycle.days_past_due == 0 and previous_days_past_due > 0):
        events.append({"id": f"{stem}-paid", "account_id": account_id, "kind": "payment_paid",
                       "occurred_at": _on(cycle.period, PAYMENT_DAY),
                       "amount": f"{cycle.paid:.2f}", "days_past_due": cycle.days_past_due})
    elif cycle.days_past_due > 0:
        events.append({"id": f"{stem}-status", "account_id": account_id,
                       "kind": "payment_missed" if due > 0 else "payment_late",
                       "occurred_at": _on(cycle.period, STATUS_DAY),
                       "days_past_due": cycle.days_past_due})
    return events


def events_from_cycles(account_id: str, cycles: Sequence[Cycle], *,
                       id_prefix: str = "") -> list[dict[str, Any]]:
    """The events of every cycle, oldest first: replaying a payment history through the event
    path."""
    events: list[dict[str, Any]] = []
    previous = 0
    for cycle in cycles:
        events.extend(cycle_events(account_id, cycle, previous, id_prefix=id_prefix))
        previous = cycle.days_past_due
    return events


def _on(period: str, day: int) -> str:
    return f"{period}-{day:02d}T09:00:00+00:00"
