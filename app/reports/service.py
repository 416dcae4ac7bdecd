"""Creating, listing, reading and downloading the regulatory PDF reports.

Access is narrowed in :mod:`app.reports.access`; inputs are pinned and PDFs built in
:mod:`app.reports.building`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from app.audit.service import append_event
from app.auth.principal import Principal
from app.auth.scope import own_applications_only
from app.config import Settings
from app.errors import NotFound, RiskdeskError
from app.models import Report
from app.notices import service as notices_service
from app.reports import access, repository
from app.reports.building import build, resolve_parameters
from app.reports.schemas import ReportCreate, ReportKind
from compliance import ledger
from compliance.reports import LedgerHead
from risk_models.notices import OPEN_STATUSES


class ReportIntegrityError(RiskdeskError):
    status_code = 500
    code = "report_integrity"


def create_report(session: Session, settings: Settings, actor: Principal,
                  body: ReportCreate) -> Report:
    """Check access, pin the inputs, build the PDF against the ledger head, store and ledger it."""
    access.check_may_create(actor, body.kind)
    parameters = resolve_parameters(session, actor, body)
    generated_at = datetime.now(UTC).replace(microsecond=0)
    seq, head_hash = repository.ledger_head(session)
    pdf = build(session, settings, body.kind, parameters, generated_at, LedgerHead(seq, head_hash))
    digest = ledger.sha256_hex(pdf)
    report = repository.add(session, Report(
        kind=body.kind.value, parameters=ledger.canonical_json(parameters),
        created_at=generated_at, created_by=actor.actor_id, created_by_role=str(actor.role),
        application_id=parameters.get("application_id"),
        model_version=parameters.get("model_version"), ledger_head_seq=seq,
        ledger_head_hash=head_hash, sha256=digest, size=len(pdf), pdf=pdf))
    append_event(session, actor, "report.created", "report", report.id or 0, {
        "kind": report.kind, "sha256": digest, "size": len(pdf), "ledger_head_seq": seq,
        "ledger_head_hash": head_hash, "parameters": parameters}, rows=(report,))
    if body.kind == ReportKind.ADVERSE_ACTION:
        obligation = notices_service.get(session, parameters["notice_id"])
        if obligation.status in OPEN_STATUSES:
            assert report.id is not None
            notices_service.mark_generated(session, actor, obligation, report.id, generated_at)
    return report


def get_report(session: Session, actor: Principal, report_id: int) -> Report:
    """A report's metadata, when the actor may read it."""
    report = repository.get(session, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}", code="report_not_found")
    access.check_may_read(session, actor, report)
    return report


def download_report(session: Session, actor: Principal, report_id: int) -> Report:
    """A report with its bytes, checked against the stored sha256; the download is ledgered."""
    report = get_report(session, actor, report_id)
    full = repository.get(session, report_id, with_pdf=True)
    assert full is not None
    if ledger.sha256_hex(full.pdf) != full.sha256:
        raise ReportIntegrityError(f"report {report_id}'s stored bytes do not match their "
                                   "sha256; not serving them")
    append_event(session, actor, "report.downloaded", "report", report_id,
                 {"kind": report.kind, "sha256": report.sha256, "size": report.size})
    return full


def list_reports(session: Session, actor: Principal, *, kind: ReportKind | None = None,
                 application_id: str | None = None, offset: int = 0,
                 limit: int = 50) -> tuple[list[Report], int]:
    """The reports the actor may read, newest first."""
    kinds = access.visible_kinds(actor)
    if kind is not None:
        kinds = (kind.value,) if kinds is None or kind.value in kinds else ()
    return repository.search(session, kinds=kinds, application_id=application_id,
                             submitted_by=own_applications_only(actor), offset=offset,
                             limit=limit)

