"""Who may create and read which kind of report; the endpoints' role lists admit, this narrows.

* compliance officers create and read every kind;
* loan officers create and read adverse action notices of applications they submitted;
* underwriters read adverse action notices (they resolve the referrals those follow);
* auditors read every kind and create none;
* the command line (``Principal.system``) creates every kind.
"""

from __future__ import annotations

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Role
from app.auth.scope import check_own_application, own_applications_only
from app.errors import Forbidden
from app.models import Report
from app.reports import repository
from app.reports.schemas import ReportKind


def is_system(actor: Principal) -> bool:
    return actor.actor_type == "system"


def check_may_create(actor: Principal, kind: ReportKind) -> None:
    if is_system(actor) or actor.role == Role.COMPLIANCE_OFFICER:
        return
    if actor.role == Role.LOAN_OFFICER and kind == ReportKind.ADVERSE_ACTION:
        return
    if actor.role == Role.MODEL_VALIDATOR and kind == ReportKind.MODEL_VALIDATION:
        return
    raise Forbidden(f"the {actor.role} role may not create {kind} reports",
                    code="report_kind_not_allowed")


def visible_kinds(actor: Principal) -> tuple[str, ...] | None:
    """Kinds the actor may read (None: all), before the loan officers' ownership rule."""
    if is_system(actor) or actor.role in (Role.COMPLIANCE_OFFICER, Role.AUDITOR):
        return None
    if actor.role in (Role.UNDERWRITER, Role.UNDERWRITING_LEAD, Role.LOAN_OFFICER):
        return (ReportKind.ADVERSE_ACTION.value,)
    if actor.role == Role.MODEL_VALIDATOR:
        return (ReportKind.MODEL_VALIDATION.value,)
    return ()


def check_may_read(session: Session, actor: Principal, report: Report) -> None:
    kinds = visible_kinds(actor)
    if kinds is not None and report.kind not in kinds:
        raise Forbidden(f"the {actor.role} role may not read {report.kind} reports",
                        code="report_kind_not_allowed")
    if own_applications_only(actor) is not None:
        check_own_application(actor, repository.application(session, report.application_id or ""))
