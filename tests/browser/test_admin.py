"""The admin screens in a real browser: adding a user, creating an API key that is shown once
and revoking it, the notice parties; each screen accessible."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.auth.roles import Role
from tests.browser.conftest import check_accessibility
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_the_admin_home_shows_the_admin_panels(page_as: Any, screenshots: Any) -> None:
    page = page_as(Role.ADMIN)
    for title in ("Users and roles", "API keys", "Deployment warnings"):
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    check_accessibility(page)
    screenshots(page, "admin-home")


def test_the_admin_adds_a_user_after_a_refused_password(page_as: Any, live_server: Any,
                                                        screenshots: Any) -> None:
    page = page_as(Role.ADMIN)
    page.get_by_role("link", name="Users and roles", exact=True).click()
    expect(page.get_by_role("heading", name="Users and roles", level=1)).to_be_visible()
    check_accessibility(page)
    username = _unique("analyst")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Role", exact=True).select_option(label="auditor")
    page.get_by_label("Initial password").fill("short")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#password-error")).to_contain_text("at least 12 characters")
    expect(page.get_by_label("Initial password")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)
    page.get_by_label("Initial password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text(f"User {username} was created with the role auditor.")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=username))
    expect(row.get_by_role("cell", name="auditor", exact=True)).to_be_visible()
    signed = httpx.post(f"{live_server.url}/auth/token",
                        data={"username": username, "password": TEST_PASSWORD})
    assert signed.status_code == 200
    screenshots(page, "admin-users")


def test_the_admins_own_row_has_no_role_or_deactivation_controls(page_as: Any) -> None:
    page = page_as(Role.ADMIN)
    page.goto("/console/users")
    own = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="admin you"))
    expect(own.get_by_text("Another admin changes your role")).to_be_visible()
    expect(own.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("button", name="Change role of auditor", exact=True)).to_be_visible()


def test_the_admin_creates_an_api_key_sees_it_once_and_revokes_it(page_as: Any,
                                                                  live_server: Any) -> None:
    page = page_as(Role.ADMIN)
    page.goto("/console/api-keys")
    check_accessibility(page)
    name = _unique("ledger export")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Role").select_option(label="auditor")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name=re.compile("it will not be shown again"))
           ).to_be_visible()
    key = page.get_by_label("Full key").input_value()
    assert key.startswith("rdk_")
    check_accessibility(page)
    me = httpx.get(f"{live_server.url}/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["role"] == "auditor"

    page.goto("/console/api-keys")
    assert key not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revoke {name}", exact=True).click()
    expect(page.get_by_text(f"The key {name}")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
    expect(row.get_by_text("revoked", exact=True)).to_be_visible()
    refused = httpx.get(f"{live_server.url}/auth/me", headers={"X-API-Key": key})
    assert refused.status_code == 401


def test_the_notice_parties_warn_of_demo_values(page_as: Any) -> None:
    page = page_as(Role.ADMIN)
    page.get_by_role("link", name="Notice parties", exact=True).click()
    expect(page.get_by_role("heading", name="Notice parties", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile("empty or left at a demo value"))).to_be_visible()
    creditor = page.get_by_role("table", name="Creditor")
    expect(creditor.get_by_text("RISKDESK_CREDITOR_NAME", exact=True)).to_be_visible()
    expect(creditor.get_by_text("demo value").first).to_be_visible()
    check_accessibility(page)
