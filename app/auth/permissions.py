"""Who may do what: every action of the API and the roles allowed it, in one table.

A route declares the action it performs with ``RequireAction`` (:mod:`app.auth.deps`), which
admits the roles this table gives that action. Services may narrow an action further (a loan
officer reads only the applications they submitted). ``python -m app.auth.permissions
--markdown`` prints the table as ``docs/api.md`` carries it; ``--write`` updates that file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from app.auth.roles import Role


class Action(StrEnum):
    IDENTITY_READ = "identity.read"
    USER_ADMIN = "user.admin"
    USER_READ = "user.read"
    LEDGER_READ = "ledger.read"
    APPLICATION_SUBMIT = "application.submit"
    APPLICATION_READ = "application.read"
    APPLICATION_REVIEW = "application.review"
    APPLICATION_ANSWER_COUNTEROFFER = "application.answer_counteroffer"
    APPLICATION_REPLAY = "application.replay"
    APPLICATION_TRAIL = "application.trail"
    NOTICE_READ = "notice.read"
    NOTICE_SEND = "notice.send"
    MODEL_READ = "model.read"
    MODEL_VALIDATE = "model.validate"
    MODEL_APPROVE = "model.approve"
    MODEL_PROMOTE = "model.promote"
    MODEL_RETIRE = "model.retire"
    POLICY_READ = "policy.read"
    POLICY_CREATE = "policy.create"
    MONITORING_READ = "monitoring.read"
    MONITORING_RUN = "monitoring.run"
    DRIFT_ACKNOWLEDGE = "drift.acknowledge"
    OUTCOME_LOAD = "outcome.load"
    FAIRNESS_RUN = "fairness.run"
    FAIRNESS_READ = "fairness.read"
    REPORT_CREATE = "report.create"
    REPORT_READ = "report.read"
    REPORT_VERIFY = "report.verify"
    SUBJECT_READ = "subject.read"
    SUBJECT_FIND = "subject.find"
    SUBJECT_ERASE = "subject.erase"
    SUBJECT_LEGAL_HOLD = "subject.legal_hold"
    RETENTION_RUN = "retention.run"
    CASE_READ = "case.read"
    CASE_WORK = "case.work"
    CASE_ASSIGN = "case.assign"
    APPROVAL_READ = "approval.read"
    APPROVAL_DECIDE = "approval.decide"
    SCREENING_CHECK = "screening.check"
    SCREENING_READ = "screening.read"
    ACCOUNT_BOOK = "account.book"
    EVENT_LOAD = "event.load"
    ACCOUNT_READ = "account.read"
    ACCOUNT_WORK = "account.work"
    ACCOUNT_APPROVE = "account.approve"
    RULESET_READ = "ruleset.read"
    RULESET_DRAFT = "ruleset.draft"
    RULESET_PUBLISH = "ruleset.publish"
    PORTFOLIO_READ = "portfolio.read"


_LO, _UW, _CO, _AU, _AD = (Role.LOAN_OFFICER, Role.UNDERWRITER, Role.COMPLIANCE_OFFICER,
                           Role.AUDITOR, Role.ADMIN)
_LEAD, _MV, _SV = Role.UNDERWRITING_LEAD, Role.MODEL_VALIDATOR, Role.SERVICING

# Auditors read and never change anything. Admins administer accounts, models and policies but
# see none of the compliance work (separation of duties): reports hold applicants' names and
# addresses.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.IDENTITY_READ: frozenset(Role),
    Action.USER_ADMIN: frozenset({_AD}),
    # Resolving a user id found in a trail to a name and role: read-only.
    Action.USER_READ: frozenset({_AD, _AU, _CO}),
    Action.LEDGER_READ: frozenset({_AU, _CO, _AD}),
    Action.APPLICATION_SUBMIT: frozenset({_LO, _AD}),
    Action.APPLICATION_READ: frozenset(Role),
    Action.APPLICATION_REVIEW: frozenset({_UW, _LEAD, _AD}),
    # The officer records the applicant's answer (services narrow to their own applications).
    Action.APPLICATION_ANSWER_COUNTEROFFER: frozenset({_LO, _AD}),
    Action.APPLICATION_REPLAY: frozenset({_AU, _CO}),
    Action.APPLICATION_TRAIL: frozenset({_AU, _CO}),
    Action.NOTICE_READ: frozenset({_LO, _CO, _AU}),
    Action.NOTICE_SEND: frozenset({_LO, _CO}),
    # Models and policies (app.scoring.lifecycle): a model validator validates, a second person
    # (another validator or an admin, never whoever built or validated it) approves, an admin
    # puts it in use or rolls back; a validator may retire what fails validation.
    Action.MODEL_READ: frozenset({_UW, _LEAD, _CO, _AU, _AD, _MV}),
    Action.MODEL_VALIDATE: frozenset({_MV}),
    Action.MODEL_APPROVE: frozenset({_MV, _AD}),
    Action.MODEL_PROMOTE: frozenset({_AD}),
    Action.MODEL_RETIRE: frozenset({_AD, _MV}),
    Action.POLICY_READ: frozenset({_UW, _LEAD, _CO, _AU, _AD, _MV}),
    Action.POLICY_CREATE: frozenset({_AD}),
    # Watching models in use: champion against challenger, drift and its alerts (acknowledged
    # by the model's owners), back-tests against observed outcomes, which servicing loads.
    Action.MONITORING_READ: frozenset({_MV, _CO, _AU, _AD, _LEAD}),
    Action.MONITORING_RUN: frozenset({_MV, _CO, _AD}),
    Action.DRIFT_ACKNOWLEDGE: frozenset({_MV, _AD}),
    Action.OUTCOME_LOAD: frozenset({_AD, _MV}),
    Action.FAIRNESS_RUN: frozenset({_CO}),
    Action.FAIRNESS_READ: frozenset({_CO, _AU}),
    Action.REPORT_CREATE: frozenset({_CO, _LO, _MV}),
    Action.REPORT_READ: frozenset({_CO, _AU, _LO, _UW, _LEAD, _MV}),
    # Proving a report against the ledger is the examiner's and the compliance officer's work.
    Action.REPORT_VERIFY: frozenset({_CO, _AU}),
    # Data subjects: their state is no personal data; finding one is a search by personal data,
    # for whoever answers an erasure or a hold. Erasure is an admin's, approved by a second admin
    # (app.auth.four_eyes); compliance sets legal holds, as admins may.
    Action.SUBJECT_READ: frozenset({_CO, _AU, _AD}),
    Action.SUBJECT_FIND: frozenset({_CO, _AD}),
    Action.SUBJECT_ERASE: frozenset({_AD}),
    Action.SUBJECT_LEGAL_HOLD: frozenset({_CO, _AD}),
    Action.RETENTION_RUN: frozenset({_AD}),
    # The review queue: underwriters work cases, a lead (or an admin) hands them out; compliance
    # and auditors watch the queue and its ageing. A decision that needs four eyes is checked
    # by a second underwriter or a lead, never by an admin (who decides no credit).
    Action.CASE_READ: frozenset({_UW, _LEAD, _CO, _AU, _AD}),
    Action.CASE_WORK: frozenset({_UW, _LEAD}),
    Action.CASE_ASSIGN: frozenset({_LEAD, _AD}),
    Action.APPROVAL_READ: frozenset({_UW, _LEAD, _CO, _AU}),
    Action.APPROVAL_DECIDE: frozenset({_UW, _LEAD}),
    # Screening a name on demand: before onboarding, or while working a case.
    Action.SCREENING_CHECK: frozenset({_LO, _UW, _LEAD, _CO}),
    Action.SCREENING_READ: frozenset({_UW, _LEAD, _CO, _AU, _AD}),
    # Early warning (app.early_warning): servicing books accounts and sends their events;
    # underwriters and leads work what the rules raise, and a second of them approves a limit
    # reduction, a restructuring or a watch-list exit; leads and model validators draft rule
    # sets and a second of them publishes; compliance and auditors watch.
    Action.ACCOUNT_BOOK: frozenset({_SV}),
    Action.EVENT_LOAD: frozenset({_SV}),
    Action.ACCOUNT_READ: frozenset({_UW, _LEAD, _CO, _AU, _MV}),
    Action.ACCOUNT_WORK: frozenset({_UW, _LEAD}),
    Action.ACCOUNT_APPROVE: frozenset({_UW, _LEAD}),
    Action.RULESET_READ: frozenset({_UW, _LEAD, _CO, _AU, _MV}),
    Action.RULESET_DRAFT: frozenset({_LEAD, _MV}),
    Action.RULESET_PUBLISH: frozenset({_LEAD, _MV}),
    Action.PORTFOLIO_READ: frozenset({_UW, _LEAD, _CO, _AU, _MV}),
}

# Attributes by which a dependency of ``app.auth.deps`` records what it admits.
ROLES_MARK = "__riskdesk_roles__"
ACTION_MARK = "__riskdesk_action__"


def _declared(dependant: Any, mark: str) -> Any:
    stack = [dependant]
    while stack:
        node = stack.pop()
        value = getattr(node.call, mark, None)
        if value is not None:
            return value
        stack.extend(node.dependencies)
    return None


def declared_roles(dependant: Any) -> frozenset[Role] | None:
    """The roles an endpoint's dependency tree declares, or None when it declares none."""
    roles: frozenset[Role] | None = _declared(dependant, ROLES_MARK)
    return roles


