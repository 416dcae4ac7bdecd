"""Console pages of early warning: the portfolio view, the queue of what the rules raise, an
account's detail with its watch-list entry, the rule-set versions, and their home panels.

Every figure and every change comes from the services the API's early-warning routes call
(app.early_warning.portfolio, actions, accounts, rulesets); this module reads forms, asks
which buttons a role and a state allow, and lays figures out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from app.auth.permissions import PERMISSIONS, Action
from app.auth.principal import Principal
from app.auth.roles import Role
from app.console.charts import bars
from app.console.deps import ConsoleAction, may
from app.console.home import panel
from app.console.inputs import in_utc
from app.console.rendering import page
from app.console.sessions import SignedIn
from app.db import SessionDep
from app.early_warning import accounts, actions, portfolio, rulesets
from app.early_warning.schemas import ActionDecision
from app.models import AccountAction, AccountAssessment, WatchListEntry
from app.models.base import utcnow
from app.users import repository as users_repository
from risk_models.early_warning.levels import LEVELS
from risk_models.early_warning.rules import ACTION_PARAMS, SIGNALS

router = APIRouter(prefix="/console")
PortfolioReader = Annotated[SignedIn, ConsoleAction(Action.PORTFOLIO_READ)]
AccountReader = Annotated[SignedIn, ConsoleAction(Action.ACCOUNT_READ)]
AccountWorker = Annotated[SignedIn, ConsoleAction(Action.ACCOUNT_WORK)]
AccountApprover = Annotated[SignedIn, ConsoleAction(Action.ACCOUNT_APPROVE)]
RulesReader = Annotated[SignedIn, ConsoleAction(Action.RULESET_READ)]
AccountId = Annotated[str, Path(max_length=64)]
ItemId = Annotated[str, Path(max_length=32)]
NoteField = Annotated[str | None, Form()]
NextField = Annotated[str | None, Form(alias="next")]

QUEUE = "/console/early-warning"
ACCOUNTS = "/console/accounts"
PAGE_SIZE = 50
ASSESSMENTS_SHOWN = 24
ACTIONS_SHOWN = 100
KINDS = (*ACTION_PARAMS, actions.EXCEPTION)
STATE_BADGES = {actions.OPEN: "warn", actions.SCHEDULED: "neutral",
                actions.AWAITING_ENDORSEMENT: "warn", actions.AWAITING_APPROVAL: "warn",
                actions.APPROVED: "good", actions.REJECTED: "neutral", actions.CLOSED: "neutral",
                actions.DONE: "good", actions.HELD: "neutral"}
LEVEL_BADGES = {"low": "good", "medium": "warn", "high": "bad"}
# Each harm counter in words: what it counts, which must never happen.
HARMS = {
    "contacts_above_cap": "Customer contacts beyond the contact cap within its rolling window",
    "limit_cuts_without_second_approver": "Limit reductions that took effect without two "
                                          "different people (maker and checker)",
    "limit_cuts_without_notice": "Limit reductions owing an adverse-action notice that have "
                                 "none",
}
NOTE_MESSAGE = "Say why, in 3 to 200 characters (no personal data)."
RESULTS = {"closed": "Done: the action is closed.",
           "endorsed": "Endorsed: it now waits for a different person's approval.",
           "approved": "Approved: it takes effect now, with you named as its checker.",
           "rejected": "Rejected: it will not take effect.",
           "exit_requested": "Exit requested: a different person approves or refuses it.",
           "exit_approved": "Approved: the account has left the watch list.",
           "exit_refused": "Refused: the account stays on the watch list."}


def _who(actor_id: str | None, names: dict[str, str], me: str) -> str:
    if actor_id is None:
        return "nobody"
    if actor_id == me:
        return "you"
    if actor_id == actions.SYSTEM_ACTOR:
        return "the rules"
    return names.get(actor_id, actor_id)


def _names(session: Session, ids: set[str | None]) -> dict[str, str]:
    found = users_repository.people(session, {i for i in ids if i})
    return {i: name for i, (name, _role) in found.items()}


def _safe_next(target: str | None, fallback: str) -> str:
    # Only a page of the console's own: never an address elsewhere.
    if target and target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return fallback


def _with_result(target: str, result: str) -> str:
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "result"] + [("result", result)]
    return f"{parts.path}?{urlencode(query)}"


# --- What a row offers ------------------------------------------------------------------------


def _action_view(action: AccountAction, signed_in: SignedIn,
                 names: dict[str, str]) -> dict[str, Any]:
    """An action with the buttons its state leaves this person: those the role is allowed and
    the service would not refuse on sight (a maker is told, not offered, the approval)."""
    me = signed_in.principal.actor_id
    works, approves = may(signed_in, Action.ACCOUNT_WORK), may(signed_in, Action.ACCOUNT_APPROVE)
    state = action.state
    awaiting = state == actions.AWAITING_APPROVAL and action.maker_id is not None
    return {
        "a": action, "badge": STATE_BADGES.get(state, "neutral"),
        "by": _who(action.created_by, names, me), "maker": _who(action.maker_id, names, me),
        "checker": _who(action.checker_id, names, me),
        "can_close": works and state in (actions.OPEN, actions.SCHEDULED),
        "close_label": "Mark done" if state == actions.SCHEDULED else "Close",
        "can_endorse": works and state == actions.AWAITING_ENDORSEMENT,
        "can_approve": approves and awaiting and action.maker_id != me,
        "maker_is_me": approves and awaiting and action.maker_id == me,
        "can_reject": approves and state in (actions.AWAITING_ENDORSEMENT,
                                             actions.AWAITING_APPROVAL),
    }


def _entry_view(entry: WatchListEntry, signed_in: SignedIn, names: dict[str, str],
                now: datetime) -> dict[str, Any]:
    me = signed_in.principal.actor_id
    asked = entry.state == "exit_requested" and entry.exit_requested_by is not None
    approves = may(signed_in, Action.ACCOUNT_APPROVE)
    return {
        "e": entry, "age_days": ((entry.exited_at or now) - entry.added_at).days,
        "owner": _who(entry.owner_id, names, me), "added_by": _who(entry.added_by, names, me),
        "requested_by": _who(entry.exit_requested_by, names, me),
        "can_request_exit": may(signed_in, Action.ACCOUNT_WORK) and entry.state == "active",
        "can_decide_exit": approves and asked and entry.exit_requested_by != me,
        "requester_is_me": approves and asked and entry.exit_requested_by == me,
    }


# --- Portfolio --------------------------------------------------------------------------------


def _flow_rows(flows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each month's moves as one row of counts, one per (from, to) pair, newest month first."""
    rows = []
    for month in reversed(flows):
        moved = {(m["from"], m["to"]): m["accounts"] for m in month["moves"]}
        rows.append({"month": month["month"], "from_month": month["from_month"],
                     "counts": [moved.get((a, b), 0) for a in LEVELS for b in LEVELS],
                     "changed": sum(n for (a, b), n in moved.items() if a != b)})
    return rows


