"""The engagement control station's loop: threat evaluation, assignment, launches, kill assessment.

Every ``decision_interval_s`` the station takes the air picture as it stands then
(each confirmed track's latest estimate, extrapolated to now — never truth), ranks
the threats (:mod:`.threat`), and assigns the ready launchers' interceptors to
them (:mod:`.wta`, the static objective with the threat values). A pair is
feasible when the predicted intercept point lies inside the interceptor's
envelope (:func:`.prediction.predict_intercept`) and the battery's reaction time
has passed since the track was confirmed. Doctrine: ``shoot-look-shoot`` fires
one interceptor, waits for the radar's kill assessment (``kill_assessment_s``
after the intercept) and engages again on a miss; ``salvo-2`` fires two, one
launch interval apart. A launcher fires at most one interceptor per launch
interval, holds ``missiles`` and reloads after ``reload_s`` when it has reloads.

The interceptor flies (:func:`.interceptor.fly_interceptors`) against the real
object the track follows, guided in midcourse by the track's own estimates (the
uplink) and at the end by its seeker; the kill is drawn from the miss distance
with the run's generator. Physics may look at truth; the station may not: it
learns of a kill only through the kill assessment.

Modelling limits: sensing is open loop — detections were simulated before the
engagement, so a killed object's later detections are dropped from the picture
only through the station's own kill assessment (its track is no longer engaged),
and the multifunction radar's schedule (:mod:`.mfr`) is booked, not fed back into
its detections.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import ecef2enu, ecef_vectors2enu
from gbad.engagement.interceptor import fly_interceptors
from gbad.engagement.mfr import MfrBudget, book_frame
from gbad.engagement.prediction import predict_intercept
from gbad.engagement.profiles import interceptor_profile
from gbad.engagement.targets import TargetSamples
from gbad.engagement.threat import ENGAGEABLE, Assets, evaluate
from gbad.engagement.wta import assign, shots_per_target_cap
from gbad.world.truth import Truth

Array = NDArray[np.float64]

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
)
#: The vertical acceleration of a track is taken over about this much of its history (s).
ACC_WINDOW_S = 8.0
#: Decisions at which a track must look like free flight before it is taken for a round.
FREE_FLIGHT_VOTES = 3
#: A track not updated for this long is not engaged (s).
STALE_TRACK_S = 10.0
#: Threats whose value is below this share of the top asset value are not engaged.
MIN_THREAT_SHARE = 0.05


@dataclass(frozen=True)
class ControlConfig:
    decision_interval_s: float = 1.0
    kill_assessment_s: float = 2.0
    uplink_rate_hz: float = 1.0


@dataclass
class _Launcher:
    battery: str
    id: str
    enu_m: Array
    missiles: int
    reloads: int
    capacity: int
    ready_s: float = 0.0


@dataclass
class EngagementResult:
    engagements: dict[str, NDArray]
    threats: dict[str, NDArray]
    occupancy: dict[str, NDArray]
    killed_at: dict[int, float]
    summary: dict[str, Any] = field(default_factory=dict)


def _track_table(rows: dict[str, NDArray]) -> dict[str, NDArray]:
    """Track rows sorted by (track, time), states only (status rows carry a state too)."""
    order = np.lexsort((rows["t_s"], rows["track_id"]))
    return {k: np.asarray(v)[order] for k, v in rows.items()}


def _picture(tab: dict[str, NDArray], first_confirm: dict[int, float], t: float):
    """Each live confirmed track's latest state extrapolated to t, and its vertical
    acceleration over the last few seconds of its own estimates: (ids, pos, vel, acc_up)."""
    tid = tab["track_id"]
    before = tab["t_s"] <= t
    if not np.any(before):
        z = np.zeros((0, 3))
        return np.zeros(0, dtype=np.int64), z, z, np.zeros(0)
    idx = np.flatnonzero(before)
    # The last row ≤ t of each track.
    last = idx[np.r_[tid[idx][1:] != tid[idx][:-1], True]]
    ok = (
        (tab["status"][last] != "deleted")
        & (t - tab["t_s"][last] <= STALE_TRACK_S)
        & np.array([first_confirm.get(int(k), np.inf) <= t for k in tid[last]], dtype=bool)
    )
    last = last[ok]
    dt = t - tab["t_s"][last]
    pos = np.column_stack([tab["east_m"][last], tab["north_m"][last], tab["up_m"][last]])
    vel = np.column_stack(
        [tab["v_east_mps"][last], tab["v_north_mps"][last], tab["v_up_mps"][last]]
    )
    # The same track's estimate about ACC_WINDOW_S earlier (rows are sorted by track, time).
    key = tid.astype(float) * 1e7 + tab["t_s"]
    back = np.searchsorted(key, tid[last] * 1e7 + tab["t_s"][last] - ACC_WINDOW_S, side="right")
    back = np.clip(back, 0, len(key) - 1)
    same = (tid[back] == tid[last]) & (tab["t_s"][last] - tab["t_s"][back] > 1.0)
    span = np.where(same, tab["t_s"][last] - tab["t_s"][back], np.nan)
    acc_up = (tab["v_up_mps"][last] - tab["v_up_mps"][back]) / span
    return tid[last].astype(np.int64), pos + vel * dt[:, None], vel, acc_up


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


def run_engagements(
    model,
    track_rows: dict[str, NDArray],
    track_truth: dict[str, int],
    truth: Truth,
    rng: np.random.Generator,
    config: ControlConfig | None = None,
    cues: dict[str, NDArray] | None = None,
) -> EngagementResult:
    """Run every battery of the scenario over the air picture; see the module doc.

    ``cues``: the locator's solutions (`locates.parquet` columns). A track flying where
    a located round is at that moment is that round, not an air target.
    """
    cfg = config or ControlConfig()
    hdr = model.scenario
    o = hdr.origin
    origin = (o.lat_deg, o.lon_deg, o.alt_m)
    assets = scenario_assets(model)
    tab = _track_table(track_rows)
    first_confirm: dict[int, float] = {}
    conf = tab["status"] == "confirmed"
    for k, t in zip(tab["track_id"][conf], tab["t_s"][conf], strict=True):
        first_confirm.setdefault(int(k), float(t))
    launchers, profiles, doctrine, reaction, interval, reload_s = _batteries(model, origin)

    rows: dict[str, list] = {c: [] for c in ENGAGEMENT_COLUMNS}
    threat_rows: dict[str, list] = {
        c: [] for c in ("t_s", "track_id", "rank", "value", "kind", "time_to_asset_s")
    }
    in_flight: dict[int, list[float]] = {}  # track -> assessment times of its interceptors
    assessed_killed: set[int] = set()
    votes: dict[int, int] = {}
    missile: set[int] = set()
    killed_at: dict[int, float] = {}
    budget = MfrBudget()
    occ: dict[str, list] = {}
    n_fired = 0
    for t in np.arange(0.0, hdr.duration_s, cfg.decision_interval_s):
        ids, pos, vel, acc_up = _picture(tab, first_confirm, float(t))
        for k in list(in_flight):
            in_flight[k] = [a for a in in_flight[k] if a > t]
            if not in_flight[k]:
                del in_flight[k]
        live = np.array([int(k) not in assessed_killed for k in ids], dtype=bool)
        ids, pos, vel, acc_up = ids[live], pos[live], vel[live], acc_up[live]
        _book(occ, book_frame(budget, float(t), pos, vel, ids, set(in_flight), assets))
        if ids.size == 0 or not launchers:
            continue
        tp = evaluate(pos, vel, assets, acc_up)
        # A track seen in free flight at FREE_FLIGHT_VOTES decisions stays a round (and
        # one once seen as a ballistic missile stays one): its estimated acceleration is
        # noisy, and a shell near its apex flies as level as an aircraft.
        for k, kind in zip(ids, tp.kind, strict=True):
            if kind in ("artillery", "ballistic"):
                votes[int(k)] = votes.get(int(k), 0) + 1
            if kind == "ballistic":
                missile.add(int(k))
        sticky = np.array([votes.get(int(k), 0) >= FREE_FLIGHT_VOTES for k in ids], dtype=bool)
        tp.kind[sticky & (tp.kind != "ballistic")] = "artillery"
        if cues is not None:
            tp.kind[_cued_rounds(cues, float(t), pos) & (tp.kind != "ballistic")] = "artillery"
        tp.kind[np.isin(ids, list(missile))] = "ballistic"
        for r in tp.order[:20]:
            threat_rows["t_s"].append(float(t))
            threat_rows["track_id"].append(int(ids[r]))
            threat_rows["rank"].append(int(tp.rank[r]))
            threat_rows["value"].append(float(tp.value[r]))
            threat_rows["kind"].append(str(tp.kind[r]))
            threat_rows["time_to_asset_s"].append(float(tp.time_to_asset_s[r].min()))
        worth = (tp.value >= MIN_THREAT_SHARE * assets.value.max()) & np.isin(tp.kind, ENGAGEABLE)
        free = np.array([int(k) not in in_flight for k in ids], dtype=bool)
        targets = np.flatnonzero(worth & free)
        ready = [i for i, ln in enumerate(launchers) if ln.missiles > 0 and ln.ready_s <= t]
        if targets.size == 0 or not ready:
            continue
        # Every (ready launcher, target) pair in one prediction per battery.
        pk = np.zeros((len(ready), targets.size))
        tof = np.full((len(ready), targets.size), np.nan)
        for battery in {launchers[i].battery for i in ready}:
            mine = [a for a, i in enumerate(ready) if launchers[i].battery == battery]
            prof = profiles[battery]
            lau = np.repeat(np.stack([launchers[ready[a]].enu_m for a in mine]), targets.size, 0)
            pip = predict_intercept(
                prof,
                lau,
                np.tile(pos[targets], (len(mine), 1)),
                np.tile(vel[targets], (len(mine), 1)),
                origin=origin,
                margin_m=1000.0,
            )
            reacted = np.array(
                [first_confirm[int(ids[j])] + reaction[battery] <= t for j in targets]
            )
            ok = pip.inside.reshape(len(mine), -1) & reacted[None, :]
            pk[mine] = np.where(ok, prof.pk_max, 0.0)
            tof[mine] = pip.time_of_flight_s.reshape(len(mine), -1)
        if not np.any(pk > 0):
            continue
        cap = np.array([shots_per_target_cap(doctrine[launchers[ready[0]].battery])] * targets.size)
        inventory = np.array([min(launchers[i].missiles, 2) for i in ready])
        plan = assign(tp.value[targets], pk, inventory, cap=cap, feasible=pk > 0)
        shots = []
        for a, b in zip(*np.nonzero(plan.shots), strict=True):
            for s in range(int(plan.shots[a, b])):
                shots.append((ready[a], targets[b], s, tof[a, b]))
        if not shots:
            continue
        n_fired += _fire(
            shots, launchers, profiles, interval, reload_s, ids, tab, track_truth, truth,
            origin, float(t), rng, cfg, rows, in_flight, assessed_killed, killed_at, n_fired,
        )  # fmt: skip
    engagements = _engagement_table(rows)
    _abort_late(engagements, killed_at)
    threats = {
        "t_s": np.array(threat_rows["t_s"], dtype=float),
        "track_id": np.array(threat_rows["track_id"], dtype=np.int64),
        "rank": np.array(threat_rows["rank"], dtype=np.int64),
        "value": np.array(threat_rows["value"], dtype=float),
        "kind": np.array(threat_rows["kind"], dtype=object),
        "time_to_asset_s": np.array(threat_rows["time_to_asset_s"], dtype=float),
    }
    occupancy = {k: np.array(v) for k, v in occ.items()}
    return EngagementResult(engagements, threats, occupancy, killed_at)


#: A track within this distance (m, horizontal) of a located round's path is that round.
CUE_GATE_M = 1500.0


def _cued_rounds(cues: dict[str, NDArray], t: float, pos: Array) -> NDArray[np.bool_]:
    """Tracks that are rounds the weapon-locating radar has located by time t.

    The round's place at t is taken on the straight line from its point of origin to
    its point of impact, at the share of its flight time gone: its horizontal speed
    changes slowly, so the error is far below the gate.
    """
    ok = cues["located"] & (cues["t_s"] <= t) & (cues["predicted_impact_t_s"] > t)
    if not np.any(ok) or len(pos) == 0:
        return np.zeros(len(pos), dtype=bool)
    t0 = cues["launch_t_s"][ok]
    t1 = cues["predicted_impact_t_s"][ok]
    f = np.clip((t - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)
    e = cues["poo_east_m"][ok] + f * (cues["poi_east_m"][ok] - cues["poo_east_m"][ok])
    n = cues["poo_north_m"][ok] + f * (cues["poi_north_m"][ok] - cues["poo_north_m"][ok])
    d = np.hypot(pos[:, None, 0] - e[None], pos[:, None, 1] - n[None])
    return np.any(d <= CUE_GATE_M, axis=1)


def _book(occ: dict[str, list], frame: dict[str, float]) -> None:
    for k, v in frame.items():
        occ.setdefault(k, []).append(v)


def _fire(
    shots, launchers, profiles, interval, reload_s, ids, tab, track_truth, truth, origin, t,
    rng, cfg, rows, in_flight, assessed_killed, killed_at, n_fired,
) -> int:  # fmt: skip
    """Launch, fly and assess one decision's shots; returns how many were fired."""
    launch_t = []
    for i, _, s, _ in shots:
        ln = launchers[i]
        t_l = max(t, ln.ready_s) + s * interval[ln.battery]
        launch_t.append(t_l)
        ln.missiles -= 1
        ln.ready_s = t_l + interval[ln.battery]
        if ln.missiles == 0 and ln.reloads > 0:
            ln.reloads -= 1
            ln.missiles = ln.capacity
            ln.ready_s = t_l + reload_s[ln.battery]
    m = len(shots)
    tracks = [int(ids[j]) for _, j, _, _ in shots]
    objs = [int(track_truth.get(str(k), -1)) for k in tracks]
    # The interceptor flies at what is really there; a false track leads it at nothing.
    targets = [
        _truth_samples(truth, o - 1, origin) if o > 0 else _track_samples(tab, k, t)
        for o, k in zip(objs, tracks, strict=True)
    ]
    uplinks = [_track_samples(tab, k, t) for k in tracks]
    fly = [
        fly_interceptors(
            profiles[launchers[i].battery],
            launchers[i].enu_m,
            lt,
            tgt,
            uplink=up,
            rng=rng,
            origin=origin,
            dt_s=0.01,
        )
        for (i, _, _, _), lt, tgt, up in zip(shots, launch_t, targets, uplinks, strict=True)
    ]
    for n, ((i, _, _, tof), lt, f, k, o) in enumerate(
        zip(shots, launch_t, fly, tracks, objs, strict=True)
    ):
        ln = launchers[i]
        prof = profiles[ln.battery]
        miss = float(f.miss_distance_m[0])
        closest = bool(f.intercepted[0])
        p_kill = float(prof.kill_probability(miss)) if (closest and o > 0) else 0.0
        kill = bool(rng.random() < p_kill)
        end_t = float(f.end_t_s[0])
        if kill and o > 0 and o not in killed_at:
            killed_at[o] = end_t
        outcome = "kill" if kill else "miss"
        in_flight.setdefault(k, []).append(end_t + cfg.kill_assessment_s)
        if kill:
            # The station learns it at the assessment time; until then the track is
            # held as engaged (in_flight), so marking it now changes nothing sooner.
            assessed_killed.add(k)
        end = f.end_pos_enu_m[0]
        for col, val in (
            ("interceptor_id", n_fired + n + 1),
            ("battery_id", ln.battery),
            ("launcher_id", ln.id),
            ("track_id", k),
            ("truth_id", o),
            ("launch_t_s", lt),
            ("end_t_s", end_t),
            ("outcome", outcome),
            ("end_reason", str(f.end_reason[0])),
            ("miss_distance_m", miss),
            ("kill_probability", p_kill),
            ("end_east_m", float(end[0])),
            ("end_north_m", float(end[1])),
            ("end_up_m", float(end[2])),
            ("predicted_time_of_flight_s", float(tof)),
        ):
            rows[col].append(val)
    return m


