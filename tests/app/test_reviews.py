"""The review queue: cases, their state machine and service levels, four-eyes approvals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.models import AuditEvent, CaseNote, ReviewCase
from app.reviews.service import ageing
from tests.app import factories
from tests.app.application_documents import good_application, risky_application

pytestmark = pytest.mark.usefixtures("active_model")
LO, UW, LEAD, AD = "loan_officer", "underwriter", "underwriting_lead", "admin"
REFERRED = {"crm.checking_balance": "50.00", "bureau.credit_history": "existing_paid_duly",
            "loan.term_months": 30, "crm.savings_balance": "20.00"}


def _submit(client, auth_headers, document):
    response = client.post("/applications", json=document, headers=auth_headers[LO])
    assert response.status_code == 201, response.text
    return response.json()


def _referral(client, auth_headers):
    app = _submit(client, auth_headers, good_application(**REFERRED))
    assert app["outcome"] == "refer"
    cases = client.get("/cases", params={"state": "open"}, headers=auth_headers[UW]).json()
    (case,) = [c for c in cases["items"] if c["application_id"] == app["id"]]
    return app, case


def _review(client, headers, application_id, outcome="approve", **extra):
    body = {"outcome": outcome, "note": "Income verified with the employer.", **extra}
    return client.post(f"/applications/{application_id}/review", json=body, headers=headers)


def _events(engine, action):
    with Session(engine) as s:
        return [json.loads(e.payload) for e in s.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def test_a_referral_opens_a_case_due_by_the_policys_service_level(client, auth_headers):
    app, case = _referral(client, auth_headers)
    assert (case["kind"], case["state"], case["priority"]) == ("referral", "open", 2)
    opened, due = (datetime.fromisoformat(case[k]) for k in ("opened_at", "due_at"))
    assert due - opened == timedelta(hours=48)
    assert case["overdue"] is False and case["assignee_id"] is None
    assert case["detail"]["reason_codes"]


def test_claim_release_and_the_refused_moves(client, auth_headers, users):
    _, case = _referral(client, auth_headers)
    path = f"/cases/{case['id']}"
    # Releasing a case nobody holds is no move of the state machine.
    refused = client.post(f"{path}/release", headers=auth_headers[UW])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "invalid_case_transition"
    claimed = client.post(f"{path}/claim", headers=auth_headers[UW]).json()
    assert (claimed["state"], claimed["assignee_id"]) == ("assigned", str(users[UW].id))
    taken = client.post(f"{path}/claim", headers=auth_headers[LEAD])
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "case_held_elsewhere"
    assert client.post(f"{path}/release", headers=auth_headers[UW]).json()["state"] == "open"
    # A loan officer works no cases.
    assert client.post(f"{path}/claim", headers=auth_headers[LO]).status_code == 403


def test_deciding_a_referral_claims_and_closes_its_case(client, auth_headers, engine, users):
    app, case = _referral(client, auth_headers)
    response = _review(client, auth_headers[UW], app["id"])
    assert response.status_code == 201, response.text
    decided = client.get(f"/cases/{case['id']}", headers=auth_headers[UW]).json()
    assert (decided["state"], decided["decision_id"]) == ("decided", response.json()["id"])
    assert decided["assignee_id"] == str(users[UW].id)
    assert [e["to_state"] for e in _events(engine, "case.claimed")] == ["assigned"]
    # Decided, it is out of the queue of waiting cases.
    waiting = client.get("/cases", params={"state": "open"}, headers=auth_headers[UW]).json()
    assert case["id"] not in {c["id"] for c in waiting["items"]}


def test_a_case_held_by_someone_else_is_not_theirs_to_decide(client, auth_headers):
    app, case = _referral(client, auth_headers)
    client.post(f"/cases/{case['id']}/claim", headers=auth_headers[LEAD])
    response = _review(client, auth_headers[UW], app["id"])
    assert response.status_code == 409 and response.json()["error"]["code"] == \
        "case_held_elsewhere"


def test_escalated_cases_wait_for_a_lead_who_reassigns_them(client, auth_headers, users):
    app, case = _referral(client, auth_headers)
    path = f"/cases/{case['id']}"
    client.post(f"{path}/claim", headers=auth_headers[UW])
    escalated = client.post(f"{path}/escalate", json={"note": "Self-employed, unusual income."},
                            headers=auth_headers[UW]).json()
    assert (escalated["state"], escalated["assignee_id"]) == ("escalated", None)
    response = _review(client, auth_headers[UW], app["id"])
    assert response.json()["error"]["code"] == "case_escalated"
    # Only a lead or an admin hands cases out.
    assert client.post(f"{path}/assign", json={"assignee_id": str(users[UW].id)},
                       headers=auth_headers[UW]).status_code == 403
    bad = client.post(f"{path}/assign", json={"assignee_id": str(users[LO].id)},
                      headers=auth_headers[LEAD])
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "assignee_not_underwriter"
    assigned = client.post(f"{path}/assign", json={"assignee_id": str(users[UW].id)},
                           headers=auth_headers[LEAD]).json()
    assert (assigned["state"], assigned["assignee_id"]) == ("assigned", str(users[UW].id))
    assert _review(client, auth_headers[UW], app["id"]).status_code == 201


def test_notes_are_sealed_and_only_their_digest_reaches_the_ledger(client, auth_headers,
                                                                   engine):
    _, case = _referral(client, auth_headers)
    note = "Spoke to Maria Example's employer: contract renewed to 2028."
    attachment = {"sha256": "a" * 64, "media_type": "application/pdf", "size": 1234}
    response = client.post(f"/cases/{case['id']}/notes",
                           json={"note": note, "attachments": [attachment]},
                           headers=auth_headers[UW])
    assert response.status_code == 201
    detail = client.get(f"/cases/{case['id']}", headers=auth_headers[UW]).json()
    assert detail["notes"][0]["note"] == note and detail["notes"][0]["attachments"] == [
        attachment]
    with Session(engine) as s:
        stored = s.exec(select(CaseNote)).one()
        assert b"Maria" not in stored.note_sealed
        ledger = " ".join(e.payload for e in s.exec(select(AuditEvent)))
    assert "Maria" not in ledger
    (event,) = _events(engine, "case.note_added")
    assert event["attachments"] == ["a" * 64] and len(event["note_sha256"]) == 64
    assert _events(engine, "case.notes_read")


def test_turning_a_decline_into_an_approval_waits_for_a_second_underwriter(
        client, auth_headers, engine, users):
    app = _submit(client, auth_headers, risky_application(**{"loan.amount": "3000.00"}))
    assert app["outcome"] == "decline"
    proposed = _review(client, auth_headers[UW], app["id"])
    assert proposed.status_code == 202, proposed.text
    approval = proposed.json()
    assert approval["rules"] == ["override_decline_to_approve"]
    assert approval["state"] == "pending" and approval["terms"]["monthly_payment"]
    # Until approved, the applicant's outcome does not change.
    assert client.get(f"/applications/{app['id']}",
                      headers=auth_headers[LO]).json()["outcome"] == "decline"
    # The maker can never be the checker; nor may an admin check.
    own = client.post(f"/approvals/{approval['id']}/approve", headers=auth_headers[UW])
    assert own.status_code == 403 and own.json()["error"]["code"] == "four_eyes_same_person"
    assert client.post(f"/approvals/{approval['id']}/approve",
                       headers=auth_headers[AD]).status_code == 403
    waiting = client.get("/approvals", params={"mine_to_check": True},
                         headers=auth_headers[LEAD]).json()
    assert [a["id"] for a in waiting] == [approval["id"]]
    decided = client.post(f"/approvals/{approval['id']}/approve", headers=auth_headers[LEAD])
    assert decided.status_code == 201, decided.text
    decision = decided.json()
    assert (decision["kind"], decision["outcome"]) == ("override", "approve")
    # Terms computed by the rules of an automated approval, as proposed.
    assert decision["terms"] == approval["terms"]
    after = client.get(f"/applications/{app['id']}", headers=auth_headers[LO]).json()
    assert after["outcome"] == "approve"
    (event,) = _events(engine, "decision.override")
    assert event["four_eyes"] == {"approval_id": approval["id"], "maker": str(users[UW].id),
                                  "checker": str(users[LEAD].id)}
    again = client.post(f"/approvals/{approval['id']}/approve", headers=auth_headers[LEAD])
    assert again.status_code == 409


def test_an_approval_above_the_policy_amount_needs_a_checker_and_can_be_sent_back(
        client, auth_headers, engine):
    app = _submit(client, auth_headers, good_application(**{**REFERRED,
                                                            "loan.amount": "6000.00"}))
    assert app["outcome"] == "refer"
    proposed = _review(client, auth_headers[UW], app["id"])
    assert proposed.status_code == 202
    approval = proposed.json()
    assert approval["rules"] == ["approval_above_four_eyes_amount"]
    (case,) = client.get("/cases", params={"state": "pending_approval"},
                         headers=auth_headers[UW]).json()["items"]
    # While it waits, nobody decides the case again.
    assert _review(client, auth_headers[UW], app["id"]).json()["error"]["code"] == \
        "approval_pending"
    sent_back = client.post(f"/approvals/{approval['id']}/reject",
                            json={"note": "Ask for the last three payslips first."},
                            headers=auth_headers[LEAD])
    assert sent_back.status_code == 200 and sent_back.json()["state"] == "rejected"
    case = client.get(f"/cases/{case['id']}", headers=auth_headers[UW]).json()
    assert case["state"] == "assigned" and "payslips" in case["notes"][0]["note"]
    assert client.get(f"/applications/{app['id']}",
                      headers=auth_headers[LO]).json()["outcome"] == "refer"
    # Declining needs no second person.
    declined = _review(client, auth_headers[UW], app["id"], outcome="decline",
                       reason_codes=[app["reasons"][0]["code"]])
    assert declined.status_code == 201, declined.text


def test_a_proposal_overtaken_by_another_decision_is_withdrawn_not_applied(
        client, auth_headers):
    app = _submit(client, auth_headers, good_application(**{**REFERRED,
                                                            "loan.amount": "6000.00"}))
    approval = _review(client, auth_headers[UW], app["id"]).json()
    with pytest.MonkeyPatch.context() as patch:
        from app.applications import repository

        real = repository.decisions_of

        def with_a_later_one(session, application_id):
            rows = real(session, application_id)
            later = rows[-1].model_copy(update={"id": "f" * 32})
            return [*rows, later]

        patch.setattr(repository, "decisions_of", with_a_later_one)
        stale = client.post(f"/approvals/{approval['id']}/approve", headers=auth_headers[LEAD])
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "approval_stale"
    listed = client.get("/approvals", params={"state": "withdrawn"},
                        headers=auth_headers[UW]).json()
    assert [a["id"] for a in listed] == [approval["id"]]


def test_the_queue_filters_and_sorts_by_ageing(client, auth_headers, engine):
    first, _ = _referral(client, auth_headers)
    second, _ = _referral(client, auth_headers)
    with Session(engine) as s:
        case = s.exec(select(ReviewCase).where(ReviewCase.application_id == second["id"])).one()
        case.opened_at = case.opened_at - timedelta(days=3)
        case.due_at = case.due_at - timedelta(days=3)
        s.add(case)
        s.commit()
    listed = client.get("/cases", headers=auth_headers[UW]).json()["items"]
    assert [c["application_id"] for c in listed][:2] == [second["id"], first["id"]]
    overdue = client.get("/cases", params={"overdue": True}, headers=auth_headers[UW]).json()
    assert [c["application_id"] for c in overdue["items"]] == [second["id"]]
    figures = client.get("/cases/ageing", headers=auth_headers["compliance_officer"]).json()
    bands = {b["band"]: b["cases"] for b in figures["open_by_age_band"]}
    assert (figures["open_total"], figures["overdue"]) == (2, 1)
    assert bands["under 24 hours"] == 1 and bands["2-7 days"] == 1


def test_ageing_counts_a_case_as_waiting_until_its_decision(engine):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [(t0, t0 + timedelta(hours=48), t0 + timedelta(hours=10)),
            (t0, t0 + timedelta(hours=48), None),
            (t0 + timedelta(days=1), t0 + timedelta(days=3), t0 + timedelta(days=5))]
    with Session(engine) as s:
        for i, (opened, due, decided) in enumerate(rows):
            application, _ = factories.add_application(s, submitted_by="1", submitted_at=opened,
                                                       outcome="refer", status="referred")
            s.add(ReviewCase(id=f"CASE-AGE-{i}", application_id=application.id,
                             kind="referral", state="decided" if decided else "open",
                             priority=2, opened_at=opened, due_at=due, decided_at=decided,
                             detail={}))
        s.commit()
        early = ageing(s, as_of=t0 + timedelta(hours=5))
        assert (early.open_total, early.decided) == (2, 0)  # the third not yet opened
        assert dict(early.open_by_age_band)["under 24 hours"] == 2
        later = ageing(s, as_of=t0 + timedelta(days=4), since=t0)
    assert (later.open_total, later.overdue, later.decided) == (2, 2, 1)
    assert dict(later.open_by_age_band) == {"under 24 hours": 0, "1-2 days": 0,
                                            "2-7 days": 2, "over 7 days": 0}
    assert later.median_hours_to_decision == 10.0
