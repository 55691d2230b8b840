"""Fuzz the command line with hostile inputs: mutated scenarios, detection files and truth
files, each case `gbad validate` / `gbad run` / `gbad track` in a worker process.

Run: `.venv/bin/python scripts/fuzz.py --cases 10000 [--seed 1] [--workers 2]`.

The contract: every case exits 0 or 2 with a located message, never a traceback; never
above `MEMORY_LIMIT_MB` of resident memory; never longer than `TIME_LIMIT_S` a case. The
inputs are small (the base scenario flies 60 s and its recording holds 556 detections
and 224 truth rows; a mutation may copy rows up to 20 times), so the time limit is a statement
about that size: anything above it is work out of proportion to the input.

A case is one seeded mutation of one of three bases (`KINDS`): the scenario text
(hostile literals for values, lines dropped or repeated, bytes flipped or cut, deep
nesting, hostile paths), the base run's detection file (columns dropped, retyped,
filled with NaN, infinities, huge or negative values, rows copied or shuffled, the file
truncated) or its truth file (the same, for `--truth`). Case ``i`` of seed ``s`` is
always the same input.

Outcomes: ``exit 0``, ``exit 2`` (the two allowed), ``traceback`` (an exception out of
the command), ``exit N`` (any other code), ``crash`` (the process died), ``over memory``,
``over time`` (measured, or killed at `KILL_S`). Exit 2 messages that read like an internal text (a NumPy repr, an
internal function's name) are counted apart as ``internal message`` in the summary.
The summary prints the counts and the first examples of every failing kind.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import os
import queue
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import numpy as np

MEMORY_LIMIT_MB = 2048.0
TIME_LIMIT_S = 60.0
KILL_S = 180.0
KINDS = ("scenario", "detections", "truth")

BASE_SCENARIO = """\
[scenario]
name = "fuzz-base"
description = "A small mixed scene for the fuzzer (simulated)"
origin = { lat_deg = 37.10, lon_deg = 127.05, alt_m = 40.0 }
duration_s = 60.0
seed = 3
truth_interval_s = 1.0

[[assets]]
id = "base"
position = { east_m = 0.0, north_m = 0.0, up_m = 0.0 }
radius_m = 800.0
value = 5.0

[[radars]]
id = "mfr"
role = "multifunction"
position = { east_m = 800.0, north_m = -300.0, up_m = 6.0 }
frequency_hz = 9.5e9
reference = { range_m = 100e3, rcs_m2 = 1.0, pd = 0.9, pfa = 1e-6 }
swerling = 1
scan = { kind = "electronic", period_s = 2.0 }
coverage = { az_min_deg = 0, az_max_deg = 360, el_min_deg = 0, el_max_deg = 70, range_max_m = 80e3 }
accuracy = { range_m = 10.0, az_deg = 0.1, el_deg = 0.15, range_rate_mps = 1.0 }
beamwidth_az_deg = 1.8
beamwidth_el_deg = 1.8

[[radars]]
id = "lrsr"
role = "surveillance"
position = { east_m = -2000.0, north_m = 15000.0, up_m = 350.0 }
frequency_hz = 1.3e9
reference = { range_m = 250e3, rcs_m2 = 5.0, pd = 0.8, pfa = 1e-6 }
swerling = 1
pulses = 8
scan = { kind = "rotating", period_s = 10.0 }
coverage = { az_min_deg = 0, az_max_deg = 360, el_min_deg = -1, el_max_deg = 30, range_max_m = 150e3 }
accuracy = { range_m = 60.0, az_deg = 0.3, el_deg = 0.6 }
beamwidth_az_deg = 1.4
beamwidth_el_deg = 2.5
range_resolution_m = 120.0

