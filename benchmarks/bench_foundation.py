"""Benchmark: truth and detections for the default scenario, simulated seconds per wall second.

Run: `make bench` (or `.venv/bin/python benchmarks/bench_foundation.py [--repeat N]`).
The first pass includes Numba's compile (or cache load); the figure reported is
the best of the warm passes. No peer runs here: no open tool simulates this
scenario end to end (Stone Soup joins the tracker benchmark).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import gbad
from gbad.scenario.loader import load_builtin
from gbad.sim import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="airbase-defence")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loaded = load_builtin(args.scenario)
    duration = loaded.model.scenario.duration_s

    tic = time.perf_counter()
    simulate(loaded)
    cold = time.perf_counter() - tic

    passes = []
    for run in range(args.repeat):
        tic = time.perf_counter()
        truth, det, _, timing = simulate(loaded, run=run)
        passes.append((time.perf_counter() - tic, timing, truth.n_objects, len(det["t_s"])))
    best = min(passes, key=lambda p: p[0])
    wall, timing, n_obj, n_det = best
    print(f"gbad {gbad.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores")
    print(
        f"scenario {args.scenario}: {duration:g} s simulated, {n_obj} objects, {n_det} detections"
    )
    print(f"cold pass (incl. JIT/cache load): {cold:.2f} s")
    print(
        f"warm best of {args.repeat}: {wall:.2f} s wall "
        f"(truth {timing['truth_wall_s']:.2f} s, detections {timing['detections_wall_s']:.2f} s)"
    )
    print(f"simulated seconds per wall second: {duration / wall:.0f}")


if __name__ == "__main__":
    main()
