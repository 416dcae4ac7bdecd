"""The underwriter's console screens: the case inbox, claiming and releasing, a case's detail
and its score breakdown, deciding with catalogue reasons, and four-eyes approvals."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.auth.roles import Role
from app.db import session_scope
from app.models import AuditEvent, ReviewCase, ScoredCharacteristic
from app.scoring.service import load_model_by_version
from app.users.service import create_user
from tests.app.application_documents import good_application
from tests.app.console.conftest import sign_in
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("active_model")]
LO, UW, LEAD = "loan_officer", "underwriter", "underwriting_lead"
# An applicant the bundled scorecard refers (as tests/app/test_reviews.py finds them).
REFERRED = {"crm.checking_balance": "50.00", "bureau.credit_history": "existing_paid_duly",
            "loan.term_months": 30, "crm.savings_balance": "20.00"}


def _referral(client, auth_headers, **changes):
    response = client.post("/applications", json=good_application(**{**REFERRED, **changes}),
                           headers=auth_headers[LO])
    assert response.status_code == 201, response.text
    application = response.json()
    assert application["outcome"] == "refer"
    cases = client.get("/cases", params={"state": "open", "limit": 500},
                       headers=auth_headers[UW]).json()["items"]
    (case,) = [c for c in cases if c["application_id"] == application["id"]]
    return application, case


def _case(client, auth_headers, case_id):
    return client.get(f"/cases/{case_id}", headers=auth_headers[UW]).json()


def _events(engine, action):
    with Session(engine) as s:
        return [json.loads(e.payload) for e in s.exec(
            select(AuditEvent).where(AuditEvent.action == action))]


def test_the_inbox_lists_a_referral_with_its_service_level_in_words(console, client,
                                                                    auth_headers):
    application, case = _referral(client, auth_headers)
    answer = console(Role.UNDERWRITER).get("/console/cases")
    assert answer.status_code == 200
    row = re.search(rf'<tr id="case-{case["id"]}">.*?</tr>', answer.text, re.S)
    assert row is not None
    assert application["id"][:8] in row.group(0)
    assert "Within service level" in row.group(0) and ">Claim<" in row.group(0)


def test_the_inbox_pages_by_keyset_soonest_due_first(console, client, auth_headers, engine,
                                                monkeypatch):
    from app.console.pages import cases

    _, first = _referral(client, auth_headers)
    _, second = _referral(client, auth_headers)
    monkeypatch.setattr(cases, "PAGE_SIZE", 1)
    underwriter = console(Role.UNDERWRITER)
    page_one = underwriter.get("/console/cases").text
    assert f'id="case-{first["id"]}"' in page_one and second["id"] not in page_one
    next_link = html.unescape(re.search(r'href="([^"]+)" rel="next"', page_one).group(1))
    assert "after=" in next_link and "offset" not in next_link
    page_two = underwriter.get(next_link).text
    assert f'id="case-{second["id"]}"' in page_two
    assert f'id="case-{first["id"]}"' not in page_two
    assert 'rel="next"' not in page_two


def test_claim_then_release_through_htmx_updates_the_row(console, client, auth_headers,
                                                         users):
    _, case = _referral(client, auth_headers)
    underwriter = console(Role.UNDERWRITER)
    claimed = underwriter.post(f"/console/cases/{case['id']}/claim", htmx=True)
    assert claimed.status_code == 200
    assert claimed.text.lstrip().startswith(f'<tr id="case-{case["id"]}">')
    assert ">Release<" in claimed.text and "Claimed by you." in claimed.text
    after = _case(client, auth_headers, case["id"])
    assert (after["state"], after["assignee_id"]) == ("assigned", str(users[UW].id))
    released = underwriter.post(f"/console/cases/{case['id']}/release", htmx=True)
    assert released.status_code == 200 and ">Claim<" in released.text
    assert _case(client, auth_headers, case["id"])["state"] == "open"


def test_a_claim_without_the_csrf_token_is_refused_and_changes_nothing(console, client,
                                                                       auth_headers, engine):
    _, case = _referral(client, auth_headers)
    refused = console(Role.UNDERWRITER).post(f"/console/cases/{case['id']}/claim", csrf=False)
    assert refused.status_code == 403
    after = _case(client, auth_headers, case["id"])
    assert (after["state"], after["assignee_id"]) == ("open", None)
    assert _events(engine, "case.claimed") == []


def test_deciding_a_case_declines_with_reasons_from_the_catalogue(console, client,
                                                                  auth_headers):
    application, case = _referral(client, auth_headers)
    decided = console(Role.UNDERWRITER).post(f"/console/cases/{case['id']}/decide", {
        "outcome": "decline", "note": "Income could not be verified with the employer.",
        "reason_codes": ["UW-INCOME-UNVERIFIED", "UW-EMPLOYMENT-UNVERIFIED"]})
    assert decided.status_code == 303
    assert decided.headers["location"] == f"/console/cases/{case['id']}?result=decided"
    after = client.get(f"/applications/{application['id']}", headers=auth_headers[UW]).json()
    assert after["outcome"] == "decline"
    assert [r["code"] for r in after["reasons"]] == ["UW-INCOME-UNVERIFIED",
                                                    "UW-EMPLOYMENT-UNVERIFIED"]
    assert _case(client, auth_headers, case["id"])["state"] == "decided"


def test_the_decide_form_offers_the_catalogues_underwriter_reasons(console, client,
                                                                    auth_headers):
    from risk_models.reasons import ReasonCatalog

    _, case = _referral(client, auth_headers)
    detail = console(Role.UNDERWRITER).get(f"/console/cases/{case['id']}").text
    offered = set(re.findall(r'name="reason_codes" value="([^"]+)"', detail))
    assert set(ReasonCatalog.bundled().underwriter_codes()) <= offered


def test_a_decision_with_too_short_a_note_is_shown_again_with_the_error(console, client,
                                                                        auth_headers):
    application, case = _referral(client, auth_headers)
    answer = console(Role.UNDERWRITER).post(f"/console/cases/{case['id']}/decide",
                                            {"outcome": "approve", "note": "ok"})
    assert answer.status_code == 422
    assert 'id="decision-note-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="approve" checked' in answer.text
    assert client.get(f"/applications/{application['id']}",
                      headers=auth_headers[UW]).json()["outcome"] == "refer"


def test_a_four_eyes_decision_waits_and_is_approved_by_a_second_underwriter_not_the_maker(
        console, console_app, client, auth_headers, engine):
    application, case = _referral(client, auth_headers, **{"loan.amount": "6000.00"})
    maker = console(Role.UNDERWRITER)
    proposed = maker.post(f"/console/cases/{case['id']}/decide", {
        "outcome": "approve", "note": "Payslips for six months seen and verified."})
    assert proposed.headers["location"].endswith("?result=proposed")
    detail = maker.get(f"/console/cases/{case['id']}").text
    assert "Waiting for a second underwriter" in detail
    (approval,) = client.get("/approvals", headers=auth_headers[UW]).json()
    # The maker is never offered their own proposal, and cannot approve it.
    assert approval["id"] not in maker.get("/console/approvals").text
    own = maker.post(f"/console/approvals/{approval['id']}/approve")
    assert own.status_code == 403 and "four_eyes_same_person" in own.text
    assert client.get(f"/applications/{application['id']}",
                      headers=auth_headers[UW]).json()["outcome"] == "refer"
    with session_scope(engine) as session:
        create_user(session, Principal.system("test-setup"), username="underwriter-b",
                    password=TEST_PASSWORD, role=Role.UNDERWRITER)
    checker = sign_in(console_app, "underwriter-b")
    waiting = checker.get("/console/approvals").text
    assert f"/console/approvals/{approval['id']}/approve" in waiting
    approved = checker.post(f"/console/approvals/{approval['id']}/approve")
    assert approved.status_code == 303, approved.text
    after = client.get(f"/applications/{application['id']}", headers=auth_headers[UW]).json()
    assert after["outcome"] == "approve" and after["terms"] == approval["terms"]
    assert "Monthly payment" in checker.get(f"/console/cases/{case['id']}").text
    checker.http.close()


def test_the_breakdown_table_shows_the_scorecards_points(console, client, auth_headers,
                                                         engine):
    application, case = _referral(client, auth_headers)
    detail = console(Role.UNDERWRITER).get(f"/console/cases/{case['id']}").text
    table = re.search(r'<table id="breakdown">.*?</table>', detail, re.S).group(0)
    shown = re.findall(r'<tr><th scope="row">[^<]*</th><td>[^<]*</td><td class="num">'
                       r'([^<]+)</td><td class="num">([^<]+)</td>', table)
    with Session(engine) as s:
        model = load_model_by_version(s, application["model_version"])
        scored = {r.characteristic: r.points for r in s.exec(select(ScoredCharacteristic).where(
            ScoredCharacteristic.application_id == application["id"]))}
    expected = [(f"{scored[c.name]:,.2f}", f"{c.best_points:,.2f}")
                for c in model.scorecard.characteristics]
    assert shown == expected and len(expected) > 1


def test_reading_a_case_records_the_application_view_and_the_notes_read(console, client,
                                                                         auth_headers, engine):
    application, case = _referral(client, auth_headers)
    underwriter = console(Role.UNDERWRITER)
    noted = underwriter.post(f"/console/cases/{case['id']}/notes",
                             {"note": "Called the employer: contract renewed."})
    assert noted.status_code == 303
    detail = underwriter.get(f"/console/cases/{case['id']}").text
    assert "Called the employer: contract renewed." in detail
    assert _events(engine, "case.notes_read")
    with Session(engine) as s:
        viewed = s.exec(select(AuditEvent).where(AuditEvent.action == "application.viewed",
                                                 AuditEvent.entity_id == application["id"]))
        assert viewed.first() is not None


def test_the_home_page_shows_an_underwriter_the_queue_and_the_approvals(console, client,
                                                                        auth_headers):
    _referral(client, auth_headers)
    home = console(Role.UNDERWRITER).get("/console").text
    for title in ("Unclaimed cases", "My claimed cases", "Cases past their service level",
                  "Awaiting my approval"):
        assert title in home
    assert re.search(r'Unclaimed cases</h2>\s*<p class="figure">1</p>', home)


def test_a_breached_case_is_marked_so_in_words(console, client, auth_headers, engine):
    from datetime import timedelta

    _, case = _referral(client, auth_headers)
    with session_scope(engine) as s:
        row = s.get(ReviewCase, case["id"])
        row.opened_at -= timedelta(days=3)
        row.due_at -= timedelta(days=3)
        s.add(row)
    listed = console(Role.UNDERWRITER).get("/console/cases?sla=breached").text
    row_html = re.search(rf'<tr id="case-{case["id"]}">.*?</tr>', listed, re.S).group(0)
    assert '<span class="badge bad">Breached</span>' in row_html and "overdue" in row_html
