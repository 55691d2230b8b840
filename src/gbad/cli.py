"""The `gbad` command: run, validate, demo, track, montecarlo, scenarios.

Exit status: 0 success, 2 bad input (a clear message, never a traceback),
1 an internal failure.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gbad import __version__
from gbad.errors import InputError
from gbad.scenario.loader import (
    DEFAULT_SCENARIO,
    LoadedScenario,
    builtin_names,
    load_builtin,
    load_scenario,
)

EXIT_BAD_INPUT = 2
#: 128 + SIGINT, as a shell reports a command stopped by Ctrl-C.
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gbad",
        description="Ground-based air defence simulator (simulated, public nominal parameters).",
    )
    p.add_argument("--version", action="version", version=f"gbad {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario and write its result files")
    run.add_argument("scenario", help="scenario TOML file, or a built-in scenario name")
    run.add_argument("--out", required=True, help="folder for the result files")
    run.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    run.add_argument("--run", type=int, default=0, help="run number (selects the random stream)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    val = sub.add_parser("validate", help="check a scenario file; exit 0 if valid")
    val.add_argument("scenario")

    demo = sub.add_parser("demo", help=f"run the built-in '{DEFAULT_SCENARIO}' scenario")
    demo.add_argument(
        "--out", default="gbad-demo", help="folder for the results (default gbad-demo)"
    )
    demo.add_argument("--quiet", action="store_true")

    trk = sub.add_parser("track", help="run only the tracker on a detection file")
    trk.add_argument(
        "detections",
        help="detection file (Parquet, the documented schema) or an ASTERIX CAT048 recording "
        "(pcap, pcapng or raw datablocks)",
    )
    trk.add_argument(
        "--udp-port", type=int, default=None, help="a capture's datagrams to this port only"
    )
    trk.add_argument("--scenario", required=True, help="scenario naming the radars and tracker")
    trk.add_argument("--out", required=True, help="folder for tracks.parquet and summary.json")
    trk.add_argument("--truth", default=None, help="truth.parquet to score the tracks against")

    mc = sub.add_parser(
        "montecarlo", help="runs 0..N-1 of a scenario (per sweep point), their tables and report"
    )
    mc.add_argument("scenario", help="scenario TOML file, or a built-in scenario name")
    mc.add_argument("--runs", type=int, required=True, help="runs per sweep point")
    mc.add_argument("--out", required=True, help="folder of the Monte Carlo (resumable)")
    mc.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    where = mc.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, help="a Dask scheduler, tcp://HOST:PORT")
    where.add_argument(
        "--local-cluster", action="store_true", help="start a Dask cluster on loopback"
    )
    mc.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a dotted scenario key and its values (repeat for a product)",
    )
    mc.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    mc.add_argument("--quiet", action="store_true", help="no progress bar")

    cov = sub.add_parser(
        "coverage", help="line-of-sight and Pd maps per radar and target height (GeoTIFF)"
    )
    cov.add_argument("scenario", help="scenario TOML file, or a built-in scenario name")
    cov.add_argument("--out", required=True, help="folder for the maps")
    cov.add_argument(
        "--height-m", type=float, nargs="+", default=[50.0, 1000.0],
        help="target heights above the ground (m; default 50 1000)",
    )  # fmt: skip
    cov.add_argument("--rcs-m2", type=float, default=1.0, help="target RCS (m², default 1)")
    cov.add_argument(
        "--resolution-m", type=float, default=None,
        help="cell size (m): the DEM's own by default (coarser: every n-th cell)",
    )  # fmt: skip
    cov.add_argument(
        "--radar", nargs="+", default=[], help="only these radars (ids; no engagement zones)"
    )
    cov.add_argument(
        "--target-class", default="cruise_missile",
        help="the batteries' engagement zones against this kind of target (its nominal RCS)",
    )  # fmt: skip
    cov.add_argument("--quiet", action="store_true", help="no progress lines")

    stream = sub.add_parser(
        "stream", help="play a run (or a scenario, run first) as ASTERIX over UDP"
    )
    stream.add_argument("source", help="a run's result folder, a scenario file or a built-in name")
    stream.add_argument("--scenario", default=None, help="the run's scenario, if not its own")
    stream.add_argument(
        "--asterix", default=None, help="udp://HOST:PORT (default udp://127.0.0.1:8600)"
    )
    stream.add_argument(
        "--cot", default=None,
        help="Cursor-on-Target too: tcp://HOST:PORT (XML, a TAK server) or udp://HOST:PORT "
        "(TAK protobuf)",
    )  # fmt: skip
    stream.add_argument("--pcap", default=None, help="also write the ASTERIX sent as a pcap file")
    stream.add_argument(
        "--speed", type=float, default=1.0, help="times real time (0: as fast as possible)"
    )
    stream.add_argument("--duration-s", type=float, default=None, help="stop after this")
    stream.add_argument("--quiet", action="store_true", help="no progress lines")
    lay = sub.add_parser(
        "laydown", help="where to put the radars, batteries and launchers: sites in their zones"
    )
    lay.add_argument("scenario", help="scenario TOML file, or a built-in scenario name")
    lay.add_argument("--out", required=True, help="folder for scenario.toml, tables and map")
    lay.add_argument(
        "--place", nargs="+", default=[], help="only these radars, batteries or launchers (ids)"
    )
    lay.add_argument(
        "--objective", nargs="+", default=["area-coverage"],
        help="area-coverage (default), low-altitude-warning, engagement, counter-battery; "
        "leakers adds a Monte Carlo of the own and the optimised laydown",
    )  # fmt: skip
    lay.add_argument("--budget-s", type=float, default=None,
                     help="stop the search and the leakers' runs after this (s)")  # fmt: skip
    lay.add_argument("--runs", type=int, default=8, help="leakers: runs per laydown (default 8)")
    lay.add_argument("--seed", type=int, default=1, help="the genetic search's seed (default 1)")
    lay.add_argument("--top", type=int, default=5,
                     help="laydowns in the table: the best and the next (default 5)")  # fmt: skip
    lay.add_argument(
        "--height-m", type=float, nargs="+", default=[50.0],
        help="target heights above the ground (m; default 50)",
    )  # fmt: skip
    lay.add_argument("--margin-m", type=float, default=20e3, help="around the assets (m)")
    lay.add_argument("--cell-m", type=float, default=1000.0, help="defended-area cell (m)")
    lay.add_argument("--spacing-m", type=float, default=None, help="candidate grid step (m)")
    lay.add_argument("--rcs-m2", type=float, default=None, help="target RCS (cruise missile's)")
    for cmd in (run, val, trk, mc, cov, lay):
        cmd.add_argument(
            "--allow-outside-paths",
            action="store_true",
            help="let the scenario name files outside its own folder (a DEM elsewhere)",
        )
    srv = sub.add_parser("serve", help="a browser viewer of a run (or a live one), offline")
    srv.add_argument("run_dir", nargs="?", default=None, help="a run's result folder")
    srv.add_argument("--live", default=None, metavar="SCENARIO", help="run it and follow it live")
    srv.add_argument("--scenario", default=None, help="the run's scenario, if not its own")
    srv.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    srv.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1 only)")
    srv.add_argument("--speed", type=float, default=1.0, help="live mode: times real time")
    srv.add_argument("--laydown", default=None, metavar="DIR",
                     help="draw a laydown (gbad laydown's folder); alone: its scenario, no run")  # fmt: skip
    sub.add_parser("scenarios", help="list the built-in scenarios")
    return p


def entry() -> None:
    """The `gbad` command: `main`, leaving at once after Ctrl-C."""
    # A short-lived process: what is alive now (the imports' 90,000 objects) lives to the
    # end, so the cyclic collector need not walk it again (`gc.freeze`) ...
    gc.freeze()
    code = main()
    # ... nor, at shutdown, walk everything the run left behind (0.2 s of CPU after the
    # default raid; no object here needs the collector to be finalised: files are closed
    # and renamed into place before `main` returns).
    gc.freeze()
    if code == EXIT_INTERRUPTED:
        # A compile the signal cut short can leave native objects (llvmlite's) whose
        # finalisers print an "Exception ignored" traceback as the interpreter shuts down:
        # the one line "interrupted" is all, and every file is whole or gone already.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console()
    try:
        if args.command == "scenarios":
            return _scenarios(console)
        if args.command == "validate":
            loaded = load_scenario(args.scenario, args.allow_outside_paths)
            m = loaded.model
            console.print(
                f"[green]valid[/green]: {loaded.source} — scenario '{m.scenario.name}', "
                f"{len(m.radars)} radar(s), {len(m.batteries)} battery(ies), "
                f"{len(m.threats)} threat(s), {len(m.assets)} asset(s)"
            )
            return 0
        if args.command == "run":
            loaded = load_scenario(args.scenario, args.allow_outside_paths)
            return _run(loaded, _out_dir(args.out), args.seed, args.run, args.quiet, console)
        if args.command == "track":
            loaded = load_scenario(args.scenario, args.allow_outside_paths)
            out = _out_dir(args.out)
            return _track(loaded, Path(args.detections), out, args.truth, console, args.udp_port)
        if args.command == "stream":
            from gbad.interop.cli import stream_command

            return stream_command(args, console)
        if args.command == "laydown":
            return _laydown(args, console)
        if args.command == "serve":
            from gbad.viewer import serve_command

            return serve_command(args, console)
        if args.command == "coverage":
            return _coverage(args, console)
        if args.command == "montecarlo":
            return _montecarlo(args, console)
        if args.command == "demo":
            loaded = load_builtin(DEFAULT_SCENARIO)
            return _run(loaded, _out_dir(args.out), None, 0, args.quiet, console)
    except KeyboardInterrupt:
        # One line, not a traceback: the files already written are whole (each is
        # written to a temporary name and renamed).
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except InputError as exc:
        # Plain text, unwrapped: messages are read by people and by scripts alike.
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:
        # Inputs that validate but cannot be flown (an aim point out of reach…).
        source = getattr(args, "scenario", DEFAULT_SCENARIO)
        print(f"{source}: cannot be flown: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 1


class TruthFileError(InputError):
    what = "truth file"


class OutputFolderError(InputError):
    what = "output folder"


def _out_dir(out: str) -> Path:
    """``--out`` checked before any work: a folder (or one that can be made) we may write."""
    import os

    from gbad.record import replaceable

    if not out.strip():
        raise OutputFolderError(repr(out), ["give a folder name (an empty one would be here)"])
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputFolderError(out, ["it is a file, not a folder"])
    if not replaceable(path):
        raise OutputFolderError(
            out,
            ["it holds files that are not a gbad run's; a run replaces its folder whole, "
             "so give a new or empty folder (or a previous run's)"],
        )  # fmt: skip
    # The nearest folder that exists must let us make or fill the one asked for.
    here = path if path.exists() else next((p for p in path.parents if p.exists()), Path("."))
    if not os.access(here, os.W_OK | os.X_OK):
        raise OutputFolderError(out, [f"{here} cannot be written here"])
    return path


#: A truth file's columns (`truth.parquet` as `gbad run` writes it).
TRUTH_COLUMNS = ("t_s", "object_id", "east_m", "north_m", "up_m", "v_east_mps", "v_north_mps",
                 "v_up_mps")  # fmt: skip


def _truth_rows(truth: str) -> dict:
    """The truth file's columns, checked: rows, numbers, finite, integer object ids."""
    import numpy as np
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(truth)
    except Exception as exc:
        raise TruthFileError(truth, [f"not a readable Parquet file: {exc}"]) from None
    missing = sorted(set(TRUTH_COLUMNS) - set(table.column_names))
    if missing:
        raise TruthFileError(truth, [f"missing column(s) {missing}"])
    if table.num_rows == 0:
        raise TruthFileError(truth, ["it has no rows: nothing to score against"])
    rows, problems = {}, []
    for name in TRUTH_COLUMNS:
        col = table.column(name).to_numpy()
        if col.dtype.kind not in "iuf":
            problems.append(
                f"column {name!r} must be numeric (got {table.schema.field(name).type})"
            )
            continue
        if name == "object_id" and col.dtype.kind == "f":
            problems.append("column 'object_id' must be integer")
            continue
        bad = ~np.isfinite(col.astype(float))
        if bad.any():
            problems.append(
                f"column {name!r}: {int(bad.sum())} row(s) not finite (first row {int(np.argmax(bad))})"
            )
        rows[name] = col
    if problems:
        raise TruthFileError(truth, problems)
    order = np.lexsort((rows["t_s"], rows["object_id"]))
    same = (np.diff(rows["object_id"][order]) == 0) & (np.diff(rows["t_s"][order]) == 0)
    if same.any():
        k = order[int(np.argmax(same))]
        raise TruthFileError(
            truth,
            [
                f"object {int(rows['object_id'][k])} has more than one row at t_s = "
                f"{float(rows['t_s'][k])!r} (row {int(k)}); each object may appear once a time"
            ],
        )
    return rows


