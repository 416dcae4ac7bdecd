"""Journey 4, the auditor in a real browser: verifies the chain and keeps a signed checkpoint,
searches the ledger for an application's events, follows an event to the application's trail,
and verifies a report PDF by uploading it. Every screen is checked with axe."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.auth.roles import Role
from tests.app.application_documents import good_application
from tests.browser.conftest import check_accessibility
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _api(live_server: Any, username: str) -> httpx.Client:
    """A JSON API client signed in as ``username`` with a bearer token."""
    token = httpx.post(f"{live_server.url}/auth/token",
                       data={"username": username, "password": TEST_PASSWORD})
    assert token.status_code == 200, token.text
    return httpx.Client(base_url=live_server.url, timeout=30, headers={
        "Authorization": f"Bearer {token.json()['access_token']}"})


def _application(live_server: Any) -> str:
    with _api(live_server, "loan-officer") as officer:
        created = officer.post("/applications", json=good_application())
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _notice_pdf(live_server: Any) -> tuple[int, bytes]:
    """A decline notice made through the API, and its PDF as its holder downloaded it."""
    application_id = _application(live_server)
    with _api(live_server, "underwriter") as underwriter:
        review = underwriter.post(f"/applications/{application_id}/review", json={
            "outcome": "decline", "note": "Payslips do not match the stated income.",
            "reason_codes": ["UW-INCOME-UNVERIFIED"]})
    assert review.status_code == 201, review.text
    with _api(live_server, "loan-officer") as officer:
        notices = officer.get(f"/applications/{application_id}/notices").json()
        generated = officer.post(f"/notices/{notices[0]['id']}/generate")
        assert generated.status_code == 201, generated.text
        report_id = int(generated.json()["report_id"])
        pdf = officer.get(f"/reports/{report_id}/pdf")
    assert pdf.status_code == 200, pdf.text
    return report_id, pdf.content


def test_journey_4_the_auditor_verifies_the_chain_and_follows_an_applications_trail(
        page_as: Any, live_server: Any, screenshots: Any) -> None:
    application_id = _application(live_server)
    page = page_as(Role.AUDITOR)

    # Verify the chain and keep a signed checkpoint of its head.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Verify the chain").click()
    expect(page.get_by_role("heading", name="Verify the chain", level=1)).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Verify the chain").click()
    expect(page.get_by_text("The chain is intact")).to_be_visible()
    check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a signed checkpoint of the head").click()
    checkpoint = json.loads(download.value.path().read_text())
    assert re.fullmatch(r"[0-9a-f]{64}", checkpoint["head_hash"])
    assert checkpoint["signature"]

    # Search the ledger for the application's events.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ledger").click()
    page.get_by_label("Entity type").fill("application")
    page.get_by_label("Entity id").fill(application_id)
    page.get_by_role("button", name="Search").click()
    events = page.get_by_role("link", name=re.compile(r"^Event \d+: application\."))
    expect(events.first).to_be_visible()
    check_accessibility(page)
    assert page.get_by_role("row").count() - 1 == events.count()

    # From an event's detail to the application's trail.
    events.last.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Ledger event \d+$"))).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name=f"Trail of application {application_id}").click()
    expect(page.get_by_role("heading", name=f"Trail of application {application_id}")
           ).to_be_visible()
    timeline = page.get_by_role("list", name="Events in order")
    expect(timeline.get_by_role("listitem").first).to_contain_text("application.")
    page.get_by_role("link", name="prove these events against the whole chain").click()
    expect(page.get_by_text("Proven")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "auditor-trail")

    # Home shows the verification just run.
    page.get_by_role("link", name="Home").click()
    panel = page.get_by_role("region", name="Chain verification")
    expect(panel.get_by_text("Intact")).to_be_visible()
    expect(page.get_by_role("region", name="Latest checkpoint")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "auditor-home")


def test_the_auditor_verifies_a_report_by_uploading_its_pdf(page_as: Any,
                                                            live_server: Any) -> None:
    report_id, pdf = _notice_pdf(live_server)
    page = page_as(Role.AUDITOR)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Verify a report").click()
    expect(page.get_by_role("heading", name="Verify a report", level=1)).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Report PDF").set_input_files(
        {"name": "notice.pdf", "mimeType": "application/pdf", "buffer": pdf})
    page.get_by_role("button", name="Verify the report").click()
    expect(page.get_by_text(f"This file is report {report_id} (adverse action), unaltered")
           ).to_be_visible()
    check_accessibility(page)

    altered = pdf[:100] + bytes([pdf[100] ^ 0x01]) + pdf[101:]
    page.get_by_label("Report PDF").set_input_files(
        {"name": "altered.pdf", "mimeType": "application/pdf", "buffer": altered})
    page.get_by_role("button", name="Verify the report").click()
    expect(page.get_by_text("Not genuine")).to_be_visible()
    check_accessibility(page)
