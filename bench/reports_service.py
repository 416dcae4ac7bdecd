"""Report and fairness-audit figures through the service layer over 100,000 synthetic decisions.

Times, each end to end through the service (queries, build, storage, ledger event, commit):
(a) an adverse action notice (median of --repeat), (b) a compliance report over every decision,
(b') verifying that compliance report (its bytes against the ledger, a rebuild from its
manifest, the chain up to its event), (c) a model validation report, (d) a live-decision
fairness audit with 1,000 bootstrap rounds.
The database holds --rows applications with identities, monitoring data, automated decisions
(plus reviews and overrides) and a ledger of one event per decision, inserted in bulk.

Run:  .venv/bin/python bench/reports_service.py [--rows N] [--repeat N]
          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RISKDESK_SECRET_KEY", "benchmark-secret-key-long-enough")
os.environ.setdefault("RISKDESK_DIGEST_KEY", "benchmark-digest-key-long-enough")

from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.principal import Principal  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.fairness.schemas import FairnessAuditCreate  # noqa: E402
from app.fairness.service import run_audit  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models import (  # noqa: E402
    ApplicantIdentity,
    Application,
    ApplicationMonitoring,
    AuditEvent,
    DataSubject,
    Decision,
    NoticeObligation,
)
from app.reports.schemas import ReportCreate  # noqa: E402
from app.reports.service import create_report, verify_report  # noqa: E402
from app.subjects import crypto  # noqa: E402
from app.subjects.keys import keyring  # noqa: E402
from app.subjects.service import identity_binding  # noqa: E402
from bench.scratch import postgres_database  # noqa: E402
from compliance import ledger  # noqa: E402
from tests.app import factories as f  # noqa: E402

ACTOR = Principal.system("bench")
FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2026, 3, 31)
REASONS = [f.REASON_CHK, f.REASON_DUR, f.REASON_HIS,
           {"code": "RC-SAV-01", "statement": "Savings below the equivalent of 100 DM",
            "characteristic": "savings_account", "points_lost": 18.0}]
BATCH = 5000


def _bulk(engine, table, rows: list[dict]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(table), rows[start:start + BATCH])


def _sealed_identity(app_id: str, lookup_digest: str, at: datetime,
                     value: dict) -> tuple[dict, dict]:
    """A subject of its own (with a data key under the active master key) and the sealed
    identity row, as ``app.subjects.service.store_identity`` writes them."""
    key_id, master = keyring(get_settings()).active()
    subject_id, data_key = f"SUB{app_id[3:]}", crypto.new_key()
    subject = {"id": subject_id, "created_at": at, "lookup_digest": lookup_digest,
               "master_key_id": key_id,
               "wrapped_key": crypto.wrap(master, key_id, subject_id, data_key)}
    body = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    sealed = crypto.seal(data_key, body, identity_binding(app_id).associated_data(subject_id))
    return subject, {"application_id": app_id, "subject_id": subject_id, "sealed": sealed}


def fill(engine, rows: int, seed: int = 0) -> str:
    """Insert the synthetic book; returns the id of a declined application for the notice."""
    with Session(engine) as session:
        f.add_model(session, n_rows=1000)
        f.add_policy(session)
        session.commit()
    rng = np.random.default_rng(seed)
    span = (LAST_DAY - FIRST_DAY).days * 86_400
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
    at = [start + timedelta(seconds=int(s)) for s in np.sort(rng.integers(0, span, rows))]
    sex = rng.choice(["female", "male", "other", "not_provided"], rows, p=[.44, .5, .02, .04])
    band = rng.choice(["under 25", "25-39", "40-59", "60 and over"], rows, p=[.15, .45, .3, .1])
    origin = rng.choice(["domestic", "foreign", "unknown"], rows, p=[.85, .12, .03])
    score = np.round(rng.normal(590, 45, rows) - 12 * (origin == "foreign"), 1)
    outcome = np.where(score >= f.APPROVE_FROM, "approve",
                       np.where(score < f.DECLINE_BELOW, "decline", "refer"))
    review_draw, override_draw = rng.random(rows), rng.random(rows)
    apps, subjects, identities, monitoring, decisions, notices = [], [], [], [], [], []
    for i in range(rows):
        app_id, automated = f"APP{i:010d}", outcome[i]
        tier = {"approve": "low", "refer": "medium", "decline": "high"}[automated]
        reasons = [] if automated == "approve" else REASONS[: 1 + i % 4]
        current, status = automated, "decided"
        later = None
        if automated == "refer" and review_draw[i] < 0.8:
            current, status = ("approve" if review_draw[i] < 0.5 else "decline"), "reviewed"
            later = ("review", current)
        elif automated == "refer":
            status = "referred"
        elif override_draw[i] < 0.01:
            current = "approve" if automated == "decline" else "decline"
            later = ("override", current)
        apps.append(f.application_row(app_id=app_id, submitted_by="7", submitted_at=at[i],
                                      status=status, outcome=current, risk_tier=tier))
        subject, identity = _sealed_identity(app_id, apps[-1]["national_id_digest"], at[i], {
            "full_name": f"Applicant {i}",
            "date_of_birth": (date(1980, 1, 1) + timedelta(days=i % 9000)).isoformat(),
            "national_id": f"ID{i:08d}", "contact": {}, "co_applicant": None, "guarantor": None,
            "address": {"line1": f"{i} Bench Street", "city": "Springfield",
                        "postal_code": "62704", "country": "US"}})
        subjects.append(subject)
        identities.append(identity)
        monitoring.append({"application_id": app_id, "sex": sex[i], "age_band": band[i],
                           "national_origin": origin[i], "nationality": None})
        decisions.append(f.decision_row(decision_id=f"DEC{i:010d}A", app_id=app_id,
                                        kind="automated", created_at=at[i], outcome=automated,
                                        risk_tier=tier, score=float(score[i]), reasons=reasons))
        if automated == "decline" and status == "decided":
            # A decline owes a notice (Reg B §1002.9): half delivered on time, half pending.
            notices.append({"id": f"NOT{i:010d}", "application_id": app_id,
                            "decision_id": f"DEC{i:010d}A", "kind": "decline",
                            "status": "delivered" if i % 2 else "pending", "opened_at": at[i],
                            "due_date": (at[i] + timedelta(days=30)).date(), "missing": [],
                            "delivered_at": at[i] + timedelta(days=3) if i % 2 else None,
                            "delivery_channel": "mail" if i % 2 else None})
        if later:
            decisions.append(f.decision_row(
                decision_id=f"DEC{i:010d}B", app_id=app_id, kind=later[0],
                created_at=at[i] + timedelta(hours=20), outcome=later[1], risk_tier=tier,
                score=None, model_version=None, decided_by="3", decided_by_role="underwriter",
                reasons=reasons if later[1] != "approve"
                else []))
    for table, batch in ((Application, apps), (DataSubject, subjects),
                         (ApplicantIdentity, identities), (ApplicationMonitoring, monitoring),
                         (Decision, decisions), (NoticeObligation, notices)):
        _bulk(engine, table, batch)
    _ledger(engine, decisions)
    return next(n["application_id"] for n in notices if n["status"] == "pending")


def _ledger(engine, decisions: list[dict]) -> None:
    """One valid ledger event per decision, as the decision service would write them."""
    with Session(engine) as session:
        from app.audit.repository import chain_head

        seq, prev = chain_head(session) or (0, ledger.GENESIS_HASH)
    rows = []
    for d in decisions:
        seq += 1
        payload = ledger.canonical_json({"decision_id": d["id"], "outcome": d["outcome"]})
        record = ledger.LedgerRecord(seq, d["created_at"], "system", "bench", "admin",
                                     "decision.made", "application", d["application_id"],
                                     payload, prev)
        prev = ledger.hash_record(record)
        rows.append({"seq": seq, "occurred_at": d["created_at"], "actor_type": "system",
                     "actor_id": "bench", "actor_role": "admin", "action": "decision.made",
                     "entity_type": "application", "entity_id": d["application_id"],
                     "payload": payload, "prev_hash": record.prev_hash, "hash": prev})
    _bulk(engine, AuditEvent, rows)


def _timed(action: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def run(label: str, url: str, rows: int, repeat: int) -> None:
    from app.db import get_engine

    os.environ["RISKDESK_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    settings = get_settings()
    upgrade(url)
    engine = build_engine(url)
    (declined, fill_seconds) = _timed(lambda: fill(engine, rows))

    created_ids: dict[str, int] = {}

    def report(**body) -> tuple[int, float]:
        with session_scope(engine) as session:
            start = time.perf_counter()
            created = create_report(session, settings, ACTOR, ReportCreate(**body))
            size = created.size
            created_ids[body["kind"]] = created.id
        return size, time.perf_counter() - start

    def verify(kind: str) -> tuple[bool, float]:
        with session_scope(engine) as session:
            start = time.perf_counter()
            result = verify_report(session, settings, created_ids[kind])
            return result.ok, time.perf_counter() - start

    def notice() -> float:
        return report(kind="adverse_action", application_id=declined)[1]

    notice()  # warm-up: imports, fonts, the model artifact
    notice_ms = 1000 * statistics.median(notice() for _ in range(repeat))
    compliance_size, compliance_s = report(kind="compliance", date_from=FIRST_DAY,
                                           date_to=LAST_DAY)
    validation_size, validation_s = report(kind="model_validation",
                                           model_version=f.MODEL_VERSION)
    compliance_ok, compliance_verify_s = verify("compliance")

    def audit() -> int:
        with session_scope(engine) as session:
            return run_audit(session, ACTOR, FairnessAuditCreate(
                source="decisions", date_from=FIRST_DAY, date_to=LAST_DAY, n_boot=1000,
                intersections=[("sex", "age_band")])).audited

    audited, audit_s = _timed(audit)
    engine.dispose()
    print(f"{label}: {rows:,} applications inserted in {fill_seconds:.1f} s")
    print(f"  (a) adverse action notice           {notice_ms:8.1f} ms  (median of {repeat})")
    print(f"  (b) compliance report, all decisions {compliance_s:8.2f} s   "
          f"({compliance_size:,} bytes)")
    print(f"  (b') verify that compliance report    {compliance_verify_s:8.2f} s   "
          f"(ok: {compliance_ok}; bytes against the ledger, rebuilt from its manifest, "
          "chain up to it)")
    print(f"  (c) model validation report          {validation_s:8.2f} s   "
          f"({validation_size:,} bytes)")
    print(f"  (d) live fairness audit, 1,000 boot  {audit_s:8.2f} s   "
          f"({audited:,} decided applications, with sex x age band)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", default=None, help="Also run on this PostgreSQL server.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RISKDESK_DATA_DIR"] = tmp
        run("SQLite", f"sqlite:///{tmp}/bench.db", args.rows, args.repeat)
        if args.postgres:
            with postgres_database(args.postgres) as url:
                run("PostgreSQL", url, args.rows, args.repeat)
    repeat = f"--rows {args.rows} --repeat {args.repeat}"
    if args.postgres:
        repeat += f" --postgres {args.postgres}"
    print(f"repeat: .venv/bin/python bench/reports_service.py {repeat}")


if __name__ == "__main__":
    main()
