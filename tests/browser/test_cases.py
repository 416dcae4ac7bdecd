"""The underwriter's screens in a real browser: a referral claimed, decided and approved by a
second underwriter (journey 2), htmx actions carrying the CSRF header, and accessibility."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.auth.roles import Role
from tests.app.application_documents import good_application
from tests.browser.conftest import check_accessibility, create_user
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser
# Referred by the bundled scorecard; above the policy's four-eyes amount, so approving it needs
# a second underwriter.
REFERRED = {"crm.checking_balance": "50.00", "bureau.credit_history": "existing_paid_duly",
            "loan.term_months": 30, "crm.savings_balance": "20.00", "loan.amount": "6000.00"}


def _bearer(live_server: Any, username: str) -> dict[str, str]:
    answer = httpx.post(f"{live_server.url}/auth/token",
                        data={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _referral(live_server: Any) -> tuple[str, str]:
    """An officer's submission the scorecard refers: its application id and case id."""
    answer = httpx.post(f"{live_server.url}/applications", json=good_application(**REFERRED),
                        headers=_bearer(live_server, "loan-officer"), timeout=30)
    assert answer.status_code == 201, answer.text
    application = answer.json()
    assert application["outcome"] == "refer"
    cases = httpx.get(f"{live_server.url}/cases", params={"state": "open", "limit": 500},
                      headers=_bearer(live_server, "underwriter")).json()["items"]
    (case,) = [c for c in cases if c["application_id"] == application["id"]]
    return application["id"], case["id"]


def _find_row(page: Any, case_id: str) -> Any:
    """The case's row in the inbox, following "Next page" as a person would."""
    row = page.locator(f"#case-{case_id}")
    while row.count() == 0:
        page.get_by_role("link", name="Next page").click()
        page.wait_for_load_state()
    return row


def test_journey_2_a_referral_is_claimed_approved_by_one_underwriter_checked_by_another(
        page_as: Any, live_server: Any, screenshots: Any) -> None:
    application_id, case_id = _referral(live_server)
    short = application_id[:8]
    maker = page_as(Role.UNDERWRITER)
    maker.on("dialog", lambda dialog: dialog.accept())
    expect(maker.get_by_role("heading", name="Unclaimed cases")).to_be_visible()
    screenshots(maker, "underwriter-home")

    maker.get_by_role("link", name="Case inbox").click()
    expect(maker.get_by_role("heading", name="Case inbox")).to_be_visible()
    row = _find_row(maker, case_id)
    check_accessibility(maker)
    row.get_by_role("button", name=f"Claim the case of application {short}").click()
    expect(row.get_by_role("button", name=f"Release the case of application {short}")
           ).to_be_visible()
    expect(row).to_contain_text("you")

    row.get_by_role("link", name=f"Application {short}").click()
    expect(maker.get_by_role("heading", name=f"Case for application {short}")).to_be_visible()
    expect(maker.locator("#breakdown")).to_be_visible()
    check_accessibility(maker)
    maker.get_by_label("Approve").check()
    maker.get_by_label("Income could not be verified", exact=False).first.check()
    maker.get_by_label("Why").fill("Payslips for six months seen; employer confirmed.")
    maker.get_by_role("button", name="Record the decision").click()
    expect(maker.get_by_text("Waiting for a second underwriter.")).to_be_visible()
    expect(maker.get_by_text("The decision waits for a second underwriter's approval")
           ).to_be_visible()
    screenshots(maker, "underwriter-case")

    checker = page_as(create_user(live_server, f"underwriter-b-{uuid.uuid4().hex[:8]}",
                                  Role.UNDERWRITER))
    checker.on("dialog", lambda dialog: dialog.accept())
    checker.get_by_role("link", name="Awaiting my approval").click()
    expect(checker.get_by_role("heading", name="Awaiting my approval", level=1)).to_be_visible()
    item = checker.get_by_role("region", name=f"Application {short}: approve")
    expect(item).to_contain_text("more than the policy's four-eyes amount")
    check_accessibility(checker)
    item.get_by_role("button", name=f"Approve the decision on application {short}").click()
    expect(checker.get_by_text("Approved: the decision is written")).to_be_visible()
    checker.get_by_role("link", name="Open the case").click()
    expect(checker.locator("#terms")).to_contain_text("Monthly payment")
    expect(checker.get_by_text("decided", exact=True).first).to_be_visible()


def test_htmx_actions_send_the_csrf_header_and_a_post_without_it_is_refused(
        page_as: Any, live_server: Any) -> None:
    _, case_id = _referral(live_server)
    _, untouched_id = _referral(live_server)
    page = page_as(Role.UNDERWRITER)
    page.goto("/console/cases?show=unclaimed")
    row = _find_row(page, case_id)
    with page.expect_request(lambda r: r.url.endswith(f"/console/cases/{case_id}/claim")
                             ) as sent:
        row.get_by_role("button", name="Claim").click()
    assert sent.value.headers.get("x-csrf-token")
    assert sent.value.headers.get("hx-request") == "true"
    expect(row.get_by_role("button", name="Release")).to_be_visible()

    refused = page.request.post(f"/console/cases/{untouched_id}/claim")
    assert refused.status == 403
    case = httpx.get(f"{live_server.url}/cases/{untouched_id}",
                     headers=_bearer(live_server, "underwriter")).json()
    assert (case["state"], case["assignee_id"]) == ("open", None)
