"""Ledger figures: append throughput (1 and 8 writers) and verification speed over 100,000 events.

Run:  .venv/bin/python bench/ledger.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RISKDESK_SECRET_KEY", "benchmark-secret-key-long-enough")
os.environ.setdefault("RISKDESK_DIGEST_KEY", "benchmark-digest-key-long-enough")

from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.audit import service  # noqa: E402
from app.auth.principal import Principal  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models import AuditEvent  # noqa: E402
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=os.environ.get("RISKDESK_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db")
    if args.postgres:
        with postgres_database(args.postgres) as url:
            run("PostgreSQL", url)
    print(
        "repeat: .venv/bin/python bench/ledger.py --postgres "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


if __name__ == "__main__":
    main()
