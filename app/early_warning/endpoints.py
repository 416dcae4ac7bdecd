"""Early warning over HTTP: booking accounts and receiving their events (servicing), working
what the rules raise (underwriters and leads, four eyes on high-impact actions and watch-list
exits), rule-set versions (drafted, shadowed, published, rolled back) and the portfolio view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlmodel import col, select

from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.early_warning import accounts, actions, events, portfolio, rulesets
from app.early_warning.schemas import (
    AccountBook,
    AccountClose,
    AccountPublic,
    ActionDecision,
    ActionPublic,
    AssessmentPublic,
    EventBatch,
    EventLoadPublic,
    ManualProposal,
    RuleSetDraft,
    RuleSetMove,
    RuleSetPublic,
    SnoozeCreate,
    SnoozePublic,
    WatchListAdd,
    WatchListPublic,
)
from app.models import (
    AccountAction,
    AccountAssessment,
    CustomerSnooze,
    LoanAccount,
    RuleSetVersion,
    WatchListEntry,
)
from app.models.base import utcnow
from app.openapi import errors_for

router = APIRouter(tags=["early warning"])
Booker = Annotated[Principal, RequireAction(Action.ACCOUNT_BOOK)]
Loader = Annotated[Principal, RequireAction(Action.EVENT_LOAD)]
Reader = Annotated[Principal, RequireAction(Action.ACCOUNT_READ)]
Worker = Annotated[Principal, RequireAction(Action.ACCOUNT_WORK)]
Approver = Annotated[Principal, RequireAction(Action.ACCOUNT_APPROVE)]
RulesReader = Annotated[Principal, RequireAction(Action.RULESET_READ)]
Drafter = Annotated[Principal, RequireAction(Action.RULESET_DRAFT)]
Publisher = Annotated[Principal, RequireAction(Action.RULESET_PUBLISH)]
PortfolioReader = Annotated[Principal, RequireAction(Action.PORTFOLIO_READ)]
AccountId = Annotated[str, Path(max_length=64, description="The loan account's reference.")]
ItemId = Annotated[str, Path(max_length=32, description="The item's id.")]
Version = Annotated[int, Path(ge=1, le=1_000_000, description="The rule-set version.")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]


def account_public(session: Any, account: LoanAccount) -> AccountPublic:
    public = AccountPublic.model_validate(account, from_attributes=True)
    public.on_watch_list = bool(accounts.on_watch_list(session, [account.id]))
    return public


def watch_public(entry: WatchListEntry, now: datetime | None = None) -> WatchListPublic:
    end = entry.exited_at or now or utcnow()
    return WatchListPublic.model_validate({**entry.model_dump(),
                                           "age_days": (end - entry.added_at).days})


def snooze_public(row: CustomerSnooze, account_id: str) -> SnoozePublic:
    return SnoozePublic.model_validate({**row.model_dump(), "account_id": account_id})


def rule_set_public(session: Any, row: RuleSetVersion) -> RuleSetPublic:
    return RuleSetPublic.model_validate({**row.model_dump(),
                                         "figures": rulesets.figures(session, row.version)})


# --- Accounts and events ------------------------------------------------------------------------


@router.post("/accounts", response_model=AccountPublic, status_code=201,
             responses=errors_for(404, 409))
def book_account(body: AccountBook, session: SessionDep, actor: Booker) -> AccountPublic:
    """Book an approved application as a loan account, on the terms it was granted."""
    account = accounts.book(session, actor, account_id=body.account_id,
                            application_id=body.application_id, product=body.product,
                            credit_limit=body.credit_limit, booked_at=body.booked_at)
    return account_public(session, account)


@router.post("/accounts/{account_id}/close", response_model=AccountPublic,
             responses=errors_for(404, 409))
def close_account(account_id: AccountId, body: AccountClose, session: SessionDep,
                  actor: Booker) -> AccountPublic:
    """Close an open account (repaid, charged off, sold): it takes no more events, actions,
    snoozes or watch-list entries; its history, assessments and actions stay."""
    return account_public(session, accounts.close(session, actor, account_id, body.reason,
                                                  body.note))


@router.post("/events", response_model=EventLoadPublic, responses=errors_for())
def load_events(body: EventBatch, session: SessionDep, settings: SettingsDep,
                actor: Loader) -> EventLoadPublic:
    """Receive up to 5,000 account events, in any order. Each is checked on its own: the
    good ones are loaded and the others listed in ``problems`` (index, code, message). An
    event sent again (same id, same content) counts as a duplicate and changes nothing."""
    row = events.load(session, settings, actor, body.events, source=events.API)
    return EventLoadPublic.model_validate(row, from_attributes=True)


@router.get("/accounts", response_model=list[AccountPublic])
def list_accounts(session: SessionDep, actor: Reader,
                  level: Annotated[str | None, Query(pattern="^(low|medium|high)$")] = None,
                  dpd_bucket: Annotated[str | None, Query(
                      pattern=r"^(current|1-30|31-60|61-90|90\+)$")] = None,
                  after: Annotated[str | None, Query(max_length=64,
                                                     description="Keyset: ids after this.")] = None,
                  limit: Limit = 50) -> list[AccountPublic]:
    """Loan accounts in id order, by level or days-past-due bucket."""
    found = accounts.search(session, level=level, dpd_bucket=dpd_bucket, after=after,
                            limit=limit)
    watched = accounts.on_watch_list(session, [a.id for a in found])
    return [AccountPublic.model_validate(a, from_attributes=True).model_copy(
        update={"on_watch_list": a.id in watched}) for a in found]


@router.get("/accounts/{account_id}", response_model=AccountPublic, responses=errors_for(404))
def get_account(account_id: AccountId, session: SessionDep, actor: Reader) -> AccountPublic:
    """One account: its terms, level, signals and what set the level."""
    return account_public(session, accounts.get(session, account_id))


@router.get("/accounts/{account_id}/assessments", response_model=list[AssessmentPublic],
            responses=errors_for(404))
def account_assessments(account_id: AccountId, session: SessionDep, actor: Reader,
                        limit: Limit = 50) -> list[AssessmentPublic]:
    """The account's level history, newest first, with the signals that moved it."""
    accounts.get(session, account_id)
    rows = session.exec(select(AccountAssessment)
                        .where(AccountAssessment.account_id == account_id)
                        .order_by(col(AccountAssessment.id).desc()).limit(limit)).all()
    return [AssessmentPublic.model_validate(r, from_attributes=True) for r in rows]


