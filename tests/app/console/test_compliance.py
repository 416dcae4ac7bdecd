"""The compliance officer's console pages: the dashboard's figures are the services' figures,
audits and reports are made through the same services as the API (and refused without the
form's CSRF token), a report downloads as the ledgered PDF and verifies, and screening matches
are listed with their applications."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlmodel import Session

from app.auth.roles import Role
from tests.app import factories as f
from tests.app.application_documents import good_application

pytestmark = pytest.mark.postgres

CO, AU, LO = Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.LOAN_OFFICER
# An individual on the bundled OFAC SDN list (entry 7647), as tests/app/test_screening.py uses.
LISTED = {"kyc.full_name": "Xhevat Ademi", "kyc.date_of_birth": "1962-12-08"}
LISTED_ENTRY = "7647"


class _Tables(HTMLParser):
    """Every table of a page: its caption and its rows as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def table(html: str, caption: str) -> list[list[str]]:
    """The body rows of the table whose caption starts with ``caption``."""
    parser = _Tables()
    parser.feed(html)
    found = [t for t in parser.tables if t["caption"].startswith(caption)]
    assert found, f"no table captioned {caption!r}"
    return [row for row in found[0]["rows"][1:] if row]


def _groups(engine, users, *, days_ago: int = 2) -> None:
    """80 decided applications: women approved 20 of 40, men 34 of 40; 4 still referred."""
    start = datetime.now(UTC) - timedelta(days=days_ago)
    with Session(engine, expire_on_commit=False) as s:
        i = 0
        for sex, approved, total in (("female", 20, 40), ("male", 34, 40)):
            for n in range(total + 2):
                status = "referred" if n >= total else "decided"
                outcome = "refer" if n >= total else ("approve" if n < approved else "decline")
                f.add_application(s, submitted_by=str(users[LO].id),
                                  submitted_at=start + timedelta(minutes=i), status=status,
                                  outcome=outcome, monitoring={
                                      "sex": sex, "age_band": ("25-39", "40-59")[n % 2],
                                      "national_origin": "foreign" if n % 4 == 0 else "domestic"})
                i += 1
        s.commit()


def _audit(client, auth_headers) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    response = client.post("/fairness/audits", headers=auth_headers[CO], json={
        "source": "decisions", "date_from": (today - timedelta(days=7)).isoformat(),
        "date_to": today.isoformat(), "n_boot": 50})
    assert response.status_code == 201, response.text
    return response.json()


def _audit_count(client, auth_headers) -> int:
    return int(client.get("/fairness/audits", headers=auth_headers[CO]).json()["total"])


def _report(console_client) -> int:
    today = datetime.now(UTC).date()
    answer = console_client.post("/console/reports", {
        "kind": "compliance", "date_from": (today - timedelta(days=7)).isoformat(),
        "date_to": today.isoformat()})
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/console/reports/(\d+)", answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found.group(1))


# --- Dashboard ----------------------------------------------------------------------------------


def test_dashboard_shows_the_latest_audits_impact_ratios(console, client, auth_headers, engine,
                                                         users):
    _groups(engine, users)
    audit = _audit(client, auth_headers)["result"]
    html = console(CO).get("/console/compliance").text
    shown = {row[0]: row for row in table(html, "Adverse impact ratio against the reference")}
    for attribute in audit["attributes"]:
        if attribute["name"] not in ("sex", "age_band", "national_origin"):
            continue
        for group in attribute["groups"]:
            row = shown[f"{attribute['label']}: {group['group']}"]
            assert row[4] == f"{group['air_vs_reference']:.2f}"
            low, high = group["air_vs_reference_ci"]
            assert row[5] == f"{low:.2f} – {high:.2f}"
    # Women: 0.50 / 0.85, and significant: the audit flags them, and so does the page.
    assert shown["Sex: female"][4] == f"{0.5 / 0.85:.2f}"
    assert shown["Sex: female"][6] == "Flagged"


def test_dashboard_draws_the_threshold_the_audit_used(console, client, auth_headers, engine,
                                                      users):
    _groups(engine, users)
    audit = _audit(client, auth_headers)["result"]
    html = console(CO).get("/console/compliance").text
    threshold = audit["settings"]["thresholds"]["min_air"]
    assert f"the {threshold:.2f} line" in html


def test_dashboard_approval_rates_by_month_are_the_services(console, engine, users):
    from app.fairness import service as fairness

    _groups(engine, users)
    html = console(CO).get("/console/compliance").text
    today = datetime.now(UTC).date()
    with Session(engine) as s:
        expected = fairness.approval_rates_by_month(s, today - timedelta(days=400), today)
    shown = {row[0]: row for row in table(html, "Approval rate by month")}
    months = [r for r in expected if r.applications]
    assert months
    for rate in months:
        assert shown[rate.month][1:] == [
            str(rate.applications), str(rate.waiting), str(rate.decided), str(rate.approved),
            f"{rate.approval_rate * 100:.1f}%"]
    # 54 approved of the 80 decided; the 4 still referred are left out of the rate.
    assert sum(r.approved for r in months) == 54 and sum(r.decided for r in months) == 80


