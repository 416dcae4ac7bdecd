"""``riskdesk applications ...``: replay stored decisions."""

from __future__ import annotations

import json
from typing import Annotated

import typer

applications_cli = typer.Typer(help="Stored applications and their decisions.",
                               no_args_is_help=True)


@applications_cli.command("replay")
def replay_command(
    application_id: Annotated[str, typer.Argument(help="The application's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Decide a stored application again; exit 1 when the replay differs from the record."""
    from app.applications.replay import replay
    from app.audit.cli import checkpoint_if_due
    from app.auth.principal import Principal
    from app.db import session_scope
    from app.errors import RiskdeskError

    try:
        with session_scope() as session:
            result = replay(session, Principal.system("cli"), application_id)
    except RiskdeskError as exc:
        typer.echo(f"error: {exc.message} ({exc.code})", err=True)
        raise typer.Exit(2) from exc
    checkpoint_if_due()
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    elif result["identical"]:
        typer.echo(f"{application_id}: identical (model {result['model_version']}, policy "
                   f"{result['policy_version']}, reasons {result['reason_catalog_version']})")
    else:
        for found in result["differences"]:
            typer.echo(f"{application_id}: {found['field']}: stored {found['stored']!r}, "
                       f"replayed {found['replayed']!r}")
    if not result["identical"]:
        raise typer.Exit(1)
