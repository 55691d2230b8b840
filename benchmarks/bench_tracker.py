"""Benchmark: the tracker (EKF + GNN) against Stone Soup on the same detections, and at scale.

Run: `.venv/bin/python benchmarks/bench_tracker.py [--quick] [--ss-full] [--ss-scale] [--profile]`.

Run times on the 2-core AMD EPYC development VM: default ~4 min (Stone Soup takes ~5 s a
scan here, so by default it runs on the first --ss-scans = 40 scans of part 1, and gbad is
timed on that same prefix too); --ss-full (Stone Soup on all 200 scans) ~19 min;
--only ss-scale (100 targets, 20 scans, ~28 s a scan for Stone Soup) ~10 min; --quick ~1 min.

Part 1 — peer comparison. One detection set, simulated once with gbad's own simulator
(`gbad.sim.simulate`): one radar at the scenario origin (electronic raster over 360° × 0–60°,
period 1 s, 3-D: σ_range 20 m, σ_az 0.2°, σ_el 0.2° at the reference SNR and scaling as
1/√SNR, no range rate; Pfa 3e-6 over ~9.6 million cells, about 29 false alarms a scan) and
20 aircraft/UAV on straight, level routes that stay in its coverage for 200 scans. Both
trackers then run, in this process, on exactly those detections (arrays kept in memory):

- gbad: `gbad.sim.track` (EKF + GNN, the scenario's [tracker] table, defaults), warm
  (one untimed pass first for Numba), best of --repeat passes.
- Stone Soup: `MultiTargetTracker` with `ExtendedKalmanPredictor`
  (`CombinedLinearGaussianTransitionModel` of three `ConstantVelocity`, q as ours),
  `ExtendedKalmanUpdater`, `DistanceHypothesiser(Mahalanobis, missed_distance = √gate)`,
  `GNNWith2DAssignment`, `MultiMeasurementInitiator` (min_points = confirm_m, its holding
  tracks deleted by `UpdateTimeStepsDeleter(2)`) and `UpdateTimeStepsDeleter(delete_misses)`
  for confirmed tracks; fed scan by scan, one pass (it is too slow to repeat). The
  `Detection` objects (one `CartesianToElevationBearingRange` each, carrying that
  detection's own σ) are built before the clock starts; their build time is shown apart.

Angle conventions. gbad detections: azimuth clockwise from true north, degrees, in
[0, 360); elevation above the radar's horizontal, degrees. Stone Soup's
`CartesianToElevationBearingRange` gives [elevation, bearing, range] with bearing
counter-clockwise from the sensor's x axis, radians. With the sensor's x, y, z = east,
north, up (the radar stands at the scenario origin, so its local ENU is the tracking
frame: rotation_offset = 0, translation_offset = its ENU position), bearing = π/2 − az
(radians, wrapped to [−π, π) by `Bearing`), elevation = el (radians), and
R = diag(σ_el², σ_az², σ_r²) with the angle σ in radians. The state order differs too:
Stone Soup [x, vx, y, vy, z, vz], gbad [x, y, z, vx, vy, vz].

What is matched: motion model and q; measurement noise per detection; initial state (the
detection converted to Cartesian with its first-order covariance, velocity σ from
`initial_velocity_sigma_mps` in each axis); gate (gbad d² ≤ χ²₃(gate_probability), Stone
Soup d < √ of that); confirmed tracks choose detections before tentative ones; confirmation
on confirm_m detections; a tentative track dies after 2 consecutive misses, a confirmed
one after delete_misses. What differs (by design): see `DIFFERENCES` below (printed).

Figures: wall time of the tracking alone (not the simulation), target-updates per
second (number of (track, detection) Kalman updates applied, tentative tracks included,
initiations excluded, / wall time), detections per second, and mean GOSPA (c, p = 2,
α = 2; `gbad.analysis.metrics.gospa_over_time`) of confirmed tracks against truth at the
end of every scan: each tracker's confirmed tracks as they stand after that scan, each
track's latest state extrapolated (constant velocity) to the scan's end, both the same way.

Part 2 — scale. gbad alone on 1,000 simultaneous targets (same radar, same clutter rate),
--scale-scans scans; with --ss-scale also Stone Soup at --ss-targets targets (slow: state
time in the output). Its updates/s is issue 3's figure (goal: 1,000,000 a second); the
table also gives the wall time per scan, and `--repeat-scale N` the best of N warm passes
(the median is printed too: this VM is shared, so single passes vary by ±30 %).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dtm
import io
import os
import platform
import pstats
import sys
import time
from pathlib import Path

import numba
import numpy as np
import scipy

import gbad
from gbad.analysis.metrics import gospa_over_time
from gbad.earth.wgs84 import ecef2enu
from gbad.scenario.loader import LoadedScenario, parse_scenario
from gbad.sensors.detection_file import Detections, from_columns
from gbad.sim import radar_models, simulate, track
from gbad.tracking.association import gate_threshold
from gbad.tracking.buffers import RadarGeometry, _Threads

DIFFERENCES = [
    "pre-gate: gbad finds candidate (track, detection) pairs whose search sphere around "
    "the predicted track touches the detection's own reach (association.candidate_pairs) "
    "and predicts only those; Stone Soup predicts every track to every detection's time "
    "(all pairs)",
    "GNN cost: gbad d² + ln|S| with every gated pair admissible; Stone Soup Mahalanobis d "
    "(not squared) with a missed-detection cost of √gate per track",
    "new tracks: gbad starts one only from a detection that gated with no track; Stone "
    "Soup from every detection left unassigned (so gated-but-unassigned ones start too)",
    "deletion: gbad also drops a tentative track without confirm_m hits in confirm_n looks "
    "or not hit for 3 scans (looked at or not), and any track whose position σ exceeds "
    "max_position_sigma_m or that has coasted max_coast_s; Stone Soup has only the "
    "consecutive-miss deleters",
    "a miss: gbad counts one only when the beam passed the track's predicted position "
    "(electronic raster over the full coverage here: every scan, for targets inside it); "
    "Stone Soup counts every scan without an update",
    "a missed track: gbad keeps its last update (predicts on demand); Stone Soup appends a "
    "prediction to the scan's end time",
]

SCENARIO = """
[scenario]
name = "bench-tracker"
origin = {{ lat_deg = 37.0, lon_deg = 127.0, alt_m = 0.0 }}
duration_s = {duration}
seed = {seed}