def _count_chart(counts: dict[str, int], title: str) -> Any:
    return bars([(name, float(n)) for name, n in counts.items()], title=title,
                value_label=lambda v: f"{v:.0f}")


@router.get("/portfolio")
def portfolio_page(request: Request, session: SessionDep,
                   signed_in: PortfolioReader) -> Response:
    """Accounts by level and by days-past-due bucket, flows between levels, watch-list ageing,
    the queues and the harm counters (the figures of GET /portfolio)."""
    view = portfolio.view(session)
    queue_states = (*actions.LIVE_STATES, actions.HELD)
    queue_kinds = sorted({kind for by_kind in view["queues"].values() for kind in by_kind})
    return page(request, signed_in, "early_warning/portfolio.html", title="Portfolio",
                view=view,
                level_chart=_count_chart(view["by_level"], "Open accounts by risk level"),
                dpd_chart=_count_chart(view["by_dpd_bucket"],
                                       "Open accounts by days-past-due bucket"),
                ageing_chart=_count_chart(view["watch_list"]["bands"],
                                          "Watch-list entries by days on the list"),
                pairs=[(a, b) for a in LEVELS for b in LEVELS],
                flow_rows=_flow_rows(view["flows"]), queue_states=queue_states,
                queue_kinds=queue_kinds, harms=HARMS,
                harmed=sum(view["harm_counters"].values()))


