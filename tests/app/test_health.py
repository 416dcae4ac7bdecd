"""Liveness and readiness probes."""


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
