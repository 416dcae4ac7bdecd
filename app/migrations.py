"""Running and inspecting Alembic migrations from the service and the CLI."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from app.config import DEFAULT_DATABASE_URL

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def migration_database_url() -> str:
    """Where migrations run, as the tables' owner: RISKDESK_MIGRATION_DATABASE_URL, else the
    service's RISKDESK_DATABASE_URL. Read from the environment alone: migrating needs no
    secret key."""
    return (os.environ.get("RISKDESK_MIGRATION_DATABASE_URL")
            or os.environ.get("RISKDESK_DATABASE_URL", DEFAULT_DATABASE_URL))


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's configuration for the project, optionally aimed at ``database_url``."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["configure_logging"] = False
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


# The revision that renamed registry statuses: a database upgraded across it has its model and
# policy rows recorded again on the ledger (app.scoring.lifecycle.attest_migrated_statuses).
_LIFECYCLE_REVISION = 11


def upgrade(database_url: str) -> None:
    """Bring the database at ``database_url`` to the newest migration."""
    from app.db import build_engine

    engine = build_engine(database_url)
    try:
        with engine.connect() as connection:
            before = current_revision(connection)
    finally:
        engine.dispose()
    command.upgrade(alembic_config(database_url), "head")
    if before is not None and int(before) < _LIFECYCLE_REVISION:
        _attest_registry(database_url)


def _attest_registry(database_url: str) -> None:
    from app.db import build_engine, session_scope
    from app.scoring.lifecycle import attest_migrated_statuses

    engine = build_engine(database_url)
    try:
        with session_scope(engine) as session:
            attest_migrated_statuses(session)
    finally:
        engine.dispose()


@lru_cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
