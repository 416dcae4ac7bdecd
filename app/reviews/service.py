"""Cases and four-eyes approvals: opening, moving through the state machine, ageing.

Every change is a ledger event in the transaction that makes it (``case.*``, ``approval.*``),
with the digest of the row it writes. Notes are sealed under the applicant's key; the ledger
keeps only their digests.

Deciding a case is not done here: the decision is the applications service's (one rule for
what an underwriter's decision writes); it calls :func:`close_for_decision` and
:func:`propose` in its transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session, col

from app.audit.service import append_event
from app.auth.four_eyes import require_not_submitter, require_second_person
from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models import Application, CaseNote, FourEyesApproval, ReviewCase, User
from app.reviews.states import (
    OPEN_STATES,
    TRANSITIONS,
    ApprovalState,
    CaseKind,
    CaseMove,
    CaseState,
)
from app.subjects import service as subjects
from compliance.ledger import sha256_hex
from risk_models.policy import ReviewRules

# Who may hold a case, and who may hand cases out.
CASE_HOLDERS = (Role.UNDERWRITER, Role.UNDERWRITING_LEAD)
CASE_SUPERVISORS = (Role.UNDERWRITING_LEAD, Role.ADMIN)
PRIORITY = {CaseKind.SANCTIONS_MATCH: 1, CaseKind.REFERRAL: 2}
# Ageing of open cases, in hours since they were opened (service levels are set in hours).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under 24 hours", 0, 24), ("1-2 days", 24, 48), ("2-7 days", 48, 168),
    ("over 7 days", 168, None))


# --- Opening and moving -----------------------------------------------------------------------


def due_at(kind: CaseKind, opened_at: datetime, rules: ReviewRules) -> datetime:
    hours = (rules.sanctions_due_hours if kind == CaseKind.SANCTIONS_MATCH
             else rules.referral_due_hours)
    return opened_at + timedelta(hours=hours)


def open_case(session: Session, actor: Principal, application_id: str, kind: CaseKind,
              rules: ReviewRules, detail: dict[str, Any], now: datetime) -> ReviewCase:
    """Open a case for ``application_id`` (in the caller's transaction)."""
    case = ReviewCase(id=uuid.uuid4().hex, application_id=application_id, kind=kind,
                      state=CaseState.OPEN, priority=PRIORITY[kind], opened_at=now,
                      due_at=due_at(kind, now, rules), detail=detail)
    session.add(case)
    session.flush()
    append_event(session, actor, "case.opened", "case", case.id, {
        "application_id": application_id, "kind": str(kind), "priority": case.priority,
        "due_at": case.due_at.isoformat(), **detail}, rows=(case,))
    return case


def add_matches(session: Session, actor: Principal, case: ReviewCase,
                parties: list[dict[str, Any]], rescreen_id: str) -> ReviewCase:
    """New potential matches on an application whose sanctions case still waits: they join
    it, so that its disposition covers them (they are in ``detail.parties``)."""
    case.detail = {**case.detail, "parties": [*case.detail.get("parties", []), *parties]}
    session.add(case)
    session.flush()
    append_event(session, actor, "case.matches_added", "case", case.id, {
        "application_id": case.application_id, "rescreen_id": rescreen_id,
        "parties": parties}, rows=(case,))
    if case.state == CaseState.PENDING_APPROVAL:
        # A disposition proposed before these matches were known cannot settle them: it is
        # withdrawn, and the case goes back to its holder.
        now = datetime.now(UTC)
        for approval in pending_approvals(session, case.application_id):
            if approval.case_id == case.id:
                settle(session, actor, approval, ApprovalState.WITHDRAWN, now,
                       {"why": "new matches joined the case after it was proposed"})
        _move(session, actor, case, CaseMove.REJECT, now, {"why": "new matches"})
    return case


def get(session: Session, case_id: str, *, for_update: bool = False) -> ReviewCase:
    statement = select(ReviewCase).where(col(ReviewCase.id) == case_id)
    if for_update:
        # Two underwriters claiming at once: the second waits, then sees the first's claim.
        statement = statement.with_for_update()
    case = session.exec(statement).scalars().first()  # type: ignore[call-overload]
    if case is None:
        raise NotFound(f"no case {case_id}", code="case_not_found")
    return case


def open_case_of(session: Session, application_id: str, kind: CaseKind = CaseKind.REFERRAL,
                 ) -> ReviewCase | None:
    """The application's case of ``kind`` still waiting on someone, locked for the change."""
    return session.exec(  # type: ignore[call-overload]
        select(ReviewCase).where(col(ReviewCase.application_id) == application_id,
                                 col(ReviewCase.kind) == kind,
                                 col(ReviewCase.state).in_([str(s) for s in OPEN_STATES]))
        .with_for_update()).scalars().first()


def _move(session: Session, actor: Principal, case: ReviewCase, move: CaseMove,
          now: datetime, payload: dict[str, Any] | None = None) -> ReviewCase:
    target = TRANSITIONS.get((CaseState(case.state), move))
    if target is None:
        raise Conflict(f"a case that is {case.state} cannot be {_past(move)}",
                       code="invalid_case_transition",
                       details={"state": case.state, "move": str(move)})
    previous = case.state
    case.state = target
    session.add(case)
    session.flush()
    append_event(session, actor, f"case.{_past(move)}", "case", case.id, {
        "application_id": case.application_id, "from_state": previous,
        "to_state": str(target), **(payload or {})}, rows=(case,))
    return case


def _past(move: CaseMove) -> str:
    return {CaseMove.CLAIM: "claimed", CaseMove.RELEASE: "released",
            CaseMove.REASSIGN: "reassigned", CaseMove.ESCALATE: "escalated",
            CaseMove.PROPOSE: "proposed", CaseMove.REJECT: "sent_back",
            CaseMove.DECIDE: "decided", CaseMove.SUPERSEDE: "superseded"}[move]


def _require_holder_role(actor: Principal) -> None:
    if actor.actor_type != "user" or actor.role not in CASE_HOLDERS:
        raise Forbidden("only an underwriter or an underwriting lead, signed in, holds cases",
                        code="not_a_case_holder")


def claim(session: Session, actor: Principal, case_id: str) -> ReviewCase:
    _require_holder_role(actor)
    case = get(session, case_id, for_update=True)
    if case.state == CaseState.ASSIGNED and case.assignee_id != actor.actor_id:
        raise Conflict("another underwriter holds this case", code="case_held_elsewhere")
    _check_not_submitter(session, actor, case)
    now = datetime.now(UTC)
    case.assignee_id, case.assigned_at = actor.actor_id, now
    return _move(session, actor, case, CaseMove.CLAIM, now, {"assignee": actor.actor_id})


def release(session: Session, actor: Principal, case_id: str) -> ReviewCase:
    case = get(session, case_id, for_update=True)
    if (case.assignee_id not in (None, actor.actor_id)
            and actor.role not in CASE_SUPERVISORS):
        raise Forbidden("only the case's holder or a lead releases it", code="not_case_holder")
    now = datetime.now(UTC)
    previous = case.assignee_id
    case.assignee_id, case.assigned_at = None, None
    return _move(session, actor, case, CaseMove.RELEASE, now, {"previous_assignee": previous})


def reassign(session: Session, actor: Principal, case_id: str, assignee_id: str) -> ReviewCase:
    """A lead or an admin hands a case to an underwriter (from any waiting state but a pending
    approval, which belongs to its maker until a checker acts)."""
    if actor.role not in CASE_SUPERVISORS:
        raise Forbidden("only an underwriting lead or an admin reassigns cases",
                        code="not_a_supervisor")
    case = get(session, case_id, for_update=True)
    assignee = session.get(User, int(assignee_id)) if assignee_id.isdigit() else None
    if assignee is None or not assignee.is_active or assignee.role not in CASE_HOLDERS:
        raise Unprocessable(f"user {assignee_id} is not an active underwriter or lead",
                            code="assignee_not_underwriter")
    _check_not_submitter(session, Principal("user", assignee_id, assignee.role), case)
    now = datetime.now(UTC)
    previous = case.assignee_id
    case.assignee_id, case.assigned_at = assignee_id, now
    return _move(session, actor, case, CaseMove.REASSIGN, now,
                 {"assignee": assignee_id, "previous_assignee": previous})


def escalate(session: Session, settings: Settings, actor: Principal, case_id: str,
             note: str) -> ReviewCase:
    case = get(session, case_id, for_update=True)
    if case.assignee_id not in (None, actor.actor_id) and actor.role not in CASE_SUPERVISORS:
        raise Forbidden("only the case's holder or a lead escalates it", code="not_case_holder")
    now = datetime.now(UTC)
    note_row = add_note(session, settings, actor, case, note, (), now=now)
    case.assignee_id, case.assigned_at = None, None
    return _move(session, actor, case, CaseMove.ESCALATE, now, {"note_id": note_row.id})


def _check_not_submitter(session: Session, actor: Principal, case: ReviewCase) -> None:
    application = session.get(Application, case.application_id)
    if application is not None:
        require_not_submitter(application.submitted_by, actor)


def holder_check(session: Session, actor: Principal, case: ReviewCase, now: datetime) -> None:
    """Before ``actor`` decides ``case``: they hold it, or it is open and they claim it now."""
    if case.state == CaseState.PENDING_APPROVAL:
        raise Conflict("a decision on this case is waiting for a second underwriter's approval",
                       code="approval_pending")
    if case.state in (CaseState.OPEN, CaseState.ESCALATED) and case.assignee_id is None:
        if case.state == CaseState.ESCALATED and actor.role not in CASE_SUPERVISORS:
            raise Conflict("this case is escalated: a lead assigns it", code="case_escalated")
        case.assignee_id, case.assigned_at = actor.actor_id, now
        move = CaseMove.CLAIM if case.state == CaseState.OPEN else CaseMove.REASSIGN
        _move(session, actor, case, move, now, {"assignee": actor.actor_id})
    elif case.assignee_id != actor.actor_id:
        raise Conflict("another underwriter holds this case", code="case_held_elsewhere")


def close_for_decision(session: Session, actor: Principal, case: ReviewCase,
                       decision_id: str | None, now: datetime,
                       payload: dict[str, Any] | None = None) -> ReviewCase:
    """Close ``case``: decided by ``decision_id``, or (a sanctions match disposed of on a
    customer already decided) by what ``payload`` names."""
    case.decided_at, case.decision_id = now, decision_id
    return _move(session, actor, case, CaseMove.DECIDE, now,
                 {"decision_id": decision_id, **(payload or {})})


def supersede(session: Session, actor: Principal, case: ReviewCase, decision_id: str,
              now: datetime) -> ReviewCase:
    """Close a case whose application another case decided."""
    case.decided_at, case.decision_id = now, decision_id
    return _move(session, actor, case, CaseMove.SUPERSEDE, now, {"decision_id": decision_id})


def require_no_open_sanctions_case(session: Session, application_id: str) -> None:
    """No one decides an application while a potential sanctions match on it waits."""
    case = open_case_of(session, application_id, CaseKind.SANCTIONS_MATCH)
    if case is not None:
        raise Conflict(
            f"a potential sanctions match on this application waits for its disposition; "
            f"dispose of it first (POST /cases/{case.id}/disposition)",
            code="sanctions_match_open", details={"case_id": case.id})


def record_notes_read(session: Session, actor: Principal, case: ReviewCase) -> None:
    """Reading a case's notes is reading personal data: recorded like an application view."""
    append_event(session, actor, "case.notes_read", "case", case.id,
                 {"application_id": case.application_id})


def add_note(session: Session, settings: Settings, actor: Principal, case: ReviewCase,
             note: str, attachments: Sequence[dict[str, Any]], *,
             now: datetime | None = None) -> CaseNote:
    """A note on ``case``, sealed under the applicant's key, with attachments' digests."""
    if not note.strip():
        raise Unprocessable("a note needs some text", code="note_empty")
    note_id = uuid.uuid4().hex
    row = CaseNote(id=note_id, case_id=case.id, author_id=actor.actor_id,
                   created_at=now or datetime.now(UTC),
                   note_sealed=subjects.seal_case_note(session, settings, case.application_id,
                                                       note_id, note),
                   attachments=[dict(a) for a in attachments])
    session.add(row)
    session.flush()
    append_event(session, actor, "case.note_added", "case", case.id, {
        "note_id": note_id, "note_sha256": sha256_hex(note),
        "attachments": [a["sha256"] for a in attachments]})
    return row


# --- Four eyes --------------------------------------------------------------------------------


class FourEyesRule:
    """Why an underwriter's decision waits for a second underwriter."""

    DECLINE_TO_APPROVE = "override_decline_to_approve"
    LARGE_APPROVAL = "approval_above_four_eyes_amount"
    SANCTIONS_CLEARANCE = "sanctions_match_disposition"


def four_eyes_rules(*, previous_outcome: str, outcome: str, kind: str, currency: str,
                    amount: Any, rules: ReviewRules) -> list[str]:
    """The rules under which an underwriter's decision needs a checker (empty: it does not)."""
    needed = []
    if kind == "override" and previous_outcome == "decline" and outcome == "approve":
        needed.append(FourEyesRule.DECLINE_TO_APPROVE)
    if outcome == "approve" and rules.approval_needs_checker(currency, amount):
        needed.append(FourEyesRule.LARGE_APPROVAL)
    return needed


def propose(session: Session, actor: Principal, *, application_id: str,
            case: ReviewCase | None, rules: list[str], proposal: dict[str, Any],
            note_sealed: bytes | None, note_sha256: str, now: datetime) -> FourEyesApproval:
    """Hold a decision until a second underwriter approves it; the outcome does not change."""
    # One proposal of each sort waits at a time: a decision, or a sanctions disposition (a
    # disposition must be reachable while a decision waits on it).
    sort = _proposal_sort(proposal["kind"])
    pending = next((a for a in pending_approvals(session, application_id)
                    if _proposal_sort(a.proposal["kind"]) == sort), None)
    if pending is not None:
        raise Conflict("a decision on this application is already waiting for approval",
                       code="approval_pending", details={"approval_id": pending.id})
    approval = FourEyesApproval(
        id=uuid.uuid4().hex, application_id=application_id,
        case_id=case.id if case is not None else None, rules=rules,
        state=ApprovalState.PENDING, maker_id=actor.actor_id, maker_role=str(actor.role),
        made_at=now, proposal=proposal, note_sealed=note_sealed)
    session.add(approval)
    session.flush()
    append_event(session, actor, "approval.requested", "approval", approval.id, {
        "application_id": application_id, "case_id": approval.case_id, "rules": rules,
        "outcome": (proposal["record"]["outcome"] if "record" in proposal
                    else proposal["disposition"]), "kind": proposal["kind"],
        "note_sha256": note_sha256}, rows=(approval,))
    if case is not None:
        _move(session, actor, case, CaseMove.PROPOSE, now, {"approval_id": approval.id})
    return approval


# Proposal kinds that are decisions on the application (an underwriter's review or override).
DECISION_KINDS = frozenset({"review", "override"})


def _proposal_sort(kind: str) -> str:
    return "decision" if kind in DECISION_KINDS else kind


def pending_approvals(session: Session, application_id: str) -> list[FourEyesApproval]:
    return list(session.exec(select(FourEyesApproval).where(  # type: ignore[call-overload]
        col(FourEyesApproval.application_id) == application_id,
        col(FourEyesApproval.state) == ApprovalState.PENDING)).scalars())


def get_approval(session: Session, approval_id: str) -> FourEyesApproval:
    approval = session.exec(  # type: ignore[call-overload]
        select(FourEyesApproval).where(col(FourEyesApproval.id) == approval_id)
        .with_for_update()).scalars().first()
    if approval is None:
        raise NotFound(f"no approval {approval_id}", code="approval_not_found")
    return approval


def check_checker(session: Session, checker: Principal, approval: FourEyesApproval) -> None:
    """The checker is a signed-in underwriter or lead, never the maker, never the submitter."""
    if approval.state != ApprovalState.PENDING:
        raise Conflict(f"this approval is already {approval.state}",
                       code="approval_not_pending", details={"state": approval.state})
    require_second_person(approval.maker_id, checker, "decision")
    if checker.role not in CASE_HOLDERS:
        raise Forbidden("a second underwriter or a lead approves decisions",
                        code="not_a_checker")
    application = session.get(Application, approval.application_id)
    if application is not None:
        require_not_submitter(application.submitted_by, checker)


def settle(session: Session, checker: Principal, approval: FourEyesApproval,
           state: ApprovalState, now: datetime, payload: dict[str, Any]) -> FourEyesApproval:
    approval.state, approval.checker_id, approval.checked_at = state, checker.actor_id, now
    session.add(approval)
    session.flush()
    event = {ApprovalState.APPROVED: "approval.approved",
             ApprovalState.REJECTED: "approval.rejected",
             ApprovalState.WITHDRAWN: "approval.withdrawn"}[state]
    append_event(session, checker, event, "approval", approval.id, {
        "application_id": approval.application_id, "maker": approval.maker_id,
        **payload}, rows=(approval,))
    return approval


def send_back(session: Session, checker: Principal, approval: FourEyesApproval,
              note_sha256: str, now: datetime) -> FourEyesApproval:
    """The checker refuses the proposal: the case goes back to its maker."""
    settle(session, checker, approval, ApprovalState.REJECTED, now,
           {"note_sha256": note_sha256})
    if approval.case_id is not None:
        case = get(session, approval.case_id, for_update=True)
        _move(session, checker, case, CaseMove.REJECT, now, {"approval_id": approval.id})
    return approval


def list_approvals(session: Session, *, state: str | None, not_made_by: str | None = None,
                   limit: int = 100) -> list[FourEyesApproval]:
    statement = select(FourEyesApproval).order_by(col(FourEyesApproval.made_at))
    if state is not None:
        statement = statement.where(col(FourEyesApproval.state) == state)
    if not_made_by is not None:
        statement = statement.where(col(FourEyesApproval.maker_id) != not_made_by)
    return list(session.exec(statement.limit(limit)).scalars())  # type: ignore[call-overload]


# --- The queue --------------------------------------------------------------------------------


def list_cases(session: Session, *, state: str | None = None, assignee: str | None = None,
               kind: str | None = None, overdue: bool | None = None, now: datetime,
               limit: int = 100, offset: int = 0) -> tuple[list[ReviewCase], int]:
    """Cases, the most urgent first: priority, then the oldest (the longest waiting)."""
    statement = select(ReviewCase)
    if state is not None:
        statement = statement.where(col(ReviewCase.state) == state)
    if assignee is not None:
        statement = statement.where(col(ReviewCase.assignee_id) == assignee)
    if kind is not None:
        statement = statement.where(col(ReviewCase.kind) == kind)
    if overdue is not None:
        waiting = col(ReviewCase.state).in_([str(s) for s in OPEN_STATES])
        late = col(ReviewCase.due_at) < now
        statement = statement.where(waiting & late if overdue else ~(waiting & late))
    total = session.exec(select(func.count()).select_from(  # type: ignore[call-overload]
        statement.subquery())).scalar_one()
    rows = session.exec(statement.order_by(  # type: ignore[call-overload]
        col(ReviewCase.priority), col(ReviewCase.opened_at), col(ReviewCase.id))
        .limit(limit).offset(offset)).scalars()
    return list(rows), int(total)


def notes_of(session: Session, case_id: str) -> list[CaseNote]:
    return list(session.exec(select(CaseNote).where(  # type: ignore[call-overload]
        col(CaseNote.case_id) == case_id).order_by(col(CaseNote.created_at))).scalars())


@dataclass(frozen=True)
class Ageing:
    """The queue at ``as_of``: cases still waiting by age band, overdue, time to decision."""

    as_of: datetime
    open_by_age_band: list[tuple[str, int]]
    open_total: int
    overdue: int
    decided: int
    median_hours_to_decision: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "open_total": self.open_total,
                "open_by_age_band": [{"band": b, "cases": n} for b, n in self.open_by_age_band],
                "overdue": self.overdue, "decided": self.decided,
                "median_hours_to_decision": self.median_hours_to_decision}


