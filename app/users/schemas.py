"""Request and response bodies for users and API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.auth.roles import Role
from risk_models.document import Strict

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
MIN_PASSWORD_LENGTH = 12


class UserCreate(Strict):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=USERNAME_PATTERN, description="3-64 of a-z, 0-9, '.', '_', '-'.")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256,
                          description=f"At least {MIN_PASSWORD_LENGTH} characters.")
    role: Role = Field(description="The one role the user acts with.")


class UserUpdate(Strict):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = Field(None, description="New role.")
    is_active: bool | None = Field(None, description="False disables sign-in and all tokens.")
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=256,
                                 description="New password.")


class UserPublic(BaseModel):
    id: int = Field(description="User id.")
    username: str = Field(description="Sign-in name.")
    role: Role = Field(description="Role.")
    is_active: bool = Field(description="Whether the user may sign in.")
    created_at: datetime = Field(description="When the account was created (UTC).")


class ApiKeyCreate(Strict):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128, description="What integration uses the key.")
    role: Role = Field(description="The one role the key acts with.")


class ApiKeyPublic(BaseModel):
    id: int = Field(description="Key record id.")
    key_id: str = Field(description="Public part of the key, shown in the ledger as key:<key_id>.")
    name: str = Field(description="What integration uses the key.")
    role: Role = Field(description="Role.")
    created_at: datetime = Field(description="When it was created (UTC).")
    revoked_at: datetime | None = Field(None, description="When it was revoked, if it was.")


class ApiKeyCreated(ApiKeyPublic):
    api_key: str = Field(description="The full key. Shown once: only its hash is stored.")
