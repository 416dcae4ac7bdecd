"""Console pages for underwriters: the case inbox (claim, release), a case's detail (the
application's decision, its score by characteristic, notes, and the decide form), the
approvals awaiting this person as a checker, and the underwriting panels of the home page.

Every change goes through the services the API's routes call: app.reviews.service for the
queue and the checker's refusal, app.applications.service for decisions and their approval,
app.screening.dispositions for a sanctions disposition's approval.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.applications import repository as applications_repository
from app.applications import service as applications
from app.applications.catalogs import reason_catalog
from app.applications.schemas import ReviewCreate
from app.auth.deps import SettingsDep
from app.auth.permissions import PERMISSIONS, Action
from app.config import Settings
from app.console import charts, nav
from app.console.deps import ConsoleAction, may
from app.console.home import panel
from app.console.rendering import is_htmx, page
from app.console.sessions import SignedIn
from app.db import SessionDep
from app.errors import RiskdeskError
from app.models import Decision, FourEyesApproval, ReviewCase
from app.reviews import repository, service
from app.reviews.schemas import ApprovalReject, NoteCreate, approval_public
from app.reviews.states import OPEN_STATES, CaseKind, CaseState
from app.scoring import service as scoring
from app.screening import dispositions
from app.subjects import service as subjects

router = APIRouter(prefix="/console")
CaseReader = Annotated[SignedIn, ConsoleAction(Action.CASE_READ)]
CaseWorker = Annotated[SignedIn, ConsoleAction(Action.CASE_WORK)]
Checker = Annotated[SignedIn, ConsoleAction(Action.APPROVAL_DECIDE)]
PAGE_SIZE = 50
INBOX = "/console/cases"
SCREENING = "/console/screening"  # where a sanctions match's disposition is made
# The words (and badge classes) of a case's standing against its service level: never colour
# alone.
LEVELS = {service.ServiceLevel.WITHIN: ("Within service level", "good"),
          service.ServiceLevel.DUE_SOON: ("Due soon", "warn"),
          service.ServiceLevel.BREACHED: ("Breached", "bad")}
STATE_BADGES = {CaseState.OPEN: "neutral", CaseState.ASSIGNED: "good",
                CaseState.ESCALATED: "warn", CaseState.PENDING_APPROVAL: "warn",
                CaseState.DECIDED: "neutral"}
OUTCOME_BADGES = {"approve": "good", "refer": "warn", "decline": "bad"}
RULES = {service.FourEyesRule.DECLINE_TO_APPROVE: "it turns a decline into an approval",
         service.FourEyesRule.LARGE_APPROVAL: "it approves more than the policy's four-eyes "
                                              "amount",
         service.FourEyesRule.SANCTIONS_CLEARANCE: "it settles a potential sanctions match"}
RESULTS = {"decided": "The decision is recorded and the case is closed.",
           "proposed": "The decision waits for a second underwriter's approval; the "
                       "applicant's outcome does not change until then.",
           "noted": "The note is added.",
           "approved": "Approved: the decision is written, with you named as its checker.",
           "sent_back": "Sent back to its maker, with your reason on the case."}


# --- Formatting -------------------------------------------------------------------------------


def _duration(hours: float) -> str:
    """``45 min``, ``5 h``, ``2 d 4 h``: how long a person reads a wait."""
    minutes = int(abs(hours) * 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d {minutes // 60 % 24} h"


def _words(name: str) -> str:
    return name.replace("_", " ")


def _short(identifier: str) -> str:
    return identifier[:8]


def _who(user_id: str | None, names: dict[str, str], me: str) -> str:
    if user_id is None:
        return "nobody"
    if user_id == me:
        return "you"
    return names.get(user_id, f"user {user_id}")


def _case_view(case: ReviewCase, now: datetime, names: dict[str, str],
               signed_in: SignedIn) -> dict[str, Any]:
    me = signed_in.principal.actor_id
    waiting = case.state in OPEN_STATES
    level = service.service_level(case, now) if waiting else None
    word, badge = LEVELS[level] if level else ("Closed", "neutral")
    left = (case.due_at - now).total_seconds() / 3600
    works = may(signed_in, Action.CASE_WORK)
    return {
        "id": case.id, "application_id": case.application_id,
        "application_short": _short(case.application_id), "kind": case.kind,
        "state": case.state, "state_badge": STATE_BADGES.get(CaseState(case.state), "neutral"),
        "opened_at": case.opened_at, "due_at": case.due_at,
        "age": _duration(((case.decided_at or now) - case.opened_at).total_seconds() / 3600),
        "due_text": ("" if not waiting else f"in {_duration(left)}" if left > 0
                     else f"{_duration(left)} overdue"),
        "level_word": word, "level_badge": badge,
        "holder": _who(case.assignee_id, names, me),
        "can_claim": works and case.state == CaseState.OPEN,
        "can_release": works and case.state == CaseState.ASSIGNED and case.assignee_id == me,
    }


def _safe_next(target: str | None, fallback: str) -> str:
    # Only a page of the console's own: never an address elsewhere.
    if target and target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return fallback


# --- The inbox --------------------------------------------------------------------------------


def _inbox_filter(show: str | None, state: str | None, kind: str | None,
                  sla: str | None) -> repository.InboxFilter:
    """The filter a query string asks for; anything unknown reads as "any"."""
    return repository.InboxFilter(
        show=show if show in repository.INBOX_SHOWS else "all",
        state=state if state in {str(s) for s in OPEN_STATES} else None,
        kind=kind if kind in {str(k) for k in CaseKind} else None,
        breached=sla == "breached")


def _query(inbox: repository.InboxFilter, after: str | None = None) -> str:
    parts = {"show": inbox.show, "state": inbox.state, "kind": inbox.kind,
             "sla": "breached" if inbox.breached else None, "after": after}
    return "?" + urlencode({k: v for k, v in parts.items() if v})


@router.get("/cases")
def case_inbox(request: Request, session: SessionDep, signed_in: CaseReader,
               show: str | None = None, state: str | None = None, kind: str | None = None,
               sla: str | None = None, after: str | None = None) -> Response:
    """Open cases, the soonest due first, a page at a time."""
    now = datetime.now(UTC)
    inbox = _inbox_filter(show, state, kind, sla)
    cursor = repository.Cursor.decode(after) if after else None
    me = signed_in.principal.actor_id
    rows, next_cursor = repository.inbox(session, inbox, me=me, now=now, after=cursor,
                                         limit=PAGE_SIZE)
    names = repository.usernames(session, (c.assignee_id for c in rows))
    here = INBOX + _query(inbox, after)
    return page(request, signed_in, "cases/inbox.html", title="Case inbox",
                rows=[_case_view(c, now, names, signed_in) for c in rows], inbox=inbox,
                states=[str(s) for s in OPEN_STATES], kinds=[str(k) for k in CaseKind],
                next_link=INBOX + _query(inbox, next_cursor.encode()) if next_cursor else None,
                first_link=INBOX + _query(inbox) if cursor else None, next_url=here)


def _moved(request: Request, session: Session, signed_in: SignedIn, case: ReviewCase,
           next_url: str | None, message: str) -> Response:
    """After a claim or release: htmx gets the case's row again; a plain form goes back."""
    if is_htmx(request):
        now = datetime.now(UTC)
        names = repository.usernames(session, [case.assignee_id])
        return page(request, signed_in, "cases/_row.html", c=_case_view(
            case, now, names, signed_in), next_url=_safe_next(next_url, INBOX), moved=message)
    return RedirectResponse(_safe_next(next_url, INBOX), status_code=303)


