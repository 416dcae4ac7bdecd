"""The stored decision record, on both backends: counteroffers with their own affordability,
notice obligations opened with every adverse action, counteroffer answers, replay of every
stored application, and the rules that keep protected or irrelevant facts out of a decision."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.models import AuditEvent, Decision, NoticeObligation
from risk_models.notices import COUNTEROFFER_NOTICE_DAYS, DECLINE_NOTICE_DAYS
from tests.app import reviewing
from tests.app.application_documents import DELETE, good_application, risky_application

pytestmark = pytest.mark.usefixtures("active_model")
# 3,000 EUR over 12 months costs more than the 200.00 a month this applicant can afford
# (0.40 × 1,000 − 200); over 18 months it costs 175.92.
COUNTEROFFERED = {"loan.amount": "3000.00", "loan.term_months": 12,
                  "kyc.monthly_income": "1000.00", "kyc.monthly_obligations": "200.00"}
INCOMPLETE = {"kyc.national_id": None}


def _submit(client, headers, document):
    response = client.post("/applications", json=document, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _events(engine, action):
    with Session(engine) as session:
        return [json.loads(e.payload) for e in session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def test_a_counteroffer_under_the_cap_is_stored_as_affordable(client, auth_headers, engine):
    body = _submit(client, auth_headers["loan_officer"], good_application(**COUNTEROFFERED))
    offer = body["counteroffer"]
    assert (offer["amount"], offer["term_months"], offer["monthly_payment"]) == (
        "3000.00", 18, "175.92")
    assert offer["max_monthly_payment"] == "200.00" and offer["affordable"] is True
    # The maximum at the offer's own 18 months, not at the 12 requested.
    assert Decimal(offer["max_affordable_amount"]) > Decimal("3000")
    with Session(engine) as session:
        stored = session.exec(select(Decision)).one().record
    assert stored["counteroffer"] == {**offer, "currency": "EUR"}
    assert stored["counteroffer"]["affordable"] is True
    assert body["status"] == "counteroffered" and body["adverse_action"] == "counteroffer"


def test_every_adverse_action_opens_its_notice_with_its_due_date(client, auth_headers):
    officer = auth_headers["loan_officer"]
    today = datetime.now(UTC).date()
    declined = _submit(client, officer, risky_application())
    countered = _submit(client, officer, good_application(**COUNTEROFFERED))
    incomplete = _submit(client, officer, good_application(**INCOMPLETE))
    approved = _submit(client, officer, good_application())
    assert [(n["kind"], n["status"], n["due_date"]) for n in declined["notices"]] == [
        ("decline", "pending", str(today + timedelta(days=DECLINE_NOTICE_DAYS)))]
    assert [(n["kind"], n["due_date"]) for n in countered["notices"]] == [
        ("counteroffer", str(today + timedelta(days=COUNTEROFFER_NOTICE_DAYS)))]
    assert [(n["kind"], n["missing"]) for n in incomplete["notices"]] == [
        ("incomplete", ["kyc.national_id"])]
    assert incomplete["status"] == "incomplete" and incomplete["incomplete"] == [
        "kyc.national_id"]
    assert approved["notices"] == []
    listed = client.get(f"/applications/{declined['id']}/notices", headers=officer).json()
    assert [n["id"] for n in listed] == [n["id"] for n in declined["notices"]]


def test_accepting_a_counteroffer_approves_its_terms_and_withdraws_the_notice(
        client, auth_headers, engine):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, good_application(**COUNTEROFFERED))
    accepted = client.post(f"/applications/{body['id']}/counteroffer/accept", headers=officer)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["terms"]["term_months"] == 18
    after = client.get(f"/applications/{body['id']}", headers=officer).json()
    assert (after["outcome"], after["status"]) == ("approve", "offer_accepted")
    assert after["terms"]["monthly_payment"] == "175.92"
    assert [n["status"] for n in after["notices"]] == ["withdrawn"]
    assert len(_events(engine, "counteroffer.accepted")) == 1
    again = client.post(f"/applications/{body['id']}/counteroffer/decline", headers=officer)
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_open_counteroffer"


def test_declining_a_counteroffer_keeps_its_notice_owed(client, auth_headers, engine):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, good_application(**COUNTEROFFERED))
    declined = client.post(f"/applications/{body['id']}/counteroffer/decline", headers=officer)
    assert declined.status_code == 201
    after = client.get(f"/applications/{body['id']}", headers=officer).json()
    assert (after["outcome"], after["status"]) == ("decline", "offer_declined")
    assert [(n["kind"], n["status"]) for n in after["notices"]] == [("counteroffer", "pending")]
    assert len(_events(engine, "counteroffer.declined")) == 1


def test_only_the_submitting_officer_answers_a_counteroffer(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], good_application(**COUNTEROFFERED))
    response = client.post(f"/applications/{body['id']}/counteroffer/accept",
                           headers=auth_headers["underwriter"])
    assert response.status_code == 403


def test_overdue_notices_are_listed(client, auth_headers, engine):
    body = _submit(client, auth_headers["loan_officer"], risky_application())
    compliance = auth_headers["compliance_officer"]
    assert client.get("/notices", params={"overdue": True},
                      headers=compliance).json()["items"] == []
    with Session(engine) as session:
        session.exec(update(NoticeObligation).values(  # type: ignore[call-overload]
            due_date=date.today() - timedelta(days=1)))
        session.commit()
    (late,) = client.get("/notices", params={"overdue": True}, headers=compliance).json()["items"]
    assert late["application_id"] == body["id"] and late["overdue"] is True
    assert client.get("/notices", params={"status": "delivered"},
                      headers=compliance).json()["items"] == []


def test_notices_overdue_command_lists_them(client, auth_headers, engine):
    from app.cli import cli

    _submit(client, auth_headers["loan_officer"], risky_application())
    with Session(engine) as session:
        session.exec(update(NoticeObligation).values(  # type: ignore[call-overload]
            due_date=date.today() - timedelta(days=3)))
        session.commit()
    result = CliRunner().invoke(cli, ["notices", "overdue", "--json"])
    assert result.exit_code == 0, result.output
    (late,) = json.loads(result.output)
    assert late["kind"] == "decline" and late["overdue"] is True


def _seeded_run(client, auth_headers) -> list[dict]:
    officer = auth_headers["loan_officer"]
    documents = [
        good_application(), risky_application(), good_application(**COUNTEROFFERED),
        good_application(**INCOMPLETE), good_application(**{"kyc.monthly_income": None}),
        good_application(**{"kyc.address": None}),
        good_application(**{"kyc.sanctions_screening.status": "confirmed_match"}),
        good_application(**{"kyc.monthly_obligations": "5000.00"}),
        good_application(**{"loan.amount": "9000.00", "loan.term_months": 24,
                            "kyc.monthly_income": "2500.00"}),
        good_application(**{"kyc.employment.status": "retired",
                            "kyc.employment.start_date": DELETE}),
        good_application(**{"crm.checking_balance": "50.00", "loan.term_months": 30,
                            "crm.savings_balance": "20.00",
                            "bureau.credit_history": "existing_paid_duly"}),
    ]
    return [_submit(client, officer, d) for d in documents]


def test_nothing_adverse_exists_without_its_notice(client, auth_headers, engine):
    submitted = _seeded_run(client, auth_headers)
    kinds = {b["adverse_action"] for b in submitted}
    assert {"decline", "counteroffer", "incomplete"} <= kinds
    with Session(engine) as session:
        adverse = session.exec(select(Decision).where(
            Decision.adverse_action.is_not(None))).all()  # type: ignore[union-attr]
        owed = {(n.decision_id, n.kind) for n in session.exec(select(NoticeObligation))}
    assert adverse and {(d.id, d.adverse_action) for d in adverse} == owed


def test_every_application_of_a_seeded_run_replays_identically(client, auth_headers, engine):
    submitted = _seeded_run(client, auth_headers)
    for body in submitted:
        response = client.get(f"/applications/{body['id']}/replay",
                              headers=auth_headers["auditor"])
        assert response.status_code == 200, response.text
        assert response.json()["identical"] is True, response.json()["differences"]
    assert len(_events(engine, "application.replayed")) == len(submitted)


def test_replay_names_each_field_that_differs(client, auth_headers, engine):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    with Session(engine) as session:
        row = session.exec(select(Decision)).one()
        record = dict(row.record)
        record["risk_tier"] = "medium"
        row.record = record
        session.add(row)
        session.commit()
    result = client.get(f"/applications/{body['id']}/replay",
                        headers=auth_headers["compliance_officer"]).json()
    assert result["identical"] is False
    assert result["differences"] == [{"field": "risk_tier", "stored": "medium",
                                      "replayed": "low"}]


def test_replay_command_prints_identical(client, auth_headers):
    from app.cli import cli

    body = _submit(client, auth_headers["loan_officer"], risky_application())
    result = CliRunner().invoke(cli, ["applications", "replay", body["id"], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["identical"] is True


@pytest.mark.parametrize("role", ["loan_officer", "underwriter", "admin"])
def test_replay_is_for_auditors_and_compliance(client, auth_headers, role):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    response = client.get(f"/applications/{body['id']}/replay", headers=auth_headers[role])
    assert response.status_code == 403


def test_the_decision_event_records_the_reason_statements_version(client, auth_headers,
                                                                  engine):
    from risk_models.reasons import ReasonCatalog

    _submit(client, auth_headers["loan_officer"], risky_application())
    (event,) = _events(engine, "application.decided")
    assert event["reason_catalog_version"] == ReasonCatalog.bundled().version
    assert len(event["notice_ids"]) == 1


def test_obligations_above_income_are_decided_not_failed(client, auth_headers):
    for obligations in ("4200.00", "9000.00"):
        body = _submit(client, auth_headers["loan_officer"],
                       good_application(**{"kyc.monthly_obligations": obligations}))
        assert body["outcome"] == "decline"
        assert body["reasons"][0]["code"] == "KO-DTI"
        assert body["affordability"]["debt_to_income"] is not None


@pytest.mark.parametrize("status", ["retired", "student"])
def test_retirement_or_study_is_never_counted_against_the_applicant(client, auth_headers,
                                                                   status):
    officer = auth_headers["loan_officer"]
    neutral = {"kyc.employment.status": status, "kyc.employment.start_date": DELETE}
    body = _submit(client, officer, risky_application(**neutral))
    assert not any(r["code"].startswith(("RC-EMP", "RC-JOB")) for r in body["reasons"])
    other = "student" if status == "retired" else "retired"
    twin = _submit(client, officer, risky_application(
        **{**neutral, "kyc.employment.status": other}))
    assert twin["score"] == body["score"]
    unemployed = _submit(client, officer, risky_application(
        **{**neutral, "kyc.employment.status": "unemployed"}))
    assert body["score"] > unemployed["score"]


def test_pension_or_public_assistance_income_counts_like_any_income(client, auth_headers):
    officer = auth_headers["loan_officer"]
    scores = {
        source: _submit(client, officer, good_application(**{"kyc.income_source": source}))
        for source in ("employment", "pension", "public_assistance")}
    assert len({(b["score"], b["outcome"], json.dumps(b["terms"])) for b in scores.values()}) == 1


def test_monitoring_data_is_refused_where_it_is_not_collected(client, auth_headers,
                                                              monkeypatch):
    from app.config import get_settings

    monkeypatch.setenv("RISKDESK_MONITORING_COLLECTION", "off")
    get_settings.cache_clear()
    officer = auth_headers["loan_officer"]
    response = client.post("/applications", json=good_application(), headers=officer)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "monitoring_not_collected"
    assert client.post("/applications", json=good_application(monitoring=DELETE),
                       headers=officer).status_code == 201
    disclosure = client.get("/monitoring/disclosure", headers=officer).json()
    assert disclosure["collection"] == "off" and disclosure["disclosure"] is None


def test_monitoring_disclosure_is_shown_where_it_is_collected(client, auth_headers):
    disclosure = client.get("/monitoring/disclosure", headers=auth_headers["loan_officer"]).json()
    assert disclosure["collection"] == "self_test"
    assert "not required" in disclosure["disclosure"]
    assert disclosure["fields"] == ["sex", "marital_status", "nationality"]


def test_an_underwriter_may_decline_an_automated_approval_with_a_human_reason(
        client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    response = client.post(f"/applications/{body['id']}/review", json={
        "outcome": "decline", "note": "Payslips do not match the stated income.",
        "reason_codes": ["UW-INCOME-UNVERIFIED"]}, headers=auth_headers["underwriter"])
    assert response.status_code == 201, response.text
    (reason,) = response.json()["reasons"]
    assert reason["code"] == "UW-INCOME-UNVERIFIED" and reason["kind"] == "underwriter"
    after = client.get(f"/applications/{body['id']}", headers=auth_headers["underwriter"]).json()
    assert [(n["kind"], n["status"]) for n in after["notices"]] == [("decline", "pending")]


def test_an_override_to_approve_carries_terms_and_withdraws_the_notice(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], risky_application())
    response = reviewing.review(client, auth_headers, body["id"], {
        "outcome": "approve", "note": "Collateral outside the model covers the loan."})
    assert response.status_code == 201
    terms = response.json()["terms"]
    assert terms["apr"] == "0.149" and Decimal(terms["monthly_payment"]) > 0
    after = client.get(f"/applications/{body['id']}", headers=auth_headers["underwriter"]).json()
    assert [n["status"] for n in after["notices"]] == ["withdrawn"]


# --- Notices: generated, delivered, and saying what each adverse action requires -------------


def _notice_text(client, headers, body) -> tuple[dict, str]:
    from tests.compliance.reports.conftest import pdf_text

    (notice,) = body["notices"]
    generated = client.post(f"/notices/{notice['id']}/generate", headers=headers)
    assert generated.status_code == 201, generated.text
    notice = generated.json()
    assert notice["status"] == "generated" and notice["report_id"]
    pdf = client.get(f"/reports/{notice['report_id']}/pdf", headers=headers)
    assert pdf.status_code == 200
    return notice, pdf_text(pdf.content)


def test_a_generated_notice_is_delivered_once_with_channel_and_sender(client, auth_headers,
                                                                      engine):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, risky_application())
    notice, _ = _notice_text(client, officer, body)
    delivered = client.post(f"/notices/{notice['id']}/delivery", json={"channel": "mail"},
                            headers=officer)
    assert delivered.status_code == 200, delivered.text
    shown = delivered.json()
    assert (shown["status"], shown["delivery_channel"]) == ("delivered", "mail")
    assert shown["delivered_by"] and shown["delivered_at"]
    again = client.post(f"/notices/{notice['id']}/delivery", json={"channel": "mail"},
                        headers=officer)
    assert again.status_code == 409
    assert [len(_events(engine, a)) for a in ("notice.opened", "notice.generated",
                                              "notice.delivered")] == [1, 1, 1]


def test_delivery_needs_a_generated_notice_and_a_known_channel(client, auth_headers):
    officer = auth_headers["loan_officer"]
    (notice,) = _submit(client, officer, risky_application())["notices"]
    assert client.post(f"/notices/{notice['id']}/delivery", json={"channel": "mail"},
                       headers=officer).status_code == 409
    assert client.post(f"/notices/{notice['id']}/delivery", json={"channel": "pigeon"},
                       headers=officer).status_code == 422


def test_a_score_decline_notice_discloses_the_score_and_its_key_factors(client, auth_headers):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, risky_application())
    _, text = _notice_text(client, officer, body)
    assert "We used a credit score in making our decision" in text
    assert "Key factors that adversely affected your credit score" in text
    assert "Consumer reporting agency" in text or "consumer reporting agency" in text
    for reason in body["reasons"]:
        assert reason["statement"] in text
    assert "DM" not in text.replace("DM ", "")


def test_a_knockout_notice_never_claims_a_score_or_report_drove_it(client, auth_headers):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, good_application(
        **{"kyc.sanctions_screening.status": "confirmed_match"}))
    _, text = _notice_text(client, officer, body)
    assert "KO-SANCTIONS-MATCH" in text
    assert "credit score" not in text.lower() and "consumer report" not in text.lower()


def test_a_counteroffer_notice_states_the_offered_terms(client, auth_headers):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, good_application(**COUNTEROFFERED))
    _, text = _notice_text(client, officer, body)
    assert "we can offer you credit on the terms below" in text
    assert "Term: 18 months" in text


def test_an_incompleteness_notice_says_what_is_missing_and_by_when(client, auth_headers):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, good_application(**{"kyc.monthly_income": None}))
    notice, text = _notice_text(client, officer, body)
    assert "Your credit application is incomplete" in text
    assert "Your monthly net income" in text
    respond_by = date.fromisoformat(notice["respond_by"])
    assert respond_by > date.today()
    assert f"{respond_by:%B} {respond_by.day}, {respond_by.year}" in text
    assert "credit score" not in text.lower()


def test_an_officer_cannot_generate_another_officers_notice(client, auth_headers, engine):
    from app.auth.principal import Principal
    from app.users.service import create_user

    body = _submit(client, auth_headers["loan_officer"], risky_application())
    from app.db import session_scope

    with session_scope(engine) as session:
        other = create_user(session, Principal.system("test"), username="officer-two",
                            password="correct horse battery staple", role="loan_officer")
    from app.auth.security import create_access_token
    from app.config import get_settings

    token, _ = create_access_token(get_settings(), user_id=other.id, role="loan_officer")
    (notice,) = body["notices"]
    response = client.post(f"/notices/{notice['id']}/generate",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


# --- What no one may do, and what a counteroffer must be --------------------------------------

MINOR = {"kyc.date_of_birth": "2012-01-01", "kyc.residence_start_date": "2015-01-01",
         "kyc.employment.start_date": "2026-01-01"}
# A referring score (overdrawn, little savings) with an unaffordable request.
COUNTEROFFERED_MEDIUM = {**COUNTEROFFERED, "crm.checking_balance": "-150.00",
                         "crm.savings_balance": "20.00"}


@pytest.mark.parametrize("change", [
    MINOR, {"kyc.sanctions_screening.status": "confirmed_match"},
    {"kyc.monthly_income": None}, COUNTEROFFERED,
])
def test_no_underwriter_approves_what_a_rule_forbids(client, auth_headers, change):
    body = _submit(client, auth_headers["loan_officer"], good_application(**change))
    response = client.post(f"/applications/{body['id']}/review", json={
        "outcome": "approve", "note": "Looks fine to me on the phone."},
        headers=auth_headers["underwriter"])
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "not_approvable"
    after = client.get(f"/applications/{body['id']}", headers=auth_headers["underwriter"]).json()
    assert after["outcome"] == body["outcome"]


def test_nobody_decides_an_application_they_submitted(client, auth_headers):
    body = _submit(client, auth_headers["admin"], risky_application())
    response = client.post(f"/applications/{body['id']}/review", json={
        "outcome": "approve", "note": "Collateral outside the model."},
        headers=auth_headers["admin"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "own_application"


def test_a_counteroffer_is_scored_and_priced_at_its_own_terms(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"],
                   good_application(**COUNTEROFFERED_MEDIUM))
    offer = body["counteroffer"]
    if offer is not None:
        assert offer["risk_tier"] == "low" and offer["apr"] == "0.069"
        assert offer["affordable"] is True


def test_no_counteroffer_the_model_would_not_approve_at_its_own_terms(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], good_application(**{
        "crm.checking_balance": "-150.00", "crm.savings_balance": "20.00",
        "bureau.credit_history": "critical_account", "loan.amount": "5000.00",
        "loan.term_months": 6, "kyc.monthly_income": "800.00",
        "kyc.monthly_obligations": "200.00", "loan.purpose": "business"}))
    assert body["outcome"] == "decline"
    offer = body["counteroffer"]
    assert offer is None or offer["risk_tier"] == "low"


def test_no_counteroffer_while_the_application_is_incomplete(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"],
                   good_application(**{**COUNTEROFFERED, "kyc.national_id": None}))
    assert body["counteroffer"] is None and body["outcome"] == "decline"
    assert {"KO-DTI", "KO-KYC-ID"} <= {r["code"] for r in body["reasons"]}


def test_an_accepted_counteroffer_that_still_refers_goes_to_the_underwriters(
        client, auth_headers):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, good_application(
        **{**COUNTEROFFERED, "kyc.sanctions_screening.status": "potential_match"}))
    assert body["counteroffer"] is not None
    # The screening hit is disposed of first (four-eyes): no answer is taken while it waits.
    reviewing.clear_sanctions_case(client, auth_headers, body["id"])
    client.post(f"/applications/{body['id']}/counteroffer/accept", headers=officer)
    after = client.get(f"/applications/{body['id']}", headers=officer).json()
    assert (after["outcome"], after["status"]) == ("refer", "referred")
    review = client.post(f"/applications/{body['id']}/review", json={
        "outcome": "approve", "note": "Screening hit was a namesake."},
        headers=auth_headers["underwriter"]).json()
    assert review["kind"] == "review"
    assert review["terms"]["term_months"] == body["counteroffer"]["term_months"]


def test_a_knockout_decline_on_a_referring_score_discloses_no_score(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], good_application(**{
        "crm.checking_balance": "-150.00", "crm.savings_balance": "20.00",
        "kyc.sanctions_screening.status": "confirmed_match"}))
    assert body["risk_tier"] != "high"
    assert [r["code"] for r in body["reasons"]] == ["KO-SANCTIONS-MATCH"]


def test_a_notice_goes_by_e_mail_while_the_address_is_missing(client, auth_headers):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, good_application(**{"kyc.address": None}))
    _, text = _notice_text(client, officer, body)
    assert "By e-mail to alex@example.org" in text


def test_a_declined_counteroffer_is_notified_without_offering_it_again(client, auth_headers):
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, good_application(**COUNTEROFFERED))
    client.post(f"/applications/{body['id']}/counteroffer/decline", headers=officer)
    _, text = _notice_text(client, officer, body)
    assert "We are unable to approve your application" in text
    assert "we can offer you credit" not in text


def test_a_duplicate_without_a_national_id_is_matched_by_name_and_birth_date(client,
                                                                           auth_headers):
    officer = auth_headers["loan_officer"]
    _submit(client, officer, good_application(**INCOMPLETE))
    second = _submit(client, officer, good_application(**INCOMPLETE))
    assert [d["kind"] for d in second["duplicate_flags"]] == ["name_and_date_of_birth"]
