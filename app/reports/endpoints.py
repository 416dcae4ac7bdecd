"""Regulatory PDF reports: create, list, read metadata, download (every download is ledgered).

The permission table admits; ``app.reports.access`` narrows (loan officers: notices of their own
applications only; underwriters: notices only).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import error_body
from app.models import Report
from app.openapi import errors_for
from app.params import Offset, RowId
from app.reports import service
from app.reports.schemas import (
    ReportCreate,
    ReportKind,
    ReportPage,
    ReportPublic,
    ReportVerificationPublic,
)

router = APIRouter(prefix="/reports", tags=["reports"])
Creator = Annotated[Principal, RequireAction(Action.REPORT_CREATE)]
Reader = Annotated[Principal, RequireAction(Action.REPORT_READ)]
Verifier = Annotated[Principal, RequireAction(Action.REPORT_VERIFY)]


def _public(report: Report) -> ReportPublic:
    return ReportPublic(
        id=report.id or 0, kind=ReportKind(report.kind), parameters=json.loads(report.parameters),
        created_at=report.created_at, created_by=report.created_by,
        created_by_role=report.created_by_role, application_id=report.application_id,
        model_version=report.model_version, ledger_head_seq=report.ledger_head_seq,
        ledger_head_hash=report.ledger_head_hash, sha256=report.sha256, size=report.size,
        manifest_sha256=report.manifest_sha256, pdf_url=f"/reports/{report.id}/pdf",
        verify_url=f"/reports/{report.id}/verify")


@router.post("", response_model=ReportPublic, status_code=201, responses=errors_for(409))
def create_report(body: ReportCreate, session: SessionDep, settings: SettingsDep,
                  actor: Creator) -> ReportPublic:
    """Build a report now against the ledger head, store it and record it in the ledger.

    Compliance officers create every kind; loan officers only adverse action notices for
    applications they submitted. A notice needs a current decision that declines or
    counteroffers (else 409 ``no_adverse_action``).
    """
    return _public(service.create_report(session, settings, actor, body))


@router.get("", response_model=ReportPage)
def list_reports(
    session: SessionDep,
    actor: Reader,
    kind: Annotated[ReportKind | None, Query(description="Only reports of this kind.")] = None,
    application_id: Annotated[str | None, Query(description="Only reports on this "
                                                            "application.")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Reports per page.")] = 50,
) -> ReportPage:
    """The reports the caller may read, newest first (metadata only)."""
    reports, total = service.list_reports(session, actor, kind=kind,
                                          application_id=application_id, offset=offset,
                                          limit=limit)
    return ReportPage(items=[_public(r) for r in reports], total=total)


@router.get("/{report_id}", response_model=ReportPublic)
def get_report(report_id: RowId, session: SessionDep, actor: Reader) -> ReportPublic:
    """One report's metadata."""
    return _public(service.get_report(session, actor, report_id))


@router.get("/{report_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "The PDF; its sha256 is the one the ledger "
                                            "recorded at its creation."},
                       **errors_for(409, 410)})
def download_report(report_id: RowId, session: SessionDep, settings: SettingsDep,
                    actor: Reader) -> Response:
    """The PDF bytes; each download is recorded in the ledger (``report.downloaded``).

    Bytes whose sha256 is not the one the ledger recorded at the report's creation are refused
    (409 ``report_integrity``), and the refusal is recorded (``report.download_refused``). A
    notice whose applicant's personal data was erased is gone: 410 ``personal_data_erased``.
    """
    download = service.download_report(session, settings, actor, report_id)
    if download.refusal is not None:
        refusal = download.refusal
        return JSONResponse(error_body(refusal.code, refusal.message, refusal.details),
                            status_code=refusal.status_code)
    report = download.report
    return Response(content=download.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="riskdesk-{report.kind}-{report.id}.pdf"',
        "X-Content-SHA256": report.sha256})


@router.get("/{report_id}/verify", response_model=ReportVerificationPublic)
def verify_report(report_id: RowId, session: SessionDep, settings: SettingsDep,
                  actor: Verifier) -> ReportVerificationPublic:
    """Prove a stored report against the ledger: its bytes against the PDF hash its
    ``report.created`` event recorded, its rebuild from its manifest against those bytes, and
    the chain up to that event. ``ok`` only when all three hold; ``failed`` names the others."""
    result = service.verify_report(session, settings, report_id)
    service.record_verification(session, actor, result)
    return ReportVerificationPublic.model_validate(result.as_dict())
