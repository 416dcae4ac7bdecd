"""Regulatory PDF reports: create, list, read metadata, download (every download is ledgered).

The permission table admits; ``app.reports.access`` narrows (loan officers: notices of their own
applications only; underwriters: notices only).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.models import Report
from app.params import Offset, RowId
from app.reports import service
from app.reports.schemas import ReportCreate, ReportKind, ReportPage, ReportPublic

router = APIRouter(prefix="/reports", tags=["reports"])
Creator = Annotated[Principal, RequireAction(Action.REPORT_CREATE)]
Reader = Annotated[Principal, RequireAction(Action.REPORT_READ)]


def _public(report: Report) -> ReportPublic:
    return ReportPublic(
        id=report.id or 0, kind=ReportKind(report.kind), parameters=json.loads(report.parameters),
        created_at=report.created_at, created_by=report.created_by,
        created_by_role=report.created_by_role, application_id=report.application_id,
        model_version=report.model_version, ledger_head_seq=report.ledger_head_seq,
        ledger_head_hash=report.ledger_head_hash, sha256=report.sha256, size=report.size,
        pdf_url=f"/reports/{report.id}/pdf")


@router.post("", response_model=ReportPublic, status_code=201)
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
                             "description": "The PDF; its sha256 equals the stored one."}})
def download_report(report_id: RowId, session: SessionDep, settings: SettingsDep,
                    actor: Reader) -> Response:
    """The PDF bytes; each download is recorded in the ledger (``report.downloaded``). A notice
    whose applicant's personal data was erased is gone: 410 ``personal_data_erased``."""
    report, pdf = service.download_report(session, settings, actor, report_id)
    return Response(content=pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="riskdesk-{report.kind}-{report.id}.pdf"',
        "X-Content-SHA256": report.sha256})
