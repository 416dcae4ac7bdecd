"""The SQLite database file holds personal data: it is created readable by its owner alone."""

from __future__ import annotations

import stat

from app.db import build_engine


def test_a_new_sqlite_file_is_created_0600(tmp_path):
    path = tmp_path / "var" / "riskdesk.db"
    engine = build_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
