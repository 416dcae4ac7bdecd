"""``riskdesk report ...``: build and store reports from the command line, as the API does.

Each command stores the report, records ``report.created`` in the ledger (actor
``system:cli``), writes the PDF to ``--out`` and prints the report's id and sha256.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_errors import cli_errors

report_cli = typer.Typer(help="Regulatory PDF reports (stored and ledgered).",
                         no_args_is_help=True)

Out = Annotated[Path, typer.Option("--out", help="Where to write the PDF.", dir_okay=False)]


def _create(out: Path, **body: Any) -> None:
    from app.audit.cli import checkpoint_if_due
    from app.auth.principal import Principal
    from app.config import get_settings
    from app.db import session_scope
    from app.reports.schemas import ReportCreate
    from app.reports.service import create_report, pdf_of

    with cli_errors():
        settings = get_settings()
        request = ReportCreate(**body)
        with session_scope() as session:
            report = create_report(session, settings, Principal.system("cli"), request)
            pdf = pdf_of(session, settings, report)
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


@report_cli.command("verify")
def verify(
    report_id: Annotated[int | None, typer.Option("--id", help="Stored report id.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="A PDF file to identify.",
                                             exists=True, dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Prove a stored report against the ledger (--id), or say which report a PDF is (--pdf).

    --id checks that the stored bytes have the sha256 its report.created event recorded, that
    the PDF rebuilt from its manifest is identical, and that the chain verifies up to that
    event. Exit status 0 only when all hold (or, with --pdf, when the PDF is a known report);
    1 otherwise.
    """
    import json

    from app.audit.cli import checkpoint_if_due
    from app.auth.principal import Principal
    from app.config import get_settings
    from app.db import session_scope
    from app.reports import service

    if (report_id is None) == (pdf is None):
        typer.echo("error: give exactly one of --id N or --pdf FILE", err=True)
        raise typer.Exit(2)
    with cli_errors():
        with session_scope() as session:
            if pdf is not None:
                found = service.find_by_pdf(session, pdf.read_bytes())
                ok = bool(found["known"])
                if as_json:
                    typer.echo(json.dumps(found, indent=2))
                elif ok:
                    typer.echo(f"{pdf}: report {found['report_id']} ({found['kind']}), created "
                               f"{found['created_at']} by {found['created_by']} "
                               f"({found['created_by_role']}), ledger event "
                               f"{found['created_seq']}; sha256 {found['sha256']}")
                else:
                    typer.echo(f"{pdf}: unknown: no report in the ledger has sha256 "
                               f"{found['sha256']}")
            else:
                assert report_id is not None
                result = service.verify_report(session, get_settings(), report_id)
                service.record_verification(session, Principal.system("cli"), result)
                ok = result.ok
                if as_json:
                    typer.echo(json.dumps(result.as_dict(), indent=2))
                else:
                    typer.echo(f"report {report_id} ({result.kind}): "
                               + ("verified" if ok else "NOT verified: failed "
                                  + ", ".join(result.failed)))
                    for name, check in result.checks.items():
                        typer.echo(f"  {'ok  ' if check['ok'] else 'FAIL'} {name}: "
                                   f"{check['detail']}")
    checkpoint_if_due()  # a verification is recorded in the ledger
    raise typer.Exit(0 if ok else 1)
