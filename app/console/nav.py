"""The console's navigation: which screens each role is shown a link to.

A link's visibility is not written here: it is read, when the application is built, from the
roles the linked route itself declares (the permission table), so no role is shown a link it
cannot use and a screen's permission has one home.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from app.auth.permissions import declared_roles
from app.auth.roles import Role


@dataclass(frozen=True)
class Link:
    label: str
    path: str


@dataclass(frozen=True)
class Section:
    title: str
    links: tuple[Link, ...]


SECTIONS: tuple[Section, ...] = (
    Section("Applications", (Link("New application", "/console/applications/new"),
                             Link("Applications", "/console/applications"))),
    Section("Underwriting", (Link("Case inbox", "/console/cases"),
                             Link("Awaiting my approval", "/console/approvals"))),
    Section("Early warning", (Link("Portfolio", "/console/portfolio"),
                              Link("Early-warning queue", "/console/early-warning"),
                              Link("Rule sets", "/console/rule-sets"))),
    Section("Compliance", (Link("Dashboard", "/console/compliance"),
                           Link("Fairness audits", "/console/fairness"),
                           Link("Reports", "/console/reports"),
                           Link("Sanctions matches", "/console/screening"))),
    Section("Models", (Link("Model registry", "/console/models"),
                       Link("Policy versions", "/console/policies"))),
    Section("Audit", (Link("Ledger", "/console/ledger"),
                      Link("Verify the chain", "/console/ledger/verify"),
                      Link("Verify a report", "/console/reports/verify"))),
    Section("Administration", (Link("Users and roles", "/console/users"),
                               Link("API keys", "/console/api-keys"),
                               Link("Notice parties", "/console/notice-parties"))),
)

_roles_by_path: dict[str, frozenset[Role]] = {}


def bind(app: FastAPI) -> None:
    """Read each linked screen's roles from its GET route; a link to no route is an error."""
    found: dict[str, frozenset[Role]] = {}
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or "GET" not in (getattr(route, "methods", None) or ()):
            continue
        roles = declared_roles(dependant)
        if roles is not None and route.path:
            found[route.path] = roles
    missing = [link.path for section in SECTIONS for link in section.links
               if link.path not in found]
    if missing:
        raise RuntimeError(f"console links to screens that do not exist: {missing}")
    _roles_by_path.clear()
    _roles_by_path.update(found)


def may_open(role: Role | str, path: str) -> bool:
    """Whether ``role`` may open the screen at route ``path`` (a route's path, unformatted)."""
    return role in _roles_by_path.get(path, frozenset())


def sections_for(role: Role | str) -> list[Section]:
    """The sections and links ``role`` is shown, in order; empty sections are left out."""
    shown = []
    for section in SECTIONS:
        links = tuple(link for link in section.links if may_open(role, link.path))
        if links:
            shown.append(Section(section.title, links))
    return shown
