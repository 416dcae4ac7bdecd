"""Liveness and readiness probes."""

import pytest


def test_healthz_answers_without_credentials(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_at_migration_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["migration"] == body["migration_head"]


def test_readyz_is_unavailable_when_schema_is_behind(client, engine):
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'behind'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migration"] == "behind"


def test_readyz_answers_while_a_writer_holds_sqlites_lock(client, engine):
    import sqlite3

    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's readers never wait for a writer")
    writer = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, as a decision holds it
        response = client.get("/readyz")
    finally:
        writer.rollback()
        writer.close()
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
