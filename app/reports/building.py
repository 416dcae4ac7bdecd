"""Pinning a report's inputs and building its PDF, first time or again.

Every report is built against the ledger head at build time and stamped with its creation time
(to the second), and both are stored with the PDF and its parameters. ``build`` reads only the
database and those stored values, so :func:`rebuild` reproduces a stored report byte for byte.
The compliance report's verification covers the ledger up to that head, and its checkpoint
signs that head at the creation time (Ed25519 signatures are deterministic).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.scope import check_own_application
from app.config import Settings
from app.errors import Conflict
from app.fairness import service as fairness
from app.models import Report
from app.reports.inputs.adverse_action import (
    adverse_action_input,
    notice_action,
    notice_to_build,
    require_application,
)
from app.reports.inputs.compliance_report import compliance_input
from app.reports.inputs.model_validation import model_validation_input
from app.reports.schemas import PARAMETERS, ReportCreate, ReportKind
from compliance.reports import (
    LedgerHead,
    build_adverse_action_notice,
    build_compliance_report,
    build_model_validation_report,
)

# Bootstrap settings of the audits inside reports: fixed, so a report rebuilds identically.
REPORT_AUDIT = {"n_boot": 200, "seed": 0}
COMPLIANCE_INTERSECTIONS = (("sex", "age_band"),)


def rebuild(session: Session, settings: Settings, report: Report) -> bytes:
    """Build ``report`` again from its stored parameters, creation time and ledger head."""
    return build(session, settings, ReportKind(report.kind), json.loads(report.parameters),
                 report.created_at,
                 LedgerHead(report.ledger_head_seq, report.ledger_head_hash))


def build(session: Session, settings: Settings, kind: ReportKind, parameters: dict[str, Any],
          generated_at: datetime, head: LedgerHead) -> bytes:
    """The PDF of ``kind`` from pinned ``parameters`` (see :func:`resolve_parameters`)."""
    if kind == ReportKind.ADVERSE_ACTION:
        return build_adverse_action_notice(
            adverse_action_input(session, settings, parameters, generated_at, head))
    if kind == ReportKind.MODEL_VALIDATION:
        return build_model_validation_report(
            model_validation_input(session, parameters, generated_at, head))
    return build_compliance_report(
        compliance_input(session, settings, parameters, generated_at, head))


def resolve_parameters(session: Session, actor: Principal, body: ReportCreate) -> dict[str, Any]:
    """The request's parameters plus what they resolve to now, so a rebuild uses the same."""
    given = {name: getattr(body, name) for name in PARAMETERS[body.kind]}
    if body.kind == ReportKind.ADVERSE_ACTION:
        application = require_application(session, given["application_id"])
        check_own_application(actor, application)
        obligation = notice_to_build(session, application)
        return {"application_id": application.id, "decision_id": obligation.decision_id,
                "notice_id": obligation.id,
                "action": str(notice_action(application, obligation))}
    if body.kind == ReportKind.MODEL_VALIDATION:
        model = fairness.resolve_model(session, given["model_version"])
        try:
            policy_version: str | None = fairness.resolve_policy(session, None).version
        except Conflict:
            policy_version = None
        return {"model_version": model.version, "policy_version": policy_version,
                "fairness": dict(REPORT_AUDIT)}
    return {"date_from": given["date_from"].isoformat(), "date_to": given["date_to"].isoformat(),
            "fairness": {**REPORT_AUDIT,
                         "intersections": [list(p) for p in COMPLIANCE_INTERSECTIONS]}}