def _abort_late(eng: dict[str, NDArray], killed_at: dict[int, float]) -> None:
    """An interceptor that arrives after its target was destroyed by another: aborted."""
    for r in range(len(eng["outcome"])):
        o = int(eng["truth_id"][r])
        if (
            o in killed_at
            and eng["end_t_s"][r] > killed_at[o] + 1e-9
            and eng["outcome"][r] != "kill"
        ):
            eng["outcome"][r] = "aborted"


def _engagement_table(rows: dict[str, list]) -> dict[str, NDArray]:
    text = {"battery_id", "launcher_id", "outcome", "end_reason"}
    ints = {"interceptor_id", "track_id", "truth_id"}
    out = {}
    for c in ENGAGEMENT_COLUMNS:
        dtype = object if c in text else (np.int64 if c in ints else float)
        out[c] = np.array(rows[c], dtype=dtype)
    return out


def scenario_assets(model) -> Assets:
    """The scenario's defended assets in its ENU frame."""
    from gbad.earth.wgs84 import geodetic2enu

    o = model.scenario.origin
    enu, radius, value, ids = [], [], [], []
    for a in model.assets:
        lat, lon, alt = a.position.to_geodetic(o)
        enu.append(geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m))
        radius.append(a.radius_m)
        value.append(a.value)
        ids.append(a.id)
    return Assets(tuple(ids), np.array(enu, dtype=float).reshape(-1, 3),
                  np.array(radius, dtype=float), np.array(value, dtype=float))  # fmt: skip


