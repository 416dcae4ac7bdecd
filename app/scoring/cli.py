"""``riskdesk train``: train a scorecard on a CSV and register it (and its default policy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from app.auth.principal import Principal


def _bad_value(path: Path, target: str, raw: str) -> Any:
    """The command line gives text; match the target column's own type (0/1 targets)."""
    column = pd.read_csv(path, usecols=[target])[target]
    if pd.api.types.is_numeric_dtype(column):
        number = float(raw)
        return int(number) if number.is_integer() else number
    return raw


def register_training(result: Any, policy: Any, *, data_name: str, target: str,
                      protected: list[str], activate: bool, actor: Principal) -> dict[str, Any]:
    """Store a trained model and its policy (one transaction, with their ledger events)."""
    from app.audit.cli import checkpoint_if_due
    from app.db import session_scope
    from app.scoring import service

    with session_scope() as session:
        model = service.register_model(session, actor, result, data_name=data_name,
                                       target=target, protected=protected, activate=activate)
        service.register_policy(session, actor, policy.to_dict(), activate=activate)
    checkpoint_if_due()
    return {"model_version": model.version, "policy_version": policy.version,
            "status": model.status}


def train(
    data: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Training CSV.")],
    target: Annotated[str, typer.Option(help="Binary outcome column.")],
    bad_value: Annotated[str, typer.Option(help="Value of the target that means default.")],
    exclude: Annotated[list[str] | None, typer.Option(help="Column to drop (repeatable).")] = None,
    protected: Annotated[list[str] | None, typer.Option(
        help="Protected column: never a feature, kept for fairness audits (repeatable).")] = None,
    activate: Annotated[bool, typer.Option(help="Make it the active model and policy.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON line.")] = False,
) -> None:
    """Train a points scorecard on any CSV with a binary target and register it."""
    from risk_models.columns import ProtectedFeatureError
    from risk_models.policy import default_policy_for
    from risk_models.training import train_from_csv

    protected_columns = list(protected or [])
    try:
        result = train_from_csv(data, target=target, bad_value=_bad_value(data, target, bad_value),
                                exclude=list(exclude or []), protected=protected_columns)
    except (ProtectedFeatureError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    policy = default_policy_for(result)
    stored = register_training(result, policy, data_name=data.name, target=target,
                               protected=protected_columns, activate=activate,
                               actor=Principal.system("cli"))
    summary = {**result.summary(), **stored}
    if as_json:
        typer.echo(json.dumps(summary, sort_keys=True, default=str))
    else:
        typer.echo(f"trained {stored['model_version']} ({stored['status']}): "
                   f"CV AUC {summary['cv_auc']:.4f} ± {summary['cv_auc_std']:.4f}, "
                   f"Gini {summary['gini']:.4f}, KS {summary['ks']:.4f}, "
                   f"{summary['n_rows']} rows, policy {stored['policy_version']}")


def ensure_default_model() -> None:
    """Train and activate the bundled German-credit scorecard when no model is active."""
    from app.db import session_scope
    from app.scoring import repository
    from risk_models.default_model import PROTECTED, TARGET, german_credit_path, train_default_model

    with session_scope() as session:
        if repository.active_model(session) is not None:
            typer.echo("a scoring model is active already")
            return
    typer.echo("training the default scorecard on the German credit data (about a minute)...")
    result, policy = train_default_model()
    stored = register_training(result, policy, data_name=german_credit_path().name,
                               target=TARGET, protected=list(PROTECTED), activate=True,
                               actor=Principal.system("demo"))
    typer.echo(f"active model {stored['model_version']}, policy {stored['policy_version']} "
               f"(CV AUC {result.metrics['cv_auc']:.4f})")
