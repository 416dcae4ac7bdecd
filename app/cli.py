"""The ``riskdesk`` command line: serve, migrate, manage users, verify the ledger, demo."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.applications.cli import applications_cli, trail_command
from app.audit.cli import audit_cli, checkpoint_if_due
from app.cli_errors import settings_or_exit
from app.drift.cli import drift_cli
from app.early_warning.cli import (
    ensure_behavioural_model,
    events_cli,
    portfolio_cli,
    rules_cli,
)
from app.notices.cli import notices_cli
from app.outcomes.cli import backtest_command, outcomes_cli
from app.reports.cli import report_cli
from app.scoring.cli import ensure_default_model, models_cli, policies_cli
from app.scoring.cli import train as train_command
from app.screening.cli import screening_cli
from app.subjects.cli import keys_cli, retention_cli, subjects_cli

cli = typer.Typer(help="riskdesk: credit risk decisions with a verifiable audit trail.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
users_cli = typer.Typer(help="User accounts.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(users_cli, name="users")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(report_cli, name="report")
cli.add_typer(applications_cli, name="applications")
cli.add_typer(notices_cli, name="notices")
audit_cli.command("trail")(trail_command)
cli.add_typer(subjects_cli, name="subjects")
cli.add_typer(retention_cli, name="retention")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(screening_cli, name="screening")
cli.add_typer(outcomes_cli, name="outcomes")
cli.command("backtest")(backtest_command)
cli.add_typer(drift_cli, name="drift")
cli.add_typer(events_cli, name="events")
cli.add_typer(portfolio_cli, name="portfolio")
cli.add_typer(rules_cli, name="rules")
cli.add_typer(models_cli, name="models")
cli.add_typer(policies_cli, name="policies")

DEMO_ROLES = {"officer": "loan_officer", "underwriter": "underwriter", "servicing": "servicing",
              "lead": "underwriting_lead", "compliance": "compliance_officer",
              "auditor": "auditor", "validator": "model_validator", "admin": "admin"}


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(
        min=1, max=256, help="Worker processes (PostgreSQL only). Each holds "
        "RISKDESK_DB_CONNECTIONS / workers database connections.")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
) -> None:
    """Serve the HTTP API."""
    import uvicorn
    from sqlalchemy.engine import make_url

    from app.audit.service import ensure_signing_key
    from app.config import InsecureSettingsError
    from app.errors import RiskdeskError
    from app.subjects.keys import keyring

    settings = settings_or_exit()
    try:
        settings.check_ready_to_serve()
        keyring(settings)  # the master keys: valid, or created on first use
    except InsecureSettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except RiskdeskError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    if workers > 1 and make_url(settings.database_url).get_backend_name() == "sqlite":
        # Each process has its own database gate: several would meet on SQLite's single write
        # lock through its busy timeout, whose growing sleeps turn into second-long waits.
        typer.echo("error: --workers above 1 needs PostgreSQL; SQLite admits one writer at a "
                   "time, which one process already keeps busy", err=True)
        raise typer.Exit(2)
    ensure_signing_key(settings.ledger_key_path)
    _warn_if_ledger_unguarded()
    # The worker processes read their share of the database connections from the settings.
    os.environ["RISKDESK_WORKERS"] = str(workers)
    # X-Forwarded-For is believed only from the configured proxies; with none, never.
    trusted = settings.trusted_proxies.strip()
    uvicorn.run("app.main:app", host=host, port=port, log_level="info", workers=workers,
                access_log=access_log, proxy_headers=bool(trusted),
                forwarded_allow_ips=trusted or None)


@cli.command()
def worker(threads: Annotated[int, typer.Option(min=1, max=64, help="Jobs run at once.")] = 1,
           ) -> None:
    """Run background jobs (rescreening, drift checks, back-tests, challenger backfills, notice
    deadlines) until interrupted. Jobs the
    database holds as unfinished are queued again first, so a restart loses none."""
    import logging

    from app.jobs import run_worker

    settings_or_exit()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its schema check, each start
    run_worker(threads)


def _warn_if_ledger_unguarded() -> None:
    """On PostgreSQL, say so when the service's role could disable the ledger's triggers."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from app.database_roles import trigger_risks
    from app.db import get_engine

    engine = get_engine()
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect() as conn:
            risks = trigger_risks(conn, str(conn.execute(text("SELECT current_user")).scalar()))
    except DBAPIError:
        return  # unreachable for now: the service says so itself once it serves
    if risks:
        typer.echo(f"warning: {'; '.join(risks)}: the service could disable the ledger's "
                   "triggers. Run migrations as the owner (RISKDESK_MIGRATION_DATABASE_URL) and "
                   "the service as a role set up with `riskdesk db grant-service-role` "
                   "(docs/security.md)", err=True)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration, as the tables' owner: to RISKDESK_MIGRATION_DATABASE_URL
    when set, else to RISKDESK_DATABASE_URL."""
    from app.migrations import migration_database_url, upgrade

    upgrade(migration_database_url())
    typer.echo("database is at the newest migration")


@db_cli.command("grant-service-role")
def db_grant_service_role(
    role: Annotated[str, typer.Argument(help="An existing PostgreSQL login role.")],
) -> None:
    """Grant ROLE what the service needs (PostgreSQL, run as the tables' owner after every
    migration): its tables, but only SELECT and INSERT on the ledger. Refused for a role that
    could disable the ledger's triggers."""
    from app.database_roles import ServiceRoleRefused, grant_service_role
    from app.db import build_engine
    from app.migrations import migration_database_url

    engine = build_engine(migration_database_url())
    try:
        with engine.begin() as conn:
            statements = grant_service_role(conn, role)
    except ServiceRoleRefused as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    typer.echo("\n".join(f"{statement};" for statement in statements))
    typer.echo(f"granted: run the service as {role} (RISKDESK_DATABASE_URL)")


