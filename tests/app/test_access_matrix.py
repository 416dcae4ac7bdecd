"""Every route of the OpenAPI schema, called with a token of every role and with none, answers
as the permission table says for the action the route declares. A route that declares nothing
and is not listed as public fails the test."""

from __future__ import annotations

import re

import pytest

from app.auth.permissions import PERMISSIONS, Action, RouteAccess, route_access
from app.auth.roles import Role

PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/auth/token")}

# Auditors are read-only everywhere: no route they may call writes.
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
AUDITOR_MAY_POST = {("POST", "/audit/verify")}  # verification reads; it changes nothing


def _app():
    from app.main import create_app

    return create_app()


def _routes() -> list[tuple[str, str]]:
    schema = _app().openapi()
    return [(method.upper(), path) for path, item in schema["paths"].items()
            for method in item if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}]


def _declarations() -> dict[tuple[str, str], RouteAccess]:
    return {(access.method, access.path): access for access in route_access(_app())}


def _action(route: tuple[str, str], access: RouteAccess) -> Action:
    assert access.action is not None, f"{route} declares no action; add RequireAction"
    return access.action


def _allowed() -> dict[tuple[str, str], frozenset[Role]]:
    """Each route's roles by the permission table; public routes admit everyone."""
    declared = _declarations()
    allowed = {}
    for route in _routes():
        public = route in PUBLIC
        allowed[route] = frozenset(Role) if public else PERMISSIONS[_action(route, declared[route])]
    return allowed


def test_public_routes_are_exactly_those_that_declare_nothing():
    declared = _declarations()
    undeclared = {route for route in _routes() if declared[route].roles is None}
    assert undeclared == PUBLIC


def test_every_other_route_declares_an_action():
    declared = _declarations()
    failures = []
    for route in _routes():
        if route not in PUBLIC:
            try:
                _action(route, declared[route])
            except AssertionError as exc:
                failures.append(str(exc))
    assert failures == []


def test_auditors_never_hold_a_writing_route():
    for route, roles in _allowed().items():
        if route[0] in WRITE_METHODS and route not in AUDITOR_MAY_POST | PUBLIC:
            assert Role.AUDITOR not in roles, route


def _call(client, method, path, headers):
    url = re.sub(r"\{[^}]+\}", "1", path)
    kwargs = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    return client.request(method, url, headers=headers, **kwargs)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_role_matrix(client, auth_headers, db_url):
    failures = []
    for (method, path), allowed in _allowed().items():
        public = (method, path) in PUBLIC
        anonymous = _call(client, method, path, {})
        if not public and anonymous.status_code != 401:
            failures.append((method, path, None, anonymous.status_code))
        for role in Role:
            status = _call(client, method, path, auth_headers[role]).status_code
            permitted = role in allowed
            if permitted and status in (401, 403) or not permitted and status != 403:
                failures.append((method, path, role.value, status))
    assert failures == []
