"""Console pages: the auditor's screens. The ledger explorer and one event's detail, an
application's trail as a timeline, verifying the chain (with the signed checkpoint and public
key to keep), verifying a report PDF someone holds, and the auditor's home panels.

Every page calls the service the matching API route calls (app.audit, app.applications.trail,
app.reports.service); only reading the form and choosing what to show live here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

import pydantic
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.applications import trail as trails
from app.audit import repository, service
from app.audit.schemas import CheckpointPublic, LedgerVerificationPublic
from app.auth.deps import SettingsDep
from app.auth.permissions import Action
from app.auth.roles import Role
from app.config import Settings, get_settings
from app.console import nav
from app.console.deps import ConsoleAction
from app.console.home import panel
from app.console.inputs import end_of_day
from app.console.rendering import page
from app.console.sessions import SignedIn
from app.db import SessionDep, get_engine
from app.errors import NotFound, Unprocessable
from app.models import AuditEvent
from app.params import MAX_INT32
from app.reports import service as reports
from app.users import repository as users

router = APIRouter(prefix="/console")

PAGE_SIZE = 50
_TRAIL_PATH = "/console/applications/{application_id}/trail"
_APPLICATION_PATH = "/console/applications/{application_id}"
_REPORT_PATH = "/console/reports/{report_id}"
_FILTERS = ("entity_type", "entity_id", "actor", "action", "from", "to")


# --- The ledger explorer ------------------------------------------------------------------------


@dataclass
class Search:
    """The explorer's filters as the person typed them, and what is wrong with any of them."""

    values: dict[str, str]
    errors: dict[str, str]
    before: int | None = None

    def date(self, name: str) -> date | None:
        text = self.values[name]
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.errors[name] = "Enter a date as YYYY-MM-DD."
            return None

    def query(self, **extra: Any) -> str:
        """The filters (and ``extra``) as a query string, blanks left out."""
        kept = {k: v for k, v in {**self.values, **extra}.items() if v not in ("", None)}
        return urlencode(kept)


def _read_search(request: Request) -> Search:
    params = request.query_params
    found = Search({name: (params.get(name) or "").strip()[:64] for name in _FILTERS}, {})
    before = params.get("before")
    if before:
        if before.isdigit() and 0 < int(before) <= MAX_INT32:
            found.before = int(before)
        else:
            found.errors["before"] = "That page link is not valid; start from the newest."
    return found


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _people(session: Session, actor_ids: set[str]) -> dict[str, str]:
    return {actor_id: name for actor_id, (name, _) in users.people(session, actor_ids).items()}


@router.get("/ledger")
def ledger(request: Request, session: SessionDep,
           signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)]) -> Response:
    """Search the ledger by entity, actor, action (a prefix) and date, newest first, a page at
    a time by sequence number."""
    search = _read_search(request)
    day_from, day_to = search.date("from"), search.date("to")
    if day_from and day_to and day_to < day_from:
        search.errors["to"] = "The end date is before the start date."
    events: list[AuditEvent] = []
    more = False
    if not search.errors:
        v = search.values
        found = repository.explore_events(
            session, entity_type=v["entity_type"] or None, entity_id=v["entity_id"] or None,
            actor_id=v["actor"] or None, action_prefix=v["action"] or None,
            occurred_from=_start_of(day_from) if day_from else None,
            # The end date is inclusive: everything before the next day's start.
            occurred_to=end_of_day(day_to) if day_to else None,
            before_seq=search.before, limit=PAGE_SIZE + 1)
        more = len(found) > PAGE_SIZE
        events = found[:PAGE_SIZE]
    return page(
        request, signed_in, "audit/ledger.html", title="Ledger",
        status_code=422 if search.errors else 200, search=search, events=events,
        people=_people(session, {e.actor_id for e in events}),
        older=search.query(before=events[-1].seq) if more else None,
        newest=search.query() if search.before else None)


def _entity_links(role: Role | str, event: AuditEvent, payload: Any) -> list[tuple[str, str]]:
    """Screens about what the event acted on, among those the person may open."""
    links: list[tuple[str, str]] = []
    application_id = None
    if event.entity_type == "application":
        application_id = event.entity_id
    elif isinstance(payload, dict):
        parameters = payload.get("parameters")
        application_id = payload.get("application_id") or (
            parameters.get("application_id") if isinstance(parameters, dict) else None)
    if isinstance(application_id, str) and application_id:
        if nav.may_open(role, _TRAIL_PATH):
            links.append((f"Trail of application {application_id}",
                          _TRAIL_PATH.format(application_id=application_id)))
        if nav.may_open(role, _APPLICATION_PATH):
            links.append((f"Application {application_id}",
                          _APPLICATION_PATH.format(application_id=application_id)))
    if event.entity_type == "report" and event.entity_id.isdigit() and nav.may_open(
            role, _REPORT_PATH):
        links.append((f"Report {event.entity_id}", _REPORT_PATH.format(report_id=event.entity_id)))
    if event.entity_type == "ledger" and nav.may_open(role, "/console/ledger/verify"):
        links.append(("Verify the chain", "/console/ledger/verify"))
    links.append((f"Every event on {event.entity_type} {event.entity_id}", "/console/ledger?"
                  + urlencode({"entity_type": event.entity_type,
                               "entity_id": event.entity_id})))
    return links