def _track(
    loaded: LoadedScenario, det_path: Path, out: Path, truth: str | None, console: Console,
    udp_port: int | None = None,
) -> int:  # fmt: skip

    from gbad.interop.cli import read_detections
    from gbad.record import staged_folder, write_json, write_parquet
    from gbad.sim import (
        air_detections,
        locate,
        locating_tables,
        radar_models,
        score_tracks,
        track,
        tracks_table,
    )

    truth_rows = _truth_rows(truth) if truth is not None else None
    det_all = read_detections(det_path, radar_models(loaded), loaded, udp_port, console)
    det, air_radars = air_detections(loaded, det_all)
    tic = time.perf_counter()
    with _bar(console, False) as bar:
        # The tracker is most of the work: 80 % of the bar, the locator the rest.
        task = bar.add_task("tracker", total=1.0)
        result = track(
            loaded,
            det,
            radars=air_radars,
            progress=lambda f: bar.update(task, completed=0.8 * f),
        )
        wall = time.perf_counter() - tic
        bar.update(task, description="locator", completed=0.8)
        located = locate(
            loaded, det_all, progress=lambda f: bar.update(task, completed=0.8 + 0.2 * f)
        )
        bar.update(task, completed=1.0)
    summary: dict = {
        "simulated": True,
        "scenario": loaded.model.scenario.name,
        "detections_file": str(det_path),
        "detections": len(det),
        "tracks_started": result.n_tracks,
        "tracks_confirmed": result.n_confirmed,
        "updates": result.n_updates,
    }
    truth_ids = None
    if truth_rows is not None:
        air = score_tracks(loaded, truth_rows, result, det, radars=air_radars)
        truth_ids = air.pop("track_truth_ids")
        air.pop("gospa_series")
        summary["air_picture"] = air
    # truth_id of a locate: the majority truth_id of its detections, when the file has them.
    locates, alerts = locating_tables(located, det_all.truth_id)
    summary["locator"] = {
        "tracks": located.n_tracks,
        "tracks_located": int((locates["final"] & locates["located"]).sum()),
        "alerts": len(alerts["t_s"]),
    }
    meta = {"gbad.scenario": loaded.model.scenario.name, "gbad.detections": str(det_path)}
    about = {"command": "track", **meta, "gbad.version": __version__}
    with staged_folder(out, about) as stage:
        write_parquet(stage / "tracks.parquet", tracks_table(result, truth_ids), meta)
        write_parquet(stage / "locates.parquet", locates, meta)
        write_parquet(stage / "alerts.parquet", alerts, meta)
        write_json(stage / "summary.json", summary)
    console.print(
        f"{len(det)} air detections -> {result.n_tracks} tracks ({result.n_confirmed} "
        f"confirmed); {len(det_all) - len(det)} weapon-locating dwell detections -> "
        f"{summary['locator']['tracks_located']} of {located.n_tracks} weapon tracks located, "
        f"{summary['locator']['alerts']} warnings "
        f"({wall:.2f} s tracking); results in {out.resolve()}"
    )
    if "air_picture" in summary:
        a = summary["air_picture"]
        console.print(
            f"mean GOSPA {_fmt(a['mean_gospa_m'])} m, track RMSE at updates "
            f"{_fmt(a['track_rmse_at_updates_m'])} m (detections "
            f"{_fmt(a['detection_rmse_at_updates_m'])} m), false tracks {a['false_tracks']}"
        )
    return 0


