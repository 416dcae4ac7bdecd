"""Signing in to and out of the console.

Sign-in goes through the API's own sign-in service (:func:`app.auth.service.login`): the same
password check, the same throttling and the same ledger events. A sign-in form carries a token
matched against a cookie set with the form, so no other site can sign a browser in as someone
else.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.auth import service as auth_service
from app.auth.deps import SettingsDep
from app.auth.permissions import Action
from app.console import sessions
from app.console.deps import ConsoleAction
from app.console.rendering import page
from app.console.sessions import SignedIn
from app.db import SessionDep
from app.errors import Forbidden

router = APIRouter(prefix="/console")
# Public: signing in cannot require being signed in.
PUBLIC_PATHS = frozenset({"/console/login"})
LOGIN_COOKIE = "riskdesk_login"


def _next(target: str | None) -> str:
    # Only back into the console: never an address elsewhere ("//host", "/\\host").
    if (target and target.startswith("/console") and not target.startswith("//")
            and "\\" not in target and "://" not in target):
        return target
    return "/console"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(request: Request, *, next_path: str, message: str | None = None,
                username: str = "", status_code: int = 200) -> Response:
    form_token = secrets.token_urlsafe(24)
    response = page(request, None, "login.html", title="Sign in", status_code=status_code,
                    form_token=form_token, next_path=next_path, message=message,
                    username=username)
    response.set_cookie(LOGIN_COOKIE, form_token, httponly=True, samesite="strict",
                        secure=_secure(request), path="/console/login", max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None, ended: bool = False) -> Response:
    """The sign-in form."""
    message = "You have signed out." if ended else None
    return _login_page(request, next_path=_next(next), message=message)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    form_token: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/console",
) -> Response:
    """Check the password and start a session; a failure re-shows the form with its reason."""
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not sessions.csrf_matches(cookie, form_token):
        raise Forbidden("the sign-in form expired; reload the page and sign in again",
                        code="csrf_failed")
    if not username or not password:
        return _login_page(request, next_path=_next(next), username=username, status_code=422,
                           message="Enter your username and your password.")
    client = request.client.host if request.client else "unknown"
    outcome = auth_service.login(session, settings, username=username, password=password,
                                 client_address=client, channel="console")
    if outcome.throttled:
        return _login_page(request, next_path=_next(next), username=username, status_code=429,
                           message=f"Too many failed sign-ins: wait {outcome.retry_after} "
                                   "seconds before trying again.")
    if outcome.user_id is None:
        return _login_page(request, next_path=_next(next), username=username, status_code=401,
                           message="Wrong username or password.")
    token = sessions.start(session, settings, outcome.user_id, client)
    response = RedirectResponse(_next(next), status_code=303)
    response.set_cookie(sessions.COOKIE_NAME, token, httponly=True, samesite="strict",
                        secure=_secure(request), path="/console",
                        max_age=settings.console_absolute_hours * 3600)
    response.delete_cookie(LOGIN_COOKIE, path="/console/login")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep,
           signed_in: Annotated[SignedIn, ConsoleAction(Action.IDENTITY_READ)]) -> Response:
    """End this browser's session."""
    sessions.end(session, request.cookies.get(sessions.COOKIE_NAME))
    target = "/console/login?ended=true"
    response: Response = RedirectResponse(target, status_code=303)
    if request.headers.get("HX-Request") == "true":
        response = Response(status_code=200, headers={"HX-Redirect": target})
    response.delete_cookie(sessions.COOKIE_NAME, path="/console")
    return response
