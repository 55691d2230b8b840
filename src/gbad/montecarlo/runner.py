"""Runs of a Monte Carlo, each committed whole, on worker processes or a Dask cluster.

Run K of a sweep point is ``gbad run SCENARIO --run K`` on that point's scenario: its
own random streams, so its numbers do not depend on which worker ran it, when, or
beside what. Each run writes into a hidden staging folder and is renamed into
``runs/[point=P/]run=K`` when whole (`gbad.record.staged_folder`), so a crash or a
SIGKILL loses at most the runs in flight; the same command again runs what is
missing and nothing twice. ``montecarlo.json`` records what the folder is a Monte
Carlo of, and a command that would mix another scenario, seed or sweep into it is
refused.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from gbad.errors import InputError
from gbad.montecarlo.sweep import Sweep, points, scenario_at
from gbad.record import MANIFEST, write_json
from gbad.scenario.loader import scenario_text

#: What a Monte Carlo folder says it holds.
PLAN_FILE = "montecarlo.json"


class MonteCarloFolderError(InputError):
    what = "Monte Carlo folder"


@dataclass(frozen=True)
class Plan:
    """What a Monte Carlo runs: the scenario (a file or a built-in name), its sweep, the
    number of runs per sweep point and the seed (None: the scenario's)."""

    scenario: str
    runs: int
    sweeps: tuple[Sweep, ...] = ()
    seed: int | None = None
    allow_outside: bool = False
    scenario_sha256: str = field(default="", compare=False)

    def points(self) -> list[dict[str, Any]]:
        return points(list(self.sweeps))

    @property
    def sweeping(self) -> bool:
        return bool(self.sweeps)

    def run_dir(self, out: Path, point: int, run: int) -> Path:
        base = out / "runs"
        return (base / f"point={point}" if self.sweeping else base) / f"run={run}"

    def identity(self) -> dict[str, Any]:
        """What must match for two commands to fill the same folder."""
        return {
            "scenario": self.scenario,
            "scenario_sha256": self.scenario_sha256,
            "seed": self.seed,
            "sweeps": [{"key": s.key, "values": list(s.values)} for s in self.sweeps],
            "allow_outside": self.allow_outside,
        }


def make_plan(
    scenario: str,
    runs: int,
    sweeps: Iterable[Sweep] = (),
    seed: int | None = None,
    allow_outside: bool = False,
) -> Plan:
    """A plan, every sweep point's scenario validated now (not an hour into the runs)."""
    if runs < 1:
        raise InputError(f"--runs {runs}", ["give one run or more"])
    text, _, _ = scenario_text(scenario)
    path = Path(scenario)
    name = str(path.resolve()) if path.exists() else scenario
    plan = Plan(name, runs, tuple(sweeps), seed, allow_outside,
                hashlib.sha256(text.encode()).hexdigest())  # fmt: skip
    for point in plan.points():
        scenario_at(plan.scenario, point, allow_outside)
    return plan


def prepare(out: Path, plan: Plan) -> None:
    """Make ``out`` this plan's folder, or check it already is; clear stopped runs' leftovers."""
    plan_file = out / PLAN_FILE
    if plan_file.exists():
        held = json.loads(plan_file.read_text(encoding="utf-8"))
        mine = json.loads(json.dumps(plan.identity()))
        diff = [k for k in mine if held.get(k) != mine[k]]
        if diff:
            raise MonteCarloFolderError(
                str(out),
                [f"it holds a Monte Carlo of another {', '.join(diff)}; give a new folder, "
                 "or the same scenario, seed and sweep to finish or extend it"],
            )  # fmt: skip
    elif out.exists() and any(not p.name.startswith(".") for p in out.iterdir()):
        raise MonteCarloFolderError(
            str(out), ["it holds files that are not a Monte Carlo's; give a new or empty folder"]
        )
    out.mkdir(parents=True, exist_ok=True)
    write_json(plan_file, json.loads(_plan_json(plan)))
    runs_root = out / "runs"
    if runs_root.exists():
        for stale in runs_root.rglob(".run=*"):
            shutil.rmtree(stale, ignore_errors=True)


def done(run_dir: Path) -> bool:
    """A committed run: its manifest is written last, then the folder renamed into place."""
    return (run_dir / MANIFEST).is_file()


@lru_cache(maxsize=64)
def _scenario(scenario: str, point_json: str, allow_outside: bool):
    return scenario_at(scenario, json.loads(point_json), allow_outside)


def run_one(plan_json: str, point: int, run: int, out: str) -> tuple[int, int]:
    """One run into its folder (a worker's task; skipped if already committed)."""
    from gbad.sim import run_scenario

    plan = _plan_from_json(plan_json)
    target = plan.run_dir(Path(out), point, run)
    if not done(target):
        values = json.dumps(plan.points()[point], sort_keys=True)
        loaded = _scenario(plan.scenario, values, plan.allow_outside)
        # Without the run's own report (5 MB each): the Monte Carlo has its own.
        run_scenario(loaded, target, plan.seed, run, report=False)
    return point, run


def _plan_json(plan: Plan) -> str:
    """The plan as `montecarlo.json` holds it (and a worker's task carries it)."""
    return json.dumps({**plan.identity(), "runs": plan.runs})


def _plan_from_json(text: str) -> Plan:
    data = json.loads(text)
    data["sweeps"] = tuple(Sweep(s["key"], tuple(s["values"])) for s in data["sweeps"])
    return Plan(**data)


def _worker_init() -> None:
    # One compiled thread per worker: the workers are the parallelism.
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")


def missing(out: Path, plan: Plan) -> list[tuple[int, int]]:
    """(point, run) of every run not yet committed, in order."""
    return [
        (p, k)
        for p in range(len(plan.points()))
        for k in range(plan.runs)
        if not done(plan.run_dir(out, p, k))
    ]


def execute(
    out: Path,
    plan: Plan,
    workers: int,
    scheduler: str | None = None,
    local_cluster: bool = False,
    on_done: Callable[[int, int], None] | None = None,
) -> None:
    """Run every missing run: on ``workers`` local processes, or on the Dask cluster at
    ``scheduler`` (or one started on loopback with ``local_cluster``)."""
    todo = missing(out, plan)
    if not todo:
        return
    text = _plan_json(plan)
    if scheduler or local_cluster:
        _on_dask(todo, text, out, workers, scheduler, on_done)
    else:
        _on_processes(todo, text, out, workers, on_done)


def _on_processes(todo, text, out, workers, on_done) -> None:
    # Spawned, not forked: the parent holds threads (the progress bar's, Numba's).
    ctx = multiprocessing.get_context("spawn")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
        pending = {pool.submit(run_one, text, p, k, str(out)) for p, k in todo}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    p, k = fut.result()
                    if on_done:
                        on_done(p, k)
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def _on_dask(todo, text, out, workers, scheduler, on_done) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - installed with gbad
        raise InputError("--scheduler", [f"Dask's distributed package is missing: {exc}"]) from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = [client.submit(run_one, text, p, k, str(out), pure=False) for p, k in todo]
            for fut in as_completed(futures):
                p, k = fut.result()
                if on_done:
                    on_done(p, k)
    finally:
        if cluster is not None:
            cluster.close()
