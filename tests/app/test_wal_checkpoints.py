"""SQLite's write-ahead log is copied into the database file by the service's own thread, not by
the commits of requests."""

from __future__ import annotations

import shutil
import sqlite3
import threading

import pytest
from sqlalchemy import text

from app.db import WalCheckpointer


def _rows_in_file_alone(database: str, copy: str) -> int:
    """Rows of the filler table in the database file without its log: what checkpoints have
    copied so far."""
    shutil.copyfile(database, copy)
    with sqlite3.connect(copy) as alone:
        return int(alone.execute("SELECT count(*) FROM wal_filler").fetchone()[0])


def test_commits_leave_the_log_to_the_checkpointer(engine, tmp_path):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no write-ahead log to copy")
    database = str(engine.url.database)
    checkpointer = WalCheckpointer(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE wal_filler (body TEXT)"))
    checkpointer.checkpoint()
    # Some 2,000 pages in one commit: past SQLite's default of 1,000, below the backstop.
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO wal_filler VALUES (:body)"), {"body": "x" * 8_000_000})
    assert _rows_in_file_alone(database, str(tmp_path / "committed.db")) == 0
    checkpointer.checkpoint()
    assert _rows_in_file_alone(database, str(tmp_path / "checkpointed.db")) == 1


def test_the_service_checkpoints_while_it_serves(settings_env):
    from fastapi.testclient import TestClient

    from app.db import get_engine
    from app.main import create_app

    def running() -> bool:
        return any(t.name == "riskdesk-wal-checkpoint" for t in threading.enumerate())

    sqlite = get_engine().dialect.name == "sqlite"
    with TestClient(create_app()):
        assert running() is sqlite
    assert not running()
