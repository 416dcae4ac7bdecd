"""Scoring speed: the compiled scorer against optbinning's Scorecard.score on the same rows.

Headline: one batch of 1,000,000 rows (the German credit rows repeated) written to a CSV file
and read back, its categorical columns as ordinary text (``object`` dtype), as a lender's
extract would arrive. Then the same rows as built in memory (repeated rows share their string
objects, which makes text lookups quicker than a CSV's), with pandas ``category`` columns, and
one applicant at a time (median per-row time: a one-row ``object`` DataFrame for optbinning, a
dict for the compiled scorer). Batch times are the best of ``--repeats`` runs of each scorer,
and every batch checks that both give the same scores.

Run: .venv/bin/python bench/scoring_speed.py [--rows 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")  # third-party deprecation noise would drown the figures

from risk_models.columns import characteristic_frame, plan_columns  # noqa: E402
from risk_models.default_model import (  # noqa: E402
    PROTECTED,
    TARGET,
    default_training_frame,
    train_default_model,
)
from risk_models.scorer import CompiledScorer  # noqa: E402

SINGLE_ROWS_OPTBINNING = 200
SINGLE_ROWS_COMPILED = 1000


def median_seconds(score_one: Callable[[Any], Any], rows: list[Any]) -> float:
    timings = []
    for row in rows:
        started = time.perf_counter()
        score_one(row)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def timed(score: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    scores = score()
    return time.perf_counter() - started, scores


def compare_batch(estimator, scorer: CompiledScorer, batch: pd.DataFrame, repeats: int):
    """Best times of optbinning and of the compiled scorer on ``batch``, and the worst gap.

    The two scorers take turns, so a busy spell on the machine slows both alike.
    """
    optbinning_times, compiled_times = [], []
    for _ in range(repeats):
        seconds, expected = timed(lambda: estimator.score(batch))
        optbinning_times.append(seconds)
        seconds, scores = timed(lambda: scorer.score_batch(batch)["score"].to_numpy())
        compiled_times.append(seconds)
    worst = float(np.max(np.abs(expected - scores)))
    return min(optbinning_times), min(compiled_times), worst


def batch_line(label: str, timings: tuple[float, float, float]) -> str:
    optbinning_seconds, compiled_seconds, worst = timings
    return (
        f"{label}: optbinning {optbinning_seconds:.2f} s, compiled {compiled_seconds:.3f} s "
        f"-> {optbinning_seconds / compiled_seconds:.1f}x faster "
        f"(max |score difference| {worst:.1e})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the batch test")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each batch; best kept")
    args = parser.parse_args()

    training, _ = train_default_model()
    estimator = training.estimator
    scorer = CompiledScorer(training.compiled)
    # The rows the model was trained on, derived characteristics included, so every row scores
    # in its real bins rather than in Missing.
    frame, _ = default_training_frame()
    features = characteristic_frame(frame, plan_columns(frame, target=TARGET, protected=PROTECTED))
    text_columns = list(features.select_dtypes(include="object").columns)

    repeats = -(-args.rows // len(features))
    batch = pd.concat([features] * repeats, ignore_index=True).iloc[: args.rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "applications.csv"
        batch.to_csv(path, index=False)
        # As characteristic_frame types them: text as object (optbinning reads pandas' string
        # dtype as numbers), numbers as float.
        from_csv = pd.read_csv(path, dtype=dict.fromkeys(text_columns, object))
    csv = compare_batch(estimator, scorer, from_csv, args.repeats)
    text = compare_batch(estimator, scorer, batch, args.repeats)
    # Columnar sources (Parquet, Arrow, a database's enum) arrive dictionary-encoded; both
    # scorers get the encoded frame, and the encoding itself is not timed.
    encoded = batch.astype(dict.fromkeys(text_columns, "category"))
    category = compare_batch(estimator, scorer, encoded, args.repeats)

    one_row_frames = [features.iloc[[i]] for i in range(SINGLE_ROWS_OPTBINNING)]
    records = features.to_dict("records")
    optbinning_single = median_seconds(estimator.score, one_row_frames)
    compiled_single = median_seconds(scorer.score_applicant, (records * 2)[:SINGLE_ROWS_COMPILED])

    rows = f"{len(batch):,} rows"
    print(f"Best of {args.repeats} runs per batch; both scorers get the same rows and dtypes.")
    print("HEADLINE " + batch_line(f"{rows} read from a CSV, text (object dtype) columns", csv))
    print(batch_line(f"{rows} built in memory, text (object dtype) columns", text))
    print(batch_line(f"{rows}, pandas category dtype categorical columns", category))
    print(
        f"one row (object dtype 1-row DataFrame / dict): optbinning Scorecard.score median "
        f"{optbinning_single * 1e3:.2f} ms, compiled score_applicant median "
        f"{compiled_single * 1e6:.1f} us -> {optbinning_single / compiled_single:.0f}x faster"
    )
    print(
        "Repeat with: .venv/bin/python bench/scoring_speed.py "
        f"--rows {args.rows} --repeats {args.repeats}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