# --- The queue --------------------------------------------------------------------------------


def _queue_page(request: Request, session: Session, signed_in: SignedIn, *,
                kind: str | None = None, after: tuple[datetime, str] | None = None,
                status_code: int = 200, **extra: Any) -> Response:
    # The query GET /early-warning/actions runs, a keyset page at a time.
    query = select(AccountAction).where(col(AccountAction.state).in_(actions.LIVE_STATES))
    if kind:
        query = query.where(AccountAction.kind == kind)
    if after:
        at, ident = after
        query = query.where(or_(col(AccountAction.created_at) > at,
                                and_(col(AccountAction.created_at) == at,
                                     col(AccountAction.id) > ident)))
    rows = list(session.exec(query.order_by(col(AccountAction.created_at),
                                            col(AccountAction.id)).limit(PAGE_SIZE + 1)).all())
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    names = _names(session, {i for r in rows for i in (r.created_by, r.maker_id)})
    here = QUEUE + ("?" + urlencode({"kind": kind}) if kind else "")
    last = rows[-1] if more and rows else None
    next_link = None if last is None else QUEUE + "?" + urlencode(
        {k: v for k, v in (("kind", kind), ("after_at", last.created_at.isoformat()),
                           ("after_id", last.id)) if v})
    return page(request, signed_in, "early_warning/queue.html", status_code=status_code,
                title="Early-warning queue", kinds=KINDS, kind=kind,
                rows=[_action_view(r, signed_in, names) for r in rows], next_url=here,
                next_link=next_link, first_link=here if after else None,
                errors=extra.pop("errors", {}), notes=extra.pop("notes", {}),
                result=RESULTS.get(extra.pop("result", None) or ""), **extra)


@router.get("/early-warning")
def queue(request: Request, session: SessionDep, signed_in: AccountReader,
          kind: str | None = None,
          after_at: Annotated[datetime | None, Query()] = None,
          after_id: Annotated[str | None, Query(max_length=32)] = None,
          result: str | None = None) -> Response:
    """What is still to be worked, oldest first: open alerts, cases and exceptions, scheduled
    outreach, proposals awaiting endorsement or approval."""
    moment = in_utc(after_at) if after_at is not None else None
    return _queue_page(request, session, signed_in, kind=kind if kind in KINDS else None,
                       after=(moment, after_id) if moment is not None and after_id else None,
                       result=result)


def _valid_note(note: str | None) -> str | None:
    try:
        return ActionDecision(note=(note or "").strip()).note
    except ValidationError:
        return None


def _back(request: Request, session: Session, signed_in: SignedIn, target: str,
          form: str, note: str | None) -> Response:
    """The page the refused form came from, again, with the note's problem beside it."""
    path = urlsplit(target).path
    values: dict[str, Any] = {"status_code": 422, "errors": {form: NOTE_MESSAGE},
                              "notes": {form: note or ""}}
    if path.startswith(ACCOUNTS + "/"):
        return _account_page(request, session, signed_in, path[len(ACCOUNTS) + 1:], **values)
    return _queue_page(request, session, signed_in, **values)