def with_peak_speed(profile, speed_mps: float):
    """The profile with both motors' thrust scaled so its nominal peak speed is ``speed_mps``.

    The peak is the fastest point of the profile's own straight flights (every path
    elevation of :func:`.prediction.speed_profile`); the scale is found by bisection.
    """
    from gbad.engagement.prediction import speed_profile

    def peak(k: float) -> float:
        p = replace(
            profile,
            boost_thrust_n=profile.boost_thrust_n * k,
            sustain_thrust_n=profile.sustain_thrust_n * k,
        )
        return float(np.max(speed_profile(p).speed_mps)), p

    lo, hi = 0.05, 4.0
    f_lo, f_hi = peak(lo)[0] - speed_mps, peak(hi)[0] - speed_mps
    if f_lo > 0 or f_hi < 0:
        raise ValueError(
            f"interceptor speed_mps {speed_mps:g} is out of reach of {profile.name!r} "
            f"by thrust scaling ({f_lo + speed_mps:.0f}-{f_hi + speed_mps:.0f} m/s)"
        )
    # Illinois regula falsi: the peak speed is smooth and monotone in the scale.
    side = 0
    for _ in range(30):
        k = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        f_k, p_k = peak(k)
        f_k -= speed_mps
        if abs(f_k) < 0.1:
            return p_k
        if f_k < 0:
            lo, f_lo = k, f_k
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            hi, f_hi = k, f_k
            if side == 1:
                f_lo *= 0.5
            side = 1
    return p_k


