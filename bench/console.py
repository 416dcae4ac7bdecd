"""Console page times over a large book: every role's home page and main screens, served by a
real server process, with 100,000 applications, 10,000 open review cases and a ledger of one
event per decision.

Each page is requested --repeat times after two warm-up requests, one at a time, by a browser
session signed in through the form; the figures are server round trips as the browser sees
them (no rendering). A list's second page is reached through its own "Next" link (keyset).

Run:  .venv/bin/python bench/console.py [--rows N] [--cases N] [--repeat N]
          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RISKDESK_SECRET_KEY", "benchmark-secret-key-long-enough")
os.environ.setdefault("RISKDESK_DIGEST_KEY", "benchmark-digest-key-long-enough")

from sqlalchemy import insert, select, text, update  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.principal import Principal  # noqa: E402
from app.auth.roles import Role  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.fairness.schemas import FairnessAuditCreate  # noqa: E402
from app.fairness.service import run_audit  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models import Application, AuditEvent, FairnessAudit, ReviewCase  # noqa: E402
from app.users.service import create_user  # noqa: E402
from bench.reports_service import FIRST_DAY, LAST_DAY, fill  # noqa: E402
from bench.scratch import postgres_database  # noqa: E402
from tests.app import factories as f  # noqa: E402

PASSWORD = "benchmark password long enough"
TARGET_P95_MS = 150.0
_NEXT = re.compile(r'<a [^>]*href="([^"]+)"[^>]*>\s*(?:Next|Older|Earlier|More)', re.I)


def _users(engine) -> dict[Role, int]:  # type: ignore[no-untyped-def]
    ids = {}
    with session_scope(engine) as session:
        for role in Role:
            user = create_user(session, Principal.system("bench"), username=f"bench-{role.value}",
                               password=PASSWORD, role=role)
            ids[role] = user.id
    return ids  # type: ignore[return-value]


def _open_cases(engine, count: int) -> None:  # type: ignore[no-untyped-def]
    """Open review cases for the referred applications (and more referrals if too few), as
    the queue holds them: most unclaimed, some claimed, due by their service level."""
    with engine.begin() as conn:
        referred = [r[0] for r in conn.execute(
            select(Application.id).where(Application.status == "referred")
            .order_by(Application.id).limit(count))]  # type: ignore[arg-type]
        if len(referred) < count:
            # Too few open referrals in the book: some reviewed ones are put back in the queue.
            more = [r[0] for r in conn.execute(
                select(Application.id).where(Application.status == "reviewed")
                .order_by(Application.id.desc()).limit(count - len(referred)))]  # type: ignore[union-attr]
            conn.execute(update(Application).where(Application.id.in_(more))  # type: ignore[attr-defined]
                         .values(status="referred", outcome="refer"))
            referred += more
    now = datetime.now(UTC)
    rows = []
    for i, app_id in enumerate(referred):
        opened = now - timedelta(hours=(i * 7) % 400)
        rows.append({"id": f"CASE{i:010d}", "application_id": app_id, "kind": "referral",
                     "state": "assigned" if i % 5 == 0 else "open", "priority": 1 + i % 3,
                     "opened_at": opened, "due_at": opened + timedelta(hours=48),
                     "assignee_id": None, "assigned_at": None, "decided_at": None,
                     "decision_id": None, "detail": {"reason_codes": ["RC-CHK-01"]}})
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(ReviewCase), rows[start:start + 5000])


def _book(url: str, rows: int, cases: int) -> dict[Role, int]:
    from app.db import get_engine

    os.environ["RISKDESK_DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade(url)
    engine = build_engine(url)
    fill(engine, rows)
    users = _users(engine)
    with engine.begin() as conn:
        # The book's applications are the loan officer's, so "my applications" is all of them.
        conn.execute(update(Application).values(submitted_by=str(users[Role.LOAN_OFFICER])))
    _open_cases(engine, cases)
    with session_scope(engine) as session:
        run_audit(session, Principal.system("bench"), FairnessAuditCreate(
            source="decisions", date_from=FIRST_DAY, date_to=LAST_DAY, n_boot=50))
    # Planner statistics and (PostgreSQL) the visibility map, as a database in service has
    # them from its autovacuum: without it, an index-only scan still reads every row.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return users


def _serve(url: str, data_dir: str) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "RISKDESK_DATABASE_URL": url, "RISKDESK_DATA_DIR": data_dir,
           "RISKDESK_CHECKPOINT_POLL_SECONDS": "0", "RISKDESK_JOBS_URL": "immediate"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host",
                               "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def _sign_in(base: str, role: Role) -> httpx.Client:
    browser = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    form = browser.get("/console/login").text
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    assert token
    answer = browser.post("/console/login", data={"username": f"bench-{role.value}",
                                                  "password": PASSWORD,
                                                  "form_token": token.group(1)})
    assert answer.status_code == 200 and answer.url.path == "/console", answer.text[:500]
    return browser


def _ids(url: str) -> dict[str, str]:
    engine = build_engine(url)
    with Session(engine) as session:
        application = session.exec(text(  # type: ignore[call-overload]
            "SELECT id FROM applications WHERE outcome = 'decline' ORDER BY submitted_at DESC "
            "LIMIT 1")).one()[0]
        case = session.exec(select(ReviewCase.id).order_by(  # type: ignore[call-overload]
            ReviewCase.opened_at).limit(1)).one()[0]
        event = session.exec(select(AuditEvent.seq).order_by(  # type: ignore[call-overload]
            AuditEvent.seq.desc()).limit(1)).one()[0]  # type: ignore[attr-defined]
        audit = session.exec(select(FairnessAudit.id).limit(1)).one()[0]  # type: ignore[call-overload]
    engine.dispose()
    return {"application": application, "case": case, "event": str(event),
            "audit": str(audit), "model": f.MODEL_VERSION}


def _pages(ids: dict[str, str]) -> dict[Role, list[str]]:
    """Each role's screens; ``+next`` follows the list's own link to its next page."""
    return {
        Role.LOAN_OFFICER: ["/console", "/console/applications", "+next",
                            f"/console/applications/{ids['application']}",
                            "/console/applications/new"],
        Role.UNDERWRITER: ["/console", "/console/cases", "+next",
                           f"/console/cases/{ids['case']}", "/console/approvals"],
        Role.COMPLIANCE_OFFICER: ["/console", "/console/compliance", "/console/fairness",
                                  f"/console/fairness/{ids['audit']}", "/console/reports",
                                  "/console/screening"],
        Role.MODEL_VALIDATOR: ["/console", "/console/models", f"/console/models/{ids['model']}",
                               "/console/policies"],
        Role.AUDITOR: ["/console", "/console/ledger", "+next",
                       f"/console/ledger?action=decision.&entity_id={ids['application']}",
                       f"/console/ledger/{ids['event']}",
                       f"/console/applications/{ids['application']}/trail",
                       "/console/ledger/verify", "/console/reports/verify"],
        Role.ADMIN: ["/console", "/console/users", "/console/api-keys",
                     "/console/notice-parties"],
    }


def _measure(browser: httpx.Client, path: str, repeat: int) -> list[float]:
    times = []
    for i in range(repeat + 2):
        start = time.perf_counter()
        answer = browser.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
        if i >= 2:
            times.append(elapsed)
    return times


def run(label: str, url: str, rows: int, cases: int, repeat: int, data_dir: str) -> bool:
    started = time.perf_counter()
    _book(url, rows, cases)
    print(f"{label}: {rows:,} applications, {cases:,} open cases, built in "
          f"{time.perf_counter() - started:.0f} s")
    server, base = _serve(url, data_dir)
    worst = 0.0
    try:
        for role, paths in _pages(_ids(url)).items():
            browser = _sign_in(base, role)
            previous = ""
            for path in paths:
                if path == "+next":
                    found = _NEXT.search(browser.get(previous).text)
                    if found is None:
                        raise RuntimeError(f"{previous} has no link to a next page")
                    path = found.group(1).replace("&amp;", "&")
                times = _measure(browser, path, repeat)
                p95 = statistics.quantiles(times, n=20)[18]
                worst = max(worst, p95)
                print(f"  {role.value:<19} {path[:58]:<58} p50 {statistics.median(times):6.1f}"
                      f" ms  p95 {p95:6.1f} ms")
                previous = path
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"  slowest page p95: {worst:.1f} ms (target < {TARGET_P95_MS:.0f} ms)")
    return worst < TARGET_P95_MS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--postgres", default=None, help="Also run on this PostgreSQL server.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RISKDESK_DATA_DIR"] = tmp
        run("SQLite", f"sqlite:///{tmp}/bench.db", args.rows, args.cases, args.repeat, tmp)
        if args.postgres:
            with postgres_database(args.postgres) as url:
                run("PostgreSQL", url, args.rows, args.cases, args.repeat, tmp)
    repeat = f"--rows {args.rows} --cases {args.cases} --repeat {args.repeat}"
    if args.postgres:
        repeat += f" --postgres {args.postgres}"
    print(f"repeat: .venv/bin/python bench/console.py {repeat}")


if __name__ == "__main__":
    main()