def _decide(request: Request, session: Session, signed_in: SignedIn,
            decide: Callable[[Session, Principal, str, str], Any], verb: str, item_id: str,
            note: str | None, next_url: str | None, result: str) -> Response:
    target = _safe_next(next_url, QUEUE)
    text = _valid_note(note)
    if text is None:
        return _back(request, session, signed_in, target, f"{verb}-{item_id}", note)
    decide(session, signed_in.principal, item_id, text)
    return RedirectResponse(_with_result(target, result), status_code=303)


@router.post("/early-warning/actions/{action_id}/close")
def close_action(request: Request, session: SessionDep, signed_in: AccountWorker,
                 action_id: ItemId, note: NoteField = None,
                 next_url: NextField = None) -> Response:
    """Close an alert, case or exception, or mark an outreach done (the service of
    POST /early-warning/actions/{id}/close)."""
    return _decide(request, session, signed_in, actions.close, "close", action_id, note,
                   next_url, "closed")


@router.post("/early-warning/actions/{action_id}/endorse")
def endorse_action(request: Request, session: SessionDep, signed_in: AccountWorker,
                   action_id: ItemId, note: NoteField = None,
                   next_url: NextField = None) -> Response:
    """Take up a rule's limit reduction or restructuring as its maker."""
    return _decide(request, session, signed_in, actions.endorse, "endorse", action_id, note,
                   next_url, "endorsed")


@router.post("/early-warning/actions/{action_id}/approve")
def approve_action(request: Request, session: SessionDep, signed_in: AccountApprover,
                   action_id: ItemId, note: NoteField = None,
                   next_url: NextField = None) -> Response:
    """Approve, as the second person, a limit reduction or restructuring: it takes effect."""
    return _decide(request, session, signed_in, actions.approve, "approve", action_id, note,
                   next_url, "approved")


@router.post("/early-warning/actions/{action_id}/reject")
def reject_action(request: Request, session: SessionDep, signed_in: AccountApprover,
                  action_id: ItemId, note: NoteField = None,
                  next_url: NextField = None) -> Response:
    """Reject a limit reduction or restructuring."""
    return _decide(request, session, signed_in, actions.reject, "reject", action_id, note,
                   next_url, "rejected")


# --- An account -------------------------------------------------------------------------------


def _account_page(request: Request, session: Session, signed_in: SignedIn, account_id: str, *,
                  status_code: int = 200, **extra: Any) -> Response:
    account = accounts.get(session, account_id)
    assessments = session.exec(select(AccountAssessment)
                               .where(AccountAssessment.account_id == account_id)
                               .order_by(col(AccountAssessment.id).desc())
                               .limit(ASSESSMENTS_SHOWN)).all()
    rows = session.exec(select(AccountAction).where(AccountAction.account_id == account_id)
                        .order_by(col(AccountAction.created_at).desc())
                        .limit(ACTIONS_SHOWN)).all()
    entries = session.exec(select(WatchListEntry).where(WatchListEntry.account_id == account_id)
                           .order_by(col(WatchListEntry.added_at).desc())).all()
    names = _names(session, {i for r in rows for i in (r.created_by, r.maker_id, r.checker_id)}
                   | {i for e in entries for i in (e.owner_id, e.added_by, e.exit_requested_by)})
    now = utcnow()
    signals = [(name, account.signals[name], spec.description)
               for name, spec in SIGNALS.items() if name in account.signals]
    signals += [(name, value, "") for name, value in sorted(account.signals.items())
                if name not in SIGNALS]
    return page(request, signed_in, "early_warning/account.html", status_code=status_code,
                title=f"Account {account.id}", account=account, signals=signals,
                assessments=assessments, level_badges=LEVEL_BADGES,
                rows=[_action_view(r, signed_in, names) for r in rows],
                entries=[_entry_view(e, signed_in, names, now) for e in entries],
                next_url=f"{ACCOUNTS}/{account.id}", errors=extra.pop("errors", {}),
                notes=extra.pop("notes", {}),
                result=RESULTS.get(extra.pop("result", None) or ""), **extra)


