"""Deep verification on both backends: a database written by the service verifies clean, and a
row changed, added or removed behind the service's back is named with its table and id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.audit.rows import TRACKED, row_entry
from app.audit.service import append_event
from app.auth.principal import Principal
from app.db import session_scope
from app.models import AuditEvent, DecisionPolicy, NoticeObligation, ScoringModel
from compliance.ledger import canonical_json, sha256_hex
from tests.app import factories, reviewing
from tests.app.application_documents import good_application, risky_application

pytestmark = pytest.mark.usefixtures("active_model")
COUNTEROFFERED = {"loan.amount": "3000.00", "loan.term_months": 12,
                  "kyc.monthly_income": "1000.00", "kyc.monthly_obligations": "200.00"}
REFERRED = {"crm.checking_balance": "50.00", "bureau.credit_history": "existing_paid_duly",
            "loan.term_months": 30, "crm.savings_balance": "20.00"}


def _post(client, path, headers, body=None, status=201):
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def _exercise_every_tracked_table(client, auth_headers, active_model) -> dict[str, str]:
    """Write rows of every tracked table through the API, changing each kind of row after its
    creation the way the service does; return one row id per table."""
    officer, underwriter = auth_headers["loan_officer"], auth_headers["underwriter"]
    approved = _post(client, "/applications", officer, good_application())
    declined = _post(client, "/applications", officer, risky_application())
    accepted = _post(client, "/applications", officer, good_application(**COUNTEROFFERED))
    _post(client, f"/applications/{accepted['id']}/counteroffer/accept", officer)
    refused = _post(client, "/applications", officer, good_application(**COUNTEROFFERED))
    _post(client, f"/applications/{refused['id']}/counteroffer/decline", officer)
    referred = _post(client, "/applications", officer, good_application(**REFERRED))
    _post(client, f"/applications/{referred['id']}/review", underwriter, {
        "outcome": "approve", "note": "Verified payslips."})
    overridden = _post(client, "/applications", officer, risky_application())
    # Turning a decline into an approval waits for a second underwriter (four eyes).
    approval = _post(client, f"/applications/{overridden['id']}/review", underwriter, {
        "outcome": "approve", "note": "Collateral outside the model covers the loan."},
        status=202)
    _post(client, f"/approvals/{approval['id']}/approve", auth_headers["underwriting_lead"])
    (case,) = [c for c in client.get("/cases", headers=underwriter).json()["items"]
               if c["application_id"] == referred["id"]]
    (notice,) = declined["notices"]
    generated = _post(client, f"/notices/{notice['id']}/generate", officer)
    _post(client, f"/notices/{notice['id']}/delivery", officer, {"channel": "mail"}, status=200)
    audit = _post(client, "/fairness/audits", auth_headers["compliance_officer"], {
        "source": "model", "model_version": active_model[0], "n_boot": 0})
    admin = auth_headers["admin"]
    policy = client.get("/policies/active", headers=admin).json()
    _post(client, "/policies", admin, {"body": {**policy["body"], "version": "policy-2"}})
    # A sanctions match disposed of, four-eyes, and a list version loaded.
    screened = _post(client, "/applications", officer, good_application(**{
        "kyc.full_name": "Xhevat Ademi", "kyc.date_of_birth": "1962-12-08"}))
    disposed = reviewing.clear_sanctions_case(client, auth_headers, screened["id"])
    from app.screening import service as screening
    with session_scope() as session:
        loaded = screening.load_list(
            session, Principal.system("test"), "ofac-sdn",
            b'1,"ROE, Richard","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
            b'"DOB 1950."\r\n', "sdn.csv", allow_shrink=True)
        list_id = loaded.version.id
    # An observed outcome of the approved loan, and a back-test on it.
    validator, today = auth_headers["model_validator"], datetime.now(UTC).date().isoformat()
    load = _post(client, "/outcomes", validator, {"outcomes": [{
        "application_id": approved["id"], "defaulted": False, "observed_on": today}]})
    backtest = _post(client, "/backtests", validator, {"date_from": today, "date_to": today})
    # Enough applications, all alike, for a drift check to raise an alert; acknowledged.
    for _ in range(100):
        _post(client, "/applications", officer, good_application())
    check = _post(client, "/drift/checks", validator, {"date_from": today, "date_to": today})
    _post(client, f"/drift/alerts/{check['alert_id']}/acknowledge", validator,
          {"note": "Retraining scheduled."}, status=200)
    # The approved loan booked and watched: its events raise actions and a watch-list entry
    # under the bundled rules; an action closed, a snooze set and lifted.
    from app.early_warning import rulesets
    with session_scope() as session:
        rulesets.publish_default(session, Principal.system("test"))
    _post(client, "/accounts", auth_headers["servicing"], {
        "account_id": "ACC-1", "application_id": approved["id"], "product": "revolving",
        "credit_limit": "3000.00"})
    events = [{"id": f"ev-{n}", "account_id": "ACC-1", "kind": "payment_missed",
               "occurred_at": f"2026-0{n}-25T09:00:00+00:00", "days_past_due": 30 * n}
              for n in (1, 2)]
    loaded = _post(client, "/events", auth_headers["servicing"], {"events": events}, status=200)
    actions = client.get("/accounts/ACC-1/actions", headers=underwriter).json()
    alert = next(a for a in actions if a["kind"] == "open_case")
    _post(client, f"/early-warning/actions/{alert['id']}/close", underwriter,
          {"note": "Called, agreed a plan."}, status=200)
    snooze = _post(client, "/accounts/ACC-1/snoozes", underwriter, {
        "until": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        "reason": "hardship arrangement"})
    _post(client, f"/snoozes/{snooze['id']}/lift", underwriter, status=200)
    (entry,) = client.get("/watch-list", headers=underwriter).json()
    return {"event_loads": loaded["id"], "account_actions": alert["id"],
            "watch_list": entry["id"], "customer_snoozes": snooze["id"],
            "applications": referred["id"], "outcome_loads": load["id"],
            "drift_alerts": check["alert_id"],
            "backtests": backtest["id"], "decisions": declined["decisions"][0]["id"],
            "notice_obligations": notice["id"], "reports": str(generated["report_id"]),
            "scoring_models": active_model[0], "decision_policies": "policy-2",
            "fairness_audits": str(audit["id"]), "review_cases": case["id"],
            "four_eyes_approvals": approval["id"], "screening_lists": list_id,
            "screening_dispositions": disposed["dispositions"][0]["id"]}


def _deep(client, auth_headers) -> dict:
    response = client.get("/audit/verify", params={"deep": "true"},
                          headers=auth_headers["auditor"])
    assert response.status_code == 200, response.text
    return response.json()


def _execute(engine, statement: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


# One change per tracked table, as someone with table access could make it: (statement on
# SQLite, statement on PostgreSQL), the row chosen by :id (a version for models and policies).
EDITS = {
    "applications": ("UPDATE applications SET status = 'decided' WHERE id = :id",) * 2,
    "decisions": (
        "UPDATE decisions SET record = json_set(record, '$.outcome', 'tampered') WHERE id = :id",
        "UPDATE decisions SET record = jsonb_set(record, '{outcome}', '\"tampered\"') "
        "WHERE id = :id"),
    "notice_obligations": ("UPDATE notice_obligations SET status = 'withdrawn' WHERE id = :id",)
    * 2,
    "reports": ("UPDATE reports SET pdf = X'255044462d' WHERE id = :id",
                "UPDATE reports SET pdf = '\\x255044462d'::bytea WHERE id = CAST(:id AS INT)"),
    "scoring_models": ("UPDATE scoring_models SET activated_at = NULL WHERE version = :id",) * 2,
    "decision_policies": ("UPDATE decision_policies SET body = body || ' ' WHERE version = :id",)
    * 2,
    "fairness_audits": ("UPDATE fairness_audits SET flagged = NOT flagged WHERE id = :id",
                        "UPDATE fairness_audits SET flagged = NOT flagged "
                        "WHERE id = CAST(:id AS INT)"),
    "review_cases": ("UPDATE review_cases SET assignee_id = 'someone' WHERE id = :id",) * 2,
    "four_eyes_approvals": ("UPDATE four_eyes_approvals SET checker_id = 'someone' "
                            "WHERE id = :id",) * 2,
    "screening_lists": ("UPDATE screening_lists SET sha256 = 'x' WHERE id = :id",) * 2,
    "outcome_loads": ("UPDATE outcome_loads SET defaults = defaults + 1 WHERE id = :id",) * 2,
    "backtests": ("UPDATE backtests SET rows = rows + 1 WHERE id = :id",) * 2,
    "drift_alerts": ("UPDATE drift_alerts SET acknowledged_by = 'someone' WHERE id = :id",) * 2,
    "screening_dispositions": ("UPDATE screening_dispositions SET disposition = 'false_positive',"
                               " subject_digest = 'someone else' WHERE id = :id",) * 2,
    "event_loads": ("UPDATE event_loads SET rejected = rejected + 1 WHERE id = :id",) * 2,
    "account_actions": ("UPDATE account_actions SET state = 'open' WHERE id = :id",) * 2,
    "watch_list": ("UPDATE watch_list SET state = 'exited' WHERE id = :id",) * 2,
    "customer_snoozes": ("UPDATE customer_snoozes SET lifted_at = NULL WHERE id = :id",) * 2,
}


def test_a_database_written_by_the_service_deep_verifies_clean(client, auth_headers,
                                                               active_model, engine):
    _exercise_every_tracked_table(client, auth_headers, active_model)
    body = _deep(client, auth_headers)
    assert body["ok"] is True, body["deep"]["findings"]
    counts = {t["table"]: t for t in body["deep"]["tables"]}
    assert set(counts) == {t.name for t in TRACKED}
    for table, row in counts.items():
        assert row["rows"] > 0 and row["verified"] == row["rows"], (table, row)
    assert counts["decision_policies"]["rows"] == 2  # the first retired, the second active


def test_each_tracked_table_names_a_row_changed_behind_the_services_back(
        client, auth_headers, active_model, engine):
    targets = _exercise_every_tracked_table(client, auth_headers, active_model)
    postgres = engine.dialect.name == "postgresql"
    for table, statements in EDITS.items():
        _execute(engine, statements[postgres], id=targets[table])
    findings = _deep(client, auth_headers)["deep"]["findings"]
    named = {(f["table"], f["id"], f["kind"]) for f in findings}
    with Session(engine) as session:  # models and policies are named by their integer id
        ids = {"scoring_models": str(session.exec(select(ScoringModel.id).where(
            ScoringModel.version == targets["scoring_models"])).one()),
               "decision_policies": str(session.exec(select(DecisionPolicy.id).where(
                   DecisionPolicy.version == "policy-2")).one())}
    expected = {(table, ids.get(table, row_id), "altered") for table, row_id in targets.items()}
    assert named == expected


def test_a_rewrite_that_keeps_the_meaning_is_not_a_finding(client, auth_headers, active_model,
                                                           engine):
    _exercise_every_tracked_table(client, auth_headers, active_model)
    # JSON stored again in another textual form (SQLite keeps the text; PostgreSQL's JSONB
    # re-parses it), and a timestamp written back as the value it holds.
    if engine.dialect.name == "sqlite":
        _execute(engine, "UPDATE decisions SET record = json(record)")
    else:
        _execute(engine, "UPDATE decisions SET record = record::text::jsonb")
    _execute(engine, "UPDATE applications SET submitted_at = submitted_at")
    assert _deep(client, auth_headers)["ok"] is True


def test_a_row_inserted_behind_the_services_back_is_unrecorded(client, auth_headers, engine):
    with Session(engine, expire_on_commit=False) as session:
        application, decision = factories.add_application(
            session, submitted_by="7", submitted_at=datetime.now(UTC), outcome="approve")
        session.commit()
    body = _deep(client, auth_headers)
    assert body["ok"] is False
    assert {(f["table"], f["id"], f["kind"]) for f in body["deep"]["findings"]} == {
        ("applications", application.id, "unrecorded"), ("decisions", decision.id, "unrecorded")}


def test_a_row_deleted_behind_the_services_back_is_missing(client, auth_headers, engine):
    declined = _post(client, "/applications", auth_headers["loan_officer"], risky_application())
    (notice,) = declined["notices"]
    _execute(engine, "DELETE FROM notice_obligations WHERE id = :id", id=notice["id"])
    (finding,) = _deep(client, auth_headers)["deep"]["findings"]
    assert (finding["table"], finding["id"], finding["kind"]) == (
        "notice_obligations", notice["id"], "missing")
    assert finding["seq"] is not None and str(finding["seq"]) in finding["detail"]


def test_rows_are_not_compared_with_a_broken_chain(client, auth_headers, engine):
    _post(client, "/applications", auth_headers["loan_officer"], good_application())
    from tests.app.test_ledger import _without_triggers

    _without_triggers(engine, "UPDATE audit_events SET actor_id = 'x' WHERE seq = 2")
    body = _deep(client, auth_headers)
    assert body["ok"] is False and body["first_bad_seq"] == 2
    assert body["deep"]["tables"] == [] and "broken at event 2" in body["deep"]["note"]


def _legacy_decision(engine) -> tuple[str, str]:
    """An application decided before events recorded row digests: its event carries only the
    digests of the inputs, characteristics and decision record."""
    with session_scope(engine) as session:
        application, decision = factories.add_application(
            session, submitted_by="7", submitted_at=datetime.now(UTC), outcome="approve")
        append_event(session, Principal.system("before-row-digests"), "application.decided",
                     "application", application.id, {
                         "decision_id": decision.id,
                         "inputs_sha256": sha256_hex(canonical_json(application.inputs)),
                         "characteristics_sha256": sha256_hex(
                             canonical_json(application.characteristics)),
                         "request_sha256": application.request_sha256,
                         "record_sha256": sha256_hex(canonical_json(decision.record))})
        return application.id, decision.id


def test_rows_from_before_row_digests_are_counted_not_covered(client, auth_headers, engine):
    _legacy_decision(engine)
    body = _deep(client, auth_headers)
    assert body["ok"] is True
    counts = {t["table"]: t for t in body["deep"]["tables"]}
    assert counts["applications"]["not_covered"] == counts["decisions"]["not_covered"] == 1
    assert body["deep"]["note"].startswith("2 row(s) were written before")


def test_an_old_events_column_digest_still_catches_an_edit(client, auth_headers, engine):
    _, decision_id = _legacy_decision(engine)
    postgres = engine.dialect.name == "postgresql"
    _execute(engine, EDITS["decisions"][postgres], id=decision_id)
    (finding,) = _deep(client, auth_headers)["deep"]["findings"]
    assert (finding["table"], finding["id"], finding["kind"]) == (
        "decisions", decision_id, "altered")
    assert finding["detail"].startswith("record differ")


def test_cli_deep_verify_names_findings_and_exits_1(client, auth_headers, engine):
    declined = _post(client, "/applications", auth_headers["loan_officer"], risky_application())
    from app.cli import cli

    runner = CliRunner()
    clean = runner.invoke(cli, ["audit", "verify", "--deep"])
    assert clean.exit_code == 0, clean.output
    assert "ledger: verified" in clean.output
    _execute(engine, "UPDATE applications SET outcome = 'approve' WHERE id = :id",
             id=declined["id"])
    result = runner.invoke(cli, ["audit", "verify", "--deep"])
    assert result.exit_code == 1
    assert f"altered    applications {declined['id']}" in result.output
    as_json = json.loads(runner.invoke(cli, ["audit", "verify", "--deep", "--json"]).output)
    assert as_json["deep"]["findings"][0]["id"] == declined["id"]


def test_every_event_that_changes_a_notice_records_its_new_digest(client, auth_headers, engine):
    declined = _post(client, "/applications", auth_headers["loan_officer"], risky_application())
    (notice,) = declined["notices"]
    _post(client, f"/notices/{notice['id']}/generate", auth_headers["loan_officer"])
    with Session(engine) as session:
        current = row_entry(session.get(NoticeObligation, notice["id"]))
        payloads = [json.loads(e.payload) for e in session.exec(
            select(AuditEvent).where(AuditEvent.entity_id == notice["id"])
            .order_by(AuditEvent.seq))]
    assert [p["rows"] for p in payloads] == [[{**current, "sha256": payloads[0]["rows"][0][
        "sha256"]}], [current]]
    assert payloads[0]["rows"] != payloads[1]["rows"]  # opened, then generated: a new digest
