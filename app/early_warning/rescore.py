"""Periodic reassessment at portfolio scale: every open account exported to Parquet with the
characteristics it holds, re-scored with the champion behavioural and application scorecards on
Dask (risk_models.early_warning.portfolio), and the results written back in batches — scores,
probabilities of default and, where the new probability moves it, the account's level (with an
assessment kept for the change). One ledger event per run carries its digest."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from app.audit.service import append_event
from app.auth.principal import Principal
from app.config import Settings
from app.db import session_scope
from app.early_warning import rulesets
from app.errors import Conflict
from app.models import AccountAssessment, Application, LoanAccount
from app.models.base import table_of, utcnow
from app.scoring import repository as registry
from app.scoring.states import ModelPurpose
from risk_models.artifact import CompiledScorecard
from risk_models.early_warning.levels import LevelPolicy, assess_level
from risk_models.early_warning.portfolio import (
    ScorerSpec,
    iter_result_batches,
    rescore_parquet,
)

EXPORT_ROWS = 100_000  # accounts per Parquet part
WRITE_BACK_ROWS = 5_000  # accounts per write-back transaction
BEHAVIOURAL, APPLICATION = "behavioural", "application"
_ACCOUNTS = table_of(LoanAccount)


def _champions(session: Session) -> list[tuple[str, str, CompiledScorecard]]:
    found = []
    for name, purpose in ((BEHAVIOURAL, ModelPurpose.BEHAVIOURAL),
                          (APPLICATION, ModelPurpose.APPLICATION)):
        model = registry.champion_model(session, purpose)
        if model is not None:
            found.append((name, model.version, CompiledScorecard.from_json(model.artifact)))
    if not found:
        raise Conflict("no champion scorecard to re-score with", code="no_champion_model")
    names = [set(card.features) for _, _, card in found]
    if len(names) == 2 and names[0] & names[1]:
        raise Conflict("the behavioural and application scorecards share characteristic names "
                       f"{sorted(names[0] & names[1])}; they cannot share one Parquet row",
                       code="characteristic_clash")
    return found


def _kinds(cards: list[CompiledScorecard]) -> dict[str, str]:
    return {c.name: c.kind for card in cards for c in card.characteristics}


def _frame(rows: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]],
           kinds: dict[str, str]) -> pd.DataFrame:
    data: dict[str, list[Any]] = {"account_id": [r[0] for r in rows]}
    for name, kind in kinds.items():
        values = [r[1].get(name, r[2].get(name)) for r in rows]
        if kind == "categorical":
            data[name] = [None if v is None else str(v) for v in values]
        else:
            data[name] = [None if v is None else float(v) for v in values]
    frame = pd.DataFrame(data)
    for name, kind in kinds.items():
        frame[name] = frame[name].astype(object if kind == "categorical" else "float64")
    return frame


def export(session: Session, directory: Path, kinds: dict[str, str]) -> int:
    """Write every open account's characteristics to Parquet parts in ``directory``."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    query = (select(LoanAccount.id, LoanAccount.characteristics, Application.characteristics)
             .join(Application, col(Application.id) == col(LoanAccount.application_id))
             .where(LoanAccount.state == "open").order_by(col(LoanAccount.id)))
    total, part = 0, 0
    batch: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    for row in session.exec(query):
        batch.append((row[0], row[1] or {}, row[2] or {}))
        if len(batch) >= EXPORT_ROWS:
            _frame(batch, kinds).to_parquet(directory / f"part-{part:05d}.parquet", index=False)
            total, part, batch = total + len(batch), part + 1, []
    if batch or part == 0:
        _frame(batch, kinds).to_parquet(directory / f"part-{part:05d}.parquet", index=False)
        total += len(batch)
    return total


def write_back(batches: Iterator[pd.DataFrame], *, policy: LevelPolicy, now: datetime,
               model_versions: dict[str, str]) -> int:
    """Write the results back, one transaction per batch; returns the level changes."""
    changes = 0
    for batch in batches:
        with session_scope() as session:
            changes += _write_batch(session, batch, policy=policy, now=now,
                                    model_versions=model_versions)
    return changes


def _write_batch(session: Session, batch: pd.DataFrame, *, policy: LevelPolicy, now: datetime,
                 model_versions: dict[str, str]) -> int:
    ids = batch["account_id"].tolist()
    current = {a.id: a for a in session.exec(select(LoanAccount)
                                             .where(col(LoanAccount.id).in_(ids)))}
    updates, assessments = [], []
    for record in batch.to_dict("records"):
        account = current.get(record["account_id"])
        if account is None:
            continue  # closed or gone since the export
        values: dict[str, Any] = {"_id": account.id}
        signals = dict(account.signals)
        if BEHAVIOURAL in model_versions and pd.notna(record.get("behavioural_pd")):
            values.update(behavioural_score=float(record["behavioural_score"]),
                          behavioural_pd=float(record["behavioural_pd"]),
                          behavioural_model=model_versions[BEHAVIOURAL])
            signals["behavioural_pd"] = values["behavioural_pd"]
        if APPLICATION in model_versions and pd.notna(record.get("application_pd")):
            values["application_pd"] = float(record["application_pd"])
        level = assess_level(signals, policy) if signals else None
        if level is not None and level.level != account.level:
            signals.update(previous_level=account.level, level=level.level)
            values.update(level=level.level, level_since=now, signals=signals,
                          drivers=list(level.drivers))
            assessments.append({
                "account_id": account.id, "assessed_at": now,
                "as_of": account.last_event_at or now, "cause": "rescore",
                "level": level.level, "previous_level": account.level,
                "behavioural_pd": signals.get("behavioural_pd"), "rule_set_version": None,
                "signals": signals, "drivers": list(level.drivers)})
        updates.append(values)
    for keys in {tuple(sorted(u)) for u in updates}:
        same = [u for u in updates if tuple(sorted(u)) == keys]
        session.execute(update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("_id")), same)
    if assessments:
        session.execute(insert(table_of(AccountAssessment)), assessments)
    session.expunge_all()
    return len(assessments)


def run(settings: Settings, *, username: str | None, engine: Literal["pandas", "dask"],
        scheduler_address: str | None, n_workers: int, work_dir: Path) -> dict[str, Any]:
    """Re-score the portfolio; returns the run's summary (recorded on the ledger)."""
    from app.early_warning.cli import _actor

    now = utcnow()
    with session_scope() as session:
        champions = _champions(session)
        policy = rulesets.level_policy(rulesets.in_force(session))
        kinds = _kinds([card for _, _, card in champions])
        rows = export(session, work_dir / "input", kinds)
    versions = {name: version for name, version, _ in champions}
    summary = rescore_parquet(work_dir / "input", work_dir / "results",
                              [ScorerSpec(name, card) for name, _, card in champions],
                              engine=engine, scheduler_address=scheduler_address,
                              n_workers=n_workers)
    changes = write_back(iter_result_batches(work_dir / "results", batch_rows=WRITE_BACK_ROWS),
                         policy=policy, now=now, model_versions=versions)
    result = {"rows": summary.rows, "exported": rows, "parts": summary.parts,
              "seconds": summary.seconds, "digest": summary.digest, "engine": summary.engine,
              "workers": summary.workers, "models": versions, "level_changes": changes,
              "scheduler": scheduler_address}
    with session_scope() as session:
        actor = _actor(session, username, "monitoring.run") if username else Principal.system(
            "portfolio_rescore")
        append_event(session, actor, "portfolio.rescored", "portfolio", now.isoformat(), {
            k: v for k, v in result.items() if k != "scheduler"})
    return result
