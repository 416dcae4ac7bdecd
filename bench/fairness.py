"""Benchmark of the fairness audit: 100,000 synthetic decisions, 1,000 bootstrap rounds.

Run: .venv/bin/python bench/fairness.py [--rows N] [--boot B] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compliance.fairness import audit_fairness  # noqa: E402
from compliance.reports.examples import synthetic_decisions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--boot", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    frame = synthetic_decisions(args.rows)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        audit = audit_fairness(
            frame,
            attributes={"sex": "Sex", "age_band": "Age band", "national_origin": "National origin"},
            intersections=[("sex", "age_band")],
            n_boot=args.boot,
            seed=0,
        )
        times.append(time.perf_counter() - start)
    print(
        ".venv/bin/python bench/fairness.py "
        f"--rows {args.rows} --boot {args.boot} --repeat {args.repeat}"
    )
    print(
        f"audit_fairness: {args.rows:,} decisions, 3 attributes + 1 intersection, "
        f"{args.boot:,} bootstrap rounds: median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f} s, max {max(times):.3f} s over {args.repeat} runs)"
    )
    print(f"flags raised: {len(audit['flags'])}")


if __name__ == "__main__":
    main()
