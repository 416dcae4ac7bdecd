"""Observed loan outcomes and back-tests: servicing (admins, model validators) loads outcomes;
model validators, compliance officers and admins run back-tests; monitoring readers read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.deps import RequireAction
from app.auth.permissions import Action
from app.auth.principal import Principal
from app.db import SessionDep
from app.models import Backtest
from app.openapi import errors_for
from app.outcomes import repository, service
from app.outcomes.schemas import (
    BacktestCreate,
    BacktestPage,
    BacktestPublic,
    BacktestSummary,
    OutcomeLoadPage,
    OutcomeLoadPublic,
    OutcomesCreate,
)
from app.params import Offset

router = APIRouter(tags=["outcomes"])
Loader = Annotated[Principal, RequireAction(Action.OUTCOME_LOAD)]
Runner = Annotated[Principal, RequireAction(Action.MONITORING_RUN)]
Reader = Annotated[Principal, RequireAction(Action.MONITORING_READ)]
BacktestId = Annotated[str, Path(min_length=1, max_length=32, description="The back-test's id.")]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]


def _public(record: Backtest) -> BacktestPublic:
    return BacktestPublic.model_validate(record, from_attributes=True)


@router.post("/outcomes", response_model=OutcomeLoadPublic, status_code=201,
             responses=errors_for(409))
def load_outcomes(body: OutcomesCreate, session: SessionDep,
                  actor: Loader) -> OutcomeLoadPublic:
    """Load a batch of observed loan outcomes, whole or not at all.

    Any problem refuses the whole batch with 422 ``invalid_outcomes``, one detail per problem
    (row, field, message): an unknown or unapproved application, a date in the future or
    before the approval, a repeated or already stored (application, date), or a default
    followed by a non-default. The same batch again is 409 ``outcomes_already_loaded``.
    """
    load = service.load_outcomes(session, actor, body.outcomes, source=service.API)
    return OutcomeLoadPublic.model_validate(load, from_attributes=True)


@router.get("/outcomes/loads", response_model=OutcomeLoadPage)
def list_loads(session: SessionDep, actor: Reader, offset: Offset = 0,
               limit: Limit = 50) -> OutcomeLoadPage:
    """Loads of outcomes, newest first."""
    loads, total = repository.list_loads(session, offset=offset, limit=limit)
    return OutcomeLoadPage(items=[OutcomeLoadPublic.model_validate(x, from_attributes=True)
                                  for x in loads], total=total)


@router.post("/backtests", response_model=BacktestPublic, status_code=201,
             responses=errors_for(404, 409))
def run_backtest(body: BacktestCreate, session: SessionDep, actor: Runner) -> BacktestPublic:
    """Back-test a model (default: the champion) on its decisions of a window of days, against
    the outcomes observed up to today; store it and record it in the ledger.

    No observed outcome in the window is 422 ``no_outcomes_in_window``.
    """
    return _public(service.run_backtest(session, actor, body.model_version, body.date_from,
                                        body.date_to))


@router.get("/backtests", response_model=BacktestPage)
def list_backtests(
    session: SessionDep,
    actor: Reader,
    model_version: Annotated[str | None, Query(max_length=64,
                                               description="Only back-tests of this model.")
                             ] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> BacktestPage:
    """Stored back-tests, newest first, without their results."""
    records, total = repository.search_backtests(session, model_version=model_version,
                                                 offset=offset, limit=limit)
    return BacktestPage(items=[BacktestSummary.model_validate(r, from_attributes=True)
                               for r in records], total=total)


@router.get("/backtests/{backtest_id}", response_model=BacktestPublic,
            responses=errors_for(404))
def get_backtest(backtest_id: BacktestId, session: SessionDep,
                 actor: Reader) -> BacktestPublic:
    """One stored back-test with its result."""
    return _public(service.get_backtest(session, backtest_id))
