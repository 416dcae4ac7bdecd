"""Console pages of the compliance officer: the compliance dashboard (approval rates, adverse
impact ratios, notice timeliness, referral ageing), fairness audits (list, run, read), the
regulatory PDF reports (list, create, download, verify against the ledger), the sanctions matches
of screening, and the compliance officer's home panels.

Every figure comes from the services the API calls (app.fairness, app.reports, app.notices,
app.screening, app.reviews); this module only reads forms and lays figures out.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from app.auth.deps import SettingsDep
from app.auth.permissions import Action
from app.auth.roles import Role
from app.console.charts import Interval, bars, intervals, lines
from app.console.deps import ConsoleAction, may
from app.console.home import panel
from app.console.inputs import in_utc
from app.console.rendering import is_htmx, page
from app.console.sessions import SignedIn
from app.db import SessionDep
from app.errors import Forbidden, NotFound
from app.fairness import service as fairness
from app.fairness.schemas import FairnessAuditCreate
from app.models import FairnessAudit, Report
from app.notices import repository as notices_repository
from app.notices import service as notices
from app.params import MAX_INT32, RowId
from app.reports import access as report_access
from app.reports import service as reports
from app.reports.schemas import PARAMETERS, ReportCreate, ReportKind
from app.reviews import service as reviews
from app.screening import dispositions
from app.screening import service as screening

router = APIRouter(prefix="/console")

FairnessReader = Annotated[SignedIn, ConsoleAction(Action.FAIRNESS_READ)]
FairnessRunner = Annotated[SignedIn, ConsoleAction(Action.FAIRNESS_RUN)]
ReportReader = Annotated[SignedIn, ConsoleAction(Action.REPORT_READ)]
ReportCreator = Annotated[SignedIn, ConsoleAction(Action.REPORT_CREATE)]
ReportVerifier = Annotated[SignedIn, ConsoleAction(Action.REPORT_VERIFY)]
ScreeningReader = Annotated[SignedIn, ConsoleAction(Action.SCREENING_READ)]
Before = Annotated[int | None, Query(ge=1, le=MAX_INT32, description="Keyset cursor: the last "
                                                                     "id of the previous page.")]

PAGE_SIZE = 25
DASHBOARD_MONTHS = 12
# The protected attributes the dashboard shows from the latest audit (intersections and marital
# status stay on the audit's own page).
DASHBOARD_ATTRIBUTES = ("sex", "age_band", "national_origin")
OVERDUE_LISTED = 20
# The window of the time to decision, as GET /cases/ageing takes by default.
AGEING_DAYS = 30
RECENT_REPORT_DAYS = 7
COMPLIANCE_ONLY = frozenset({Role.COMPLIANCE_OFFICER})
CHECK_NAMES = {
    "ledger_event": "Creation recorded in the ledger",
    "bytes_match_ledger": "Stored PDF matches the hash the ledger recorded",
    "rebuild_identical": "Rebuilt from its manifest: identical bytes",
    "chain_verified": "Ledger chain verifies up to its creation",
    "personal_data": "Applicant's personal data still held",
}


def _field_errors(exc: ValidationError) -> dict[str, str]:
    """The first message per top-level field, in words (pydantic's "Value error, " cut)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ("form",)
        field = str(loc[0])
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def _validate(schema: type[BaseModel], values: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    try:
        return schema.model_validate(values), {}
    except ValidationError as exc:
        return None, _field_errors(exc)


def _months_back(today: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


# --- Dashboard ----------------------------------------------------------------------------------


def _air_rows(result: dict[str, Any], names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The groups of the named attributes of an audit result, each with its attribute."""
    rows = []
    for attribute in result["attributes"]:
        if attribute["name"] not in names:
            continue
        for group in attribute["groups"]:
            rows.append({"attribute": attribute["name"], "label": attribute["label"],
                         "reference_group": attribute["reference_group"], **group})
    return rows


def _air_chart(rows: list[dict[str, Any]], threshold: float, title: str) -> Any:
    points = []
    for row in rows:
        ci = row.get("air_vs_reference_ci") or [None, None]
        points.append(Interval(f"{row['label']}: {row['group']}", row.get("air_vs_reference"),
                               ci[0], ci[1]))
    return intervals(points, title=title, reference=threshold,
                     value_label=lambda v: f"{v:.2f}")


def _audit_summary(record: FairnessAudit) -> dict[str, Any]:
    result = json.loads(record.result)
    return {"record": record, "result": result,
            "threshold": float(result["settings"]["thresholds"]["min_air"]),
            "lowest": fairness.lowest_air(result)}


@router.get("/compliance")
def dashboard(request: Request, session: SessionDep, signed_in: FairnessReader) -> Response:
    """Approval rates by month, impact ratios of the latest audit, notice timeliness and the
    review queue's ageing."""
    now = datetime.now(UTC)
    today = now.date()
    start = _months_back(today, DASHBOARD_MONTHS)
    rates = fairness.approval_rates_by_month(session, start, today)
    rates_chart = lines({"Approval rate": [(r.month, r.approval_rate) for r in rates]},
                        title=f"Approval rate by month of submission, {rates[0].month} to "
                              f"{rates[-1].month}", low=0.0, high=1.0,
                        value_label=lambda v: f"{v * 100:.0f}%")

    latest = fairness.latest_audit(session)
    audit: dict[str, Any] | None = None
    if latest is not None:
        audit = _audit_summary(latest)
        audit["rows"] = _air_rows(audit["result"], DASHBOARD_ATTRIBUTES)
        audit["chart"] = _air_chart(
            audit["rows"], audit["threshold"],
            f"Adverse impact ratio by group against its reference group, audit {latest.id}, "
            f"with {audit['result']['settings']['thresholds']['ci_level']:.0%} intervals and "
            f"the {audit['threshold']:.2f} line")

    timeliness = notices.timeliness(session, today)
    # The same query GET /notices?overdue=true runs: open notices past their due date.
    overdue = notices_repository.search(session, overdue_on=today, limit=OVERDUE_LISTED)

    ageing = reviews.ageing(session, now, since=now - timedelta(days=AGEING_DAYS))
    ageing_chart = bars([(band, float(n)) for band, n in ageing.open_by_age_band],
                        title="Open review cases by age", value_label=lambda v: f"{v:.0f}")
    return page(request, signed_in, "compliance/dashboard.html", title="Compliance dashboard",
                today=today, rates=rates, rates_chart=rates_chart, audit=audit,
                timeliness=timeliness, overdue=overdue, ageing=ageing,
                ageing_chart=ageing_chart, ageing_days=AGEING_DAYS,
                may_run=may(signed_in, Action.FAIRNESS_RUN))


# --- Fairness audits ----------------------------------------------------------------------------


def _audit_form_defaults(today: date) -> dict[str, str]:
    return {"source": "decisions", "date_from": (today - timedelta(days=89)).isoformat(),
            "date_to": today.isoformat(), "model_version": "", "policy_version": "",
            "n_boot": "200", "seed": "0", "intersection": ""}


def _audits_page(request: Request, session: Session, signed_in: SignedIn, before: int | None,
                 *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:
    records = fairness.audits_page(session, before_id=before, limit=PAGE_SIZE + 1)
    more = len(records) > PAGE_SIZE
    records = records[:PAGE_SIZE]
    return page(request, signed_in, "compliance/fairness_list.html", title="Fairness audits",
                status_code=status_code, audits=records,
                next_before=records[-1].id if more and records else None, before=before,
                may_run=may(signed_in, Action.FAIRNESS_RUN),
                form=form or _audit_form_defaults(datetime.now(UTC).date()),
                errors=errors or {})


@router.get("/fairness")
def fairness_list(request: Request, session: SessionDep, signed_in: FairnessReader,
                  before: Before = None) -> Response:
    """Stored audits, newest first (a keyset page), and the form to run one."""
    return _audits_page(request, session, signed_in, before)


@router.post("/fairness")
def fairness_run(request: Request, session: SessionDep, signed_in: FairnessRunner,
                 source: Annotated[str, Form()] = "",
                 date_from: Annotated[str, Form()] = "", date_to: Annotated[str, Form()] = "",
                 model_version: Annotated[str, Form()] = "",
                 policy_version: Annotated[str, Form()] = "",
                 n_boot: Annotated[str, Form()] = "", seed: Annotated[str, Form()] = "",
                 intersection: Annotated[str, Form()] = "") -> Response:
    """Run an audit as POST /fairness/audits does, then show it."""
    form = {"source": source, "date_from": date_from, "date_to": date_to,
            "model_version": model_version, "policy_version": policy_version,
            "n_boot": n_boot, "seed": seed, "intersection": intersection}
    # The form shows every field; only those of the chosen source are sent, as an API caller
    # would send them.
    scope = ({"date_from": date_from or None, "date_to": date_to or None}
             if source == "decisions" else
             {"model_version": model_version.strip() or None,
              "policy_version": policy_version.strip() or None})
    values: dict[str, Any] = {"source": source, **scope}
    if n_boot.strip():
        values["n_boot"] = n_boot.strip()
    if seed.strip():
        values["seed"] = seed.strip()
    if intersection == "sex*age_band":
        values["intersections"] = [["sex", "age_band"]]
    body, errors = _validate(FairnessAuditCreate, values)
    if errors:
        return _audits_page(request, session, signed_in, None, form=form, errors=errors,
                            status_code=422)
    record = fairness.run_audit(session, signed_in.principal, body)
    return RedirectResponse(f"/console/fairness/{record.id}", status_code=303)


@router.get("/fairness/{audit_id:int}")
def fairness_detail(request: Request, session: SessionDep, signed_in: FairnessReader,
                    audit_id: RowId) -> Response:
    """One audit's results by group: impact ratios against the threshold, with intervals."""
    record = fairness.get_audit(session, audit_id)
    audit = _audit_summary(record)
    result = audit["result"]
    sections = []
    for attribute in result["attributes"]:
        rows = _air_rows(result, (attribute["name"],))
        sections.append({"attribute": attribute, "rows": rows, "chart": _air_chart(
            rows, audit["threshold"],
            f"{attribute['label']}: adverse impact ratio against {attribute['reference_group']}"
            f", with {result['settings']['thresholds']['ci_level']:.0%} intervals and the "
            f"{audit['threshold']:.2f} line")})
    return page(request, signed_in, "compliance/fairness_detail.html",
                title=f"Fairness audit {record.id}", audit=audit, sections=sections,
                parameters=json.loads(record.parameters))


# --- Reports ------------------------------------------------------------------------------------


def _creatable_kinds(signed_in: SignedIn) -> list[ReportKind]:
    """The kinds the report service lets this person create (its own access rule, asked)."""
    kinds = []
    for kind in ReportKind:
        try:
            report_access.check_may_create(signed_in.principal, kind)
        except Forbidden:
            continue
        kinds.append(kind)
    return kinds


def _report_form_defaults(today: date) -> dict[str, str]:
    return {"kind": ReportKind.COMPLIANCE.value,
            "date_from": (today - timedelta(days=29)).isoformat(), "date_to": today.isoformat(),
            "model_version": "", "application_id": ""}


def _reports_page(request: Request, session: Session, signed_in: SignedIn, before: int | None,
                  *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                  status_code: int = 200) -> Response:
    records = reports.reports_page(session, signed_in.principal, before_id=before,
                                   limit=PAGE_SIZE + 1)
    more = len(records) > PAGE_SIZE
    records = records[:PAGE_SIZE]
    kinds = _creatable_kinds(signed_in) if may(signed_in, Action.REPORT_CREATE) else []
    return page(request, signed_in, "compliance/reports_list.html", title="Reports",
                status_code=status_code, reports=[(r, json.loads(r.parameters)) for r in records],
                next_before=records[-1].id if more and records else None, before=before,
                kinds=kinds, form=form or _report_form_defaults(datetime.now(UTC).date()),
                errors=errors or {})


@router.get("/reports")
def reports_list(request: Request, session: SessionDep, signed_in: ReportReader,
                 before: Before = None) -> Response:
    """The reports this person may read, newest first (a keyset page), and the form to create
    one."""
    return _reports_page(request, session, signed_in, before)


@router.post("/reports")
def reports_create(request: Request, session: SessionDep, settings: SettingsDep,
                   signed_in: ReportCreator, kind: Annotated[str, Form()] = "",
                   date_from: Annotated[str, Form()] = "", date_to: Annotated[str, Form()] = "",
                   model_version: Annotated[str, Form()] = "",
                   application_id: Annotated[str, Form()] = "") -> Response:
    """Create a report as POST /reports does, then show it."""
    form = {"kind": kind, "date_from": date_from, "date_to": date_to,
            "model_version": model_version, "application_id": application_id}
    given = {name: value.strip() or None for name, value in form.items() if name != "kind"}
    # Only the chosen kind's parameters are sent (the form shows them all).
    taken = PARAMETERS.get(ReportKind(kind), ()) if kind in set(ReportKind) else ()
    body, errors = _validate(ReportCreate,
                             {"kind": kind, **{n: given[n] for n in taken}})
    if errors:
        return _reports_page(request, session, signed_in, None, form=form, errors=errors,
                             status_code=422)
    report = reports.create_report(session, settings, signed_in.principal, body)
    return RedirectResponse(f"/console/reports/{report.id}", status_code=303)


def _report_detail(request: Request, session: Session, signed_in: SignedIn, report: Report,
                   verification: reports.Verification | None = None) -> Response:
    return page(request, signed_in, "compliance/report_detail.html",
                title=f"Report {report.id}", report=report,
                parameters=json.loads(report.parameters), verification=verification,
                check_names=CHECK_NAMES, may_verify=may(signed_in, Action.REPORT_VERIFY))


@router.get("/reports/{report_id:int}")
def report_detail(request: Request, session: SessionDep, signed_in: ReportReader,
                  report_id: RowId) -> Response:
    """One report's metadata, its download and its verification against the ledger."""
    report = reports.get_report(session, signed_in.principal, report_id)
    return _report_detail(request, session, signed_in, report)


@router.get("/reports/{report_id:int}/pdf")
def report_pdf(request: Request, session: SessionDep, settings: SettingsDep,
               signed_in: ReportReader, report_id: RowId) -> Response:
    """The PDF, as GET /reports/{id}/pdf serves it; the service ledgers the download."""
    download = reports.download_report(session, settings, signed_in.principal, report_id)
    if download.refusal is not None:
        refusal = download.refusal
        # Rendered, not raised: the refusal's ledger event must commit with this answer.
        return page(request, signed_in, "error.html", status_code=refusal.status_code,
                    title="This report is not served", code=refusal.code,
                    message=refusal.message, details=None)
    report = download.report
    return Response(content=download.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="riskdesk-{report.kind}-{report.id}.pdf"',
        "X-Content-SHA256": report.sha256})


@router.post("/reports/{report_id:int}/verify")
def report_verify(request: Request, session: SessionDep, settings: SettingsDep,
                  signed_in: ReportVerifier, report_id: RowId) -> Response:
    """Verify the stored report against the ledger, as GET /reports/{id}/verify does (the
    verification is ledgered), and show what each check found."""
    result = reports.verify_report(session, settings, report_id)
    reports.record_verification(session, signed_in.principal, result)
    if is_htmx(request):
        return page(request, signed_in, "compliance/verification.html",
                    title=f"Report {report_id} verification", verification=result,
                    check_names=CHECK_NAMES)
    report = reports.get_report(session, signed_in.principal, report_id)
    return _report_detail(request, session, signed_in, report, result)


# --- Sanctions matches --------------------------------------------------------------------------


def _match_rows(session: Session, found: list[Any]) -> list[dict[str, Any]]:
    """Each screening with its matches, each match with its disposition (remembered when it was
    screened, or made on its case since) and the application's sanctions cases."""
    ids = [s.application_id for s in found if s.application_id is not None]
    cases = dispositions.sanctions_cases_of(session, ids)
    made = dispositions.dispositions_of_applications(session, ids)
    names: dict[tuple[str, str], str | None] = {}
    rows = []
    for screened in found:
        settled = {(d.subject_digest, d.list_name, d.entry_id): d.disposition
                   for d in made.get(screened.application_id or "", [])}
        matches = []
        for match in screened.matches:
            key = (match["list_id"], match["entry_id"])
            if key not in names:
                try:
                    names[key] = screening.entry(session, *key).get("name")
                except NotFound:  # a version no longer held: the match is shown without it
                    names[key] = None
            matches.append({**match, "listed_name": names[key],
                            "settled": match.get("disposition") or settled.get(
                                (screened.subject_digest, match["list_name"],
                                 match["entry_id"]))})
        rows.append({"screening": screened, "matches": matches,
                     "cases": cases.get(screened.application_id or "", []),
                     "awaiting": any(m["settled"] is None for m in matches)})
    return rows


@router.get("/screening")
def screening_matches(request: Request, session: SessionDep, signed_in: ScreeningReader,
                      before_at: Annotated[datetime | None, Query()] = None,
                      before_id: Annotated[str | None, Query(max_length=32)] = None) -> Response:
    """Screenings that found a potential or confirmed match, newest first (a keyset page on
    screening time and id), with their dispositions; and the list versions in force."""
    moment = in_utc(before_at) if before_at is not None else None
    before = (moment, before_id) if moment is not None and before_id else None
    found = dispositions.match_screenings(session, before=before, limit=PAGE_SIZE + 1)
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    last = found[-1] if more and found else None
    return page(request, signed_in, "compliance/screening.html", title="Sanctions matches",
                lists=screening.lists_in_force(session), rows=_match_rows(session, found),
                next_cursor={"before_at": last.screened_at.isoformat(), "before_id": last.id}
                if last else None, first_page=before is None)


# --- Home panels --------------------------------------------------------------------------------


@panel("Overdue notices", Action.NOTICE_READ, "compliance/home_notices.html",
       roles=COMPLIANCE_ONLY)
def _overdue_notices(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    return {"count": notices_repository.count_overdue(session, datetime.now(UTC).date())}


@panel("Latest fairness audit", Action.FAIRNESS_READ, "compliance/home_fairness.html",
       roles=COMPLIANCE_ONLY)
def _latest_audit(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    latest = fairness.latest_audit(session)
    return {"audit": None} if latest is None else {"audit": _audit_summary(latest)}


@panel("Reports created recently", Action.REPORT_READ, "compliance/home_reports.html",
       roles=COMPLIANCE_ONLY)
def _recent_reports(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    since = datetime.now(UTC) - timedelta(days=RECENT_REPORT_DAYS)
    return {"count": reports.created_since(session, signed_in.principal, since),
            "days": RECENT_REPORT_DAYS,
            "latest": reports.reports_page(session, signed_in.principal, limit=3)}


@panel("Open sanctions matches", Action.SCREENING_READ, "compliance/home_screening.html",
       roles=COMPLIANCE_ONLY)
def _open_matches(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    return {"count": dispositions.open_sanctions_cases(session)}
