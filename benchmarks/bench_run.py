"""Benchmark: whole runs of the built-in scenarios, warm and cold, stage by stage.

Run: `.venv/bin/python benchmarks/bench_run.py [--scenario NAME ...] [--repeat N]`.

Each run is a fresh Python process (imports and Numba's cache loads counted, as a user
of `gbad run` meets them), given its own Numba cache folder:
- **cold**: the folder starts empty, so every kernel the run uses is compiled (with
  the helper process `gbad run` starts then, `gbad.warmup`; its CPU is counted);
- **warm**: the same folder again, filled by the cold run (best of ``--repeat``).

Printed per run and per stage: wall and CPU seconds, and simulated seconds per wall
second and per CPU second. CPU is the process's, every thread's. The machine's load
average is printed before and after, since the figures move with it. No peer runs
here: no open tool simulates these scenarios end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: What the child process runs: import, one run, its stage timers as JSON on stdout.
CHILD = """
import gc, json, sys, time
w0, c0 = time.perf_counter(), time.process_time()
from gbad.scenario.loader import load_builtin
from gbad.sim import run_scenario
from gbad.warmup import helper_if_cold
timing = {"imports_wall_s": time.perf_counter() - w0, "imports_cpu_s": time.process_time() - c0}
gc.freeze()  # as `gbad.cli.entry` does, before the run and after it
loaded = load_builtin(sys.argv[1])
with helper_if_cold():  # as `gbad run` does
    result = run_scenario(loaded, sys.argv[2])
timing.update(result.timing)
timing["duration_s"] = loaded.model.scenario.duration_s
print(json.dumps(timing))
gc.freeze()
"""

STAGES = (
    "imports",
    "truth",
    "detections",
    "locator",
    "tracker_and_battery",
    "relocate",
    "scoring",
    "files",
)


def one_run(scenario: str, cache: Path) -> dict[str, float]:
    """One child process: its stage timers, plus its whole wall and CPU time."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    tic = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gbad-bench-") as out:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, scenario, str(Path(out) / "run")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    wall = time.perf_counter() - tic
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    timing = json.loads(done.stdout.strip().splitlines()[-1])
    timing["process_wall_s"] = wall
    timing["process_cpu_s"] = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    return timing


def report(scenario: str, label: str, t: dict[str, float]) -> None:
    dur = t["duration_s"]
    print(f"\n{scenario}, {label}: {dur:g} s simulated")
    print(f"  {'stage':<22}{'wall s':>9}{'CPU s':>9}{'sim s/wall s':>14}{'sim s/CPU s':>13}")
    rows = [(s, t.get(f"{s}_wall_s"), t.get(f"{s}_cpu_s")) for s in STAGES]
    rows += [
        (k[: -len("_wall_s")], t[k], t.get(k.replace("_wall_s", "_cpu_s")))
        for k in t
        if k.startswith("radar_") and k.endswith("_wall_s")
    ]
    rows.append(("whole process", t["process_wall_s"], t["process_cpu_s"]))
    for name, wall, cpu in rows:
        if wall is None:
            continue
        name = f"  {name}" if name.startswith("radar_") else name
        print(
            f"  {name:<22}{wall:9.2f}{cpu:9.2f}{dur / max(wall, 1e-9):14.0f}"
            f"{dur / max(cpu, 1e-9):13.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", nargs="+", default=["airbase-defence", "counter-battery"])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (best reported)")
    parser.add_argument("--json", default=None, help="also write every figure to this file")
    args = parser.parse_args()

    import numba
    import numpy

    import gbad

    print(
        f"gbad {gbad.__version__}, Python {platform.python_version()}, numpy {numpy.__version__}, "
        f"numba {numba.__version__}; {platform.machine()}, {os.cpu_count()} cores"
    )
    print("load average before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    figures: dict[str, dict[str, object]] = {}
    for scenario in args.scenario:
        with tempfile.TemporaryDirectory(prefix="gbad-numba-") as cache:
            cold = one_run(scenario, Path(cache))
            report(scenario, "cold (empty Numba cache)", cold)
            warm_runs = [one_run(scenario, Path(cache)) for _ in range(args.repeat)]
        warm = min(warm_runs, key=lambda t: t["process_cpu_s"])
        report(scenario, f"warm (least CPU of {args.repeat})", warm)
        figures[scenario] = {"cold": cold, "warm": warm, "warm_runs": warm_runs}
    print("\nload average after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
