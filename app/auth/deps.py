"""Request authentication and role checks, as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel import Session, select

from app.auth.permissions import ACTION_MARK, PERMISSIONS, ROLES_MARK, Action
from app.auth.principal import Principal
from app.auth.roles import Role
from app.auth.security import decode_access_token, digests_match, secret_digest, split_api_key
from app.config import Settings, get_settings
from app.db import SessionDep
from app.errors import Forbidden, NotAuthenticated
from app.models import ApiKey, User

_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)

SettingsDep = Annotated[Settings, Depends(get_settings)]


def _principal_from_token(session: Session, settings: Settings, token: str) -> Principal:
    try:
        claims = decode_access_token(settings, token)
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("the access token has expired; sign in again",
                               code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("the access token is not valid", code="invalid_token") from exc
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError) as exc:
        raise NotAuthenticated("the access token is not valid", code="invalid_token") from exc
    user = session.get(User, user_id)
    # The role is read from the database, not the token: a demoted or disabled user loses access
    # at once rather than when the token expires.
    if user is None or not user.is_active:
        raise NotAuthenticated("the account is disabled or no longer exists",
                               code="account_disabled")
    if claims.get("ver", 0) != user.token_version:
        raise NotAuthenticated("the password or role changed since this token was issued; "
                               "sign in again", code="token_revoked")
    return Principal("user", str(user.id), Role(user.role), user.username, user.id)


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


def get_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    """Authenticate the request by API key (``X-API-Key`` or a bearer ``rdk_`` key) or JWT."""
    if api_key:
        principal = _principal_from_api_key(session, api_key)
    elif token and token.startswith("rdk_"):
        principal = _principal_from_api_key(session, token)
    elif token:
        principal = _principal_from_token(session, settings, token)
    else:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>' or "
                               "an 'X-API-Key' header")
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only ``roles``; every endpoint declares one (deny by default)."""
    allowed = frozenset(roles)

    def check(principal: CurrentPrincipal) -> Principal:
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


def require_action(action: Action) -> Callable[..., Principal]:
    """A dependency admitting the roles the permission table allows ``action``."""
    check = require_roles(*PERMISSIONS[action])
    setattr(check, ACTION_MARK, action)
    return check


def RequireAction(action: Action) -> Any:  # noqa: N802 (reads as a type in signatures)
    """``Annotated[Principal, RequireAction(Action.X)]`` for endpoint signatures."""
    return Depends(require_action(action))
