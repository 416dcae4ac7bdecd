"""Four eyes: a change that needs two people is made by one and checked by another, never the
same. One rule for every two-person control: erasure of personal data, underwriters' decisions
that need a checker, and the separation of whoever submitted an application from whoever
decides it.

Both people must be signed-in users: an API key or the service itself is nobody's second pair of
eyes (an admin could otherwise approve their own request with a key they made).
"""

from __future__ import annotations

from app.auth.principal import Principal
from app.errors import Forbidden


def require_person(actor: Principal, what: str) -> None:
    """Refuse ``actor`` a part in a two-person control unless they are a signed-in user."""
    if actor.actor_type != "user":
        raise Forbidden(f"a {what} needs two people: request and approve it as signed-in users, "
                        "not with an API key or as the service", code="four_eyes_person_required")


def require_second_person(maker_id: str, checker: Principal, what: str, *,
                          code: str = "four_eyes_same_person",
                          message: str | None = None) -> None:
    """Refuse ``checker`` the approval of what they made themselves (maker is never checker)."""
    require_person(checker, what)
    if checker.actor_id == maker_id:
        raise Forbidden(message or f"you requested this {what}; a different person must "
                        "approve it", code=code)


def require_not_submitter(submitted_by: str, actor: Principal) -> None:
    """Separation of duties: whoever submitted an application neither decides it nor checks a
    decision on it."""
    require_second_person(submitted_by, actor, "decision on an application",
                          code="own_application",
                          message="you submitted this application; another underwriter "
                                  "decides it")
