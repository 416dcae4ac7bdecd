"""``riskdesk report ...``: build and store reports from the command line, as the API does.

Each command stores the report, records ``report.created`` in the ledger (actor
``system:cli``), writes the PDF to ``--out`` and prints the report's id and sha256.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

report_cli = typer.Typer(help="Regulatory PDF reports (stored and ledgered).",
                         no_args_is_help=True)

Out = Annotated[Path, typer.Option("--out", help="Where to write the PDF.", dir_okay=False)]


def _create(out: Path, **body: Any) -> None:
    from pydantic import ValidationError

    from app.audit.cli import checkpoint_if_due
    from app.auth.principal import Principal
    from app.config import InsecureSettingsError, get_settings
    from app.db import session_scope
    from app.errors import RiskdeskError
    from app.reports.schemas import ReportCreate
    from app.reports.service import create_report

    try:
        settings = get_settings()
        request = ReportCreate(**body)
        with session_scope() as session:
            report = create_report(session, settings, Principal.system("cli"), request)
            pdf = report.pdf
    except InsecureSettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"error: {'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from exc
    except RiskdeskError as exc:
        typer.echo(f"error: {exc.message} ({exc.code})", err=True)
        raise typer.Exit(2) from exc
    checkpoint_if_due()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    typer.echo(f"report {report.id} ({report.kind}) sha256 {report.sha256} "
               f"ledger head {report.ledger_head_seq} -> {out}")


def _day(value: datetime) -> date:
    return value.date()


@report_cli.command("adverse-action")
def adverse_action(
    application: Annotated[str, typer.Option("--application", help="Application id.")],
    out: Out,
) -> None:
    """Adverse action notice for an application whose current decision declines or
    counteroffers."""
    _create(out, kind="adverse_action", application_id=application)


@report_cli.command("model-validation")
def model_validation(
    model: Annotated[str, typer.Option("--model", help="Model version.")],
    out: Out,
) -> None:
    """Model validation report for a model version."""
    _create(out, kind="model_validation", model_version=model)


@report_cli.command("compliance")
def compliance(
    date_from: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"],
                                                help="First day (UTC), YYYY-MM-DD.")],
    date_to: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"],
                                              help="Last day (UTC), inclusive, YYYY-MM-DD.")],
    out: Out,
) -> None:
    """Compliance report for a period."""
    _create(out, kind="compliance", date_from=_day(date_from), date_to=_day(date_to))