[[radars]]
id = "wlr"
role = "weapon_locating"
position = { east_m = 2500.0, north_m = 2500.0, up_m = 4.0 }
frequency_hz = 5.6e9
reference = { range_m = 30e3, rcs_m2 = 0.01, pd = 0.9, pfa = 1e-6 }
swerling = 1
pulses = 4
scan = { kind = "sector", period_s = 0.5 }
coverage = { az_min_deg = 300, az_max_deg = 60, el_min_deg = 0, el_max_deg = 12, range_max_m = 40e3 }
accuracy = { range_m = 5.0, az_deg = 0.05, el_deg = 0.05, range_rate_mps = 0.5 }
beamwidth_az_deg = 1.0
beamwidth_el_deg = 1.0
dwells = { search_dwell_s = 0.001, track_dwell_s = 0.002, track_pulses = 8, fence_rows = 3 }

[[batteries]]
id = "battery-1"
radar = "mfr"
interceptor = "cheongung-2"
fire_control_channels = 2
launchers = [ { id = "L1", position = { east_m = 1200.0, north_m = 0.0, up_m = 0.0 }, missiles = 4 } ]

[[threats]]
id = "fighter-1"
kind = "aircraft"
rcs_m2 = 5.0
route = [ { east_m = 60e3, north_m = 40e3, up_m = 6000.0, t_s = 0.0, speed_mps = 260.0 },
          { east_m = 5e3, north_m = 5e3, up_m = 3000.0 } ]

[[threats]]
id = "uav-1"
kind = "uav"
rcs_m2 = 0.05
route = [ { east_m = -10e3, north_m = 20e3, up_m = 1500.0, t_s = 0.0, speed_mps = 50.0 },
          { east_m = 0.0, north_m = 0.0, up_m = 500.0 } ]

