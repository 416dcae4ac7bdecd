"""Many clients at once against `riskdesk serve`: every request gets an answer, /healthz keeps
answering.

200 clients (by default) each send POST /applications at the same moment over loopback HTTP,
while a prober asks /healthz every 20 ms. Each request must end in 201 (decided) or 503 with
Retry-After (refused while the service is at capacity) within the client timeout; nothing may
hang and nothing may answer 500. Printed: answers by status, latency percentiles, the slowest
/healthz answer, and the decisions per second. SQLite always; PostgreSQL with --postgres.

Run:  .venv/bin/python bench/load.py [--clients 200] [--rounds 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.e2e import PASSWORD, documents, prepare, serve  # noqa: E402
from bench.scratch import postgres_database  # noqa: E402

CLIENT_TIMEOUT = 60.0


@dataclass
class Storm:
    """What a burst of simultaneous requests got back."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    retry_after_missing: int = 0
    errors: list[str] = field(default_factory=list)  # transport errors: no answer at all
    health_max: float = 0.0
    health_failures: int = 0
    health_probes: int = 0
    elapsed: float = 0.0

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())


def storm(port: int, token: str, docs: list[dict], *, timeout: float = CLIENT_TIMEOUT) -> Storm:
    """Send every document at once, one client each, while probing /healthz."""
    result = Storm()
    lock = threading.Lock()
    barrier = threading.Barrier(len(docs) + 1)
    done = threading.Event()
    base = f"http://127.0.0.1:{port}"

    def client(doc: dict) -> None:
        with httpx.Client(base_url=base, timeout=timeout,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            barrier.wait()
            start = time.perf_counter()
            try:
                response = http.post("/applications", json=doc)
            except httpx.HTTPError as exc:
                with lock:
                    result.errors.append(type(exc).__name__)
                return
            elapsed = time.perf_counter() - start
            with lock:
                result.statuses[response.status_code] += 1
                result.latencies.append(elapsed)
                if response.status_code == 503 and "retry-after" not in response.headers:
                    result.retry_after_missing += 1

    def prober() -> None:
        with httpx.Client(base_url=base, timeout=5.0) as http:
            while not done.is_set():
                start = time.perf_counter()
                try:
                    ok = http.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - start
                result.health_probes += 1
                result.health_max = max(result.health_max, took)
                result.health_failures += not ok
                time.sleep(0.02)

    threads = [threading.Thread(target=client, args=(d,)) for d in docs]
    probe = threading.Thread(target=prober)
    for thread in threads:
        thread.start()
    probe.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - start
    done.set()
    probe.join()
    return result


def token_for(port: int) -> str:
    response = httpx.post(f"http://127.0.0.1:{port}/auth/token",
                          data={"username": "bench-officer", "password": PASSWORD})
    return str(response.json()["access_token"])


def report(label: str, results: list[Storm]) -> None:
    statuses: Counter[int] = Counter()
    for r in results:
        statuses.update(r.statuses)
    latencies = sorted(x for r in results for x in r.latencies)
    q = statistics.quantiles(latencies, n=100)
    decided = statuses[201]
    elapsed = sum(r.elapsed for r in results)
    print(f"{label:<10} {sum(r.answered for r in results)} answered "
          f"({', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))}), "
          f"{sum(len(r.errors) for r in results)} unanswered; latency p50 {q[49]:.2f} s "
          f"p99 {q[98]:.2f} s max {latencies[-1]:.2f} s; {decided / elapsed:.0f} decisions/s; "
          f"/healthz slowest {max(r.health_max for r in results) * 1000:.0f} ms over "
          f"{sum(r.health_probes for r in results)} probes, "
          f"{sum(r.health_failures for r in results)} failed; 503 without Retry-After: "
          f"{sum(r.retry_after_missing for r in results)}")


def measure(label: str, url: str, clients: int, rounds: int, training, port: int) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as data_dir:
        prepare(url, data_dir, training)
        process = serve(url, data_dir, port)
        try:
            token = token_for(port)
            results = [storm(port, token, documents(clients)) for _ in range(rounds)]
        finally:
            process.terminate()
            process.wait()
    report(label, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("RISKDESK_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    from risk_models.default_model import train_default_model

    training = train_default_model()
    with tempfile.TemporaryDirectory() as tmp:
        measure("SQLite", f"sqlite:///{tmp}/load.db", args.clients, args.rounds, training, 8767)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            measure("PostgreSQL", url, args.clients, args.rounds, training, 8768)
    print(f"repeat: .venv/bin/python bench/load.py --clients {args.clients} --rounds "
          f"{args.rounds} --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test")


if __name__ == "__main__":
    main()