@users_cli.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="loan_officer, underwriter, underwriting_lead, "
                                           "compliance_officer, model_validator, auditor or "
                                           "admin.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from stdin.")] = False,
) -> None:
    """Create a user; the password is prompted for (or read from stdin)."""
    from pydantic import ValidationError

    from app.auth.principal import Principal
    from app.db import session_scope
    from app.errors import RiskdeskError
    from app.users.schemas import UserCreate
    from app.users.service import create_user

    settings_or_exit()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        body = UserCreate(username=username, password=password, role=role)
        with session_scope() as session:
            user = create_user(session, Principal.system(), username=body.username,
                               password=body.password, role=body.role)
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"error: {'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc
    except RiskdeskError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created user {user.username} (id {user.id}, role {user.role})")
    checkpoint_if_due()


def _demo_environment(data_dir: Path) -> None:
    """Point the settings at ./var and give the demo random keys kept between runs."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("RISKDESK_DATA_DIR", str(data_dir))
    os.environ.setdefault("RISKDESK_DATABASE_URL", f"sqlite:///{data_dir / 'riskdesk.db'}")
    # A demo: its notices may name the demo parties, and it collects voluntary monitoring data
    # as a self-test would, so that fairness audits have groups to compare.
    os.environ.setdefault("RISKDESK_DEMO_MODE", "true")
    os.environ.setdefault("RISKDESK_MONITORING_COLLECTION", "self_test")
    for variable, name in (("RISKDESK_SECRET_KEY", "secret_key"),
                           ("RISKDESK_DIGEST_KEY", "digest_key")):
        if variable not in os.environ:
            key_file = data_dir / name
            if not key_file.exists():
                fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
            os.environ[variable] = key_file.read_text().strip()


def _create_demo_users(data_dir: Path) -> None:
    """The demo's users, one per role. Their passwords are random and kept (0600) in the demo's
    data directory only, so every run of the demo can show how to sign in."""
    from sqlmodel import select

    from app.auth.principal import Principal
    from app.auth.roles import Role
    from app.db import session_scope
    from app.models import User
    from app.users.service import create_user

    credentials = data_dir / "demo_credentials.txt"
    with session_scope() as session:
        if session.exec(select(User.id)).first() is None:
            lines = []
            for username, role in DEMO_ROLES.items():
                password = secrets.token_urlsafe(12)
                create_user(session, Principal.system("demo"), username=username,
                            password=password, role=Role(role))
                lines.append(f"{username:<12} {role:<20} {password}")
            fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write("\n".join(lines) + "\n")
    if credentials.exists():
        typer.echo(f"demo users (username, role, password; kept in {credentials}):")
        for line in credentials.read_text().splitlines():
            typer.echo(f"  {line}")
    else:
        typer.echo("demo users exist already (their passwords were printed when created)")


def _seed_demo_applications(notices_dir: Path) -> None:
    from app.config import get_settings
    from app.db import session_scope
    from app.demo import seed_examples

    with session_scope() as session:
        seeded = seed_examples(session, get_settings(), notices_dir)
    if seeded:
        typer.echo("example applications (submitted as the demo loan officer):")
        for label, application in seeded:
            typer.echo(f"  {application.id}  {label}")
        typer.echo(f"their notices: {notices_dir}")


def _publish_first_rule_set() -> None:
    from app.auth.permissions import Action
    from app.db import session_scope
    from app.early_warning import rulesets
    from app.users.service import acting_user

    # Published by the demo's underwriting lead: the named owner of what its rules put on the
    # watch list.
    with session_scope() as session:
        lead = acting_user(session, "lead", Action.RULESET_PUBLISH)
        row = rulesets.publish_default(session, lead)
    if row is not None:
        typer.echo(f"early-warning rule set {row.version} published by lead (the bundled "
                   "rules)")


def _seed_demo_accounts() -> None:
    from app.config import get_settings
    from app.db import session_scope
    from app.demo import seed_accounts

    with session_scope() as session:
        booked = seed_accounts(session, get_settings())
    if booked:
        typer.echo("loan accounts under watch (six months of payment events each):")
        for account_id, label in booked:
            typer.echo(f"  {account_id}  {label}")


def _start_worker() -> subprocess.Popen[bytes]:
    """The demo's job worker, beside the server, with the same environment."""
    return subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()",
                             "worker"])


