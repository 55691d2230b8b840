"""One decision's shots: launch, fly against the real object, draw the kill, assess it."""

from __future__ import annotations

import zlib

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import ecef2enu, ecef_vectors2enu
from gbad.engagement.endgame import GLINT_M
from gbad.engagement.interceptor import fly_interceptors
from gbad.engagement.targets import TargetSamples
from gbad.world.truth import Truth

ENGAGEMENT_COLUMNS = (
    "interceptor_id",
    "battery_id",
    "launcher_id",
    "track_id",
    "truth_id",
    "launch_t_s",
    "end_t_s",
    "outcome",
    "end_reason",
    "miss_distance_m",
    "kill_probability",
    "end_east_m",
    "end_north_m",
    "end_up_m",
    "predicted_time_of_flight_s",
    "target_kind",
    "station_kind",
    "missile_worked",
    "assessed",
)


def _truth_samples(truth: Truth, obj: int, origin) -> TargetSamples:
    lat0, lon0, alt0 = origin
    alive = (truth.t_grid_s >= truth.t_start_s[obj]) & (truth.t_grid_s <= truth.t_end_s[obj])
    p = truth.pos_ecef_m[obj, alive]
    v = truth.vel_ecef_mps[obj, alive]
    e, n, u = ecef2enu(p[:, 0], p[:, 1], p[:, 2], lat0, lon0, alt0)
    ve, vn, vu = ecef_vectors2enu(v[:, 0], v[:, 1], v[:, 2], lat0, lon0)
    return TargetSamples(
        truth.t_grid_s[alive], np.column_stack([e, n, u]), np.column_stack([ve, vn, vu])
    )


def _track_samples(tab: dict[str, NDArray], track: int, t_from: float) -> TargetSamples:
    m = np.flatnonzero(tab["track_id"] == track)
    t = tab["t_s"][m]
    keep = np.r_[True, np.diff(t) > 1e-6]  # status rows repeat their update's time
    m = m[keep]
    first = max(int(np.searchsorted(tab["t_s"][m], t_from, side="right")) - 1, 0)
    m = m[first:]
    return TargetSamples(
        tab["t_s"][m],
        np.column_stack([tab["east_m"][m], tab["north_m"][m], tab["up_m"][m]]),
        np.column_stack([tab["v_east_mps"][m], tab["v_north_mps"][m], tab["v_up_mps"][m]]),
    )


