"""A drift check through the service (``app.drift.service.run_check``) over a window of
--rows live applications of the bundled scorecard: PSI of the score and CSI of its 15
characteristics against the development sample, the check stored and any alert ledgered.

The live applications are the German credit rows resampled towards longer loans, scored by the
compiled scorer, and written straight to the tables the decision path writes (applications,
automated decisions, scored_characteristics) over 30 days, into a fresh migrated SQLite database
(and a scratch PostgreSQL database with --postgres). Also timed apart: the two grouped queries,
and the other way to bin the score (fetch the scores, bin them in numpy).

Run:  .venv/bin/python bench/drift.py [--rows 100000] [--repeat 3]
          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RISKDESK_SECRET_KEY", "benchmark-secret-key-long-enough")
os.environ.setdefault("RISKDESK_DIGEST_KEY", "benchmark-digest-key-long-enough")
os.environ["RISKDESK_JOBS_URL"] = "immediate"

import numpy as np  # noqa: E402
from sqlalchemy import insert, update  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app.auth.principal import Principal  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.drift import repository, service  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models import Application, Decision, ScoredCharacteristic, ScoringModel  # noqa: E402
from app.models.base import table_of  # noqa: E402
from app.scoring import service as scoring_service  # noqa: E402
from app.scoring.states import RegistryStatus  # noqa: E402
from bench.scratch import postgres_database  # noqa: E402
from risk_models.columns import characteristic_frame, plan_columns  # noqa: E402
from risk_models.default_model import (  # noqa: E402
    EXCLUDED,
    PROTECTED,
    TARGET,
    default_training_frame,
    train_default_model,
)
from risk_models.drift import score_bin_indices  # noqa: E402
from risk_models.scorer import CompiledScorer  # noqa: E402
from risk_models.training import TrainingResult  # noqa: E402

WINDOW_END = datetime(2026, 4, 1, tzinfo=UTC)
WINDOW_DAYS = 30
BATCH = 20_000
ACTOR = Principal.system("bench")


def live_rows(result: TrainingResult, model_version: str, n: int, seed: int = 0,
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Application, decision and scored-characteristic rows of ``n`` live applications."""
    frame, _ = default_training_frame()
    plan = plan_columns(frame, target=TARGET, exclude=EXCLUDED, protected=PROTECTED)
    development = characteristic_frame(frame, plan)
    rng = np.random.default_rng(seed)
    weights = development["duration_months"].to_numpy(dtype=float)
    picked = rng.choice(len(development), size=n, p=weights / weights.sum())
    live = development.iloc[picked].reset_index(drop=True)
    scores = CompiledScorer(result.compiled).score_batch(live)["score"].to_numpy()
    # Each characteristic's bin as the compiled scorecard numbers them (regular bins, Special,
    # Missing): optbinning's own indices with Special and Missing in bins of their own.
    process = result.estimator.binning_process_
    bins = {}
    for spec in result.compiled.characteristics:
        indices = process.get_binned_variable(spec.name).transform(
            live[spec.name], metric="indices", metric_special="empirical",
            metric_missing="empirical")
        bins[spec.name] = np.where(indices < 0, spec.missing_index, indices)
    seconds = rng.uniform(0, WINDOW_DAYS * 86_400, n)
    start = WINDOW_END - timedelta(days=WINDOW_DAYS)
    applications, decisions, scored = [], [], []
    for row in range(n):
        at = start + timedelta(seconds=float(seconds[row]))
        application_id = uuid.uuid4().hex
        applications.append({
            "id": application_id, "submitted_at": at, "submitted_by": "bench",
            "submitted_by_role": "loan_officer", "request_sha256": "0" * 64,
            "status": "approved", "outcome": "approve", "score": float(scores[row]),
            "amount": 1000, "currency": "EUR", "term_months": 12, "purpose": "car_used",
            "characteristics": {}, "derivation": {}, "cleansing": [], "duplicate_flags": [],
            "name_dob_digest": "0" * 64, "model_version": model_version,
            "policy_version": "bench", "inputs": {}})
        decisions.append({
            "id": uuid.uuid4().hex, "application_id": application_id, "kind": "automated",
            "created_at": at, "outcome": "approve", "score": float(scores[row]),
            "model_version": model_version, "policy_version": "bench", "decided_by": "system",
            "decided_by_role": "system", "record": {}})
        for spec in result.compiled.characteristics:
            index = int(bins[spec.name][row])
            scored.append({"application_id": application_id, "model_version": model_version,
                           "characteristic": spec.name, "scored_at": at, "bin_index": index,
                           "bin_label": spec.bins[index].label,
                           "points": spec.bins[index].points})
    return applications, decisions, scored