@router.post("/cases/{case_id}/claim")
def claim_case(request: Request, session: SessionDep, case_id: str, signed_in: CaseWorker,
               next_url: Annotated[str | None, Form(alias="next")] = None) -> Response:
    """Take an open case (POST /cases/{id}/claim's service)."""
    case = service.claim(session, signed_in.principal, case_id)
    return _moved(request, session, signed_in, case, next_url, "Claimed by you.")


@router.post("/cases/{case_id}/release")
def release_case(request: Request, session: SessionDep, case_id: str, signed_in: CaseWorker,
                 next_url: Annotated[str | None, Form(alias="next")] = None) -> Response:
    """Give a case back to the queue (POST /cases/{id}/release's service)."""
    case = service.release(session, signed_in.principal, case_id)
    return _moved(request, session, signed_in, case, next_url, "Released to the queue.")


# --- A case -----------------------------------------------------------------------------------


def _breakdown(session: Session, automated: Decision) -> list[dict[str, Any]]:
    """Each characteristic's points in the automated decision against its best bin's, in the
    scorecard's order."""
    if automated.model_version is None:  # decided without a score (a knock-out before it)
        return []
    model = scoring.load_model_by_version(session, automated.model_version)
    scored = {s.characteristic: s for s in repository.scored_characteristics(
        session, automated.application_id, automated.model_version)}
    return [{"name": c.name, "bin": scored[c.name].bin_label, "points": scored[c.name].points,
             "best": c.best_points, "short": c.best_points - scored[c.name].points}
            for c in model.scorecard.characteristics if c.name in scored]


