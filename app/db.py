"""Database engine and the per-request session, the only place that commits."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request
from sqlalchemy import event, insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, SQLModel, create_engine
from starlette.concurrency import run_in_threadpool

from app.admission import gate_for
from app.config import get_settings
from app.errors import ServiceUnavailable
from app.models.base import table_of
from app.statements import Prepared

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)
logger = logging.getLogger("riskdesk")


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # A committing connection copies the log into the database once it holds this many
        # pages; the service's checkpointer (WalCheckpointer) does it long before.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Every transaction may append to the ledger (reads of personal data are recorded too),
        # so take SQLite's write lock up front: a deferred transaction that read the chain head
        # could not upgrade to a writer without failing with SQLITE_BUSY. A connection marked
        # READ_ONLY never writes: its deferred transaction reads one snapshot (WAL) and leaves
        # writers alone.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


# About 40 MB of log (a decision writes some 40 pages of 4 KiB): a backstop, should the
# service's checkpointer fall behind or not run (the command line).
WAL_BACKSTOP_PAGES = 10_000
CHECKPOINT_INTERVAL_SECONDS = 0.25


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database file from a thread of its own.

    SQLite's default is for the commit that grows the log past 1,000 pages to copy it, with two
    fsyncs: about one decision in 25 then held the single writer, and every request queued
    behind it, for tens of milliseconds. A passive checkpoint here, every quarter second, runs
    beside the writer (SQLite releases the GIL while it copies) and never blocks it.
    """

    def __init__(self, engine: Engine, interval: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="riskdesk-wal-checkpoint",
                                        daemon=True)

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def checkpoint(self) -> None:
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.checkpoint()
            except Exception as exc:  # noqa: BLE001 (the backstop still checkpoints; retried)
                logger.warning("WAL checkpoint failed: %s", type(exc).__name__)


def start_checkpoints(engine: Engine) -> WalCheckpointer | None:
    """The service's background checkpointer for ``engine``, if it is a SQLite file."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return WalCheckpointer(engine).start()


class JSONText(str):
    """A JSON column's value already serialised (the caller hashed this text): written as is."""


def _json_serializer(value: Any) -> str:
    return str(value) if isinstance(value, JSONText) else json.dumps(value)


# Execution option of a connection that only reads (health probes): no write lock on SQLite.
READ_ONLY = "riskdesk_read_only"
# PostgreSQL connections of a process that is not told otherwise (the command line, tests).
DEFAULT_CONNECTIONS = 20


def build_engine(url: str, *, echo: bool = False,
                 connections: int = DEFAULT_CONNECTIONS) -> Engine:
    """Create an engine for ``url`` with riskdesk's per-backend settings.

    ``hide_parameters``: a database error's message would otherwise carry the statement's
    values — names, national ids — into logs. ``connections``: PostgreSQL's pool, all kept
    open, and how many requests the gate admits at once; two more may be opened for the
    readiness probe and the one-off migration check, which pass no gate.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            # Readable by the service's user alone: it holds personal data. SQLite gives its
            # -wal and -shm files the permissions of the database file.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        engine = create_engine(url, echo=echo, hide_parameters=True,
                               json_serializer=_json_serializer,
                               connect_args={"check_same_thread": False})
        _prepare_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True,
                         json_serializer=_json_serializer, pool_size=connections,
                         max_overflow=2, pool_timeout=10)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    settings = get_settings()
    return build_engine(settings.database_url, echo=settings.db_echo,
                        connections=settings.connections_per_process)


_sqlite_writers: dict[str, threading.Lock] = {}
_sqlite_writers_guard = threading.Lock()


def _writer_lock(engine: Engine) -> threading.Lock | None:
    """SQLite admits one writer at a time. Queue this process's units of work on a lock rather
    than on SQLite's busy handler, whose growing sleeps turn contention into second-long tails;
    other processes (the CLI) still meet the busy timeout.

    A plain Lock, not an RLock: FastAPI enters and leaves a request's session in different
    worker threads, and only a Lock may be released by a thread other than its acquirer.
    """
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url)
    with _sqlite_writers_guard:
        return _sqlite_writers.setdefault(key, threading.Lock())


class DatabaseNotMigrated(ServiceUnavailable):
    code = "database_not_migrated"


_migrated: set[str] = set()


def require_migrated(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not at the newest migration, saying what to
    do; checked once per process and database (a migration is not undone under a service)."""
    key = str(engine.url)
    if key in _migrated:
        return
    from app.migrations import current_revision, head_revision

    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        current = current_revision(conn)
    head = head_revision()
    if current != head:
        raise DatabaseNotMigrated(
            f"the database is at migration {current or '(none: empty)'}, not at the newest, "
            f"{head}; run `riskdesk db upgrade` first")
    _migrated.add(key)


