"""Erasure by crypto-shredding, on both backends: two different admins, refused under a legal
hold, while a notice is owed, or inside the retention period without saying so; and after it the
records stay usable while the personal data cannot be read by anyone."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.auth.principal import Principal
from app.auth.roles import Role
from app.cli import cli
from app.models import ApplicantIdentity, AuditEvent, DataSubject, Decision, Report
from app.subjects import crypto, keys
from app.subjects import service as subjects
from tests.app import reviewing
from tests.app.application_documents import good_application, risky_application
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.usefixtures("active_model")

REASON = "Erasure request DSR-2026-0042"
ACK = {"reason": REASON, "acknowledge_retention": True}


@pytest.fixture
def second_admin(engine, settings_env):
    """Another admin: the checker to the seeded admin's maker."""
    from app.auth.security import create_access_token
    from app.db import session_scope
    from app.users.service import create_user

    with session_scope(engine) as session:
        user = create_user(session, Principal.system("test-setup"), username="admin-two",
                           password=TEST_PASSWORD, role=Role.ADMIN)
        user_id = user.id
    token, _ = create_access_token(settings_env, user_id=user_id, role="admin")
    return {"Authorization": f"Bearer {token}"}


def _submit(client, headers, document):
    response = client.post("/applications", json=document, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _erase(client, headers, subject_id, body=None):
    return client.request("DELETE", f"/subjects/{subject_id}", json=body or ACK,
                          headers=headers)


def _events(engine, action):
    with Session(engine) as session:
        return [json.loads(e.payload) for e in session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def _code(response):
    return response.json()["error"]["code"]


def test_erasure_needs_a_second_different_admin(client, auth_headers, second_admin, engine):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    subject_id, admin = body["subject_id"], auth_headers["admin"]

    requested = _erase(client, admin, subject_id)
    assert requested.status_code == 202, requested.text
    assert requested.json()["status"] == "pending"
    assert requested.json()["subject"]["personal_data"] == "held"

    again = _erase(client, admin, subject_id)
    assert again.status_code == 403 and _code(again) == "four_eyes_same_person"
    assert client.get(f"/subjects/{subject_id}", headers=admin).json()["personal_data"] == "held"

    approved = _erase(client, second_admin, subject_id)
    assert approved.status_code == 200, approved.text
    result = approved.json()
    assert result["status"] == "executed" and result["subject"]["personal_data"] == "erased"
    assert result["request"]["approved_by"] != result["request"]["requested_by"]
    assert result["subject"]["shred_cause"] == "erasure"

    [asked] = _events(engine, "subject.erasure_requested")
    assert asked["within_retention"] is True and "reason" not in asked
    [shredded] = _events(engine, "subject.shredded")
    assert shredded == {"cause": "erasure", "application_ids": [body["id"]],
                        "request_id": result["request"]["id"]}
    gone = _erase(client, admin, subject_id)
    assert gone.status_code == 409 and _code(gone) == "already_erased"


def test_an_api_key_is_nobodys_second_pair_of_eyes(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    created = client.post("/api-keys", json={"name": "ops", "role": "admin"},
                          headers=auth_headers["admin"]).json()
    response = _erase(client, {"X-API-Key": created["api_key"]}, body["subject_id"])
    assert response.status_code == 403 and _code(response) == "four_eyes_person_required"


def test_erasure_inside_the_retention_period_must_be_acknowledged(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    response = _erase(client, auth_headers["admin"], body["subject_id"], {"reason": REASON})
    assert response.status_code == 409 and _code(response) == "within_retention"
    assert response.json()["error"]["details"]["retained_until"]


def test_erasure_is_refused_while_a_notice_is_owed(client, auth_headers):
    body = _submit(client, auth_headers["loan_officer"], risky_application())
    assert body["adverse_action"] == "decline"
    response = _erase(client, auth_headers["admin"], body["subject_id"])
    assert response.status_code == 409 and _code(response) == "notice_still_owed"


def test_a_legal_hold_blocks_erasure_until_released(client, auth_headers, second_admin,
                                                     engine):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    subject_id, admin = body["subject_id"], auth_headers["admin"]
    assert _erase(client, admin, subject_id).status_code == 202  # requested before the hold

    hold = client.put(f"/subjects/{subject_id}/legal-hold", json={"reason": "Case 2026-CV-118"},
                      headers=auth_headers["compliance_officer"])
    assert hold.status_code == 200 and hold.json()["legal_hold"]["reason"] == "Case 2026-CV-118"
    twice = client.put(f"/subjects/{subject_id}/legal-hold", json={"reason": "Case 2026-CV-118"},
                       headers=admin)
    assert twice.status_code == 409 and _code(twice) == "legal_hold_already_set"
    blocked = _erase(client, second_admin, subject_id)
    assert blocked.status_code == 409 and _code(blocked) == "legal_hold"

    released = client.request("DELETE", f"/subjects/{subject_id}/legal-hold",
                              json={"reason": "Case 2026-CV-118 closed"}, headers=admin)
    assert released.status_code == 200 and released.json()["legal_hold"] is None
    assert _erase(client, second_admin, subject_id).status_code == 200
    assert len(_events(engine, "subject.legal_hold_set")) == 1
    assert len(_events(engine, "subject.legal_hold_released")) == 1


def test_subjects_are_found_by_national_id_or_by_name_and_birth_date(client, auth_headers,
                                                                      engine):
    officer = auth_headers["loan_officer"]
    first = _submit(client, officer, good_application())
    second = _submit(client, officer, good_application(**{"loan.amount": "2000.00"}))
    _submit(client, officer, good_application(**{"kyc.national_id": "Z9999999",
                                                 "kyc.full_name": "Kim Other"}))
    expected = [{"subject_id": first["subject_id"],
                 "application_ids": sorted([first["id"], second["id"]])}]
    by_id = client.post("/subjects/search", json={"national_id": "t22-000-129"},
                        headers=auth_headers["admin"])
    assert by_id.status_code == 200 and by_id.json() == expected
    by_name = client.post("/subjects/search", json={"full_name": "  alex   EXAMPLE ",
                                                    "date_of_birth": "1980-05-17"},
                          headers=auth_headers["compliance_officer"])
    assert by_name.json() == expected
    searches = _events(engine, "subject.searched")
    assert searches[0] == {"by": ["national_id"], "subject_ids": [first["subject_id"]]}
    assert "T22000129" not in json.dumps(searches)


def _decline_notified_then_approved(client, auth_headers):
    """A declined application whose notice was generated and delivered, then approved by an
    underwriter with a note: identity, note and notice are all sealed."""
    officer = auth_headers["loan_officer"]
    body = _submit(client, officer, risky_application())
    notice = client.post("/reports", json={"kind": "adverse_action",
                                           "application_id": body["id"]}, headers=officer)
    assert notice.status_code == 201, notice.text
    delivered = client.post(f"/notices/{body['notices'][0]['id']}/delivery",
                            json={"channel": "mail"}, headers=officer)
    assert delivered.status_code == 200, delivered.text
    review = reviewing.review(client, auth_headers, body["id"], {
        "outcome": "approve", "note": "Collateral outside the model."})
    assert review.status_code == 201, review.text
    return body, notice.json()["id"]


def test_after_erasure_the_records_work_and_the_personal_data_is_unreadable(
        client, auth_headers, second_admin, engine, settings_env):
    body, report_id = _decline_notified_then_approved(client, auth_headers)
    # Others, so that each attribute the audit compares has two groups at least (with one, the
    # audit fails: a separate, older matter).
    for i, (sex, married, nationality) in enumerate((("male", "married", "FR"),
                                                     ("female", "unmarried", "DE"),
                                                     ("male", "married", "DE"))):
        _submit(client, auth_headers["loan_officer"], good_application(**{
            "kyc.national_id": f"P{i}000000", "kyc.full_name": f"Person {i}",
            "kyc.date_of_birth": f"{1960 + 15 * i}-02-01", "monitoring.sex": sex,
            "monitoring.marital_status": married, "monitoring.nationality": nationality}))
    subject_id = body["subject_id"]
    with Session(engine) as session:
        wrapped = session.get(DataSubject, subject_id).wrapped_key
        sealed = {"identity": session.get(ApplicantIdentity, body["id"]).sealed,
                  "note": session.exec(select(Decision).where(
                      col(Decision.note_sealed).is_not(None))).one().note_sealed,
                  "notice": session.get(Report, report_id).pdf}
    assert _erase(client, auth_headers["admin"], subject_id).status_code == 202
    assert _erase(client, second_admin, subject_id).status_code == 200

    # The application still reads: decisions, reasons, terms; its personal data reads as erased.
    shown = client.get(f"/applications/{body['id']}", headers=auth_headers["underwriter"])
    assert shown.status_code == 200, shown.text
    application = shown.json()
    assert application["personal_data"] == "erased" and application["outcome"] == "approve"
    assert application["decisions"][0]["reasons"] == body["reasons"]
    review = application["decisions"][-1]
    assert review["note"] is None and review["note_erased"] is True

    # A review would seal its note under the destroyed key: refused.
    again = client.post(f"/applications/{body['id']}/review", headers=auth_headers[
        "underwriter"], json={"outcome": "decline", "note": "Collateral fell through.",
                              "reason_codes": [body["reasons"][0]["code"]]})
    assert again.status_code == 410 and _code(again) == "personal_data_erased"

    # A notice cannot be addressed to no one; a stored one cannot be opened.
    notice = client.post("/reports", json={"kind": "adverse_action",
                                           "application_id": body["id"]},
                         headers=auth_headers["compliance_officer"])
    assert notice.status_code == 410 and _code(notice) == "personal_data_erased"
    stored = client.get(f"/reports/{report_id}/pdf", headers=auth_headers["compliance_officer"])
    assert stored.status_code == 410 and _code(stored) == "personal_data_erased"
    # Verification says so plainly: the notice cannot be opened or rebuilt any more; the chain
    # up to its creation still verifies.
    verified = client.get(f"/reports/{report_id}/verify", headers=auth_headers["auditor"]).json()
    assert verified["ok"] is False and verified["failed"] == ["personal_data"]
    assert verified["checks"]["chain_verified"]["ok"] is True

    # The ledger verifies, the decision replays identically, fairness still computes.
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0
    replay = client.get(f"/applications/{body['id']}/replay", headers=auth_headers["auditor"])
    assert replay.status_code == 200 and replay.json()["identical"] is True
    today = datetime.now(UTC).date().isoformat()
    audit = client.post("/fairness/audits", json={"source": "decisions", "date_from": today,
                                                  "date_to": today, "n_boot": 10},
                        headers=auth_headers["compliance_officer"])
    assert audit.status_code == 201, audit.text
    assert audit.json()["result"]["overall"]["count"] == 4

    # The sealed bytes are still there, and nothing opens them: the wrapped key is gone.
    with Session(engine) as session:
        assert session.get(DataSubject, subject_id).wrapped_key is None
        assert session.get(ApplicantIdentity, body["id"]).sealed == sealed["identity"]
        assert session.get(Report, report_id).pdf == sealed["notice"]
        with pytest.raises(subjects.PersonalDataErased):
            subjects.identity_of(session, settings_env, body["id"])
    binding = subjects.identity_binding(body["id"]).associated_data(subject_id)
    for master in keys.keyring(settings_env).keys.values():
        with pytest.raises(crypto.SealedValueError):
            crypto.open_sealed(master, sealed["identity"], binding)
    if engine.dialect.name == "sqlite":
        direct = sqlite3.connect(engine.url.database, isolation_level=None)
        # A checkpoint that meets a reader (the service's own checkpoint thread, say) reports
        # busy and leaves the log as it was: repeat until one completes.
        for _ in range(100):
            if direct.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0:
                break
            time.sleep(0.05)
        direct.close()
        files = b"".join(Path(f"{engine.url.database}{s}").read_bytes()
                         for s in ("", "-wal") if Path(f"{engine.url.database}{s}").exists())
        assert wrapped not in files  # the destroyed key left no copy in the file


def test_a_person_returning_after_erasure_is_a_new_subject(client, auth_headers, second_admin):
    first = _submit(client, auth_headers["loan_officer"], good_application())
    _erase(client, auth_headers["admin"], first["subject_id"])
    assert _erase(client, second_admin, first["subject_id"]).status_code == 200
    again = _submit(client, auth_headers["loan_officer"], good_application())
    assert again["subject_id"] != first["subject_id"] and again["personal_data"] == "held"


def test_the_command_line_erases_with_two_named_admins(client, auth_headers, second_admin,
                                                       engine):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    runner = CliRunner()
    command = ["subjects", "erase", body["subject_id"], "--reason", REASON,
               "--acknowledge-retention"]
    requested = runner.invoke(cli, [*command, "--as", "admin"])
    assert requested.exit_code == 0 and "erasure requested" in requested.output
    refused = runner.invoke(cli, [*command, "--as", "admin"])
    assert refused.exit_code == 2 and "four_eyes_same_person" in refused.output
    officer = runner.invoke(cli, [*command, "--as", "loan-officer"])
    assert officer.exit_code == 2 and "role_not_allowed" in officer.output
    approved = runner.invoke(cli, [*command, "--as", "admin-two"])
    assert approved.exit_code == 0 and "key destroyed" in approved.output, approved.output
    with Session(engine) as session:
        assert session.get(DataSubject, body["subject_id"]).shredded_at is not None


def test_the_command_line_sets_and_releases_legal_holds(client, auth_headers, engine):
    body = _submit(client, auth_headers["loan_officer"], good_application())
    runner = CliRunner()
    held = runner.invoke(cli, ["subjects", "hold", body["subject_id"], "--reason",
                               "Case 2026-CV-118", "--as", "compliance-officer"])
    assert held.exit_code == 0, held.output
    with Session(engine) as session:
        assert session.get(DataSubject, body["subject_id"]).legal_hold_since is not None
    released = runner.invoke(cli, ["subjects", "release", body["subject_id"], "--reason",
                                   "Case 2026-CV-118 closed", "--as", "admin"])
    assert released.exit_code == 0, released.output
    with Session(engine) as session:
        assert session.get(DataSubject, body["subject_id"]).legal_hold_since is None
