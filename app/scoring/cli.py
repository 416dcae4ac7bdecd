"""``riskdesk train`` (registers a draft) and ``riskdesk models|policies ...``: the lifecycle
of models and policies at the command line.

Each move names the person making it (``--as USERNAME``): validation and approval are two-person
controls, and the ledger records who moved what and why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import pandas as pd
import typer

from app.auth.principal import Principal
from app.cli_errors import cli_errors

if TYPE_CHECKING:
    from app.scoring.lifecycle import Kind

T = TypeVar("T")
models_cli = typer.Typer(help="Scoring models: list, show, validate, approve, promote, retire, "
                              "roll back.", no_args_is_help=True)
policies_cli = typer.Typer(help="Decision policies: the same lifecycle as models.",
                           no_args_is_help=True)
As = Annotated[str, typer.Option("--as", help="Your username (the ledger names you).")]
Reason = Annotated[str, typer.Option("--reason", help="Why: recorded with the move.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _bad_value(path: Path, target: str, raw: str) -> Any:
    """The command line gives text; match the target column's own type (0/1 targets)."""
    column = pd.read_csv(path, usecols=[target])[target]
    if pd.api.types.is_numeric_dtype(column):
        number = float(raw)
        return int(number) if number.is_integer() else number
    return raw


def register_training(result: Any, policy: Any, *, data_name: str, target: str,
                      protected: list[str], actor: Principal) -> dict[str, Any]:
    """Store a trained model and its policy as drafts (one transaction, with their ledger
    events)."""
    from app.audit.cli import checkpoint_if_due
    from app.db import session_scope
    from app.scoring import repository, service

    with session_scope() as session:
        model = service.register_model(session, actor, result, data_name=data_name,
                                       target=target, protected=protected)
        # The same policy body trained twice is one version: registered once.
        if repository.policy_by_version(session, policy.version) is None:
            service.register_policy(session, actor, policy.to_dict())
    checkpoint_if_due()
    return {"model_version": model.version, "policy_version": policy.version,
            "status": model.status}


def _actor(username: str | None, action: str) -> Principal:
    if username is None:
        return Principal.system("cli")
    from app.auth.permissions import Action
    from app.db import session_scope
    from app.users.service import acting_user

    with cli_errors(), session_scope() as session:
        return acting_user(session, username, Action(action))


def train(
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Training CSV.")],
    target: Annotated[str, typer.Option(help="Binary outcome column.")],
    bad_value: Annotated[str, typer.Option(help="Value of the target that means default.")],
    exclude: Annotated[list[str] | None, typer.Option(help="Column to drop (repeatable).")] = None,
    protected: Annotated[list[str] | None, typer.Option(
        help="Protected column: never a feature, kept for fairness audits (repeatable).")] = None,
    username: Annotated[str | None, typer.Option(
        "--as", help="Your username, recorded as the model's builder (default: the service)."
    )] = None,
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
) -> None:
    """Train a points scorecard on any CSV with a binary target and register it as a draft:
    it decides nothing until validated, approved and promoted (`riskdesk models`)."""
    from risk_models.columns import ProtectedFeatureError
    from risk_models.policy import default_policy_for
    from risk_models.training import train_from_csv

    actor = _actor(username, "model.read")
    protected_columns = list(protected or [])
    try:
        result = train_from_csv(data, target=target, bad_value=_bad_value(data, target, bad_value),
                                exclude=list(exclude or []), protected=protected_columns)
    except (ProtectedFeatureError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    policy = default_policy_for(result)
    stored = register_training(result, policy, data_name=data.name, target=target,
                               protected=protected_columns, actor=actor)
    summary = {**result.summary(), **stored}
    if as_json:
        typer.echo(json.dumps(summary, sort_keys=True, default=str))
    else:
        typer.echo(f"trained {stored['model_version']} ({stored['status']}): "
                   f"CV AUC {summary['cv_auc']:.4f} ± {summary['cv_auc_std']:.4f}, "
                   f"Gini {summary['gini']:.4f}, KS {summary['ks']:.4f}, "
                   f"{summary['n_rows']} rows, policy {stored['policy_version']}; next: "
                   f"riskdesk models validate {stored['model_version']} --as VALIDATOR")


def ensure_default_model(validator: str, approver: str) -> None:
    """Train the bundled German-credit scorecard when no model is champion, and take it and
    its policy through the lifecycle: validated by ``validator``, approved and promoted by
    ``approver`` (the demo's users)."""
    from app.db import session_scope
    from app.scoring import repository
    from risk_models.default_model import PROTECTED, TARGET, german_credit_path, train_default_model

    with session_scope() as session:
        if repository.champion_model(session) is not None:
            typer.echo("a scoring model is champion already")
            return
    typer.echo("training the default scorecard on the German credit data (about a minute)...")
    result, policy = train_default_model()
    stored = register_training(result, policy, data_name=german_credit_path().name,
                               target=TARGET, protected=list(PROTECTED),
                               actor=Principal.system("demo"))
    walk_to_champion("model", stored["model_version"], validator, approver)
    walk_to_champion("policy", stored["policy_version"], validator, approver)
    typer.echo(f"champion model {stored['model_version']}, policy {stored['policy_version']} "
               f"(CV AUC {result.metrics['cv_auc']:.4f}): validated by {validator}, approved "
               f"and promoted by {approver}")


def walk_to_champion(kind: Kind, version: str, validator: str, approver: str) -> None:
    """Validate, approve and promote ``version`` as the named users, each move its own
    transaction, as they would make them one after another."""
    from app.scoring import lifecycle
    from app.scoring.states import RegistryStatus

    settings = _settings()
    _move(validator, "model.validate", lambda s, a: lifecycle.validate(
        s, settings, a, kind, version, "demo: bundled model, validation report attached"))
    _move(approver, "model.approve", lambda s, a: lifecycle.approve(
        s, a, kind, version, "demo: approved for use"))
    _move(approver, "model.promote", lambda s, a: lifecycle.promote(
        s, a, kind, version, RegistryStatus.CHAMPION, "demo: first champion"))


def _settings() -> Any:
    from app.cli_errors import settings_or_exit

    return settings_or_exit()


def _move(username: str, action: str, work: Callable[[Any, Principal], T]) -> T:
    """Run ``work(session, actor)`` in one transaction as the named user; errors as one
    line and exit status 2."""
    from app.audit.cli import checkpoint_if_due
    from app.auth.permissions import Action
    from app.db import session_scope
    from app.users.service import acting_user

    with cli_errors():
        with session_scope() as session:
            result = work(session, acting_user(session, username, Action(action)))
        checkpoint_if_due()
        return result


def _row_summary(row: Any) -> dict[str, Any]:
    built_by = getattr(row, "trained_by", None) or getattr(row, "created_by", None)
    return {"version": row.version, "status": row.status, "built_by": built_by,
            "validated_by": row.validated_by, "approved_by": row.approved_by,
            "validation_report_id": row.validation_report_id,
            "activated_at": row.activated_at.isoformat() if row.activated_at else None}


def _print(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, sort_keys=True, default=str) if as_json else text)