def test_dashboard_lists_overdue_notices_and_the_services_timeliness(console, engine, users):
    from app.notices import service as notices

    with Session(engine, expire_on_commit=False) as s:
        late, _ = f.add_application(s, submitted_by=str(users[LO].id), outcome="decline",
                                    submitted_at=datetime.now(UTC) - timedelta(days=45))
        f.add_application(s, submitted_by=str(users[LO].id), outcome="decline",
                          submitted_at=datetime.now(UTC) - timedelta(days=2))
        s.commit()
    html = console(CO).get("/console/compliance").text
    with Session(engine) as s:
        expected = notices.timeliness(s, datetime.now(UTC).date()).coverage
    standing = dict(table(html, "Notice obligations as they stand today"))
    assert standing["Overdue: past due, not delivered"] == str(expected.overdue) == "1"
    assert standing["Pending, not yet due"] == str(expected.not_yet_due) == "1"
    overdue = table(html, "Overdue notices")
    assert [row[0] for row in overdue] == [late.id]
    assert overdue[0][-1] == "15"  # due 30 days after the decline, 45 days ago


def test_auditors_read_the_dashboard_and_loan_officers_may_not(console):
    assert console(AU).get("/console/compliance").status_code == 200
    assert console(LO).get("/console/compliance").status_code == 403


# --- Fairness audits ----------------------------------------------------------------------------


def test_running_an_audit_from_the_form_stores_it_and_shows_its_groups(
        console, client, auth_headers, engine, users):
    _groups(engine, users)
    officer = console(CO)
    today = datetime.now(UTC).date()
    answer = officer.post("/console/fairness", {
        "source": "decisions", "date_from": (today - timedelta(days=7)).isoformat(),
        "date_to": today.isoformat(), "n_boot": "20", "seed": "3",
        "intersection": "sex*age_band"})
    assert answer.status_code == 303, answer.text
    audit_id = int(answer.headers["location"].rsplit("/", 1)[1])
    stored = client.get(f"/fairness/audits/{audit_id}", headers=auth_headers[AU]).json()
    assert stored["audited"] == 80 and stored["parameters"]["seed"] == 3
    assert stored["parameters"]["intersections"] == [["sex", "age_band"]]
    detail = officer.get(f"/console/fairness/{audit_id}").text
    rows = {row[0]: row for row in table(detail, "Sex: approval rates")}
    assert rows["female"][1:4] == ["40", "20", "50.0%"]
    assert f"/console/fairness/{audit_id}" in officer.get("/console/fairness").text


def test_an_audit_form_without_the_csrf_token_is_refused_and_runs_nothing(
        console, client, auth_headers, engine, users):
    _groups(engine, users)
    today = datetime.now(UTC).date().isoformat()
    before = _audit_count(client, auth_headers)
    answer = console(CO).post("/console/fairness", {"source": "decisions", "date_from": today,
                                                    "date_to": today}, csrf=False)
    assert answer.status_code == 403
    assert _audit_count(client, auth_headers) == before


def test_an_audit_form_missing_its_dates_is_shown_again_with_the_fields_error(
        console, client, auth_headers):
    answer = console(CO).post("/console/fairness", {"source": "decisions", "date_from": "",
                                                    "date_to": ""})
    assert answer.status_code == 422
    assert ('name="date_from" type="date" value="" aria-invalid="true" '
            'aria-describedby="audit-date_from-error"') in answer.text
    assert ('<p class="field-error" id="audit-date_from-error">required when source is '
            '&#39;decisions&#39;</p>') in answer.text
    assert _audit_count(client, auth_headers) == 0


def test_auditors_see_audits_without_the_form_to_run_one(console, client, auth_headers, engine,
                                                         users):
    _groups(engine, users)
    audit_id = _audit(client, auth_headers)["id"]
    html = console(AU).get("/console/fairness").text
    assert f'href="/console/fairness/{audit_id}"' in html
    assert 'action="/console/fairness"' not in html


def test_the_audit_list_pages_by_keyset_newest_first(console, client, auth_headers, engine,
                                                    users, monkeypatch):
    from app.console.pages import compliance

    monkeypatch.setattr(compliance, "PAGE_SIZE", 2)
    _groups(engine, users)
    ids = [_audit(client, auth_headers)["id"] for _ in range(3)]
    officer = console(AU)
    first = officer.get("/console/fairness").text
    assert [row[0] for row in table(first, "Audits, newest first")] == [
        f"Audit {ids[2]}", f"Audit {ids[1]}"]
    assert f'href="/console/fairness?before={ids[1]}" rel="next"' in first
    second = officer.get(f"/console/fairness?before={ids[1]}").text
    assert [row[0] for row in table(second, "Audits, newest first")] == [f"Audit {ids[0]}"]
    assert 'rel="next"' not in second


