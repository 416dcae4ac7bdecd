"""The compliance officer's screens in a real browser: journey 3 (run a fairness audit, create
the compliance report, verify it against the ledger), and every screen passes axe."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.auth.roles import Role
from tests.app.application_documents import good_application, risky_application
from tests.browser.conftest import check_accessibility
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _submit_applications(live_server: Any, count: int = 6) -> list[str]:
    """Applications submitted through the JSON API as the loan officer, so the audit and the
    report have decisions to count; names made unique to this run."""
    token = httpx.post(f"{live_server.url}/auth/token",
                       data={"username": "loan-officer", "password": TEST_PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    ids = []
    for i in range(count):
        make = good_application if i % 2 == 0 else risky_application
        document = make(**{"kyc.full_name": f"Journey Three {uuid.uuid4().hex[:8]}",
                           "monitoring.sex": ("female", "male")[i % 2]})
        answer = httpx.post(f"{live_server.url}/applications", json=document, headers=headers,
                            timeout=60)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def _nav(page: Any, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()


def test_journey_3_compliance_runs_an_audit_creates_the_report_and_verifies_it(
        live_server: Any, page_as: Any, screenshots: Any) -> None:
    _submit_applications(live_server)
    page = page_as(Role.COMPLIANCE_OFFICER)
    expect(page.get_by_role("heading", name="Latest fairness audit")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "compliance-home")

    _nav(page, "Fairness audits")
    expect(page.get_by_role("heading", name="Run an audit")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("What to audit").select_option("decisions")
    page.get_by_role("button", name="Run the audit").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Fairness audit \d+$"))).to_be_visible()
    expect(page.get_by_role("heading", name="Sex", exact=True)).to_be_visible()
    check_accessibility(page)

    _nav(page, "Reports")
    page.get_by_label("Kind").select_option("compliance")
    page.get_by_role("button", name="Create the report").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Report \d+: compliance$"))).to_be_visible(
        timeout=60_000)
    check_accessibility(page)
    page.get_by_role("button", name="Verify against the ledger").click()
    expect(page.get_by_text("Verified.", exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_role("row", name=re.compile("Ledger chain verifies"))
           .get_by_text("Holds")).to_be_visible()
    check_accessibility(page)

    _nav(page, "Reports")
    expect(page.get_by_role("heading", name="Stored reports")).to_be_visible()
    check_accessibility(page)


def test_the_dashboard_shows_the_latest_audit_and_is_accessible(
        live_server: Any, page_as: Any, screenshots: Any) -> None:
    _submit_applications(live_server, count=2)
    page = page_as(Role.COMPLIANCE_OFFICER)
    _nav(page, "Fairness audits")
    page.get_by_role("button", name="Run the audit").click()
    heading = page.get_by_role("heading", name=re.compile(r"^Fairness audit \d+$"))
    expect(heading).to_be_visible()
    audit = heading.inner_text().rsplit(" ", 1)[1]
    _nav(page, "Dashboard")
    expect(page.get_by_role("heading", name="Compliance dashboard")).to_be_visible()
    expect(page.get_by_role("link", name=f"audit {audit}", exact=True)).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^Adverse impact ratio"))).to_be_visible()
    check_accessibility(page)
    screenshots(page, "compliance-dashboard")


def test_the_sanctions_matches_screen_is_accessible(page_as: Any) -> None:
    page = page_as(Role.COMPLIANCE_OFFICER)
    _nav(page, "Sanctions matches")
    expect(page.get_by_role("heading", name="Lists in force")).to_be_visible()
    check_accessibility(page)
