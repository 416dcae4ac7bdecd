"""Actions on accounts, with their guardrails: what rules propose becomes an alert, a case, an
outreach task, a watch-list entry or a high-impact proposal awaiting two people — unless a
guardrail holds it (contact cap, snooze, sentiment alone, a product it does not fit), and what
no rule covers goes to the exception queue. Every action and every decision on one is a ledger
event."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.audit.service import append_event
from app.auth.four_eyes import require_person, require_second_person
from app.auth.permissions import PERMISSIONS, Action
from app.auth.principal import Principal
from app.auth.roles import Role
from app.early_warning import accounts as accounts_service
from app.errors import Conflict, NotFound, Unprocessable
from app.models import AccountAction, CustomerSnooze, LoanAccount, WatchListEntry
from app.models.base import utcnow
from compliance.ledger import sha256_hex
from risk_models.early_warning.guardrails import (
    ContactCap,
    contact_allowed,
    limit_reduction_is_adverse_action,
    uncovered,
)
from risk_models.early_warning.levels import LevelAssessment
from risk_models.early_warning.rules import HIGH_IMPACT, ProposedAction

SYSTEM_ACTOR = "system:early_warning"
# Notes and reasons are free text a person wrote and may name someone: the ledger, which is
# never erased, keeps their sha256; the text stays on its row only.

# Action states. Alerts, cases and exceptions are open until closed; outreach is scheduled
# until done; a high-impact proposal waits for a person to endorse it (system proposals) and a
# second person to approve it.
OPEN, CLOSED = "open", "closed"
SCHEDULED, DONE = "scheduled", "done"
AWAITING_ENDORSEMENT, AWAITING_APPROVAL = "awaiting_endorsement", "awaiting_approval"
APPROVED, REJECTED = "approved", "rejected"
HELD = "held"
LIVE_STATES = (OPEN, SCHEDULED, AWAITING_ENDORSEMENT, AWAITING_APPROVAL)
EXCEPTION = "exception"


def _initial_state(kind: str) -> str:
    if kind in HIGH_IMPACT:
        return AWAITING_ENDORSEMENT
    if kind == "schedule_outreach":
        return SCHEDULED
    if kind == "add_to_watch_list":
        return DONE
    return OPEN


@dataclass
class Context:
    """What applying one batch's proposals needs, read once for all its accounts."""

    now: datetime
    cap: ContactCap
    rule_set_version: int | None
    watch_owner: str | None
    live: set[tuple[str, str | None, str]]  # (account, rule, kind) with an action still live
    contacts: dict[str, list[datetime]]  # contacts within the cap's window, per account
    snoozed: set[str]  # subjects snoozed now
    watched: set[str]
    entries: list[WatchListEntry] = field(default_factory=list)  # added by rules, to record


def context(session: Session, accounts: Sequence[LoanAccount], *, now: datetime,
            cap: ContactCap, rule_set_version: int | None, watch_owner: str | None,
            watched: set[str]) -> Context:
    ids = [a.id for a in accounts]
    live: set[tuple[str, str | None, str]] = set()
    contacts: dict[str, list[datetime]] = defaultdict(list)
    since = now - timedelta(days=cap.window_days)
    for chunk in _chunks(ids):
        for account_id, rule_id, kind in session.exec(
                select(AccountAction.account_id, AccountAction.rule_id, AccountAction.kind)
                .where(col(AccountAction.account_id).in_(chunk),
                       col(AccountAction.state).in_(LIVE_STATES))).all():
            live.add((account_id, rule_id, kind))
        for account_id, at in session.exec(
                select(AccountAction.account_id, AccountAction.created_at)
                .where(col(AccountAction.account_id).in_(chunk),
                       AccountAction.kind == "schedule_outreach",
                       col(AccountAction.channel).in_(cap.channels),
                       col(AccountAction.state).in_((SCHEDULED, DONE)),
                       AccountAction.created_at > since)).all():
            contacts[account_id].append(at)
    subjects = list({a.subject_id for a in accounts})
    snoozed: set[str] = set()
    for chunk in _chunks(subjects):
        snoozed.update(session.exec(
            select(CustomerSnooze.subject_id).where(
                col(CustomerSnooze.subject_id).in_(chunk), CustomerSnooze.until > now,
                col(CustomerSnooze.lifted_at).is_(None))).all())
    return Context(now=now, cap=cap, rule_set_version=rule_set_version,
                   watch_owner=watch_owner, live=live, contacts=contacts, snoozed=snoozed,
                   watched=watched)


