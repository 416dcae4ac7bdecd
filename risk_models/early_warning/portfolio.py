"""Re-scoring a portfolio exported to Parquet, in one process or on a Dask cluster.

Both write the same results, and a digest of them proves it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from risk_models.artifact import CATEGORICAL, CompiledScorecard
from risk_models.scorer import CompiledScorer

__all__ = [
    "ACCOUNT_ID",
    "DIGEST_SCALE",
    "RescoreSummary",
    "ScorerSpec",
    "iter_result_batches",
    "part_digest",
    "rescore_parquet",
    "result_columns",
    "result_part_name",
    "result_schema",
    "score_part",
]

ACCOUNT_ID = "account_id"
PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
# Results enter the digest as integers of this many units per point (or per unit of
# probability): rounding to 1e-9 keeps the digest stable where a float's last bit is not.
DIGEST_SCALE = 1e9
_SCORER_NAME = re.compile(r"[a-z][a-z0-9_]*")

Engine = Literal["pandas", "dask"]
Source = str | PathLike[str]
# Each scorer's name and compiled scorecard JSON: small, hashable, cheap to ship to workers.
Payload = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ScorerSpec:
    """A scorecard to re-score with and the prefix of its result columns.

    Attributes
    ----------
    name : str
        Lower-case identifier; results are ``<name>_score`` and ``<name>_pd``.
    scorecard : CompiledScorecard
        The compiled scorecard (its characteristics are read from the source by name).
    """

    name: str
    scorecard: CompiledScorecard

    def __post_init__(self) -> None:
        """Refuse a name that would not make plain column names."""
        if not _SCORER_NAME.fullmatch(self.name):
            raise ValueError(
                f"scorer name {self.name!r} must be lower-case letters, digits and underscores"
            )


@dataclass(frozen=True)
class RescoreSummary:
    """What a re-scoring run did.

    Attributes
    ----------
    rows : int
        Accounts scored.
    parts : int
        Result parts written (one per row group of the source, in source order).
    seconds : float
        Wall time of the call, a cluster's start and stop included.
    digest : str
        SHA-256 (hex) of the results; see :func:`part_digest`. The same for either engine and
        any number of workers on the same source.
    engine : str
        ``"pandas"`` or ``"dask"``.
    workers : int
        Processes that scored (1 for the pandas engine).
    """

    rows: int
    parts: int
    seconds: float
    digest: str
    engine: str
    workers: int


@dataclass(frozen=True)
class _SourcePlan:
    """The source's files in order, how many row groups each holds, and the columns to read.

    ``text_columns`` are the categorical characteristics stored as text, which the pandas
    engine reads straight into dictionaries.
    """

    files: tuple[Path, ...]
    row_groups: tuple[int, ...]
    columns: tuple[str, ...]
    text_columns: tuple[str, ...]

    @property
    def units(self) -> int:
        return sum(self.row_groups)


def result_part_name(index: int) -> str:
    """File name of result part ``index``; zero-padded so that name order is part order."""
    return f"part.{index:06d}.parquet"


def result_columns(scorer_names: Sequence[str]) -> list[str]:
    """Name the result columns, in order: ``account_id``, then each scorer's score and PD."""
    columns = [ACCOUNT_ID]
    for name in scorer_names:
        columns += [f"{name}_score", f"{name}_pd"]
    return columns


@functools.lru_cache(maxsize=8)
def _compiled_scorers(payload: Payload) -> tuple[tuple[str, CompiledScorer], ...]:
    # Each process compiles a scorecard's lookup tables once, however many parts it scores.
    return tuple(
        (name, CompiledScorer(CompiledScorecard.from_json(text))) for name, text in payload
    )


def result_schema(scorer_names: Sequence[str]) -> pa.Schema:
    """Give the Arrow schema of the result parts (text account id, float results)."""
    return pa.schema(
        [(name, pa.string() if name == ACCOUNT_ID else pa.float64())
         for name in result_columns(scorer_names)]
    )


def _payload(scorers: Sequence[ScorerSpec]) -> Payload:
    """Give each scorer's name and its scorecard as canonical JSON text."""
    return tuple((s.name, s.scorecard.to_json().decode("utf-8")) for s in scorers)


def _categorical_names(scorers: Sequence[tuple[str, CompiledScorer]]) -> set[str]:
    return {
        c.name for _, scorer in scorers for c in scorer.scorecard.characteristics
        if c.kind == CATEGORICAL
    }


