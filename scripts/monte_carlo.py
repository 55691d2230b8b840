"""Seeded Monte Carlo studies on the built-in scenarios (`gbad.studies`).

Each study is a batch of independent runs (run r of seed s: the run's own random
streams, as `gbad run --run r`), run on every core:

    python scripts/monte_carlo.py srbm --runs 100
    python scripts/monte_carlo.py raid --runs 20 --duration 900
    python scripts/monte_carlo.py locating --runs 30
    python scripts/monte_carlo.py warning --runs 30

Prints the figures and writes them as JSON (``--out``). Simulated, nominal.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# One compiled thread per worker: the workers are the parallelism.
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from gbad.studies import measure_run, study_report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("study", choices=("srbm", "raid", "locating", "locating-ideal", "warning"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--duration", type=float, default=None, help="s (srbm: 400, raid: 900, locating: as built)"
    )
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    duration = a.duration or {"srbm": 400.0, "raid": 900.0}.get(a.study)
    jobs = [(a.study, duration, a.seed, r) for r in range(a.runs)]
    tic = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as pool:
        runs = list(pool.map(measure_run, jobs))
    rep = {"study": a.study, "seed": a.seed, "duration_s": duration, **study_report(a.study, runs)}
    rep["batch_wall_s"] = time.perf_counter() - tic
    print(json.dumps(rep, indent=1))
    if a.out:
        a.out.write_text(json.dumps({"report": rep, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