def declared_action(dependant: Any) -> Action | None:
    """The action an endpoint's dependency tree declares, or None when it declares none."""
    action: Action | None = _declared(dependant, ACTION_MARK)
    return action


@dataclass(frozen=True)
class RouteAccess:
    """One method of one route and what it declares (None: nothing, so it is public)."""

    method: str
    path: str
    action: Action | None
    roles: frozenset[Role] | None


def route_access(app: FastAPI) -> list[RouteAccess]:
    """Every method of every route with dependencies, in the order the app matches them.

    Included routers' routes are walked as served (full path, the routers' dependencies too).
    """
    accesses = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or route.path is None:
            continue
        for method in sorted(route.methods or ()):
            accesses.append(RouteAccess(method, route.path, declared_action(dependant),
                                        declared_roles(dependant)))
    return accesses


# --- The table in docs/api.md --------------------------------------------------------------------

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BEGIN = "<!-- permissions: generated by `python -m app.auth.permissions --write` -->"
END = "<!-- /permissions -->"


def _roles_text(roles: frozenset[Role]) -> str:
    return ", ".join(role.value.replace("_", " ") for role in Role if role in roles)


def _routes_text(routes: Sequence[RouteAccess]) -> str:
    return ", ".join(f"`{r.method} {r.path}`" for r in routes) or "—"


