"""Signed checkpoints kept outside the database: appended, never rewritten, taken by hand, by
commands that write and by the server; verification catches a removed tail and a rewritten
chain against them without anyone having saved a checkpoint."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.audit import checkpoints, service
from app.audit.checkpoints import FILE_NAME, ChainView, StoredCheckpoint, is_due
from app.auth.principal import Principal
from app.cli import cli
from app.db import session_scope
from compliance import ledger
from tests.app.test_ledger import _without_triggers

ACTOR = Principal.system("test")
runner = CliRunner()


def _append(engine, n):
    for i in range(n):
        with session_scope(engine) as session:
            service.append_event(session, ACTOR, "test.event", "thing", i, {"i": i})


def _lines(settings):
    path = settings.checkpoint_path / FILE_NAME
    return path.read_text().splitlines() if path.exists() else []


def _checkpoint(settings_env):
    result = runner.invoke(cli, ["audit", "checkpoint", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _verify(client, auth_headers):
    response = client.get("/audit/verify", headers=auth_headers["auditor"])
    assert response.status_code == 200, response.text
    return response.json()


def _rewrite_from(engine, seq, payload):
    """Replace event ``seq``'s payload and re-hash every later event, as someone with the
    owner's rights could: the chain then verifies on its own."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT seq, occurred_at, actor_type, actor_id, actor_role, action, entity_type, "
            "entity_id, payload, prev_hash FROM audit_events ORDER BY seq")).all()
    updates, prev = [], None
    for row in rows:
        if row.seq < seq:
            continue
        record = ledger.LedgerRecord(
            row.seq, row.occurred_at, row.actor_type, row.actor_id, row.actor_role, row.action,
            row.entity_type, row.entity_id, payload if row.seq == seq else row.payload,
            prev or row.prev_hash)
        prev = ledger.hash_record(record)
        updates.append({"s": row.seq, "p": record.payload, "ph": record.prev_hash, "h": prev})
    # The unique index on hash is checked per row: clear the rewritten hashes first.
    _without_triggers(engine, ["UPDATE audit_events SET hash = 'x' || seq WHERE seq >= :from"]
                      + [f"UPDATE audit_events SET payload = :p{i}, prev_hash = :ph{i}, "
                         f"hash = :h{i} WHERE seq = :s{i}" for i in range(len(updates))],
                      {"from": seq, **{f"{k}{i}": v for i, u in enumerate(updates)
                                       for k, v in u.items()}})


def test_a_checkpoint_by_hand_is_appended_signed_and_earlier_lines_stay(settings_env, engine):
    _append(engine, 2)
    first = _checkpoint(settings_env)
    before = (settings_env.checkpoint_path / FILE_NAME).read_bytes()
    _append(engine, 3)
    second = _checkpoint(settings_env)
    after = (settings_env.checkpoint_path / FILE_NAME).read_bytes()
    assert after.startswith(before) and len(_lines(settings_env)) == 2
    assert [json.loads(line) for line in _lines(settings_env)] == [first, second]
    assert second["head_seq"] == first["head_seq"] + 3
    pem = service.public_key(settings_env)["public_key_pem"]
    assert all(ledger.checkpoint_signature_valid(pem, c) for c in (first, second))


def test_verify_says_plainly_when_there_is_no_checkpoint(client, auth_headers):
    body = _verify(client, auth_headers)
    assert body["ok"] is True and body["checkpoints"]["latest"] is None
    assert body["checkpoints"]["note"].startswith("no checkpoint has been taken yet")


def test_verify_names_the_checkpoint_it_compared_with(client, auth_headers, settings_env):
    taken = _checkpoint(settings_env)
    body = _verify(client, auth_headers)
    assert body["ok"] is True and body["checkpoints"]["note"] is None
    assert body["checkpoints"]["latest"] == {
        "line": 1, "head_seq": taken["head_seq"], "head_hash": taken["head_hash"],
        "signed_at": taken["signed_at"]}


def test_a_removed_tail_fails_verification_naming_the_checkpoint(client, auth_headers, engine,
                                                                 settings_env):
    _append(engine, 4)
    taken = _checkpoint(settings_env)
    _without_triggers(engine, "DELETE FROM audit_events WHERE seq > :s",
                      {"s": taken["head_seq"] - 2})
    body = _verify(client, auth_headers)
    assert body["problem"] is None  # the chain that is left is consistent on its own
    assert body["ok"] is False
    (problem,) = body["checkpoints"]["problems"]
    assert (problem["line"], problem["head_seq"]) == (1, taken["head_seq"])
    assert "events were removed" in problem["problem"]
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"checkpoint of event {taken['head_seq']} signed {taken['signed_at']}" in result.output


def test_a_rewritten_chain_fails_verification_naming_the_checkpoint(client, auth_headers,
                                                                   engine, settings_env):
    _append(engine, 4)
    taken = _checkpoint(settings_env)
    _append(engine, 2)
    _rewrite_from(engine, taken["head_seq"] - 2, '{"i":999}')
    body = _verify(client, auth_headers)
    assert body["problem"] is None  # every hash was recomputed
    (problem,) = body["checkpoints"]["problems"]
    assert problem["head_seq"] == taken["head_seq"] and "rewritten" in problem["problem"]
    assert body["ok"] is False