def _batteries(model, origin):
    from gbad.earth.wgs84 import geodetic2enu

    o = model.scenario.origin
    launchers: list[_Launcher] = []
    profiles, doctrine, reaction, interval, reload_s = {}, {}, {}, {}, {}
    for b in model.batteries:
        spec = b.interceptor
        if isinstance(spec, str):
            prof = interceptor_profile(spec)
        else:
            prof = interceptor_profile(spec.base)
            over = {}
            if spec.range_max_m is not None:
                over["max_range_m"] = spec.range_max_m
            if spec.altitude_max_m is not None:
                over["max_altitude_m"] = spec.altitude_max_m
            prof = replace(prof, **over)
            if spec.speed_mps is not None:
                prof = with_peak_speed(prof, spec.speed_mps)
        profiles[b.id] = prof
        doctrine[b.id] = b.doctrine
        reaction[b.id] = b.reaction_time_s
        interval[b.id] = b.launch_interval_s
        reload_s[b.id] = b.reload_s
        for ln in b.launchers:
            lat, lon, alt = ln.position.to_geodetic(o)
            enu = np.array(geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m))
            launchers.append(_Launcher(b.id, ln.id, enu, ln.missiles, b.reloads, ln.missiles))
    return launchers, profiles, doctrine, reaction, interval, reload_s