def _text_as_categories(frame: pd.DataFrame, names: set[str]) -> pd.DataFrame:
    """Dictionary-encode the text columns among ``names`` (in Arrow, without Python strings).

    The compiled scorer then looks up each distinct value once instead of once per row, and
    scores a category exactly as the same text.
    """
    encoded = {}
    for name in names & set(frame.columns):
        column = frame[name]
        if not (isinstance(column.dtype, pd.StringDtype) or column.dtype == object):
            continue
        try:
            array = pa.array(column, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            continue  # mixed Python objects: the scorer's own text path renders them
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            encoded[name] = pd.Series(
                array.dictionary_encode().to_pandas(), index=frame.index, name=name
            )
    return frame.assign(**encoded) if encoded else frame


def score_part(frame: pd.DataFrame, payload: Payload) -> pd.DataFrame:
    """Score one part of the export and order its results by account id.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``account_id`` and any characteristics; one a scorecard needs but the frame lacks, and
        NaN or None values, are scored in that characteristic's Missing bin.
    payload : tuple of (str, str)
        Each scorer's name and compiled scorecard JSON.

    Returns
    -------
    pandas.DataFrame
        ``account_id`` then ``<name>_score`` and ``<name>_pd`` per scorer, sorted by account id
        (stably, so repeated ids keep their source order), on a fresh ``RangeIndex``.

    Raises
    ------
    ValueError
        If an account id is missing.
    """
    account_ids = pa.array(frame[ACCOUNT_ID].to_numpy(dtype=object), type=pa.string())
    if account_ids.null_count:
        raise ValueError(f"{account_ids.null_count} row(s) have no {ACCOUNT_ID}")
    # Arrow's sort is stable and runs in C, unlike numpy's on Python strings.
    order = pc.sort_indices(account_ids).to_numpy()
    results: dict[str, Any] = {ACCOUNT_ID: account_ids.take(order).to_pandas()}
    scorers = _compiled_scorers(payload)
    frame = _text_as_categories(frame, _categorical_names(scorers))
    for name, scorer in scorers:
        scored = scorer.score_batch(frame)
        results[f"{name}_score"] = scored["score"].to_numpy().take(order)
        results[f"{name}_pd"] = scored["probability_of_default"].to_numpy().take(order)
    return pd.DataFrame(results)


def part_digest(results: pd.DataFrame) -> str:
    """SHA-256 (hex) of one part's results, as they are ordered.

    The hashed bytes are the column names, the row count, each account id's length in UTF-8
    bytes (little-endian int64) and the ids' UTF-8 bytes, then each result column as
    little-endian int64 of ``round(value * 1e9)``. A run's digest is the SHA-256 of its parts'
    digests (32 bytes each) in part order.
    """
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, results.columns)).encode("utf-8"))
    digest.update(np.int64(len(results)).tobytes())
    account_ids = pa.array(results[ACCOUNT_ID], type=pa.large_string(), from_pandas=True)
    if isinstance(account_ids, pa.ChunkedArray):
        account_ids = account_ids.combine_chunks()
    # The ids' offsets and bytes as Arrow holds them: no Python string per row.
    offsets = np.frombuffer(account_ids.buffers()[1], dtype="<i8")[
        account_ids.offset : account_ids.offset + len(account_ids) + 1
    ]
    digest.update(np.diff(offsets).astype("<i8").tobytes())
    if len(account_ids):
        digest.update(memoryview(account_ids.buffers()[2])[offsets[0] : offsets[-1]])
    for column in results.columns.drop(ACCOUNT_ID):
        values = results[column].to_numpy(dtype=float)
        digest.update(np.rint(values * DIGEST_SCALE).astype("<i8").tobytes())
    return digest.hexdigest()


def _part_digest_frame(results: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"rows": [len(results)], "digest": [part_digest(results)]})


def _run_digest(part_digests: Sequence[str]) -> str:
    return hashlib.sha256(b"".join(bytes.fromhex(d) for d in part_digests)).hexdigest()


def _natural_key(path: Path) -> list[Any]:
    # part.10 after part.9, as the parts were written.
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", path.name)]


def _parquet_files(directory: Path) -> list[Path]:
    return sorted(
        (
            p
            for p in directory.iterdir()
            if p.is_file() and p.suffix in PARQUET_SUFFIXES and not p.name.startswith(("_", "."))
        ),
        key=_natural_key,
    )


