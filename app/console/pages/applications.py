"""Console pages: the loan officer's applications — the new-application form, the list of
applications (a loan officer's own only), one application's decision with its counteroffer and
adverse action notices, and the officer's home panels.

Every page goes through the services the JSON API calls: the form submits through
``app.applications.service.submit``, the detail is the API's own ledgered read, a counteroffer
is answered by ``answer_counteroffer``, and a notice is generated and downloaded through the
reports service. The pages add the form, the keyset list and the words.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.applications import endpoints as application_api
from app.applications import repository, service
from app.applications.repository import Cursor
from app.applications.schemas import ApplicationCreate
from app.applications.states import ApplicationStatus, DecisionKind
from app.auth.deps import SettingsDep
from app.auth.permissions import Action
from app.auth.roles import Role
from app.auth.scope import own_applications_only
from app.config import Settings
from app.console import errors as console_errors
from app.console.deps import ConsoleAction, may
from app.console.home import panel
from app.console.inputs import end_of_day, in_utc
from app.console.rendering import page
from app.console.sessions import SignedIn
from app.db import SessionDep
from app.errors import Conflict, NotFound, RiskdeskError, Unprocessable
from app.notices import endpoints as notice_api
from app.notices import repository as notices_repository
from app.notices import service as notices_service
from app.reports import service as reports_service
from app.scoring.service import load_in_use
from risk_models.document import (
    MONITORING_DISCLOSURE,
    Bureau,
    Employment,
    KycInputs,
    Loan,
    Monitoring,
    SanctionsScreening,
)
from risk_models.notices import OPEN_STATUSES

router = APIRouter(prefix="/console")

PAGE_SIZE = 50
PANEL_SIZE = 5
# A notice is "due soon" on the home page this many days before its due date.
DUE_SOON_DAYS = 7


# --- The new-application form -------------------------------------------------------------------


def _choices(model: Any, name: str) -> tuple[str, ...]:
    """The values a ``Literal`` field of the application document allows, in its order: the
    form's options come from the schema the API validates against, so they cannot drift."""
    annotation = model.model_fields[name].annotation
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is not Literal:
        raise TypeError(f"{model.__name__}.{name} is not an enumeration")
    return tuple(str(v) for v in get_args(annotation))


@dataclass(frozen=True)
class FormField:
    """One input of the form: ``name`` is the field's dotted path in the application document,
    so a validation error's location names the input it belongs to."""

    name: str
    label: str
    kind: str = "text"  # text, money, integer, date, select, yesno, email, tel
    hint: str = ""
    optional: bool = False
    choices: tuple[str, ...] = ()
    blank_choice: str = ""  # the words of an empty first option, for an optional select
    autocomplete: str = ""
    # A checkbox beside the input meaning "no account" (the CRM balances), and its words.
    none_box: str = ""
    none_label: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")


@dataclass(frozen=True)
class FormSection:
    legend: str
    fields: tuple[FormField, ...]
    hint: str = ""
    key: str = ""  # the document block an all-empty optional section leaves out


def _money(name: str, label: str, hint: str = "", **kw: Any) -> FormField:
    return FormField(name, label, "money", hint, **kw)


def _date(name: str, label: str, hint: str = "", **kw: Any) -> FormField:
    return FormField(name, label, "date", hint, **kw)


def _select(model: Any, field: str, name: str, label: str, hint: str = "",
            **kw: Any) -> FormField:
    return FormField(name, label, "select", hint, choices=_choices(model, field), **kw)


