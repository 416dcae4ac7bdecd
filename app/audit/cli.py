"""``riskdesk audit ...``: verify the ledger and take checkpoints; and the checkpoint that
commands which write take when one is due."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_errors import settings_or_exit

audit_cli = typer.Typer(help="The audit ledger.", no_args_is_help=True)


def _engine() -> Any:
    from app.db import get_engine, require_migrated

    engine = get_engine()
    require_migrated(engine)
    return engine


def checkpoint_if_due() -> None:
    """After a command that wrote to the ledger: append a checkpoint when one is due. A failure
    is a warning, never the command's failure: its own work is committed."""
    from app.audit.checkpoints import LedgerContradictsCheckpoint
    from app.audit.service import take_checkpoint
    from app.config import get_settings

    try:
        take_checkpoint(_engine(), get_settings(), only_if_due=True)
    except LedgerContradictsCheckpoint as exc:
        typer.echo(f"warning: {exc.message}", err=True)
    except Exception as exc:  # the command succeeded; say why no checkpoint was taken
        typer.echo(f"warning: no ledger checkpoint was taken ({type(exc).__name__})", err=True)


def _chain_lines(result: dict[str, Any]) -> list[str]:
    if result["problem"] is None:
        return [f"chain: ok, {result['events']} events, head {result['head_seq']} "
                f"({result['head_hash'][:16]}...)"]
    return [f"chain: BROKEN at event {result['first_bad_seq']}: {result['problem']}"]


def _checkpoint_lines(checks: dict[str, Any]) -> list[str]:
    latest = checks["latest"]
    if latest is None:
        lines = [f"checkpoints: {checks['note']} ({checks['file']})"]
    else:
        lines = [f"checkpoints: compared with {checks['checked']} in {checks['file']}; the "
                 f"latest is of event {latest['head_seq']}, signed {latest['signed_at']} "
                 f"(line {latest['line']}): {'ok' if checks['ok'] else 'FAILED'}"]
    lines += [f"  line {p['line']}, checkpoint of event {p['head_seq']} signed "
              f"{p['signed_at']}: {p['problem']}" for p in checks["problems"]]
    if checks["other_key"]:
        lines.append(f"  {checks['other_key']} signed with another key, not checked")
    if checks["unreadable_lines"]:
        lines.append("  lines that are not checkpoints: "
                     + ", ".join(map(str, checks["unreadable_lines"])))
    return lines


def _deep_lines(deep: dict[str, Any]) -> list[str]:
    lines = ["rows: " + ("ok" if deep["ok"] else f"{deep['findings_total']} finding(s)")]
    for counts in deep["tables"]:
        extra = ", ".join(f"{counts[k]} {k.replace('_', ' ')}"
                          for k in ("not_covered", "altered", "unrecorded", "missing")
                          if counts[k])
        lines.append(f"  {counts['table']}: {counts['verified']} of {counts['rows']} verified"
                     + (f", {extra}" if extra else ""))
    lines += [f"  {f['kind']:<10} {f['table']} {f['id']}: {f['detail']}"
              for f in deep["findings"]]
    if len(deep["findings"]) < deep["findings_total"]:
        lines.append(f"  ... {deep['findings_total'] - len(deep['findings'])} more "
                     "(see --json for the counts)")
    if deep["note"]:
        lines.append(f"  {deep['note']}")
    return lines


@audit_cli.command("verify")
def verify(
    deep: Annotated[bool, typer.Option(
        "--deep", help="Also compare every application, decision, notice, report, model, "
        "policy and fairness audit with the digest its latest event recorded.")] = False,
    checkpoint: Annotated[Path | None, typer.Option(
        help="A saved checkpoint (JSON from GET /audit/checkpoint) the chain must extend, "
        "besides those in RISKDESK_CHECKPOINT_DIR.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Verify the ledger: its hash chain, the chain against the checkpoints kept outside the
    database, and with --deep every tracked row; exit 1 on any finding."""
    from app.audit import service
    from app.db import session_scope
    from app.errors import RiskdeskError

    settings = settings_or_exit()
    result = service.verify_ledger(_engine(), settings, deep_rows=deep)
    if checkpoint is not None:
        try:
            with session_scope() as session:
                saved = service.verify_against_checkpoint(
                    session, settings, json.loads(checkpoint.read_text()))
        except RiskdeskError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from exc
        result["saved_checkpoint"] = {"head_seq": saved["checkpoint_seq"],
                                      "is_prefix": saved["checkpoint_is_prefix"]}
        result["ok"] = result["ok"] and saved["checkpoint_is_prefix"]
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        lines = _chain_lines(result) + _checkpoint_lines(result["checkpoints"])
        if "saved_checkpoint" in result:
            saved_seq = result["saved_checkpoint"]["head_seq"]
            lines.append(f"saved checkpoint of event {saved_seq}: "
                         + ("extended" if result["saved_checkpoint"]["is_prefix"]
                            else "NOT extended by today's chain"))
        if deep:
            lines += _deep_lines(result["deep"])
        lines.append("ledger: " + ("verified" if result["ok"] else "FAILED verification"))
        typer.echo("\n".join(lines))
    if not result["ok"]:
        raise typer.Exit(1)


@audit_cli.command("checkpoint")
def checkpoint(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
               ) -> None:
    """Sign the chain's head now and append it to the checkpoint file (RISKDESK_CHECKPOINT_DIR);
    exit 1 rather than sign a chain that contradicts the latest checkpoint."""
    from app.audit.checkpoints import FILE_NAME, LedgerContradictsCheckpoint
    from app.audit.service import take_checkpoint

    settings = settings_or_exit()
    try:
        taken = take_checkpoint(_engine(), settings)
    except LedgerContradictsCheckpoint as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    if taken is None:
        typer.echo("another process appended a checkpoint meanwhile; nothing written: run the "
                   "command again", err=True)
        raise typer.Exit(1)
    path = settings.checkpoint_path / FILE_NAME
    if as_json:
        typer.echo(json.dumps(taken, indent=2))
    else:
        typer.echo(f"checkpoint of event {taken['head_seq']} ({taken['head_hash'][:16]}...) "
                   f"signed {taken['signed_at']}, appended to {path}")