def _reason_choices(session: Session, automated: Decision) -> list[tuple[str, list[
        tuple[str, str]]]]:
    """The reasons a decision may give, grouped: the automated decision's own, and the
    underwriters' catalogue (what the review service accepts)."""
    catalog = reason_catalog(session)
    own = [(r["code"], r["statement"]) for r in automated.record.get("knockouts", [])
           + automated.record.get("reasons", [])]
    catalogue = [(code, catalog.underwriter_reason(code).statement)
                 for code in catalog.underwriter_codes()]
    return [("From the automated decision", own), ("Underwriter reasons", catalogue)]


def _case_values(session: Session, settings: Settings, signed_in: SignedIn,
                 case_id: str) -> dict[str, Any]:
    """What the case page shows; reading the application and the notes is recorded, as the
    API's reads are."""
    actor = signed_in.principal
    now = datetime.now(UTC)
    case = service.get(session, case_id)
    application = applications.get_for(session, actor, case.application_id)
    applications.record_view(session, actor, application)
    decisions = applications_repository.decisions_of(session, application.id)
    automated, current = decisions[0], decisions[-1]
    notes = service.notes_of(session, case.id)
    if notes:
        service.record_notes_read(session, actor, case)
    pending = [approval_public(a) for a in service.pending_approvals(session, application.id)
               if a.case_id == case.id]
    names = repository.usernames(session, [case.assignee_id, *(n.author_id for n in notes),
                                           *(d.decided_by for d in decisions),
                                           *(p.maker_id for p in pending)])
    me = actor.actor_id
    breakdown = _breakdown(session, automated)
    chart = charts.bars(
        [row for b in breakdown for row in ((_words(b["name"]), b["points"]),
                                            (f"{_words(b['name'])} best", b["best"]))],
        title="Points earned by each characteristic against its best bin",
        value_label=lambda v: f"{v:.1f}")
    open_for_me = case.assignee_id in (None, me) and case.state in (CaseState.OPEN,
                                                                    CaseState.ASSIGNED)
    return {
        "case": _case_view(case, now, names, signed_in), "application": application,
        "automated": automated, "current": current, "terms": current.record.get("terms"),
        "reasons": current.record.get("knockouts", []) + current.record.get("reasons", []),
        "decisions": [{"kind": d.kind, "outcome": d.outcome, "when": d.created_at,
                       "by": "the scorecard" if d.decided_by == "system"
                       else _who(d.decided_by, names, me)} for d in decisions],
        "outcome_badges": OUTCOME_BADGES,
        "notes": [{"author": _who(n.author_id, names, me), "when": n.created_at,
                   "text": subjects.open_case_note(session, settings, case.application_id,
                                                   n.id, n.note_sealed)} for n in notes],
        "pending": [{"approval": p, "maker": _who(p.maker_id, names, me),
                     "rules": [RULES.get(r, r) for r in p.rules]} for p in pending],
        "breakdown": breakdown, "chart": chart,
        "can_work": may(signed_in, Action.CASE_WORK),
        "can_decide": (may(signed_in, Action.CASE_WORK) and case.kind == CaseKind.REFERRAL
                       and open_for_me),
        "reason_groups": _reason_choices(session, automated),
        "is_sanctions": case.kind == CaseKind.SANCTIONS_MATCH,
        "may_open_screening": nav.may_open(actor.role, SCREENING),
    }


