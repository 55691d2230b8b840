"""One decision's shots: launch, fly against the real object, draw the kill, assess it."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

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


@dataclass
class Shot:
    """An interceptor launched and not yet assessed."""

    interceptor_id: int
    launcher: int  # index into the batteries' launchers
    battery: str
    track_id: int
    #: The object the track follows at launch (physics; -1: a false track).
    truth_id: int
    launch_t_s: float
    predicted_time_of_flight_s: float
    station_kind: str
    beta_kg_m2: float

    @property
    def predicted_end_t_s(self) -> float:
        return self.launch_t_s + self.predicted_time_of_flight_s


def launch(shots, bat, ids, kinds, beta, t, truth_of, first_id: int, tof_at=None) -> list[Shot]:
    """One decision's shots leave their launchers: ``shots`` (launcher index, target row,
    place in the salvo, predicted time of flight); a launcher fires once per launch
    interval and reloads when empty. A shot that leaves after the decision (a ripple's
    second round, a launcher still busy) has its time of flight predicted again for its
    own launch time by ``tof_at(launcher index, target row, launch time)``."""
    out = []
    objs = truth_of(np.array([int(ids[j]) for _, j, _, _ in shots], dtype=np.int64))
    for n, ((i, j, s, tof), o) in enumerate(zip(shots, objs, strict=True)):
        ln = bat.launchers[i]
        t_l = max(t, ln.ready_s) + s * bat.interval[ln.battery]
        if tof_at is not None and t_l > t + 1e-9:
            again = tof_at(i, j, t_l)
            tof = again if np.isfinite(again) else tof
        ln.missiles -= 1
        ln.ready_s = t_l + bat.interval[ln.battery]
        if ln.missiles == 0 and ln.reloads > 0:
            ln.reloads -= 1
            ln.missiles = ln.capacity
            ln.ready_s = t_l + bat.reload_s[ln.battery]
        out.append(
            Shot(first_id + n, i, ln.battery, int(ids[j]), int(o), t_l, float(tof),
                 str(kinds[j]), float(beta[j]))
        )  # fmt: skip
    return out


#: A flown shot keeps its path every this many integration steps (0.2 s), for the report.
PATH_EVERY_STEPS = 20


def fly(shot: Shot, bat, tab: dict[str, NDArray], truth: Truth, origin, rng_run):
    """The shot's flight as far as the track is known in ``tab``: the interceptor flies at
    the object the track follows (a false track leads it at nothing), guided in midcourse
    by the track's estimates from launch on, extrapolated past the last. Returns the
    flight (its path kept every `PATH_EVERY_STEPS` steps) and the shot's own generator,
    ready for the end-game draws."""
    ln = bat.launchers[shot.launcher]
    o, k = shot.truth_id, shot.track_id
    true_kind = truth.kind[o - 1] if o > 0 else "false_track"
    rng = _shot_rng(rng_run, ln.id, k if o <= 0 else -o, shot.launch_t_s)
    target = (
        _truth_samples(truth, o - 1, origin) if o > 0 else _track_samples(tab, k, shot.launch_t_s)
    )
    f = fly_interceptors(
        bat.profiles[shot.battery],
        ln.enu_m,
        shot.launch_t_s,
        target,
        uplink=_track_samples(tab, k, shot.launch_t_s),
        rng=rng,
        origin=origin,
        dt_s=0.01,
        target_rcs_m2=float(truth.rcs_m2[o - 1]) if o > 0 else None,
        target_glint_m=GLINT_M.get(true_kind, 0.0),
        target_beta_kg_m2=shot.beta_kg_m2,
        record=True,
        record_every=PATH_EVERY_STEPS,
    )
    return f, rng


def settle(shot: Shot, flight, rng, bat, truth: Truth, kill_assessment_s: float, rows, st,
           killed_at) -> None:  # fmt: skip
    """The end game of a flown shot: the missile works with its reliability and kills with
    P_k(miss, the object's class); the station learns only the radar's kill assessment,
    which can be wrong, at the assessment time."""
    ln = bat.launchers[shot.launcher]
    prof = bat.profiles[shot.battery]
    o, k = shot.truth_id, shot.track_id
    true_kind = truth.kind[o - 1] if o > 0 else "false_track"
    miss = float(flight.miss_distance_m[0])
    closest = bool(flight.intercepted[0])
    worked = bool(rng.random() < prof.reliability)
    p_kill = float(prof.kill_probability(miss, true_kind)) if (closest and o > 0) else 0.0
    kill = worked and bool(rng.random() < p_kill)
    declared = bool(bat.assessment[shot.battery].declare(np.array(kill), rng))
    end_t = float(flight.end_t_s[0])
    if kill and o not in killed_at:
        killed_at[o] = end_t
    st.land(shot.interceptor_id, k, end_t + kill_assessment_s, end_t, declared)
    end = flight.end_pos_enu_m[0]
    for col, val in (
        ("interceptor_id", shot.interceptor_id),
        ("battery_id", shot.battery),
        ("launcher_id", ln.id),
        ("track_id", k),
        ("truth_id", o),
        ("launch_t_s", shot.launch_t_s),
        ("end_t_s", end_t),
        ("outcome", "kill" if kill else "miss"),
        ("end_reason", str(flight.end_reason[0])),
        ("miss_distance_m", miss),
        ("kill_probability", prof.reliability * p_kill),
        ("end_east_m", float(end[0])),
        ("end_north_m", float(end[1])),
        ("end_up_m", float(end[2])),
        ("predicted_time_of_flight_s", shot.predicted_time_of_flight_s),
        ("target_kind", true_kind),
        ("station_kind", shot.station_kind),
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
    """The engagement rows as columns, in order of interceptor (shots settle out of order)."""
    text = {"battery_id", "launcher_id", "outcome", "end_reason", "target_kind", "station_kind",
            "assessed"}  # fmt: skip
    ints = {"interceptor_id", "track_id", "truth_id"}
    out = {}
    for c in ENGAGEMENT_COLUMNS:
        dtype = object if c in text else (np.int64 if c in ints else float)
        if c == "missile_worked":
            dtype = bool
        out[c] = np.array(rows[c], dtype=dtype)
    order = np.argsort(out["interceptor_id"], kind="stable")
    return {c: v[order] for c, v in out.items()}
