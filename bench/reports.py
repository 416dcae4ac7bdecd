"""Benchmark of the report builders, and writer of the PNG previews in docs/reports/.

Run: .venv/bin/python bench/reports.py [--repeat N] [--rows N] [--previews DIR]
--previews DIR also writes page 1 of each report, built from the fictitious example inputs, to
DIR/<kind>.png (needs pdftoppm).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compliance.fairness import audit_fairness  # noqa: E402
from compliance.reports import (  # noqa: E402
    build_adverse_action_notice,
    build_compliance_report,
    build_model_validation_report,
    summarise_decisions,
)
from compliance.reports.examples import (  # noqa: E402
    AUDIT_ATTRIBUTES,
    REASON_STATEMENTS,
    example_adverse_action_notice,
    example_compliance_input,
    example_model_validation_input,
    synthetic_decisions,
)


def _median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _timed(action: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def write_previews(pdfs: dict[str, bytes], out_dir: Path) -> None:
    """Render page 1 of each PDF to ``out_dir/<kind>.png`` with pdftoppm."""
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm not found (Debian package poppler-utils)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for kind, pdf in pdfs.items():
            source = Path(tmp) / f"{kind}.pdf"
            source.write_bytes(pdf)
            target = out_dir / kind
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "90",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(source),
                    str(target),
                ],
                check=True,
            )
            size = (out_dir / f"{kind}.png").stat().st_size
            print(f"wrote {target}.png ({size / 1024:.0f} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--previews", type=Path, default=None, metavar="DIR")
    args = parser.parse_args()
    print(f".venv/bin/python bench/reports.py --repeat {args.repeat} --rows {args.rows}")

    notice = example_adverse_action_notice()
    validation = example_model_validation_input()
    frame, t_synth = _timed(lambda: synthetic_decisions(args.rows, seed=1))
    summary, t_summary = _timed(
        lambda: summarise_decisions(frame, reason_statements=REASON_STATEMENTS, top_n=6)
    )
    audit, t_audit = _timed(
        lambda: audit_fairness(
            frame, attributes=AUDIT_ATTRIBUTES, intersections=[("sex", "age_band")], n_boot=1000
        )
    )
    compliance = example_compliance_input(rows=2_000, n_boot=10)
    compliance = replace(
        compliance,
        decisions_by_outcome=summary.by_outcome,
        decisions_by_tier=summary.by_tier,
        top_reasons=summary.top_reasons,
        fairness_audit=audit,
    )
    builds = {
        "adverse_action_notice": lambda: build_adverse_action_notice(notice),
        "model_validation": lambda: build_model_validation_report(validation),
        "compliance_report": lambda: build_compliance_report(compliance),
    }
    print(f"synthetic decisions ({args.rows:,}): {t_synth:.3f} s (setup, not timed below)")
    print(f"summarise_decisions ({args.rows:,} rows): {t_summary:.3f} s")
    print(f"audit_fairness ({args.rows:,} rows, 1,000 rounds): {t_audit:.3f} s")
    for kind, build in builds.items():
        seconds = _median_seconds(build, args.repeat)
        print(f"build {kind}: median {seconds * 1000:.1f} ms over {args.repeat} builds")
    total = t_summary + t_audit + _median_seconds(builds["compliance_report"], 1)
    print(f"compliance report end to end over {args.rows:,} decisions: {total:.2f} s")
    if args.previews:
        write_previews({kind: build() for kind, build in builds.items()}, args.previews)


if __name__ == "__main__":
    main()