[[threats]]
id = "mortar-1"
kind = "mortar"
munition = "120mm-mortar"
launch = { east_m = -2000.0, north_m = 6500.0, up_m = 80.0 }
aim = { east_m = 1000.0, north_m = -200.0, up_m = 0.0 }
t_launch_s = 5.0
count = 2
interval_s = 6.0
"""

#: Values a mutation puts in place of a scenario value.
HOSTILE = (
    "0", "-1", "1e-9", "1e-6", "1e300", "-1e300", "nan", "inf", "-inf", "true", "false",
    '"11"', '""', "[]", "{}", "[1, 2]", "2e10", "6e10", "99999999999999999999", "1.5",
    "[[1]]", '"../../outside.tif"', '"/vsicurl/http://127.0.0.1:9/x.tif"', '"dem.vrt"',
    '"' + "x" * 5000 + '"', "{ a = 1 }", "1099511627776", "-0.0", "0x10", "1979-05-27",
)  # fmt: skip

#: Internal texts that must not reach a user as the whole message.
INTERNAL = re.compile(
    r"np\.float64\(|np\.int64\(|array\(\[|lam value too large|must be finite|"
    r"non-finite values|<simulated detections>|Traceback|object has no attribute|"
    r"index \d+ is out of bounds|could not broadcast|unsupported operand",
)


# ------------------------------------------------------------------ mutations
def mutate_scenario(text: str, rng: np.random.Generator) -> bytes:
    """One to three hostile edits of the scenario text; a third of cases only scale
    numbers (so that more of them validate and run)."""
    mild = rng.random() < 1 / 3
    for _ in range(int(rng.integers(1, 4))):
        op = 0 if mild else int(rng.integers(0, 10))
        lines = text.split("\n")
        values = [i for i, ln in enumerate(lines) if "=" in ln and not ln.startswith("#")]
        if op <= 3 and values:  # a value replaced: a hostile literal or scaled
            i = int(rng.choice(values))
            pairs = list(re.finditer(r"(\w+)\s*=\s*([^,{}\[\]]+?)(?=\s*[,}\]]|\s*$)", lines[i]))
            if pairs:
                m = pairs[int(rng.integers(0, len(pairs)))]
                old = m.group(2).strip()
                if (mild or rng.random() < 0.4) and re.fullmatch(r"-?[\d.e+]+", old):
                    factor = float(
                        rng.choice([0.1, 0.5, 2.0, 10.0])
                        if mild
                        else rng.choice([0.0, 1e-6, 1e-3, 0.5, 2.0, 1e3, 1e6, -1.0])
                    )
                    new = repr(float(old) * factor)
                else:
                    new = str(rng.choice(HOSTILE))
                lines[i] = lines[i][: m.start(2)] + new + lines[i][m.end(2) :]
        elif op == 4 and values:  # a line dropped
            del lines[int(rng.choice(values))]
        elif op == 5 and values:  # a line repeated (a duplicate key)
            i = int(rng.choice(values))
            lines.insert(i, lines[i])
        elif op == 6:  # a table repeated (another radar, threat …)
            heads = [i for i, ln in enumerate(lines) if ln.startswith("[[")]
            if heads:
                k = int(rng.integers(0, len(heads)))
                end = heads[k + 1] if k + 1 < len(heads) else len(lines)
                lines[end:end] = lines[heads[k] : end]
        elif op == 7:  # deep nesting
            depth = int(rng.choice([50, 500, 5000]))
            lines.append("deep = " + "[" * depth + "]" * depth)
        elif op == 8:  # an unknown key or table
            lines.insert(int(rng.integers(0, len(lines) + 1)), str(rng.choice(
                ["bogus = 1", "[bogus]", "[[bogus]]", "dem = 'x.tif'", "[variability]\nideal = 7"]
            )))  # fmt: skip
        else:  # bytes: flipped or cut
            raw = bytearray("\n".join(lines).encode())
            if rng.random() < 0.5 and raw:
                for _ in range(int(rng.integers(1, 8))):
                    raw[int(rng.integers(0, len(raw)))] = int(rng.integers(0, 256))
            else:
                raw = raw[: int(rng.integers(0, len(raw) + 1))]
            return bytes(raw)
        text = "\n".join(lines)
    return text.encode()


def mutate_table(path: Path, out: Path, rng: np.random.Generator) -> None:
    """One to three hostile edits of a Parquet table, written to ``out``."""
    import pandas as pd

    df = pd.read_parquet(path)
    if rng.random() < 0.08:  # the file itself damaged
        raw = bytearray(path.read_bytes())
        if rng.random() < 0.5:
            raw = raw[: int(rng.integers(0, len(raw)))]
        else:
            for _ in range(int(rng.integers(1, 20))):
                raw[int(rng.integers(0, len(raw)))] = int(rng.integers(0, 256))
        out.write_bytes(bytes(raw))
        return
    for _ in range(int(rng.integers(1, 4))):
        op = int(rng.integers(0, 9))
        col = str(rng.choice(df.columns)) if len(df.columns) else None
        n = len(df)
        if op == 0 and col:
            df = df.drop(columns=[col])
        elif op == 1 and col and n:  # some values hostile
            rows = rng.random(n) < float(rng.choice([0.001, 0.1, 1.0]))
            v = rng.choice([np.nan, np.inf, -np.inf, -1.0, 0.0, 1e300, -1e300, 2.0**40, 1e-300])
            s = df[col].astype(float) if df[col].dtype.kind in "fiub" else df[col].astype(object)
            s[rows] = v
            df[col] = s
        elif op == 2 and col:  # the column retyped
            kind = int(rng.integers(0, 4))
            if kind == 0:
                df[col] = df[col].astype(str)
            elif kind == 1:
                df[col] = df[col].astype(bool) if df[col].dtype.kind in "fiub" else True
            elif kind == 2:
                df[col] = [None] * n
            else:
                df[col] = df[col].astype(float) if df[col].dtype.kind in "iub" else df[col]
        elif op == 3 and n:  # rows copied
            df = pd.concat([df] * int(rng.integers(2, 21)), ignore_index=True)
        elif op == 4 and n:  # rows shuffled
            df = df.sample(frac=1.0, random_state=int(rng.integers(0, 2**31))).reset_index(
                drop=True
            )
        elif op == 5:  # rows cut, to none at all
            df = df.iloc[: int(rng.integers(0, n + 1))]
        elif op == 6:
            df["bogus"] = 1.0
        elif op == 7 and col and df[col].dtype == object:  # unknown names
            df[col] = "nowhere"
        elif op == 8 and col and n:  # huge or tiny numbers throughout
            if df[col].dtype.kind in "fi":
                df[col] = df[col] * float(rng.choice([1e12, -1.0, 1e-12, 0.0]))
    try:
        df.to_parquet(out)
    except (TypeError, ValueError, ArithmeticError):
        # a column of mixed types Arrow cannot hold: as text, which it can
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].astype(str)
        df.to_parquet(out)


# ------------------------------------------------------------------ one case
def _peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> None:
    # "5" resets the peak resident size the kernel keeps (Linux ≥ 4.0)
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def case_input(i: int, seed: int, base: dict[str, Path], work: Path) -> tuple[str, list[str]]:
    """Case i's kind and command line (its input files written into ``work``)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
    kind = KINDS[i % len(KINDS)]
    scenario = work / "scenario.toml"
    out = str(work / "out")
    if kind == "scenario":
        scenario.write_bytes(mutate_scenario(BASE_SCENARIO, rng))
        command = "validate" if rng.random() < 0.3 else "run"
        argv = [command, str(scenario)] + (["--out", out] if command == "run" else [])
        return kind, argv
    shutil.copy(base["scenario"], scenario)
    if kind == "detections":
        det = work / "detections.parquet"
        mutate_table(base["detections"], det, rng)
        return kind, ["track", str(det), "--scenario", str(scenario), "--out", out]
    truth = work / "truth.parquet"
    mutate_table(base["truth"], truth, rng)
    return kind, [
        "track", str(base["detections"]), "--scenario", str(scenario), "--out", out,
        "--truth", str(truth),
    ]  # fmt: skip


