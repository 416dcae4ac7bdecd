"""Console sessions: how they start and end, the CSRF token every state change carries, the
headers every page is served with, and sign-in's shared throttling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from app.auth.roles import Role
from app.console.security import CONTENT_SECURITY_POLICY
from app.models import AuditEvent, ConsoleSession, User
from tests.app.console.conftest import sign_in
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.postgres


def _age_sessions(engine, **moved_back: timedelta) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        for row in session.exec(select(ConsoleSession)).all():
            for column, delta in moved_back.items():
                setattr(row, column, getattr(row, column) - delta)
            session.add(row)
        session.commit()


def test_a_signed_in_page_carries_the_session_cookie_flags_and_the_security_headers(
        console_app, users) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    http = TestClient(console_app, base_url="https://testserver")
    form = http.get("/console/login")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    answer = http.post("/console/login", data={"username": users[Role.AUDITOR].username,
                                                "password": TEST_PASSWORD, "form_token": token},
                       follow_redirects=False)
    cookie = next(h for h in answer.headers.get_list("set-cookie")
                  if h.startswith("riskdesk_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    assert "Path=/console" in cookie
    home = http.get("/console")
    assert home.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert home.headers["cache-control"] == "no-store"
    assert home.headers["x-frame-options"] == "DENY"
    assert "<script>" not in home.text and " on" + "click=" not in home.text


def test_over_plain_http_the_cookie_is_not_marked_secure(console_app, users) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(console_app, users[Role.AUDITOR].username)
    assert client.http.cookies.get("riskdesk_session")


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/console/ledger", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?next=/console/ledger"
    htmx = client.get("/console/ledger", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith("/console/login")


def test_a_session_idle_past_its_limit_ends_and_returns_to_sign_in(console, engine) -> None:  # type: ignore[no-untyped-def]
    browser = console(Role.AUDITOR)
    _age_sessions(engine, last_seen_at=timedelta(minutes=29))
    assert browser.get("/console").status_code == 200
    _age_sessions(engine, last_seen_at=timedelta(minutes=31))
    answer = browser.http.get("/console", follow_redirects=False)
    assert answer.status_code == 303 and "/console/login" in answer.headers["location"]
    with Session(engine) as session:
        assert session.exec(select(ConsoleSession)).one().ended_at is not None


def test_activity_does_not_keep_a_session_alive_past_its_absolute_limit(console, engine) -> None:  # type: ignore[no-untyped-def]
    browser = console(Role.AUDITOR)
    _age_sessions(engine, created_at=timedelta(hours=12), expires_at=timedelta(hours=12))
    answer = browser.http.get("/console", follow_redirects=False)
    assert answer.status_code == 303


def test_a_password_or_role_change_ends_the_users_console_sessions(console, engine, users) -> None:  # type: ignore[no-untyped-def]
    browser = console(Role.UNDERWRITER)
    with Session(engine) as session:
        session.execute(update(User).where(User.id == users[Role.UNDERWRITER].id)  # type: ignore[arg-type]
                        .values(token_version=User.token_version + 1))
        session.commit()
    assert browser.http.get("/console", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session_on_the_server(console, engine) -> None:  # type: ignore[no-untyped-def]
    browser = console(Role.AUDITOR)
    cookie = browser.http.cookies.get("riskdesk_session")
    assert browser.post("/console/logout").status_code == 303
    browser.http.cookies.set("riskdesk_session", cookie, path="/console")
    assert browser.http.get("/console", follow_redirects=False).status_code == 303


def test_signing_out_without_the_csrf_token_is_refused(console) -> None:  # type: ignore[no-untyped-def]
    browser = console(Role.AUDITOR)
    answer = browser.post("/console/logout", csrf=False)
    assert answer.status_code == 403 and "csrf_failed" in answer.text
    assert browser.get("/console").status_code == 200


def test_a_csrf_token_of_another_session_is_refused(console) -> None:  # type: ignore[no-untyped-def]
    first, second = console(Role.AUDITOR), console(Role.COMPLIANCE_OFFICER)
    assert first.csrf != second.csrf
    answer = first.post("/console/logout", {"csrf_token": second.csrf}, csrf=False)
    assert answer.status_code == 403


def test_the_sign_in_form_needs_the_token_of_the_form_it_came_from(client, users) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/console/login", data={"username": users[Role.AUDITOR].username,
                                                 "password": TEST_PASSWORD,
                                                 "form_token": "forged"})
    assert answer.status_code == 403
    assert "riskdesk_session" not in answer.headers.get("set-cookie", "")


def test_a_wrong_password_re_shows_the_form_and_is_recorded_like_the_apis(client, users,
                                                                          engine) -> None:  # type: ignore[no-untyped-def]
    form = client.get("/console/login")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    answer = client.post("/console/login", data={"username": users[Role.AUDITOR].username,
                                                 "password": "wrong", "form_token": token})
    assert answer.status_code == 401
    assert "Wrong username or password." in answer.text
    assert f'value="{users[Role.AUDITOR].username}"' in answer.text
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "auth.login_failed" in actions


def test_sign_in_failures_through_the_console_and_the_api_count_together(client, users,
                                                                          settings_env) -> None:  # type: ignore[no-untyped-def]
    username = users[Role.AUDITOR].username
    for _ in range(settings_env.login_max_failures):
        client.post("/auth/token", data={"username": username, "password": "wrong"})
    form = client.get("/console/login")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    answer = client.post("/console/login", data={"username": username,
                                                 "password": TEST_PASSWORD, "form_token": token})
    assert answer.status_code == 429
    assert "Too many failed sign-ins" in answer.text


def test_a_next_address_outside_the_console_is_not_followed(client, users) -> None:  # type: ignore[no-untyped-def]
    form = client.get("/console/login?next=//evil.example/x")
    token = re.search(r'name="form_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    answer = client.post("/console/login", data={
        "username": users[Role.AUDITOR].username, "password": TEST_PASSWORD,
        "form_token": token, "next": "https://evil.example/"}, follow_redirects=False)
    assert answer.headers["location"] == "/console"


def test_a_successful_console_sign_in_is_a_ledger_event_naming_its_channel(console,
                                                                           engine) -> None:  # type: ignore[no-untyped-def]
    console(Role.AUDITOR)
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "auth.login_succeeded")).one()
    assert '"channel":"console"' in event.payload


def test_an_unknown_console_page_is_a_page_not_a_stack_trace(console) -> None:  # type: ignore[no-untyped-def]
    answer = console(Role.AUDITOR).get("/console/no-such-page")
    assert answer.status_code == 404
    assert "<h1>Not found</h1>" in answer.text and "Traceback" not in answer.text


def test_a_role_without_the_action_gets_a_page_saying_so(console) -> None:  # type: ignore[no-untyped-def]
    answer = console(Role.LOAN_OFFICER).get("/console/ledger")
    assert answer.status_code == 403
    assert "<h1>Not allowed</h1>" in answer.text and "role_not_allowed" in answer.text