def _chunks(values: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def apply_proposals(session: Session, ctx: Context, account: LoanAccount, assessment_id: int,
                    proposals: Sequence[ProposedAction], level: LevelAssessment,
                    previous_level: str) -> list[AccountAction]:
    """Turn one account's proposals into actions, each through its guardrails."""
    made: list[AccountAction] = []
    for proposal in proposals:
        key = (account.id, proposal.rule_id, proposal.kind)
        if key in ctx.live:
            continue  # the same rule's action is still being worked: not raised twice
        if proposal.kind == "add_to_watch_list" and account.id in ctx.watched:
            continue
        held = _held_reason(ctx, account, proposal)
        action = _new_action(account.id, proposal.kind, params=dict(proposal.params),
                             created_by=SYSTEM_ACTOR, now=ctx.now, rule_id=proposal.rule_id,
                             rule_set_version=ctx.rule_set_version, assessment_id=assessment_id,
                             held_reason=held)
        if action.channel and held is None and action.channel in ctx.cap.channels:
            ctx.contacts[account.id].append(ctx.now)
        session.add(action)
        made.append(action)
        if held is None:
            ctx.live.add(key)
            if proposal.kind == "add_to_watch_list":
                entry = _watch(session, account.id, owner=ctx.watch_owner or SYSTEM_ACTOR,
                               added_by=SYSTEM_ACTOR, reason=f"rule {proposal.rule_id}",
                               now=ctx.now)
                action.params = {**action.params, "watch_list_entry": entry.id}
                ctx.entries.append(entry)
                ctx.watched.add(account.id)
    exception_key = (account.id, None, EXCEPTION)
    if uncovered(level, previous_level, proposals) and exception_key not in ctx.live:
        action = _new_action(account.id, EXCEPTION, params={
            "level": level.level, "previous_level": previous_level,
            "drivers": list(level.drivers)}, created_by=SYSTEM_ACTOR, now=ctx.now, rule_id=None,
            rule_set_version=ctx.rule_set_version, assessment_id=assessment_id)
        session.add(action)
        made.append(action)
        ctx.live.add(exception_key)
    return made


def _held_reason(ctx: Context, account: LoanAccount, proposal: ProposedAction) -> str | None:
    if proposal.blocked:
        return proposal.blocked
    if proposal.kind == "propose_limit_reduction" and account.credit_limit is None:
        return "no_credit_limit"
    if proposal.kind == "schedule_outreach":
        if account.subject_id in ctx.snoozed:
            return "snoozed"
        if proposal.params.get("channel") in ctx.cap.channels:
            check = contact_allowed(ctx.contacts.get(account.id, []), ctx.now, ctx.cap)
            if not check.allowed:
                return "contact_cap"
    return None


def _new_action(account_id: str, kind: str, *, params: dict[str, Any], created_by: str,
                now: datetime, rule_id: str | None, rule_set_version: int | None,
                assessment_id: int | None, held_reason: str | None = None,
                maker_id: str | None = None) -> AccountAction:
    state = HELD if held_reason else _initial_state(kind)
    if maker_id is not None and state == AWAITING_ENDORSEMENT:
        state = AWAITING_APPROVAL
    return AccountAction(
        id=uuid.uuid4().hex, account_id=account_id, kind=kind, state=state,
        channel=params.get("channel") if kind == "schedule_outreach" else None,
        created_at=now, created_by=created_by, rule_set_version=rule_set_version,
        rule_id=rule_id, assessment_id=assessment_id, high_impact=kind in HIGH_IMPACT,
        params=params, held_reason=held_reason, maker_id=maker_id)


def record_raised(session: Session, actor: Principal, actions: Sequence[AccountAction],
                  entries: Sequence[WatchListEntry] = ()) -> None:
    """One ledger event per action raised and per watch-list entry a rule added (after the
    batch's rows are written)."""
    session.flush()
    for entry in entries:
        append_event(session, actor, "watchlist.added", "watch_list", entry.id, {
            "account_id": entry.account_id, "owner_id": entry.owner_id,
            "reason_sha256": sha256_hex(entry.reason)}, rows=(entry,))
    for action in actions:
        verb = "held" if action.state == HELD else "raised"
        append_event(session, actor, f"account.action_{verb}", "account_action", action.id, {
                         "account_id": action.account_id, "kind": action.kind,
                         "state": action.state, "rule_id": action.rule_id,
                         "rule_set_version": action.rule_set_version,
                         "held_reason": action.held_reason}, rows=(action,))


# --- People working actions -------------------------------------------------------------------


def get(session: Session, action_id: str) -> AccountAction:
    action = session.get(AccountAction, action_id)
    if action is None:
        raise NotFound(f"no account action {action_id}", code="action_not_found")
    return action


def _decided(session: Session, actor: Principal, action: AccountAction, event: str,
             note: str, **payload: Any) -> AccountAction:
    session.add(action)
    session.flush()
    append_event(session, actor, f"account.action_{event}", "account_action", action.id, {
        "account_id": action.account_id, "kind": action.kind, "state": action.state,
        "note_sha256": sha256_hex(note), **payload}, rows=(action,))
    return action


def close(session: Session, actor: Principal, action_id: str, note: str) -> AccountAction:
    """Close an alert, a case or an exception, or mark an outreach done."""
    action = get(session, action_id)
    if action.state not in (OPEN, SCHEDULED):
        raise Conflict(f"action {action_id} is {action.state}; only an open alert, case or "
                       "exception, or a scheduled outreach, is closed", code="action_not_open")
    action.state = DONE if action.state == SCHEDULED else CLOSED
    action.checker_id, action.decided_at, action.outcome = actor.actor_id, utcnow(), note
    return _decided(session, actor, action, "closed", note)


def endorse(session: Session, actor: Principal, action_id: str, note: str) -> AccountAction:
    """A person takes up a rule's high-impact proposal as its maker; a second person then
    approves or rejects it."""
    action = get(session, action_id)
    if action.state != AWAITING_ENDORSEMENT:
        raise Conflict(f"action {action_id} is {action.state}; only a proposal awaiting "
                       "endorsement is endorsed", code="action_not_awaiting_endorsement")
    require_person(actor, "limit reduction or restructuring")
    action.state, action.maker_id = AWAITING_APPROVAL, actor.actor_id
    return _decided(session, actor, action, "endorsed", note)


def reject(session: Session, actor: Principal, action_id: str, note: str) -> AccountAction:
    action = get(session, action_id)
    if action.state not in (AWAITING_ENDORSEMENT, AWAITING_APPROVAL):
        raise Conflict(f"action {action_id} is {action.state}; it awaits no decision",
                       code="action_not_pending")
    require_person(actor, "limit reduction or restructuring")
    action.state, action.checker_id, action.decided_at, action.outcome = (
        REJECTED, actor.actor_id, utcnow(), note)
    return _decided(session, actor, action, "rejected", note)


def approve(session: Session, actor: Principal, action_id: str, note: str) -> AccountAction:
    """The second person approves a high-impact proposal, which then takes effect: a limit
    reduction lowers the limit and, unless taken because of this account's delinquency, opens
    its adverse-action notice (Reg B) in the same transaction."""
    action = get(session, action_id)
    if action.state != AWAITING_APPROVAL or action.maker_id is None:
        raise Conflict(f"action {action_id} is {action.state}; a proposal is endorsed by one "
                       "person and approved by another", code="action_not_awaiting_approval")
    require_second_person(action.maker_id, actor, "limit reduction or restructuring",
                          message="you proposed or endorsed this action; a different person "
                                  "approves it")
    account = accounts_service.open_account(session, action.account_id, "approving an action")
    now = utcnow()
    payload: dict[str, Any] = {}
    if action.kind == "propose_limit_reduction":
        payload = _reduce_limit(session, actor, action, account, now)
    action.state, action.checker_id, action.decided_at, action.outcome = (
        APPROVED, actor.actor_id, now, note)
    return _decided(session, actor, action, "approved", note, maker_id=action.maker_id,
                    **payload)


def _reduce_limit(session: Session, actor: Principal, action: AccountAction,
                  account: LoanAccount, now: datetime) -> dict[str, Any]:
    from app.notices.account_actions import record_limit_reduction
    from risk_models.early_warning.reasons import reasons_for_signals

    if account.credit_limit is None:
        raise Conflict(f"account {account.id} has no credit limit to reduce",
                       code="no_credit_limit")
    pct = Decimal(int(action.params.get("reduce_by_pct", 0)))
    previous = Decimal(account.credit_limit)
    new = (previous * (Decimal(100) - pct) / Decimal(100)).quantize(Decimal("0.01"),
                                                                   rounding=ROUND_HALF_UP)
    adverse = limit_reduction_is_adverse_action(account.days_past_due)
    # Kept on the action: whether a notice was owed is judged as the account stood when approved.
    action.params = {**action.params, "delinquent_at_approval": not adverse}
    account.credit_limit = new
    session.add(account)
    payload: dict[str, Any] = {"previous_limit": str(previous), "new_limit": str(new),
                               "adverse_action": adverse}
    if adverse:
        try:
            reasons = reasons_for_signals(account.signals, account.drivers)
        except ValueError as exc:
            raise Conflict(f"no lawful principal reason supports this limit reduction ({exc}); "
                           "reject it", code="no_lawful_reason") from None
        decision, notice = record_limit_reduction(
            session, actor, application_id=account.application_id, account_id=account.id,
            previous_limit=previous, new_limit=new, reasons=reasons, now=now)
        action.decision_id = decision.id
        action.notice_id = None if notice is None else notice.id
        payload.update(decision_id=decision.id, notice_id=action.notice_id)
    return payload


def propose(session: Session, actor: Principal, account_id: str, kind: str,
            params: dict[str, Any], note: str) -> AccountAction:
    """A person proposes an action by hand. A high-impact one waits for a second person; an
    outreach goes through the same contact cap and snooze as a rule's."""
    account = accounts_service.open_account(session, account_id, "an action")
    if kind == "propose_limit_reduction" and not params.get("reduce_by_pct"):
        raise Unprocessable("a limit reduction needs reduce_by_pct (1 to 90)",
                            code="reduce_by_pct_missing")
    if kind == "schedule_outreach" and not params.get("channel"):
        raise Unprocessable("an outreach needs its channel", code="channel_missing")
    high = kind in HIGH_IMPACT
    if high:
        require_person(actor, "limit reduction or restructuring")
    from app.early_warning import rulesets

    cap = rulesets.contact_cap(rulesets.in_force(session))
    ctx = context(session, [account], now=utcnow(), cap=cap, rule_set_version=None,
                  watch_owner=None, watched=set())
    held = _held_reason(ctx, account, ProposedAction(rule_id="manual", kind=kind,
                                                      params=params, high_impact=high))
    action = _new_action(account_id, kind, params=params, created_by=actor.actor_id,
                         now=ctx.now, rule_id=None, rule_set_version=None, assessment_id=None,
                         held_reason=held, maker_id=actor.actor_id if high else None)
    action.outcome = note
    session.add(action)
    record_raised(session, actor, [action])
    return action


# --- Watch list -------------------------------------------------------------------------------


def _watch(session: Session, account_id: str, *, owner: str, added_by: str, reason: str,
           now: datetime) -> WatchListEntry:
    entry = WatchListEntry(id=uuid.uuid4().hex, account_id=account_id, owner_id=owner,
                           state="active", added_at=now, added_by=added_by, reason=reason)
    session.add(entry)
    return entry


def watch(session: Session, actor: Principal, account_id: str, owner_id: str,
          reason: str) -> WatchListEntry:
    from app.models import User

    accounts_service.open_account(session, account_id, "the watch list")
    owner = session.get(User, int(owner_id)) if owner_id.isdigit() else None
    if owner is None or not owner.is_active:
        raise Unprocessable(f"owner {owner_id!r} is not an active user; a watch-list entry is "
                            "owned by a named person", code="owner_unknown")
    if Role(owner.role) not in PERMISSIONS[Action.ACCOUNT_WORK]:
        raise Unprocessable(f"owner {owner_id!r} is a {owner.role}, who does not work accounts; "
                            "the owner is an underwriter or a lead", code="owner_cannot_work")
    if session.exec(select(WatchListEntry.id).where(WatchListEntry.account_id == account_id,
                                                    WatchListEntry.state != "exited")).first():
        raise Conflict(f"account {account_id} is on the watch list already",
                       code="already_on_watch_list")
    entry = _watch(session, account_id, owner=owner_id, added_by=actor.actor_id, reason=reason,
                   now=utcnow())
    session.flush()
    append_event(session, actor, "watchlist.added", "watch_list", entry.id, {
        "account_id": account_id, "owner_id": owner_id,
        "reason_sha256": sha256_hex(reason)}, rows=(entry,))
    return entry


def watch_entry(session: Session, entry_id: str) -> WatchListEntry:
    entry = session.get(WatchListEntry, entry_id)
    if entry is None:
        raise NotFound(f"no watch-list entry {entry_id}", code="watch_list_entry_not_found")
    return entry


def request_exit(session: Session, actor: Principal, entry_id: str,
                 reason: str) -> WatchListEntry:
    entry = watch_entry(session, entry_id)
    if entry.state != "active":
        raise Conflict(f"watch-list entry {entry_id} is {entry.state}",
                       code="watch_list_entry_not_active")
    require_person(actor, "watch-list exit")
    entry.state, entry.exit_requested_by, entry.exit_requested_at, entry.exit_reason = (
        "exit_requested", actor.actor_id, utcnow(), reason)
    session.add(entry)
    session.flush()
    append_event(session, actor, "watchlist.exit_requested", "watch_list", entry.id, {
        "account_id": entry.account_id, "reason_sha256": sha256_hex(reason)}, rows=(entry,))
    return entry


def decide_exit(session: Session, actor: Principal, entry_id: str, *, approve: bool,
                note: str) -> WatchListEntry:
    """A second person approves (the account leaves the list) or refuses the exit."""
    entry = watch_entry(session, entry_id)
    if entry.state != "exit_requested" or entry.exit_requested_by is None:
        raise Conflict(f"watch-list entry {entry_id} is {entry.state}; no exit awaits approval",
                       code="no_exit_requested")
    require_second_person(entry.exit_requested_by, actor, "watch-list exit",
                          message="you asked for this exit; a different person approves it")
    if approve:
        entry.state, entry.exited_by, entry.exited_at = "exited", actor.actor_id, utcnow()
    else:
        entry.state, entry.exit_requested_by, entry.exit_requested_at = "active", None, None
    session.add(entry)
    session.flush()
    append_event(session, actor, f"watchlist.exit_{'approved' if approve else 'refused'}",
                 "watch_list", entry.id, {"account_id": entry.account_id,
                                        "note_sha256": sha256_hex(note)},
                 rows=(entry,))
    return entry


# --- Snoozes ----------------------------------------------------------------------------------


def snooze(session: Session, actor: Principal, account_id: str, until: datetime,
           reason: str) -> CustomerSnooze:
    """No automated contact with the account's customer until ``until``."""
    account = accounts_service.open_account(session, account_id, "a snooze")
    now = utcnow()
    if until <= now or until > now + timedelta(days=366):
        raise Unprocessable("a snooze ends in the future and within a year; renew it then",
                            code="snooze_out_of_range")
    row = CustomerSnooze(id=uuid.uuid4().hex, subject_id=account.subject_id, until=until,
                         reason=reason, created_by=actor.actor_id, created_at=now)
    session.add(row)
    session.flush()
    append_event(session, actor, "snooze.created", "snooze", row.id, {
        "account_id": account_id, "until": until.isoformat(),
        "reason_sha256": sha256_hex(reason)}, rows=(row,))
    return row


def lift_snooze(session: Session, actor: Principal, snooze_id: str) -> CustomerSnooze:
    row = session.get(CustomerSnooze, snooze_id)
    if row is None:
        raise NotFound(f"no snooze {snooze_id}", code="snooze_not_found")
    if row.lifted_at is not None:
        raise Conflict(f"snooze {snooze_id} was lifted already", code="snooze_lifted")
    row.lifted_by, row.lifted_at = actor.actor_id, utcnow()
    session.add(row)
    session.flush()
    append_event(session, actor, "snooze.lifted", "snooze", row.id, {}, rows=(row,))
    return row


# --- Harm counters ------------------------------------------------------------------------------


def harm_counters(session: Session, cap: ContactCap | None = None) -> dict[str, int]:
    """What must never happen, counted over every action ever taken (each must be 0): contacts
    beyond the cap in any rolling window, limit reductions without two different people, and
    adverse limit reductions without their notice."""
    cap = cap or ContactCap()
    times: dict[str, list[datetime]] = defaultdict(list)
    for account_id, at in session.exec(
            select(AccountAction.account_id, AccountAction.created_at)
            .where(AccountAction.kind == "schedule_outreach",
                   col(AccountAction.channel).in_(cap.channels),
                   col(AccountAction.state).in_((SCHEDULED, DONE)))).all():
        times[account_id].append(at)
    window = timedelta(days=cap.window_days)
    above = 0
    for stamps in times.values():
        stamps.sort()
        start = 0
        for end, at in enumerate(stamps):
            while at - stamps[start] >= window:
                start += 1
            if end - start + 1 > cap.max_contacts:
                above += 1
    cuts = session.exec(select(AccountAction).where(
        AccountAction.kind == "propose_limit_reduction", AccountAction.state == APPROVED)).all()
    unchecked = sum(1 for a in cuts if not a.maker_id or not a.checker_id
                    or a.maker_id == a.checker_id)
    unnoticed = sum(1 for a in cuts if a.notice_id is None
                    and not a.params.get("delinquent_at_approval", False))
    return {"contacts_above_cap": above, "limit_cuts_without_second_approver": unchecked,
            "limit_cuts_without_notice": unnoticed}

