"""Queries behind observed outcomes and back-tests: the applications a batch names, their stored
observations, a model's decisions in a window, stored loads and back-tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.applications.states import DecisionKind
from app.models import Application, Backtest, Decision, LoanOutcome, OutcomeLoad
from app.models.base import table_of
from risk_models.policy import APPROVE

# Ids per IN (...) list: well under SQLite's and PostgreSQL's limits on bound parameters.
_CHUNK = 1000
_outcomes = table_of(LoanOutcome)


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def applications_decided(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, datetime]]:
    """``{application_id: (current outcome, when its latest decision was made)}`` for those of
    ``ids`` that exist."""
    found: dict[str, tuple[str, datetime]] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            sa_select(col(Application.id), col(Application.outcome),
                      func.max(col(Decision.created_at)))
            .join(Decision, col(Decision.application_id) == col(Application.id))
            .where(col(Application.id).in_(chunk))
            .group_by(col(Application.id), col(Application.outcome))).all()
        found.update({app_id: (outcome, decided_at) for app_id, outcome, decided_at in rows})
    return found


def observations_of(session: Session, ids: Sequence[str], *, until: date | None = None,
                    ) -> dict[str, list[tuple[date, bool, str]]]:
    """``{application_id: [(observed_on, defaulted, load_id), ...]}`` stored for ``ids``, oldest
    first; only those on or before ``until`` when given."""
    found: dict[str, list[tuple[date, bool, str]]] = {}
    for chunk in _chunks(ids):
        statement = (sa_select(_outcomes.c.application_id, _outcomes.c.observed_on,
                               _outcomes.c.defaulted, _outcomes.c.load_id)
                     .where(_outcomes.c.application_id.in_(chunk))
                     .order_by(_outcomes.c.application_id, _outcomes.c.observed_on))
        if until is not None:
            statement = statement.where(_outcomes.c.observed_on <= until)
        for app_id, observed_on, defaulted, load_id in session.execute(statement):
            found.setdefault(app_id, []).append((observed_on, bool(defaulted), load_id))
    return found


def load_with_sha256(session: Session, sha256: str) -> OutcomeLoad | None:
    return session.exec(select(OutcomeLoad).where(OutcomeLoad.sha256 == sha256)).first()


def add_load(session: Session, load: OutcomeLoad, rows: Iterable[dict[str, Any]]) -> None:
    """Write a load and its observations (one multi-row insert)."""
    session.add(load)
    session.flush()
    values = [{**row, "load_id": load.id} for row in rows]
    if values:
        session.execute(insert(_outcomes), values)


def list_loads(session: Session, *, offset: int = 0, limit: int = 50,
               ) -> tuple[list[OutcomeLoad], int]:
    total = session.exec(select(func.count()).select_from(OutcomeLoad)).one()
    rows = session.exec(select(OutcomeLoad).order_by(col(OutcomeLoad.loaded_at).desc(),
                                                     col(OutcomeLoad.id))
                        .offset(offset).limit(limit)).all()
    return list(rows), int(total)


def approved_decisions(session: Session, model_version: str, start: datetime, end: datetime,
                       ) -> list[tuple[str, datetime, float, float, str | None]]:
    """The model's automated decisions made in ``[start, end)`` on applications approved now:
    ``(application_id, created_at, score, probability_of_default, risk_tier)``."""
    rows = session.execute(
        sa_select(col(Decision.application_id), col(Decision.created_at), col(Decision.score),
                  col(Decision.probability_of_default), col(Decision.risk_tier))
        .join(Application, col(Application.id) == col(Decision.application_id))
        .where(col(Decision.kind) == DecisionKind.AUTOMATED.value,
               col(Decision.model_version) == model_version,
               col(Decision.created_at) >= start, col(Decision.created_at) < end,
               col(Decision.score).is_not(None),
               col(Decision.probability_of_default).is_not(None),
               col(Application.outcome) == APPROVE)
        .order_by(col(Decision.created_at), col(Decision.application_id))).all()
    return [(a, c, float(s), float(p), t) for a, c, s, p, t in rows]


def add_backtest(session: Session, backtest: Backtest) -> Backtest:
    session.add(backtest)
    session.flush()
    return backtest


def get_backtest(session: Session, backtest_id: str) -> Backtest | None:
    return session.get(Backtest, backtest_id)


def newest_backtest(session: Session, model_version: str) -> Backtest | None:
    return session.exec(select(Backtest).where(Backtest.model_version == model_version)
                        .order_by(col(Backtest.created_at).desc(), col(Backtest.id).desc())
                        .limit(1)).first()


def search_backtests(session: Session, *, model_version: str | None = None, offset: int = 0,
                     limit: int = 50) -> tuple[list[Backtest], int]:
    """Back-tests, newest first, and how many match in all."""
    conditions = [] if model_version is None else [Backtest.model_version == model_version]
    total = session.exec(select(func.count()).select_from(Backtest).where(*conditions)).one()
    rows = session.exec(select(Backtest).where(*conditions)
                        .order_by(col(Backtest.created_at).desc(), col(Backtest.id).desc())
                        .offset(offset).limit(limit)).all()
    return list(rows), int(total)
