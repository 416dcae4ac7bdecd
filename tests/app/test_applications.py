"""Submitting applications: decisions, reasons, terms, validation, idempotency, duplicates,
personal data kept out of the ledger, and protected attributes kept out of every decision."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import ApplicantIdentity, Application, AuditEvent, Decision
from app.subjects import service as subjects
from tests.app.application_documents import DELETE, good_application

MEDIUM_RISK = {"crm.checking_balance": "50.00", "bureau.credit_history": "existing_paid_duly",
               "loan.term_months": 30, "crm.savings_balance": "20.00"}
pytestmark = pytest.mark.usefixtures("active_model")


def _submit(client, headers, document, **extra_headers):
    return client.post("/applications", json=document, headers={**headers, **extra_headers})


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _ledger(engine, action):
    with Session(engine) as session:
        return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_sound_applicant_is_approved_with_priced_terms(client, auth_headers, engine):
    response = _submit(client, auth_headers["loan_officer"], good_application())
    assert response.status_code == 201
    body = response.json()
    assert (body["outcome"], body["risk_tier"], body["reasons"]) == ("approve", "low", [])
    terms = body["terms"]
    # 2,500.00 over 12 months at the low tier's 6.9% APR: the annuity payment, to the cent.
    rate = Decimal("0.069") / 12
    payment = Decimal("2500.00") * rate / (1 - (1 + rate) ** -12)
    assert Decimal(terms["monthly_payment"]) == payment.quantize(Decimal("0.01"))
    assert terms["affordable"] is True and body["counteroffer"] is None
    assert 0 < body["probability_of_default"] < 0.1
    assert body["model_version"].startswith("scorecard-") and body["policy_version"]
    assert response.headers["Location"] == f"/applications/{body['id']}"


def test_risky_applicant_is_declined_with_specific_ranked_reasons(client, auth_headers):
    from tests.app.application_documents import risky_application

    body = _submit(client, auth_headers["loan_officer"], risky_application()).json()
    assert body["outcome"] == "decline" and body["risk_tier"] == "high"
    reasons = body["reasons"]
    assert 1 <= len(reasons) <= 4
    assert [r["points_lost"] for r in reasons] == sorted((r["points_lost"] for r in reasons),
                                                         reverse=True)
    statements = {r["code"]: r["statement"] for r in reasons}
    assert statements["RC-CHK-01"] == "Checking account overdrawn"
    assert all(r["code"].startswith("RC-") for r in reasons)


def test_medium_risk_is_referred_with_reasons_and_terms(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], good_application(**MEDIUM_RISK)).json()
    assert (body["outcome"], body["risk_tier"], body["status"]) == ("refer", "medium",
                                                                    "referred")
    assert body["reasons"] and body["terms"]["apr"] == "0.099"


def test_unaffordable_request_gets_a_counteroffer(client, auth_headers):
    document = good_application(**{"kyc.monthly_income": "2500.00", "loan.amount": "9000.00",
                                   "loan.term_months": 24})
    body = _submit(client, auth_headers["loan_officer"], document).json()
    offer = body["counteroffer"]
    assert body["outcome"] == "decline"
    assert [r["code"] for r in body["reasons"]][0] == "KO-DTI"
    assert offer is not None and Decimal(offer["amount"]) < Decimal("9000.00")
    # The offer fits the 40% debt-to-income cap: 0.40 * 2,500 - 900 = 100.00 a month.
    assert Decimal(offer["monthly_payment"]) <= Decimal("100.00")


@pytest.mark.parametrize(("change", "code", "outcome"), [
    ({"kyc.sanctions_screening.status": "confirmed_match"}, "KO-SANCTIONS-MATCH", "decline"),
    ({"kyc.sanctions_screening.status": "potential_match"}, "KO-SANCTIONS-REVIEW", "refer"),
    ({"kyc.date_of_birth": "2010-01-01", "kyc.residence_start_date": "2015-01-01",
      "kyc.employment.start_date": "2025-01-01"}, "KO-AGE", "decline"),
    ({"kyc.monthly_income": None}, "KO-INCOME", None),
])
def test_knockout_rules(client, auth_headers, change, code, outcome):
    body = _submit(client, auth_headers["loan_officer"], good_application(**change)).json()
    assert code in [k["code"] for k in body["decisions"][0]["knockouts"]]
    assert body["outcome"] != "approve"
    if outcome:
        assert body["outcome"] == outcome


def test_validation_names_every_offending_field_and_writes_nothing(client, auth_headers, engine):
    document = good_application(**{"loan.amount": "-5.00", "kyc.date_of_birth": "1990-02-30",
                                   "kyc.shoe_size": 44, "bureau.delinquencies_24m": -1,
                                   "crm.savings_balance": "lots"})
    head_before = len(_ledger(engine, "application.decided"))
    response = _submit(client, auth_headers["loan_officer"], document)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    fields = {d["field"] for d in error["details"]}
    assert fields == {"loan.amount", "kyc.date_of_birth", "kyc.shoe_size",
                      "bureau.delinquencies_24m", "crm.savings_balance"}
    assert _count(engine, Application) == 0
    assert len(_ledger(engine, "application.decided")) == head_before


@pytest.mark.parametrize(("change", "field"), [
    ({"loan.currency": "USD"}, "loan.currency"),
    ({"loan.term_months": 96}, "loan.term_months"),
    ({"loan.amount": "50000.00"}, "loan.amount"),
])
def test_requests_outside_policy_are_422_with_the_field(client, auth_headers, engine, change,
                                                         field):
    response = _submit(client, auth_headers["loan_officer"], good_application(**change))
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    assert _count(engine, Application) == 0


def test_dates_before_birth_and_future_dates_are_refused(client, auth_headers):
    document = good_application(**{"kyc.residence_start_date": "1970-01-01",
                                   "crm.customer_since": "2999-01-01"})
    response = _submit(client, auth_headers["loan_officer"], document)
    assert response.status_code == 422
    messages = " ".join(d["message"] for d in response.json()["error"]["details"])
    assert "residence_start_date is before date_of_birth" in messages
    assert "future" in messages


def test_cleansing_normalises_and_records_without_values(client, auth_headers, engine,
                                                          settings_env):
    document = good_application(**{"kyc.full_name": "  Alex   Example ",
                                   "kyc.address.country": "de", "loan.currency": "eur",
                                   "kyc.contact.phone": "0049 (30) 123-4567"})
    body = _submit(client, auth_headers["loan_officer"], document).json()
    assert {"field": "kyc.full_name", "rule": "collapse_whitespace"} in body["cleansing"]
    assert {"field": "kyc.address.country", "rule": "upper_case"} in body["cleansing"]
    with Session(engine) as session:
        identity = subjects.identity_of(session, settings_env, body["id"])
    assert identity.full_name == "Alex Example"
    assert identity.contact["phone"] == "+49301234567"
    assert "Alex" not in json.dumps(body["cleansing"])


def test_idempotency_key_replays_the_first_result(client, auth_headers, engine):
    headers = auth_headers["loan_officer"]
    first = _submit(client, headers, good_application(), **{"Idempotency-Key": "k-1"})
    again = _submit(client, headers, good_application(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert _count(engine, Application) == 1
    changed = _submit(client, headers, good_application(**{"loan.amount": "3000.00"}),
                      **{"Idempotency-Key": "k-1"})
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "idempotency_key_reused"


def test_duplicates_are_flagged_by_national_id_and_by_name_and_birth_date(client, auth_headers):
    headers = auth_headers["loan_officer"]
    first = _submit(client, headers, good_application()).json()
    same_id = _submit(client, headers, good_application(**{"kyc.full_name": "A. Example"}))
    same_person = _submit(client, headers, good_application(**{"kyc.national_id": "Z9999999"}))
    other = _submit(client, headers, good_application(**{"kyc.national_id": "Q1111111",
                                                         "kyc.full_name": "Sam Other"}))
    assert [(f["kind"], f["application_id"]) for f in same_id.json()["duplicate_flags"]] == [
        ("national_id", first["id"])]
    assert ("name_and_date_of_birth", first["id"]) in [
        (f["kind"], f["application_id"]) for f in same_person.json()["duplicate_flags"]]
    assert other.json()["duplicate_flags"] == []


def test_ledger_records_the_decision_without_personal_data(client, auth_headers, engine):
    document = good_application()
    body = _submit(client, auth_headers["loan_officer"], document).json()
    (event,) = _ledger(engine, "application.decided")
    payload = json.loads(event.payload)
    assert event.entity_id == body["id"]
    assert payload["outcome"] == "approve" and payload["decision_id"] == body["decisions"][0]["id"]
    kyc = document["kyc"]
    with Session(engine) as session:
        everything = " ".join(e.payload for e in session.exec(select(AuditEvent)).all())
    for personal in (kyc["full_name"], kyc["national_id"], kyc["date_of_birth"],
                     kyc["address"]["line1"], kyc["contact"]["email"]):
        assert personal not in everything


def test_personal_data_is_stored_apart_from_features(client, auth_headers, engine):
    body = _submit(client, auth_headers["loan_officer"], good_application()).json()
    with Session(engine) as session:
        application = session.get(Application, body["id"])
    stored = json.dumps(application.model_dump(mode="json"))
    assert "Alex" not in stored and "T22000129" not in stored and "1980-05-17" not in stored


def test_protected_attributes_never_change_a_decision(client, auth_headers):
    headers = auth_headers["loan_officer"]
    variants = [
        {"monitoring.sex": "female", "monitoring.nationality": "DE"},
        {"monitoring.sex": "male", "monitoring.nationality": "TR"},
        {"monitoring.sex": "other", "monitoring.nationality": None},
        {"monitoring": DELETE},
        # Age among adults, through the date of birth.
        {"kyc.date_of_birth": "1999-07-01", "monitoring.sex": "not_provided"},
        {"kyc.date_of_birth": "1950-07-01", "monitoring.nationality": "PL"},
    ]
    for base in ({}, MEDIUM_RISK):
        decisions = set()
        for variant in variants:
            body = _submit(client, headers, good_application(**base, **variant)).json()
            decisions.add((body["outcome"], body["risk_tier"], round(body["score"], 9),
                           json.dumps(body["reasons"]), json.dumps(body["terms"])))
        assert len(decisions) == 1, decisions


def test_model_features_exclude_every_protected_and_monitoring_attribute(client, auth_headers):
    model = client.get("/models", headers=auth_headers["compliance_officer"]).json()[0]
    artifact = client.get(f"/models/{model['version']}/artifact",
                          headers=auth_headers["compliance_officer"]).json()["artifact"]
    features = {c["name"] for c in artifact["characteristics"]}
    assert features.isdisjoint({"personal_status_sex", "age_years", "foreign_worker", "sex",
                                "nationality", "age", "date_of_birth"})
    assert set(model["protected_columns"]) == {"personal_status_sex", "age_years",
                                               "foreign_worker"}


def test_loan_officers_see_only_their_own_applications(client, auth_headers, users):
    headers = auth_headers["loan_officer"]
    mine = _submit(client, headers, good_application()).json()
    other = client.post("/users", json={"username": "officer-two", "password": "p" * 12,
                                        "role": "loan_officer"},
                        headers=auth_headers["admin"]).json()
    token = client.post("/auth/token", data={"username": "officer-two",
                                             "password": "p" * 12}).json()["access_token"]
    theirs = {"Authorization": f"Bearer {token}"}
    refused = client.get(f"/applications/{mine['id']}", headers=theirs)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_your_application"
    assert client.get("/applications", headers=theirs).json()["total"] == 0
    assert client.get("/applications", headers=headers).json()["total"] == 1
    assert client.get(f"/applications/{mine['id']}", headers=headers).status_code == 200
    underwriter = client.get("/applications", params={"officer": other["id"]},
                             headers=auth_headers["underwriter"]).json()
    assert underwriter["total"] == 0


def test_list_filters_by_outcome_and_tier(client, auth_headers):
    from tests.app.application_documents import risky_application

    headers = auth_headers["loan_officer"]
    _submit(client, headers, good_application())
    _submit(client, headers, risky_application())
    reader = auth_headers["underwriter"]
    assert client.get("/applications", params={"outcome": "decline"},
                      headers=reader).json()["total"] == 1
    low = client.get("/applications", params={"tier": "low"}, headers=reader).json()
    assert [i["risk_tier"] for i in low["items"]] == ["low"]


def test_reading_an_application_is_ledgered(client, auth_headers, engine):
    body = _submit(client, auth_headers["loan_officer"], good_application()).json()
    client.get(f"/applications/{body['id']}", headers=auth_headers["auditor"])
    (event,) = _ledger(engine, "application.viewed")
    assert event.entity_id == body["id"] and event.actor_role == "auditor"


def test_underwriter_decides_a_referral(client, auth_headers, engine):
    body = _submit(client, auth_headers["loan_officer"], good_application(**MEDIUM_RISK)).json()
    code = body["reasons"][0]["code"]
    review = client.post(f"/applications/{body['id']}/review",
                         json={"outcome": "decline", "note": "Income is irregular this year.",
                               "reason_codes": [code]}, headers=auth_headers["underwriter"])
    assert review.status_code == 201
    assert review.json()["kind"] == "review" and review.json()["reasons"][0]["code"] == code
    after = client.get(f"/applications/{body['id']}", headers=auth_headers["underwriter"]).json()
    assert (after["status"], after["outcome"]) == ("reviewed", "decline")
    assert [d["kind"] for d in after["decisions"]] == ["automated", "review"]
    (event,) = _ledger(engine, "decision.review")
    assert json.loads(event.payload)["from_outcome"] == "refer"


def test_a_decline_review_needs_reason_codes_from_the_decision(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], good_application(**MEDIUM_RISK)).json()
    response = client.post(f"/applications/{body['id']}/review",
                           json={"outcome": "decline", "note": "Not convinced by this one.",
                                 "reason_codes": ["RC-MADE-UP"]},
                           headers=auth_headers["underwriter"])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "reason_codes_required"


def test_overriding_an_automated_decline_is_recorded_as_an_override(client, auth_headers,
                                                                    engine):
    from tests.app.application_documents import risky_application

    body = _submit(client, auth_headers["loan_officer"], risky_application()).json()
    response = client.post(f"/applications/{body['id']}/review",
                           json={"outcome": "approve", "note": "Collateral outside the model."},
                           headers=auth_headers["underwriter"])
    # Turning a decline into an approval needs a second underwriter (tests/app/test_reviews.py).
    assert response.status_code == 202, response.text
    response = client.post(f"/approvals/{response.json()['id']}/approve",
                           headers=auth_headers["underwriting_lead"])
    assert response.status_code == 201 and response.json()["kind"] == "override"
    assert len(_ledger(engine, "decision.override")) == 1


def test_failure_after_scoring_leaves_nothing_behind(client, auth_headers, engine, monkeypatch):
    from app.applications import service

    def broken_append(*args, **kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(service, "append_event", broken_append)
    response = _submit(client, auth_headers["loan_officer"], good_application())
    assert response.status_code == 500
    assert _count(engine, Application) == 0
    assert _count(engine, Decision) == 0
    assert _count(engine, ApplicantIdentity) == 0
