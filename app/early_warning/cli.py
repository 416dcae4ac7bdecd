"""``riskdesk events`` (load a JSON-lines file of account events), ``riskdesk portfolio`` (the
portfolio view; re-scoring every account on Dask) and ``riskdesk rules`` (rule-set versions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

events_cli = typer.Typer(help="Account events (payments, balances, contacts, bureau).",
                         no_args_is_help=True)
portfolio_cli = typer.Typer(help="The loan portfolio under watch.", no_args_is_help=True)
rules_cli = typer.Typer(help="Early-warning rule sets.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
As = Annotated[str | None, typer.Option(
    "--as", help="Your username, recorded as who did it (default: the service).")]


def _actor(session: Any, username: str | None, action: str) -> Any:
    from app.auth.permissions import Action
    from app.auth.principal import Principal
    from app.users.service import acting_user

    if username is None:
        return Principal.system("cli")
    return acting_user(session, username, Action(action))


def _settings() -> Any:
    from app.cli_errors import settings_or_exit

    return settings_or_exit()


@events_cli.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=(
        "JSON lines: one event per line (docs/monitoring.md lists the kinds and fields)."))],
    username: As = None,
    as_json: Json = False,
) -> None:
    """Load account events from a JSON-lines file, 5,000 to a transaction. A bad line is
    reported with its line number and the good ones are loaded; loading the file again loads
    nothing twice."""
    from app.audit.cli import checkpoint_if_due
    from app.cli_errors import cli_errors
    from app.db import session_scope
    from app.early_warning import events

    settings = _settings()
    totals = {"received": 0, "applied": 0, "duplicates": 0, "rejected": 0, "loads": 0}
    problems: list[dict[str, Any]] = []
    with cli_errors():
        for lines, items, unreadable in events.read_jsonl(file):
            with session_scope() as session:
                actor = _actor(session, username, "event.load")
                row = events.load(session, settings, actor, items, source=events.FILE,
                                  indexes=lines, problems=unreadable)
                for key in ("received", "applied", "duplicates", "rejected"):
                    totals[key] += getattr(row, key)
                totals["loads"] += 1
                problems.extend(row.problems)
            checkpoint_if_due()
    if as_json:
        typer.echo(json.dumps({**totals, "problems": problems}, indent=2))
    else:
        typer.echo(f"{totals['applied']} event(s) loaded, {totals['duplicates']} already "
                   f"received, {totals['rejected']} refused, in {totals['loads']} batch(es)")
        for problem in problems[:50]:
            typer.echo(f"  line {problem['index']}: {problem['message']} ({problem['code']})",
                       err=True)
    if totals["rejected"]:
        raise typer.Exit(1)


@portfolio_cli.command("view")
def view_command(as_json: Json = False) -> None:
    """Accounts by level and days-past-due bucket, level flows, watch-list ageing, queues and
    harm counters."""
    from app.db import session_scope
    from app.early_warning import portfolio

    _settings()
    with session_scope() as session:
        view = portfolio.view(session)
    if as_json:
        typer.echo(json.dumps(view, indent=2, default=str))
        return
    typer.echo(f"{view['accounts']} open account(s); rule set {view['rule_set_version']}")
    typer.echo("by level:      " + ", ".join(f"{k} {v}" for k, v in view["by_level"].items()))
    typer.echo("by DPD bucket: " + ", ".join(f"{k} {v}" for k, v in
                                              view["by_dpd_bucket"].items()))
    for flow in view["flows"][-3:]:
        moves = ", ".join(f"{m['from']}→{m['to']} {m['accounts']}" for m in flow["moves"]
                          if m["from"] != m["to"])
        typer.echo(f"flows {flow['from_month']}→{flow['month']}: {moves or 'none'}")
    watch = view["watch_list"]
    typer.echo(f"watch list: {watch['entries']} entries, median {watch['median_days']} days, "
               + ", ".join(f"{k}d {v}" for k, v in watch["bands"].items()))
    typer.echo("harm counters (each must be 0): " + ", ".join(
        f"{k} {v}" for k, v in view["harm_counters"].items()))


@portfolio_cli.command("rescore")
def rescore_command(
    scheduler: Annotated[str | None, typer.Option(
        help="A Dask scheduler's address (tcp://host:8786); default: a local cluster.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Local cluster workers.")] = 2,
    engine: Annotated[str, typer.Option(help="dask or pandas (one process).")] = "dask",
    work_dir: Annotated[Path | None, typer.Option(
        help="Where the Parquet input and results go (default: DATA_DIR/rescore).")] = None,
    username: As = None,
    as_json: Json = False,
) -> None:
    """Re-score every open account with the champion behavioural and application scorecards
    on Dask over Parquet, write the results back in batches and record the run (with its
    digest) on the ledger."""
    from app.cli_errors import cli_errors
    from app.early_warning import rescore

    settings = _settings()
    if engine not in ("dask", "pandas"):
        typer.echo("error: --engine is dask or pandas", err=True)
        raise typer.Exit(2)
    with cli_errors():
        summary = rescore.run(settings, username=username,
                              engine="pandas" if engine == "pandas" else "dask",
                              scheduler_address=scheduler, n_workers=workers,
                              work_dir=work_dir or Path(settings.data_dir) / "rescore")
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        typer.echo(f"re-scored {summary['rows']} account(s) in {summary['seconds']:.1f} s on "
                   f"{summary['engine']} ({summary['workers']} worker(s)); digest "
                   f"{summary['digest'][:16]}…; {summary['level_changes']} level change(s)")


@rules_cli.command("list")
def rules_list(as_json: Json = False) -> None:
    """Every rule-set version."""
    from app.db import session_scope
    from app.early_warning import rulesets

    _settings()
    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {"version": r.version, "state": r.state, "sha256": r.sha256,
             "rules": len(r.body.get("rules", [])), "published_at": r.published_at,
             "shadow": r.shadow is not None} for r in rulesets.list_versions(session)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        typer.echo(f"{row['version']:>4}  {row['state']:<10} {row['rules']:>3} rule(s)  "
                   f"{row['sha256'][:12]}")


@rules_cli.command("publish-default")
def rules_publish_default(username: As = None) -> None:
    """Publish the bundled rule set as version 1 when no version exists yet."""
    from app.db import session_scope
    from app.early_warning import rulesets

    _settings()
    with session_scope() as session:
        row = rulesets.publish_default(session, _actor(session, username, "ruleset.publish"))
    typer.echo("a rule set exists already" if row is None
               else f"published rule set {row.version} ({row.sha256[:12]})")


def ensure_behavioural_model(validator: str, approver: str) -> None:
    """Train the behavioural scorecard on the bundled payment histories when none is champion,
    and take it through the lifecycle as the demo's users."""
    from app.auth.principal import Principal
    from app.db import session_scope
    from app.scoring import repository
    from app.scoring.cli import walk_to_champion
    from app.scoring.service import register_model
    from app.scoring.states import ModelPurpose
    from risk_models.early_warning.behavioural import (
        BEHAVIOURAL_TARGET,
        PROTECTED,
        taiwan_path,
        train_behavioural,
    )

    with session_scope() as session:
        if repository.champion_model(session, ModelPurpose.BEHAVIOURAL) is not None:
            typer.echo("a behavioural scorecard is champion already")
            return
    typer.echo("training the behavioural scorecard on the Taiwan payment histories...")
    result = train_behavioural(benchmarks=False)
    with session_scope() as session:
        model = register_model(session, Principal.system("demo"), result,
                               data_name=taiwan_path().name, target=BEHAVIOURAL_TARGET,
                               protected=list(PROTECTED),
                               purpose=ModelPurpose.BEHAVIOURAL)
        version = model.version
    walk_to_champion("model", version, validator, approver)
    typer.echo(f"behavioural champion {version} (CV AUC {result.metrics['cv_auc']:.4f})")