def permissions_markdown(app: FastAPI) -> str:
    """The permission table, action → roles → routes, between its markers in docs/api.md.

    The API's routes only: the console's pages declare the same actions (docs/console.md).
    """
    routes = [r for r in route_access(app) if not r.path.startswith("/console")]
    lines = [BEGIN, "| action | roles | routes |", "| --- | --- | --- |"]
    for action in Action:
        declaring = [r for r in routes if r.action == action]
        lines.append(f"| `{action}` | {_roles_text(PERMISSIONS[action])} | "
                     f"{_routes_text(declaring)} |")
    public = [r for r in routes if r.roles is None]
    lines.append(f"| public | anyone, without signing in | {_routes_text(public)} |")
    direct = [r for r in routes if r.action is None and r.roles is not None]
    if direct:
        lines += ["", "Routes that declare their roles directly rather than an action:", "",
                  "| route | roles |", "| --- | --- |"]
        lines += [f"| `{r.method} {r.path}` | {_roles_text(r.roles or frozenset())} |"
                  for r in direct]
    lines.append(END)
    return "\n".join(lines)


def documented_section(text: str) -> str:
    """The permission table as ``text`` (docs/api.md) carries it, markers included."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no permission table between {BEGIN!r} and {END!r}")
    return text[start:end + len(END)]


def with_section(text: str, section: str) -> str:
    """``text`` with its permission table replaced by ``section``."""
    old = documented_section(text)
    return text.replace(old, section, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.auth.permissions",
                                     description="The permission table of docs/api.md.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--markdown", action="store_true", help="Print the table.")
    mode.add_argument("--write", action="store_true", help=f"Update it in {DOC_PATH.name}.")
    args = parser.parse_args(argv)
    from app.main import create_app  # here: the app's routers import this module

    section = permissions_markdown(create_app())
    if args.markdown:
        sys.stdout.write(section + "\n")
    else:
        DOC_PATH.write_text(with_section(DOC_PATH.read_text(encoding="utf-8"), section),
                            encoding="utf-8")
    return 0


if __name__ == "__main__":
    # Run the imported module's main, so the app and this table share one Action class.
    from app.auth import permissions

    raise SystemExit(permissions.main())
