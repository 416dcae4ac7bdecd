"""Reports through the API: content checked against the database, reproducible bytes, the
ledger events of creation and download, and who may create and read which report."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import Session

from app.auth.roles import Role
from app.models import AuditEvent, Report
from tests.app import factories as f
from tests.compliance.reports.conftest import pdf_text

LO, UW, CO, AU, AD = (Role.LOAN_OFFICER, Role.UNDERWRITER, Role.COMPLIANCE_OFFICER,
                      Role.AUDITOR, Role.ADMIN)
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
COUNTEROFFER = {"amount": "3500.00", "currency": "EUR", "term_months": 48, "apr": "0.099",
                "monthly_payment": "88.43", "max_affordable_amount": "3600.00",
                "affordable": True}


@pytest.fixture
def world(engine, users):
    """A model, a policy and applications of two loan officers with known decisions."""
    officer, other = str(users[LO].id), str(users[UW].id)
    with Session(engine, expire_on_commit=False) as s:
        f.add_model(s)
        f.add_policy(s)
        declined, _ = f.add_application(
            s, submitted_by=officer, submitted_at=T0, outcome="decline", score=512.0,
            reasons=[f.REASON_CHK, f.REASON_DUR, f.REASON_HIS])
        countered, _ = f.add_application(
            s, submitted_by=officer, submitted_at=T0 + timedelta(hours=1), outcome="decline",
            risk_tier="low", score=612.0, counteroffer=COUNTEROFFER,
            reasons=[{"code": "KO-DTI", "statement": "Payments on this loan and existing debts "
                      "would exceed 40% of income"}],
            knockouts=[{"code": "KO-DTI", "action": "decline", "statement": "Payments on this "
                        "loan and existing debts would exceed 40% of income"}])
        others, _ = f.add_application(s, submitted_by=other, submitted_at=T0, outcome="decline",
                                      score=500.0, reasons=[f.REASON_HIS])
        approved, _ = f.add_application(s, submitted_by=officer, submitted_at=T0,
                                        outcome="approve", risk_tier="low", score=650.0)
        ids = SimpleNamespace(declined=declined.id, countered=countered.id, others=others.id,
                              approved=approved.id, officer=officer)
        s.commit()
    return ids


def _create(client, headers, **body):
    return client.post("/reports", json=body, headers=headers)


def _pdf(client, headers, report_id) -> bytes:
    response = client.get(f"/reports/{report_id}/pdf", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def _events(engine, action: str, entity_id: str | int | None = None) -> list[AuditEvent]:
    from app.audit.repository import search_events

    with Session(engine, expire_on_commit=False) as s:
        events, _ = search_events(s, action=action, limit=1000,
                                  entity_id=None if entity_id is None else str(entity_id))
    return events


def _event_hash(engine, seq: int) -> str:
    with Session(engine, expire_on_commit=False) as s:
        return s.get(AuditEvent, seq).hash


# --- Content --------------------------------------------------------------------------------------


def test_adverse_action_notice_states_reasons_score_range_and_ledger_head(
        client, auth_headers, world, engine, settings_env):
    created = _create(client, auth_headers[CO], kind="adverse_action",
                      application_id=world.declined)
    assert created.status_code == 201, created.text
    report = created.json()
    text = pdf_text(_pdf(client, auth_headers[CO], report["id"]))

    for reason in (f.REASON_CHK, f.REASON_DUR, f.REASON_HIS):
        assert f"{reason['statement']} (reason code {reason['code']})" in text
    assert f.IDENTITY["full_name"] in text
    assert "12 Sample Lane" in text and "62704 Springfield" in text
    assert settings_env.creditor_name in text and settings_env.supervising_agency_name in text
    assert settings_env.consumer_reporting_agency_name in text
    assert "free copy of your report" in " ".join(text.split())
    low, high = f.score_bounds(f.scorecard())
    assert "Your credit score: 512." in text
    assert f"Scores range from a low of {math.floor(low)} to a high of {math.ceil(high)}" in text
    assert "Date the score was created: March 2, 2026" in text
    assert "Key factors that adversely affected your credit score: Checking account" in text
    seq, head = report["ledger_head_seq"], report["ledger_head_hash"]
    assert f"Ledger head seq {seq} hash {head}" in text
    assert _event_hash(engine, seq) == head
    assert report["parameters"]["application_id"] == world.declined


def test_counteroffer_notice_states_the_offered_terms(client, auth_headers, world):
    created = _create(client, auth_headers[CO], kind="adverse_action",
                      application_id=world.countered)
    assert created.status_code == 201, created.text
    text = pdf_text(_pdf(client, auth_headers[CO], created.json()["id"]))
    assert "we can offer you credit on the terms below" in text
    for term in ("Amount: EUR 3,500.00", "Term: 48 months", "Annual percentage rate: 9.90%",
                 "Monthly payment: EUR 88.43"):
        assert term in text
    assert "(reason code KO-DTI)" in text


def test_knockout_decline_states_its_knockouts_first(client, auth_headers, world, engine):
    with Session(engine, expire_on_commit=False) as s:
        app, _ = f.add_application(s, submitted_by=world.officer, submitted_at=T0,
                                   outcome="decline", reasons=[f.REASON_CHK],
                                   knockouts=[f.KNOCKOUT_SANCTIONS])
        s.commit()
    created = _create(client, auth_headers[CO], kind="adverse_action", application_id=app.id)
    text = pdf_text(_pdf(client, auth_headers[CO], created.json()["id"]))
    assert ("1. Sanctions screening confirmed a match (reason code KO-SANCTIONS-MATCH) "
            "2. Checking account balance below 0 (reason code RC-CHK-01)") in text


def test_no_notice_when_the_current_decision_is_not_adverse(client, auth_headers, world, engine,
                                                            users):
    with Session(engine, expire_on_commit=False) as s:
        from app.models import Application

        overridden = s.get(Application, world.others)
        f.change_outcome(s, overridden, kind="override", outcome="approve",
                         at=T0 + timedelta(days=1), by=str(users[UW].id), role="underwriter",
                         note="verified income")
        s.commit()
    for application_id in (world.approved, world.others):
        response = _create(client, auth_headers[CO], kind="adverse_action",
                           application_id=application_id)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "no_adverse_action"


def test_model_validation_report_shows_data_bins_performance_and_fairness(
        client, auth_headers, world, engine):
    created = _create(client, auth_headers[CO], kind="model_validation",
                      model_version=f.MODEL_VERSION)
    assert created.status_code == 201, created.text
    report = created.json()
    text = pdf_text(_pdf(client, auth_headers[CO], report["id"]))
    with Session(engine, expire_on_commit=False) as s:
        from app.models import ScoringModel

        model = s.get(ScoringModel, 1)
        metrics, validation = json.loads(model.metrics), json.loads(model.validation)
    assert f.MODEL_VERSION in text and model.data_sha256 in text
    for name, rows in validation["binning_tables"].items():
        assert name in text
        for row in rows:
            assert row["bin"] in text
    assert f"AUC (out of fold) {metrics['oof_auc']:.3f}" in text
    assert f"Hold-out AUC {metrics['holdout_auc']:.3f}" in text
    assert f"{metrics['n_rows']:,} decisions, overall approval rate" in text
    assert "Sex (sex)" in text and "Age band (age_band)" in text
    assert "National origin (national_origin)" in text
    assert "Deutsche Mark" in text and "no reject inference" in text
    # The policy's cut-offs, shifted in the sensitivity table; no one has validated it yet.
    assert (f"Cut-offs as set: low (approve) from {f.APPROVE_FROM:.1f}, medium (refer) from "
            f"{f.DECLINE_BELOW:.1f}") in text
    assert "Not yet validated" in text and "Ongoing monitoring plan" in text
    # The method and each characteristic's coefficient, from the deployed artifact.
    artifact = json.loads(model.artifact)
    assert "Method and coefficients" in text and "weight of evidence" in text
    assert f"Intercept {artifact['intercept']:.4f}" in text
    for characteristic in artifact["characteristics"]:
        assert f"{characteristic['name']} {characteristic['coefficient']:.4f}" in text
    assert report["parameters"]["policy_version"] == f.POLICY_VERSION
    assert f"Ledger head seq {report['ledger_head_seq']} hash {report['ledger_head_hash']}" in text


def test_validation_report_of_the_bundled_model_benchmarks_it_and_explains_its_reversals(
        client, auth_headers, active_model, engine):
    version, _ = active_model
    created = _create(client, auth_headers[CO], kind="model_validation", model_version=version)
    assert created.status_code == 201, created.text
    text = pdf_text(_pdf(client, auth_headers[CO], created.json()["id"]))
    from app.scoring.repository import model_by_version

    with Session(engine) as s:
        model = model_by_version(s, version)
        metrics, artifact = json.loads(model.metrics), json.loads(model.artifact)
    # Every method on the model's own folds, with the gap to the model.
    own = metrics["benchmarks"][0]
    for row in metrics["benchmarks"]:
        assert f"{row['name']}" in text and f"{row['auc']:.3f} ± {row['auc_std']:.3f}" in text
        if row is not own:
            assert f"{row['auc'] - own['auc']:+.3f}" in text
    # Development against hold-out rows: the score and each characteristic.
    assert f"Score PSI {metrics['stability']['score_psi']:.4f}: stable" in text
    scored = set(artifact["metadata"]["features"])
    for characteristic in metrics["stability"]["characteristics"]:
        line = f"{characteristic['name']} {characteristic['csi']:.4f}"
        assert (line in text) == (characteristic["name"] in scored), line
    # The data's known reversal, with the reason it is kept.
    assert "Counter-intuitive bins" in text
    assert "critical account / other credits existing elsewhere" in text
    assert "reflects past selection" in text
    assert "No rationale is recorded" not in text


def test_compliance_report_counts_decisions_overrides_reasons_and_verifies_ledger(
        client, auth_headers, world, engine, users, settings_env):
    from app.audit.service import public_key
    from app.models import Application

    with Session(engine, expire_on_commit=False) as s:
        referred, _ = f.add_application(s, submitted_by=world.officer, status="referred",
                                        outcome="refer", submitted_at=T0, risk_tier="medium",
                                        score=570.0, reasons=[f.REASON_DUR])
        f.change_outcome(s, referred, kind="review", outcome="decline",
                         at=T0 + timedelta(days=2), by=str(users[UW].id), role="underwriter",
                         note="income not verified", reasons=[f.REASON_DUR])
        f.change_outcome(s, s.get(Application, world.others), kind="override",
                         outcome="approve", at=T0 + timedelta(days=3), by=str(users[UW].id),
                         role="underwriter", note="collateral pledged")
        # Outside the period: must not be counted.
        f.add_application(s, submitted_by=world.officer, outcome="decline",
                          submitted_at=datetime(2026, 2, 28, 23, 59, tzinfo=UTC),
                          reasons=[f.REASON_CHK])
        s.commit()
    created = _create(client, auth_headers[CO], kind="compliance", **PERIOD)
    assert created.status_code == 201, created.text
    report = created.json()
    text = pdf_text(_pdf(client, auth_headers[CO], report["id"]))

    # Automated decisions in March: the world's 3 declines and 1 approval, and the referral.
    assert "5 decisions were made in the period." in text
    assert "decline 3 60.0% approve 1 20.0% refer 1 20.0% Total 5 100.0%" in text
    assert "high 2 40.0% low 2 40.0% medium 1 20.0% Total 5 100.0%" in text
    assert ("2 of 5 decisions were decided or changed by an underwriter (40.00%)"
            in " ".join(text.split()))
    # Reviews and overrides are stated by their reason codes; underwriters' notes are free text
    # that may name the applicant, and never appear in a period report.
    assert "Review of a referral: RC-DUR-03" in text and "no reason code" in text
    assert "income not verified" not in text and "collateral pledged" not in text
    # RC-DUR-03: the declined application, the referral and its review.
    assert re.search(r"RC-DUR-03 Requested loan term of 24 months or more 3\b", text)
    assert re.search(r"RC-CHK-01 Checking account balance below 0 1\b", text)
    seq, head = report["ledger_head_seq"], report["ledger_head_hash"]
    assert "OK: every event re-hashes to the stored chain" in text
    assert f"Events verified {seq:,}" in text
    assert public_key(settings_env)["fingerprint"] in text
    assert f"Ledger head seq {seq} hash {head}" in text
    # Current outcomes of the 5 applications: the approval and the overridden decline approve.
    assert "5 decisions, overall approval rate 40.0%" in text


def test_the_checkpoint_printed_in_a_compliance_report_verifies_as_printed(
        client, auth_headers, world, settings_env):
    from app.audit.service import public_key

    report = _create(client, auth_headers[CO], kind="compliance", **PERIOD).json()
    text = pdf_text(_pdf(client, auth_headers[CO], report["id"]))
    block = re.search(r'\{ "head_seq".*?\}', text)
    assert block is not None, "no copyable checkpoint block in the report"
    printed = json.loads(block.group(0))
    assert printed["head_seq"] == report["ledger_head_seq"]
    verified = client.post("/audit/verify", json=printed, headers=auth_headers[AU])
    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"] is True and verified.json()["checkpoint_is_prefix"] is True
    # The key that verifies it is printed too.
    pem = public_key(settings_env)["public_key_pem"].strip()
    assert " ".join(pem.split()) in text


# --- Reproducibility and the ledger ---------------------------------------------------------------


def test_rebuilding_a_report_gives_identical_bytes(client, auth_headers, world, engine,
                                                   settings_env):
    from app.reports.building import rebuild
    from app.reports.service import manifest_of, pdf_of

    bodies = [{"kind": "adverse_action", "application_id": world.declined},
              {"kind": "model_validation", "model_version": f.MODEL_VERSION},
              {"kind": "compliance", **PERIOD}]
    ids = [_create(client, auth_headers[CO], **body).json()["id"] for body in bodies]
    for report_id in ids:  # downloads move the ledger on; reports stay pinned to their head
        _pdf(client, auth_headers[CO], report_id)
    with Session(engine, expire_on_commit=False) as s:
        for report_id in ids:
            stored = s.get(Report, report_id)
            assert rebuild(manifest_of(s, settings_env, stored), stored.id) == \
                pdf_of(s, settings_env, stored), stored.kind


def test_downloads_match_the_stored_sha256_and_each_is_ledgered(client, auth_headers, world,
                                                                 engine):
    report = _create(client, auth_headers[CO], kind="adverse_action",
                     application_id=world.declined).json()
    first = _pdf(client, auth_headers[CO], report["id"])
    second = _pdf(client, auth_headers[AU], report["id"])
    assert hashlib.sha256(first).hexdigest() == report["sha256"] == \
        hashlib.sha256(second).hexdigest()
    assert len(first) == report["size"]
    events = _events(engine, "report.downloaded", report["id"])
    assert [(e.actor_role, json.loads(e.payload)["sha256"]) for e in events] == [
        ("compliance_officer", report["sha256"]), ("auditor", report["sha256"])]


def test_creation_is_ledgered_with_the_sha256_and_ledger_head(client, auth_headers, world,
                                                              engine):
    report = _create(client, auth_headers[CO], kind="compliance", **PERIOD).json()
    [event] = _events(engine, "report.created", report["id"])
    payload = json.loads(event.payload)
    assert payload["pdf_sha256"] == report["sha256"] and payload["kind"] == "compliance"
    assert payload["manifest_sha256"] == report["manifest_sha256"]
    assert payload["ledger_head_seq"] == report["ledger_head_seq"] == event.seq - 1
    assert payload["ledger_head_hash"] == report["ledger_head_hash"] == event.prev_hash
    assert payload["parameters"]["date_from"] == PERIOD["date_from"]


# --- Who may do what ------------------------------------------------------------------------------


def test_loan_officer_creates_and_reads_only_notices_of_own_applications(
        client, auth_headers, world):
    own = _create(client, auth_headers[LO], kind="adverse_action",
                  application_id=world.declined)
    assert own.status_code == 201, own.text
    refused = _create(client, auth_headers[LO], kind="adverse_action",
                      application_id=world.others)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_your_application"

    theirs = _create(client, auth_headers[CO], kind="adverse_action",
                     application_id=world.others).json()
    assert client.get(f"/reports/{theirs['id']}", headers=auth_headers[LO]).status_code == 403
    assert client.get(f"/reports/{theirs['id']}/pdf",
                      headers=auth_headers[LO]).status_code == 403
    listed = client.get("/reports", headers=auth_headers[LO]).json()
    assert [r["id"] for r in listed["items"]] == [own.json()["id"]]
    assert _pdf(client, auth_headers[LO], own.json()["id"])


def test_loan_officer_cannot_create_or_read_other_kinds(client, auth_headers, world):
    for body in ({"kind": "compliance", **PERIOD},
                 {"kind": "model_validation", "model_version": f.MODEL_VERSION}):
        response = _create(client, auth_headers[LO], **body)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "report_kind_not_allowed"
    other = _create(client, auth_headers[CO], kind="compliance", **PERIOD).json()
    assert client.get(f"/reports/{other['id']}", headers=auth_headers[LO]).status_code == 403
    assert client.get(f"/reports/{other['id']}/pdf", headers=auth_headers[LO]).status_code == 403
    assert client.get("/reports", headers=auth_headers[LO]).json()["total"] == 0


def test_auditors_read_every_report_but_never_create(client, auth_headers, world):
    ids = [_create(client, auth_headers[CO], **body).json()["id"] for body in (
        {"kind": "adverse_action", "application_id": world.declined},
        {"kind": "compliance", **PERIOD})]
    for body in ({"kind": "compliance", **PERIOD},
                 {"kind": "adverse_action", "application_id": world.declined}):
        assert _create(client, auth_headers[AU], **body).status_code == 403
    listed = client.get("/reports", headers=auth_headers[AU]).json()
    assert sorted(r["id"] for r in listed["items"]) == sorted(ids)
    for report_id in ids:
        assert client.get(f"/reports/{report_id}", headers=auth_headers[AU]).status_code == 200
        assert _pdf(client, auth_headers[AU], report_id)


def test_underwriters_read_notices_only_and_admins_nothing(client, auth_headers, world):
    notice = _create(client, auth_headers[CO], kind="adverse_action",
                     application_id=world.declined).json()
    period = _create(client, auth_headers[CO], kind="compliance", **PERIOD).json()
    assert client.get(f"/reports/{notice['id']}", headers=auth_headers[UW]).status_code == 200
    assert client.get(f"/reports/{period['id']}", headers=auth_headers[UW]).status_code == 403
    assert client.get("/reports", headers=auth_headers[UW]).json()["total"] == 1
    assert _create(client, auth_headers[UW], kind="adverse_action",
                   application_id=world.declined).status_code == 403
    assert client.get(f"/reports/{notice['id']}", headers=auth_headers[AD]).status_code == 403


def test_unauthenticated_requests_are_refused_with_401(client, world):
    assert _create(client, {}, kind="compliance", **PERIOD).status_code == 401
    for path in ("/reports", "/reports/1", "/reports/1/pdf"):
        assert client.get(path).status_code == 401


# --- Bad requests ---------------------------------------------------------------------------------


def _fields(response) -> set[str]:
    return {d["field"] for d in response.json()["error"]["details"]}


def test_parameters_are_checked_per_kind(client, auth_headers, world):
    missing = _create(client, auth_headers[CO], kind="adverse_action")
    assert missing.status_code == 422 and _fields(missing) == {"application_id"}
    stray = _create(client, auth_headers[CO], kind="compliance", model_version="x", **PERIOD)
    assert stray.status_code == 422 and _fields(stray) == {"model_version"}
    backwards = _create(client, auth_headers[CO], kind="compliance", date_from="2026-03-31",
                        date_to="2026-03-01")
    assert backwards.status_code == 422 and _fields(backwards) == {"date_to"}
    unknown_model = _create(client, auth_headers[CO], kind="model_validation",
                            model_version="no-such-model")
    assert unknown_model.status_code == 404
    assert unknown_model.json()["error"]["code"] == "model_not_found"
    unknown_app = _create(client, auth_headers[CO], kind="adverse_action", application_id="nope")
    assert unknown_app.json()["error"]["code"] == "application_not_found"


# --- Command line ---------------------------------------------------------------------------------


def test_cli_stores_and_ledgers_a_report_and_prints_its_sha256(world, engine, tmp_path):
    from typer.testing import CliRunner

    from app.cli import cli

    out = tmp_path / "notice.pdf"
    result = CliRunner().invoke(cli, ["report", "adverse-action", "--application",
                                      world.declined, "--out", str(out)])
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest in result.output
    with Session(engine, expire_on_commit=False) as s:
        [stored] = s.exec(__import__("sqlmodel").select(Report)).all()
    assert stored.sha256 == digest and stored.created_by == "cli"
    [event] = _events(engine, "report.created", stored.id)
    assert (event.actor_type, event.actor_id) == ("system", "cli")