@router.get("/accounts/{account_id}")
def account_detail(request: Request, session: SessionDep, signed_in: AccountReader,
                   account_id: AccountId, result: str | None = None) -> Response:
    """An account: its terms, level and what set it, signals, level history, actions and
    watch-list entries."""
    return _account_page(request, session, signed_in, account_id, result=result)


@router.post("/watch-list/{entry_id}/exit")
def request_exit(request: Request, session: SessionDep, signed_in: AccountWorker,
                 entry_id: ItemId, note: NoteField = None,
                 next_url: NextField = None) -> Response:
    """Ask for the account to leave the watch list; a second person decides."""
    return _decide(request, session, signed_in, actions.request_exit, "exit", entry_id, note,
                   next_url, "exit_requested")


@router.post("/watch-list/{entry_id}/exit/approve")
def approve_exit(request: Request, session: SessionDep, signed_in: AccountApprover,
                 entry_id: ItemId, note: NoteField = None,
                 next_url: NextField = None) -> Response:
    """Approve the exit, as someone other than the person who asked for it."""
    return _decide(request, session, signed_in, partial(_decide_exit, approve=True),
                   "exit-approve", entry_id, note, next_url, "exit_approved")


@router.post("/watch-list/{entry_id}/exit/refuse")
def refuse_exit(request: Request, session: SessionDep, signed_in: AccountApprover,
                entry_id: ItemId, note: NoteField = None,
                next_url: NextField = None) -> Response:
    """Refuse the exit: the account stays on the list."""
    return _decide(request, session, signed_in, partial(_decide_exit, approve=False),
                   "exit-refuse", entry_id, note, next_url, "exit_refused")


def _decide_exit(session: Session, actor: Principal, entry_id: str, note: str, *,
                 approve: bool) -> Any:
    return actions.decide_exit(session, actor, entry_id, approve=approve, note=note)


# --- Rule sets --------------------------------------------------------------------------------


@router.get("/rule-sets")
def rule_sets(request: Request, session: SessionDep, signed_in: RulesReader) -> Response:
    """Every rule-set version, newest first, with its shadow and live figures (read-only:
    drafting and publishing are done through the API or the command line)."""
    versions = rulesets.list_versions(session)
    names = _names(session, {i for v in versions for i in (v.created_by, v.published_by)})
    me = signed_in.principal.actor_id
    return page(request, signed_in, "early_warning/rule_sets.html", title="Rule sets",
                versions=[{"v": v, "figures": rulesets.figures(session, v.version),
                           "rules": len(v.body.get("rules", [])),
                           "created_by": _who(v.created_by, names, me),
                           "published_by": _who(v.published_by, names, me)}
                          for v in versions])


# --- Home panels ------------------------------------------------------------------------------

_WORKERS = frozenset(PERMISSIONS[Action.ACCOUNT_WORK])


@panel("Early-warning actions awaiting you", Action.ACCOUNT_WORK,
       "early_warning/home_queue.html", roles=_WORKERS)
def _awaiting_you(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    # Everything live but the proposals this person made: those wait for somebody else.
    me = signed_in.principal.actor_id
    count = session.exec(select(func.count()).select_from(AccountAction).where(
        col(AccountAction.state).in_(actions.LIVE_STATES),
        or_(col(AccountAction.state) != actions.AWAITING_APPROVAL,
            col(AccountAction.maker_id).is_(None), col(AccountAction.maker_id) != me))).one()
    return {"count": int(count)}


@panel("Portfolio and harm counters", Action.PORTFOLIO_READ,
       "early_warning/home_portfolio.html", roles=frozenset({Role.COMPLIANCE_OFFICER}))
def _portfolio_summary(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    view = portfolio.summary(session)
    return {"view": view, "harms": HARMS, "harmed": sum(view["harm_counters"].values())}
