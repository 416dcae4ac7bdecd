"""End-to-end decision latency: POST /applications over loopback HTTP against `riskdesk serve`.

SQLite (the embedded default): p50/p99 of sequential requests, and throughput with 8 clients.
PostgreSQL (with --postgres): the same figures.
Each submission is validated, cleansed, scored, decided and committed with its ledger event.

Run:  .venv/bin/python bench/e2e.py [--requests 500] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "benchmark-secret-key-long-enough"
DIGEST_KEY = "benchmark-digest-key-long-enough"
os.environ.setdefault("RISKDESK_SECRET_KEY", SECRET)
os.environ.setdefault("RISKDESK_DIGEST_KEY", DIGEST_KEY)

from bench.scratch import postgres_database  # noqa: E402
from tests.app.application_documents import good_application, risky_application  # noqa: E402

PASSWORD = "benchmark password"


def prepare(url: str, data_dir: str, training) -> None:  # type: ignore[no-untyped-def]
    """Migrate, create a loan officer and register the default model in ``url``'s database."""
    from app.auth.principal import Principal
    from app.auth.roles import Role
    from app.db import build_engine, session_scope
    from app.migrations import upgrade
    from app.scoring import service
    from app.users.service import create_user
    from risk_models.default_model import PROTECTED, TARGET

    upgrade(url)
    engine = build_engine(url)
    result, policy = training
    with session_scope(engine) as session:
        actor = Principal.system("bench")
        create_user(session, actor, username="bench-officer", password=PASSWORD,
                    role=Role.LOAN_OFFICER)
        service.register_model(session, actor, result, data_name="german_credit.csv",
                               target=TARGET, protected=list(PROTECTED), activate=True)
        service.register_policy(session, actor, policy.to_dict(), activate=True)
    engine.dispose()


def serve(url: str, data_dir: str, port: int) -> subprocess.Popen:
    # The documents carry voluntary monitoring data, as a self-testing lender collects it.
    env = {**os.environ, "RISKDESK_DATABASE_URL": url, "RISKDESK_DATA_DIR": data_dir,
           "RISKDESK_SECRET_KEY": SECRET, "RISKDESK_DIGEST_KEY": DIGEST_KEY,
           "RISKDESK_MONITORING_COLLECTION": "self_test"}
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "uvicorn", "app.main:app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the server did not become ready")


def documents(n: int) -> list[dict]:
    # Alternate approvals and declines, each with its own national id (no duplicate history).
    docs = []
    for i in range(n):
        make = good_application if i % 2 else risky_application
        docs.append(make(**{"kyc.national_id": f"B{i:08d}",
                            "kyc.full_name": f"Applicant {i} Example"}))
    return docs


def run_clients(port: int, token: str, docs: list[dict], clients: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [docs[i::clients] for i in range(clients)]

    def client(chunk: list[dict]) -> None:
        mine = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"Authorization": f"Bearer {token}"}) as http:
            for doc in chunk:
                start = time.perf_counter()
                response = http.post("/applications", json=doc)
                mine.append(time.perf_counter() - start)
                if response.status_code != 201:
                    raise RuntimeError(response.text)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - start


def measure(label: str, url: str, requests: int, training, port: int) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as data_dir:
        prepare(url, data_dir, training)
        process = serve(url, data_dir, port)
        try:
            token = httpx.post(f"http://127.0.0.1:{port}/auth/token",
                               data={"username": "bench-officer",
                                     "password": PASSWORD}).json()["access_token"]
            run_clients(port, token, documents(50), 1)  # warm-up
            lat, _ = run_clients(port, token, documents(requests), 1)
            lat8, elapsed8 = run_clients(port, token, documents(requests), 8)
        finally:
            process.terminate()
            process.wait()
    q = statistics.quantiles(sorted(lat), n=100)
    q8 = statistics.quantiles(sorted(lat8), n=100)
    print(f"{label:<10} 1 client: p50 {q[49] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms | "
          f"8 clients: {len(lat8) / elapsed8:7.1f} decisions/s  p50 {q8[49] * 1000:6.1f} ms  "
          f"p99 {q8[98] * 1000:6.1f} ms  ({requests} requests each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--postgres", default=os.environ.get("RISKDESK_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    from risk_models.default_model import train_default_model

    training = train_default_model()
    with tempfile.TemporaryDirectory() as tmp:
        measure("SQLite", f"sqlite:///{tmp}/e2e.db", args.requests, training, 8765)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            measure("PostgreSQL", url, args.requests, training, 8766)
    print("repeat: .venv/bin/python bench/e2e.py --requests 500 --postgres "
          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


if __name__ == "__main__":
    main()