DATE_HINT = "As YYYY-MM-DD."
SECTIONS: tuple[FormSection, ...] = (
    FormSection("Loan request", (
        _money("loan.amount", "Amount", "The principal asked for, e.g. 5000.00."),
        # A select of the policy's currencies when a policy is in use (the template's choice).
        FormField("loan.currency", "Currency", hint="The currencies the lending policy lends in."),
        FormField("loan.term_months", "Term in months", "integer",
                  "The policy sets the shortest and longest terms."),
        _select(Loan, "purpose", "loan.purpose", "Purpose"),
        FormField("reference", "Your reference", hint=(
            "For finding the application again, e.g. the branch file number. Sending the same "
            "application again with the same reference returns the first one."),
            optional=True),
    )),
    FormSection("Applicant", (
        FormField("kyc.full_name", "Full name", autocomplete="off"),
        _date("kyc.date_of_birth", "Date of birth", DATE_HINT),
        FormField("kyc.national_id", "National identifier", hint=(
            "Leave empty if not yet provided: the application is then decided as incomplete."),
            optional=True, autocomplete="off"),
        FormField("kyc.contact.email", "E-mail address", "email", optional=True,
                  autocomplete="off"),
        FormField("kyc.contact.phone", "Phone number", "tel", optional=True,
                  autocomplete="off"),
    ), hint="Personal data: sealed under the applicant's key, never written to the ledger."),
    FormSection("Address", (
        FormField("kyc.address.line1", "Street and number", autocomplete="off"),
        FormField("kyc.address.line2", "Further address line", optional=True,
                  autocomplete="off"),
        FormField("kyc.address.city", "City", autocomplete="off"),
        FormField("kyc.address.postal_code", "Postal code", autocomplete="off"),
        FormField("kyc.address.country", "Country", hint="Two-letter code, e.g. DE.",
                  autocomplete="off"),
    ), hint="Leave the whole address empty if it is not yet provided: the application is then "
            "decided as incomplete.", key="kyc.address"),
    FormSection("Employment and income", (
        _select(Employment, "status", "kyc.employment.status", "Employment status"),
        _date("kyc.employment.start_date", "Employed since",
              "Needed when employed or self-employed. " + DATE_HINT, optional=True),
        _select(Employment, "job_category", "kyc.employment.job_category", "Job category"),
        _money("kyc.monthly_income", "Net monthly income",
               "Leave empty if the applicant did not state it.", optional=True),
        _select(KycInputs, "income_source", "kyc.income_source", "Main source of income",
                "Recorded for the file only; never used to decide.", optional=True,
                blank_choice="Not stated"),
        _money("kyc.monthly_obligations", "Monthly obligations",
               "Rent and existing debt service per month; empty means none.", optional=True),
        _select(KycInputs, "housing", "kyc.housing", "Housing"),
        _date("kyc.residence_start_date", "Living at this address since", DATE_HINT),
        FormField("kyc.dependents", "Dependents", "integer", "People the applicant supports."),
        _select(KycInputs, "property", "kyc.property", "Most valuable property"),
        FormField("kyc.telephone_registered", "Telephone registered in their name", "yesno"),
    )),
    FormSection("Sanctions screening", (
        _select(SanctionsScreening, "status", "kyc.sanctions_screening.status", "Result",
                "riskdesk screens every party again against the lists in force; the stricter "
                "result stands."),
        FormField("kyc.sanctions_screening.reference", "Screening reference", optional=True),
        _date("kyc.sanctions_screening.screened_at", "Screened on", DATE_HINT, optional=True),
    )),
    FormSection("Credit bureau", (
        _select(Bureau, "credit_history", "bureau.credit_history", "Credit history"),
        _select(Bureau, "other_installment_plans", "bureau.other_installment_plans",
                "Installment plans elsewhere"),
        FormField("bureau.delinquencies_24m", "Delinquencies in the last 24 months", "integer"),
        FormField("bureau.existing_credits_elsewhere", "Open credits at other lenders",
                  "integer"),
    )),
    FormSection("Relationship with the bank", (
        _money("crm.checking_balance", "Checking account balance",
               "May be negative, e.g. -150.00.", none_box="crm.checking_none",
               none_label="No checking account"),
        _date("crm.salary_assigned_since", "Salary paid into the account since", DATE_HINT,
              optional=True),
        _money("crm.savings_balance", "Savings balance", none_box="crm.savings_none",
               none_label="No savings account"),
        FormField("crm.existing_credits_at_bank", "Credits already held here", "integer"),
        _date("crm.customer_since", "Customer since", DATE_HINT, optional=True),
    )),
    FormSection("Co-applicant", (
        FormField("co_applicant.full_name", "Co-applicant's full name", autocomplete="off"),
        _date("co_applicant.date_of_birth", "Co-applicant's date of birth", DATE_HINT),
        FormField("co_applicant.national_id", "Co-applicant's national identifier",
                  autocomplete="off"),
        _money("co_applicant.monthly_income", "Co-applicant's net monthly income",
               optional=True),
    ), hint="Optional: leave empty when there is none.", key="co_applicant"),
    FormSection("Guarantor", (
        FormField("guarantor.full_name", "Guarantor's full name", autocomplete="off"),
        _date("guarantor.date_of_birth", "Guarantor's date of birth",
              "Sharpens the sanctions screening. " + DATE_HINT, optional=True),
        FormField("guarantor.national_id", "Guarantor's national identifier",
                  autocomplete="off"),
    ), hint="Optional: leave empty when there is none.", key="guarantor"),
)
MONITORING = FormSection("Equal credit monitoring (voluntary)", (
    _select(Monitoring, "sex", "monitoring.sex", "Sex"),
    _select(Monitoring, "marital_status", "monitoring.marital_status", "Marital status"),
    FormField("monitoring.nationality", "Nationality", hint="Two-letter code, e.g. DE.",
              optional=True),
), hint=MONITORING_DISCLOSURE, key="monitoring")
# Inputs that are not part of the document but decide part of it.
_NOT_DOCUMENT = {"reference"}
# The sections whose fields the document holds as null (not absent) when left empty.
_NULL_WHEN_EMPTY = {"kyc.national_id", "kyc.monthly_income"}
# No default for the screening result: the officer says what the screening found.
_DEFAULTS = {"kyc.monthly_obligations": "0.00", "monitoring.sex": "not_provided",
             "monitoring.marital_status": "not_provided"}


