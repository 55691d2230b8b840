"""Benchmark: peak memory of `gbad track` against the detection file's length.

Run: `.venv/bin/python benchmarks/bench_memory.py [--sizes 10000 100000 1000000]`.

The recording is the default scenario's own (`gbad demo`: its three radars, 15
threats and clutter, ≈ 24,500 detections in 600 s) played again and again: each copy
600 s after the last, its weapon-locating track numbers made new, then cut to the
first N rows. So N rows are N / 24,500 times the same scene, a long recording of the
kind an analyst brings, not one crowded scan. Each size runs `gbad track` in its own
process; its peak resident memory is that process's (`os.wait4`), the figure an
operating system's limit sees. The table gives the peak, the wall time, and the
memory per detection above the smallest run's: flat when memory is a line.

No peer: Stone Soup and the NRL library have no file-to-tracks command.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SCENARIO = Path(__file__).resolve().parents[1] / "src/gbad/scenario/builtin/airbase-defence.toml"
REPEAT_S = 600.0


def recording(base: pd.DataFrame, n_rows: int) -> pd.DataFrame:
    """``base`` played again every `REPEAT_S`, with new track numbers, cut to n_rows."""
    copies = []
    for k in range(n_rows // len(base) + 1):
        p = base.copy()
        p["t_s"] = p["t_s"] + k * REPEAT_S
        dwell = p["dwell_track_id"].to_numpy()
        p["dwell_track_id"] = np.where(dwell >= 0, dwell + k * 1_000_000, -1)
        copies.append(p)
    out = pd.concat(copies).sort_values("t_s", kind="stable").reset_index(drop=True)
    return out.iloc[:n_rows]


def peak_mb(cmd: list[str]) -> tuple[float, float]:
    """(peak resident MB, wall s) of one command, run to the end."""
    tic = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - tic
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return usage.ru_maxrss / 1024.0, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = ap.parse_args()
    gbad = str(Path(sys.executable).with_name("gbad"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        demo = [gbad, "demo", "--quiet", "--out", str(work / "demo")]
        subprocess.run(demo, check=True, stdout=subprocess.DEVNULL)
        base = pd.read_parquet(work / "demo" / "detections.parquet")
        print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores")
        print(f"base recording: {len(base)} detections in {REPEAT_S:.0f} s")
        print(
            "| detections | peak memory (MB) | wall (s) | MB per 1,000 detections above the first |"
        )
        print("|---|---|---|---|")
        first: tuple[int, float] | None = None
        for n in sorted(args.sizes):
            path = work / f"rec{n}.parquet"
            recording(base, n).to_parquet(path)
            out = work / f"out{n}"
            mb, wall = peak_mb(
                [gbad, "track", str(path), "--scenario", str(SCENARIO), "--out", str(out)]
            )
            slope = "" if first is None else f"{1000 * (mb - first[1]) / (n - first[0]):.2f}"
            first = first or (n, mb)
            print(f"| {n:,} | {mb:.0f} | {wall:.1f} | {slope} |", flush=True)


if __name__ == "__main__":
    main()
