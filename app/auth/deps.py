"""Request authentication and role checks, as FastAPI dependencies."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from app.auth.permissions import ACTION_MARK, PERMISSIONS, ROLES_MARK, Action
from app.auth.principal import Principal
from app.auth.roles import Role
from app.auth.security import decode_access_token, digests_match, secret_digest, split_api_key
from app.config import Settings, get_settings
from app.db import SessionDep
from app.errors import Forbidden, NotAuthenticated
from app.models import ApiKey, User
from app.models.base import table_of
from app.statements import Prepared

_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


async def _settings() -> Settings:
    # An async dependency: a sync one would cost every request a worker-thread hand-off.
    return get_settings()


SettingsDep = Annotated[Settings, Depends(_settings)]

# Verified claims by (signing secret, token). A token's signature and claims never change, so
# each is verified once per process (PyJWT takes about 150 µs); its expiry is checked again
# on every use. Whether the user still holds the role, and the token's credentials version, is
# read from the database on every request (:func:`_principal_from_token`).
_verified: dict[tuple[str, str], dict[str, Any]] = {}
_VERIFIED_MAX = 4096


def _claims(settings: Settings, token: str) -> dict[str, Any]:
    key = (settings.secret_key.get_secret_value(), token)
    claims = _verified.get(key)
    if claims is None:
        try:
            claims = decode_access_token(settings, token)
        except jwt.ExpiredSignatureError as exc:
            raise NotAuthenticated("the access token has expired; sign in again",
                                   code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise NotAuthenticated("the access token is not valid", code="invalid_token") from exc
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[key] = claims
    # PyJWT's own rule: expired once exp <= now (no leeway).
    if int(claims["exp"]) <= time.time():
        raise NotAuthenticated("the access token has expired; sign in again",
                               code="token_expired")
    return claims


def _user_id(claims: dict[str, Any]) -> int:
    try:
        return int(claims["sub"])
    except (TypeError, ValueError) as exc:
        raise NotAuthenticated("the access token is not valid", code="invalid_token") from exc


# What authenticating a token reads of its user, by primary key: built once, not per request.
_users = table_of(User)
_USER_STANDING = Prepared(sa_select(_users.c.token_version, _users.c.is_active, _users.c.role,
                                    _users.c.username).where(_users.c.id == bindparam("user_id")))


def _principal_from_token(session: Session, claims: dict[str, Any], user_id: int) -> Principal:
    found = _USER_STANDING.run(session, {"user_id": user_id})
    # The role is read from the database, not the token: a demoted or disabled user loses access
    # at once rather than when the token expires.
    if not found or not found[0][1]:
        raise NotAuthenticated("the account is disabled or no longer exists",
                               code="account_disabled")
    token_version, _active, role, username = found[0]
    if claims.get("ver", 0) != token_version:
        raise NotAuthenticated("the password or role changed since this token was issued; "
                               "sign in again", code="token_revoked")
    return Principal("user", str(user_id), Role(role), username, user_id)


def _principal_from_api_key(session: Session, presented: str) -> Principal:
    parts = split_api_key(presented)
    key = None
    if parts is not None:
        key = session.exec(select(ApiKey).where(ApiKey.key_id == parts[0])).first()
    if (key is None or parts is None or key.revoked_at is not None
            or not digests_match(key.secret_sha256, secret_digest(parts[1]))):
        raise NotAuthenticated("the API key is not valid or has been revoked",
                               code="invalid_api_key")
    return Principal("api_key", f"key:{key.key_id}", Role(key.role), None, None)


async def get_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    """Authenticate the request by API key (``X-API-Key`` or a bearer ``rdk_`` key) or JWT.

    The token is checked on the event loop; the database read that finds the key, or the
    user's role and credentials version, takes one worker-thread hand-off.
    """
    if api_key:
        principal = await run_in_threadpool(_principal_from_api_key, session, api_key)
    elif token and token.startswith("rdk_"):
        principal = await run_in_threadpool(_principal_from_api_key, session, token)
    elif token:
        claims = _claims(settings, token)
        principal = await run_in_threadpool(_principal_from_token, session, claims,
                                            _user_id(claims))
    else:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>' or "
                               "an 'X-API-Key' header")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only ``roles``; every endpoint declares one (deny by default)."""
    allowed = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(
                f"the {principal.role} role may not do this",
                code="role_not_allowed",
                details={"allowed_roles": sorted(str(r) for r in allowed)},
            )
        return principal

    setattr(check, ROLES_MARK, allowed)
    return check


def RequireRoles(*roles: Role) -> Any:  # noqa: N802 (reads as a type in signatures)
    """``Annotated[Principal, RequireRoles(...)]`` for endpoint signatures."""
    return Depends(require_roles(*roles))


def require_action(action: Action) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting the roles the permission table allows ``action``."""
    check = require_roles(*PERMISSIONS[action])
    setattr(check, ACTION_MARK, action)
    return check


def RequireAction(action: Action) -> Any:  # noqa: N802 (reads as a type in signatures)
    """``Annotated[Principal, RequireAction(Action.X)]`` for endpoint signatures."""
    return Depends(require_action(action))
