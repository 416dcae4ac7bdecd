"""Who a console request is, and whether it may do what it asks: the console's counterpart of
:mod:`app.auth.deps`, admitting the roles of the same permission table.

Every console route declares its action with ``ConsoleAction``; a state change (any method but
GET and HEAD) must also carry the session's CSRF token, in the ``csrf_token`` form field or the
``X-CSRF-Token`` header (htmx sends the header on every request it makes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app.auth.deps import SettingsDep
from app.auth.permissions import ACTION_MARK, PERMISSIONS, ROLES_MARK, Action
from app.console import sessions
from app.console.sessions import SignedIn
from app.db import SessionDep
from app.errors import Forbidden, NotAuthenticated

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD"})


class SignInRequired(NotAuthenticated):
    """No live console session: the console answers by sending the browser to sign in."""

    code = "sign_in_required"


async def presented_csrf(request: Request) -> str | None:
    """The CSRF token a state-changing request carries: header first, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Starlette keeps the parsed form on the request, so the endpoint reads it again free.
        form = await request.form()
        # The form's uploaded files are closed when the request ends, as FastAPI does for the
        # forms it parses itself.
        stack = request.scope.get("fastapi_middleware_astack")
        if stack is not None:
            stack.push_async_callback(form.close)
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def may(signed_in: SignedIn, action: Action) -> bool:
    """Whether the signed-in user's role may perform ``action``: what a page offers them."""
    return signed_in.principal.role in PERMISSIONS[action]


def console_action(action: Action) -> Callable[..., Awaitable[SignedIn]]:
    """A dependency admitting a signed-in console user whose role the permission table allows
    ``action``, and refusing a state change without the session's CSRF token."""
    allowed = PERMISSIONS[action]

    async def check(request: Request, session: SessionDep, settings: SettingsDep) -> SignedIn:
        token = request.cookies.get(sessions.COOKIE_NAME)
        signed_in = await run_in_threadpool(sessions.resolve, session, settings, token)
        if signed_in is None:
            if token:
                # The session ended (idle, expired, signed out): that ending must be saved even
                # though the request is refused.
                await run_in_threadpool(session.commit)
            raise SignInRequired("your session has ended; sign in again" if token
                                 else "sign in to use the console")
        request.state.principal = signed_in.principal
        request.state.signed_in = signed_in
        if request.method not in _SAFE_METHODS and not sessions.csrf_matches(
                signed_in.csrf_token, await presented_csrf(request)):
            raise Forbidden("this form has expired or did not come from the console; reload "
                            "the page and try again", code="csrf_failed")
        if signed_in.principal.role not in allowed:
            raise Forbidden(f"the {signed_in.principal.role} role may not do this",
                            code="role_not_allowed",
                            details={"allowed_roles": sorted(str(r) for r in allowed)})
        return signed_in

    setattr(check, ROLES_MARK, allowed)
    setattr(check, ACTION_MARK, action)
    return check


def ConsoleAction(action: Action) -> Any:  # noqa: N802 (reads as a type in signatures)
    """``Annotated[SignedIn, ConsoleAction(Action.X)]`` for console route signatures."""
    return Depends(console_action(action))