def ageing(session: Session, as_of: datetime, since: datetime | None = None) -> Ageing:
    """The review queue as of ``as_of``: the cases waiting then, by age band and overdue,
    counted by the database in one aggregate; and the median time to decision of the cases
    decided in [``since``, ``as_of``] (none without ``since``).

    A case decided after ``as_of`` counts as still waiting then, so the figures for a past
    cut-off never change.
    """
    opened, due, decided = (col(ReviewCase.opened_at), col(ReviewCase.due_at),
                            col(ReviewCase.decided_at))
    waiting = and_(opened <= as_of, or_(decided.is_(None), decided > as_of))
    counts = []
    for _label, low, high in AGE_BANDS:
        # Age in hours in [low, high) is opened in (as_of - high, as_of - low].
        band = opened <= as_of - timedelta(hours=low)
        if high is not None:
            band = and_(band, opened > as_of - timedelta(hours=high))
        counts.append(func.coalesce(func.sum(case((band, 1), else_=0)), 0))
    counts.append(func.coalesce(func.sum(case((due < as_of, 1), else_=0)), 0))
    figures = session.execute(select(*counts).where(waiting)).one()
    bands = [(label, int(n)) for (label, _, _), n in zip(AGE_BANDS, figures, strict=False)]
    durations: list[float] = []
    if since is not None:
        durations = [(d - o).total_seconds() / 3600 for o, d in session.execute(
            select(opened, decided).where(opened <= as_of, decided >= since, decided <= as_of))]
    return Ageing(as_of=as_of, open_by_age_band=bands, open_total=sum(n for _, n in bands),
                  overdue=int(figures[-1]), decided=len(durations),
                  median_hours_to_decision=round(median(durations), 2) if durations else None)


