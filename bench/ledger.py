"""Ledger figures: append throughput (1 and 8 writers), verification speed over 100,000 events,
and deep verification (every row against its recorded digest) over 100,000 applications.

Run:  .venv/bin/python bench/ledger.py [--applications N]
          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RISKDESK_SECRET_KEY", "benchmark-secret-key-long-enough")
os.environ.setdefault("RISKDESK_DIGEST_KEY", "benchmark-digest-key-long-enough")
os.environ.setdefault("RISKDESK_MONITORING_COLLECTION", "self_test")
os.environ.setdefault("RISKDESK_DATA_DIR", tempfile.mkdtemp(prefix="riskdesk-bench-"))

from sqlalchemy import insert, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.audit import service  # noqa: E402
from app.audit.rows import BY_NAME, digest_of, row_entry  # noqa: E402
from app.auth.principal import Principal  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models import Application, AuditEvent, Decision, NoticeObligation  # noqa: E402
from bench.scratch import postgres_database  # noqa: E402
from compliance import ledger  # noqa: E402

ACTOR = Principal.system("bench")
PAYLOAD = {
    "application_id": "0" * 32,
    "outcome": "approve",
    "score": 612.5,
    "features_sha256": "ab" * 32,
    "model_version": "scorecard-1",
    "policy_version": "1",
}


def appends_per_second(engine, writers: int, per_writer: int) -> float:
    def work() -> None:
        for i in range(per_writer):
            with session_scope(engine) as session:
                service.append_event(session, ACTOR, "decision.made", "application", i, PAYLOAD)

    threads = [threading.Thread(target=work) for _ in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return writers * per_writer / (time.perf_counter() - start)


def append_cost_us(engine, n: int = 2000) -> float:
    """Microseconds one append adds to a decision's transaction (lock, head read, insert)."""
    with session_scope(engine) as session:
        start = time.perf_counter()
        for i in range(n):
            service.append_event(session, ACTOR, "decision.made", "application", i, PAYLOAD)
        return (time.perf_counter() - start) / n * 1e6


def bulk_fill(engine, total: int) -> None:
    """Write a valid chain quickly (bypassing the per-event transaction) up to ``total`` events."""
    with Session(engine) as session:
        head = service.repository.chain_head(session) or (0, ledger.GENESIS_HASH)
    seq, prev = head
    body = ledger.canonical_json(PAYLOAD)
    t0 = datetime.now(UTC)
    rows = []
    while seq < total:
        seq += 1
        rec = ledger.LedgerRecord(
            seq,
            t0 + timedelta(microseconds=seq),
            "system",
            "bench",
            "admin",
            "decision.made",
            "application",
            str(seq),
            body,
            prev,
        )
        prev = ledger.hash_record(rec)
        rows.append(
            {
                "seq": seq,
                "occurred_at": rec.occurred_at,
                "actor_type": "system",
                "actor_id": "bench",
                "actor_role": "admin",
                "action": "decision.made",
                "entity_type": "application",
                "entity_id": str(seq),
                "payload": body,
                "prev_hash": rec.prev_hash,
                "hash": prev,
            }
        )
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(AuditEvent), rows[start : start + 5000])


def verification(engine, total: int) -> tuple[float, int]:
    bulk_fill(engine, total)
    with Session(engine) as session:
        start = time.perf_counter()
        result = service.verify(session)
        elapsed = time.perf_counter() - start
    assert result.ok, result
    return elapsed, result.events


# --- Deep verification over a book of applications ----------------------------------------------


def _templates(engine, training) -> list[dict[str, Any]]:
    """The demo's six kinds of application, decided through the service: the rows and events
    that the book is cloned from."""
    from app.applications import service as applications
    from app.config import get_settings
    from app.demo import EXAMPLES, _varied
    from bench.registry import install_champion
    from risk_models.document import ApplicationDocument

    officer = Principal.system("bench")
    with session_scope(engine) as session:
        install_champion(session, training)
    templates = []
    for number, (_, name, changes) in enumerate(EXAMPLES):
        with session_scope(engine) as session:
            body = ApplicationDocument.model_validate(_varied(name, number, changes))
            submitted = applications.submit(session, get_settings(), officer, body, None)
            assert submitted.decision is not None
            started = time.perf_counter()
            for _ in range(100):
                [row_entry(r) for r in (submitted.application, submitted.decision,
                                        *submitted.notices)]
            digest_us = (time.perf_counter() - started) / 100 * 1e6
            templates.append({"ids": (submitted.application.id, submitted.decision.id,
                                      [n.id for n in submitted.notices]),
                              "digest_us": digest_us})
    with Session(engine) as session:
        for template in templates:
            app_id, decision_id, notice_ids = template["ids"]
            template["application"] = _row(session, Application, app_id)
            template["decision"] = _row(session, Decision, decision_id)
            template["notices"] = [_row(session, NoticeObligation, n) for n in notice_ids]
            event = session.exec(select(AuditEvent).where(
                AuditEvent.entity_id == app_id, AuditEvent.action == "application.decided")
            ).one()
            template["payload"] = json.loads(event[0].payload)
    return templates


def _row(session: Session, model: Any, row_id: str) -> dict[str, Any]:
    table = model.__table__
    return dict(session.connection().execute(
        select(table).where(table.c.id == row_id)).mappings().one())


