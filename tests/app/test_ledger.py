"""The audit ledger in the database: tamper evidence, immutability, atomicity, concurrency."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from app.audit import service
from app.auth.deps import RequireRoles
from app.auth.principal import Principal
from app.auth.roles import Role
from app.db import SessionDep, session_scope
from app.models import AuditEvent, User
from app.users.service import create_user

ACTOR = Principal.system("test")


def _append(engine, n, action="test.event"):
    for i in range(n):
        with session_scope(engine) as session:
            service.append_event(session, ACTOR, action, "thing", i, {"i": i})


def _verify(engine):
    with Session(engine) as session:
        return service.verify(session)


def _without_triggers(engine, sql, params=None):
    """Run ``sql`` against the ledger behind the service's back, triggers dropped first."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update_delete ON audit_events"))
        for statement in sql if isinstance(sql, list) else [sql]:
            conn.execute(text(statement), params or {})


def test_appends_form_a_verifiable_gap_free_chain(engine):
    _append(engine, 10)
    result = _verify(engine)
    with Session(engine) as session:
        seqs = session.exec(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert result.ok
    assert seqs == list(range(1, len(seqs) + 1))
    assert result.head_seq == len(seqs)


def test_edited_row_is_named_by_its_sequence_number(engine, client, auth_headers):
    _append(engine, 6)
    target = _verify(engine).head_seq - 3
    _without_triggers(engine, "UPDATE audit_events SET payload = :p WHERE seq = :s",
                      {"s": target, "p": '{"i":999}'})
    response = client.get("/audit/verify", headers=auth_headers["auditor"])
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False and body["first_bad_seq"] == target


def test_deleted_row_is_caught(engine):
    _append(engine, 6)
    target = _verify(engine).head_seq - 2
    _without_triggers(engine, "DELETE FROM audit_events WHERE seq = :s", {"s": target})
    assert _verify(engine).first_bad_seq == target


def test_reordered_pair_is_caught(engine):
    _append(engine, 6)
    a = _verify(engine).head_seq - 3
    _without_triggers(engine, [
        "UPDATE audit_events SET seq = -1 WHERE seq = :a",
        "UPDATE audit_events SET seq = :a WHERE seq = :b",
        "UPDATE audit_events SET seq = :b WHERE seq = -1",
    ], {"a": a, "b": a + 1})
    assert _verify(engine).first_bad_seq == a


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'",
                                       "DELETE FROM audit_events"])
def test_database_refuses_update_and_delete(engine, statement):
    _append(engine, 1)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))


def test_postgresql_refuses_truncate(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_events"))


def test_failed_request_leaves_neither_change_nor_event(own_client, engine, auth_headers):
    def create_then_fail(session: SessionDep, actor=RequireRoles(Role.ADMIN)):
        create_user(session, actor, username="doomed-user", password="x" * 12, role=Role.AUDITOR)
        raise RuntimeError("failure after the ledger append")

    own_client.app.add_api_route("/test/fail-after-append", create_then_fail, methods=["POST"])
    head_before = _verify(engine).head_seq
    response = own_client.post("/test/fail-after-append", headers=auth_headers["admin"])
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    with Session(engine) as session:
        assert session.exec(select(User).where(User.username == "doomed-user")).first() is None
    assert _verify(engine).head_seq == head_before


def test_concurrent_appends_never_fork_or_gap(engine):
    head_before = _verify(engine).head_seq
    errors: list[BaseException] = []

    def writer():
        try:
            _append(engine, 50, action="test.concurrent")
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(engine)
    with Session(engine) as session:
        seqs = session.exec(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert result.ok
    assert result.head_seq == head_before + 400
    assert seqs == list(range(1, head_before + 401))


def test_payload_with_personal_data_is_refused(engine):
    with pytest.raises(service.PersonalDataInLedger), session_scope(engine) as session:
        service.append_event(session, ACTOR, "x", "thing", 1, {"applicant": {"full_name": "A"}})


def test_checkpoint_signature_and_prefix(client, engine, auth_headers):
    headers = auth_headers["auditor"]
    saved = client.get("/audit/checkpoint", headers=headers).json()
    _append(engine, 3)
    response = client.post("/audit/verify", json=saved, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["checkpoint_is_prefix"] and body["head_seq"] > saved["head_seq"]
    public = client.get("/audit/public-key", headers=headers).json()
    assert public["fingerprint"] == saved["key_fingerprint"]


def test_checkpoint_with_forged_signature_is_refused(client, auth_headers):
    headers = auth_headers["auditor"]
    saved = client.get("/audit/checkpoint", headers=headers).json()
    forged = {**saved, "head_hash": "f" * 64}
    response = client.post("/audit/verify", json=forged, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_checkpoint_signature"


def test_rewritten_history_fails_a_saved_checkpoint(client, engine, auth_headers):
    _append(engine, 3)
    headers = auth_headers["auditor"]
    saved = client.get("/audit/checkpoint", headers=headers).json()
    # Rewrite the whole chain consistently, as an insider with table access could.
    _without_triggers(engine, "UPDATE audit_events SET hash = 'r' || substr(hash, 2) "
                              "WHERE seq = :s", {"s": saved["head_seq"]})
    body = client.post("/audit/verify", json=saved, headers=headers).json()
    assert body["checkpoint_is_prefix"] is False and body["ok"] is False


def test_events_filter_and_paginate(client, engine, auth_headers):
    _append(engine, 5, action="test.page")
    headers = auth_headers["compliance_officer"]
    first = client.get("/audit/events", params={"action": "test.page", "limit": 2},
                       headers=headers).json()
    assert first["total"] == 5 and [e["payload"]["i"] for e in first["items"]] == [0, 1]
    second = client.get("/audit/events", params={"action": "test.page", "limit": 2,
                                                  "after_seq": first["next_after_seq"]},
                        headers=headers).json()
    assert [e["payload"]["i"] for e in second["items"]] == [2, 3]
    by_entity = client.get("/audit/events", params={"entity_type": "thing", "entity_id": "4"},
                           headers=headers).json()
    assert by_entity["total"] == 1


def test_cli_verify_exits_1_on_a_broken_chain(engine, settings_env):
    from typer.testing import CliRunner

    from app.cli import cli

    _append(engine, 3)
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    _without_triggers(engine, "UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 2")
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at event 2" in result.output
    as_json = runner.invoke(cli, ["audit", "verify", "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["first_bad_seq"] == 2


def test_database_errors_do_not_carry_values_into_logs(own_client, engine, auth_headers, caplog):
    def insert_twice(session: SessionDep, actor=RequireRoles(Role.ADMIN)):
        for _ in range(2):
            session.add(User(username="dup-user", password_hash="secret-value", role="auditor"))
            session.flush()

    own_client.app.add_api_route("/test/duplicate-insert", insert_twice, methods=["POST"])
    with caplog.at_level("ERROR", logger="riskdesk"):
        response = own_client.post("/test/duplicate-insert", headers=auth_headers["admin"])
    assert response.status_code == 500
    assert "IntegrityError" in caplog.text
    assert "dup-user" not in caplog.text and "secret-value" not in caplog.text
