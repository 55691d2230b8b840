"""Monte Carlo: runs 0..N−1 of a scenario (per sweep point), their tables and report.

The front door is `run_monte_carlo` (the command line's ``gbad montecarlo``). Files:

- ``runs/[point=P/]run=K/<table>.parquet``: each run's own files, as ``gbad run
  --run K`` writes them; Hive partitions, so DuckDB, Polars and pandas read a table
  across runs as one dataset with a ``run`` (and ``point``) column;
- ``runs.parquet``: one row per run (`tables.runs_frame`);
- ``stats.parquet``: per sweep point and metric, the distribution (`tables.stats_frame`);
- ``report.html``: histograms, ECDFs and sweep curves (`report.write_report`);
- ``montecarlo.json``: what the folder is a Monte Carlo of (`runner.Plan`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gbad.montecarlo.runner import Plan, done, execute, make_plan, prepare
from gbad.montecarlo.sweep import Sweep, SweepError, parse_sweep
from gbad.montecarlo.tables import read_summary, runs_frame, stats_frame, write_frame

__all__ = [
    "MonteCarloResult",
    "Plan",
    "Sweep",
    "SweepError",
    "make_plan",
    "parse_sweep",
    "run_monte_carlo",
]


@dataclass(frozen=True)
class MonteCarloResult:
    out: Path
    runs: Path  # runs.parquet
    stats: Path  # stats.parquet
    report: Path  # report.html
    n_runs: int
    n_run_now: int  # how many this call ran (the rest were committed before)


def run_monte_carlo(
    plan: Plan,
    out: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    local_cluster: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> MonteCarloResult:
    """Run what ``plan`` still lacks in ``out`` and write its tables and report.

    ``progress(done, total)`` hears of every committed run (the ones found committed
    first). ``workers``: local processes, or the local cluster's (default: every core).
    """
    out = Path(out)
    prepare(out, plan)
    n_points = len(plan.points())
    total = n_points * plan.runs
    before = sum(done(plan.run_dir(out, p, k)) for p in range(n_points) for k in range(plan.runs))
    count = [before]
    if progress:
        progress(before, total)

    def on_done(_p: int, _k: int) -> None:
        count[0] += 1
        if progress:
            progress(count[0], total)

    execute(out, plan, workers or os.cpu_count() or 1, scheduler, local_cluster, on_done)
    return write_tables(out, plan, total - before)


def write_tables(out: Path, plan: Plan, n_run_now: int = 0) -> MonteCarloResult:
    """`runs.parquet`, `stats.parquet` and `report.html` from the committed runs."""
    from gbad.montecarlo.report import write_report

    rows = []
    for p, values in enumerate(plan.points()):
        for k in range(plan.runs):
            summary = read_summary(plan.run_dir(out, p, k))
            keys = {"point": p} if plan.sweeping else {}
            keys.update({"run": k, "seed": summary.get("seed"), **values})
            rows.append((keys, summary))
    runs = runs_frame(rows)
    group = [s.key for s in plan.sweeps]
    stats = stats_frame(runs, group)
    runs_path = write_frame(out / "runs.parquet", runs)
    stats_path = write_frame(out / "stats.parquet", stats)
    report = write_report(out / "report.html", plan, runs, stats)
    return MonteCarloResult(out, runs_path, stats_path, report, len(runs), n_run_now)