def test_no_checkpoint_is_signed_over_a_chain_that_contradicts_the_latest(engine, settings_env):
    _append(engine, 3)
    taken = _checkpoint(settings_env)
    _without_triggers(engine, "DELETE FROM audit_events WHERE seq = :s", {"s": taken["head_seq"]})
    result = runner.invoke(cli, ["audit", "checkpoint"])
    assert result.exit_code == 1 and "events were removed" in result.output
    _append(engine, 2)  # the chain grows past the checkpoint again, on another history
    result = runner.invoke(cli, ["audit", "checkpoint"])
    assert result.exit_code == 1 and "the chain was rewritten" in result.output
    assert len(_lines(settings_env)) == 1


def test_a_checkpoint_is_due_after_n_events_or_m_minutes_with_new_events():
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    latest = StoredCheckpoint(1, {"head_seq": 100, "head_hash": "a" * 64,
                                  "signed_at": ledger.format_timestamp(now)})
    rule = {"every_events": 1000, "every_minutes": 10.0}
    assert is_due(None, 1, now, **rule) and not is_due(None, 0, now, **rule)
    assert not is_due(latest, 1099, now + timedelta(minutes=9), **rule)
    assert is_due(latest, 1100, now, **rule)
    assert is_due(latest, 101, now + timedelta(minutes=10), **rule)
    assert not is_due(latest, 100, now + timedelta(days=1), **rule)  # nothing new


def test_commands_that_write_take_a_checkpoint_when_one_is_due(settings_env, monkeypatch):
    from app.config import get_settings

    monkeypatch.setenv("RISKDESK_CHECKPOINT_EVERY_EVENTS", "1")
    get_settings.cache_clear()
    result = runner.invoke(cli, ["users", "create", "--username", "new-auditor", "--role",
                                 "auditor", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    (line,) = _lines(settings_env)
    with session_scope() as session:
        head = service.repository.chain_head(session)
    assert json.loads(line)["head_seq"] == head[0]


def test_concurrent_writers_append_one_checkpoint_per_head(engine, settings_env):
    _append(engine, 2)
    taken: list[dict | None] = []
    barrier = threading.Barrier(8)

    def writer():
        barrier.wait()
        taken.append(service.take_checkpoint(engine, settings_env, only_if_due=True))

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(_lines(settings_env)) == 1
    assert sum(t is not None for t in taken) == 1


def test_a_forged_line_fails_and_a_line_that_is_no_checkpoint_is_listed(client, auth_headers,
                                                                       settings_env):
    taken = _checkpoint(settings_env)
    path = settings_env.checkpoint_path / FILE_NAME
    with path.open("a") as handle:
        handle.write(json.dumps({**taken, "head_hash": "f" * 64}) + "\n")
        handle.write("{not a checkpoint\n")
    checks = _verify(client, auth_headers)["checkpoints"]
    (problem,) = checks["problems"]
    assert problem["line"] == 2 and "signature is not valid" in problem["problem"]
    assert checks["unreadable_lines"] == [3] and checks["latest"]["line"] == 1
    _checkpoint(settings_env)  # writers extend the last valid line, past what is not one
    assert _verify(client, auth_headers)["checkpoints"]["latest"]["line"] == 4


def test_a_line_signed_with_another_key_is_counted_not_checked(client, auth_headers,
                                                               settings_env):
    other = ledger.load_signing_key(ledger.generate_signing_key())
    view = ChainView(999, "e" * 64, None)
    checkpoints.append(settings_env.checkpoint_path, other, view, None, datetime.now(UTC),
                       due=True)
    checks = _verify(client, auth_headers)["checkpoints"]
    assert checks["ok"] is True and checks["other_key"] == 1 and checks["latest"] is None


def test_the_servers_tick_takes_a_due_checkpoint(client, engine, settings_env):
    from app.audit.checkpointer import checkpoint_tick

    _append(engine, 2)
    taken = asyncio.run(checkpoint_tick(client.app, settings_env))
    assert taken is not None and [json.loads(x) for x in _lines(settings_env)] == [taken]
    assert asyncio.run(checkpoint_tick(client.app, settings_env)) is None  # nothing new


def test_the_server_takes_checkpoints_by_itself(engine, settings_env, monkeypatch):
    from fastapi.testclient import TestClient

    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("RISKDESK_CHECKPOINT_POLL_SECONDS", "0.05")
    get_settings.cache_clear()
    _append(engine, 2)
    with TestClient(create_app()):
        deadline = time.monotonic() + 60  # a bound against hanging, not a speed requirement
        while not _lines(settings_env) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(_lines(settings_env)) == 1


@pytest.fixture
def settings_env(settings_env):  # type: ignore[no-untyped-def]
    """Every test here starts with an empty checkpoint directory of its own."""
    assert not (settings_env.checkpoint_path / FILE_NAME).exists()
    return settings_env
