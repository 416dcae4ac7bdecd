"""End-to-end decision latency: POST /applications over loopback HTTP against `riskdesk serve`.

For each backend (SQLite always, PostgreSQL with --postgres): p50/p99 of sequential requests
from one client, and decisions per second with 8 clients, plus the server's CPU time per
decision (the steadiest figure on a shared machine). Each submission is authenticated,
validated, cleansed, scored, decided and committed with its ledger events before the answer.

--baseline REF serves the code of git ref REF (extracted with `git archive`, run with the same
virtualenv, on a database of its own prepared by its own code) next to this tree's, and measures
the two alternately, round by round, under identical load: the ratios printed are of one run.
--floor also measures a trivial endpoint (bench/floor.py: read the JSON body, answer a small
JSON) over the same client: what uvicorn and the client cost on this machine before any work.
--workers 1,2 measures `riskdesk serve --workers N` on PostgreSQL with --clients-many clients.

--challenger measures this tree twice: champion alone, and with a challenger model scoring
every application in shadow (what shadow scoring adds to a decision).

Run:  .venv/bin/python bench/e2e.py [--requests 300] [--rounds 3] [--postgres URL]
                                    [--baseline REF] [--floor] [--workers 1,2] [--challenger]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
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
PYTHON = str(ROOT / ".venv/bin/python")
# Notices name these parties; `riskdesk serve` refuses demo values outside demo mode.
PARTIES = {
    "RISKDESK_CREDITOR_NAME": "Bench Lender AG", "RISKDESK_CREDITOR_ADDRESS": "1 Bench Road",
    "RISKDESK_CREDITOR_PHONE": "+49 30 1111111",
    "RISKDESK_SUPERVISING_AGENCY_NAME": "Bench Agency",
    "RISKDESK_SUPERVISING_AGENCY_ADDRESS": "2 Agency Road",
    "RISKDESK_CONSUMER_REPORTING_AGENCY_NAME": "Bench Bureau",
    "RISKDESK_CONSUMER_REPORTING_AGENCY_ADDRESS": "3 Bureau Road",
    "RISKDESK_CONSUMER_REPORTING_AGENCY_PHONE": "+49 800 2222222",
}
# Run in another tree's own code (the baseline): migrate and seed its database.
PREPARE_IN_TREE = ("import sys; from risk_models.default_model import train_default_model; "
                   "from bench.e2e import prepare; "
                   "prepare(sys.argv[1], sys.argv[2], train_default_model())")


def prepare(url: str, data_dir: str, training, challenger=None) -> None:  # type: ignore[no-untyped-def]
    """Migrate, create a loan officer and make the default model champion in ``url``'s
    database (and ``challenger``, another training result, challenger)."""
    from app.auth.principal import Principal
    from app.auth.roles import Role
    from app.db import build_engine, session_scope
    from app.migrations import upgrade
    from app.users.service import create_user
    from bench.registry import install_champion

    upgrade(url)
    engine = build_engine(url)
    with session_scope(engine) as session:
        actor = Principal.system("bench")
        create_user(session, actor, username="bench-officer", password=PASSWORD,
                    role=Role.LOAN_OFFICER)
        install_champion(session, training, challenger=challenger)
    engine.dispose()


def _environment(url: str, data_dir: str, tree: Path) -> dict[str, str]:
    # The documents carry voluntary monitoring data, as a self-testing lender collects it.
    return {**os.environ, **PARTIES, "RISKDESK_DATABASE_URL": url, "RISKDESK_DATA_DIR": data_dir,
            "RISKDESK_SECRET_KEY": SECRET, "RISKDESK_DIGEST_KEY": DIGEST_KEY,
            "RISKDESK_MONITORING_COLLECTION": "self_test", "PYTHONPATH": str(tree)}


def serve(url: str, data_dir: str, port: int, *, tree: Path = ROOT,
          workers: int | None = None) -> subprocess.Popen:
    """Start a server on ``port`` with ``tree``'s code: uvicorn itself, or `riskdesk serve
    --workers N` when ``workers`` is given; return once it answers /readyz."""
    if workers is None:
        command = ["-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level",
                   "warning", "--no-access-log"]
    else:
        command = ["-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers),
                   "--no-access-log"]
    process = subprocess.Popen([PYTHON, *command], cwd=tree,
                               env=_environment(url, data_dir, tree),
                               stdout=subprocess.DEVNULL if workers else None)
    return _ready(process, port)


def _ready(process: subprocess.Popen, port: int) -> subprocess.Popen:
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the server did not become ready")


def documents(n: int, start: int = 0) -> list[dict]:
    # Alternate approvals and declines, each with its own national id (no duplicate history).
    docs = []
    for i in range(start, start + n):
        make = good_application if i % 2 else risky_application
        docs.append(make(**{"kyc.national_id": f"B{i:08d}",
                            "kyc.full_name": f"Applicant {i} Example"}))
    return docs


class Connection:
    """A keep-alive HTTP/1.1 connection that sends prepared requests and reads the answers.

    Far lighter than a general client (httpx costs about a millisecond of CPU a request here):
    with 8 clients in one process on a 2-core machine the client must not be what is measured.
    """

    def __init__(self, port: int, token: str) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port))
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = (f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\n").encode()
        self.buffer = b""

    def request(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.socket.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\n" + self.head
                            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                            + body)
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        length = next(int(line.split(b":", 1)[1]) for line in lines[1:]
                      if line.lower().startswith(b"content-length:"))
        while len(self.buffer) < length:
            self._receive()
        answer, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), answer

    def _receive(self) -> None:
        chunk = self.socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.socket.close()


def run_clients(port: int, token: str, docs: list[dict], clients: int,
                path: str = "/applications",
                expect: int = 201) -> tuple[list[float], float]:
    """Send ``docs`` from ``clients`` concurrent connections, each waiting for its answer
    before sending the next; return every latency and the time the whole took."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    bodies = [json.dumps(doc).encode() for doc in docs]
    chunks = [bodies[i::clients] for i in range(clients)]

    def client(chunk: list[bytes]) -> None:
        mine = []
        connection = Connection(port, token)
        try:
            for body in chunk:
                start = time.perf_counter()
                status, answer = connection.request(path, body)
                mine.append(time.perf_counter() - start)
                if status != expect:
                    raise RuntimeError(f"{status}: {answer[:500]!r}")
        except Exception as exc:  # noqa: BLE001 (reported by the caller)
            with lock:
                failures.append(f"{type(exc).__name__}: {exc}")
            return
        finally:
            connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} clients stopped; first: {failures[0]}")
    return latencies, time.perf_counter() - start


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of ``pid`` and its children (uvicorn's worker processes)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Server:
    """One served tree and what was measured against it."""

    label: str
    port: int
    process: subprocess.Popen
    token: str = ""
    one: list[float] = field(default_factory=list)  # 1 client: latencies
    one_elapsed: float = 0.0
    many: list[float] = field(default_factory=list)  # N clients: latencies
    many_elapsed: float = 0.0
    cpu: float = 0.0  # server CPU seconds over every measured request
    requests: int = 0

    def sign_in(self) -> None:
        self.token = httpx.post(f"http://127.0.0.1:{self.port}/auth/token",
                                data={"username": "bench-officer", "password": PASSWORD}
                                ).json()["access_token"]

    def measure(self, docs_one: list[dict], docs_many: list[dict], clients: int) -> None:
        before = _cpu_seconds(self.process.pid)
        latencies, elapsed = run_clients(self.port, self.token, docs_one, 1)
        self.one += latencies
        self.one_elapsed += elapsed
        latencies, elapsed = run_clients(self.port, self.token, docs_many, clients)
        self.cpu += _cpu_seconds(self.process.pid) - before
        self.many += latencies
        self.many_elapsed += elapsed
        self.requests += len(docs_one) + len(docs_many)

    @property
    def rate(self) -> float:
        return len(self.many) / self.many_elapsed

    @property
    def rate_one(self) -> float:
        return len(self.one) / self.one_elapsed


def _ms(values: list[float], q: int) -> float:
    return statistics.quantiles(sorted(values), n=100)[q - 1] * 1000


def extract(ref: str, into: Path) -> Path:
    """The files of git ref ``ref`` of this repository, written under ``into``."""
    archive = into / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref], stdout=out,
                       check=True)
    tree = into / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    # The same virtualenv serves both trees: make sure each imports its own code.
    found = subprocess.run([PYTHON, "-c", "import app; print(app.__file__)"], cwd=tree,
                           env={**os.environ, "PYTHONPATH": str(tree)}, check=True,
                           capture_output=True, text=True).stdout.strip()
    if not found.startswith(str(tree)):
        raise RuntimeError(f"the baseline tree imports {found}, not its own code")
    return tree


@contextmanager
def served(label: str, url: str, tree: Path, port: int, training,  # type: ignore[no-untyped-def]
           workers: int | None = None, challenger=None) -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as data_dir:
        if tree == ROOT:
            prepare(url, data_dir, training, challenger)
        else:
            subprocess.run([PYTHON, "-c", PREPARE_IN_TREE, url, data_dir], cwd=tree,
                           env=_environment(url, data_dir, tree), check=True)
        process = serve(url, data_dir, port, tree=tree, workers=workers)
        try:
            server = Server(label, port, process)
            server.sign_in()
            run_clients(port, server.token, documents(50, start=900_000), 1)  # warm-up
            yield server
        finally:
            process.terminate()
            process.wait()


@contextmanager
def database(backend: str, postgres: str | None, tmp: str, name: str) -> Iterator[str]:
    if backend == "SQLite":
        yield f"sqlite:///{tmp}/{name}.db"
        return
    assert postgres is not None
    with postgres_database(postgres) as url:
        yield url


def side_by_side(backend: str, postgres: str | None, trees: list[tuple[str, Path, object]],
                 args: argparse.Namespace, training) -> list[Server]:  # type: ignore[no-untyped-def]
    """Serve every tree on its own database and measure them in turn, round by round (a tree's
    third item: a challenger model scoring in shadow, or None)."""
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        servers = []
        for i, (label, tree, challenger) in enumerate(trees):
            url = stack.enter_context(database(backend, postgres, tmp, f"e2e{i}"))
            servers.append(stack.enter_context(
                served(label, url, tree, args.port + i, training, challenger=challenger)))
        for round_ in range(args.rounds):
            start = round_ * 2 * args.requests
            docs_one = documents(args.requests, start)
            docs_many = documents(args.requests, start + args.requests)
            for server in servers if round_ % 2 == 0 else reversed(servers):
                server.measure(docs_one, docs_many, args.clients)
        return servers


def report(backend: str, servers: list[Server], clients: int) -> None:
    print(f"\n{backend}: {servers[0].requests // 2} requests per case per server, "
          f"alternating")
    print(f"  {'code':<12} {'1 client p50':>12} {'p99':>8} {'per s':>6} | {clients} clients "
          f"{'decisions/s':>11} {'p50':>8} {'p99':>8} | server CPU/decision")
    for s in servers:
        print(f"  {s.label:<12} {_ms(s.one, 50):9.1f} ms {_ms(s.one, 99):5.1f} ms "
              f"{s.rate_one:6.0f} | "
              f"{s.rate:21.1f} {_ms(s.many, 50):5.1f} ms {_ms(s.many, 99):5.1f} ms | "
              f"{s.cpu / s.requests * 1000:6.2f} ms")
    if len(servers) == 2:
        old, new = servers
        print(f"  {'ratio':<12} {_ms(old.one, 50) / _ms(new.one, 50):10.1f}× "
              f"{_ms(old.one, 99) / _ms(new.one, 99):6.1f}× "
              f"{new.rate_one / old.rate_one:5.1f}× | "
              f"{new.rate / old.rate:20.1f}× {_ms(old.many, 50) / _ms(new.many, 50):6.1f}× "
              f"{_ms(old.many, 99) / _ms(new.many, 99):6.1f}× | "
              f"{old.cpu / old.requests / (new.cpu / new.requests):6.1f}×")


def floor(args: argparse.Namespace) -> None:
    """Trivial endpoints over the same client (bench/floor.py): HTTP alone, and a decision's
    work without the service around it."""
    port = args.port + 9
    token = "x" * 260  # a bearer header as long as a real token's, never checked
    process = subprocess.Popen(
        [PYTHON, "-m", "uvicorn", "bench.floor:app", "--port", str(port), "--log-level",
         "warning", "--no-access-log"], cwd=ROOT)
    try:
        _ready(process, port)
        # The first decision trains the bundled model.
        httpx.post(f"http://127.0.0.1:{port}/decide", json=documents(1)[0], timeout=300)
        for path, what in (("/echo", "read the JSON body, answer a small JSON"),
                           ("/decide", "validate, decide, 5 sqlite3 inserts, 1 commit")):
            lat, _ = run_clients(port, token, documents(args.requests), 1, path=path, expect=200)
            lat8, elapsed8 = run_clients(port, token, documents(args.requests * args.rounds),
                                         args.clients, path=path, expect=200)
            print(f"floor {path:<8} ({what}): 1 client p50 {_ms(lat, 50):.2f} ms, "
                  f"p99 {_ms(lat, 99):.2f} ms | {args.clients} clients "
                  f"{len(lat8) / elapsed8:.0f}/s")
    finally:
        process.terminate()
        process.wait()


def workers_scaling(postgres: str, args: argparse.Namespace, training) -> None:  # type: ignore[no-untyped-def]
    """`riskdesk serve --workers N` on PostgreSQL, N in --workers, with --clients-many clients."""
    print(f"\nPostgreSQL, riskdesk serve --workers N, {args.clients_many} clients, "
          f"{os.cpu_count()} cores shared with the clients and the database:")
    for n in (int(w) for w in args.workers.split(",")):
        with database("PostgreSQL", postgres, "", "w") as url, \
                served(f"{n} workers", url, ROOT, args.port + 20, training, workers=n) as s:
            rates = []
            for round_ in range(args.rounds):
                docs = documents(args.requests, 500_000 + round_ * args.requests)
                latencies, elapsed = run_clients(s.port, s.token, docs, args.clients_many)
                rates.append(len(latencies) / elapsed)
                s.many += latencies
            print(f"  --workers {n}: {statistics.median(rates):6.1f} decisions/s (median of "
                  f"{args.rounds} rounds), p50 {_ms(s.many, 50):.1f} ms, "
                  f"p99 {_ms(s.many, 99):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--postgres", default=os.environ.get("RISKDESK_TEST_POSTGRES_URL"))
    parser.add_argument("--baseline", help="git ref to measure side by side, e.g. bb3a71b")
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--workers", help="with --postgres: comma-separated worker counts")
    parser.add_argument("--clients-many", type=int, default=16)
    parser.add_argument("--skip-side-by-side", action="store_true")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--challenger", action="store_true",
                        help="this tree without, then with, a challenger scoring in shadow")
    args = parser.parse_args()
    from bench.registry import variant
    from risk_models.default_model import train_default_model

    training = train_default_model()
    with tempfile.TemporaryDirectory() as tmp:
        trees: list[tuple[str, Path, object]] = [("this tree", ROOT, None)]
        if args.baseline:
            trees.insert(0, (args.baseline[:12], extract(args.baseline, Path(tmp)), None))
        if args.challenger:
            trees = [("champion", ROOT, None),
                     ("+challenger", ROOT, variant(training[0], points_shift=15.0))]
        if not args.skip_side_by_side:
            for backend in ("SQLite", "PostgreSQL") if args.postgres else ("SQLite",):
                report(backend, side_by_side(backend, args.postgres, trees, args, training),
                       args.clients)
    if args.floor:
        floor(args)
    if args.workers and args.postgres:
        workers_scaling(args.postgres, args, training)
    print("\nrepeat: .venv/bin/python bench/e2e.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
