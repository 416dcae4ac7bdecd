"""Pinning a report's inputs: the parameters a request resolves to, the builder's input read
from the database as of one ledger head, and what the manifest records beside it.

Every report is built against the ledger head at build time and stamped with its creation time
(to the second). The input read here goes into the report's manifest
(:mod:`app.reports.manifests`), and the PDF is built from the manifest, first time and again:
:func:`rebuild` never reads the database. The compliance report's verification covers the
ledger up to that head, and its checkpoint signs that head at the creation time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.scope import check_own_application
from app.config import Settings
from app.errors import Conflict
from app.fairness import service as fairness
from app.notices import service as notices_service
from app.outcomes import repository as outcomes
from app.reports import manifests, repository
from app.reports.inputs.adverse_action import (
    adverse_action_input,
    notice_action,
    notice_to_build,
    require_application,
)
from app.reports.inputs.compliance_report import compliance_input
from app.reports.inputs.model_validation import model_validation_input
from app.reports.schemas import PARAMETERS, ReportCreate, ReportKind
from app.scoring import comparison
from compliance.reports import LedgerHead

# Bootstrap settings of the audits inside reports: fixed, so a report rebuilds identically.
REPORT_AUDIT = {"n_boot": 200, "seed": 0}
COMPLIANCE_INTERSECTIONS = (("sex", "age_band"),)


class NotRebuildable(Conflict):
    code = "report_not_rebuildable"


def rebuild(manifest_text: str, report_id: int) -> bytes:
    """Build report ``report_id`` again from its manifest alone (``manifest_of`` in
    :mod:`app.reports.service` gives a stored report's)."""
    return manifests.build_from(manifest_text, report_id)


def build_input(session: Session, settings: Settings, kind: ReportKind,
                parameters: dict[str, Any], generated_at: datetime, head: LedgerHead) -> Any:
    """The builder's input for ``kind`` from pinned ``parameters`` (see
    :func:`resolve_parameters`), read as of ``head``."""
    if kind == ReportKind.ADVERSE_ACTION:
        return adverse_action_input(session, settings, parameters, generated_at, head)
    if kind == ReportKind.MODEL_VALIDATION:
        return model_validation_input(session, parameters, generated_at, head)
    return compliance_input(session, settings, parameters, generated_at, head)


def provenance(session: Session, kind: ReportKind, parameters: dict[str, Any],
               head: LedgerHead) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What the manifest records beside the input: the versions of the model, policy and reason
    statements behind the report, and for a period report the decisions it counted."""
    if kind == ReportKind.ADVERSE_ACTION:
        decision = repository.decision(session, parameters["decision_id"])
        assert decision is not None  # resolve_parameters found it
        return ({"model_version": decision.model_version,
                 "policy_version": decision.policy_version,
                 "reason_catalog_version": decision.reason_catalog_version}, None)
    if kind == ReportKind.MODEL_VALIDATION:
        return ({"model_version": parameters["model_version"],
                 "policy_version": parameters["policy_version"],
                 **({"backtest_id": parameters["backtest_id"]}
                    if "backtest_id" in parameters else {}),
                 **({"comparison": parameters["comparison"]}
                    if "comparison" in parameters else {})}, None)
    start, end = fairness.period_bounds(date.fromisoformat(parameters["date_from"]),
                                        date.fromisoformat(parameters["date_to"]))
    rows = repository.period_decisions(session, start, end)
    return ({name: sorted({str(r[i]) for r in rows if r[i] is not None})
             for i, name in enumerate(("model_versions", "policy_versions",
                                       "reason_catalog_versions"), start=1)},
            {"as_of_ledger_seq": head.seq, "decision_ids": [r[0] for r in rows]})


def resolve_parameters(session: Session, actor: Principal, body: ReportCreate, *,
                       notice_id: str | None = None) -> dict[str, Any]:
    """The request's parameters plus what they resolve to now, so a rebuild uses the same.
    ``notice_id`` names the notice an adverse action notice answers (an application may owe
    more than one: a counteroffer, then a limit reduction on the account it became); by default
    the application's open one."""
    given = {name: getattr(body, name) for name in PARAMETERS[body.kind]}
    if body.kind == ReportKind.ADVERSE_ACTION:
        application = require_application(session, given["application_id"])
        check_own_application(actor, application)
        obligation = notice_to_build(session, application)
        if notice_id is not None:
            obligation = notices_service.get(session, notice_id)
            if obligation.application_id != application.id:
                raise Conflict(f"notice {notice_id} is not of application {application.id}",
                               code="notice_of_another_application")
        return {"application_id": application.id, "decision_id": obligation.decision_id,
                "notice_id": obligation.id,
                "action": str(notice_action(application, obligation))}
    if body.kind == ReportKind.MODEL_VALIDATION:
        model = fairness.resolve_model(session, given["model_version"])
        try:
            policy_version: str | None = fairness.resolve_policy(session, None).version
        except Conflict:
            policy_version = None
        # The newest back-test, pinned by id: a later one never changes what this report shows.
        backtest = outcomes.newest_backtest(session, model.version)
        return {"model_version": model.version, "policy_version": policy_version,
                "fairness": dict(REPORT_AUDIT),
                "backtest_id": None if backtest is None else backtest.id,
                # Its shadow decisions beside the champion's, pinned to what is stored now.
                "comparison": comparison.report_pin(session, model.version,
                                                    datetime.now(UTC))}
    return {"date_from": given["date_from"].isoformat(), "date_to": given["date_to"].isoformat(),
            "prepared_by": actor.actor_id, "prepared_role": str(actor.role),
            "fairness": {**REPORT_AUDIT,
                         "intersections": [list(p) for p in COMPLIANCE_INTERSECTIONS]}}
