"""The PostgreSQL role the service runs as: it decides applications and appends to the ledger,
and it can neither change the ledger nor disable its triggers. Migrations run as the owner."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from app.cli import cli
from tests.app.application_documents import good_application
from tests.conftest import POSTGRES_URL

runner = CliRunner()
needs_postgres = pytest.mark.skipif(not POSTGRES_URL,
                                    reason="RISKDESK_TEST_POSTGRES_URL is not set")
on_postgres = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
# What would let the service undo the ledger's protection, each of which must be refused.
FORBIDDEN = [
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete",
    "DROP TRIGGER audit_events_no_update_delete ON audit_events",
    "UPDATE audit_events SET action = 'rewritten'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "SET session_replication_role = replica",
]


@pytest.fixture
def login_role(db_url: str) -> Iterator[tuple[str, str]]:
    """A plain login role, unique to this run (roles are cluster-wide), dropped afterwards."""
    role, password = f"riskdesk_svc_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
    try:
        yield role, password
    finally:
        owner = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with owner.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE usename = :role"), {"role": role})
            conn.execute(text(f"DROP OWNED BY {role}"))  # its privileges in this database
        owner.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def _grant(db_url: str, role: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RISKDESK_MIGRATION_DATABASE_URL", db_url)
    return runner.invoke(cli, ["db", "grant-service-role", role])


@pytest.mark.usefixtures("active_model")
@on_postgres
@needs_postgres
def test_the_service_role_decides_and_appends_but_cannot_undo_the_ledger(
        db_url, login_role, auth_headers, monkeypatch, capsys):
    from fastapi.testclient import TestClient

    from app.cli import _warn_if_ledger_unguarded
    from app.config import get_settings
    from app.db import get_engine
    from app.main import create_app

    role, password = login_role
    granted = _grant(db_url, role, monkeypatch)
    assert granted.exit_code == 0, granted.output
    assert "GRANT SELECT, INSERT ON public.audit_events" in granted.output
    # From here on the service connects as the role.
    get_engine().dispose()
    get_engine.cache_clear()
    monkeypatch.setenv("RISKDESK_DATABASE_URL", make_url(db_url).set(
        username=role, password=password).render_as_string(hide_password=False))
    get_settings.cache_clear()
    _warn_if_ledger_unguarded()
    assert capsys.readouterr().err == ""
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        submitted = client.post("/applications", json=good_application(),
                                headers=auth_headers["loan_officer"])
        assert submitted.status_code == 201, submitted.text
        verified = client.get("/audit/verify", params={"deep": "true"},
                              headers=auth_headers["auditor"]).json()
    assert verified["ok"] is True and verified["head_seq"] > 0
    engine = get_engine()
    assert engine.url.username == role
    for statement in FORBIDDEN:
        with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
            conn.execute(text(statement))
        assert any(reason in str(refused.value) for reason in (
            "must be owner", "permission denied")), (statement, refused.value)


@on_postgres
@needs_postgres
def test_a_role_that_could_disable_the_triggers_is_refused(db_url, login_role, monkeypatch):
    role, _ = login_role
    superuser = _grant(db_url, "postgres", monkeypatch)
    assert superuser.exit_code == 2 and "postgres is a superuser" in superuser.output
    owner = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        table_owner = conn.execute(text(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'")).scalar()
        conn.execute(text(f"GRANT {table_owner} TO {role}"))
    owner.dispose()
    member = _grant(db_url, role, monkeypatch)
    assert member.exit_code == 2 and f"is a member of {table_owner}" in member.output
    unknown = _grant(db_url, "no_such_role_here", monkeypatch)
    assert unknown.exit_code == 2 and "there is no role no_such_role_here" in unknown.output


@on_postgres
@needs_postgres
def test_the_service_warns_when_it_could_disable_the_triggers(settings_env, capsys):
    from app.cli import _warn_if_ledger_unguarded

    _warn_if_ledger_unguarded()  # the test database's user is a superuser and owns the tables
    assert "the service could disable the ledger's triggers" in capsys.readouterr().err


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_roles_are_refused_on_sqlite(db_url, monkeypatch):
    result = _grant(db_url, "anyone", monkeypatch)
    assert result.exit_code == 2 and "PostgreSQL" in result.output


def test_migrations_run_where_the_migration_url_says(tmp_path, monkeypatch):
    owner, service = tmp_path / "owner.db", tmp_path / "service.db"
    monkeypatch.setenv("RISKDESK_MIGRATION_DATABASE_URL", f"sqlite:///{owner}")
    monkeypatch.setenv("RISKDESK_DATABASE_URL", f"sqlite:///{service}")
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(f"sqlite:///{owner}")
    assert "audit_events" in inspect(engine).get_table_names()
    engine.dispose()
    assert not service.exists()