def sections_for(settings: Settings) -> tuple[FormSection, ...]:
    """The form's sections: the monitoring block only where the lender collects it (the API
    refuses it otherwise)."""
    return SECTIONS + ((MONITORING,) if settings.monitoring_collection != "off" else ())


def _fields(sections: tuple[FormSection, ...]) -> dict[str, FormField]:
    return {f.name: f for s in sections for f in s.fields}


def _put(document: dict[str, Any], path: str, value: Any) -> None:
    node = document
    *parents, leaf = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def build_document(values: dict[str, str],
                   sections: tuple[FormSection, ...]) -> dict[str, Any]:
    """The application document the form's values make, in the API's JSON shape: an empty
    optional input is left out (or null where the document says "not provided" with null); a
    required one left empty is left out, so that validation names it; an optional block left
    wholly empty is no block."""
    document: dict[str, Any] = {}
    for section in sections:
        given = [f for f in section.fields if values.get(f.name)
                 or (f.none_box and values.get(f.none_box))]
        if section.key and not given:
            if section.key == "kyc.address":
                _put(document, section.key, None)
            continue
        for f in section.fields:
            if f.name in _NOT_DOCUMENT:
                continue
            value = values.get(f.name, "")
            if f.none_box and values.get(f.none_box):
                _put(document, f.name, "no_account")
            elif f.kind == "yesno" and value in ("yes", "no"):
                _put(document, f.name, value == "yes")
            elif value:
                _put(document, f.name, value)
            elif f.name in _NULL_WHEN_EMPTY:
                _put(document, f.name, None)
    # The document's blocks exist even when only their optional fields were left empty.
    for block in ("kyc.employment", "kyc.sanctions_screening"):
        node = document.setdefault("kyc", {})
        node.setdefault(block.split(".")[1], {})
    return document


_MESSAGES = {
    "decimal_parsing": "Enter an amount such as 1250.00.",
    "decimal_type": "Enter an amount such as 1250.00.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "date_parsing": "Enter a date as YYYY-MM-DD.",
    "date_from_datetime_parsing": "Enter a date as YYYY-MM-DD.",
    "date_type": "Enter a date as YYYY-MM-DD.",
    "bool_parsing": "Choose yes or no.",
}


def _message(error: dict[str, Any], field: FormField | None) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "Choose one." if field and field.kind in ("select", "yesno") else "Enter this."
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if field is not None and field.none_box and kind == "literal_error":
        return "Enter the balance, or tick “no account”."
    text = str(error.get("msg", "Check this."))
    text = text.removeprefix("Value error, ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _owner(loc: tuple[Any, ...], message: str,
           fields: dict[str, FormField]) -> FormField | None:
    """The input an error located at ``loc`` belongs to: the longest field path ``loc`` starts
    with; for a check across fields (located at their block), the field the message names."""
    parts = [str(p) for p in loc]
    for end in range(len(parts), 0, -1):
        found = fields.get(".".join(parts[:end]))
        if found is not None:
            return found
    block = ".".join(parts)
    named = [f for name, f in fields.items()
             if block and name.startswith(block + ".") and name[len(block) + 1:] in message]
    return max(named, key=lambda f: len(f.name), default=None)


def _in_words(loc: tuple[Any, ...], message: str, fields: dict[str, FormField]) -> str:
    """A check across fields names them by their paths in the document: say their labels."""
    block = ".".join(str(p) for p in loc)
    if not block or block in fields:
        return message
    named = sorted(((name[len(block) + 1:], f.label) for name, f in fields.items()
                    if name.startswith(block + ".")), key=lambda n: -len(n[0]))
    for path, label in named:
        if path in message:
            message = re.sub(rf"(?<![\w.]){re.escape(path)}(?![\w.])", f"“{label}”", message)
    return message


