"""Seeded studies on the built-in scenarios: the battery's (issue 10) and the locator's.

- ``srbm``: the default battery, radars and assets against the raid's SRBM alone,
  dispersion on (its launch, motor and re-entry drawn per run). Per run: engaged,
  killed; per shot: the intercept altitude and |actual - predicted| time of flight.
- ``raid``: the whole default raid, long enough (900 s) for the fighters to come in.
  Per run: each air track's share of decisions labelled a round, whether fighters 1
  and 2 were engaged before their closest approach to the airbase and 3 and 4 never,
  and interceptors at shells, mortar bombs or rockets.
- ``warning``: the built-in sense-and-warn scenario (flight times 15-35 s). Per round
  that lands on an asset: lofted (its apex above a quarter of its range: fired above
  about 45 deg) or flat, its flight time, and its warning time (impact less the first
  alert sounded for it at that asset) or a miss.
- ``locating`` and ``locating-ideal``: the built-in counter-battery scenario, as it
  is (the world's variability and the radar's errors drawn per run, at their nominal
  σ) or in the ideal world (``[variability] ideal = true``: the estimator's
  efficiency). Per run: the locator's figures per kind of round.

`measure_run` is one run (run r of seed s: the run's own random streams, as
``gbad run --run r``), `study_report` the batch's figures. The command line is
``scripts/monte_carlo.py``.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gbad.scenario.loader import LoadedScenario, load_builtin
from gbad.sim import run_scenario

ROUNDS = ("shell", "mortar", "rocket")
AIR = ("aircraft", "uav", "cruise_missile")


def study_scenario(study: str, duration_s: float | None) -> LoadedScenario:
    """The built-in scenario for a study: the raid, its SRBM alone with dispersion on,
    or the counter-battery scenario (in the ideal world for ``locating-ideal``)."""
    if study == "warning":
        loaded = load_builtin("sense-and-warn")
        if duration_s is not None:
            m = loaded.model
            hdr = m.scenario.model_copy(update={"duration_s": duration_s})
            loaded = dataclasses.replace(loaded, model=m.model_copy(update={"scenario": hdr}))
        return loaded
    if study.startswith("locating"):
        loaded = load_builtin("counter-battery")
        m = loaded.model
        if study == "locating-ideal":
            v = m.variability.model_copy(update={"ideal": True})
            m = m.model_copy(update={"variability": v})
        if duration_s is not None:
            hdr = m.scenario.model_copy(update={"duration_s": duration_s})
            m = m.model_copy(update={"scenario": hdr})
        return dataclasses.replace(loaded, model=m)
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
        out = {"run": run, "wall_s": wall}
        if study.startswith("locating"):
            summary = json.loads((Path(tmp) / "summary.json").read_text())
            out["by_class"] = summary["locating"]["by_class"]
            return out
        if study == "warning":
            out["rounds"] = _warning_rounds(loaded, Path(tmp))
            return out
        eng = pd.read_parquet(Path(tmp) / "engagements.parquet")
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


def _warning_rounds(loaded: LoadedScenario, out: Path) -> list[dict]:
    """Each round that landed on an asset: lofted or flat, flight and warning time."""
    objs = pd.read_parquet(out / "objects.parquet")
    alerts = pd.read_parquet(out / "alerts.parquet")
    ground = loaded.model.scenario.origin.alt_m
    rows = []
    for a in loaded.model.assets:
        e, n, _ = a.position.to_local(loaded.model.scenario.origin)
        land = objs[
            objs.kind.isin(ROUNDS)
            & (np.hypot(objs.impact_east_m - e, objs.impact_north_m - n) <= a.radius_m)
        ]
        for r in land.itertuples():
            span = np.hypot(r.impact_east_m - r.launch_east_m, r.impact_north_m - r.launch_north_m)
            mine = alerts[(alerts.asset_id == a.id) & (alerts.truth_id == r.object_id)]
            first = float(mine.t_s.min()) if len(mine) else np.inf
            rows.append(
                {
                    "kind": r.kind,
                    "lofted": bool(r.apogee_alt_m - ground > span / 4.0),
                    "flight_s": float(r.impact_t_s - r.launch_t_s),
                    "warning_s": float(r.impact_t_s - first) if first < r.impact_t_s else None,
                }
            )
    return rows


def _warning_report(runs: list[dict]) -> dict:
    rows = pd.DataFrame([x for r in runs for x in r["rounds"]])
    out = {}
    for name, part in (("lofted", rows[rows.lofted]), ("flat", rows[~rows.lofted])):
        warned = part.warning_s.dropna()
        out[name] = {
            "rounds_on_assets": len(part),
            "flight_s_min_max": [float(part.flight_s.min()), float(part.flight_s.max())]
            if len(part)
            else None,
            "warning_s_median": float(warned.median()) if len(warned) else None,
            "warning_s_p10": float(warned.quantile(0.1)) if len(warned) else None,
            "missed_share": float(part.warning_s.isna().mean()) if len(part) else None,
            "by_kind": {
                k: {
                    "rounds": len(g),
                    "warning_s_median": float(g.warning_s.median()) if g.warning_s.notna().any()
                    else None,
                    "missed": int(g.warning_s.isna().sum()),
                }
                for k, g in part.groupby("kind")
            },
        }  # fmt: skip
    return out


def study_report(study: str, runs: list[dict]) -> dict:
    """The batch's figures (see the module doc)."""
    n = len(runs)
    if study == "warning":
        return {"runs": n, **_warning_report(runs)}
    if study.startswith("locating"):
        return {"runs": n, "by_class": _locating_report(runs)}
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


def _locating_report(runs: list[dict]) -> dict:
    """Per kind of round, over every located round of every run: the median and 90th
    percentile of each run's median POO error as a share of range, the share of rounds
    inside their own CEP, and the mean and median of the runs' mean NEES."""
    out = {}
    for kind in sorted({k for r in runs for k in r["by_class"]}):
        rows = [r["by_class"][kind] for r in runs if kind in r["by_class"]]

        def col(name: str, rows=rows) -> np.ndarray:
            return np.array([x[name] for x in rows if x[name] is not None], dtype=float)

        located = np.array([x["located"] for x in rows], dtype=float)
        inside = np.array([x["poo_share_inside_own_cep"] or 0.0 for x in rows], dtype=float)
        out[kind] = {
            "rounds": int(sum(x["rounds"] for x in rows)),
            "located": int(located.sum()),
            "poo_error_share_of_range_median": float(
                np.median(col("poo_error_share_of_range_median"))
            ),
            "poo_error_share_of_range_p90": float(
                np.percentile(col("poo_error_share_of_range_median"), 90)
            ),
            "poo_share_inside_own_cep": float(np.sum(inside * located) / max(located.sum(), 1)),
            "poo_nees_mean_of_runs": float(np.mean(col("poo_nees_mean"))),
            "poo_nees_median_of_runs": float(np.median(col("poo_nees_mean"))),
            "poi_error_median_m": float(np.median(col("poi_error_median_m"))),
            "poi_share_inside_own_cep": float(np.mean(col("poi_share_inside_own_cep"))),
        }
    return out