@router.get("/accounts/{account_id}/actions", response_model=list[ActionPublic],
            responses=errors_for(404))
def account_actions(account_id: AccountId, session: SessionDep, actor: Reader,
                    limit: Limit = 100) -> list[ActionPublic]:
    """Every action on the account, newest first, held ones included."""
    accounts.get(session, account_id)
    rows = session.exec(select(AccountAction).where(AccountAction.account_id == account_id)
                        .order_by(col(AccountAction.created_at).desc()).limit(limit)).all()
    return [ActionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/accounts/{account_id}/proposals", response_model=ActionPublic, status_code=201,
             responses=errors_for(403, 404))
def propose(account_id: AccountId, body: ManualProposal, session: SessionDep,
            actor: Worker) -> ActionPublic:
    """Propose an action by hand. A limit reduction or restructuring then needs a second
    person's approval; an outreach is held by the contact cap or a snooze like a rule's."""
    params: dict[str, Any] = {}
    if body.reduce_by_pct is not None:
        params["reduce_by_pct"] = body.reduce_by_pct
    if body.channel is not None:
        params["channel"] = body.channel
    action = actions.propose(session, actor, account_id, body.kind, params, body.note)
    return ActionPublic.model_validate(action, from_attributes=True)


@router.post("/accounts/{account_id}/snoozes", response_model=SnoozePublic, status_code=201,
             responses=errors_for(404))
def snooze(account_id: AccountId, body: SnoozeCreate, session: SessionDep,
           actor: Worker) -> SnoozePublic:
    """No automated contact with this account's customer until ``until``."""
    return snooze_public(actions.snooze(session, actor, account_id, body.until, body.reason),
                         account_id)