def _case_page(request: Request, session: Session, settings: Settings, signed_in: SignedIn,
               case_id: str, *, status_code: int = 200, **extra: Any) -> Response:
    values = _case_values(session, settings, signed_in, case_id)
    return page(request, signed_in, "cases/detail.html", status_code=status_code,
                title=f"Case for application {values['case']['application_short']}",
                errors=extra.pop("errors", {}), form=extra.pop("form", {}),
                note_form=extra.pop("note_form", {}), **values, **extra)


@router.get("/cases/{case_id}")
def case_detail(request: Request, session: SessionDep, settings: SettingsDep, case_id: str,
                signed_in: CaseReader, result: str | None = None) -> Response:
    """A case: its application's decision, score breakdown, notes, and what may be done."""
    return _case_page(request, session, settings, signed_in, case_id,
                      result=RESULTS.get(result or ""))


_REVIEW_MESSAGES = {"outcome": "Choose approve or decline.",
                    "note": "Say why, in 10 to 2,000 characters.",
                    "reason_codes": "Choose at most four reasons."}


@router.post("/cases/{case_id}/decide")
def decide_case(request: Request, session: SessionDep, settings: SettingsDep, case_id: str,
                signed_in: CaseWorker,
                outcome: Annotated[str | None, Form()] = None,
                note: Annotated[str | None, Form()] = None,
                reason_codes: Annotated[list[str] | None, Form()] = None) -> Response:
    """Decide the case's application, or propose the decision for a second underwriter (the
    service of POST /applications/{id}/review)."""
    case = service.get(session, case_id)
    form = {"outcome": outcome, "note": note or "", "reason_codes": reason_codes or []}
    try:
        body = ReviewCreate(**form)
    except ValidationError as invalid:
        errors = {str(e["loc"][0]): _REVIEW_MESSAGES.get(str(e["loc"][0]), e["msg"])
                  for e in invalid.errors()}
        return _case_page(request, session, settings, signed_in, case_id, status_code=422,
                          errors=errors, form=form)
    done = applications.review(session, settings, signed_in.principal, case.application_id,
                               outcome=body.outcome, note=body.note,
                               reason_codes=body.reason_codes)
    result = "proposed" if isinstance(done, FourEyesApproval) else "decided"
    return RedirectResponse(f"{INBOX}/{case_id}?result={result}", status_code=303)


@router.post("/cases/{case_id}/notes")
def add_note(request: Request, session: SessionDep, settings: SettingsDep, case_id: str,
             signed_in: CaseWorker, note: Annotated[str | None, Form()] = None) -> Response:
    """A note on the case (the service of POST /cases/{id}/notes)."""
    try:
        body = NoteCreate(note=note or "")
    except ValidationError:
        return _case_page(request, session, settings, signed_in, case_id, status_code=422,
                          note_form={"note": note or "",
                                     "error": "Write the note, in at most 4,000 characters."})
    case = service.get(session, case_id)
    service.add_note(session, settings, signed_in.principal, case, body.note, ())
    return RedirectResponse(f"{INBOX}/{case_id}?result=noted", status_code=303)


# --- Approvals --------------------------------------------------------------------------------


def _approvals_page(request: Request, session: Session, signed_in: SignedIn, *,
                    status_code: int = 200, **extra: Any) -> Response:
    me = signed_in.principal.actor_id
    rows = service.list_approvals(session, state="pending", not_made_by=me, limit=100)
    names = repository.usernames(session, (a.maker_id for a in rows))
    items = []
    for row in rows:
        shown = approval_public(row)
        record = row.proposal.get("record") or {}
        items.append({"approval": shown, "maker": _who(shown.maker_id, names, me),
                      "application_short": _short(shown.application_id),
                      "rules": [RULES.get(r, r) for r in shown.rules],
                      "reasons": record.get("reasons", []), "terms": shown.terms})
    return page(request, signed_in, "cases/approvals.html", status_code=status_code,
                title="Awaiting my approval", items=items, outcome_badges=OUTCOME_BADGES,
                errors=extra.pop("errors", {}), **extra)


