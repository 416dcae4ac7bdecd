"""Console fixtures: a browser-like client per role, signed in through the sign-in form."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.auth.roles import Role
from tests.conftest import TEST_PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class ConsoleClient:
    """A signed-in browser: its cookies live in ``http``; ``csrf`` is its session's token."""

    http: Any
    csrf: str
    username: str

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.http.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, htmx: bool = False,
             csrf: bool = True, **kwargs: Any) -> Any:
        """Send a form as the page would: with the CSRF field (unless ``csrf=False``), and
        as htmx does when ``htmx`` (the token in the header instead)."""
        data = dict(data or {})
        headers = dict(kwargs.pop("headers", {}) or {})
        if csrf and htmx:
            headers["X-CSRF-Token"] = self.csrf
        elif csrf:
            data.setdefault("csrf_token", self.csrf)
        if htmx:
            headers["HX-Request"] = "true"
        return self.http.post(path, data=data, headers=headers, follow_redirects=False,
                              **kwargs)


def sign_in(app: Any, username: str, password: str = TEST_PASSWORD) -> ConsoleClient:
    """Sign ``username`` in through the form, as a browser does, on a client of its own."""
    from fastapi.testclient import TestClient

    http = TestClient(app, raise_server_exceptions=False)
    form = http.get("/console/login")
    token = _FORM_TOKEN.search(form.text)
    assert token, form.text
    answer = http.post("/console/login", data={"username": username, "password": password,
                                               "form_token": token.group(1),
                                               "next": "/console"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    home = http.get("/console")
    found = _CSRF.search(home.text)
    assert found, home.text
    return ConsoleClient(http, found.group(1), username)


@pytest.fixture
def console_app(settings_env):  # type: ignore[no-untyped-def]
    """The service's application, for console clients to share."""
    from tests.conftest import shared_app

    return shared_app()


@pytest.fixture
def console(console_app, users) -> Iterator[Callable[[Role], ConsoleClient]]:  # type: ignore[no-untyped-def]
    """``console(role)``: a client signed in to the console as that role's seeded user."""
    clients: list[ConsoleClient] = []

    def open_as(role: Role | str) -> ConsoleClient:
        client = sign_in(console_app, users[Role(role)].username)
        clients.append(client)
        return client

    yield open_as
    for client in clients:
        client.http.close()