_DEFER, _DEFERRED = "riskdesk.defer_after_commit", "riskdesk.deferred"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` once ``session``'s transaction has committed (never if it rolls back),
    and, in :func:`session_scope`, once this process's SQLite writer lock is released: so a
    callback may run a unit of work of its own (a job run inline, as the test suite's queue
    does) without waiting on the lock its caller holds."""
    def committed(_session: Session) -> None:
        if session.info.get(_DEFER):
            session.info.setdefault(_DEFERRED, []).append(callback)
        else:
            callback()
    event.listen(session, "after_commit", committed, once=True)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    if engine is None:
        engine = get_engine()
        require_migrated(engine)
    lock = _writer_lock(engine)
    if lock is not None:
        lock.acquire()
    deferred: list[Callable[[], None]] = []
    try:
        with Session(engine, expire_on_commit=False) as session:
            session.info[_DEFER] = True
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            deferred = session.info.pop(_DEFERRED, [])
    finally:
        if lock is not None:
            lock.release()
    for callback in deferred:
        callback()


@contextmanager
def read_snapshot(session: Session) -> Iterator[Session]:
    """A session that reads one consistent snapshot of the database, for work that must see
    the database as of one ledger head (a period report's rows).

    SQLite: ``session`` itself, whose transaction holds the write lock, so nothing changes under
    it. PostgreSQL: a read-only REPEATABLE READ transaction on a connection of its own; under
    READ COMMITTED each statement would see rows committed after the head was read.
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        yield session
        return
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                            postgresql_readonly=True) as conn:
        with Session(bind=conn) as snapshot:
            try:
                yield snapshot
            finally:
                snapshot.rollback()


def request_slots(engine: Engine) -> int:
    """How many requests may hold a database session at once: SQLite admits one writer (and
    every request may write the ledger), PostgreSQL as many as the pool has connections."""
    if engine.dialect.name == "sqlite":
        return 1
    size: int = engine.pool.size()  # type: ignore[attr-defined]  # a QueuePool
    return size


async def get_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency: the request's session, committed once when the endpoint succeeds.

    The request first waits for a database slot on the event loop (:class:`app.admission.Gate`),
    never in a worker thread: a thread that waited for the lock while holding one of the worker
    threads could starve the holder of the thread it needs to finish, and hang the service.
    Past the gate's bound the request is refused with 503 and ``Retry-After``.

    Ending the session takes one worker-thread hand-off (commit or roll back, then close), and
    none when no transaction is open: an endpoint that committed its unit of work with
    :func:`commit_in_worker`, or never touched the database, holds no connection any more.
    """
    engine = get_engine()
    if str(engine.url) not in _migrated:
        await run_in_threadpool(require_migrated, engine)
    async with gate_for(request.app, engine):
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
        except BaseException:
            if session.in_transaction():
                await run_in_threadpool(_end, session, commit=False)
            else:
                session.close()
            raise
        if session.in_transaction():
            await run_in_threadpool(_end, session, commit=True)
        else:
            session.close()


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def insert_row(session: Session, model: type[M], values: dict[str, Any],
               serialized: dict[str, JSONText] | None = None) -> M:
    """Write one row of ``model`` with a Core insert and return the model built from the same
    values (transient: not in the session's identity map).

    For hot paths that write rows and answer from them: no unit of work, no instance state to
    track. Changes still pending in the session are flushed first, so they are written before
    the rows that refer to them. ``serialized`` gives JSON columns as text the caller already
    has (it hashed it): written instead of serialising those values again.
    """
    session.flush()
    _insert_statement(model).run(session, {**values, **serialized} if serialized else values)
    return cast(M, model.model_construct(**values))


@lru_cache(maxsize=64)
def _insert_statement(model: type[SQLModel]) -> Prepared:
    return Prepared(insert(table_of(model)))


async def commit_in_worker(session: Session, work: Callable[[], T]) -> T:
    """Run ``work`` and commit the request's transaction, in one worker-thread hand-off.

    For endpoints whose unit of work is one call: the database work, the answer built from it
    and the commit cost one hand-off instead of one each. A failure rolls back (the session
    dependency does it) and nothing is saved.
    """

    def unit() -> T:
        result = work()
        session.commit()
        return result

    return await run_in_threadpool(unit)


# scope="function" makes FastAPI run the commit before the response is sent, so a request is only
# acknowledged once its change and its ledger event are durable (and a failed commit becomes an
# error response).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