def _lifecycle_commands(group: typer.Typer, kind: str) -> None:
    """The same commands for models and policies."""

    @group.command("list")
    def list_(as_json: Json = False) -> None:
        """Every version, newest first, with its status and who validated and approved it."""
        from app.db import session_scope
        from app.scoring import repository

        _settings()
        with session_scope() as session:
            rows = (repository.list_models(session) if kind == "model"
                    else repository.list_policies(session))
            summaries = [_row_summary(r) for r in rows]
        lines = [f"{s['version']:<40} {s['status']:<10} built by {s['built_by']}, validated "
                 f"by {s['validated_by'] or '-'}, approved by {s['approved_by'] or '-'}"
                 for s in summaries]
        _print(summaries, as_json, "\n".join(lines) or f"no {kind}s registered")

    @group.command("show")
    def show(version: Annotated[str, typer.Argument(help="The version.")],
             as_json: Json = False) -> None:
        """One version's governance and its lifecycle, move by move."""
        from app.db import session_scope
        from app.scoring import lifecycle

        _settings()
        with cli_errors(), session_scope() as session:
            row = lifecycle.row_of(session, kind, version)  # type: ignore[arg-type]
            summary = _row_summary(row)
            summary["transitions"] = [
                {"from": t.from_status, "to": t.to_status, "by": t.actor_id,
                 "role": t.actor_role, "reason": t.reason, "at": t.at.isoformat(),
                 "report_id": t.report_id}
                for t in lifecycle.history(session, kind, version)]  # type: ignore[arg-type]
        lines = [f"{kind} {version}: {summary['status']}"]
        lines += [f"  {t['at']}  {t['from'] or '(new)'} -> {t['to']}  by {t['by']} "
                  f"({t['role']}): {t['reason']}" for t in summary["transitions"]]
        _print(summary, as_json, "\n".join(lines))

    @group.command("validate")
    def validate(version: Annotated[str, typer.Argument(help="The draft to validate.")],
                 username: As, reason: Reason) -> None:
        """Validate a draft (a model validator, never its builder); a model's validation
        report is generated and attached."""
        from app.scoring import lifecycle

        settings = _settings()
        row = _move(username, "model.validate", lambda s, a: lifecycle.validate(
            s, settings, a, kind, version, reason))  # type: ignore[arg-type]
        report = f", report {row.validation_report_id}" if row.validation_report_id else ""
        typer.echo(f"{kind} {version}: validated by {username}{report}; a second person "
                   "approves it next")

    @group.command("approve")
    def approve(version: Annotated[str, typer.Argument(help="The validated version.")],
                username: As, reason: Reason) -> None:
        """Approve a validated version (never whoever built or validated it)."""
        from app.scoring import lifecycle

        _settings()
        _move(username, "model.approve", lambda s, a: lifecycle.approve(
            s, a, kind, version, reason))  # type: ignore[arg-type]
        typer.echo(f"{kind} {version}: approved by {username}")

    @group.command("promote")
    def promote(version: Annotated[str, typer.Argument(help="The approved version.")],
                username: As, reason: Reason,
                to: Annotated[str, typer.Option(help="champion or challenger.")] = "champion",
                ) -> None:
        """Put an approved version in use as champion (the current one retires) or as
        challenger (shadow decisions, backfilled over history in the background)."""
        from app.errors import Unprocessable
        from app.scoring import backfill, lifecycle
        from app.scoring.states import RegistryStatus

        _settings()

        def work(session: Any, actor: Principal) -> Any:
            if to not in (RegistryStatus.CHAMPION, RegistryStatus.CHALLENGER):
                raise Unprocessable(f"--to is champion or challenger, not {to!r}",
                                    code="invalid_transition")
            move = lifecycle.promote(session, actor, kind, version,  # type: ignore[arg-type]
                                     RegistryStatus(to), reason)
            if to == RegistryStatus.CHALLENGER:
                backfill.request(session, actor, kind, version)  # type: ignore[arg-type]
            return move

        move = _move(username, "model.promote", work)
        aside = f"; {move.displaced.version} is {move.displaced.status}" if move.displaced else ""
        typer.echo(f"{kind} {version}: {to}{aside}")

    @group.command("retire")
    def retire(version: Annotated[str, typer.Argument(help="The version to retire.")],
               username: As, reason: Reason) -> None:
        """Retire a version that is not the champion."""
        from app.scoring import lifecycle

        _settings()
        _move(username, "model.retire", lambda s, a: lifecycle.retire(
            s, a, kind, version, reason))  # type: ignore[arg-type]
        typer.echo(f"{kind} {version}: retired")

    @group.command("rollback")
    def rollback(username: As, reason: Reason) -> None:
        """Put the previous champion back in one step; the current champion retires."""
        from app.scoring import lifecycle

        _settings()
        move = _move(username, "model.promote", lambda s, a: lifecycle.rollback(
            s, a, kind, reason))  # type: ignore[arg-type]
        was = f" ({move.displaced.version} retired)" if move.displaced else ""
        typer.echo(f"{kind} {move.row.version}: champion again{was}")


