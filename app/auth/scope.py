"""The one rule of who sees which applications (and everything hanging off them).

A loan officer sees only the applications they submitted; every other role the action admits,
and the command line, sees them all.
"""

from __future__ import annotations

from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import Forbidden
from app.models import Application


def own_applications_only(actor: Principal) -> str | None:
    """The submitter whose applications alone ``actor`` may see, or None for all."""
    if actor.role == Role.LOAN_OFFICER and actor.actor_type != "system":
        return actor.actor_id
    return None


def check_own_application(actor: Principal, application: Application | None) -> None:
    """Refuse ``actor`` an application (or a thing of one) it may not see."""
    submitter = own_applications_only(actor)
    if submitter is not None and (application is None or application.submitted_by != submitter):
        raise Forbidden("loan officers may only see and act on applications they submitted",
                        code="not_your_application")