def fill(engine: Engine, result: TrainingResult, n: int) -> str:
    """Register the model as champion and write ``n`` live applications; its version."""
    with session_scope(engine) as session:
        model = scoring_service.register_model(
            session, ACTOR, result, data_name="german_credit.csv", target=TARGET,
            protected=list(PROTECTED))
        # A benchmark shortcut past validation and approval: only the status matters here.
        session.execute(update(table_of(ScoringModel))
                        .where(table_of(ScoringModel).c.version == model.version)
                        .values(status=RegistryStatus.CHAMPION))
        version = model.version
    applications, decisions, scored = live_rows(result, version, n)
    with engine.begin() as conn:
        for table, rows in ((Application, applications), (Decision, decisions),
                            (ScoredCharacteristic, scored)):
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(table_of(table)), rows[start:start + BATCH])
    return version


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(first, best) seconds of ``repeat`` runs, and the last run's answer."""
    times, answer = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        answer = work()
        times.append(time.perf_counter() - began)
    return times[0], min(times), answer


def run(backend: str, url: str, result: TrainingResult, n: int, repeat: int) -> None:
    upgrade(url)
    engine = build_engine(url)
    began = time.perf_counter()
    version = fill(engine, result, n)
    print(f"{backend}: {n:,} live applications written in {time.perf_counter() - began:.1f} s")
    start = WINDOW_END - timedelta(days=WINDOW_DAYS)

    def check() -> Any:
        with session_scope(engine) as session:
            return service.run_check(session, ACTOR, model_version=None, start=start,
                                     end=WINDOW_END).check

    def query(work: Callable[[Any], Any]) -> Callable[[], Any]:
        def timed() -> Any:
            with session_scope(engine) as session:
                return work(session)
        return timed

    first, best, stored = best_of(repeat, check)
    with session_scope(engine) as session:
        baseline = service.baseline_for(session, version)
    print(f"{backend}: drift check (run_check, stored): first {first:.3f} s, "
          f"best of {repeat} {best:.3f} s; live rows {stored.live_rows:,}, "
          f"score PSI {stored.score_psi:.4f}, worst CSI {stored.worst_csi:.4f}, "
          f"level {stored.level}")
    _, case_best, case_counts = best_of(repeat, query(lambda s: repository.live_score_counts(
        s, version, start, WINDOW_END, baseline.score_splits)))
    _, numpy_best, numpy_counts = best_of(repeat, query(lambda s: np.bincount(
        score_bin_indices(repository.live_scores(s, version, start, WINDOW_END),
                          baseline.score_splits), minlength=len(baseline.score_counts))))
    assert list(numpy_counts) == case_counts, "the two ways of binning the score disagree"
    _, characteristic_best, _ = best_of(repeat, query(lambda s: repository.characteristic_counts(
        s, version, start, WINDOW_END)))
    print(f"{backend}: score bins by CASE in SQL: best {case_best:.3f} s; by fetching the "
          f"scores and numpy: best {numpy_best:.3f} s")
    entries = n * len(baseline.characteristics)
    print(f"{backend}: characteristic bins (one grouped query, {entries:,} index entries): "
          f"best {characteristic_best:.3f} s")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="also run on a scratch database of this server")
    args = parser.parse_args()
    command = f".venv/bin/python bench/drift.py --rows {args.rows} --repeat {args.repeat}"
    print(command + (f" --postgres {args.postgres}" if args.postgres else ""))
    began = time.perf_counter()
    result, _ = train_default_model()
    print(f"bundled scorecard trained in {time.perf_counter() - began:.1f} s "
          f"({len(result.features)} characteristics)")
    with tempfile.TemporaryDirectory() as scratch:
        run("sqlite", f"sqlite:///{scratch}/drift.db", result, args.rows, args.repeat)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            run("postgresql", url, result, args.rows, args.repeat)


if __name__ == "__main__":
    main()