@router.get("/approvals")
def approvals(request: Request, session: SessionDep, signed_in: Checker,
              result: str | None = None, case: str | None = None) -> Response:
    """Decisions other people made that wait for this person as their checker."""
    return _approvals_page(request, session, signed_in, result=RESULTS.get(result or ""),
                           result_case=case if case and case.isalnum() else None)


@router.post("/approvals/{approval_id}/approve")
def approve(request: Request, session: SessionDep, settings: SettingsDep, approval_id: str,
            signed_in: Checker) -> Response:
    """Approve: the decision (or sanctions disposition) takes effect now, as the API's
    POST /approvals/{id}/approve does."""
    actor = signed_in.principal
    approval = service.get_approval(session, approval_id)
    if dispositions.is_disposition(approval):
        dispositions.approve(session, settings, actor, approval)
    else:
        written = applications.approve_proposal(session, actor, approval_id)
        if isinstance(written, RiskdeskError):
            # A stale proposal was withdrawn: that must commit, so it is answered, not raised.
            return _approvals_page(request, session, signed_in,
                                   status_code=written.status_code, failure=written)
    target = "/console/approvals?result=approved"
    if approval.case_id:
        target += f"&case={approval.case_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/approvals/{approval_id}/reject")
def reject(request: Request, session: SessionDep, settings: SettingsDep, approval_id: str,
           signed_in: Checker, note: Annotated[str | None, Form()] = None) -> Response:
    """Send a proposal back to its maker with the reason (POST /approvals/{id}/reject)."""
    try:
        body = ApprovalReject(note=note or "")
    except ValidationError:
        return _approvals_page(request, session, signed_in, status_code=422, errors={
            approval_id: "Say why it is sent back, in at most 4,000 characters."})
    service.reject_proposal(session, settings, signed_in.principal, approval_id, body.note)
    return RedirectResponse("/console/approvals?result=sent_back", status_code=303)


# --- Home panels ------------------------------------------------------------------------------

_WORKERS = frozenset(PERMISSIONS[Action.CASE_WORK])


def _count_text(count: int) -> str:
    return f"{repository.COUNT_CAP:,}+" if count > repository.COUNT_CAP else f"{count:,}"


@panel("Unclaimed cases", Action.CASE_WORK, "cases/home_unclaimed.html", roles=_WORKERS)
def _unclaimed(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    now = datetime.now(UTC)
    inbox = repository.InboxFilter(show="unclaimed")
    me = signed_in.principal.actor_id
    oldest = repository.oldest_waiting(session, inbox, me=me, now=now)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return {"count": _count_text(repository.count_waiting(session, inbox, me=me, now=now)),
            "oldest": _duration((now - oldest).total_seconds() / 3600) if oldest else None}


@panel("My claimed cases", Action.CASE_WORK, "cases/home_mine.html", roles=_WORKERS)
def _mine(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    inbox = repository.InboxFilter(show="mine")
    return {"count": _count_text(repository.count_waiting(
        session, inbox, me=signed_in.principal.actor_id, now=datetime.now(UTC)))}


@panel("Cases past their service level", Action.CASE_WORK, "cases/home_breached.html",
       roles=_WORKERS)
def _breached(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    inbox = repository.InboxFilter(breached=True)
    return {"count": _count_text(repository.count_waiting(
        session, inbox, me=signed_in.principal.actor_id, now=datetime.now(UTC)))}


@panel("Awaiting my approval", Action.APPROVAL_DECIDE, "cases/home_approvals.html")
def _to_check(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    return {"count": _count_text(repository.count_to_check(session,
                                                           signed_in.principal.actor_id))}
