"""The portfolio view for compliance and risk: accounts by level and by days-past-due bucket,
flows between levels month over month, watch-list ageing, the queues, and the harm counters."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.early_warning import actions as actions_service
from app.early_warning import rulesets
from app.models import AccountAction, AccountAssessment, LoanAccount, WatchListEntry
from app.models.base import utcnow
from risk_models.early_warning.levels import LEVELS
from risk_models.early_warning.signals import DPD_BUCKETS

# Watch-list ageing bands, in days on the list.
AGEING_BANDS = ((0, 30, "0-30"), (31, 90, "31-90"), (91, 180, "91-180"), (181, None, "181+"))
FLOW_MONTHS = 12


def _counts(session: Session, column: Any, order: tuple[str, ...]) -> dict[str, int]:
    found = dict(session.exec(select(column, func.count())
                              .where(LoanAccount.state == "open").group_by(column)).all())
    return {key: int(found.get(key, 0)) for key in order}


def flows(session: Session, months: int = FLOW_MONTHS) -> list[dict[str, Any]]:
    """For each month, how many accounts moved from each level to each other since the month
    before (an account's level in a month is its last assessment's in that month)."""
    last: dict[tuple[str, str], str] = {}
    for account_id, as_of, level in session.exec(
            select(AccountAssessment.account_id, AccountAssessment.as_of, AccountAssessment.level)
            .order_by(col(AccountAssessment.id))):
        last[(as_of.strftime("%Y-%m"), account_id)] = level
    by_month: dict[str, dict[str, str]] = {}
    for (month, account_id), level in last.items():
        by_month.setdefault(month, {})[account_id] = level
    ordered = sorted(by_month)[-(months + 1):]
    out = []
    for before, after in zip(ordered, ordered[1:], strict=False):
        moves: Counter[tuple[str, str]] = Counter()
        for account_id, level in by_month[after].items():
            previous = by_month[before].get(account_id)
            if previous is not None:
                moves[(previous, level)] += 1
        out.append({"month": after, "from_month": before,
                    "moves": [{"from": a, "to": b, "accounts": n}
                              for (a, b), n in sorted(moves.items())]})
    return out


def watch_list_ageing(session: Session, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    ages = [(now - added).days for added in session.exec(
        select(WatchListEntry.added_at).where(WatchListEntry.state != "exited")).all()]
    bands = {label: sum(1 for a in ages if a >= low and (high is None or a <= high))
             for low, high, label in AGEING_BANDS}
    awaiting = session.exec(select(func.count()).where(
        WatchListEntry.state == "exit_requested")).one()
    return {"entries": len(ages), "bands": bands,
            "median_days": None if not ages else float(median(ages)),
            "oldest_days": None if not ages else max(ages), "exits_awaiting_approval": awaiting}


def queues(session: Session) -> dict[str, dict[str, int]]:
    rows = session.exec(select(AccountAction.kind, AccountAction.state, func.count())
                        .where(col(AccountAction.state).in_(actions_service.LIVE_STATES
                                                            + (actions_service.HELD,)))
                        .group_by(AccountAction.kind, AccountAction.state)).all()
    out: dict[str, dict[str, int]] = {}
    for kind, state, count in rows:
        out.setdefault(state, {})[kind] = int(count)
    return out


def summary(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The counts alone (for a home page): accounts by level and bucket, the harm counters."""
    published = rulesets.published(session)
    cap = rulesets.contact_cap(None if published is None else rulesets.parsed(published))
    accounts = session.exec(select(func.count()).where(LoanAccount.state == "open")).one()
    return {
        "as_of": (now or utcnow()).isoformat(), "accounts": int(accounts),
        "by_level": _counts(session, LoanAccount.level, LEVELS),
        "by_dpd_bucket": _counts(session, LoanAccount.dpd_bucket, DPD_BUCKETS),
        "rule_set_version": None if published is None else published.version,
        "harm_counters": actions_service.harm_counters(session, cap),
    }


def view(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The whole view: the summary, flows between levels, watch-list ageing and the queues."""
    return {**summary(session, now), "flows": flows(session),
            "watch_list": watch_list_ageing(session, now), "queues": queues(session)}