_lifecycle_commands(models_cli, "model")
_lifecycle_commands(policies_cli, "policy")


@models_cli.command("compare")
def compare(
    date_from: Annotated[str, typer.Option("--from", help="First decision day, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last decision day, YYYY-MM-DD.")],
    challenger: Annotated[str | None, typer.Option(
        help="Challenger version (default: the current challenger).")] = None,
    as_json: Json = False,
) -> None:
    """Champion against challenger over a date range: score correlation, swap set, approval
    rates, adverse impact ratios, realised bad rates."""
    from datetime import date

    from app.db import session_scope
    from app.errors import Unprocessable
    from app.scoring import comparison

    _settings()
    with cli_errors(), session_scope() as session:
        try:
            start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
        except ValueError as exc:
            raise Unprocessable(f"dates are YYYY-MM-DD: {exc}", code="invalid_date") from exc
        result = comparison.compare(session, challenger=challenger, date_from=start,
                                    date_to=end)
    if as_json:
        typer.echo(json.dumps(result, sort_keys=True, default=str))
        return
    rates, swaps = result["approval_rate"], result["swap_set"]
    lines = [
        f"challenger {result['challenger_version']} against champion "
        f"{', '.join(result['champion_versions']) or '-'}, {result['date_from']} to "
        f"{result['date_to']}: {result['applications']} applications "
        f"({result['without_shadow']} decided without a shadow, left out)",
        f"  score correlation {_fmt(result['score_correlation'])} (rank "
        f"{_fmt(result['score_rank_correlation'])}), agreement {_fmt(result['agreement'])}",
        f"  approval rate: champion {_fmt(rates['champion'])}, challenger "
        f"{_fmt(rates['challenger'])}",
    ]
    for name, label in (("swap_in", "approved only by the challenger"),
                        ("swap_out", "approved only by the champion")):
        swap = swaps[name]
        lines.append(f"  {label}: {swap['count']} ({swap['with_outcome']} with outcome, bad "
                     f"rate {_fmt(swap['bad_rate'])})")
    for side, airs in result["adverse_impact_ratio"].items():
        shown = ", ".join(f"{attribute} {_fmt(a['air']) if a else '-'}"
                          for attribute, a in airs.items())
        lines.append(f"  lowest adverse impact ratio, {side}: {shown or '-'}")
    typer.echo("\n".join(lines))


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
