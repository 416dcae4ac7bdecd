"""The role home page's panels: what needs each person now.

Each area of the console registers the panels it owns; a panel is shown to the roles the
permission table allows its action (optionally fewer: an admin may read the review queue but
has no cases of their own to work).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.auth.permissions import PERMISSIONS, Action
from app.auth.roles import Role
from app.console.sessions import SignedIn


@dataclass(frozen=True)
class Panel:
    title: str
    action: Action
    template: str
    load: Callable[[Session, SignedIn], dict[str, Any]]
    roles: frozenset[Role] | None = None

    def shown_to(self, role: Role | str) -> bool:
        return role in PERMISSIONS[self.action] and (self.roles is None or role in self.roles)


PANELS: list[Panel] = []


def panel(title: str, action: Action, template: str,
          roles: frozenset[Role] | None = None) -> Callable[
              [Callable[[Session, SignedIn], dict[str, Any]]],
              Callable[[Session, SignedIn], dict[str, Any]]]:
    """Register the decorated function as the loader of a home panel."""

    def register(load: Callable[[Session, SignedIn], dict[str, Any]],
                 ) -> Callable[[Session, SignedIn], dict[str, Any]]:
        PANELS.append(Panel(title, action, template, load, roles))
        return load

    return register


def panels_for(session: Session, signed_in: SignedIn) -> list[tuple[Panel, dict[str, Any]]]:
    """The panels ``signed_in`` sees, each with its figures."""
    role = signed_in.principal.role
    return [(p, p.load(session, signed_in)) for p in PANELS if p.shown_to(role)]