def run_case(argv: list[str]) -> tuple[str, str, float, float]:
    """(outcome, message, wall s, peak MB) of one command line, run in this process."""
    from gbad.cli import main

    _reset_peak()
    err = io.StringIO()
    tic = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(argv)
        outcome = f"exit {code}"
        message = err.getvalue().strip()
    except SystemExit as exc:  # argparse
        outcome = f"exit {exc.code}"
        message = err.getvalue().strip()
    except BaseException as exc:  # what the fuzzer is looking for
        outcome = "traceback"
        message = f"{type(exc).__name__}: {exc}"[:300] + "\n" + traceback.format_exc()[-800:]
    wall = time.perf_counter() - tic
    peak = _peak_mb()
    if outcome in ("exit 0", "exit 2"):
        if peak > MEMORY_LIMIT_MB:
            outcome = "over memory"
        elif wall > TIME_LIMIT_S:
            outcome = "over time"
    return outcome, message[:1200], wall, peak


def _worker(seed: int, base: dict[str, Path], todo: mp.Queue, done: mp.Queue) -> None:
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    while True:
        i = todo.get()
        if i is None:
            return
        with tempfile.TemporaryDirectory() as tmp:
            kind, argv = case_input(i, seed, base, Path(tmp))
            done.put(("start", i, kind, os.getpid()))
            outcome, message, wall, peak = run_case(argv)
        done.put(("end", i, kind, (outcome, message, wall, peak)))


def make_base(work: Path) -> dict[str, Path]:
    """The base scenario and one run's detection and truth files."""
    from gbad.cli import main

    scenario = work / "base.toml"
    scenario.write_text(BASE_SCENARIO)
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", str(scenario), "--out", str(work / "base-run"), "--quiet"])
    if code != 0:
        raise SystemExit(f"the fuzzer's base scenario does not run (exit {code})")
    return {
        "scenario": scenario,
        "detections": work / "base-run" / "detections.parquet",
        "truth": work / "base-run" / "truth.parquet",
    }


