"""``riskdesk notices ...``: the notice obligations that are late."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

notices_cli = typer.Typer(help="Notice obligations owed to applicants.", no_args_is_help=True)


@notices_cli.command("overdue")
def overdue(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the notices still undelivered after their due date (exit 0 either way)."""
    from app.db import session_scope
    from app.notices import repository
    from app.notices.schemas import notice_public

    today = datetime.now(UTC).date()
    with session_scope() as session:
        rows = [notice_public(r, today) for r in repository.search(
            session, overdue_on=today, limit=100_000)]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    if not rows:
        typer.echo("no overdue notices")
    for row in rows:
        typer.echo(f"{row.id} {row.kind:<12} application {row.application_id} due "
                   f"{row.due_date} ({row.status})")
