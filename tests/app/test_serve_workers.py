"""`riskdesk serve --workers N`: refused on SQLite; on PostgreSQL the service's connections are
shared by its worker processes, and each admits as many requests as it has connections."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.config import Settings


def _serve(monkeypatch, tmp_path, database_url: str, *args: str):  # type: ignore[no-untyped-def]
    """Run `riskdesk serve ARGS` without serving; return the result and uvicorn's arguments."""
    from app.cli import cli
    from app.config import get_settings

    started: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: started.append(options))
    monkeypatch.setenv("RISKDESK_DEMO_MODE", "true")
    monkeypatch.setenv("RISKDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RISKDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("RISKDESK_WORKERS", "1")  # restored afterwards; serve sets it
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["serve", *args]), started
    finally:
        get_settings.cache_clear()


def test_several_workers_are_refused_on_sqlite(monkeypatch, tmp_path):
    result, started = _serve(monkeypatch, tmp_path, f"sqlite:///{tmp_path}/one.db",
                             "--workers", "2")
    assert result.exit_code == 2 and started == []
    assert "--workers above 1 needs PostgreSQL" in result.output


def test_workers_on_postgresql_share_the_connections(monkeypatch, tmp_path):
    import os

    result, started = _serve(monkeypatch, tmp_path, "postgresql+psycopg://db.invalid/riskdesk",
                             "--workers", "3")
    assert result.exit_code == 0, result.output
    assert [options["workers"] for options in started] == [3]
    # The worker processes read their number from the environment they inherit.
    assert os.environ["RISKDESK_WORKERS"] == "3"


@pytest.mark.parametrize(("connections", "workers", "each"), [(20, 1, 20), (20, 2, 10),
                                                              (20, 3, 6), (20, 40, 2)])
def test_each_worker_gets_its_share_of_the_connections(connections, workers, each):
    assert Settings(db_connections=connections, workers=workers).connections_per_process == each


def test_a_worker_admits_as_many_requests_as_it_has_connections(db_url, monkeypatch, tmp_path):
    from app.config import get_settings
    from app.db import get_engine, request_slots

    monkeypatch.setenv("RISKDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("RISKDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RISKDESK_DB_CONNECTIONS", "12")
    monkeypatch.setenv("RISKDESK_WORKERS", "2")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        engine = get_engine()
        if engine.dialect.name == "sqlite":
            assert request_slots(engine) == 1  # one writer, whatever the settings
        else:
            assert engine.pool.size() == 6  # type: ignore[attr-defined]
            assert request_slots(engine) == 6
        engine.dispose()
    finally:
        get_engine.cache_clear()
        get_settings.cache_clear()
