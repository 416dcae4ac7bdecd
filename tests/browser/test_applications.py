"""The loan officer's screens in a real browser: an application filled in, declined and its
adverse action notice downloaded (journey 1); another officer's application refused by URL;
the form's errors; and accessibility of the form, the list and the detail."""

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

# A high-risk applicant the bundled scorecard declines: overdrawn, delays in the past at this
# bank, a long term, renting for months, newly employed (tests/app: risky_application). Labels
# as the form shows them; selects by the option's words.
DECLINED_TEXT = {
    "Amount": "6000.00", "Term in months": "48",
    "Full name": "Jordan Declined", "Date of birth": "1980-05-17",
    "National identifier (optional)": "T22000129",
    "Street and number": "Musterstrasse 1", "City": "Berlin", "Postal code": "10115",
    "Country": "DE", "Employed since (optional)": "2026-01-01",
    "Net monthly income (optional)": "4200.00", "Monthly obligations (optional)": "900.00",
    "Living at this address since": "2025-06-01", "Dependents": "1",
    "Delinquencies in the last 24 months": "0", "Open credits at other lenders": "0",
    "Checking account balance": "-150.00", "Savings balance": "20.00",
    "Credits already held here": "0", "Customer since (optional)": "2011-01-01",
}
DECLINED_CHOICES = {
    "Currency": "EUR", "Purpose": "business", "Employment status": "employed",
    "Job category": "skilled", "Housing": "rent", "Most valuable property": "none",
    "Telephone registered in their name": "no", "Result": "clear",
    "Credit history": "all_paid_at_this_bank", "Installment plans elsewhere": "bank",
}


def _fill_declined_applicant(page: Any) -> None:
    for label, value in DECLINED_TEXT.items():
        page.get_by_label(label, exact=True).fill(value)
    for label, value in DECLINED_CHOICES.items():
        page.get_by_label(label, exact=True).select_option(value)


def _bearer(live_server: Any, username: str) -> dict[str, str]:
    answer = httpx.post(f"{live_server.url}/auth/token",
                        data={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_journey_1_an_officer_submits_sees_the_decline_and_downloads_its_notice(
        page_as: Any, screenshots: Any) -> None:
    page = page_as(Role.LOAN_OFFICER)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="New application").click()
    expect(page.get_by_role("heading", name="New application", level=1)).to_be_visible()
    check_accessibility(page)
    _fill_declined_applicant(page)
    page.get_by_role("button", name="Send and decide").click()
    page.wait_for_url("**/console/applications/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Application")
    decision = page.get_by_role("region", name="Decision", exact=True)
    expect(decision.get_by_text("decline", exact=True)).to_be_visible()
    expect(page.get_by_text("Checking account overdrawn")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "loan-officer-application")

    page.get_by_role("button", name="Generate the decline notice").click()
    link = page.get_by_role("link", name="Download the decline notice (PDF)")
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"


def test_the_form_shows_each_error_beside_its_field(page_as: Any) -> None:
    page = page_as(Role.LOAN_OFFICER)
    page.goto("/console/applications/new")
    page.get_by_label("Amount", exact=True).fill("a lot")
    page.get_by_role("button", name="Send and decide").click()
    expect(page.get_by_role("alert")).to_contain_text("The application was not sent")
    amount = page.get_by_label("Amount", exact=True)
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_value("a lot")
    expect(page.locator("#f-loan-amount-error")).to_have_text("Enter an amount such as 1250.00.")
    expect(page.locator("#f-kyc-full-name-error")).to_have_text("Enter this.")
    check_accessibility(page)


def test_the_list_of_my_applications_is_accessible(page_as: Any, live_server: Any) -> None:
    httpx.post(f"{live_server.url}/applications", json=good_application(),
               headers=_bearer(live_server, "loan-officer"), timeout=30)
    page = page_as(Role.LOAN_OFFICER)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Applications", exact=True).click()
    expect(page.get_by_role("heading", name="My applications")).to_be_visible()
    expect(page.get_by_role("table")).to_be_visible()
    check_accessibility(page)


def test_the_officers_home_shows_their_panels(page_as: Any, screenshots: Any) -> None:
    page = page_as(Role.LOAN_OFFICER)
    expect(page.get_by_role("heading", name="My latest applications")).to_be_visible()
    expect(page.get_by_role("heading", name="Counteroffers awaiting an answer")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "loan-officer-home")


def test_an_officer_cannot_open_another_officers_application_by_url(
        page_as: Any, live_server: Any) -> None:
    answer = httpx.post(f"{live_server.url}/applications", json=good_application(),
                        headers=_bearer(live_server, "loan-officer"), timeout=30)
    assert answer.status_code == 201, answer.text
    other = create_user(live_server, f"officer-{uuid.uuid4().hex[:8]}", Role.LOAN_OFFICER)
    page = page_as(other)
    response = page.goto(f"/console/applications/{answer.json()['id']}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Loan officers may only see and act on applications they "
                            "submitted")).to_be_visible()
    check_accessibility(page)