[tracker]
filter = "ekf"
association = "gnn"

[[radars]]
id = "r"
role = "surveillance"
position = {{ east_m = 0.0, north_m = 0.0, up_m = 10.0 }}
frequency_hz = 3e9
reference = {{ range_m = 120e3, rcs_m2 = 1.0, pd = 0.9, pfa = {pfa} }}
scan = {{ kind = "electronic", period_s = {period} }}
coverage = {{ az_min_deg = 0, az_max_deg = 360, el_min_deg = 0, el_max_deg = 60, range_max_m = 150e3 }}
accuracy = {{ range_m = 20.0, az_deg = 0.2, el_deg = 0.2 }}
"""

THREAT = """
[[threats]]
id = "t{i}"
kind = "{kind}"
rcs_m2 = {rcs}
route = [ {{ east_m = {e0:.1f}, north_m = {n0:.1f}, up_m = {u:.1f}, speed_mps = {v:.1f} }},
          {{ east_m = {e1:.1f}, north_m = {n1:.1f}, up_m = {u:.1f} }} ]
"""


# ----------------------------------------------------------------------------- scenario
def scenario_text(
    n_targets: int, n_scans: int, seed: int, pfa: float, period_s: float, r_min: float = 25e3
) -> str:
    """One radar and n straight, level routes that stay in coverage for the whole run."""
    rng = np.random.default_rng(seed)
    duration = n_scans * period_s
    parts = [SCENARIO.format(duration=duration, seed=seed, pfa=pfa, period=period_s)]
    i = 0
    while i < n_targets:
        uav = rng.random() < 0.3
        kind, rcs = ("uav", 0.5) if uav else ("aircraft", float(rng.uniform(2.0, 10.0)))
        v = rng.uniform(40.0, 80.0) if uav else rng.uniform(150.0, 300.0)
        u = rng.uniform(1000.0, 3000.0) if uav else rng.uniform(2000.0, 9000.0)
        r_max = 80e3 if uav else 130e3
        r0 = rng.uniform(r_min + 5e3, r_max - 5e3)
        b0 = rng.uniform(0, 2 * np.pi)
        p0 = r0 * np.array([np.sin(b0), np.cos(b0)])
        head = rng.uniform(0, 2 * np.pi)
        d = np.array([np.sin(head), np.cos(head)])
        # The route runs 10 % past the end of the run; every point of it must stay in range.
        s = np.linspace(0.0, 1.1 * v * duration, 50)
        path = p0 + s[:, None] * d
        rng_path = np.hypot(path[:, 0], path[:, 1])
        if rng_path.min() < r_min or rng_path.max() > r_max:
            continue
        e1, n1 = path[-1]
        i += 1
        parts.append(
            THREAT.format(i=i, kind=kind, rcs=rcs, e0=p0[0], n0=p0[1], u=u, v=v, e1=e1, n1=n1)
        )
    return "".join(parts)


def build(n_targets: int, n_scans: int, seed: int, pfa: float, period_s: float):
    """Simulate once; return the scenario, truth, validated detections and times."""
    text = scenario_text(n_targets, n_scans, seed, pfa, period_s)
    loaded = LoadedScenario(parse_scenario(text, "bench.toml"), "bench.toml", Path("."))
    tic = time.perf_counter()
    truth, cols, _, _ = simulate(loaded)
    det = from_columns(cols, radar_models(loaded), "simulated")
    sim_s = time.perf_counter() - tic
    return loaded, truth, det, sim_s


def scan_ends(loaded: LoadedScenario, det: Detections) -> np.ndarray:
    period = radar_models(loaded)[0].period_s
    k_last = int(np.floor(det.t_s[-1] / period))
    return (np.arange(k_last + 1) + 1) * period


def truth_at(loaded: LoadedScenario, truth, times: np.ndarray):
    """Truth positions (ENU) of the live objects at each time: (t (K,), pos (K, 3))."""
    o = loaded.model.scenario.origin
    obj, k = np.meshgrid(np.arange(truth.n_objects), np.arange(len(times)), indexing="ij")
    obj, t = obj.ravel(), times[k.ravel()]
    pos, _, alive = truth.state_at(obj, t)
    e, n, u = ecef2enu(pos[alive, 0], pos[alive, 1], pos[alive, 2], o.lat_deg, o.lon_deg, o.alt_m)
    return t[alive], np.column_stack([e, n, u])


def sample_tracks(tid, t, confirmed, deleted, pos, vel, times):
    """Confirmed tracks as they stand at each time: latest row at or before it, extrapolated.

    Rows (one per update or status change) are per track in time order; a track whose
    latest row is a deletion, or is not confirmed, is not in the picture.
    """
    order = np.lexsort((np.arange(len(t)), t, tid))  # stable within equal (tid, t)
    tid, t, confirmed, deleted = tid[order], t[order], confirmed[order], deleted[order]
    pos, vel = pos[order], vel[order]
    starts = np.flatnonzero(np.r_[True, tid[1:] != tid[:-1]])
    ends = np.r_[starts[1:], len(tid)]
    out_t, out_p = [], []
    for a, b in zip(starts, ends, strict=True):
        j = np.searchsorted(t[a:b], times, side="right") - 1
        ok = j >= 0
        row = a + j[ok]
        tk = times[ok]
        keep = confirmed[row] & ~deleted[row]
        row, tk = row[keep], tk[keep]
        out_t.append(tk)
        out_p.append(pos[row] + vel[row] * (tk - t[row])[:, None])
    if not out_t:
        return np.zeros(0), np.zeros((0, 3))
    return np.concatenate(out_t), np.concatenate(out_p)


def gospa_mean(truth_t, truth_p, trk_t, trk_p, c_m: float, late_s: float) -> dict:
    g = gospa_over_time(truth_t, truth_p, trk_t, trk_p, c_m=c_m, p=2.0, alpha=2.0)
    late = g["t_s"] > late_s
    return {
        "gospa": g["mean_gospa_m"],
        "gospa_late": float(np.mean(g["gospa_m"][late])) if late.any() else float("nan"),
        "missed": float(np.mean(g["n_missed"])),
        "false": float(np.mean(g["n_false"])),
        "loc_rms": float(np.sqrt(np.sum(g["localisation_mp"]) / max(1, np.sum(g["n_assigned"])))),
    }


# ----------------------------------------------------------------------------- gbad
def run_gbad(loaded, det, repeat: int, walls: list[float] | None = None):
    track(loaded, det)  # warm: Numba compile or cache load
    walls = [] if walls is None else walls
    result = None
    for _ in range(repeat):
        tic = time.perf_counter()
        result = track(loaded, det)
        walls.append(time.perf_counter() - tic)
    return result, min(walls)


def gbad_samples(result, times):
    r = result.rows
    pos = np.column_stack([r["east_m"], r["north_m"], r["up_m"]])
    vel = np.column_stack([r["v_east_mps"], r["v_north_mps"], r["v_up_mps"]])
    st = r["status"]
    return sample_tracks(
        r["track_id"], r["t_s"], st == "confirmed", st == "deleted", pos, vel, times
    )


# ----------------------------------------------------------------------------- Stone Soup
SS_FROM_OURS = np.array([0, 3, 1, 4, 2, 5])  # Stone Soup state = ours[SS_FROM_OURS]
T0 = dtm.datetime(2026, 1, 1)


def stonesoup_scans(loaded, det: Detections, times: np.ndarray):
    """Stone Soup Detection objects, one set per scan window [tb − period, tb)."""
    from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
    from stonesoup.types.angle import Bearing, Elevation
    from stonesoup.types.array import StateVector
    from stonesoup.types.detection import Detection

    radar = radar_models(loaded)[0]
    geo = RadarGeometry.of(radar, loaded.model.scenario.origin)
    rot_err = float(np.max(np.abs(geo.rot - np.eye(3))))
    if rot_err > 1e-9:
        raise RuntimeError(f"radar frame is not the tracking frame (|rot − I| = {rot_err})")
    offset = geo.enu_m.reshape(3, 1)
    period = radar.period_s
    win = np.floor(det.t_s / period).astype(np.int64)
    sets: list[set] = [set() for _ in times]
    for i in range(len(det)):
        s_r = float(det.range_sigma_m[i])
        s_az = np.radians(float(det.az_sigma_deg[i]))
        s_el = np.radians(float(det.el_sigma_deg[i]))
        model = CartesianToElevationBearingRange(
            ndim_state=6,
            mapping=(0, 2, 4),
            noise_covar=np.diag([s_el**2, s_az**2, s_r**2]),
            translation_offset=offset,
            rotation_offset=StateVector([[0.0], [0.0], [0.0]]),
        )
        z = StateVector(
            [
                [Elevation(np.radians(det.el_deg[i]))],
                [Bearing(np.pi / 2 - np.radians(det.az_deg[i]))],
                [float(det.range_m[i])],
            ]
        )
        stamp = T0 + dtm.timedelta(seconds=float(det.t_s[i]))
        sets[win[i]].add(Detection(z, timestamp=stamp, measurement_model=model))
    return [(T0 + dtm.timedelta(seconds=float(tb)), s) for tb, s in zip(times, sets, strict=True)]


def run_stonesoup(loaded, scans, times):
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import ExtendedKalmanPredictor
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import ExtendedKalmanUpdater

    cfg = loaded.model.tracker

    class CountingUpdater(ExtendedKalmanUpdater):
        n_updates = 0

        def update(self, hypothesis, **kwargs):
            CountingUpdater.n_updates += 1
            return super().update(hypothesis, **kwargs)

    q = cfg.process_noise_m2ps3
    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(q)] * 3)
    predictor = ExtendedKalmanPredictor(transition)
    updater = CountingUpdater(measurement_model=None)
    gate_d = float(np.sqrt(gate_threshold(3, cfg.gate_probability)))

    def associator():
        return GNNWith2DAssignment(
            DistanceHypothesiser(predictor, updater, Mahalanobis(), missed_distance=gate_d)
        )

    v2 = cfg.initial_velocity_sigma_mps**2
    prior = GaussianState(np.zeros((6, 1)), np.diag([0.0, v2, 0.0, v2, 0.0, v2]))
    initiator = MultiMeasurementInitiator(
        prior_state=prior,
        deleter=UpdateTimeStepsDeleter(time_steps_since_update=2),
        data_associator=associator(),
        updater=updater,
        min_points=cfg.confirm_m,
    )
    tracker = MultiTargetTracker(
        initiator=initiator,
        deleter=UpdateTimeStepsDeleter(time_steps_since_update=cfg.delete_misses),
        detector=scans,
        data_associator=associator(),
        updater=updater,
    )
    CountingUpdater.n_updates = 0
    wall = 0.0
    rows: dict[str, list] = {"tid": [], "t": [], "pos": [], "vel": []}
    ids: dict[int, int] = {}
    it = iter(tracker)
    for tb in times:
        tic = time.perf_counter()
        _, tracks = next(it)
        wall += time.perf_counter() - tic
        # Snapshot (untimed): every confirmed track's latest state, extrapolated to tb below.
        for trk in tracks:
            s = trk.state
            x = np.asarray(s.state_vector, dtype=float).ravel()
            rows["tid"].append(ids.setdefault(id(trk), len(ids)))
            rows["t"].append(tb)
            dt = tb - (s.timestamp - T0).total_seconds()
            rows["pos"].append(x[[0, 2, 4]] + x[[1, 3, 5]] * dt)
            rows["vel"].append(x[[1, 3, 5]])
    n_tracks = len(ids)
    if rows["t"]:
        trk_t = np.array(rows["t"])
        trk_p = np.array(rows["pos"])
    else:
        trk_t, trk_p = np.zeros(0), np.zeros((0, 3))
    return wall, CountingUpdater.n_updates, trk_t, trk_p, n_tracks


# ----------------------------------------------------------------------------- report
def versions() -> str:
    import stonesoup

    return (
        f"gbad {gbad.__version__}, stonesoup {stonesoup.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, Python {platform.python_version()}"
    )


def source_state() -> str:
    """The commit of the tree measured, and whether src/ differs from it (read-only git)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    git = ["git", "--no-optional-locks", "-C", str(root)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "src"]).returncode != 0
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"git {head}" + (" + uncommitted changes in src/" if dirty else "")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(header: list[str], rows: list[list[str]]) -> str:
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w[i]) if i == 0 else h.rjust(w[i]) for i, h in enumerate(header))
    out = [line, "  ".join("-" * x for x in w)]
    for r in rows:
        out.append("  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)))
    return "\n".join(out)


def fmt(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def prefix(det: Detections, t_end_s: float) -> Detections:
    """The detections before t_end_s (the first scans of the same set)."""
    keep = det.t_s < t_end_s
    return dataclasses.replace(
        det, **{f.name: getattr(det, f.name)[keep] for f in dataclasses.fields(det)}
    )


def compare(args, n_targets: int, n_scans: int, ss_scans: int, label: str) -> None:
    """gbad on all n_scans; gbad and Stone Soup on the first ss_scans of the same detections."""
    loaded, truth, det, sim_s = build(n_targets, n_scans, args.seed, args.pfa, args.period)
    times = scan_ends(loaded, det)
    n_fa = int((det.truth_id < 0).sum())
    print(
        f"\n{label}: {truth.n_objects} targets, {len(times)} scans of {args.period:g} s, "
        f"{len(det):,} detections ({n_fa:,} false alarms, {n_fa / len(times):.1f} a scan), "
        f"simulated in {sim_s:.2f} s (not counted)"
    )
    rows = []

    def row(name: str, wall: float, updates: int, n_det: int, confirmed: int, g: dict):
        rows.append(
            [
                name,
                fmt(wall, 3),
                fmt(updates),
                fmt(updates / wall),
                fmt(n_det / wall),
                fmt(confirmed),
                fmt(g["gospa"], 1),
                fmt(g["gospa_late"], 1),
                fmt(g["loc_rms"], 1),
                fmt(g["missed"], 2),
                fmt(g["false"], 2),
            ]
        )

    runs = [(len(times), det)]
    ss_scans = min(ss_scans, len(times))
    if args.with_ss and ss_scans < len(times):
        runs.append((ss_scans, prefix(det, times[ss_scans - 1])))
    g_short = None
    for k, d in runs:
        tk = times[:k]
        tt, tp = truth_at(loaded, truth, tk)
        result, wall = run_gbad(loaded, d, args.repeat)
        gt, gp = gbad_samples(result, tk)
        g = gospa_mean(tt, tp, gt, gp, args.cutoff, args.late_s)
        row(
            f"gbad, {k} scans (best of {args.repeat}, warm)",
            wall,
            result.n_updates,
            len(d),
            result.n_confirmed,
            g,
        )
        g_short = (wall, result.n_updates, len(d))
    if args.with_ss:
        k, d = runs[-1]
        tk = times[:k]
        tt, tp = truth_at(loaded, truth, tk)
        tic = time.perf_counter()
        scans = stonesoup_scans(loaded, d, tk)
        prep = time.perf_counter() - tic
        s_wall, s_upd, st, sp, s_conf = run_stonesoup(loaded, scans, tk)
        g = gospa_mean(tt, tp, st, sp, args.cutoff, args.late_s)
        row(f"Stone Soup, {k} scans (1 pass)", s_wall, s_upd, len(d), s_conf, g)
    print(
        table(
            [
                "tracker",
                "wall s",
                "updates",
                "updates/s",
                "dets/s",
                "tracks confirmed",
                "GOSPA m",
                f"GOSPA m, t>{args.late_s:g}s",
                "loc RMS m",
                "missed/scan",
                "false/scan",
            ],
            rows,
        )
    )
    if args.with_ss:
        gw, gu, _ = g_short
        print(
            f"throughput ratio gbad / Stone Soup ({k} scans, same detections): "
            f"updates/s x{(gu / gw) / (s_upd / s_wall):,.0f}, dets/s x{s_wall / gw:,.0f}; "
            f"Stone Soup {s_wall / k:.2f} s a scan; its Detection objects built in {prep:.2f} s "
            "(not counted)"
        )
    print(
        f"  GOSPA: c = {args.cutoff:g} m, p = 2, alpha = 2, mean over scan ends of confirmed "
        f"tracks vs live truth (and over scan ends after {args.late_s:g} s); loc RMS = "
        "sqrt(sum of assigned d^2 / assignments); missed/false: mean count per scan ends"
    )


def scale(args) -> None:
    loaded, truth, det, sim_s = build(
        args.scale_targets, args.scale_scans, args.seed + 1, args.pfa, args.period
    )
    times = scan_ends(loaded, det)
    n_fa = int((det.truth_id < 0).sum())
    print(
        f"\nscale: gbad, {truth.n_objects:,} targets, {len(times)} scans of {args.period:g} s, "
        f"{len(det):,} detections ({n_fa:,} false alarms), simulated in {sim_s:.1f} s "
        "(not counted)"
    )
    walls: list[float] = []
    result, wall = run_gbad(loaded, det, args.repeat_scale, walls)
    tt, tp = truth_at(loaded, truth, times)
    gt, gp = gbad_samples(result, times)
    g = gospa_mean(tt, tp, gt, gp, args.cutoff, args.late_s)
    print(
        table(
            [
                "tracker",
                "targets",
                "wall s",
                "updates",
                "updates/s",
                "dets/s",
                "GOSPA m",
                f"GOSPA m, t>{args.late_s:g}s",
                "missed/scan",
                "false/scan",
            ],
            [
                [
                    f"gbad (best of {args.repeat_scale}, warm)",
                    fmt(truth.n_objects),
                    fmt(wall, 2),
                    fmt(result.n_updates),
                    fmt(result.n_updates / wall),
                    fmt(len(det) / wall),
                    fmt(g["gospa"], 1),
                    fmt(g["gospa_late"], 1),
                    fmt(g["missed"], 2),
                    fmt(g["false"], 2),
                ]
            ],
        )
    )
    median = float(np.median(walls))
    print(
        f"ms a scan: {1e3 * wall / len(times):.2f} best, {1e3 * median / len(times):.2f} median "
        f"of {len(walls)}; updates/s at the median pass: {result.n_updates / median:,.0f}"
    )
    th = _Threads.shared(numba.get_num_threads())
    cost = ", ".join(f"{w} thread(s) {1e6 * c:.2f} µs" for w, c in sorted(th.cost.items()))
    print(
        f"threads: up to {th.n}; a scan's smoothed cost per detection: {cost or 'not timed'}; "
        f"now running {th.best}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        track(loaded, det)
        prof.disable()
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(args.profile_lines)
        print(f"\ncProfile of one gbad pass at {truth.n_objects:,} targets (by own time):")
        print("\n".join(s.getvalue().splitlines()[4:]))
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(args.profile_lines)
        print("cProfile, by cumulative time:")
        print("\n".join(s.getvalue().splitlines()[4:]))


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="short runs (smoke test, ~1 min)")
    p.add_argument("--targets", type=int, default=20)
    p.add_argument("--scans", type=int, default=200)
    p.add_argument(
        "--ss-scans",
        type=int,
        default=40,
        help="Stone Soup (and gbad again) on the first this many scans of part 1 "
        "(Stone Soup takes ~5 s a scan here)",
    )
    p.add_argument("--ss-full", action="store_true", help="Stone Soup on all of part 1 (slow)")
    p.add_argument("--period", type=float, default=1.0, help="scan period (s)")
    p.add_argument("--pfa", type=float, default=3e-6, help="3e-6: ~29 false alarms a scan")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--cutoff", type=float, default=1000.0, help="GOSPA c (m)")
    p.add_argument("--late-s", type=float, default=10.0, help="GOSPA also after this time")
    p.add_argument("--repeat", type=int, default=3, help="gbad passes (best reported)")
    p.add_argument("--no-stonesoup", dest="with_ss", action="store_false")
    p.add_argument("--scale-targets", type=int, default=1000)
    p.add_argument("--scale-scans", type=int, default=100)
    p.add_argument("--repeat-scale", type=int, default=5)
    p.add_argument(
        "--ss-scale",
        action="store_true",
        help="also gbad and Stone Soup at --ss-targets targets, --ss-scale-scans scans (slow)",
    )
    p.add_argument("--ss-targets", type=int, default=100)
    p.add_argument("--ss-scale-scans", type=int, default=20)
    p.add_argument(
        "--only",
        choices=["peer", "scale", "ss-scale"],
        help="run only part 1 (peer), part 2 (scale) or the scaling peer point (ss-scale)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads the tracker may use (numba.set_num_threads; default: Numba's count);\n"
        "1 = serial. With more, the tracker times both ways and runs the faster",
    )
    p.add_argument("--profile", action="store_true", help="cProfile one gbad pass at scale")
    p.add_argument("--profile-lines", type=int, default=20)
    args = p.parse_args()
    if args.ss_full:
        args.ss_scans = args.scans
    if args.quick:
        args.scans = min(args.scans, 50)
        args.ss_scans = min(args.ss_scans, 10)
        args.scale_scans = min(args.scale_scans, 20)
        args.ss_scale_scans = min(args.ss_scale_scans, 5)
        args.repeat, args.repeat_scale = 1, 1

    if args.threads is not None:
        numba.set_num_threads(args.threads)
    print("gbad tracker benchmark")
    print("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    print(
        f"machine: {platform.platform()}, {cpu_name()}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start"
    )
    print(versions() + f"; gbad source: {source_state()}")
    print(
        "Stone Soup's angles: bearing = pi/2 - radians(az) (counter-clockwise from east), "
        "elevation = radians(el); R = diag(sigma_el, sigma_az, sigma_r)^2 in rad and m"
    )
    tic = time.perf_counter()
    if args.only in (None, "peer"):
        compare(args, args.targets, args.scans, args.ss_scans, "part 1, peer comparison")
    if args.with_ss and args.only != "scale":
        print("\nwhat differs between the two configurations:")
        for d in DIFFERENCES:
            print(f"  - {d}")
    if args.only in (None, "scale"):
        scale(args)
    if args.ss_scale or args.only == "ss-scale":
        compare(
            args, args.ss_targets, args.ss_scale_scans, args.ss_scale_scans, "scaling peer point"
        )
    print(f"\ntotal wall time of this script: {time.perf_counter() - tic:.0f} s")


if __name__ == "__main__":
    main()
