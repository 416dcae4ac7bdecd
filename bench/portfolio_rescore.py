"""Portfolio re-scoring (risk_models.early_warning.portfolio): rows/s and peak memory of the
pandas engine (one process) and of Dask with 1 and 2 worker processes, at 1M and 10M accounts.

The accounts are synthetic, drawn from the Taiwan card data (rows drawn with replacement; each
account's limit, balances and payments scaled by one lognormal factor, sigma 0.1, so that its
ratios stay true; delinquency statuses kept; protected columns dropped before anything else)
and from the bundled German credit rows for the application characteristics (rows drawn with
replacement through the application scorer's own feature path). They are generated in parts of
--part-rows rows straight to Parquet, never all in memory, and reused from --data-dir when
present (the 1M set is the first parts of the 10M set). The export holds ``account_id``, the
behavioural characteristics (``wide_characteristics``) and the application characteristics:
the service exports characteristics it already holds, so deriving them is not part of
re-scoring; the rate of the derivation is reported apart.

Each configuration runs in a fresh child process and is the call the service makes:
``rescore_parquet`` with the behavioural and application scorecards (trained here, or reused
from --data-dir while the code and data that trained them are unchanged), Parquet in, Parquet
parts out, a Dask cluster started and closed within the call. Peak memory is the child's process
tree (driver and workers) sampled with psutil every 0.2 s: the peak of the summed RSS, and the
sum of each process's own high-water mark (VmHWM, an upper bound). CPU seconds are the whole
tree's (``wait4``), interpreter start and imports included. All configurations must give the
same digest of their results.

Run:  .venv/bin/python bench/portfolio_rescore.py --rows 1000000 10000000
      .venv/bin/python bench/portfolio_rescore.py --quick      (200,000 rows, a smoke run)
      [--data-dir /tmp/riskdesk-portfolio-bench] [--part-rows 250000] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

warnings.filterwarnings("ignore")  # third-party deprecation noise would drown the figures

from risk_models.artifact import CompiledScorecard  # noqa: E402
from risk_models.columns import characteristic_frame, plan_columns  # noqa: E402
from risk_models.early_warning.portfolio import (  # noqa: E402
    ScorerSpec,
    rescore_parquet,
)

DEFAULT_DATA_DIR = Path("/tmp/riskdesk-portfolio-bench")
# Bump when the generated accounts change, so that stale parts are not reused.
GENERATOR_VERSION = 1
JITTER_SIGMA = 0.1
SAMPLE_SECONDS = 0.2
CONFIGURATIONS = (("pandas", 1), ("dask", 1), ("dask", 2))
MIB = 1024 * 1024


# -- the accounts -----------------------------------------------------------------------------


class AccountFactory:
    """Draws synthetic accounts, part by part, from the Taiwan and German distributions."""

    def __init__(self, seed: int):
        from risk_models.default_model import (
            EXCLUDED,
            PROTECTED,
            TARGET,
            default_training_frame,
        )
        from risk_models.early_warning.behavioural import (
            BEHAVIOURAL_TARGET,
            load_taiwan,
        )
        from risk_models.early_warning.behavioural import PROTECTED as TAIWAN_PROTECTED

        self.seed = seed
        taiwan = load_taiwan()
        # Protected columns and the outcome leave before anything is drawn.
        self.wide = taiwan.drop(columns=[*TAIWAN_PROTECTED, BEHAVIOURAL_TARGET])
        self.amounts = [
            c for c in self.wide.columns if c.startswith(("limit", "balance_", "paid_"))
        ]
        german, _ = default_training_frame()
        plan = plan_columns(german, target=TARGET, exclude=EXCLUDED, protected=PROTECTED)
        self.application = characteristic_frame(german, plan)
        exported = set(self.wide.columns) | set(self.application.columns)
        assert not exported & {*TAIWAN_PROTECTED, *PROTECTED}, "protected column in the export"

    def wide_part(self, index: int, rows: int) -> tuple[np.random.Generator, pd.DataFrame]:
        rng = np.random.default_rng([self.seed, GENERATOR_VERSION, index])
        wide = self.wide.iloc[rng.integers(0, len(self.wide), rows)].reset_index(drop=True)
        factor = rng.lognormal(0.0, JITTER_SIGMA, rows)
        for column in self.amounts:
            wide[column] = np.round(wide[column].to_numpy(dtype=float) * factor, 2)
        return rng, wide

    def part(self, index: int, rows: int, first_account: int) -> pd.DataFrame:
        from risk_models.early_warning.behavioural import wide_characteristics

        rng, wide = self.wide_part(index, rows)
        behavioural = wide_characteristics(wide)
        drawn = rng.integers(0, len(self.application), rows)
        application = self.application.iloc[drawn].reset_index(drop=True)
        # Ids in no particular order within a part, as an export by another key would be.
        numbers = first_account + rng.permutation(rows)
        account_id = pd.Series([f"AC{n:010d}" for n in numbers], name="account_id")
        return pd.concat([account_id, behavioural, application], axis=1)


def pool_part_path(data_dir: Path, index: int, rows: int, seed: int) -> Path:
    return data_dir / "parts" / f"v{GENERATOR_VERSION}-s{seed}-{index:05d}-{rows}.parquet"


def dataset(data_dir: Path, total_rows: int, part_rows: int, seed: int,
            factory: AccountFactory | None) -> tuple[Path, float, AccountFactory | None]:
    """The directory of ``total_rows`` accounts (generated parts hard-linked into it)."""
    directory = data_dir / f"v{GENERATOR_VERSION}-s{seed}-rows-{total_rows}-part-{part_rows}"
    generated_seconds = 0.0
    directory.mkdir(parents=True, exist_ok=True)
    (data_dir / "parts").mkdir(exist_ok=True)
    for index, start in enumerate(range(0, total_rows, part_rows)):
        rows = min(part_rows, total_rows - start)
        pooled = pool_part_path(data_dir, index, rows, seed)
        if not pooled.exists():
            factory = factory or AccountFactory(seed)
            started = time.perf_counter()
            table = pa.Table.from_pandas(factory.part(index, rows, start), preserve_index=False)
            partial = pooled.with_suffix(".partial")
            pq.write_table(table, partial)
            partial.rename(pooled)
            generated_seconds += time.perf_counter() - started
        link = directory / f"part-{index:05d}.parquet"
        if not link.exists():
            os.link(pooled, link)
    return directory, generated_seconds, factory


def derivation_rate(factory: AccountFactory, rows: int) -> float:
    """Rows per second of ``wide_characteristics`` on one part (best of 3)."""
    from risk_models.early_warning.behavioural import wide_characteristics

    _, wide = factory.wide_part(0, rows)
    best = min(_timed(lambda: wide_characteristics(wide)) for _ in range(3))
    return rows / best


def _timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# -- the scorecards ---------------------------------------------------------------------------


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def train_scorecards(models_dir: Path) -> tuple[dict[str, Path], float]:
    """The champion scorecards as compiled JSON: reused while the risk_models modules and data
    files that trained them are unchanged, trained otherwise."""
    paths = {name: models_dir / f"{name}.json" for name in ("behavioural", "application")}
    manifest = models_dir / "sources.json"
    if manifest.exists() and all(path.exists() for path in paths.values()):
        sources = json.loads(manifest.read_text())
        if all(_file_sha256(Path(f)) == digest for f, digest in sources.items()):
            return paths, 0.0
    from risk_models.default_model import german_credit_path, train_default_model
    from risk_models.early_warning.behavioural import taiwan_path, train_behavioural

    started = time.perf_counter()
    compiled = {
        "behavioural": train_behavioural(benchmarks=False).compiled,
        "application": train_default_model()[0].compiled,
    }
    seconds = time.perf_counter() - started
    models_dir.mkdir(parents=True, exist_ok=True)
    for name, path in paths.items():
        path.write_bytes(compiled[name].to_json())
    used = [
        Path(file)
        for name, module in list(sys.modules.items())
        if name.startswith("risk_models") and name != rescore_parquet.__module__
        and (file := getattr(module, "__file__", None))
    ]
    sources = {str(f): _file_sha256(f) for f in [*used, german_credit_path(), taiwan_path()]}
    manifest.write_text(json.dumps(sources, sort_keys=True))
    return paths, seconds


# -- one measured configuration (a child process) ---------------------------------------------


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    scorers = [
        ScorerSpec(name, CompiledScorecard.from_json(Path(path).read_bytes()))
        for name, path in spec["models"].items()
    ]
    summary = rescore_parquet(
        spec["source"],
        spec["destination"],
        scorers,
        engine=spec["engine"],
        n_workers=spec["workers"],
        threads_per_worker=1,
    )
    return {
        "rows": summary.rows,
        "parts": summary.parts,
        "seconds": summary.seconds,
        "digest": summary.digest,
        "workers": summary.workers,
    }


class TreeMemory:
    """Samples the RSS of a process and all its descendants every ``SAMPLE_SECONDS``."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak_sum = 0
        self.high_water: dict[int, int] = {}
        self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        total = 0
        for process in tree:
            try:
                total += process.memory_info().rss
                self.high_water[process.pid] = max(
                    self.high_water.get(process.pid, 0), _vm_hwm(process.pid)
                )
            except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
                continue
        self.peak_sum = max(self.peak_sum, total)
        self.processes = max(self.processes, len(tree))