def fill_book(engine, templates: list[dict[str, Any]], applications: int) -> int:
    """Clone the templates into ``applications`` applications, their decisions and notices,
    with the events that record them, inserted in bulk; returns the events written."""
    with Session(engine) as session:
        seq, prev = service.repository.chain_head(session) or (0, ledger.GENESIS_HASH)
    t0 = datetime.now(UTC)
    tables = {name: BY_NAME[name] for name in ("applications", "decisions", "notice_obligations")}
    book: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    events: list[dict[str, Any]] = []

    def record(action: str, entity_type: str, entity_id: str, payload: dict[str, Any]) -> None:
        nonlocal seq, prev
        seq += 1
        body = ledger.canonical_json(payload)
        rec = ledger.LedgerRecord(seq, t0 + timedelta(microseconds=seq), "system", "bench",
                                  "system", action, entity_type, entity_id, body, prev)
        prev = ledger.hash_record(rec)
        events.append({"seq": seq, "occurred_at": rec.occurred_at, "actor_type": "system",
                       "actor_id": "bench", "actor_role": "system", "action": action,
                       "entity_type": entity_type, "entity_id": entity_id, "payload": body,
                       "prev_hash": rec.prev_hash, "hash": prev})

    def entry(table: str, row: dict[str, Any]) -> dict[str, str]:
        return {"table": table, "id": row["id"], "sha256": digest_of(tables[table], row)}

    for i in range(applications):
        template = templates[i % len(templates)]
        application = {**template["application"], "id": uuid.uuid4().hex}
        decision = {**template["decision"], "id": uuid.uuid4().hex,
                    "application_id": application["id"]}
        notices = [{**n, "id": uuid.uuid4().hex, "application_id": application["id"],
                    "decision_id": decision["id"]} for n in template["notices"]]
        book["applications"].append(application)
        book["decisions"].append(decision)
        book["notice_obligations"].extend(notices)
        for notice in notices:
            record("notice.opened", "notice", notice["id"], {
                "application_id": application["id"], "decision_id": decision["id"],
                "kind": notice["kind"], "due_date": notice["due_date"].isoformat(),
                "rows": [entry("notice_obligations", notice)]})
        payload = copy.deepcopy(template["payload"])
        payload.update(decision_id=decision["id"], notice_ids=[n["id"] for n in notices],
                       rows=[entry("applications", application), entry("decisions", decision)])
        record("application.decided", "application", application["id"], payload)
    with engine.begin() as conn:
        for name in ("applications", "decisions", "notice_obligations"):
            rows = book[name]
            for start in range(0, len(rows), 2000):
                conn.execute(insert(tables[name].table), rows[start:start + 2000])
        for start in range(0, len(events), 5000):
            conn.execute(insert(AuditEvent), events[start:start + 5000])
    return len(events)


# Deep verification in a process of its own, so that its peak memory is its own (VmHWM: the
# rusage maximum would start from this process's, which holds the whole book).
_VERIFY = """
import json, sys, time
from app.audit import service
from app.config import get_settings
from app.db import build_engine

def peak_mib():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

engine = build_engine(sys.argv[1])
before = peak_mib()
start = time.perf_counter()
result = service.verify_ledger(engine, get_settings(), deep_rows=True)
print(json.dumps({"seconds": time.perf_counter() - start, "ok": result["ok"],
                  "rows": sum(t["rows"] for t in result["deep"]["tables"]),
                  "memory_mib": peak_mib() - before}))
"""


def deep_run(label: str, url: str, training, applications: int) -> None:
    upgrade(url)
    engine = build_engine(url)
    templates = _templates(engine, training)
    digest_us = sum(t["digest_us"] for t in templates) / len(templates)
    fill_book(engine, templates, applications - len(templates))
    with Session(engine) as session:
        start = time.perf_counter()
        chain = service.verify(session)
        chain_s = time.perf_counter() - start
    engine.dispose()
    child = subprocess.run([sys.executable, "-c", _VERIFY, url], check=True, text=True,
                           capture_output=True, cwd=Path(__file__).resolve().parent.parent)
    deep = json.loads(child.stdout)
    assert chain.ok and deep["ok"]
    rows, deep_s = deep["rows"], deep["seconds"]
    print(f"{label:<10} deep verification: {chain.events} events, {rows} rows "
          f"({applications} applications): chain alone {chain_s:.2f} s, chain + every row "
          f"{deep_s:.2f} s ({rows / (deep_s - chain_s):,.0f} rows/s beyond the chain), memory "
          f"+{deep['memory_mib']:.0f} MiB | row digests written per decision: {digest_us:.0f} us")


def run(label: str, url: str) -> None:
    upgrade(url)
    engine = build_engine(url)
    one = appends_per_second(engine, 1, 1000)
    eight = appends_per_second(engine, 8, 250)
    in_transaction = append_cost_us(engine)
    seconds, events = verification(engine, 100_000)
    engine.dispose()
    print(
        f"{label:<10} append, a transaction each: 1 writer {one:5.0f} events/s, 8 writers "
        f"{eight:5.0f} events/s | one append inside a transaction: {in_transaction:4.0f} us"
        f" | verify {events} events: {seconds:.3f} s ({events / seconds:,.0f} events/s)"
    )


def main() -> None:
    from risk_models.default_model import train_default_model

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=os.environ.get("RISKDESK_TEST_POSTGRES_URL"))
    parser.add_argument("--applications", type=int, default=100_000,
                        help="Applications in the book deep verification reads (0: skip).")
    parser.add_argument("--deep-only", action="store_true",
                        help="Skip the append and chain figures.")
    args = parser.parse_args()
    if not args.deep_only:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/bench.db")
        if args.postgres:
            with postgres_database(args.postgres) as url:
                run("PostgreSQL", url)
    if args.applications:
        training = train_default_model()
        with tempfile.TemporaryDirectory() as tmp:
            deep_run("SQLite", f"sqlite:///{tmp}/deep.db", training, args.applications)
        if args.postgres:
            with postgres_database(args.postgres) as url:
                deep_run("PostgreSQL", url, training, args.applications)
    print(
        "repeat: .venv/bin/python bench/ledger.py --applications 100000 --postgres "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


if __name__ == "__main__":
    main()
