"""``riskdesk screening ...``: load lists, screen a name, follow rescreening runs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_errors import cli_errors

screening_cli = typer.Typer(help="Sanctions lists and screening.", no_args_is_help=True)


def _actor() -> Any:
    from app.auth.principal import Principal

    return Principal.system("cli")


@screening_cli.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The list file.")],
    list_name: Annotated[str, typer.Option("--list", help="ofac-sdn (OFAC's sdn.csv) or "
                                                          "opensanctions (targets.simple.csv).")],
    accept_problems: Annotated[bool, typer.Option(
        "--accept-problems", help="Load even if some lines cannot be read (they are reported "
                                  "and kept with the version).")] = False,
    allow_shrink: Annotated[bool, typer.Option(
        "--allow-shrink", help="Load even if it lists under half the individuals of the "
                               "version in force.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Load a new version of a sanctions list; it is in force at once, and every open
    application and approved customer is rescreened against it in the background. A file that
    fails to load leaves the version in force as it was."""
    from app.audit.cli import checkpoint_if_due
    from app.db import session_scope
    from app.jobs import queue_rescreen
    from app.screening import service

    with cli_errors(), session_scope() as session:
        loaded = service.load_list(session, _actor(), list_name, file.read_bytes(), file.name,
                                   accept_problems=accept_problems,
                                   allow_shrink=allow_shrink)
        version = loaded.version
        summary = {"list_id": version.id, "list_name": version.list_name,
                   "sha256": version.sha256, "entries": version.entry_count,
                   "individuals": version.individual_count,
                   "loaded_at": version.loaded_at.isoformat(),
                   "problems": list(loaded.problems),
                   "rescreen_id": loaded.rescreen.id if loaded.rescreen else None}
    checkpoint_if_due()
    if loaded.rescreen is not None:
        queue_rescreen(loaded.rescreen.id)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    if loaded.rescreen is None:
        typer.echo(f"{file.name} is the {list_name} version already in force ({version.id}, "
                   f"sha256 {version.sha256[:16]}…); nothing loaded")
        return
    typer.echo(f"loaded {list_name} {version.id}: {version.entry_count} entries "
               f"({version.individual_count} individuals), sha256 {version.sha256}")
    for problem in loaded.problems:
        typer.echo(f"  line {problem['line']}: {problem['message']}")
    typer.echo(f"rescreening queued: {loaded.rescreen.id} "
               "(`riskdesk screening rescreens` follows it)")


@screening_cli.command("lists")
def lists_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
                  ) -> None:
    """The list versions in force."""
    from app.db import session_scope
    from app.screening import service

    with cli_errors(), session_scope() as session:
        versions = [v.to_dict() for v in service.lists_in_force(session)]
    if as_json:
        typer.echo(json.dumps(versions, indent=2))
        return
    for v in versions:
        source = "bundled sample" if v["bundled"] else f"loaded {v['loaded_at']}"
        typer.echo(f"{v['list_name']:<14} {v['list_id']}  {v['individual_count']:>6} "
                   f"individuals  {source}  sha256 {v['sha256'][:16]}…")


@screening_cli.command("check")
def check_command(
    name: Annotated[str, typer.Option(help="The person's full name.")],
    dob: Annotated[str | None, typer.Option(help="Date of birth, YYYY-MM-DD.")] = None,
    country: Annotated[str | None, typer.Option(help="Nationality, ISO 3166-1 alpha-2.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Screen one person against the lists in force. Exits 0 whatever the outcome: a match is
    a finding, not a failure. The check is recorded (by a digest of the name, never the
    name)."""
    from app.audit.cli import checkpoint_if_due
    from app.config import get_settings
    from app.db import session_scope
    from app.screening import service

    try:
        birth = date.fromisoformat(dob) if dob else None
    except ValueError as exc:
        typer.echo(f"error: --dob {dob!r} is not a date as YYYY-MM-DD", err=True)
        raise typer.Exit(2) from exc
    if country is not None and (len(country) != 2 or not country.isalpha()):
        typer.echo(f"error: --country {country!r} is not a two-letter country code", err=True)
        raise typer.Exit(2)
    if not name.strip() or len(name) > service.NAME_MAX_LENGTH:
        typer.echo(f"error: --name must be 1 to {service.NAME_MAX_LENGTH} characters",
                   err=True)
        raise typer.Exit(2)
    with cli_errors(), session_scope() as session:
        result = service.check(session, get_settings(), _actor(),
                               service.Person("check", name, birth, None, country))
        answer = result.answer()
    checkpoint_if_due()
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    typer.echo(answer["status"])
    for m in answer["matches"]:
        typer.echo(f"  {m['score']:.3f}  {m['list_name']} {m['entry_id']}  {m['name']}"
                   f"{'  (as ' + m['matched_name'] + ')' if m['matched_name'] != m['name'] else ''}"
                   f"  {', '.join(m['programs'])}")


@screening_cli.command("rescreens")
def rescreens_command(
    run: Annotated[bool, typer.Option("--run", help="Run the unfinished ones here, now, "
                                                    "instead of waiting for a worker.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Rescreening runs still to finish (and, with --run, finish them in the foreground)."""
    from app.audit.cli import checkpoint_if_due
    from app.db import session_scope
    from app.screening import rescreen, service

    with cli_errors():
        if run:
            with session_scope() as session:
                ids = [r.id for r in service.unfinished_rescreens(session)]
            for rescreen_id in ids:
                rescreen.run(rescreen_id)
            checkpoint_if_due()
        with session_scope() as session:
            runs = [{"id": r.id, "list_id": r.list_id, "state": r.state,
                     "requested_at": r.requested_at.isoformat(), "screened": r.screened,
                     "raised": r.raised, "skipped": r.skipped, "error": r.error,
                     "finished_at": r.finished_at.isoformat() if r.finished_at else None}
                    for r in service.recent_rescreens(session)]
    if as_json:
        typer.echo(json.dumps(runs, indent=2))
        return
    for r in runs:
        typer.echo(f"{r['id']}  {r['state']:<8} screened {r['screened']:>7}  raised "
                   f"{r['raised']:>4}  skipped {r['skipped']:>4}  requested {r['requested_at']}"
                   + (f"  error: {r['error']}" if r['error'] else ""))
