"""Signing in to the console in a real browser: the session cookie's flags, the page's policy,
and signing out."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.roles import Role
from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.browser


def test_signing_in_sets_a_strict_http_only_session_cookie(page_as: Any) -> None:
    page = page_as(Role.AUDITOR)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["riskdesk_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert page.get_by_role("heading", name="Welcome, auditor").is_visible()
    check_accessibility(page)


def test_the_sign_in_page_is_accessible_and_runs_no_inline_script(new_page: Any) -> None:
    page = new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy"
            in m.text else None)
    page.goto("/console/login")
    check_accessibility(page)
    assert violations == []


def test_signing_out_returns_to_sign_in_and_the_old_cookie_no_longer_works(page_as: Any) -> None:
    page = page_as(Role.AUDITOR)
    cookie = next(c for c in page.context.cookies() if c["name"] == "riskdesk_session")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/login?ended=true")
    assert page.get_by_text("You have signed out.").is_visible()
    page.context.add_cookies([cookie])
    page.goto("/console")
    assert "/console/login" in page.url