@router.post("/snoozes/{snooze_id}/lift", response_model=SnoozePublic,
             responses=errors_for(404, 409))
def lift_snooze(snooze_id: ItemId, session: SessionDep, actor: Worker) -> SnoozePublic:
    """End a snooze before it expires."""
    row = actions.lift_snooze(session, actor, snooze_id)
    account = session.exec(select(LoanAccount.id)
                           .where(LoanAccount.subject_id == row.subject_id)).first()
    return snooze_public(row, account or "")


# --- The queue: alerts, cases, outreach, proposals, exceptions ------------------------------


@router.get("/early-warning/actions", response_model=list[ActionPublic])
def list_actions(session: SessionDep, actor: Reader,
                 state: Annotated[str | None, Query(max_length=24)] = None,
                 kind: Annotated[str | None, Query(max_length=32)] = None,
                 limit: Limit = 100) -> list[ActionPublic]:
    """The review queue, oldest first: by default everything still to be worked (open
    alerts, cases and exceptions, scheduled outreach, proposals awaiting people)."""
    query = select(AccountAction)
    query = (query.where(AccountAction.state == state) if state
             else query.where(col(AccountAction.state).in_(actions.LIVE_STATES)))
    if kind:
        query = query.where(AccountAction.kind == kind)
    rows = session.exec(query.order_by(col(AccountAction.created_at), col(AccountAction.id))
                        .limit(limit)).all()
    return [ActionPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/early-warning/actions/{action_id}/close", response_model=ActionPublic,
             responses=errors_for(404, 409))
def close_action(action_id: ItemId, body: ActionDecision, session: SessionDep,
                 actor: Worker) -> ActionPublic:
    """Close an alert, case or exception, or mark an outreach done."""
    return ActionPublic.model_validate(actions.close(session, actor, action_id, body.note),
                                       from_attributes=True)


@router.post("/early-warning/actions/{action_id}/endorse", response_model=ActionPublic,
             responses=errors_for(403, 404, 409))
def endorse_action(action_id: ItemId, body: ActionDecision, session: SessionDep,
                   actor: Worker) -> ActionPublic:
    """Take up a rule's limit reduction or restructuring as its maker."""
    return ActionPublic.model_validate(actions.endorse(session, actor, action_id, body.note),
                                       from_attributes=True)


@router.post("/early-warning/actions/{action_id}/approve", response_model=ActionPublic,
             responses=errors_for(403, 404, 409))
def approve_action(action_id: ItemId, body: ActionDecision, session: SessionDep,
                   actor: Approver) -> ActionPublic:
    """Approve, as the second person, a limit reduction or restructuring. A limit reduction
    not caused by this account's delinquency opens its adverse-action notice."""
    return ActionPublic.model_validate(actions.approve(session, actor, action_id, body.note),
                                       from_attributes=True)


@router.post("/early-warning/actions/{action_id}/reject", response_model=ActionPublic,
             responses=errors_for(403, 404, 409))
def reject_action(action_id: ItemId, body: ActionDecision, session: SessionDep,
                  actor: Approver) -> ActionPublic:
    """Reject a limit reduction or restructuring."""
    return ActionPublic.model_validate(actions.reject(session, actor, action_id, body.note),
                                       from_attributes=True)


# --- The watch list -----------------------------------------------------------------------------


@router.get("/watch-list", response_model=list[WatchListPublic])
def list_watch(session: SessionDep, actor: Reader,
               state: Annotated[str | None, Query(pattern="^(active|exit_requested|exited)$")]
               = None, limit: Limit = 100) -> list[WatchListPublic]:
    """Watch-list entries, oldest first (by default those still on the list)."""
    query = select(WatchListEntry)
    query = (query.where(WatchListEntry.state == state) if state
             else query.where(WatchListEntry.state != "exited"))
    now = utcnow()
    return [watch_public(e, now) for e in session.exec(
        query.order_by(col(WatchListEntry.added_at)).limit(limit)).all()]


@router.post("/accounts/{account_id}/watch-list", response_model=WatchListPublic,
             status_code=201, responses=errors_for(404, 409))
