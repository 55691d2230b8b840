"""The battery's seeded studies on the built-in airbase-defence scenario (issue 10).

- ``srbm``: the default battery, radars and assets against the raid's SRBM alone,
  dispersion on (its launch, motor and re-entry drawn per run). Per run: engaged,
  killed; per shot: the intercept altitude and |actual - predicted| time of flight.
- ``raid``: the whole default raid, long enough (900 s) for the fighters to come in.
  Per run: each air track's share of decisions labelled a round, whether fighters 1
  and 2 were engaged before their closest approach to the airbase and 3 and 4 never,
  and interceptors at shells, mortar bombs or rockets.

`measure_run` is one run (run r of seed s: the run's own random streams, as
``gbad run --run r``), `study_report` the batch's figures. The command line is
``scripts/battery_monte_carlo.py``.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gbad.scenario.loader import LoadedScenario, load_builtin
from gbad.sim import run_scenario

ROUNDS = ("shell", "mortar", "rocket")
AIR = ("aircraft", "uav", "cruise_missile")


def study_scenario(study: str, duration_s: float) -> LoadedScenario:
    """The built-in raid for a study: all of it, or only its SRBM with dispersion on."""
    loaded = load_builtin("airbase-defence")
    m = loaded.model
    if study == "srbm":
        srbm = [t.model_copy(update={"dispersion": True}) for t in m.threats if t.id == "srbm-1"]
        m = m.model_copy(update={"threats": srbm})
    hdr = m.scenario.model_copy(update={"duration_s": duration_s})
    return dataclasses.replace(loaded, model=m.model_copy(update={"scenario": hdr}))


def measure_run(args: tuple[str, float, int, int]) -> dict:
    """One run's measures: ``args`` = (study, duration_s, seed, run)."""
    study, duration_s, seed, run = args
    loaded = study_scenario(study, duration_s)
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


def study_report(study: str, runs: list[dict]) -> dict:
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