@router.get("/ledger/{event_id:int}")
def ledger_event(request: Request, session: SessionDep, event_id: int,
                 signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)]) -> Response:
    """One event: when, who, what, on what, its payload and its place in the chain."""
    event = repository.event_at(session, event_id) if 0 < event_id <= MAX_INT32 else None
    if event is None:
        raise NotFound(f"no ledger event {event_id}", code="event_not_found")
    payload = json.loads(event.payload)
    return page(request, signed_in, "audit/event.html", title=f"Ledger event {event.seq}",
                event=event, payload=json.dumps(payload, indent=2, sort_keys=True,
                                                ensure_ascii=False),
                actor_name=_people(session, {event.actor_id}).get(event.actor_id),
                links=_entity_links(signed_in.principal.role, event, payload),
                head_seq=(repository.chain_head(session) or (event.seq, ""))[0])


# --- An application's trail ---------------------------------------------------------------------


@router.get("/applications/{application_id}/trail")
def application_trail(request: Request, session: SessionDep, settings: SettingsDep,
                      application_id: str,
                      signed_in: Annotated[SignedIn, ConsoleAction(Action.APPLICATION_TRAIL)],
                      prove: bool = False) -> Response:
    """The application's trail as a timeline, read (and recorded as read) through the same
    service as GET /applications/{id}/trail; its proof against the whole chain on request
    (``prove``), since recomputing the chain takes time in proportion to the ledger."""
    found = trails.trail(session, settings, signed_in.principal, application_id[:64],
                         prove=prove)
    return page(request, signed_in, "audit/trail.html",
                title=f"Trail of application {found['application_id']}", trail=found)


# --- Verifying the chain ------------------------------------------------------------------------


def _verify_page(request: Request, session: Session, settings: Settings, signed_in: SignedIn,
                 **values: Any) -> Response:
    latest = service.latest_checkpoint(settings)
    return page(request, signed_in, "audit/verify.html", title="Verify the chain",
                last=_last_verification(session), latest=latest.describe() if latest else None,
                key=service.public_key(settings), **values)


@router.get("/ledger/verify")
def ledger_verify(request: Request, session: SessionDep, settings: SettingsDep,
                  signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)],
                  ) -> Response:
    """The button that verifies the chain, the last verification, and the checkpoint and key
    to keep outside the database."""
    return _verify_page(request, session, settings, signed_in)


@router.post("/ledger/verify")
async def ledger_verify_run(request: Request, session: SessionDep, settings: SettingsDep,
                            signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)],
                            ) -> Response:
    """Verify the chain as GET /audit/verify does (deep when asked), against every checkpoint
    kept; the verification is recorded in the ledger."""
    deep = (await request.form()).get("deep") == "yes"

    def run() -> dict[str, Any]:
        result = service.verify_ledger(get_engine(), settings, deep_rows=deep)
        service.record_verification(session, signed_in.principal, result)
        return result

    result = LedgerVerificationPublic(**await run_in_threadpool(run))
    return await run_in_threadpool(_verify_page, request, session, settings, signed_in,
                                   result=result, deep=deep, verified_at=datetime.now(UTC))


async def _uploaded(request: Request, field: str) -> bytes | None:
    """The bytes of the file sent in form field ``field``, or None when none was chosen. The
    form's spooled files are closed here: the form was parsed (for its CSRF token) outside
    FastAPI's own file handling, which would otherwise close them."""
    form = await request.form()
    try:
        upload = form.get(field)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return None
        return await upload.read()
    finally:
        await form.close()


def _saved_checkpoint(raw: bytes | None) -> tuple[dict[str, Any] | None, str | None]:
    """The checkpoint in an uploaded file, or why there is none."""
    if raw is None:
        return None, "Choose a checkpoint file you saved."
    try:
        checkpoint = CheckpointPublic.model_validate_json(raw)
    except pydantic.ValidationError:
        return None, ("This file is not a riskdesk checkpoint (a JSON document with head_seq, "
                      "head_hash, signed_at, signature and key_fingerprint).")
    return checkpoint.model_dump(), None