def field_errors(errors: list[dict[str, Any]],
                 fields: dict[str, FormField]) -> tuple[dict[str, str], list[str]]:
    """Validation errors as one message per input (the first that says most), and those that
    belong to no one input."""
    found: dict[str, list[tuple[str, str]]] = {}
    general: list[str] = []
    for error in errors:
        # A check across fields may report several problems in one message.
        for part in str(error.get("msg", "")).removeprefix("Value error, ").split("; "):
            loc = tuple(error.get("loc", ()))
            owner = _owner(loc, part, fields)
            message = _message({**error, "msg": _in_words(loc, part, fields)}, owner)
            if owner is None:
                general.append(message)
            else:
                found.setdefault(owner.name, []).append((str(error.get("type")), message))
    chosen = {}
    for name, messages in found.items():
        # A union (a balance or "no_account") fails on each side; the amount's says most.
        preferred = [m for kind, m in messages if kind != "literal_error"] or [
            m for _, m in messages]
        chosen[name] = preferred[0]
    return chosen, general


def _currencies(session: Session) -> tuple[str, ...]:
    """The currencies the champion policy lends in; none when nothing is champion (the form
    then takes a code as text, and submitting says why it cannot be decided)."""
    try:
        return tuple(sorted(load_in_use(session).policy.currencies))
    except RiskdeskError:
        return ()


def _form_page(request: Request, signed_in: SignedIn, settings: Settings, session: Session,
               values: dict[str, str], errors: dict[str, str] | None = None,
               general: list[str] | None = None, status_code: int = 200) -> Response:
    sections = sections_for(settings)
    return page(request, signed_in, "applications/new.html", title="New application",
                status_code=status_code, sections=sections, values=values,
                errors=errors or {}, general=general or [], currencies=_currencies(session),
                fields=_fields(sections))


@router.get("/applications/new")
def new_application(request: Request, session: SessionDep, settings: SettingsDep,
                    signed_in: Annotated[SignedIn, ConsoleAction(Action.APPLICATION_SUBMIT)],
                    ) -> Response:
    """The empty new-application form."""
    return _form_page(request, signed_in, settings, session, dict(_DEFAULTS))


def _policy_errors(exc: Unprocessable) -> list[dict[str, Any]] | None:
    """A refusal by the lending policy (amount, currency, term) or the monitoring setting as
    validation errors located at their fields; None for any other refusal."""
    details = exc.details
    if not isinstance(details, list) or not all(
            isinstance(d, dict) and "field" in d for d in details):
        return None
    return [{"loc": tuple(str(d["field"]).split(".")), "type": d.get("type", "policy"),
             "msg": d.get("message", exc.message)} for d in details]


@router.post("/applications/new")
async def submit_application(
        request: Request, session: SessionDep, settings: SettingsDep,
        signed_in: Annotated[SignedIn, ConsoleAction(Action.APPLICATION_SUBMIT)]) -> Response:
    """Decide the application the form describes, through the API's own submission; the
    form again, with a message at each field, when something in it is not right."""
    form = await request.form()
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    sections = sections_for(settings)
    fields = _fields(sections)

    def invalid(errors: list[dict[str, Any]]) -> Response:
        by_field, general = field_errors(errors, fields)
        return _form_page(request, signed_in, settings, session, values, by_field, general,
                          status_code=422)

    try:
        body = ApplicationCreate.model_validate(build_document(values, sections))
    except ValidationError as exc:
        return await run_in_threadpool(invalid, [dict(e) for e in exc.errors()])
    reference = values.get("reference") or None
    if reference is not None and len(reference) > 128:
        return await run_in_threadpool(invalid, [{"loc": ("reference",), "type": "too_long",
                                                  "msg": "At most 128 characters"}])

    def decide() -> Response:
        try:
            submission = service.submit(session, settings, signed_in.principal, body, reference)
        except Unprocessable as exc:
            errors = _policy_errors(exc)
            if errors is None:
                raise
            session.rollback()  # nothing of a refused application is kept
            return invalid(errors)
        except Conflict as exc:
            if exc.code != "idempotency_key_reused":
                raise
            session.rollback()
            return invalid([{"loc": ("reference",), "type": exc.code, "msg": (
                "This reference was already used for a different application; use a new one")}])
        session.commit()
        return RedirectResponse(f"/console/applications/{submission.application.id}",
                                status_code=303)

    return await run_in_threadpool(decide)


