"""Administration of users and API keys (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.auth.deps import RequireAction
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.openapi import errors_for
from app.params import RowId
from app.users import repository, service
from app.users.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = APIRouter(tags=["users"])
Admin = Annotated[Principal, RequireAction(Action.USER_ADMIN)]
UserReader = Annotated[Principal, RequireAction(Action.USER_READ)]


@router.post("/users", response_model=UserPublic, status_code=201, responses=errors_for(409))
def create_user(body: UserCreate, session: SessionDep, actor: Admin) -> UserPublic:
    """Create a user with one role."""
    user = service.create_user(session, actor, username=body.username, password=body.password,
                               role=body.role)
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, actor: Admin) -> list[UserPublic]:
    """Every user."""
    return [UserPublic.model_validate(u, from_attributes=True)
            for u in repository.list_users(session)]


@router.get("/users/{user_id}", response_model=UserPublic)
def get_user(user_id: RowId, session: SessionDep, actor: UserReader) -> UserPublic:
    """One user: the name and role behind a user id found in the ledger or a trail."""
    return UserPublic.model_validate(service.get_user(session, user_id), from_attributes=True)


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: RowId, body: UserUpdate, session: SessionDep, actor: Admin) -> UserPublic:
    """Change a user's role, disable or re-enable them, or reset their password."""
    user = service.update_user(session, actor, user_id, body)
    return UserPublic.model_validate(user, from_attributes=True)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, responses=errors_for(409))
def create_api_key(body: ApiKeyCreate, session: SessionDep, actor: Admin) -> ApiKeyCreated:
    """Create an API key for a system integration; the key is shown in this response only."""
    record, full_key = service.create_api_key(session, actor, name=body.name, role=body.role)
    public = ApiKeyPublic.model_validate(record, from_attributes=True)
    return ApiKeyCreated(**public.model_dump(), api_key=full_key)


@router.get("/api-keys", response_model=list[ApiKeyPublic])
def list_api_keys(session: SessionDep, actor: Admin) -> list[ApiKeyPublic]:
    """Every API key (never the secret)."""
    return [ApiKeyPublic.model_validate(k, from_attributes=True)
            for k in repository.list_api_keys(session)]


@router.delete("/api-keys/{record_id}", response_model=ApiKeyPublic)
def revoke_api_key(record_id: RowId, session: SessionDep, actor: Admin) -> ApiKeyPublic:
    """Revoke an API key; requests with it are refused from now on."""
    return ApiKeyPublic.model_validate(service.revoke_api_key(session, actor, record_id),
                                       from_attributes=True)
