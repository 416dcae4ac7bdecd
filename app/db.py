"""Database engine and the per-request session, the only place that commits."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from app.config import get_settings


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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Every transaction may append to the ledger (reads of personal data are recorded too),
        # so take SQLite's write lock up front: a deferred transaction that read the chain head
        # could not upgrade to a writer without failing with SQLITE_BUSY.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def build_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with riskdesk's per-backend settings.

    ``hide_parameters``: a database error's message would otherwise carry the statement's
    values — names, national ids — into logs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, hide_parameters=True,
                               connect_args={"check_same_thread": False})
        _prepare_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=10,
                         max_overflow=10)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    settings = get_settings()
    return build_engine(settings.database_url, echo=settings.db_echo)


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


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    engine = engine or get_engine()
    lock = _writer_lock(engine)
    if lock is not None:
        lock.acquire()
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        if lock is not None:
            lock.release()


def get_session() -> Iterator[Session]:
    """FastAPI dependency: the request's session, committed once when the endpoint succeeds."""
    with session_scope() as session:
        yield session


# scope="function" makes FastAPI run the commit before the response is sent, so a request is only
# acknowledged once its change and its ledger event are durable (and a failed commit becomes a 500).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