def _fire(
    shots, bat, ids, kinds, beta, tab, track_truth, truth, origin, t, rng_run, cfg, rows, st,
    killed_at,
) -> None:  # fmt: skip
    """Launch, fly and assess one decision's shots.

    Physics decides the outcome: the interceptor flies at the object the track follows
    (a false track leads it at nothing), its seeker sees that object's RCS and glint, the
    missile works with its reliability and kills with P_k(miss, the object's class). The
    station learns only the radar's kill assessment, which can be wrong.
    """
    launchers = bat.launchers
    launch_t = []
    for i, _, s, _ in shots:
        ln = launchers[i]
        t_l = max(t, ln.ready_s) + s * bat.interval[ln.battery]
        launch_t.append(t_l)
        ln.missiles -= 1
        ln.ready_s = t_l + bat.interval[ln.battery]
        if ln.missiles == 0 and ln.reloads > 0:
            ln.reloads -= 1
            ln.missiles = ln.capacity
            ln.ready_s = t_l + bat.reload_s[ln.battery]
    tracks = [int(ids[j]) for _, j, _, _ in shots]
    objs = [int(track_truth.get(str(k), -1)) for k in tracks]
    targets = [
        _truth_samples(truth, o - 1, origin) if o > 0 else _track_samples(tab, k, t)
        for o, k in zip(objs, tracks, strict=True)
    ]
    uplinks = [_track_samples(tab, k, t) for k in tracks]
    for (i, j, _, tof), lt, tgt, up, k, o in zip(
        shots, launch_t, targets, uplinks, tracks, objs, strict=True
    ):
        ln = launchers[i]
        prof = bat.profiles[ln.battery]
        true_kind = truth.kind[o - 1] if o > 0 else "false_track"
        rng = _shot_rng(rng_run, ln.id, k if o <= 0 else -o, lt)
        f = fly_interceptors(
            prof,
            ln.enu_m,
            lt,
            tgt,
            uplink=up,
            rng=rng,
            origin=origin,
            dt_s=0.01,
            target_rcs_m2=float(truth.rcs_m2[o - 1]) if o > 0 else None,
            target_glint_m=GLINT_M.get(true_kind, 0.0),
            target_beta_kg_m2=float(beta[j]),
        )
        miss = float(f.miss_distance_m[0])
        closest = bool(f.intercepted[0])
        worked = bool(rng.random() < prof.reliability)
        p_kill = float(prof.kill_probability(miss, true_kind)) if (closest and o > 0) else 0.0
        kill = worked and bool(rng.random() < p_kill)
        declared = bool(bat.assessment[ln.battery].declare(np.array(kill), rng))
        end_t = float(f.end_t_s[0])
        if kill and o not in killed_at:
            killed_at[o] = end_t
        st.in_flight.setdefault(k, []).append((end_t + cfg.kill_assessment_s, ln.battery, end_t))
        if declared:
            # The station learns it at the assessment time; until then it is engaged.
            at = end_t + cfg.kill_assessment_s
            st.assessed_killed[k] = min(at, st.assessed_killed.get(k, np.inf))
        end = f.end_pos_enu_m[0]
        st.n_fired += 1
        for col, val in (
            ("interceptor_id", st.n_fired),
            ("battery_id", ln.battery),
            ("launcher_id", ln.id),
            ("track_id", k),
            ("truth_id", o),
            ("launch_t_s", lt),
            ("end_t_s", end_t),
            ("outcome", "kill" if kill else "miss"),
            ("end_reason", str(f.end_reason[0])),
            ("miss_distance_m", miss),
            ("kill_probability", prof.reliability * p_kill),
            ("end_east_m", float(end[0])),
            ("end_north_m", float(end[1])),
            ("end_up_m", float(end[2])),
            ("predicted_time_of_flight_s", float(tof)),
            ("target_kind", true_kind),
            ("station_kind", str(kinds[j])),
            ("missile_worked", worked),
            ("assessed", "kill" if declared else "miss"),
        ):
            rows[col].append(val)


def _shot_rng(
    rng: np.random.Generator, launcher: str, target: int, launch_t_s: float
) -> np.random.Generator:
    """The draws of one shot (seeker noise, reliability, kill, assessment), from the run's
    seed and the shot itself: the same shot draws the same whatever else changed in the
    run, so the closed loop's passes differ only where the picture does."""
    seq = rng.bit_generator.seed_seq
    if not isinstance(seq, np.random.SeedSequence):
        return rng
    key = (zlib.crc32(launcher.encode()), target + 2**31, round(launch_t_s * 1000))
    return np.random.default_rng(
        np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, *key))
    )


def _abort_late(eng: dict[str, NDArray], killed_at: dict[int, float]) -> None:
    """An interceptor that arrives after its target was destroyed (by another, or at a track
    still coasting on a dead object): aborted, whatever its own draw said."""
    for r in range(len(eng["outcome"])):
        o = int(eng["truth_id"][r])
        if o in killed_at and eng["end_t_s"][r] > killed_at[o] + 1e-9:
            eng["outcome"][r] = "aborted"


def _engagement_table(rows: dict[str, list]) -> dict[str, NDArray]:
    text = {"battery_id", "launcher_id", "outcome", "end_reason", "target_kind", "station_kind",
            "assessed"}  # fmt: skip
    ints = {"interceptor_id", "track_id", "truth_id"}
    out = {}
    for c in ENGAGEMENT_COLUMNS:
        dtype = object if c in text else (np.int64 if c in ints else float)
        if c == "missile_worked":
            dtype = bool
        out[c] = np.array(rows[c], dtype=dtype)
    return out