# --- Service levels and sending back, as the console shows and does them ----------------------

# A case is "due soon" once less than this share of its service level remains.
DUE_SOON_SHARE = 0.25


class ServiceLevel:
    """Where an open case stands against its due time."""

    WITHIN = "within"
    DUE_SOON = "due_soon"
    BREACHED = "breached"


def service_level(case: ReviewCase, now: datetime) -> str:
    """Breached once past its due time; due soon in the last DUE_SOON_SHARE of its window."""
    if case.due_at <= now:
        return ServiceLevel.BREACHED
    window = (case.due_at - case.opened_at).total_seconds()
    left = (case.due_at - now).total_seconds()
    return ServiceLevel.DUE_SOON if left < window * DUE_SOON_SHARE else ServiceLevel.WITHIN


def reject_proposal(session: Session, settings: Settings, checker: Principal,
                    approval_id: str, note: str) -> FourEyesApproval:
    """The checker sends a proposal back to its maker: the reason goes on the case, sealed like
    any note, and nothing changes for the applicant (what POST /approvals/{id}/reject does)."""
    approval = get_approval(session, approval_id)
    check_checker(session, checker, approval)
    now = datetime.now(UTC)
    if approval.case_id is not None:
        add_note(session, settings, checker, get(session, approval.case_id), note, (), now=now)
    return send_back(session, checker, approval, sha256_hex(note), now)
