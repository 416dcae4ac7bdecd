"""Request and response bodies of the sign-in endpoints."""

from pydantic import BaseModel, Field


class TokenPublic(BaseModel):
    access_token: str = Field(description="JWT to send as 'Authorization: Bearer <token>'.")
    token_type: str = Field("bearer", description="Always 'bearer'.")
    expires_in: int = Field(description="Seconds until the token expires.")
    role: str = Field(description="The signed-in user's role.")


class WhoAmI(BaseModel):
    actor_type: str = Field(description="'user' or 'api_key'.")
    actor_id: str = Field(description="User id or 'key:<key id>'.")
    role: str = Field(description="The role the request acts with.")
    username: str | None = Field(None, description="The user's name (users only).")
