"""``riskdesk outcomes load FILE.csv`` and ``riskdesk backtest``: observed loan outcomes and
back-tests at the command line."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_errors import cli_errors
from compliance.reports.backtesting_section import VINTAGE_MONTHS

outcomes_cli = typer.Typer(help="Observed loan outcomes.", no_args_is_help=True)
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


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        typer.echo(f"error: {option} {value!r} is not a date as YYYY-MM-DD", err=True)
        raise typer.Exit(2) from exc


@outcomes_cli.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=(
        "CSV with the header application_id,defaulted,observed_on; defaulted is 0, 1, true or "
        "false; observed_on is YYYY-MM-DD."))],
    username: As = None,
    as_json: Json = False,
) -> None:
    """Load observed loan outcomes from a CSV file, whole or not at all: any problem refuses
    the file, and every problem is listed with its row (row 1 is the line after the header)."""
    from app.audit.cli import checkpoint_if_due
    from app.db import session_scope
    from app.errors import RiskdeskError
    from app.outcomes import service

    try:
        with session_scope() as session:
            actor = _actor(session, username, "outcome.load")
            load = service.load_outcomes(session, actor, service.parse_csv(file.read_bytes()),
                                         source=service.CSV)
            summary = {"load_id": load.id, "rows": load.rows, "defaults": load.defaults,
                       "sha256": load.sha256, "loaded_by": load.loaded_by,
                       "loaded_at": load.loaded_at.isoformat()}
    except RiskdeskError as exc:
        if as_json:
            typer.echo(json.dumps({"error": {"code": exc.code, "message": exc.message,
                                             "details": exc.details}}, indent=2))
        else:
            typer.echo(f"error: {exc.message} ({exc.code})", err=True)
            for problem in exc.details if isinstance(exc.details, list) else []:
                where = f"row {problem['row']}" if problem.get("row") else "file"
                field = f" {problem['field']}" if problem.get("field") else ""
                typer.echo(f"  {where}{field}: {problem['message']}", err=True)
        raise typer.Exit(2) from exc
    checkpoint_if_due()
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(f"loaded {summary['rows']} observation(s), {summary['defaults']} in default: "
               f"load {summary['load_id']}, sha256 {summary['sha256']}")


def backtest_command(
    date_from: Annotated[str, typer.Option("--from", help="First day of decision, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day of decision, YYYY-MM-DD.")],
    model: Annotated[str | None, typer.Option(
        "--model", help="The model version (default: the champion).")] = None,
    username: As = None,
    as_json: Json = False,
) -> None:
    """Back-test a model on its decisions of a window of days against the outcomes observed
    up to today; the back-test is stored and recorded in the ledger."""
    from app.audit.cli import checkpoint_if_due
    from app.db import session_scope
    from app.outcomes import service

    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    if end < start or end >= date.max:
        typer.echo("error: --to must be from --from on, and before 9999-12-31", err=True)
        raise typer.Exit(2)
    with cli_errors(), session_scope() as session:
        actor = _actor(session, username, "monitoring.run")
        record = service.run_backtest(session, actor, model, start, end)
        summary = {"id": record.id, "model_version": record.model_version,
                   "window_start": record.window_start.isoformat(),
                   "window_end": record.window_end.isoformat(),
                   "created_at": record.created_at.isoformat(), "rows": record.rows,
                   "result": record.result}
    checkpoint_if_due()
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo("\n".join(backtest_lines(summary)))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _ci(value: float | None, interval: list[float] | None) -> str:
    if value is None:
        return "not measurable (one outcome only)"
    return f"{value:.3f}" + ("" if interval is None else
                             f" (95% CI {interval[0]:.3f} to {interval[1]:.3f})")


def backtest_lines(summary: dict[str, Any]) -> list[str]:
    """A stored back-test as text: scope, bands, AUC and KS, vintages."""
    result = summary["result"]
    created = datetime.fromisoformat(summary["created_at"])
    lines = [f"back-test {summary['id']} of {summary['model_version']}: decisions "
             f"{summary['window_start']} to {summary['window_end']}, outcomes to "
             f"{result['as_of']} (computed {created:%Y-%m-%d %H:%M} UTC)",
             f"{result['loans']} loan(s) observed ({result['unobserved']} not yet), "
             f"{result['defaults']} default(s): {_pct(result['default_rate'])} realised, "
             f"{_pct(result['predicted_rate'])} predicted", "",
             f"{'band':<12} {'n':>6} {'defaults':>8} {'realised':>9} {'predicted':>9} "
             f"{'p':>7}  verdict"]
    for b in result["bands"]:
        lines.append(f"{b['band']:<12} {b['n']:>6} {b['defaults']:>8} "
                     f"{_pct(b['realised_rate']):>9} {_pct(b['predicted_rate']):>9} "
                     f"{b['p_value']:>7.3f}  {b['verdict']}")
    discrimination = result["discrimination"]
    lines += ["", f"AUC {_ci(discrimination['auc'], discrimination['auc_ci'])} "
                  f"[{discrimination['auc_method']}]",
              f"KS  {_ci(discrimination['ks'], discrimination['ks_ci'])} "
              f"[{discrimination['ks_method']}]", "",
              "vintages: cumulative default rate by months on book"]
    # The months the validation report shows; --json gives every month.
    months = [m for m in VINTAGE_MONTHS if m in set(result["vintages"]["months"])]
    lines.append(f"{'cohort':<8} {'loans':>6} " + " ".join(f"{'MoB ' + str(m):>7}"
                                                           for m in months))
    for cohort in result["vintages"]["cohorts"]:
        rates = " ".join(f"{_pct(cohort['curve'][m]['cumulative_default_rate']):>7}"
                         for m in months)
        lines.append(f"{cohort['cohort']:<8} {cohort['loans']:>6} {rates}")
    return lines
