"""The loan officer's console screens: the new-application form and its per-field errors, the
keyset list of an officer's own applications, the detail with its counteroffer answer and
notice PDF, and the officer's home panels."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.auth.roles import Role
from app.models import Application, AuditEvent
from tests.app import factories
from tests.app.application_documents import good_application, risky_application
from tests.app.console.conftest import sign_in
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("active_model")]

COUNTEROFFERED = {"loan.amount": "3000.00", "loan.term_months": 12,
                  "kyc.monthly_income": "1000.00", "kyc.monthly_obligations": "200.00"}
# An application's link (service ids are 32 hex digits; the factories' APP00000001).
_APPLICATION_LINK = re.compile(r'href="/console/applications/([0-9a-f]{32}|APP\d{8})"')


def form_of(document: dict[str, Any]) -> dict[str, str]:
    """The form fields a person fills in for ``document``: dotted names, yes/no for booleans,
    the "no account" box for a balance of "no_account"."""
    fields: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else key, value)
        elif node == "no_account":
            fields[prefix.replace("_balance", "_none")] = "yes"
        elif isinstance(node, bool):
            fields[prefix] = "yes" if node else "no"
        elif node is not None:
            fields[prefix] = str(node)

    walk("", document)
    return fields


def _count(engine: Any, model: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _events(engine: Any, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _submit_api(client: Any, headers: dict[str, str], document: dict[str, Any]) -> str:
    response = client.post("/applications", json=document, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _second_officer(engine: Any, console_app: Any, username: str = "loan-officer-2") -> Any:
    from app.users.service import create_user

    with Session(engine) as session:
        create_user(session, Principal.system("test-setup"), username=username,
                    password=TEST_PASSWORD, role=Role.LOAN_OFFICER)
        session.commit()
    return sign_in(console_app, username)


# --- The form ----------------------------------------------------------------------------------


def test_the_form_offers_the_documents_enumerations_as_choices(console):
    page = console(Role.LOAN_OFFICER).get("/console/applications/new")
    assert page.status_code == 200
    assert '<option value="critical_account"' in page.text
    assert 'name="kyc.employment.status"' in page.text
    # The suite's lender collects voluntary monitoring data: the disclosure is shown with it.
    assert "You are not required to provide it" in page.text


def test_each_offending_field_gets_its_own_message_and_nothing_is_saved(console, engine):
    officer = console(Role.LOAN_OFFICER)
    form = form_of(good_application())
    form.update({"loan.amount": "lots", "kyc.full_name": "", "kyc.employment.start_date": "",
                 "bureau.delinquencies_24m": "two"})
    before = _count(engine, Application)
    page = officer.post("/console/applications/new", form)
    assert page.status_code == 422
    for field_id, message in (("f-loan-amount", "Enter an amount such as 1250.00."),
                              ("f-kyc-full-name", "Enter this."),
                              ("f-kyc-employment-start-date", "“Employed since” is required"),
                              ("f-bureau-delinquencies-24m", "Enter a whole number.")):
        error = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', page.text)
        assert error, field_id
        assert message in error.group(1)
        assert re.search(rf'id="{field_id}"[^>]*aria-describedby="[^"]*{field_id}-error"[^>]*'
                         r'aria-invalid="true"', page.text), field_id
    # What the person entered is still there.
    assert 'value="lots"' in page.text and 'value="Musterstrasse 1"' in page.text
    assert _count(engine, Application) == before


def test_a_date_before_birth_is_reported_at_the_later_date(console):
    form = form_of(good_application(**{"kyc.residence_start_date": "1970-01-01"}))
    page = console(Role.LOAN_OFFICER).post("/console/applications/new", form)
    assert page.status_code == 422
    assert re.search(r'id="f-kyc-residence-start-date-error">“Living at this address since” is '
                     r'before “Date of birth”', page.text)


def test_an_amount_outside_the_lending_policy_is_reported_at_the_amount(console, engine):
    form = form_of(good_application(**{"loan.amount": "999999.00"}))
    page = console(Role.LOAN_OFFICER).post("/console/applications/new", form)
    assert page.status_code == 422
    assert re.search(r'id="f-loan-amount-error">amount must be between', page.text,
                     re.IGNORECASE)
    assert _count(engine, Application) == 0


def test_submitting_redirects_to_the_decision_with_its_outcome_and_reasons(console):
    officer = console(Role.LOAN_OFFICER)
    answer = officer.post("/console/applications/new", form_of(risky_application()))
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/console/applications/[0-9a-f]{32}", location)
    detail = officer.get(location)
    assert detail.status_code == 200
    assert '<span class="badge bad">decline</span>' in detail.text
    assert "Checking account overdrawn" in detail.text  # the statement, not the code alone
    assert "RC-CHK-01" in detail.text


def test_submitting_without_the_csrf_token_is_refused_and_saves_nothing(console, engine):
    officer = console(Role.LOAN_OFFICER)
    answer = officer.post("/console/applications/new", form_of(good_application()), csrf=False)
    assert answer.status_code == 403
    assert _count(engine, Application) == 0


def test_a_reference_used_for_another_application_is_reported_at_the_reference(console):
    officer = console(Role.LOAN_OFFICER)
    first = {**form_of(good_application()), "reference": "FILE-1"}
    assert officer.post("/console/applications/new", first).status_code == 303
    other = {**form_of(good_application(**{"loan.amount": "3000.00"})), "reference": "FILE-1"}
    page = officer.post("/console/applications/new", other)
    assert page.status_code == 422
    assert 'id="f-reference-error">This reference was already used' in page.text


# --- The list ----------------------------------------------------------------------------------


def test_a_loan_officer_lists_only_their_own_applications(console, console_app, client,
                                                          auth_headers, engine):
    theirs = _submit_api(client, auth_headers[Role.LOAN_OFFICER], good_application())
    other = _second_officer(engine, console_app)
    mine = other.post("/console/applications/new", form_of(good_application()))
    mine_id = mine.headers["location"].rsplit("/", 1)[1]
    listed = set(_APPLICATION_LINK.findall(other.get("/console/applications").text))
    assert mine_id in listed and theirs not in listed


def test_other_roles_list_every_officers_applications(console, console_app, client,
                                                      auth_headers, engine):
    first = _submit_api(client, auth_headers[Role.LOAN_OFFICER], good_application())
    other = _second_officer(engine, console_app)
    second = other.post("/console/applications/new", form_of(good_application()))
    listed = set(_APPLICATION_LINK.findall(
        console(Role.UNDERWRITER).get("/console/applications").text))
    assert {first, second.headers["location"].rsplit("/", 1)[1]} <= listed


def test_the_list_shows_no_applicant_names(console, client, auth_headers):
    _submit_api(client, auth_headers[Role.LOAN_OFFICER], good_application())
    page = console(Role.LOAN_OFFICER).get("/console/applications")
    assert page.status_code == 200 and len(_APPLICATION_LINK.findall(page.text)) == 1
    assert "Alex Example" not in page.text


def test_the_list_finds_an_application_by_its_reference(console, client, auth_headers):
    headers = {**auth_headers[Role.LOAN_OFFICER], "Idempotency-Key": "BRANCH-77"}
    wanted = _submit_api(client, headers, good_application())
    _submit_api(client, auth_headers[Role.LOAN_OFFICER], good_application())
    page = console(Role.LOAN_OFFICER).get("/console/applications", params={"q": "BRANCH-77"})
    assert _APPLICATION_LINK.findall(page.text) == [wanted]


def test_the_list_filters_by_outcome(console, client, auth_headers):
    officer = auth_headers[Role.LOAN_OFFICER]
    declined = _submit_api(client, officer, risky_application())
    _submit_api(client, officer, good_application())
    page = console(Role.LOAN_OFFICER).get("/console/applications",
                                          params={"outcome": "decline"})
    assert _APPLICATION_LINK.findall(page.text) == [declined]


def _next_link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="(/console/applications\?[^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_keyset_pages_run_through_every_application_once_newest_first(console, engine, users):
    officer_id = str(users[Role.LOAN_OFFICER].id)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine) as session:
        for i in range(120):
            # Pairs share a submission time: the id breaks the tie, so none is skipped.
            factories.add_application(session, submitted_by=officer_id, outcome="approve",
                                      submitted_at=start + timedelta(minutes=i // 2))
        session.commit()
    officer = console(Role.LOAN_OFFICER)
    pages, path = [], "/console/applications"
    while path:
        html = officer.get(path).text
        pages.append(_APPLICATION_LINK.findall(html))
        path = _next_link(html, "next")
    seen = [app_id for page in pages for app_id in page]
    assert [len(p) for p in pages] == [50, 50, 20]
    assert len(seen) == len(set(seen)) == 120
    with Session(engine) as session:
        expected = session.exec(select(Application.id).order_by(
            Application.submitted_at.desc(), Application.id.desc())).all()  # type: ignore[attr-defined]
    assert seen == list(expected)


def test_the_newer_link_leads_back_to_the_page_before(console, engine, users):
    officer_id = str(users[Role.LOAN_OFFICER].id)
    with Session(engine) as session:
        for i in range(60):
            factories.add_application(session, submitted_by=officer_id, outcome="approve",
                                      submitted_at=datetime(2026, 2, 1, tzinfo=UTC)
                                      + timedelta(hours=i))
        session.commit()
    officer = console(Role.LOAN_OFFICER)
    first = officer.get("/console/applications").text
    second = officer.get(_next_link(first, "next")).text  # type: ignore[arg-type]
    back = officer.get(_next_link(second, "prev")).text  # type: ignore[arg-type]
    assert _APPLICATION_LINK.findall(back) == _APPLICATION_LINK.findall(first)


# --- One application ---------------------------------------------------------------------------


def test_an_officer_opening_another_officers_application_is_refused(
        console_app, client, auth_headers, engine):
    theirs = _submit_api(client, auth_headers[Role.LOAN_OFFICER], good_application())
    other = _second_officer(engine, console_app)
    viewed = len(_events(engine, "application.viewed"))
    page = other.get(f"/console/applications/{theirs}")
    assert page.status_code == 403
    assert "Loan officers may only see and act on applications they submitted" in page.text
    assert len(_events(engine, "application.viewed")) == viewed


def test_opening_an_application_is_recorded_in_the_ledger(console, client, auth_headers,
                                                          engine):
    app_id = _submit_api(client, auth_headers[Role.LOAN_OFFICER], good_application())
    console(Role.LOAN_OFFICER).get(f"/console/applications/{app_id}")
    assert [e.entity_id for e in _events(engine, "application.viewed")] == [app_id]


def test_the_detail_shows_the_score_with_its_range_and_the_terms(console, client,
                                                                 auth_headers):
    app_id = _submit_api(client, auth_headers[Role.LOAN_OFFICER], good_application())
    page = console(Role.LOAN_OFFICER).get(f"/console/applications/{app_id}").text
    assert re.search(r"on a scale from -?\d+ to \d+", page)
    assert "Monthly payment" in page and "6.90%" in page  # the low tier's APR


def test_accepting_a_counteroffer_records_the_answer(console, client, auth_headers):
    app_id = _submit_api(client, auth_headers[Role.LOAN_OFFICER],
                         good_application(**COUNTEROFFERED))
    officer = console(Role.LOAN_OFFICER)
    assert "Accept the counteroffer" in officer.get(f"/console/applications/{app_id}").text
    answer = officer.post(f"/console/applications/{app_id}/counteroffer",
                          {"decision": "accept"})
    assert answer.status_code == 303
    after = client.get(f"/applications/{app_id}",
                       headers=auth_headers[Role.LOAN_OFFICER]).json()
    assert after["status"] == "offer_accepted"
    page = officer.get(f"/console/applications/{app_id}").text
    assert "The applicant accepted the counteroffer" in page
    assert "Accept the counteroffer" not in page


def test_a_counteroffer_answer_without_the_csrf_token_changes_nothing(console, client,
                                                                      auth_headers, engine):
    app_id = _submit_api(client, auth_headers[Role.LOAN_OFFICER],
                         good_application(**COUNTEROFFERED))
    answer = console(Role.LOAN_OFFICER).post(f"/console/applications/{app_id}/counteroffer",
                                             {"decision": "accept"}, csrf=False)
    assert answer.status_code == 403
    with Session(engine) as session:
        assert session.get(Application, app_id).status == "counteroffered"  # type: ignore[union-attr]
    assert _events(engine, "counteroffer.accepted") == []


def test_a_generated_notice_downloads_as_a_pdf(console, client, auth_headers, engine):
    app_id = _submit_api(client, auth_headers[Role.LOAN_OFFICER], risky_application())
    officer = console(Role.LOAN_OFFICER)
    detail = officer.get(f"/console/applications/{app_id}").text
    generate = re.search(r'action="(/console/applications/[^"]+/generate)"', detail)
    assert generate, detail
    assert officer.post(generate.group(1)).status_code == 303
    detail = officer.get(f"/console/applications/{app_id}").text
    link = re.search(r'href="(/console/applications/[^"]+/pdf)"', detail)
    assert link, detail
    pdf = officer.get(link.group(1))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert len(_events(engine, "report.downloaded")) == 1


def test_another_officer_cannot_download_the_notice(console, console_app, client,
                                                    auth_headers, engine):
    app_id = _submit_api(client, auth_headers[Role.LOAN_OFFICER], risky_application())
    officer = console(Role.LOAN_OFFICER)
    detail = officer.get(f"/console/applications/{app_id}").text
    officer.post(re.search(r'action="([^"]+/generate)"', detail).group(1))  # type: ignore[union-attr]
    link = re.search(r'href="([^"]+/pdf)"',
                     officer.get(f"/console/applications/{app_id}").text).group(1)  # type: ignore[union-attr]
    assert _second_officer(engine, console_app).get(link).status_code == 403


# --- Home --------------------------------------------------------------------------------------


def test_the_officers_home_lists_counteroffers_awaiting_an_answer(console, client,
                                                                  auth_headers):
    app_id = _submit_api(client, auth_headers[Role.LOAN_OFFICER],
                         good_application(**COUNTEROFFERED))
    home = console(Role.LOAN_OFFICER).get("/console").text
    assert "Counteroffers awaiting an answer" in home
    assert f'href="/console/applications/{app_id}#counteroffer"' in home


def test_the_officers_home_lists_notices_due_soon(console, client, auth_headers, engine):
    app_id = _submit_api(client, auth_headers[Role.LOAN_OFFICER], risky_application())
    from app.models import NoticeObligation

    with Session(engine) as session:
        notice = session.exec(select(NoticeObligation).where(
            NoticeObligation.application_id == app_id)).one()
        notice.due_date = datetime.now(UTC).date() - timedelta(days=1)
        session.add(notice)
        session.commit()
    home = console(Role.LOAN_OFFICER).get("/console").text
    assert f'href="/console/applications/{app_id}#notices"' in home
    assert '<span class="badge bad">overdue</span>' in home
