"""Disposing of a potential sanctions match: an underwriter proposes, a second approves.

A disposition is four-eyes (:class:`app.reviews.service.FourEyesRule.SANCTIONS_CLEARANCE`):
the maker states it on the case with a reason (a sealed case note) and it waits; only the
checker's approval records it. Then:

- **false positive**: the matches are remembered as not this person; an application still
  waiting for an underwriter joins the referral queue, to be decided on its merits.
- **true match**: the named entries are remembered as this person; an application not yet
  decided is declined (KO-SANCTIONS-MATCH, with its notice); a customer already decided keeps
  the decision made, and the confirmed match is on the ledger for the lender's sanctions
  procedures (blocking and reporting are outside riskdesk).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from app.applications import repository
from app.applications import service as applications
from app.applications.catalogs import reason_catalog
from app.applications.states import PENDING_STATUSES, ApplicationStatus, DecisionKind
from app.audit.service import append_event
from app.auth.four_eyes import require_not_submitter
from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict, Unprocessable
from app.models import (
    Application,
    Decision,
    FourEyesApproval,
    ReviewCase,
    Screening,
    ScreeningDisposition,
)
from app.reviews import service as reviews
from app.reviews.states import ApprovalState, CaseKind, CaseState
from app.scoring.service import load_policy_version
from app.screening.service import (
    CONFIRMED,
    FALSE_POSITIVE,
    POTENTIAL,
    TRUE_MATCH,
    remember,
    unsettled_entries,
)
from compliance.ledger import sha256_hex
from risk_models.decisions import AdverseAction
from risk_models.policy import DECLINE

PROPOSAL_KIND = "sanctions_disposition"


def case_screenings(session: Session, case: ReviewCase) -> list[Screening]:
    """The screenings whose matches opened ``case``."""
    ids = [p["screening_id"] for p in case.detail.get("parties", [])]
    if not ids:
        return []
    return list(session.exec(select(Screening).where(  # type: ignore[call-overload]
        col(Screening.id).in_(ids)).order_by(col(Screening.party))).scalars())


def _sanctions_case(session: Session, case_id: str) -> ReviewCase:
    case = reviews.get(session, case_id, for_update=True)
    if case.kind != CaseKind.SANCTIONS_MATCH:
        raise Conflict("only a sanctions match case takes a disposition; a referral is "
                       "decided through its application's review", code="not_a_sanctions_case")
    return case


def propose(session: Session, settings: Settings, actor: Principal, case_id: str, *,
            disposition: str, entry_ids: list[str], note: str) -> FourEyesApproval:
    """The case's holder proposes a disposition; it waits for a second underwriter."""
    case = _sanctions_case(session, case_id)
    application = session.get(Application, case.application_id)
    assert application is not None  # the foreign key holds it
    require_not_submitter(application.submitted_by, actor)
    now = datetime.now(UTC)
    reviews.holder_check(session, actor, case, now)
    unsettled = unsettled_entries(case_screenings(session, case))
    chosen = sorted(set(entry_ids))
    if disposition == FALSE_POSITIVE and chosen:
        raise Unprocessable("a false positive clears every match of the case; name no entries "
                            "(a true match names the entries it is)", code="entry_ids_invalid")
    if set(chosen) - unsettled or (disposition == TRUE_MATCH and unsettled and not chosen):
        raise Unprocessable(
            "a true match names the entries the person is, among the case's matches ("
            + ", ".join(sorted(unsettled)) + ")", code="entry_ids_invalid",
            details={"unknown": sorted(set(chosen) - unsettled)})
    note_row = reviews.add_note(session, settings, actor, case, note, (), now=now)
    decisions = repository.decisions_of(session, application.id)
    proposal = {"kind": PROPOSAL_KIND, "disposition": disposition, "entry_ids": chosen,
                "note_id": note_row.id, "note_sha256": sha256_hex(note),
                "after_decision_id": decisions[-1].id}
    return reviews.propose(session, actor, application_id=application.id, case=case,
                           rules=[reviews.FourEyesRule.SANCTIONS_CLEARANCE], proposal=proposal,
                           note_sealed=None, note_sha256=sha256_hex(note), now=now)


