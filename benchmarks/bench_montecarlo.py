"""Benchmark: Monte Carlo throughput, the default raid's runs per hour on 1 and 2 workers.

Run: `.venv/bin/python benchmarks/bench_montecarlo.py [--runs N]`. Each configuration is
one `gbad montecarlo airbase-defence --runs N --workers K` into a fresh folder, with
the Numba cache warm (a first run fills it); the wall time includes starting the
workers and writing the tables. No peer: no open tool runs these scenarios.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=6)
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        warm = [sys.executable, "-m", "gbad", "run", "airbase-defence", "--out",
                str(Path(tmp) / "warm"), "--quiet"]  # fmt: skip
        subprocess.run(warm, check=True, capture_output=True)
        for workers in (1, 2):
            out = Path(tmp) / f"mc{workers}"
            cmd = [sys.executable, "-m", "gbad", "montecarlo", "airbase-defence", "--runs",
                   str(args.runs), "--out", str(out), "--workers", str(workers), "--quiet"]  # fmt: skip
            tic = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            wall = time.perf_counter() - tic
            print(f"{workers} worker(s): {args.runs} runs in {wall:.1f} s wall, "
                  f"{args.runs / wall * 3600:.0f} runs per hour")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