def add_watch(account_id: AccountId, body: WatchListAdd, session: SessionDep,
              actor: Worker) -> WatchListPublic:
    """Put the account on the watch list with a named owner."""
    return watch_public(actions.watch(session, actor, account_id, body.owner_id, body.reason))


@router.post("/watch-list/{entry_id}/exit", response_model=WatchListPublic,
             responses=errors_for(403, 404, 409))
def request_exit(entry_id: ItemId, body: ActionDecision, session: SessionDep,
                 actor: Worker) -> WatchListPublic:
    """Ask for the account to leave the watch list; a second person decides."""
    return watch_public(actions.request_exit(session, actor, entry_id, body.note))


@router.post("/watch-list/{entry_id}/exit/approve", response_model=WatchListPublic,
             responses=errors_for(403, 404, 409))
def approve_exit(entry_id: ItemId, body: ActionDecision, session: SessionDep,
                 actor: Approver) -> WatchListPublic:
    """Approve the exit (not the person who asked for it)."""
    return watch_public(actions.decide_exit(session, actor, entry_id, approve=True,
                                            note=body.note))


@router.post("/watch-list/{entry_id}/exit/refuse", response_model=WatchListPublic,
             responses=errors_for(403, 404, 409))
def refuse_exit(entry_id: ItemId, body: ActionDecision, session: SessionDep,
                actor: Approver) -> WatchListPublic:
    """Refuse the exit: the account stays on the list."""
    return watch_public(actions.decide_exit(session, actor, entry_id, approve=False,
                                            note=body.note))


# --- Rule sets --------------------------------------------------------------------------------


@router.get("/rule-sets", response_model=list[RuleSetPublic])
def list_rule_sets(session: SessionDep, actor: RulesReader) -> list[RuleSetPublic]:
    """Every rule-set version, newest first, with its figures."""
    return [rule_set_public(session, r) for r in rulesets.list_versions(session)]


@router.get("/rule-sets/{version}", response_model=RuleSetPublic, responses=errors_for(404))
def get_rule_set(version: Version, session: SessionDep, actor: RulesReader) -> RuleSetPublic:
    return rule_set_public(session, rulesets.get(session, version))


@router.post("/rule-sets", response_model=RuleSetPublic, status_code=201,
             responses=errors_for(404))
def draft_rule_set(body: RuleSetDraft, session: SessionDep, actor: Drafter) -> RuleSetPublic:
    """Draft a new version. Every problem in the document is named with its path
    (422 ``invalid_rule_set``)."""
    return rule_set_public(session, rulesets.draft(session, actor, body.body, body.based_on))


@router.post("/rule-sets/{version}/shadow", response_model=RuleSetPublic,
             responses=errors_for(404))
def shadow_rule_set(version: Version, session: SessionDep, actor: Drafter) -> RuleSetPublic:
    """Run the version over past assessments: what it would have done. It acts on nothing."""
    return rule_set_public(session, rulesets.shadow(session, actor, version))


@router.post("/rule-sets/{version}/publish", response_model=RuleSetPublic,
             responses=errors_for(403, 404, 409))
def publish_rule_set(version: Version, body: RuleSetMove, session: SessionDep,
                     actor: Publisher) -> RuleSetPublic:
    """Publish a shadowed draft (not by its author); the version in force is superseded."""
    return rule_set_public(session, rulesets.publish(session, actor, version, body.reason))


@router.post("/rule-sets/rollback", response_model=RuleSetPublic, responses=errors_for(409))
def rollback_rule_set(body: RuleSetMove, session: SessionDep,
                      actor: Publisher) -> RuleSetPublic:
    """Put the previously published version back in force in one step."""
    return rule_set_public(session, rulesets.rollback(session, actor, body.reason))


# --- Portfolio ----------------------------------------------------------------------------------


@router.get("/portfolio", response_model=dict[str, Any])
def portfolio_view(session: SessionDep, actor: PortfolioReader) -> dict[str, Any]:
    """Accounts by level and days-past-due bucket, flows between levels month over month,
    watch-list ageing, the queues and the harm counters (each must be 0)."""
    return portfolio.view(session)