@dataclass(frozen=True)
class Disposed:
    """An approved disposition: what was remembered, and the decision it wrote (a true match
    on an application not yet decided), if any."""

    approval: FourEyesApproval
    case: ReviewCase
    dispositions: list[ScreeningDisposition]
    decision: Decision | None


def approve(session: Session, settings: Settings, checker: Principal,
            approval: FourEyesApproval) -> Disposed:
    """A second underwriter approves a proposed disposition: it is recorded now."""
    reviews.check_checker(session, checker, approval)
    proposal = approval.proposal
    assert approval.case_id is not None  # a disposition is always made on its case
    case = reviews.get(session, approval.case_id, for_update=True)
    application = session.get(Application, approval.application_id)
    assert application is not None
    now = datetime.now(UTC)
    reviews.settle(session, checker, approval, ApprovalState.APPROVED, now, {})
    disposition = proposal["disposition"]
    screenings = case_screenings(session, case)
    # Confirmed on the caller's own screening (no entry of ours matched): the applicant is
    # remembered as confirmed, so that they are declined when they apply again.
    confirmed_person = (_applicant_digest(session, application.id)
                        if disposition == TRUE_MATCH and not unsettled_entries(screenings)
                        else None)
    rows = remember(session, screenings=screenings, disposition=disposition,
                    entry_ids=proposal["entry_ids"], confirmed_person=confirmed_person,
                    application_id=application.id, case_id=case.id, approval_id=approval.id,
                    maker_id=approval.maker_id, checker_id=checker.actor_id,
                    note_id=proposal["note_id"], note_sha256=proposal["note_sha256"],
                    decided_at=now)
    maker = Principal(actor_type="user", actor_id=approval.maker_id, role=approval.maker_role)
    four_eyes = {"approval_id": approval.id, "maker": approval.maker_id,
                 "checker": checker.actor_id, "checked_at": now.isoformat(),
                 "rules": list(approval.rules)}
    pending = application.status in PENDING_STATUSES
    decision = None
    if disposition == TRUE_MATCH and pending:
        decision = _decline_as_match(session, maker, application, case, proposal, four_eyes,
                                     approval, now)
    else:
        reviews.close_for_decision(session, maker, case, None, now,
                                   {"disposition": disposition, "approval_id": approval.id})
    append_event(session, checker, "screening.disposed", "application", application.id, {
        "case_id": case.id, "approval_id": approval.id, "disposition": disposition,
        "maker": approval.maker_id, "checker": checker.actor_id,
        "note_sha256": proposal["note_sha256"],
        "dispositions": [{"id": r.id, "entry_id": r.entry_id, "list_name": r.list_name,
                          "list_id": r.list_id, "entry_sha256": r.entry_sha256}
                         for r in rows],
        "application_status": application.status,
        "decision_id": decision.id if decision is not None else None}, rows=rows)
    if disposition == FALSE_POSITIVE and application.status == ApplicationStatus.REFERRED:
        # Cleared of the match, the referral is decided on its merits like any other.
        automated = repository.decisions_of(session, application.id)[0]
        applications.open_referral(session, maker, application.id, automated,
                                   load_policy_version(session, automated.policy_version), now)
    return Disposed(approval, case, rows, decision)


def _applicant_digest(session: Session, application_id: str) -> str:
    """The digest the application's applicant was screened by."""
    applicant = session.exec(select(Screening).where(  # type: ignore[call-overload]
        col(Screening.application_id) == application_id, col(Screening.party) == "applicant")
        .order_by(col(Screening.screened_at).desc())).scalars().first()
    if applicant is None:
        raise Conflict("the application has no screening of its applicant to remember the "
                       "match by", code="screening_missing")
    return str(applicant.subject_digest)


