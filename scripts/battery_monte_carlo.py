"""Seeded Monte Carlo of the battery on the built-in airbase-defence scenario (issue 10).

Two studies, each a batch of independent runs (run r of seed s: the run's own
random streams, as `gbad run --run r`):

- ``srbm``: the default battery, radars and assets against the raid's SRBM alone,
  dispersion on (its launch, motor and re-entry drawn per run). Per run: engaged,
  killed; per shot: the intercept altitude and |actual - predicted| time of flight.
- ``raid``: the whole default raid, ``--duration`` long (900 s lets the fighters
  come in). Per run: each air track's share of decisions labelled a round, whether
  fighters 1 and 2 were engaged before their closest approach to the airbase and
  3 and 4 never, and interceptors at shells, mortar bombs or rockets.

    python scripts/battery_monte_carlo.py srbm --runs 100
    python scripts/battery_monte_carlo.py raid --runs 20 --duration 900

Prints the figures and writes them as JSON (``--out``). Simulated, nominal.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# One compiled thread per worker: the workers are the parallelism.
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
import pandas as pd

ROUNDS = ("shell", "mortar", "rocket")
AIR = ("aircraft", "uav", "cruise_missile")


def _scenario(study: str, duration_s: float):
    from gbad.scenario.loader import load_builtin

    loaded = load_builtin("airbase-defence")
    m = loaded.model
    if study == "srbm":
        srbm = [t.model_copy(update={"dispersion": True}) for t in m.threats if t.id == "srbm-1"]
        m = m.model_copy(update={"threats": srbm})
    hdr = m.scenario.model_copy(update={"duration_s": duration_s})
    return dataclasses.replace(loaded, model=m.model_copy(update={"scenario": hdr}))


def _one(args: tuple[str, float, int, int]) -> dict:
    study, duration_s, seed, run = args
    from gbad.sim import run_scenario

    loaded = _scenario(study, duration_s)
    with tempfile.TemporaryDirectory() as tmp:
        tic = time.perf_counter()
        run_scenario(loaded, tmp, seed=seed, run=run)
        wall = time.perf_counter() - tic
        eng = pd.read_parquet(Path(tmp) / "engagements.parquet")
        out = {"run": run, "wall_s": wall}
        if study == "srbm":
            shots = eng[eng.target_kind == "ballistic_missile"]
            out["engaged"] = bool(len(shots))
            out["killed"] = bool((shots.outcome == "kill").any())
            tof = shots.end_t_s - shots.launch_t_s
            out["intercept_alt_m"] = shots.end_up_m.tolist()
            out["tof_error_s"] = (tof - shots.predicted_time_of_flight_s).abs().tolist()
            out["first_shot_alt_m"] = float(shots.end_up_m.iloc[0]) if len(shots) else None
            return out
        th = pd.read_parquet(Path(tmp) / "threat_list.parquet")
        tr = pd.read_parquet(Path(tmp) / "tracks.parquet")
        objs = pd.read_parquet(Path(tmp) / "objects.parquet")
        truth = pd.read_parquet(Path(tmp) / "truth.parquet")
        owner = tr.groupby("track_id").truth_id.agg(lambda s: s.mode().iloc[0])
        th["obj"] = th.track_id.map(owner).fillna(-1).astype(int)
        kind_of = dict(zip(objs.object_id, objs.kind, strict=True))
        th["truth_kind"] = th.obj.map(lambda o: kind_of.get(o, "false"))
        air = th[th.truth_kind.isin(AIR)]
        share = air.groupby("track_id").kind.agg(lambda k: float((k == "artillery").mean()))
        n_dec = air.groupby("track_id").size()
        out["air_tracks"] = len(share)
        out["air_track_round_share_max"] = float(share.max()) if len(share) else 0.0
        out["air_tracks_over_2pct"] = int((share > 0.02).sum())
        out["air_tracks_over_2pct_10plus"] = int(((share > 0.02) & (n_dec >= 10)).sum())
        out["air_decisions_round_share"] = float((air.kind == "artillery").mean())
        fighters = {}
        for fid in ("fighter-1", "fighter-2", "fighter-3", "fighter-4"):
            oid = int(objs.object_id[objs.threat_id == fid].iloc[0])
            path = truth[truth.object_id == oid]
            d = np.hypot(path.east_m, path.north_m)
            t_cpa = float(path.t_s.iloc[int(np.argmin(d))])
            launches = eng.launch_t_s[eng.truth_id == oid]
            fighters[fid] = {
                "engaged": bool(len(launches)),
                "before_cpa": bool((launches < t_cpa).any()),
                "t_cpa_s": t_cpa,
                "cpa_m": float(d.min()),
            }
        out["fighters"] = fighters
        out["interceptors_at_rounds"] = int(eng.target_kind.isin(ROUNDS).sum())
        out["interceptors"] = len(eng)
        out["kills"] = int((eng.outcome == "kill").sum())
        return out


def _report(study: str, runs: list[dict]) -> dict:
    n = len(runs)
    if study == "srbm":
        alt = np.concatenate([r["intercept_alt_m"] for r in runs]) if runs else np.zeros(0)
        err = np.concatenate([r["tof_error_s"] for r in runs]) if runs else np.zeros(0)
        return {
            "runs": n,
            "engaged_runs": sum(r["engaged"] for r in runs),
            "killed_runs": sum(r["killed"] for r in runs),
            "shots": int(alt.size),
            "shots_intercept_10_20_km": float(np.mean((alt >= 10e3) & (alt <= 20e3))),
            "intercept_alt_km_p10_p50_p90": (np.percentile(alt, [10, 50, 90]) / 1e3).tolist(),
            "shots_tof_within_2_s": float(np.mean(err <= 2.0)),
            "tof_error_s_p50_p90": np.percentile(err, [50, 90]).tolist(),
            "wall_s_mean": float(np.mean([r["wall_s"] for r in runs])),
        }
    f = {k: [r["fighters"][k] for r in runs] for k in runs[0]["fighters"]}
    return {
        "runs": n,
        "fighters_1_2_engaged_before_cpa_runs": sum(
            f["fighter-1"][i]["before_cpa"] and f["fighter-2"][i]["before_cpa"] for i in range(n)
        ),
        "fighter_1_before_cpa_runs": sum(x["before_cpa"] for x in f["fighter-1"]),
        "fighter_2_before_cpa_runs": sum(x["before_cpa"] for x in f["fighter-2"]),
        "fighters_3_4_engaged_runs": sum(
            f["fighter-3"][i]["engaged"] or f["fighter-4"][i]["engaged"] for i in range(n)
        ),
        "air_tracks": sum(r["air_tracks"] for r in runs),
        "air_tracks_over_2pct": sum(r["air_tracks_over_2pct"] for r in runs),
        "air_tracks_over_2pct_with_10_decisions": sum(
            r["air_tracks_over_2pct_10plus"] for r in runs
        ),
        "air_track_round_share_max": max(r["air_track_round_share_max"] for r in runs),
        "air_decisions_round_share_mean": float(
            np.mean([r["air_decisions_round_share"] for r in runs])
        ),
        "interceptors_at_rounds": sum(r["interceptors_at_rounds"] for r in runs),
        "interceptors_mean": float(np.mean([r["interceptors"] for r in runs])),
        "kills_mean": float(np.mean([r["kills"] for r in runs])),
        "wall_s_mean": float(np.mean([r["wall_s"] for r in runs])),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("study", choices=("srbm", "raid"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--duration", type=float, default=None, help="s (srbm: 400, raid: 900)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    duration = a.duration or (400.0 if a.study == "srbm" else 900.0)
    jobs = [(a.study, duration, a.seed, r) for r in range(a.runs)]
    tic = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as pool:
        runs = list(pool.map(_one, jobs))
    rep = {"study": a.study, "seed": a.seed, "duration_s": duration, **_report(a.study, runs)}
    rep["batch_wall_s"] = time.perf_counter() - tic
    print(json.dumps(rep, indent=1))
    if a.out:
        a.out.write_text(json.dumps({"report": rep, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