# --- The list --------------------------------------------------------------------------------


OUTCOMES = ("approve", "refer", "decline")
STATUSES = tuple(str(s) for s in ApplicationStatus)


def _cursor(text: str | None) -> Cursor | None:
    """A page cursor: the last row's submission time and id; a malformed one reads as none."""
    if not text:
        return None
    when, _, app_id = text.rpartition(",")
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return None
    moment_utc = in_utc(moment)
    if not app_id or moment_utc is None:
        return None
    return moment_utc, app_id


def _cursor_text(row: repository.ListedApplication) -> str:
    return f"{row.submitted_at.isoformat()},{row.id}"


def _day(text: str | None, label: str, problems: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems[label] = "Enter a date as YYYY-MM-DD."
        return None


@router.get("/applications")
def application_list(
        request: Request, session: SessionDep,
        signed_in: Annotated[SignedIn, ConsoleAction(Action.APPLICATION_READ)],
        outcome: str = "", status: str = "",
        from_: Annotated[str, Query(alias="from")] = "", to: str = "", q: str = "",
        before: str = "", after: str = "") -> Response:
    """Applications newest first, 50 a page (keyset: the links carry the last row seen); a loan
    officer sees only their own."""
    problems: dict[str, str] = {}
    start = _day(from_, "from", problems)
    end = _day(to, "to", problems)
    filters = {"outcome": outcome if outcome in OUTCOMES else "",
               "status": status if status in STATUSES else "",
               "from": start.isoformat() if start else "", "to": end.isoformat() if end else "",
               "q": q.strip()[:128]}
    rows, more = repository.keyset_page(
        session, submitted_by=own_applications_only(signed_in.principal),
        outcome=filters["outcome"] or None, status=filters["status"] or None,
        submitted_from=datetime.combine(start, datetime.min.time(), UTC) if start else None,
        submitted_to=end_of_day(end) if end else None,
        id_or_reference=filters["q"] or None, before=_cursor(before), after=_cursor(after),
        limit=PAGE_SIZE)
    kept = {k: v for k, v in filters.items() if v}
    reading_newer = _cursor(after) is not None
    older = newer = None
    if rows and (more or reading_newer):
        older = "?" + urlencode({**kept, "before": _cursor_text(rows[-1])})
    if rows and ((more and reading_newer) or (_cursor(before) is not None)):
        newer = "?" + urlencode({**kept, "after": _cursor_text(rows[0])})
    return page(request, signed_in, "applications/list.html", title="Applications",
                rows=rows, filters=filters, problems=problems, older=older, newer=newer,
                outcomes=OUTCOMES, statuses=STATUSES,
                own_only=own_applications_only(signed_in.principal) is not None,
                paged=bool(before or after),
                first_page="/console/applications" + ("?" + urlencode(kept) if kept else ""))


# --- One application ---------------------------------------------------------------------------


@router.get("/applications/{application_id}")
def application_detail(
        request: Request, session: SessionDep, settings: SettingsDep, application_id: str,
        signed_in: Annotated[SignedIn, ConsoleAction(Action.APPLICATION_READ)]) -> Response:
    """One application's decision: outcome, score, reasons, terms, counteroffer, notices and
    duplicate flags. The read is the API's own (ownership checked, ``application.viewed``
    recorded)."""
    application = application_api.get_application(application_id, session, settings,
                                                   signed_in.principal)
    answer = next((d for d in application.decisions
                   if d.kind in (DecisionKind.COUNTEROFFER_ACCEPTED,
                                 DecisionKind.COUNTEROFFER_DECLINED)), None)
    automated = application.decisions[0]
    return page(request, signed_in, "applications/detail.html",
                title=f"Application {application.id}", a=application, automated=automated,
                score_range=service.score_range(session, application.model_version),
                counteroffer=automated.counteroffer, answer=answer,
                may_answer=(application.status == ApplicationStatus.COUNTEROFFERED
                            and may(signed_in, Action.APPLICATION_ANSWER_COUNTEROFFER)),
                may_read_notices=may(signed_in, Action.NOTICE_READ),
                may_generate=may(signed_in, Action.NOTICE_SEND),
                open_statuses=[str(s) for s in OPEN_STATUSES])


@router.post("/applications/{application_id}/counteroffer")
def answer_counteroffer(
        application_id: str, session: SessionDep,
        signed_in: Annotated[SignedIn, ConsoleAction(Action.APPLICATION_ANSWER_COUNTEROFFER)],
        decision: Annotated[str, Form()] = "") -> Response:
    """Record the applicant's answer to the counteroffer, as the API's accept and decline do."""
    if decision not in ("accept", "decline"):
        raise Unprocessable("choose accept or decline", code="validation_error")
    service.answer_counteroffer(session, signed_in.principal, application_id,
                                accept=decision == "accept")
    return RedirectResponse(f"/console/applications/{application_id}#counteroffer",
                            status_code=303)


def _notice_of(session: Session, signed_in: SignedIn, application_id: str,
               notice_id: str) -> Any:
    """The notice, when it is one of an application ``signed_in`` may see."""
    service.get_for(session, signed_in.principal, application_id)
    obligation = notices_service.get(session, notice_id)
    if obligation.application_id != application_id:
        raise NotFound(f"no notice {notice_id} on application {application_id}",
                       code="notice_not_found")
    return obligation


@router.get("/applications/{application_id}/notices/{notice_id}/pdf")
def notice_pdf(request: Request, application_id: str, notice_id: str, session: SessionDep,
               settings: SettingsDep,
               signed_in: Annotated[SignedIn, ConsoleAction(Action.NOTICE_READ)]) -> Response:
    """The notice's PDF, through the reports service (its bytes checked against the ledger,
    the download recorded)."""
    obligation = _notice_of(session, signed_in, application_id, notice_id)
    if obligation.report_id is None:
        raise Conflict(f"notice {notice_id} has not been generated yet",
                       code="notice_not_generated")
    download = reports_service.download_report(session, settings, signed_in.principal,
                                               obligation.report_id)
    if download.refusal is not None:
        # Answered, not raised: the refusal's ledger record commits with the answer.
        refusal = download.refusal
        return console_errors.render(request, refusal.status_code, refusal.code,
                                     refusal.message, refusal.details)
    return Response(content=download.pdf, media_type="application/pdf", headers={
        "Content-Disposition": (f'attachment; filename="riskdesk-notice-{obligation.kind}-'
                                f'{download.report.id}.pdf"'),
        "X-Content-SHA256": download.report.sha256})


@router.post("/applications/{application_id}/notices/{notice_id}/generate")
def generate_notice(application_id: str, notice_id: str, session: SessionDep,
                    settings: SettingsDep,
                    signed_in: Annotated[SignedIn, ConsoleAction(Action.NOTICE_SEND)],
                    ) -> Response:
    """Build the notice's PDF, as POST /notices/{id}/generate does."""
    _notice_of(session, signed_in, application_id, notice_id)
    notice_api.generate_notice(notice_id, session, settings, signed_in.principal)
    return RedirectResponse(f"/console/applications/{application_id}#notices", status_code=303)


# --- Home panels -------------------------------------------------------------------------------

_OFFICER = frozenset({Role.LOAN_OFFICER})


@panel("Counteroffers awaiting an answer", Action.APPLICATION_ANSWER_COUNTEROFFER,
       "applications/home_counteroffers.html", roles=_OFFICER)
def _counteroffers(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    rows, more = repository.keyset_page(
        session, submitted_by=own_applications_only(signed_in.principal),
        status=ApplicationStatus.COUNTEROFFERED, limit=PANEL_SIZE)
    return {"rows": rows, "more": more,
            "link": "/console/applications?" + urlencode(
                {"status": ApplicationStatus.COUNTEROFFERED})}


@panel("Notices due soon or overdue", Action.NOTICE_READ, "applications/home_notices.html",
       roles=_OFFICER)
def _notices_due(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    due_by = today + timedelta(days=DUE_SOON_DAYS)
    owner = own_applications_only(signed_in.principal)
    # Earliest due first, per open status: the first few of each are the ones that matter.
    found = [n for status in OPEN_STATUSES for n in notices_repository.search(
        session, status=str(status), submitted_by=owner, limit=PANEL_SIZE + 1)]
    due = sorted((n for n in found if n.due_date <= due_by), key=lambda n: (n.due_date, n.id))
    return {"notices": due[:PANEL_SIZE], "more": len(due) > PANEL_SIZE, "today": today}


@panel("My latest applications", Action.APPLICATION_SUBMIT,
       "applications/home_latest.html", roles=_OFFICER)
def _latest(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    rows, _ = repository.keyset_page(
        session, submitted_by=own_applications_only(signed_in.principal), limit=PANEL_SIZE)
    return {"rows": rows}