def _decline_as_match(session: Session, maker: Principal, application: Application,
                      case: ReviewCase, proposal: dict[str, Any], four_eyes: dict[str, Any],
                      approval: FourEyesApproval, now: datetime) -> Decision:
    """Decline an application whose party is confirmed on a sanctions list: the knock-out no one
    may override, written as the maker's review with the checker named."""
    catalog = reason_catalog(session)
    decisions = repository.decisions_of(session, application.id)
    automated = decisions[0]
    reason = catalog.knockout_reason("KO-SANCTIONS-MATCH")
    knockouts = [k for k in automated.record.get("knockouts", [])
                 if not k["code"].startswith("KO-SANCTIONS")]
    knockouts.append({"code": reason.code, "action": DECLINE, "statement": reason.statement})
    record = {"outcome": DECLINE, "reasons": [reason.to_dict()], "knockouts": knockouts,
              "terms": None, "counteroffer": None, "incomplete": [],
              "adverse_action": str(AdverseAction.DECLINE), "four_eyes": four_eyes,
              "sanctions_case_id": case.id}
    decision = applications.write_review(
        session, maker, application, automated, kind=DecisionKind.REVIEW, record=record,
        decision_id=None, note_sealed=None, note_sha256=proposal["note_sha256"],
        catalog_version=catalog.version, case=case, now=now, approval=approval)
    referral = reviews.open_case_of(session, application.id, CaseKind.REFERRAL)
    if referral is not None:
        reviews.supersede(session, maker, referral, decision.id, now)
    for waiting in reviews.pending_approvals(session, application.id):
        if waiting.id != approval.id:
            reviews.settle(session, maker, waiting, ApprovalState.WITHDRAWN, now,
                           {"why": "the application was declined on a confirmed sanctions match"})
    return decision


def dispositions_of(session: Session, application_id: str) -> list[ScreeningDisposition]:
    return list(session.exec(select(ScreeningDisposition).where(  # type: ignore[call-overload]
        col(ScreeningDisposition.application_id) == application_id)
        .order_by(col(ScreeningDisposition.decided_at))).scalars())


def is_disposition(approval: FourEyesApproval) -> bool:
    return bool(approval.proposal.get("kind") == PROPOSAL_KIND)


# --- Matches awaiting or having a disposition (the compliance console) -------------------------

MATCH_STATUSES = (POTENTIAL, CONFIRMED)


def match_screenings(session: Session, *, before: tuple[datetime, str] | None = None,
                     limit: int = 25) -> list[Screening]:
    """Up to ``limit`` screenings that found a potential or confirmed match, older than the
    ``(screened_at, id)`` cursor ``before``, newest first (a keyset page)."""
    query = select(Screening).where(col(Screening.status).in_(MATCH_STATUSES))
    if before is not None:
        at, ident = before
        query = query.where(or_(col(Screening.screened_at) < at,
                                and_(col(Screening.screened_at) == at,
                                     col(Screening.id) < ident)))
    query = query.order_by(col(Screening.screened_at).desc(), col(Screening.id).desc())
    return list(session.exec(query.limit(limit)).scalars())  # type: ignore[call-overload]


def sanctions_cases_of(session: Session,
                       application_ids: Iterable[str]) -> dict[str, list[ReviewCase]]:
    """The sanctions cases of each of ``application_ids``, oldest first."""
    ids = sorted(set(application_ids))
    out: dict[str, list[ReviewCase]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.exec(select(ReviewCase).where(  # type: ignore[call-overload]
        col(ReviewCase.application_id).in_(ids), col(ReviewCase.kind) == CaseKind.SANCTIONS_MATCH)
        .order_by(col(ReviewCase.opened_at))).scalars()
    for case in rows:
        out[case.application_id].append(case)
    return out


def dispositions_of_applications(session: Session, application_ids: Iterable[str]
                                 ) -> dict[str, list[ScreeningDisposition]]:
    """The dispositions made on each of ``application_ids``' matches, in order."""
    ids = sorted(set(application_ids))
    out: dict[str, list[ScreeningDisposition]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = session.exec(select(ScreeningDisposition).where(  # type: ignore[call-overload]
        col(ScreeningDisposition.application_id).in_(ids))
        .order_by(col(ScreeningDisposition.decided_at))).scalars()
    for row in rows:
        out[row.application_id].append(row)
    return out


def open_sanctions_cases(session: Session) -> int:
    """Sanctions cases not yet decided: matches still waiting for a disposition."""
    return int(session.execute(select(func.count()).select_from(ReviewCase).where(
        col(ReviewCase.kind) == CaseKind.SANCTIONS_MATCH,
        # Named states, not "not decided": the state-and-due index then answers.
        col(ReviewCase.state).in_([str(s) for s in CaseState if s != CaseState.DECIDED]))
    ).scalar_one())