def _vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_configuration(spec: dict[str, Any]) -> dict[str, Any]:
    destination = Path(spec["destination"])
    shutil.rmtree(destination, ignore_errors=True)
    command = [sys.executable, __file__, "--measure", json.dumps(spec)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    with TreeMemory(child.pid) as memory:
        assert child.stdout is not None
        output = child.stdout.read()
        # wait4's usage counts the child and every descendant it waited for: its workers.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    shutil.rmtree(destination, ignore_errors=True)
    if child.returncode != 0:
        raise RuntimeError(f"{spec['engine']} x{spec['workers']} failed ({child.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    result.update(
        engine=spec["engine"],
        process_wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=memory.peak_sum / MIB,
        high_water_sum_mib=sum(memory.high_water.values()) / MIB,
        processes=memory.processes,
        rows_per_second=result["rows"] / result["seconds"],
    )
    return result


# -- figures ----------------------------------------------------------------------------------


def label(engine: str, workers: int) -> str:
    return "pandas, 1 process" if engine == "pandas" else f"dask, {workers} worker(s)"


def print_figures(figures: dict[str, Any]) -> None:
    print()
    print("| rows | configuration | seconds | rows/s | CPU s (tree) | peak RSS (sampled sum) | "
          "sum of per-process peaks | processes |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in figures["runs"]:
        print(
            f"| {run['rows']:,} | {label(run['engine'], run['workers'])} | "
            f"{run['seconds']:.1f} | {run['rows_per_second']:,.0f} | {run['cpu_seconds']:.1f} | "
            f"{run['peak_rss_mib']:,.0f} MiB | {run['high_water_sum_mib']:,.0f} MiB | "
            f"{run['processes']} |"
        )
    growth = figures["growth"]
    if growth:
        print()
        print("| configuration | s at small | s at large | ratio of seconds | "
              "us/row small -> large | fixed cost | marginal rows/s |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for row in growth:
            print(
                f"| {label(row['engine'], row['workers'])} | {row['small_seconds']:.1f} | "
                f"{row['large_seconds']:.1f} | {row['seconds_ratio']:.2f} "
                f"(rows x{row['rows_ratio']:.0f}) | {row['small_us_per_row']:.2f} -> "
                f"{row['large_us_per_row']:.2f} | {row['fixed_seconds']:.1f} s | "
                f"{row['marginal_rows_per_second']:,.0f} |"
            )
    print()
    print(f"Scorecards trained in {figures['training_seconds']:.0f} s (0 when reused); "
          f"accounts generated in "
          f"{figures['generation_seconds']:.0f} s this run (0 when reused); "
          f"wide_characteristics derives {figures['derivation_rows_per_second']:,.0f} rows/s "
          "(one process, not part of re-scoring).")
    print(f"Digests equal across configurations: {figures['digests_equal']}")
    print(f"Wall time of the benchmark: {figures['wall_seconds']:.0f} s")


def growth_figures(runs: list[dict[str, Any]], sizes: list[int]) -> list[dict[str, Any]]:
    if len(sizes) < 2:
        return []
    small, large = min(sizes), max(sizes)
    rows = []
    for engine, workers in CONFIGURATIONS:
        by_rows = {r["rows"]: r for r in runs if (r["engine"], r["workers"]) == (engine, workers)}
        s, l_ = by_rows[small]["seconds"], by_rows[large]["seconds"]
        # Two points fix seconds = fixed + rows / marginal rate.
        per_row = (l_ - s) / (large - small)
        rows.append({
            "engine": engine,
            "workers": workers,
            "small_rows": small,
            "large_rows": large,
            "small_seconds": s,
            "large_seconds": l_,
            "rows_ratio": large / small,
            "seconds_ratio": l_ / s,
            "small_us_per_row": s / small * 1e6,
            "large_us_per_row": l_ / large * 1e6,
            "fixed_seconds": s - per_row * small,
            "marginal_rows_per_second": 1 / per_row if per_row > 0 else float("inf"),
        })
    return rows


def check_disk(data_dir: Path, rows: int, part_rows: int, seed: int) -> None:
    sample = pool_part_path(data_dir, 0, min(part_rows, rows), seed)
    per_row = sample.stat().st_size / min(part_rows, rows) if sample.exists() else 120
    # The accounts, plus the largest run's results (about a third of an account's bytes).
    needed = per_row * rows * 1.5
    free = shutil.disk_usage(data_dir).free
    if needed > free:
        raise SystemExit(f"{data_dir}: {needed / 2**30:.1f} GiB needed, {free / 2**30:.1f} free")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="portfolio sizes to re-score")
    parser.add_argument("--quick", action="store_true", help="one smoke run of 200,000 rows")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="where generated accounts are kept and reused")
    parser.add_argument("--part-rows", type=int, default=250_000, help="rows per Parquet part")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure))))
        return 0

    started = time.perf_counter()
    sizes = [200_000] if args.quick else sorted(set(args.rows))
    args.data_dir.mkdir(parents=True, exist_ok=True)
    check_disk(args.data_dir, max(sizes), args.part_rows, args.seed)
    models, training_seconds = train_scorecards(args.data_dir / "models")
    factory = None
    generation_seconds = 0.0
    sources = {}
    for rows in sorted(sizes, reverse=True):
        sources[rows], seconds, factory = dataset(
            args.data_dir, rows, args.part_rows, args.seed, factory
        )
        generation_seconds += seconds
    factory = factory or AccountFactory(args.seed)
    derivation = derivation_rate(factory, min(args.part_rows, max(sizes)))
    del factory

    runs = []
    for rows in sizes:
        for engine, workers in CONFIGURATIONS:
            spec = {
                "source": str(sources[rows]),
                "destination": str(args.data_dir / "results" / f"{rows}-{engine}-{workers}"),
                "models": {name: str(path) for name, path in models.items()},
                "engine": engine,
                "workers": workers,
            }
            run = run_configuration(spec)
            print(f"{rows:,} rows, {label(engine, workers)}: {run['seconds']:.1f} s, "
                  f"peak {run['peak_rss_mib']:,.0f} MiB", flush=True)
            runs.append(run)
    digests_equal = all(
        len({r["digest"] for r in runs if r["rows"] == rows}) == 1 for rows in sizes
    )
    figures = {
        "command": " ".join(["bench/portfolio_rescore.py", *sys.argv[1:]]),
        "part_rows": args.part_rows,
        "runs": runs,
        "growth": growth_figures(runs, sizes),
        "training_seconds": training_seconds,
        "generation_seconds": generation_seconds,
        "derivation_rows_per_second": derivation,
        "digests_equal": digests_equal,
        "wall_seconds": time.perf_counter() - started,
    }
    print_figures(figures)
    print(json.dumps(figures))
    print(f"Repeat with: .venv/bin/python {figures['command']}")
    return 0 if digests_equal else 1


if __name__ == "__main__":
    sys.exit(main())