def fuzz(n_cases: int, seed: int = 1, workers: int = 2, progress: bool = True) -> dict:
    """Run cases 0…n_cases−1; the counts per kind and outcome and the failing examples."""
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        base = make_base(Path(tmp))
        todo: mp.Queue = ctx.Queue()
        done: mp.Queue = ctx.Queue()
        for i in range(n_cases):
            todo.put(i)
        procs = {}
        running: dict[int, tuple[float, str, int]] = {}  # case -> (start, kind, worker pid)

        def start() -> None:
            p = ctx.Process(target=_worker, args=(seed, base, todo, done), daemon=True)
            p.start()
            procs[p.pid] = p

        for _ in range(workers):
            start()
        counts: Counter = Counter()
        examples: dict[str, list] = {}
        slowest = (0.0, None)
        heaviest = (0.0, None)
        finished = 0
        tic = time.perf_counter()
        while finished < n_cases:
            try:
                what, i, kind, data = done.get(timeout=1.0)
            except queue.Empty:
                what = None
            if what == "start":
                running[i] = (time.perf_counter(), kind, data)
            elif what == "end":
                running.pop(i, None)
                outcome, message, wall, peak = data
                if outcome == "exit 2" and INTERNAL.search(message):
                    counts[(kind, "internal message")] += 1
                    examples.setdefault("internal message", []).append((i, kind, message))
                counts[(kind, outcome)] += 1
                if outcome not in ("exit 0", "exit 2"):
                    examples.setdefault(outcome, []).append((i, kind, message))
                slowest = max(slowest, (wall, i))
                heaviest = max(heaviest, (peak, i))
                finished += 1
                if progress and finished % 100 == 0:
                    rate = finished / (time.perf_counter() - tic)
                    print(f"  {finished}/{n_cases} cases ({rate:.1f}/s)", file=sys.stderr)
            # a case past KILL_S: its worker is killed and replaced
            now = time.perf_counter()
            for j, (t0, kind, pid) in list(running.items()):
                if not procs[pid].is_alive():  # a crash: no exit code, no message
                    procs.pop(pid)
                    del running[j]
                    counts[(kind, "crash")] += 1
                    examples.setdefault("crash", []).append((j, kind, "the worker died"))
                    finished += 1
                    start()
                elif now - t0 > KILL_S:
                    procs.pop(pid).kill()
                    del running[j]
                    counts[(kind, "over time")] += 1
                    examples.setdefault("over time", []).append((j, kind, f"killed at {KILL_S} s"))
                    finished += 1
                    start()
        for _ in procs:
            todo.put(None)
        for p in procs.values():
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    return {
        "counts": counts,
        "examples": examples,
        "slowest": slowest,
        "heaviest": heaviest,
        "wall_s": time.perf_counter() - tic,
    }


def report(res: dict, n_cases: int, seed: int) -> str:
    lines = [f"{n_cases} cases, seed {seed}, {res['wall_s']:.0f} s"]
    outcomes = sorted({o for _, o in res["counts"]})
    lines.append("| kind | " + " | ".join(outcomes) + " |")
    lines.append("|---" * (len(outcomes) + 1) + "|")
    for kind in KINDS:
        row = [str(res["counts"].get((kind, o), 0)) for o in outcomes]
        lines.append(f"| {kind} | " + " | ".join(row) + " |")
    lines.append(f"slowest case: {res['slowest'][0]:.1f} s (case {res['slowest'][1]})")
    lines.append(f"largest peak memory: {res['heaviest'][0]:.0f} MB (case {res['heaviest'][1]})")
    for outcome, ex in res["examples"].items():
        lines.append(f"--- {outcome}: {len(ex)}")
        for i, kind, message in ex[:5]:
            lines.append(f"case {i} ({kind}): {message}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    res = fuzz(args.cases, args.seed, args.workers)
    print(report(res, args.cases, args.seed))
    bad = sum(v for (_, o), v in res["counts"].items() if o not in ("exit 0", "exit 2"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
