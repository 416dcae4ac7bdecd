"""Sign-in and identity endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.deps import RequireAction, SettingsDep
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.auth.schemas import TokenPublic, WhoAmI
from app.db import SessionDep
from app.errors import error_body

# Public: signing in is the one thing that cannot require being signed in already.
public_router = APIRouter(prefix="/auth", tags=["auth"])
router = APIRouter(prefix="/auth", tags=["auth"])


@public_router.post(
    "/token",
    response_model=TokenPublic,
    responses={401: {"description": "Wrong username or password"},
               429: {"description": "Too many failed sign-ins"}},
)
def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenPublic | JSONResponse:
    """Exchange a username and password (OAuth2 password form) for a short-lived JWT."""
    client = request.client.host if request.client else "unknown"
    outcome = service.login(session, settings, username=form.username, password=form.password,
                            client_address=client)
    # Failures are answered with a response, not an exception, so the session still commits the
    # attempt and its ledger event: failed sign-ins must be recorded to be limited and audited.
    if outcome.throttled:
        return JSONResponse(
            error_body("too_many_login_attempts",
                       f"too many failed sign-ins; wait {outcome.retry_after} seconds"),
            status_code=429, headers={"Retry-After": str(outcome.retry_after)})
    if outcome.token is None:
        return JSONResponse(error_body("invalid_credentials", "wrong username or password"),
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return TokenPublic(access_token=outcome.token, expires_in=outcome.expires_in,
                       role=str(outcome.role))


@router.get("/me", response_model=WhoAmI)
def who_am_i(principal: Annotated[Principal, RequireAction(Action.IDENTITY_READ)]) -> WhoAmI:
    """The identity and role the request is authenticated as."""
    return WhoAmI(actor_type=principal.actor_type, actor_id=principal.actor_id,
                  role=str(principal.role), username=principal.username)
