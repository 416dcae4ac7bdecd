"""Portfolio re-scoring: both engines write the scorer's own results, and the same digest."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster

from risk_models.artifact import (
    CATEGORICAL,
    MISSING,
    NUMERICAL,
    SPECIAL,
    Characteristic,
    CompiledScorecard,
    ScorecardBin,
    ScoreScaling,
)
from risk_models.early_warning.portfolio import (
    RescoreSummary,
    ScorerSpec,
    iter_result_batches,
    part_digest,
    rescore_parquet,
)
from risk_models.scorer import CompiledScorer

# Source files named so that name order and natural order differ: parts are taken 1, 2, 10.
SOURCE_PARTS = {"part.2.parquet": 300, "part.10.parquet": 250, "part.1.parquet": 450}
ROW_GROUP_ROWS = 200


def _numerical(name: str, splits: tuple[float, ...], points: list[float]) -> Characteristic:
    edges = [None, *splits, None]
    bins = [
        ScorecardBin(f"bin {i}", p, (p - 20.0) / 30.0, lower=edges[i], upper=edges[i + 1])
        for i, p in enumerate(points)
    ]
    bins += [ScorecardBin("Special", 14.0, 0.05, kind=SPECIAL),
             ScorecardBin("Missing", 11.0, -0.2, kind=MISSING)]
    return Characteristic(name=name, kind=NUMERICAL, coefficient=-0.9, bins=tuple(bins),
                          splits=splits, special_codes=(-1.0,))


def _categorical(name: str, groups: dict[tuple[str, ...], float]) -> Characteristic:
    bins = [
        ScorecardBin(" / ".join(cats), p, (p - 20.0) / 25.0, categories=cats)
        for cats, p in groups.items()
    ]
    bins += [ScorecardBin("Special", 10.0, 0.0, kind=SPECIAL),
             ScorecardBin("Missing", 7.0, -0.4, kind=MISSING)]
    return Characteristic(name=name, kind=CATEGORICAL, coefficient=-1.1, bins=tuple(bins))


@pytest.fixture(scope="module")
def scorers() -> list[ScorerSpec]:
    behavioural = CompiledScorecard(
        characteristics=(
            _numerical("utilisation", (0.3, 0.7, 0.95), [41.0, 30.0, 17.0, 4.0]),
            _categorical("dpd_bucket", {("current",): 45.0, ("1-30",): 21.0,
                                        ("31-60", "61-90", "90+"): 2.0}),
        ),
        intercept=-2.2,
        scaling=ScoreScaling(base_score=600.0, base_odds=50.0, pdo=20.0),
    )
    application = CompiledScorecard(
        characteristics=(
            _numerical("duration_months", (12.0, 24.0), [35.0, 26.0, 12.0]),
            _categorical("purpose", {("car (new)", "car (used)"): 31.0, ("education",): 18.0}),
        ),
        intercept=-1.1,
        scaling=ScoreScaling(base_score=600.0, base_odds=50.0, pdo=20.0),
    )
    return [ScorerSpec("behavioural", behavioural), ScorerSpec("application", application)]


def _accounts(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "account_id": [f"ACC-{seed}-{i:05d}" for i in rng.permutation(rows)],
            "utilisation": rng.uniform(-0.1, 1.2, rows),
            "dpd_bucket": rng.choice(["current", "1-30", "31-60", "90+", "unknown"], rows),
            "duration_months": rng.integers(4, 60, rows).astype(float),
            "purpose": rng.choice(["car (new)", "car (used)", "education", "repairs"], rows),
            "sex": rng.choice(["female", "male"], rows),
        }
    )
    frame.loc[rng.random(rows) < 0.1, "utilisation"] = np.nan
    frame.loc[rng.random(rows) < 0.05, "utilisation"] = -1.0
    frame["dpd_bucket"] = frame["dpd_bucket"].astype(object)
    frame.loc[rng.random(rows) < 0.1, "dpd_bucket"] = None
    return frame


def _write_source(directory: Path, parts: dict[str, pd.DataFrame]) -> Path:
    directory.mkdir(parents=True)
    for name, frame in parts.items():
        frame.to_parquet(directory / name, index=False, row_group_size=ROW_GROUP_ROWS)
    return directory


def _read_all(destination: Path) -> pd.DataFrame:
    return pd.concat(list(iter_result_batches(destination)), ignore_index=True)


@pytest.fixture(scope="module")
def source_parts() -> dict[str, pd.DataFrame]:
    return {name: _accounts(rows, seed) for seed, (name, rows) in enumerate(SOURCE_PARTS.items())}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, source_parts) -> Path:
    return _write_source(tmp_path_factory.mktemp("export") / "accounts", source_parts)


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    """One single-worker cluster for the module (worker processes, as in production)."""
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def pandas_run(tmp_path_factory, source, scorers) -> tuple[RescoreSummary, Path]:
    destination = tmp_path_factory.mktemp("pandas") / "results"
    return rescore_parquet(source, destination, scorers, engine="pandas"), destination


@pytest.fixture(scope="module")
def dask_run(tmp_path_factory, source, scorers, scheduler_address) -> tuple[RescoreSummary, Path]:
    destination = tmp_path_factory.mktemp("dask") / "results"
    summary = rescore_parquet(
        source, destination, scorers, engine="dask", scheduler_address=scheduler_address
    )
    return summary, destination


def test_pandas_and_dask_engines_write_identical_results(pandas_run, dask_run):
    pd.testing.assert_frame_equal(_read_all(pandas_run[1]), _read_all(dask_run[1]))


def test_pandas_and_dask_engines_give_the_same_digest(pandas_run, dask_run):
    assert dask_run[0].digest == pandas_run[0].digest


def test_a_cluster_of_two_local_workers_gives_the_same_digest(
    tmp_path, source, scorers, pandas_run
):
    summary = rescore_parquet(source, tmp_path / "results", scorers, engine="dask", n_workers=2)
    assert (summary.workers, summary.digest) == (2, pandas_run[0].digest)


def test_every_account_is_scored_once(pandas_run):
    summary, destination = pandas_run
    account_ids = _read_all(destination)["account_id"]
    assert summary.rows == len(account_ids) == sum(SOURCE_PARTS.values())
    assert account_ids.is_unique


def test_results_equal_the_compiled_scorers_batch_scores(pandas_run, source_parts, scorers):
    accounts = pd.concat(source_parts.values(), ignore_index=True)
    results = _read_all(pandas_run[1]).set_index("account_id").loc[accounts["account_id"]]
    for spec in scorers:
        expected = CompiledScorer(spec.scorecard).score_batch(accounts)
        np.testing.assert_array_equal(results[f"{spec.name}_score"], expected["score"])
        np.testing.assert_array_equal(
            results[f"{spec.name}_pd"], expected["probability_of_default"]
        )


def test_each_row_group_becomes_one_part_in_natural_file_order(pandas_run, source_parts):
    natural = [source_parts[name] for name in ("part.1.parquet", "part.2.parquet",
                                               "part.10.parquet")]
    expected = [
        set(frame["account_id"].iloc[start:start + ROW_GROUP_ROWS])
        for frame in natural
        for start in range(0, len(frame), ROW_GROUP_ROWS)
    ]
    parts = sorted(pandas_run[1].glob("*.parquet"))
    written = [set(pd.read_parquet(path)["account_id"]) for path in parts]
    assert written == expected


def test_results_are_ordered_by_account_id_within_each_part(dask_run):
    for path in sorted(dask_run[1].glob("*.parquet")):
        account_ids = pd.read_parquet(path)["account_id"]
        assert account_ids.is_monotonic_increasing


def test_nan_and_none_characteristics_score_in_the_missing_bin(tmp_path, scorers):
    accounts = pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "utilisation": [np.nan, None],
            "dpd_bucket": [None, np.nan],
        }
    )
    source = _write_source(tmp_path / "accounts", {"part.0.parquet": accounts})
    rescore_parquet(source, tmp_path / "results", scorers[:1], engine="pandas")
    behavioural = scorers[0].scorecard
    missing_points = sum(c.bins[c.missing_index].points for c in behavioural.characteristics)
    scores = _read_all(tmp_path / "results")["behavioural_score"]
    assert scores.tolist() == [missing_points, missing_points]


def test_a_characteristic_absent_from_the_source_scores_in_the_missing_bin(
    tmp_path, source_parts, scorers
):
    accounts = source_parts["part.1.parquet"]
    source = _write_source(
        tmp_path / "accounts", {"part.0.parquet": accounts.drop(columns=["purpose"])}
    )
    rescore_parquet(source, tmp_path / "results", scorers[1:], engine="pandas")
    blank = accounts.assign(purpose=None)
    expected = CompiledScorer(scorers[1].scorecard).score_batch(blank)["score"]
    results = _read_all(tmp_path / "results").set_index("account_id")
    np.testing.assert_array_equal(
        results.loc[accounts["account_id"], "application_score"], expected
    )


def test_protected_columns_of_the_export_do_not_change_any_result(
    tmp_path, source_parts, scorers, pandas_run
):
    flipped = {
        name: frame.assign(sex=frame["sex"].map({"female": "male", "male": "female"}))
        for name, frame in source_parts.items()
    }
    source = _write_source(tmp_path / "accounts", flipped)
    summary = rescore_parquet(source, tmp_path / "results", scorers, engine="pandas")
    assert summary.digest == pandas_run[0].digest


def test_an_empty_source_scores_no_rows_and_both_engines_agree(
    tmp_path, scorers, scheduler_address
):
    empty = pa.table(
        {"account_id": pa.array([], pa.string()), "utilisation": pa.array([], pa.float64())}
    )
    pq.write_table(empty, tmp_path / "accounts.parquet")
    summaries = [
        rescore_parquet(
            tmp_path / "accounts.parquet",
            tmp_path / engine,
            scorers,
            engine=engine,
            scheduler_address=scheduler_address,
        )
        for engine in ("pandas", "dask")
    ]
    assert [s.rows for s in summaries] == [0, 0]
    assert summaries[0].digest == summaries[1].digest
    assert list(iter_result_batches(tmp_path / "dask")) == []


def test_a_missing_source_path_is_named_in_the_error(tmp_path, scorers):
    missing = tmp_path / "no-such-export"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        rescore_parquet(missing, tmp_path / "results", scorers, engine="pandas")


def test_a_source_that_is_not_parquet_is_named_in_the_error(tmp_path, scorers):
    not_parquet = tmp_path / "accounts.parquet"
    not_parquet.write_text("account_id,utilisation\nA,0.5\n")
    with pytest.raises(ValueError, match=f"{not_parquet} is not a readable Parquet file"):
        rescore_parquet(not_parquet, tmp_path / "results", scorers, engine="pandas")


def test_a_directory_without_parquet_files_is_named_in_the_error(tmp_path, scorers):
    (tmp_path / "accounts").mkdir()
    with pytest.raises(ValueError, match=f"{tmp_path / 'accounts'} holds no Parquet files"):
        rescore_parquet(tmp_path / "accounts", tmp_path / "results", scorers, engine="pandas")


def test_a_destination_holding_results_already_is_refused(tmp_path, source, scorers):
    rescore_parquet(source, tmp_path / "results", scorers, engine="pandas")
    with pytest.raises(FileExistsError, match=str(tmp_path / "results")):
        rescore_parquet(source, tmp_path / "results", scorers, engine="pandas")


def test_result_batches_hold_at_most_batch_rows(pandas_run):
    sizes = [len(batch) for batch in iter_result_batches(pandas_run[1], batch_rows=70)]
    assert max(sizes) == 70 and sum(sizes) == sum(SOURCE_PARTS.values())


def test_part_digest_ignores_differences_below_a_billionth():
    base = pd.DataFrame({"account_id": ["A"], "behavioural_score": [512.25]})
    nudged = base.assign(behavioural_score=512.25 + 1e-11)
    assert part_digest(nudged) == part_digest(base)


def test_part_digest_changes_with_a_millionth_of_a_point():
    base = pd.DataFrame({"account_id": ["A"], "behavioural_score": [512.25]})
    moved = base.assign(behavioural_score=512.25 + 1e-6)
    assert part_digest(moved) != part_digest(base)


def test_scorer_names_must_be_distinct(tmp_path, source, scorers):
    twice = [scorers[0], ScorerSpec("behavioural", scorers[1].scorecard)]
    with pytest.raises(ValueError, match="distinct"):
        rescore_parquet(source, tmp_path / "results", twice, engine="pandas")
