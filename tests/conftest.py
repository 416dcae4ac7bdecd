"""Shared fixtures: databases built by migrations (SQLite always, PostgreSQL when configured),
an API client bound to them, and one user per role."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ["RISKDESK_SECRET_KEY"] = "test-secret-key-that-is-long-enough"
os.environ["RISKDESK_DIGEST_KEY"] = "test-digest-key-that-is-long-enough"
os.environ.pop("RISKDESK_DEMO_MODE", None)
# The suite's applications carry voluntary monitoring data, as a self-testing lender collects.
os.environ["RISKDESK_MONITORING_COLLECTION"] = "self_test"
# The server's own checkpoints would land at moments a test does not choose; the tests that
# exercise them turn them on.
os.environ["RISKDESK_CHECKPOINT_POLL_SECONDS"] = "0"
# Background jobs run as they are queued, in the process that queues them.
os.environ["RISKDESK_JOBS_URL"] = "immediate"

from app.auth.principal import Principal  # noqa: E402
from app.auth.roles import Role  # noqa: E402

POSTGRES_URL = os.environ.get("RISKDESK_TEST_POSTGRES_URL")
TEST_PASSWORD = "correct horse battery staple"
BACKENDS = ["sqlite", "postgresql"]
# The console's pages run the services' own queries, which the API's tests run on both
# backends; these console tests exercise SQL of the console's own (its lists' keyset pages and
# the compliance dashboard's aggregates) and also run on PostgreSQL. The other console tests
# (navigation, forms, sessions, errors) run on SQLite only: on PostgreSQL they would test
# the same queries again and double the console's share of the suite.
CONSOLE_ON_BOTH_BACKENDS = ("test_applications.py", "test_audit.py", "test_cases.py",
                            "test_compliance.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        path = item.path
        console_only_sqlite = (path.parent.name == "console" and path.parent.parent.name == "app"
                               and path.name not in CONSOLE_ON_BOTH_BACKENDS
                               and "[postgresql" in item.nodeid)
        (dropped if console_only_sqlite else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@dataclass(frozen=True)
class SeedUser:
    id: int
    username: str
    role: Role


def _seed(url: str, training=None) -> None:  # type: ignore[no-untyped-def]
    """Migrate ``url`` and create one user per role; with ``training``, also take the bundled
    model and policy through the lifecycle to champion (validated by the model validator, its
    report attached; approved and promoted by the admin), as ``active_model`` wants them."""
    from app.config import get_settings
    from app.db import build_engine, session_scope
    from app.migrations import upgrade
    from app.scoring import lifecycle, service
    from app.scoring.states import RegistryStatus
    from app.users.service import create_user
    from risk_models.default_model import PROTECTED, TARGET

    upgrade(url)
    engine = build_engine(url)
    with session_scope(engine) as session:
        people = {}
        for role in Role:
            user = create_user(session, Principal.system("test-setup"), username=role.value.replace(
                "_", "-"), password=TEST_PASSWORD, role=role)
            people[role] = Principal.of_user(user)
        if training is not None:
            result, policy = training
            model = service.register_model(session, Principal.system("test-setup"), result,
                                           data_name="german_credit.csv", target=TARGET,
                                           protected=list(PROTECTED))
            service.register_policy(session, Principal.system("test-setup"), policy.to_dict())
            # Registered, then validated: the validation report reads a snapshot of its own,
            # which sees only what is committed (on PostgreSQL).
            session.commit()
            for kind, version in (("model", model.version), ("policy", policy.version)):
                lifecycle.validate(session, get_settings(), people[Role.MODEL_VALIDATOR], kind,
                                   version, "test setup")
                lifecycle.approve(session, people[Role.ADMIN], kind, version, "test setup")
                lifecycle.promote(session, people[Role.ADMIN], kind, version,
                                  RegistryStatus.CHAMPION, "test setup")
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def sqlite_model_template(tmp_path_factory: pytest.TempPathFactory, default_training) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("template") / "template-model.db"
    _seed(f"sqlite:///{path}", default_training)
    return path


def _postgres_template(training=None) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if not POSTGRES_URL:
        pytest.skip("RISKDESK_TEST_POSTGRES_URL is not set")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"riskdesk_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    _seed(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False),
          training)
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    yield from _postgres_template()


@pytest.fixture(scope="session")
def postgres_model_template(default_training) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield from _postgres_template(default_training)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of its own for one test, on each backend: with the bundled
    model champion already when the test asks for ``active_model`` (taking it through the
    lifecycle, its validation report included, costs seconds: done once per session)."""
    with_model = "active_model" in request.fixturenames
    if request.param == "sqlite":
        template = request.getfixturevalue(
            "sqlite_model_template" if with_model else "sqlite_template")
        path = tmp_path / "riskdesk.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue(
        "postgres_model_template" if with_model else "postgres_template")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    name = f"riskdesk_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Point the service's settings and engine at this test's database."""
    from app.config import get_settings
    from app.db import get_engine

    monkeypatch.setenv("RISKDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("RISKDESK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield get_settings()
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def engine(settings_env):  # type: ignore[no-untyped-def]
    from app.db import get_engine

    return get_engine()


def shared_app():  # type: ignore[no-untyped-def]
    """The service's application, built once per test session: building one walks every route
    (about 0.3 s), and each request reads the settings and engine of its test anyway."""
    global _shared_app
    if _shared_app is None:
        from app.main import create_app

        _shared_app = create_app()
    # Admission gates belong to one event loop; each test client runs its own.
    _shared_app.state.__dict__.pop("db_gates", None)
    return _shared_app


_shared_app = None


@pytest.fixture
def client(settings_env):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(shared_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def own_client(settings_env):  # type: ignore[no-untyped-def]
    """A client on an application of its own, for a test that adds routes to it."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def users(engine) -> dict[Role, SeedUser]:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from app.models import User

    with Session(engine) as session:
        rows = session.exec(select(User)).all()
    return {Role(u.role): SeedUser(u.id, u.username, Role(u.role)) for u in rows}  # type: ignore[arg-type]


@pytest.fixture
def auth_headers(settings_env, users):  # type: ignore[no-untyped-def]
    """``auth_headers[role]``: a bearer header for the seeded user of that role."""
    from app.auth.security import create_access_token

    headers = {}
    for role, user in users.items():
        token, _ = create_access_token(settings_env, user_id=user.id, role=role.value)
        headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


@pytest.fixture(scope="session")
def default_training():
    """The bundled scorecard and its policy, trained once per test session."""
    from datetime import datetime

    from risk_models.default_model import train_default_model

    return train_default_model(trained_at=datetime(2025, 1, 1, tzinfo=UTC))


@pytest.fixture
def active_model(engine, default_training):  # type: ignore[no-untyped-def]
    """The bundled scorecard and policy, champion in this test's database (its template took
    them through the lifecycle: see ``_seed``); their versions."""
    from sqlmodel import Session

    from app.scoring import repository

    result, policy = default_training
    with Session(engine) as session:
        model = repository.champion_model(session)
        assert model is not None and model.artifact_sha256 == result.artifact_sha256
        return model.version, policy

