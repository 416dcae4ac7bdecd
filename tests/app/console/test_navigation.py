"""Across the whole console, for every role: no page shows a link or a form the role cannot
use, every state change refuses a request without the CSRF token, and the vendored assets are
the files their record names."""

from __future__ import annotations

import hashlib
import re
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.routing import iter_route_contexts

from app.auth.permissions import declared_roles
from app.auth.roles import Role
from tests.app.application_documents import good_application, risky_application

pytestmark = pytest.mark.postgres

_LINK = re.compile(r'<a [^>]*href="(/console[^"#]*)"')
# Downloads answer files, not pages to crawl further.
_NOT_PAGES = re.compile(r"/console/static/|\.pdf$|/pdf$|/checkpoint$|/download")
PAGES_PER_ROLE = 80


def _console_routes(app):  # type: ignore[no-untyped-def]
    """Each console route as served: its path, methods, a regex of its path, its dependant."""
    for route in iter_route_contexts(app.routes):
        if route.path and route.path.startswith("/console") and route.methods:
            pattern = re.sub(r"\{[^}:]+:path\}", ".+", route.path)
            pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
            yield route.path, route.methods, re.compile(f"^{pattern}$"), route.dependant


def _route_for(app, path: str, method: str):  # type: ignore[no-untyped-def]
    """The dependant of the route serving ``method path``, or None; a literal path wins
    over a pattern, as the router's order does for these pages."""
    matches = [(template, dependant) for template, methods, regex, dependant
               in _console_routes(app) if method in methods and regex.match(path)]
    matches.sort(key=lambda m: m[0] != path)
    return matches[0][1] if matches else None


def _targets(html: str) -> tuple[set[str], set[tuple[str, str]]]:
    links = {urlsplit(m).path for m in _LINK.findall(html)}
    actions = set()
    for match in re.finditer(r"<form\b[^>]*>", html):
        tag = match.group(0)
        action = re.search(r'(?:hx-post|action)="(/console[^"]*)"', tag)
        method = re.search(r'method="(\w+)"', tag)
        if action:
            verb = "POST" if "hx-post" in tag or (method and method.group(1).lower() == "post") \
                else "GET"
            actions.add((urlsplit(action.group(1)).path, verb))
    for match in re.finditer(
            r"<(?:button|a|div|tr|input|select)\b[^>]*hx-(post|get)=\"(/console[^\"]*)\"", html):
        actions.add((urlsplit(match.group(2)).path, match.group(1).upper()))
    return links, actions


@pytest.fixture
def book(client, auth_headers, active_model) -> None:  # type: ignore[no-untyped-def]
    """A few decisions of every kind, so that lists, details and queues have rows to link."""
    officer = auth_headers[Role.LOAN_OFFICER]
    for document in (good_application(), risky_application(),
                     good_application(**{"loan.amount": "9000.00", "loan.term_months": 48})):
        answer = client.post("/applications", json=document, headers=officer)
        assert answer.status_code in (200, 201), answer.text


@pytest.mark.parametrize("role", list(Role))
def test_no_page_shows_a_role_a_link_or_form_it_cannot_use(role, console, console_app,
                                                           book) -> None:  # type: ignore[no-untyped-def]
    browser = console(role)
    seen: set[str] = set()
    queue = deque(["/console"])
    refused: list[str] = []
    while queue and len(seen) < PAGES_PER_ROLE:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        answer = browser.get(path)
        assert answer.status_code == 200, f"{role} following a link to {path}: " \
                                          f"{answer.status_code}"
        links, actions = _targets(answer.text)
        for link in links:
            target = _route_for(console_app, link, "GET")
            roles = declared_roles(target) if target else None
            if roles is None or role not in roles:
                refused.append(f"{path} links to {link}")
            elif link not in seen and not _NOT_PAGES.search(link):
                queue.append(link)
        for action, method in actions:
            if action == "/console/logout":
                continue
            target = _route_for(console_app, action, method)
            roles = declared_roles(target) if target else None
            if roles is None or role not in roles:
                refused.append(f"{path} has a {method} form to {action}")
    assert refused == [], f"{role} is shown what it cannot use"
    assert len(seen) > 1


def test_every_console_state_change_refuses_a_request_without_the_csrf_token(
        console, console_app, book) -> None:  # type: ignore[no-untyped-def]
    clients = {}
    checked = 0
    for template, methods, _regex, dependant in _console_routes(console_app):
        if template == "/console/login" or not methods - {"GET", "HEAD"}:
            continue
        roles = declared_roles(dependant)
        assert roles, template
        role = sorted(roles)[0]
        browser = clients.get(role) or clients.setdefault(role, console(role))
        path = re.sub(r"\{[^}]+\}", "1", template)
        for method in methods - {"GET", "HEAD"}:
            answer = browser.http.request(method, path, data={"x": "1"},
                                          follow_redirects=False)
            assert answer.status_code == 403 and "csrf_failed" in answer.text, \
                f"{method} {template} without a CSRF token: {answer.status_code}"
            checked += 1
    assert checked >= 10


def test_the_vendored_assets_are_the_files_their_record_names() -> None:
    vendor = Path(__file__).resolve().parents[3] / "app" / "console" / "static" / "vendor"
    record = (vendor / "VENDORED.md").read_text()
    rows = re.findall(r"^\| (\S+) \|.*\| ([0-9a-f]{64}) \|$", record, re.MULTILINE)
    assert rows
    for name, sha256 in rows:
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == sha256, name
        assert (vendor / name.replace(".min.js", ".LICENSE")).exists()