def _laydown(args: argparse.Namespace, console: Console) -> int:
    from gbad.laydown import optimise_laydown

    loaded = load_scenario(args.scenario, args.allow_outside_paths)
    out = _out_dir(args.out)
    for name, value in (("--margin-m", args.margin_m), ("--cell-m", args.cell_m)):
        if not value > 0:
            raise OutputFolderError(f"{name} {value}", ["give a positive distance in metres"])
    if args.budget_s is not None and not args.budget_s > 0:
        raise OutputFolderError(f"--budget-s {args.budget_s}", ["give a positive time in seconds"])
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as bars:  # fmt: skip
        tasks: dict[str, int] = {}

        def bar(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bars.add_task(what, total=total)
            bars.update(tasks[what], completed=done + 1, total=total)

        result = optimise_laydown(
            loaded, out, args.place, args.objective, args.height_m, args.margin_m, args.cell_m,
            args.spacing_m, args.rcs_m2, progress=lambda line: bars.console.print(line),
            seed=args.seed, budget_s=args.budget_s, runs=args.runs, top=args.top, bar=bar,
        )  # fmt: skip
    formats = {"low-altitude-warning": lambda v: f"{v / 1e3:.1f} km",
               "leakers": lambda v: f"{v:.2f} leakers (mean)"}  # fmt: skip
    for name, (own, best) in result.values.items():
        fmt = formats.get(name, lambda v: f"{v:.1%}")
        console.print(f"{name}: scenario's own laydown {fmt(own)}, optimised {fmt(best)}")
    if not result.exact:
        console.print("chosen by a genetic search: good, not proven optimal (laydown.json)")
    console.print(f"results in {result.out.resolve()}")
    return 0


def _scenarios(console: Console) -> int:
    table = Table(title="Built-in scenarios (simulated, nominal)")
    table.add_column("name")
    table.add_column("duration_s", justify="right")
    table.add_column("radars", justify="right")
    table.add_column("threats", justify="right")
    table.add_column("description")
    for name in builtin_names():
        m = load_builtin(name).model
        table.add_row(
            name,
            f"{m.scenario.duration_s:g}",
            str(len(m.radars)),
            str(len(m.threats)),
            m.scenario.description,
        )
    console.print(table)
    return 0


def _coverage(args: argparse.Namespace, console: Console) -> int:
    from gbad.coverage import coverage_maps

    loaded = load_scenario(args.scenario, args.allow_outside_paths)
    tic = time.perf_counter()
    result = coverage_maps(
        loaded,
        args.out,
        args.height_m,
        args.rcs_m2,
        args.resolution_m,
        args.radar,
        None if args.quiet else (lambda what: console.print(f"coverage: {what}")),
        args.target_class,
    )
    for (name, h), (what, share) in result.shares.items():
        where = "" if what == "locatable" else f" at {h:g} m"
        console.print(f"{name}{where}: {share:.1%} of the map {what}", soft_wrap=True)
    console.print(f"maps in {result.out} ({time.perf_counter() - tic:.1f} s)", soft_wrap=True)
    return 0


def _montecarlo(args: argparse.Namespace, console: Console) -> int:
    from rich.progress import MofNCompleteColumn, TimeRemainingColumn

    from gbad.montecarlo import make_plan, parse_sweep, run_monte_carlo

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers}", ["give one worker or more"])
    sweeps = [parse_sweep(t) for t in args.sweep]
    # Every sweep point validated, and the folder checked, before any run starts.
    plan = make_plan(args.scenario, args.runs, sweeps, args.seed, args.allow_outside_paths)
    out = Path(args.out)
    tic = time.perf_counter()
    columns = (
        TextColumn("[bold]runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=args.quiet) as bar:
        task = bar.add_task("runs", total=None, rate="")
        start = [None]

        def progress(done: int, total: int) -> None:
            if start[0] is None:
                start[0] = (done, time.perf_counter())
            n0, t0 = start[0]
            elapsed = time.perf_counter() - t0
            rate = f"{(done - n0) / elapsed * 60:.1f} runs/min" if done > n0 and elapsed else ""
            bar.update(task, completed=done, total=total, rate=rate)

        result = run_monte_carlo(
            plan, out, args.workers, args.scheduler, args.local_cluster, progress
        )
    wall = time.perf_counter() - tic
    console.print(
        f"{result.n_runs} runs in {out} ({result.n_run_now} run now, {wall:.1f} s): "
        f"{result.runs.name}, {result.stats.name}, {result.report.name}",
        soft_wrap=True,
    )
    return 0


def _bar(console: Console, quiet: bool) -> Progress:
    """The progress bar of long work (on a terminal, unless quiet)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    )


def _run(
    loaded: LoadedScenario, out: Path, seed: int | None, run: int, quiet: bool, console: Console
) -> int:
    # Imported late so `gbad validate` and `gbad scenarios` stay quick.
    from gbad.sim import run_scenario
    from gbad.warmup import helper_if_cold

    tic = time.perf_counter()
    with _bar(console, quiet) as bar:
        task = bar.add_task("starting", total=1.0)
        n_radars = max(1, len(loaded.model.radars))
        done = {"radars": 0.0}

        # Shares of the bar: truth 10 %, the radars 30 %, the locator 20 %, the tracker and
        # battery 40 % (near what they take on the default scenario).
        def progress(what: str, fraction: float) -> None:
            if what.startswith("radar"):
                done["radars"] += fraction
                completed = 0.1 + 0.3 * done["radars"] / n_radars
            elif what == "locator":
                completed = 0.4 + 0.2 * fraction
            elif what == "tracker and battery":
                completed = 0.6 + 0.4 * fraction
            else:
                completed = 0.05
            bar.update(task, description=what, completed=completed)

        # A first run compiles; a helper on the second core compiles the tracker meanwhile.
        with helper_if_cold():
            result = run_scenario(loaded, out, seed=seed, run=run, progress=progress)
    wall = time.perf_counter() - tic
    _print_summary(console, result.summary, out, wall)
    return 0


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _print_summary(console: Console, s: dict, out: Path, wall_s: float) -> None:
    console.print(
        f"[bold]{s['scenario']}[/bold] (simulated): {s['duration_s']:g} s simulated in "
        f"{wall_s:.1f} s wall, seed {s['seed']}, run {s['run']}"
    )
    console.print(
        f"{s['objects']} objects: " + ", ".join(f"{n} {k}" for k, n in s["objects_by_kind"].items())
    )
    table = Table(title="Detections per radar")
    for col in ("radar", "role", "detections", "of targets", "false alarms", "objects seen"):
        table.add_column(col, justify="left" if col in ("radar", "role") else "right")
    for rid, r in s["radars"].items():
        table.add_row(
            rid,
            r["role"],
            str(r["detections"]),
            str(r["target_detections"]),
            str(r["false_alarms"]),
            str(r["objects_detected"]),
        )
    console.print(table)
    kinds = Table(title="Threats: first detection")
    for col in ("threat", "kind", "objects", "detected", "launch/start t_s", "first detection t_s"):
        kinds.add_column(col, justify="left" if col in ("threat", "kind") else "right")
    for tid, t in s["threats"].items():
        first = t["first_detection_t_s"]
        kinds.add_row(
            tid,
            t["kind"],
            str(t["objects"]),
            str(t["objects_detected"]),
            f"{t['launch_t_s']:.1f}",
            "—" if first is None else f"{first:.1f}",
        )
    console.print(kinds)
    a = s.get("air_picture")
    if a:
        console.print(
            f"Air picture ({s['tracker']['filter'].upper()} + {s['tracker']['association'].upper()}): "
            f"{a['tracks_confirmed']} confirmed tracks, {a['objects_held_by_a_confirmed_track']}"
            f"/{a['objects_in_picture']} objects held, {a['false_tracks']} false; mean GOSPA "
            f"{_fmt(a['mean_gospa_m'])} m; RMSE at updates {_fmt(a['track_rmse_at_updates_m'])} m "
            f"(detections {_fmt(a['detection_rmse_at_updates_m'])} m); median time to confirm "
            f"{_fmt(a['time_to_confirmed_track_median_s'])} s"
        )
    loc = s.get("locating")
    if loc:
        per = loc.get("by_class", {})
        poo = ", ".join(
            f"{k} {100 * v['poo_error_share_of_range_median']:.2g} %"
            for k, v in per.items()
            if v["poo_error_share_of_range_median"] is not None
        )
        poi = ", ".join(
            f"{k} {_fmt(v['poi_error_median_m'])} m"
            for k, v in per.items()
            if v["poi_error_median_m"] is not None
        )
        console.print(
            f"Weapon locating: {loc['rounds_located']}/{loc['rounds']} rounds located, "
            f"{loc['false_locates']} false; POO error median (of range) {poo or 'none'}; "
            f"POI error median {poi or 'none'}; classes right "
            f"{_fmt(100 * (loc['classification_accuracy'] or 0))} %; warnings "
            f"{loc['warnings_given']} (median {_fmt(loc['warning_s_median'])} s), "
            f"{loc['missed_warnings']} missed, {loc['false_alerts']} false"
        )
    eng = s.get("engagement")
    if eng:
        why = eng["leak_reason_by_threat"]
        tasked = ", ".join(
            f"{k} ({why_k})" for k, why_k in why.items() if not why_k.startswith("not tasked")
        )
        untasked = eng["leakers_not_tasked"]
        damage = ", ".join(f"{k} {v:.2f}" for k, v in eng["damage_by_asset"].items())
        per_kill = eng["interceptors_per_kill"]
        console.print(
            f"Battery: {eng['interceptors_spent']} interceptors, {eng['kills']} kills"
            + (f" ({per_kill:.1f} per kill)" if per_kill else "")
            + f", {eng['false_kill_declarations']} false kill declarations; "
            f"leaked (tasked): {tasked or 'none'}; "
            f"{untasked} rounds left to counter-artillery; damage: {damage}"
        )
    console.print(f"Results in [bold]{out.resolve()}[/bold]:")
    for name, path in s["files"].items():
        console.print(f"  {name:<11} {Path(path).name}")
    console.print("  summary     summary.json")
    console.print("Open report.html in a browser for the plan view and the air picture.")


if __name__ == "__main__":
    sys.exit(main())
