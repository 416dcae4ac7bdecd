"""Every stored report is provable against the ledger: its bytes against the hash the ledger
recorded, its rebuild from its input manifest, and the chain up to its creation; a period
report counts the decisions as of a ledger sequence number, so later activity never changes it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.roles import Role
from app.models import AuditEvent, Report
from tests.app import factories as f
from tests.app.test_ledger import _without_triggers
from tests.app.test_reports_api import PERIOD, T0, _create, _pdf, world  # noqa: F401
from tests.compliance.reports.conftest import pdf_text

CO, AU, LO, UW = Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.LOAN_OFFICER, Role.UNDERWRITER
KINDS = {"adverse_action": lambda w: {"kind": "adverse_action", "application_id": w.declined},
         "model_validation": lambda w: {"kind": "model_validation",
                                        "model_version": f.MODEL_VERSION},
         "compliance": lambda w: {"kind": "compliance", **PERIOD}}


def _verify(client, headers, report_id):
    response = client.get(f"/reports/{report_id}/verify", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _cli(*args):
    from app.cli import cli

    return CliRunner().invoke(cli, ["report", "verify", *args])


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_fresh_report_of_each_kind_verifies(client, auth_headers, world, kind):  # noqa: F811
    report = _create(client, auth_headers[CO], **KINDS[kind](world)).json()
    result = _verify(client, auth_headers[AU], report["id"])
    assert result["ok"] is True and result["failed"] == []
    assert set(result["checks"]) == {"bytes_match_ledger", "rebuild_identical", "chain_verified"}
    cli = _cli("--id", str(report["id"]), "--json")
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["ok"] is True
    # The footer names the report and its manifest.
    text = pdf_text(_pdf(client, auth_headers[CO], report["id"]))
    assert f"Report {report['id']} manifest sha256 {report['manifest_sha256']}" in text


def test_verification_is_for_auditors_and_compliance_officers(client, auth_headers, world):  # noqa: F811
    report = _create(client, auth_headers[CO], **KINDS["adverse_action"](world)).json()
    for role in (LO, UW, Role.ADMIN):
        answer = client.get(f"/reports/{report['id']}/verify", headers=auth_headers[role])
        assert answer.status_code == 403, role


def test_a_report_still_verifies_after_the_settings_change(client, auth_headers, world,  # noqa: F811
                                                           monkeypatch):
    from app.config import get_settings

    report = _create(client, auth_headers[CO], **KINDS["adverse_action"](world)).json()
    monkeypatch.setenv("RISKDESK_CREDITOR_NAME", "Another Bank plc")
    monkeypatch.setenv("RISKDESK_CREDITOR_ADDRESS", "2 Other Street, 10115 Berlin")
    get_settings.cache_clear()
    try:
        # The manifest pins the parties printed on the notice: a rebuild does not read settings.
        assert _verify(client, auth_headers[AU], report["id"])["ok"] is True
        newer = _create(client, auth_headers[CO], **KINDS["adverse_action"](world)).json()
        assert "Another Bank plc" in pdf_text(_pdf(client, auth_headers[CO], newer["id"]))
    finally:
        get_settings.cache_clear()


def test_bytes_swapped_with_their_row_hash_are_caught_and_never_served(
        client, auth_headers, world, engine):  # noqa: F811
    genuine = _create(client, auth_headers[CO], **KINDS["adverse_action"](world)).json()
    other = _create(client, auth_headers[CO], **KINDS["compliance"](world)).json()
    with Session(engine) as s:
        forged = s.get(Report, other["id"])
        # Behind the service's back: another PDF, with the row's own hash and size to match.
        s.execute(text("UPDATE reports SET pdf = :pdf, sha256 = :sha, size = :size "
                       "WHERE id = :id"), {"pdf": forged.pdf, "sha": forged.sha256,
                                           "size": forged.size, "id": genuine["id"]})
        s.commit()
    result = _verify(client, auth_headers[AU], genuine["id"])
    assert result["ok"] is False
    assert "bytes_match_ledger" in result["failed"]
    assert result["checks"]["chain_verified"]["ok"] is True
    cli = _cli("--id", str(genuine["id"]))
    assert cli.exit_code == 1 and "NOT verified" in cli.output
    assert "bytes_match_ledger" in cli.output

    refused = client.get(f"/reports/{genuine['id']}/pdf", headers=auth_headers[CO])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "report_integrity"
    with Session(engine) as s:
        events = s.exec(select(AuditEvent).where(
            AuditEvent.action == "report.download_refused")).all()
    assert [e.entity_id for e in events] == [str(genuine["id"])]


def test_a_rewritten_ledger_event_is_named(client, auth_headers, world, engine):  # noqa: F811
    report = _create(client, auth_headers[CO], **KINDS["model_validation"](world)).json()
    with Session(engine) as s:
        [event] = s.exec(select(AuditEvent).where(
            AuditEvent.action == "report.created",
            AuditEvent.entity_id == str(report["id"]))).all()
        seq, payload = event.seq, json.loads(event.payload)
    # Someone rewrites the event to vouch for other bytes: the chain no longer verifies there.
    payload["pdf_sha256"] = "0" * 64
    _without_triggers(engine, "UPDATE audit_events SET payload = :p WHERE seq = :s",
                      {"p": json.dumps(payload), "s": seq})
    result = _verify(client, auth_headers[AU], report["id"])
    assert result["ok"] is False
    assert set(result["failed"]) == {"bytes_match_ledger", "chain_verified"}
    assert f"event {seq}" in result["checks"]["chain_verified"]["detail"]


def test_a_swapped_manifest_is_named(client, auth_headers, world, engine):  # noqa: F811
    report = _create(client, auth_headers[CO], **KINDS["compliance"](world)).json()
    with Session(engine) as s:
        manifest = json.loads(s.get(Report, report["id"]).manifest)
        manifest["input"]["lender_name"] = "Someone Else"
        s.execute(text("UPDATE reports SET manifest = :m WHERE id = :id"),
                  {"m": json.dumps(manifest).encode(), "id": report["id"]})
        s.commit()
    result = _verify(client, auth_headers[AU], report["id"])
    assert result["failed"] == ["rebuild_identical"]
    assert "not the one the ledger recorded" in result["checks"]["rebuild_identical"]["detail"]


def test_a_period_report_counts_what_the_ledger_held_and_rebuilds_the_same_later(
        client, auth_headers, world, engine):  # noqa: F811
    report = _create(client, auth_headers[CO], **KINDS["compliance"](world)).json()
    with Session(engine) as s:
        stored = s.get(Report, report["id"])
        manifest = json.loads(stored.manifest)
        counted = manifest["rows"]["decision_ids"]
        assert manifest["rows"]["as_of_ledger_seq"] == report["ledger_head_seq"]
        assert manifest["software"]["lock_sha256"] is not None
        assert manifest["signing_key_fingerprint"]
        # Later activity in the same period: more decisions.
        f.add_application(s, submitted_by=world.officer, submitted_at=T0 + timedelta(days=5),
                          outcome="decline", reasons=[f.REASON_CHK])
        s.commit()
    again = _create(client, auth_headers[CO], **KINDS["compliance"](world)).json()
    with Session(engine) as s:
        newer = json.loads(s.get(Report, again["id"]).manifest)["rows"]["decision_ids"]
    assert len(newer) == len(counted) + 1 and set(counted) < set(newer)
    # The first report is still proven, rebuilt identically from its manifest.
    assert _verify(client, auth_headers[AU], report["id"])["ok"] is True


def test_a_report_over_a_period_not_yet_ended_is_interim(client, auth_headers, world):  # noqa: F811
    today = datetime.now(UTC).date()
    report = _create(client, auth_headers[CO], kind="compliance",
                     date_from=(today - timedelta(days=3)).isoformat(),
                     date_to=(today + timedelta(days=3)).isoformat()).json()
    text = pdf_text(_pdf(client, auth_headers[CO], report["id"]))
    assert text.count("INTERIM Compliance report") >= 1
    assert "the period had not ended" in text
    ended = _create(client, auth_headers[CO], **KINDS["compliance"](world)).json()
    assert "INTERIM" not in pdf_text(_pdf(client, auth_headers[CO], ended["id"]))
    assert date.fromisoformat(PERIOD["date_to"]) < today


def test_any_pdf_is_identified_by_its_hash_in_the_ledger(client, auth_headers, world,  # noqa: F811
                                                         tmp_path):
    report = _create(client, auth_headers[CO], **KINDS["adverse_action"](world)).json()
    path = tmp_path / "copy.pdf"
    path.write_bytes(_pdf(client, auth_headers[CO], report["id"]))
    found = _cli("--pdf", str(path), "--json")
    assert found.exit_code == 0, found.output
    assert json.loads(found.output) | {"report_id": report["id"], "known": True} == \
        json.loads(found.output)
    path.write_bytes(path.read_bytes() + b"\n%% altered")
    unknown = _cli("--pdf", str(path))
    assert unknown.exit_code == 1 and "unknown" in unknown.output
    assert _cli().exit_code == 2