@cli.command()
def demo(host: str = "127.0.0.1", port: int = 8000,
         no_serve: Annotated[bool, typer.Option("--no-serve", help="Set up only.")] = False,
         ) -> None:
    """Set up a local demo on SQLite under ./var (migrations, users, model) and serve it."""
    from app.migrations import upgrade

    data_dir = Path(os.environ.get("RISKDESK_DATA_DIR", "var")).resolve()
    _demo_environment(data_dir)
    upgrade(os.environ["RISKDESK_DATABASE_URL"])
    _create_demo_users(data_dir)
    # The bundled model goes through the lifecycle as any model does: the demo's validator
    # validates it, its admin (a second person) approves and promotes it.
    ensure_default_model(validator="validator", approver="admin")
    ensure_behavioural_model(validator="validator", approver="admin")
    _publish_first_rule_set()
    _seed_demo_applications(Path(os.environ["RISKDESK_DATA_DIR"]) / "notices")
    _seed_demo_accounts()
    checkpoint_if_due()
    if not no_serve:
        typer.echo(f"serving on http://{host}:{port}, with a job worker")
        typer.echo(f"  console:  http://{host}:{port}/console  (sign in as any demo user above)")
        typer.echo(f"  API docs: http://{host}:{port}/docs")
        jobs = _start_worker()
        try:
            serve(host=host, port=port, workers=1, access_log=True)
        finally:
            jobs.terminate()
            jobs.wait(timeout=10)


cli.command("train")(train_command)


def main() -> None:
    """Console-script entry point: an un-migrated database is a plain message, not a trace."""
    from app.db import DatabaseNotMigrated

    try:
        cli()
    except DatabaseNotMigrated as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