def _plan_source(source: Path, scorers: Sequence[ScorerSpec]) -> _SourcePlan:
    """List the source's files and row groups, and the columns of it the scorecards read.

    Raises
    ------
    FileNotFoundError
        If ``source`` does not exist.
    ValueError
        If it is a directory without Parquet files, a file that is not Parquet, or lacks
        ``account_id``.
    """
    if not source.exists():
        raise FileNotFoundError(f"portfolio source {source} does not exist")
    files = _parquet_files(source) if source.is_dir() else [source]
    if not files:
        raise ValueError(f"portfolio source {source} holds no Parquet files")
    row_groups = []
    schema_names: set[str] | None = None
    text: set[str] = set()
    for path in files:
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ValueError(
                f"portfolio source {path} is not a readable Parquet file: {exc}"
            ) from exc
        row_groups.append(parquet.metadata.num_row_groups)
        schema = parquet.schema_arrow
        names = set(schema.names)
        schema_names = names if schema_names is None else schema_names & names
        text |= {
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        }
    assert schema_names is not None
    if ACCOUNT_ID not in schema_names:
        raise ValueError(f"portfolio source {source} has no {ACCOUNT_ID!r} column")
    # Only the scorecards' characteristics are read: any other column of the export (protected
    # attributes included) never reaches a scorer.
    needed = dict.fromkeys(f for spec in scorers for f in spec.scorecard.features)
    read = [name for name in needed if name in schema_names and name != ACCOUNT_ID]
    columns = (ACCOUNT_ID, *read)
    categorical = {
        c.name for spec in scorers for c in spec.scorecard.characteristics
        if c.kind == CATEGORICAL
    }
    return _SourcePlan(
        files=tuple(files),
        row_groups=tuple(row_groups),
        columns=columns,
        text_columns=tuple(c for c in read if c in categorical and c in text),
    )


def _prepare_destination(destination: Path) -> None:
    if destination.exists() and not destination.is_dir():
        raise NotADirectoryError(f"result destination {destination} is not a directory")
    destination.mkdir(parents=True, exist_ok=True)
    if _parquet_files(destination):
        # Stale parts would be read back with the new ones.
        raise FileExistsError(f"result destination {destination} already holds Parquet files")


def rescore_parquet(
    source: Source,
    destination: Source,
    scorers: Sequence[ScorerSpec],
    *,
    engine: Engine = "dask",
    scheduler_address: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    memory_limit: str | None = None,
) -> RescoreSummary:
    """Re-score every account of a Parquet export and write the results as Parquet parts.

    Each row group of the source (files in natural name order, row groups in file order) becomes
    one result part, ``part.000000.parquet`` onwards, its rows ordered by account id.

    Parameters
    ----------
    source : path
        A Parquet file, or a directory of Parquet parts, with ``account_id`` and the
        characteristics of the scorecards (absent ones score as missing).
    destination : path
        Directory for the result parts; created if absent, and must hold no Parquet file.
    scorers : sequence of ScorerSpec
        The scorecards, each with the prefix of its result columns.
    engine : {"dask", "pandas"}
        ``"pandas"`` scores in this process one row group at a time (memory bounded by the
        largest row group); ``"dask"`` scores the row groups in parallel on a cluster.
    scheduler_address : str, optional
        A running Dask scheduler to use; otherwise the call starts a ``LocalCluster`` of
        worker processes and closes it before returning.
    n_workers, threads_per_worker : int
        The size of the ``LocalCluster`` (ignored with ``scheduler_address``).
    memory_limit : str, optional
        Memory limit of each local worker, e.g. ``"4GiB"``; Dask's own share of the machine
        when None.

    Returns
    -------
    RescoreSummary

    Raises
    ------
    FileNotFoundError, ValueError
        If the source is missing, not Parquet, or has no ``account_id`` (the message names it).
    FileExistsError
        If the destination already holds Parquet files.
    """
    started = time.perf_counter()
    if not scorers:
        raise ValueError("no scorers given")
    names = [spec.name for spec in scorers]
    if len(set(names)) != len(names):
        raise ValueError(f"scorer names must be distinct: {names}")
    if engine not in ("pandas", "dask"):
        raise ValueError(f"unknown engine {engine!r}: 'pandas' or 'dask'")
    plan = _plan_source(Path(source), scorers)
    destination = Path(destination)
    _prepare_destination(destination)
    payload = _payload(scorers)
    if engine == "pandas" or plan.units == 0:
        # With nothing to score there is no reason to start a cluster.
        digests, workers = _rescore_in_process(plan, destination, payload), 1
    else:
        digests, workers = _rescore_on_dask(
            plan,
            destination,
            payload,
            scheduler_address=scheduler_address,
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            memory_limit=memory_limit,
        )
    return RescoreSummary(
        rows=sum(rows for rows, _ in digests),
        parts=len(digests),
        seconds=time.perf_counter() - started,
        digest=_run_digest([digest for _, digest in digests]),
        engine=engine,
        workers=workers,
    )


