"""A case's states and the moves between them: the one table every change of state obeys."""

from __future__ import annotations

from enum import StrEnum


class CaseKind(StrEnum):
    REFERRAL = "referral"  # the automated decision referred the application
    SANCTIONS_MATCH = "sanctions_match"  # screening found a potential match


class CaseState(StrEnum):
    OPEN = "open"  # waiting for someone to take it
    ASSIGNED = "assigned"  # an underwriter holds it
    ESCALATED = "escalated"  # handed up to a lead, who assigns it again
    PENDING_APPROVAL = "pending_approval"  # decided by its holder, waiting for a checker
    DECIDED = "decided"


class CaseMove(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    REASSIGN = "reassign"
    ESCALATE = "escalate"
    PROPOSE = "propose"  # a decision that needs a second person
    REJECT = "reject"  # the checker sends the proposal back
    DECIDE = "decide"
    # Closed because the application was decided through another case (a confirmed sanctions
    # match declines a referral still in the queue).
    SUPERSEDE = "supersede"


_S, _M = CaseState, CaseMove
# (state, move) -> next state. Anything else is refused with a 409 naming both.
TRANSITIONS: dict[tuple[CaseState, CaseMove], CaseState] = {
    (_S.OPEN, _M.CLAIM): _S.ASSIGNED,
    (_S.OPEN, _M.REASSIGN): _S.ASSIGNED,
    (_S.OPEN, _M.ESCALATE): _S.ESCALATED,
    (_S.ASSIGNED, _M.RELEASE): _S.OPEN,
    (_S.ASSIGNED, _M.REASSIGN): _S.ASSIGNED,
    (_S.ASSIGNED, _M.ESCALATE): _S.ESCALATED,
    (_S.ASSIGNED, _M.PROPOSE): _S.PENDING_APPROVAL,
    (_S.ASSIGNED, _M.DECIDE): _S.DECIDED,
    (_S.ESCALATED, _M.REASSIGN): _S.ASSIGNED,
    (_S.PENDING_APPROVAL, _M.REJECT): _S.ASSIGNED,
    (_S.PENDING_APPROVAL, _M.DECIDE): _S.DECIDED,
    (_S.OPEN, _M.SUPERSEDE): _S.DECIDED,
    (_S.ASSIGNED, _M.SUPERSEDE): _S.DECIDED,
    (_S.ESCALATED, _M.SUPERSEDE): _S.DECIDED,
    (_S.PENDING_APPROVAL, _M.SUPERSEDE): _S.DECIDED,
}

# States in which a case still waits on someone.
OPEN_STATES = (CaseState.OPEN, CaseState.ASSIGNED, CaseState.ESCALATED,
               CaseState.PENDING_APPROVAL)


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # Made stale by another decision before a checker came to it: never applied.
    WITHDRAWN = "withdrawn"