@router.post("/ledger/checkpoint/verify")
async def ledger_checkpoint_verify(
        request: Request, session: SessionDep, settings: SettingsDep,
        signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)]) -> Response:
    """Check a saved checkpoint as POST /audit/verify does: its signature, that today's chain
    still holds its head, and that the whole chain verifies."""
    saved, problem = _saved_checkpoint(await _uploaded(request, "checkpoint"))

    def run() -> Response:
        if saved is None:
            return _verify_page(request, session, settings, signed_in, status_code=422,
                                checkpoint_error=problem)
        try:
            found = service.verify_against_checkpoint(session, settings, saved)
        except Unprocessable as exc:
            return _verify_page(request, session, settings, signed_in, status_code=422,
                                checkpoint_error=exc.message)
        return _verify_page(request, session, settings, signed_in, checked=found)

    return await run_in_threadpool(run)


@router.get("/ledger/checkpoint")
def ledger_checkpoint(session: SessionDep, settings: SettingsDep,
                      signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)],
                      ) -> Response:
    """The chain's head signed now (as GET /audit/checkpoint), as a file to keep."""
    checkpoint = CheckpointPublic(**service.checkpoint(session, settings))
    return Response(checkpoint.model_dump_json(indent=2), media_type="application/json",
                    headers={"Content-Disposition": "attachment; filename="
                             f'"riskdesk-checkpoint-{checkpoint.head_seq}.json"'})


@router.get("/ledger/public-key")
def ledger_public_key(settings: SettingsDep,
                      signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)],
                      ) -> Response:
    """The public key that verifies checkpoints (as GET /audit/public-key), as a PEM file."""
    key = service.public_key(settings)
    return Response(key["public_key_pem"], media_type="application/x-pem-file",
                    headers={"Content-Disposition":
                             'attachment; filename="riskdesk-ledger-public-key.pem"'})


# --- Verifying a report PDF ---------------------------------------------------------------------


@router.get("/reports/verify")
def report_verify(request: Request, settings: SettingsDep,
                  signed_in: Annotated[SignedIn, ConsoleAction(Action.REPORT_VERIFY)],
                  ) -> Response:
    """The form to upload a report PDF someone holds."""
    return page(request, signed_in, "audit/report_verify.html", title="Verify a report",
                limit=settings.max_request_bytes)


@router.post("/reports/verify")
async def report_verify_run(request: Request, session: SessionDep, settings: SettingsDep,
                            signed_in: Annotated[SignedIn, ConsoleAction(Action.REPORT_VERIFY)],
                            ) -> Response:
    """Whether the uploaded PDF is a report riskdesk made, unaltered: identified by the ledger,
    the chain verified up to its creation, and the stored copy proven too."""
    filename = _filename(await request.form(), "pdf")
    pdf = await _uploaded(request, "pdf")
    if pdf is None:
        return page(request, signed_in, "audit/report_verify.html", title="Verify a report",
                    status_code=422, limit=settings.max_request_bytes,
                    pdf_error="Choose the report's PDF file.")
    if not pdf:
        return page(request, signed_in, "audit/report_verify.html", title="Verify a report",
                    status_code=422, limit=settings.max_request_bytes,
                    pdf_error="That file is empty; choose the report's PDF file.")
    result = await run_in_threadpool(reports.verify_upload, session, settings,
                                     signed_in.principal, pdf)
    return page(request, signed_in, "audit/report_verify.html", title="Verify a report",
                limit=settings.max_request_bytes, result=result, filename=filename)


def _filename(form: Any, field: str) -> str:
    upload = form.get(field)
    return upload.filename or "" if isinstance(upload, UploadFile) else ""


# --- Home panels --------------------------------------------------------------------------------


def _last_verification(session: Session) -> dict[str, Any] | None:
    event = repository.latest_of_action(session, service.VERIFIED_ACTION)
    if event is None:
        return None
    return {"event": event, "result": json.loads(event.payload),
            "by": _people(session, {event.actor_id}).get(event.actor_id, event.actor_id)}


_AUDITORS = frozenset({Role.AUDITOR})


@panel("Chain verification", Action.LEDGER_READ, "audit/home_verification.html", _AUDITORS)
def _verification_panel(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    return {"last": _last_verification(session)}


@panel("Ledger today", Action.LEDGER_READ, "audit/home_today.html", _AUDITORS)
def _today_panel(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    since = _start_of(datetime.now(UTC).date())
    head = repository.chain_head(session)
    first = repository.first_seq_since(session, since)
    count = head[0] - first + 1 if head is not None and first is not None else 0
    return {"count": count, "since": since}


@panel("Latest checkpoint", Action.LEDGER_READ, "audit/home_checkpoint.html", _AUDITORS)
def _checkpoint_panel(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    latest = service.latest_checkpoint(get_settings())
    return {"latest": latest.describe() if latest else None}