def _rescore_in_process(
    plan: _SourcePlan, destination: Path, payload: Payload
) -> list[tuple[int, str]]:
    schema = result_schema([name for name, _ in payload])
    digests: list[tuple[int, str]] = []
    for path in plan.files:
        # Text read straight into dictionaries: no Python string per row is ever made.
        parquet = pq.ParquetFile(path, read_dictionary=list(plan.text_columns))
        for row_group in range(parquet.num_row_groups):
            frame = parquet.read_row_group(row_group, columns=list(plan.columns)).to_pandas()
            results = score_part(frame, payload)
            table = pa.Table.from_pandas(results, schema=schema, preserve_index=False)
            pq.write_table(table, destination / result_part_name(len(digests)))
            digests.append((len(results), part_digest(results)))
    return digests


def _rescore_on_dask(
    plan: _SourcePlan,
    destination: Path,
    payload: Payload,
    *,
    scheduler_address: str | None,
    n_workers: int,
    threads_per_worker: int,
    memory_limit: str | None,
) -> tuple[list[tuple[int, str]], int]:
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    # One partition per row group (no aggregation by size) and no fusing of partitions when
    # only some columns are read ("tune"), so that parts match the pandas engine's one for one.
    frame = dd.read_parquet(
        [str(p) for p in plan.files],
        columns=list(plan.columns),
        split_row_groups=True,
        blocksize=None,
        index=False,
    )
    schema = result_schema([name for name, _ in payload])
    meta = schema.empty_table().to_pandas()
    # One key in the graph for the scorecards: each worker receives them once, not once per
    # task (Dask's advice for large or shared task arguments).
    shared_payload = dask.delayed(payload, pure=True)
    results = frame.map_partitions(score_part, shared_payload, meta=meta, align_dataframes=False)
    write = results.to_parquet(
        str(destination),
        write_index=False,
        name_function=result_part_name,
        schema=schema,
        compute=False,
    )
    digests = results.map_partitions(
        _part_digest_frame, meta=pd.DataFrame({"rows": pd.Series(dtype="int64"),
                                               "digest": pd.Series(dtype=object)})
    )
    with dask.config.set({"optimization.tune.active": False}):
        if results.npartitions != plan.units:
            raise RuntimeError(
                f"Dask read {results.npartitions} partitions from {plan.units} row groups"
            )
        if scheduler_address is not None:
            with Client(scheduler_address, set_as_default=False) as client:
                _, digest_frame = client.compute([write, digests], sync=True)
                workers = len(client.nthreads())
        else:
            with (
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=threads_per_worker,
                    processes=True,
                    memory_limit=memory_limit or "auto",
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                ) as cluster,
                Client(cluster, set_as_default=False) as client,
            ):
                _, digest_frame = client.compute([write, digests], sync=True)
                workers = len(client.nthreads())
    return list(zip(digest_frame["rows"].tolist(), digest_frame["digest"].tolist(),
                    strict=True)), workers


def iter_result_batches(destination: Source, batch_rows: int = 5000) -> Iterator[pd.DataFrame]:
    """Read a run's results back, part by part in order, in batches of at most ``batch_rows``.

    Parameters
    ----------
    destination : path
        The directory :func:`rescore_parquet` wrote.
    batch_rows : int
        Most rows per batch; a batch never spans two parts.

    Yields
    ------
    pandas.DataFrame
        ``account_id`` and each scorer's ``<name>_score`` and ``<name>_pd``.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    directory = Path(destination)
    if not directory.is_dir():
        raise FileNotFoundError(f"result destination {directory} does not exist")
    for path in _parquet_files(directory):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            yield batch.to_pandas()
