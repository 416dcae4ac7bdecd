"""An auditor's whole trail of one application in one call: the ledger events about it, its
decisions with their makers named, its notices and reports (each verified), and the proof that
the events sit in the verified chain; and user ids resolved to names for auditors."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.roles import Role
from app.models import AuditEvent, Report
from tests.app.application_documents import good_application

pytestmark = pytest.mark.usefixtures("active_model")


@pytest.fixture
def declined_then_reviewed(client, auth_headers, users):
    """An approval an underwriter turns into a decline, with its notice generated."""
    officer, underwriter = auth_headers["loan_officer"], auth_headers["underwriter"]
    body = client.post("/applications", json=good_application(), headers=officer).json()
    review = client.post(f"/applications/{body['id']}/review", json={
        "outcome": "decline", "note": "Payslips do not match the stated income.",
        "reason_codes": ["UW-INCOME-UNVERIFIED"]}, headers=underwriter)
    assert review.status_code == 201, review.text
    notices = client.get(f"/applications/{body['id']}/notices", headers=officer).json()
    generated = client.post(f"/notices/{notices[0]['id']}/generate", headers=officer)
    assert generated.status_code == 201, generated.text
    return body["id"]


def _trail(client, headers, application_id):
    response = client.get(f"/applications/{application_id}/trail", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_trail_lists_events_decisions_notices_and_verified_reports_in_order(
        client, auth_headers, users, declined_then_reviewed):
    found = _trail(client, auth_headers["auditor"], declined_then_reviewed)
    actions = [e["action"] for e in found["events"]]
    # The approval, the underwriter's decline (its notice opened with it), the notice built.
    key = [a for a in actions if a in {"application.decided", "notice.opened",
                                        "decision.override", "report.created",
                                        "notice.generated"}]
    assert key == ["application.decided", "notice.opened", "decision.override",
                   "report.created", "notice.generated"]
    seqs = [e["seq"] for e in found["events"]]
    assert seqs == sorted(seqs)
    assert all(e["in_verified_chain"] for e in found["events"])
    # People by name and the role they acted with, not by numeric id.
    underwriter = users[Role.UNDERWRITER]
    automated, review = found["decisions"]
    assert automated["decided_by"]["name"] == "system"
    assert review["decided_by"] == {"id": str(underwriter.id), "name": underwriter.username,
                                    "acted_as": "underwriter"}
    assert review["reason_codes"] == ["UW-INCOME-UNVERIFIED"]
    assert [(n["kind"], n["status"]) for n in found["notices"]] == [("decline", "generated")]
    [report] = found["reports"]
    assert report["verification"]["ok"] is True
    assert found["proof"]["ok"] is True
    assert found["proof"]["events"] == len(found["events"])


def test_the_trails_signed_checkpoint_verifies(client, auth_headers, declined_then_reviewed):
    found = _trail(client, auth_headers["compliance_officer"], declined_then_reviewed)
    checkpoint = found["proof"]["checkpoint"]
    verified = client.post("/audit/verify", json=checkpoint, headers=auth_headers["auditor"])
    assert verified.status_code == 200 and verified.json()["ok"] is True


def test_a_tampered_report_shows_in_the_trail_and_fails_the_command(
        client, auth_headers, engine, declined_then_reviewed):
    with Session(engine) as s:
        [report] = s.exec(select(Report).where(
            Report.application_id == declined_then_reviewed)).all()
        s.execute(text("UPDATE reports SET pdf = :pdf WHERE id = :id"),
                  {"pdf": report.pdf + b"%", "id": report.id})
        s.commit()
    found = _trail(client, auth_headers["auditor"], declined_then_reviewed)
    # The notice is sealed under the applicant's key: altered, it no longer opens.
    assert "bytes_match_ledger" in found["reports"][0]["verification"]["failed"]
    from app.cli import cli

    result = CliRunner().invoke(cli, ["audit", "trail", declined_then_reviewed])
    assert result.exit_code == 1, result.output
    assert "NOT verified" in result.output
    as_json = CliRunner().invoke(cli, ["audit", "trail", declined_then_reviewed, "--json"])
    assert json.loads(as_json.output)["application_id"] == declined_then_reviewed


def test_reading_a_trail_is_recorded(client, auth_headers, engine, declined_then_reviewed):
    _trail(client, auth_headers["auditor"], declined_then_reviewed)
    with Session(engine) as s:
        events = s.exec(select(AuditEvent).where(
            AuditEvent.action == "application.trail_viewed")).all()
    assert [(e.entity_id, e.actor_role) for e in events] == [(declined_then_reviewed, "auditor")]


@pytest.mark.parametrize("role", ["loan_officer", "underwriter", "admin"])
def test_the_trail_is_for_auditors_and_compliance_officers(client, auth_headers, role,
                                                           declined_then_reviewed):
    answer = client.get(f"/applications/{declined_then_reviewed}/trail",
                        headers=auth_headers[role])
    assert answer.status_code == 403


def test_auditors_resolve_a_user_id_to_name_and_role_and_change_nothing(
        client, auth_headers, users):
    underwriter = users[Role.UNDERWRITER]
    answer = client.get(f"/users/{underwriter.id}", headers=auth_headers["auditor"])
    assert answer.status_code == 200
    assert (answer.json()["username"], answer.json()["role"]) == (underwriter.username,
                                                                 "underwriter")
    assert client.get("/users/999999", headers=auth_headers["auditor"]).status_code == 404
    refused = client.patch(f"/users/{underwriter.id}", json={"is_active": False},
                           headers=auth_headers["auditor"])
    assert refused.status_code == 403
    assert client.get(f"/users/{underwriter.id}",
                      headers=auth_headers["loan_officer"]).status_code == 403
