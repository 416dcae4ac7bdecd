"""``riskdesk applications ...``: replay stored decisions."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from app.cli_errors import cli_errors

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

    with cli_errors(), session_scope() as session:
        result = replay(session, Principal.system("cli"), application_id)
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


def trail_command(
    application_id: Annotated[str, typer.Argument(help="The application's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """An application's whole trail: its ledger events, decisions, notices and reports (each
    verified), and the proof that the events sit in the verified chain. Exit 1 when the proof
    or a report's verification fails."""
    from app.applications.trail import trail
    from app.audit.cli import checkpoint_if_due
    from app.auth.principal import Principal
    from app.config import get_settings
    from app.db import session_scope

    with cli_errors(), session_scope() as session:
        found = trail(session, get_settings(), Principal.system("cli"), application_id)
    checkpoint_if_due()  # reading a trail is recorded in the ledger
    reports_ok = all(r["verification"]["ok"] for r in found["reports"])
    if as_json:
        typer.echo(json.dumps(found, indent=2, default=str))
    else:
        _print_trail(found)
    if not (found["proof"]["ok"] and reports_ok):
        raise typer.Exit(1)


def _print_trail(found: dict[str, Any]) -> None:
    def who(actor: dict[str, Any]) -> str:
        return f"{actor['name']} ({actor['acted_as']})"

    typer.echo(f"application {found['application_id']}: {found['status']}, {found['outcome']}; "
               f"submitted {found['submitted_at']} by {who(found['submitted_by'])}")
    typer.echo("events:")
    for e in found["events"]:
        mark = "ok  " if e["in_verified_chain"] else "FAIL"
        typer.echo(f"  {mark} #{e['seq']} {e['occurred_at']} {e['action']} "
                   f"{e['entity_type']} {e['entity_id']} by {who(e['actor'])}")
    typer.echo("decisions:")
    for d in found["decisions"]:
        codes = ", ".join(d["reason_codes"] + d["knockout_codes"]) or "no reason codes"
        typer.echo(f"  {d['created_at']} {d['kind']}: {d['outcome']} ({codes}) by "
                   f"{who(d['decided_by'])}")
    typer.echo("notices:")
    for n in found["notices"]:
        typer.echo(f"  {n['kind']} {n['status']}, due {n['due_date']}"
                   + (f", report {n['report_id']}" if n["report_id"] else ""))
    typer.echo("reports:")
    for r in found["reports"]:
        check = r["verification"]
        typer.echo(f"  report {r['id']} ({r['kind']}): "
                   + ("verified" if check["ok"] else "NOT verified: " + ", ".join(check["failed"])))
    proof = found["proof"]
    typer.echo(f"proof: {'ok' if proof['ok'] else 'FAILED'}: {proof['events_in_verified_chain']} "
               f"of {proof['events']} events in the chain verified up to event "
               f"{proof['chain']['head_seq']}")
