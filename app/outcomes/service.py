"""Loading observed loan outcomes (whole batches or nothing) and back-testing models on them.

A batch is refused whole, with 422 ``invalid_outcomes`` and one detail per problem (``row``,
``field``, ``message``; row 1 is the first observation, in a CSV file the line after the
header), when any observation

* names an application that does not exist, or one whose current outcome is not ``approve``
  (only a granted loan performs);
* is dated in the future (UTC) or before the application's latest decision, its approval;
* repeats an (application, date) of the batch or one already stored;
* would cure a default: observations of a loan may not go from in default back to not in
  default, whichever of the two is stored and whichever is in the batch (a default is final
  here; a servicer's restructured loan is a new application).

A batch identical to one already loaded (the same sha256) is refused with 409
``outcomes_already_loaded``. A load is one transaction with one ``outcomes.loaded`` ledger event
carrying counts and the batch's sha256: no application is named in the ledger.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit.service import append_event
from app.auth.principal import Principal
from app.errors import Conflict, NotFound, Unprocessable
from app.fairness.service import period_bounds
from app.models import Backtest, OutcomeLoad, ScoringModel
from app.outcomes import repository
from app.outcomes.schemas import MAX_OUTCOME_ROWS, OutcomeIn
from app.scoring import repository as registry
from compliance.ledger import canonical_json, sha256_hex
from risk_models.backtesting import LoanPerformance, Observation, backtest
from risk_models.policy import APPROVE

API, CSV = "api", "csv"
CSV_HEADER = ("application_id", "defaulted", "observed_on")
CSV_BOOLEANS = {"0": False, "1": True, "false": False, "true": True}
# Problems listed in a refusal; the message counts them all.
MAX_LISTED_PROBLEMS = 100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidOutcomes(Unprocessable):
    code = "invalid_outcomes"


def _refusal(problems: list[dict[str, Any]], rows: int) -> InvalidOutcomes:
    listed = ("" if len(problems) <= MAX_LISTED_PROBLEMS
              else f" (the first {MAX_LISTED_PROBLEMS} are listed)")
    return InvalidOutcomes(f"{len(problems)} problem(s) in a batch of {rows} observation(s)"
                           f"{listed}; nothing was loaded", details=problems[:MAX_LISTED_PROBLEMS])


def _problem(row: int | None, field: str | None, message: str) -> dict[str, Any]:
    return {"row": row, "field": field, "message": message}


# --- Parsing a CSV file ---------------------------------------------------------------------


def parse_csv(data: bytes) -> list[OutcomeIn]:
    """The observations of a CSV file with the header ``application_id,defaulted,observed_on``;
    ``defaulted`` is 0, 1, true or false, ``observed_on`` YYYY-MM-DD. Any unreadable row refuses
    the file (``invalid_outcomes``, every such row listed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidOutcomes("the file is not UTF-8 text; nothing was loaded",
                              details=[_problem(None, None, str(exc))]) from exc
    lines = csv.reader(io.StringIO(text, newline=""))
    header = next(lines, None)
    if header is None or tuple(h.strip() for h in header) != CSV_HEADER:
        raise InvalidOutcomes(f"the first line must be exactly {','.join(CSV_HEADER)}; nothing "
                              "was loaded", details=[_problem(None, None, f"found {header!r}")])
    outcomes: list[OutcomeIn] = []
    problems: list[dict[str, Any]] = []
    for number, fields in enumerate(lines, start=1):
        if not fields:
            continue  # a blank line (a trailing newline, say)
        if len(outcomes) + len(problems) >= MAX_OUTCOME_ROWS:
            raise InvalidOutcomes(f"a load holds at most {MAX_OUTCOME_ROWS:,} observations; "
                                  "split the file; nothing was loaded",
                                  code="too_many_outcomes")
        parsed = _csv_row(number, fields, problems)
        if parsed is not None:
            outcomes.append(parsed)
    if problems:
        raise _refusal(problems, len(outcomes) + len(problems))
    if not outcomes:
        raise InvalidOutcomes("the file holds no observations; nothing was loaded",
                              details=[_problem(None, None, "no rows after the header")])
    return outcomes


def _csv_row(number: int, fields: list[str], problems: list[dict[str, Any]]) -> OutcomeIn | None:
    if len(fields) != len(CSV_HEADER):
        problems.append(_problem(number, None, f"{len(fields)} fields; expected 3"))
        return None
    application_id, defaulted, observed_on = fields
    found = len(problems)
    flag = CSV_BOOLEANS.get(defaulted.lower())
    if flag is None:
        problems.append(_problem(number, "defaulted", f"{defaulted!r} is not 0, 1, true or "
                                                      "false"))
    day = None
    if _ISO_DATE.match(observed_on):
        try:
            day = date.fromisoformat(observed_on)
        except ValueError:
            pass
    if day is None:
        problems.append(_problem(number, "observed_on", f"{observed_on!r} is not a date as "
                                                        "YYYY-MM-DD"))
    if len(problems) > found:
        return None
    try:
        return OutcomeIn(application_id=application_id, defaulted=flag, observed_on=day)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(_problem(number, ".".join(map(str, err["loc"])), str(err["msg"])))
        return None


# --- Loading --------------------------------------------------------------------------------


def batch_sha256(outcomes: Sequence[OutcomeIn]) -> str:
    """sha256 of the batch's canonical JSON: its rows sorted by application and date, so the
    same observations give the same hash whatever their order or source."""
    rows = sorted((o.application_id, o.observed_on.isoformat(), o.defaulted) for o in outcomes)
    return sha256_hex(canonical_json([{"application_id": a, "observed_on": d, "defaulted": f}
                                      for a, d, f in rows]))


def _utc_date(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def batch_problems(session: Session, outcomes: Sequence[OutcomeIn],
                   today: date) -> list[dict[str, Any]]:
    """Every reason to refuse the batch (see the module's rules), in row order."""
    ids = sorted({o.application_id for o in outcomes})
    decided = repository.applications_decided(session, ids)
    stored = repository.observations_of(session, ids)
    stored_on = {(a, d): load for a, history in stored.items() for d, _, load in history}
    problems: list[dict[str, Any]] = []
    first_row: dict[tuple[str, date], int] = {}
    # The observations that stand once the batch's repeats are set aside: cures are judged on
    # them together with what is stored.
    standing: dict[str, list[tuple[date, bool, int | None]]] = {
        a: [(d, f, None) for d, f, _ in history] for a, history in stored.items()}
    for number, o in enumerate(outcomes, start=1):
        key = (o.application_id, o.observed_on)
        found = decided.get(o.application_id)
        if found is None:
            problems.append(_problem(number, "application_id",
                                     f"no application {o.application_id}"))
            continue
        outcome, decided_at = found
        if outcome != APPROVE:
            problems.append(_problem(number, "application_id", (
                f"application {o.application_id} is not approved (its current outcome is "
                f"{outcome}): only a granted loan has outcomes")))
            continue
        approved_on = _utc_date(decided_at)
        if o.observed_on > today:
            problems.append(_problem(number, "observed_on", f"{o.observed_on} is in the future"))
        elif o.observed_on < approved_on:
            problems.append(_problem(number, "observed_on", (
                f"{o.observed_on} is before the application was approved ({approved_on})")))
        if key in first_row:
            problems.append(_problem(number, "observed_on", (
                f"repeats row {first_row[key]}: one observation per application and date")))
            continue
        first_row[key] = number
        if key in stored_on:
            problems.append(_problem(number, "observed_on", (
                f"an observation of application {o.application_id} on {o.observed_on} is "
                f"stored already (load {stored_on[key]})")))
            continue
        standing.setdefault(o.application_id, []).append((o.observed_on, o.defaulted, number))
    problems += _cures(standing)
    return sorted(problems, key=lambda p: (p["row"] or 0))


def _cures(standing: dict[str, list[tuple[date, bool, int | None]]]) -> list[dict[str, Any]]:
    """A batch observation that puts a non-default after a default in a loan's history."""
    problems = []
    for application_id, history in standing.items():
        defaults = [d for d, defaulted, _ in history if defaulted]
        if not defaults:
            continue
        for observed_on, defaulted, number in history:
            if number is None:
                continue
            if not defaulted and min(defaults) < observed_on:
                problems.append(_problem(number, "defaulted", (
                    f"application {application_id} was in default on {min(defaults)}; a later "
                    "observation must be in default too (a default is final)")))
            elif defaulted:
                later = [d for d, f, n in history if not f and n is None and d > observed_on]
                if later:
                    problems.append(_problem(number, "defaulted", (
                        f"application {application_id} is stored as not in default on "
                        f"{max(later)}, after {observed_on}; a default is final")))
    return problems


def load_outcomes(session: Session, actor: Principal, outcomes: Sequence[OutcomeIn], *,
                  source: str, today: date | None = None) -> OutcomeLoad:
    """Store a batch of observations whole, with its ledger event, or refuse it whole."""
    if not outcomes:
        raise InvalidOutcomes("the batch holds no observations; nothing was loaded")
    if len(outcomes) > MAX_OUTCOME_ROWS:
        raise InvalidOutcomes(f"a load holds at most {MAX_OUTCOME_ROWS:,} observations",
                              code="too_many_outcomes")
    digest = batch_sha256(outcomes)
    earlier = repository.load_with_sha256(session, digest)
    if earlier is not None:
        raise Conflict(f"this batch was loaded already (load {earlier.id}); nothing was loaded",
                       code="outcomes_already_loaded", details={"load_id": earlier.id})
    problems = batch_problems(session, outcomes, today or datetime.now(UTC).date())
    if problems:
        raise _refusal(problems, len(outcomes))
    load = OutcomeLoad(id=uuid.uuid4().hex, loaded_by=actor.actor_id, source=source,
                       sha256=digest, rows=len(outcomes),
                       defaults=sum(1 for o in outcomes if o.defaulted))
    try:
        repository.add_load(session, load, ({"application_id": o.application_id,
                                             "defaulted": o.defaulted,
                                             "observed_on": o.observed_on} for o in outcomes))
    except IntegrityError as exc:
        # Another load stored some of the same observations since they were checked.
        raise Conflict("another load stored some of these observations at the same time; "
                       "nothing was loaded; send the batch again to see which",
                       code="outcomes_conflict") from exc
    append_event(session, actor, "outcomes.loaded", "outcome_load", load.id, {
        "observations": load.rows, "defaults": load.defaults, "sha256": load.sha256,
        "source": load.source}, rows=(load,))
    return load


# --- Back-testing ---------------------------------------------------------------------------


def resolve_model(session: Session, version: str | None) -> ScoringModel:
    """The named model version, or the champion."""
    if version is None:
        champion = registry.champion_model(session)
        if champion is None:
            raise Conflict("no model is champion; name a model_version", code="no_champion")
        return champion
    model = registry.model_by_version(session, version)
    if model is None:
        raise NotFound(f"no model version {version!r}", code="model_not_found")
    return model


def run_backtest(session: Session, actor: Principal, model_version: str | None,
                 date_from: date, date_to: date, *, as_of: date | None = None) -> Backtest:
    """Back-test a model's decisions of ``date_from`` to ``date_to`` (UTC days, inclusive) on
    the outcomes observed up to ``as_of`` (default: today), store it and ledger it.

    Refused with 422 ``no_outcomes_in_window`` when none of its approved loans of the window
    has an observed outcome.
    """
    model = resolve_model(session, model_version)
    as_of = as_of or datetime.now(UTC).date()
    decisions = repository.approved_decisions(session, model.version,
                                              *period_bounds(date_from, date_to))
    observed = repository.observations_of(session, [d[0] for d in decisions], until=as_of)
    if not observed:
        raise Unprocessable(
            f"no outcome has been observed for the approved loans model {model.version} "
            f"decided from {date_from} to {date_to} ({len(decisions)} loan(s)); load outcomes "
            "first", code="no_outcomes_in_window")
    loans = [LoanPerformance(_utc_date(created_at), score, pd_, tier,
                             [Observation(d, f) for d, f, _ in observed.get(app_id, [])])
             for app_id, created_at, score, pd_, tier in decisions]
    result = backtest(loans, as_of=as_of)
    record = repository.add_backtest(session, Backtest(
        id=uuid.uuid4().hex, model_version=model.version, window_start=date_from,
        window_end=date_to, created_by=actor.actor_id, rows=result["loans"], result=result))
    append_event(session, actor, "model.backtested", "backtest", record.id, {
        "model_version": model.version, "window_start": date_from.isoformat(),
        "window_end": date_to.isoformat(), "as_of": as_of.isoformat(), "loans": record.rows,
        "defaults": result["defaults"], "result_sha256": sha256_hex(canonical_json(result))},
        rows=(record,))
    return record


def get_backtest(session: Session, backtest_id: str) -> Backtest:
    record = repository.get_backtest(session, backtest_id)
    if record is None:
        raise NotFound(f"no back-test {backtest_id}", code="backtest_not_found")
    return record
