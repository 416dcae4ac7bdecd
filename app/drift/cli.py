"""``riskdesk drift ...``: check a model's drift now, list the alerts, acknowledge one.

A check acts as the service (``system:drift``); acknowledging names the person acting
(``--as USERNAME``), whose role must be allowed to.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from app.cli_errors import cli_errors

drift_cli = typer.Typer(help="Drift of the models in use: PSI and CSI checks, alerts.",
                        no_args_is_help=True)
# The window a check covers when no dates are given: the trailing 30 days, today included.
DEFAULT_WINDOW_DAYS = 30


def _figure(value: float | None, infinite: bool) -> str:
    return "infinite" if infinite else "-" if value is None else f"{value:.4f}"


@drift_cli.command("check")
def check(
    model: Annotated[str | None, typer.Option("--model", help="Model version (default: the "
                                                              "champion).")] = None,
    date_from: Annotated[datetime | None, typer.Option(
        "--from", formats=["%Y-%m-%d"], help="First day, included (default: 29 days before "
                                             "--to).")] = None,
    date_to: Annotated[datetime | None, typer.Option(
        "--to", formats=["%Y-%m-%d"], help="Last day, included (default: today, UTC).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check a model's drift over a window of days now, store the check, raise any alert."""
    from app.auth.principal import Principal
    from app.db import session_scope
    from app.drift import service
    from app.drift.schemas import DriftCheckCreate, check_public
    from app.fairness.service import period_bounds

    last = date_to.date() if date_to else datetime.now(UTC).date()
    first = date_from.date() if date_from else last - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    with cli_errors():
        body = DriftCheckCreate(model_version=model, date_from=first, date_to=last)
        start, end = period_bounds(body.date_from, body.date_to)
        with session_scope() as session:
            outcome = service.run_check(session, Principal.system("drift"),
                                        model_version=body.model_version, start=start, end=end)
            public = check_public(outcome.check, outcome.alert)
    if as_json:
        typer.echo(json.dumps(public.model_dump(mode="json"), indent=2))
        return
    typer.echo(f"drift check {public.id}: model {public.model_version}, {first} to {last}, "
               f"{public.live_rows} applications: {public.level}")
    score = public.result["score"]
    typer.echo(f"  score PSI {_figure(score['psi'], score['infinite'])}")
    for row in public.result["characteristics"]:
        typer.echo(f"  {row['name']:<32} CSI {_figure(row['csi'], row['infinite'])}")
    if outcome.alert is not None:
        typer.echo(f"alert {outcome.alert.id} raised ({outcome.alert.level}); acknowledge it "
                   "with `riskdesk drift acknowledge`")


@drift_cli.command("alerts")
def alerts(
    show_all: Annotated[bool, typer.Option("--all", help="Acknowledged alerts too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the drift alerts not yet acknowledged (all with --all), newest first."""
    from app.db import session_scope
    from app.drift import repository
    from app.drift.schemas import alert_public

    with cli_errors(), session_scope() as session:
        rows = [alert_public(a) for a in repository.list_alerts(
            session, open_only=not show_all, offset=0, limit=100_000)]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    if not rows:
        typer.echo("no open drift alerts" if not show_all else "no drift alerts")
    for row in rows:
        state = (f"acknowledged by {row.acknowledged_by}" if row.acknowledged_at
                 else "open")
        metrics = ", ".join(c.metric for c in row.crossings)
        typer.echo(f"{row.id} {row.level:<4} model {row.model_version} raised "
                   f"{row.raised_at:%Y-%m-%d %H:%M} ({state}): {metrics}")


@drift_cli.command("acknowledge")
def acknowledge(
    alert_id: Annotated[str, typer.Argument(help="The drift alert's id.")],
    note: Annotated[str, typer.Option("--note", help="What was looked at and what will be "
                                                     "done (no personal data).")],
    username: Annotated[str, typer.Option("--as", help="Your username (a model validator or "
                                                       "an admin).")],
) -> None:
    """Acknowledge a drift alert, once, with a note."""
    from app.auth.permissions import Action
    from app.db import session_scope
    from app.drift import service
    from app.drift.schemas import AcknowledgementCreate
    from app.users.service import acting_user

    with cli_errors():
        body = AcknowledgementCreate(note=note)
        with session_scope() as session:
            actor = acting_user(session, username, Action.DRIFT_ACKNOWLEDGE)
            service.acknowledge(session, actor, alert_id, body.note)
    typer.echo(f"drift alert {alert_id} acknowledged")
