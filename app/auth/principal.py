"""Who is acting: a user, an API key, or the service itself (CLI and start-up tasks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.auth.roles import Role


@dataclass(frozen=True, slots=True)
class Principal:
    actor_type: str  # "user" | "api_key" | "system"
    actor_id: str
    role: Role | str  # "none" for an unauthenticated caller (failed logins)
    username: str | None = None
    user_id: int | None = None

    @classmethod
    def of_user(cls, user: Any) -> Principal:
        """A signed-in user acting: anything with the user's ``id``, ``role`` and
        ``username`` (a ``User`` row)."""
        return cls("user", str(user.id), Role(user.role), user.username, user.id)

    @classmethod
    def system(cls, name: str = "cli") -> Principal:
        """The service acting on its own behalf (an operator at the command line)."""
        return cls(actor_type="system", actor_id=name, role=Role.ADMIN)


ANONYMOUS = Principal(actor_type="anonymous", actor_id="anonymous", role="none")