# --- Reports ------------------------------------------------------------------------------------


def test_a_report_created_from_the_form_downloads_as_its_ledgered_pdf(console, client,
                                                                      auth_headers, engine,
                                                                      users):
    _groups(engine, users)
    officer = console(CO)
    report_id = _report(officer)
    stored = client.get(f"/reports/{report_id}", headers=auth_headers[AU]).json()
    assert stored["kind"] == "compliance"
    download = officer.get(f"/console/reports/{report_id}/pdf")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")
    assert download.headers["x-content-sha256"] == stored["sha256"]


def test_the_download_is_recorded_in_the_ledger(console, client, auth_headers, engine, users):
    officer = console(CO)
    report_id = _report(officer)
    officer.get(f"/console/reports/{report_id}/pdf")
    events = client.get("/audit/events", params={"entity_type": "report",
                                                 "entity_id": str(report_id)},
                        headers=auth_headers[AU]).json()["items"]
    assert "report.downloaded" in [e["action"] for e in events]


def test_verifying_a_report_shows_it_verified_with_each_check(console, engine, users):
    officer = console(CO)
    report_id = _report(officer)
    answer = officer.post(f"/console/reports/{report_id}/verify")
    assert answer.status_code == 200
    assert "<strong>Verified.</strong>" in answer.text
    checks = table(answer.text, "What each check found")
    assert [row[1] for row in checks] == ["Holds", "Holds", "Holds"]


def test_verifying_with_htmx_answers_the_result_alone(console):
    officer = console(CO)
    report_id = _report(officer)
    answer = officer.post(f"/console/reports/{report_id}/verify", htmx=True)
    assert answer.text.lstrip().startswith('<div id="verification">')
    assert "<strong>Verified.</strong>" in answer.text and "<nav" not in answer.text


def test_a_report_form_with_a_period_backwards_is_shown_again(console):
    answer = console(CO).post("/console/reports", {"kind": "compliance",
                                                   "date_from": "2026-03-31",
                                                   "date_to": "2026-03-01"})
    assert answer.status_code == 422
    assert 'id="report-date_to-error">date_to is before date_from' in answer.text


# --- Screening ----------------------------------------------------------------------------------


def test_the_screening_page_lists_a_match_awaiting_its_disposition(console, client,
                                                                   auth_headers, active_model):
    submitted = client.post("/applications", json=good_application(**LISTED),
                            headers=auth_headers[LO])
    assert submitted.status_code == 201, submitted.text
    application_id = submitted.json()["id"]
    html = console(CO).get("/console/screening").text
    rows = table(html, "Newest first")
    assert len(rows) == 1
    assert rows[0][1] == application_id and rows[0][3] == "Potential match"
    assert f"entry {LISTED_ENTRY}" in rows[0][4] and "Awaiting disposition" in rows[0][4]
    assert f'href="/console/applications/{application_id}"' in html


def test_the_screening_page_names_the_list_in_force(console):
    html = console(CO).get("/console/screening").text
    lists = table(html, "List versions screening uses now")
    assert [row[0] for row in lists] == ["ofac-sdn"] and "Bundled sample" in lists[0][3]


# --- Home ---------------------------------------------------------------------------------------


def test_the_compliance_home_shows_the_lowest_impact_ratio_of_the_latest_audit(
        console, client, auth_headers, engine, users):
    _groups(engine, users)
    audit = _audit(client, auth_headers)
    html = console(CO).get("/console").text
    assert "Latest fairness audit" in html
    assert f'href="/console/fairness/{audit["id"]}"' in html
    lowest = min(g["air_vs_reference"] for a in audit["result"]["attributes"]
                 for g in a["groups"] if not g["too_small_to_judge"])
    assert f'<p class="figure">{lowest:.2f}</p>' in html


def test_the_compliance_home_counts_overdue_notices_and_open_sanctions_cases(
        console, client, auth_headers, engine, users, active_model):
    with Session(engine, expire_on_commit=False) as s:
        f.add_application(s, submitted_by=str(users[LO].id), outcome="decline",
                          submitted_at=datetime.now(UTC) - timedelta(days=45))
        s.commit()
    client.post("/applications", json=good_application(**LISTED), headers=auth_headers[LO])
    html = console(CO).get("/console").text
    figures = re.findall(r'<h2 id="panel-\d+">([^<]+)</h2>\s*<p class="figure">([^<]+)</p>', html)
    shown = dict(figures)
    assert shown["Overdue notices"] == "1"
    assert shown["Open sanctions matches"] == "1"


def test_other_roles_do_not_get_the_compliance_panels(console):
    assert "Overdue notices" not in console(AU).get("/console").text
