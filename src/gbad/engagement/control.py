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

import zlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import ecef2enu, ecef_vectors2enu
from gbad.engagement.endgame import (
    CLASS_OF_KIND,
    GLINT_M,
    NOMINAL_RCS_M2,
    KillAssessment,
    estimate_beta,
)
from gbad.engagement.interceptor import fly_interceptors
from gbad.engagement.mfr import MfrBudget, book_frame, dwell_times
from gbad.engagement.prediction import predict_intercept
from gbad.engagement.profiles import interceptor_profile
from gbad.engagement.targets import TargetSamples
from gbad.engagement.threat import ENGAGEABLE, Assets, KindMemory, evaluate
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
    "target_kind",
    "station_kind",
    "missile_worked",
    "assessed",
)
#: The vertical acceleration of a track is taken over about this much of its history (s).
ACC_WINDOW_S = 8.0
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
    #: Engagements the assignment wanted but no fire-control channel was free for.
    queued: dict[str, NDArray] = field(default_factory=dict)
    #: The multifunction radars' booked track dwells (`DWELL_COLUMNS`), one row a dwell.
    dwells: dict[str, NDArray] = field(default_factory=dict)


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
        return np.zeros(0, dtype=np.int64), z, z, np.zeros(0), np.zeros(0)
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
    # A tentative track's first velocities are guesses: differences start at confirmation.
    confirmed_at = np.array([first_confirm.get(int(k), np.inf) for k in tid[last]])
    same = (
        (tid[back] == tid[last])
        & (tab["t_s"][last] - tab["t_s"][back] > 1.0)
        & (tab["t_s"][back] >= confirmed_at)
    )
    span = np.where(same, tab["t_s"][last] - tab["t_s"][back], np.nan)
    acc_up = (tab["v_up_mps"][last] - tab["v_up_mps"][back]) / span
    vel_back = np.column_stack(
        [tab["v_east_mps"][back], tab["v_north_mps"][back], tab["v_up_mps"][back]]
    )
    acc_along = (np.linalg.norm(vel, axis=1) - np.linalg.norm(vel_back, axis=1)) / span
    return tid[last].astype(np.int64), pos + vel * dt[:, None], vel, acc_up, acc_along


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
    a round located for good (a final, confident solution) is at that moment is that
    round, not an air target.
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
    bat = _batteries(model, origin)
    launchers = bat.launchers

    rows: dict[str, list] = {c: [] for c in ENGAGEMENT_COLUMNS}
    threat_rows: dict[str, list] = {
        c: [] for c in ("t_s", "track_id", "rank", "value", "kind", "time_to_asset_s")
    }
    queued: dict[str, list] = {c: [] for c in ("t_s", "battery_id", "track_id")}
    st = _StationState()
    kinds = KindMemory()
    killed_at: dict[int, float] = {}
    budget = MfrBudget()
    occ: dict[str, list] = {}
    dwells: dict[str, list] = {c: [] for c in DWELL_COLUMNS}
    engageable = ENGAGEABLE + (("artillery",) if any(bat.engage_rounds.values()) else ())
    for t in np.arange(0.0, hdr.duration_s, cfg.decision_interval_s):
        ids, pos, vel, acc_up, acc_along = _picture(tab, first_confirm, float(t))
        st.expire(float(t))
        live = np.array([st.assessed_killed.get(int(k), np.inf) > t for k in ids], dtype=bool)
        ids, pos, vel = ids[live], pos[live], vel[live]
        acc_up, acc_along = acc_up[live], acc_along[live]
        targets = np.zeros(0, dtype=np.intp)
        if ids.size and launchers:
            kind = kinds.update(ids, pos, vel, acc_up)
            if cues is not None:
                kind[_cued_rounds(cues, float(t), pos) & (kind != "ballistic")] = "artillery"
            tp = evaluate(pos, vel, assets, kind=kind)
            for r in tp.order[:20]:
                threat_rows["t_s"].append(float(t))
                threat_rows["track_id"].append(int(ids[r]))
                threat_rows["rank"].append(int(tp.rank[r]))
                threat_rows["value"].append(float(tp.value[r]))
                threat_rows["kind"].append(str(tp.kind[r]))
                threat_rows["time_to_asset_s"].append(float(tp.time_to_asset_s[r].min()))
            worth = (tp.value >= MIN_THREAT_SHARE * assets.value.max()) & np.isin(
                tp.kind, engageable
            )
            candidate = worth & kinds.settled(ids)
            free = np.array([int(k) not in st.in_flight for k in ids], dtype=bool)
            targets = np.flatnonzero(candidate & free)
        else:
            candidate = np.zeros(len(ids), dtype=bool)
        _book_dwells(
            budget, float(t), cfg.decision_interval_s, ids, pos, vel, candidate, st, bat,
            track_truth, assets, occ, dwells,
        )  # fmt: skip
        if targets.size == 0:
            continue
        ready = [i for i, ln in enumerate(launchers) if ln.missiles > 0 and ln.ready_s <= t]
        if not ready:
            continue
        speed = np.linalg.norm(vel[targets], axis=1)
        beta = np.where(
            tp.kind[targets] == "ballistic",
            estimate_beta(speed, vel[targets, 2], acc_along[targets], pos[targets, 2]),
            np.inf,
        )
        rcs = np.array([NOMINAL_RCS_M2[str(k)] for k in tp.kind[targets]])
        # Every (ready launcher, target) pair in one prediction per battery.
        pk = np.zeros((len(ready), targets.size))
        tof = np.full((len(ready), targets.size), np.nan)
        for battery in {launchers[i].battery for i in ready}:
            mine = [a for a, i in enumerate(ready) if launchers[i].battery == battery]
            prof = bat.profiles[battery]
            lau = np.repeat(np.stack([launchers[ready[a]].enu_m for a in mine]), targets.size, 0)
            pip = predict_intercept(
                prof,
                lau,
                np.tile(pos[targets], (len(mine), 1)),
                np.tile(vel[targets], (len(mine), 1)),
                target_beta_kg_m2=np.tile(beta, len(mine)),
                target_rcs_m2=np.tile(rcs, len(mine)),
                origin=origin,
                margin_m=1000.0,
            )
            reacted = np.array(
                [first_confirm[int(ids[j])] + bat.reaction[battery] <= t for j in targets]
            )
            allowed = bat.engage_rounds[battery] | (tp.kind[targets] != "artillery")
            plan_pk = np.array([prof.planning_pk(CLASS_OF_KIND[str(k)]) for k in tp.kind[targets]])
            ok = pip.inside.reshape(len(mine), -1) & (reacted & allowed)[None, :]
            pk[mine] = np.where(ok, plan_pk[None, :], 0.0)
            tof[mine] = pip.time_of_flight_s.reshape(len(mine), -1)
        if not np.any(pk > 0):
            continue
        lead = launchers[ready[0]].battery
        cap = np.array(
            [shots_per_target_cap(bat.doctrine_for(lead, str(k))) for k in tp.kind[targets]]
        )
        inventory = np.array([min(launchers[i].missiles, 2) for i in ready])
        plan = assign(tp.value[targets], pk, inventory, cap=cap, feasible=pk > 0)
        # Each battery guides at most its fire-control channels at once; the most valuable
        # targets get them, the rest wait in the queue for the next decision.
        busy = st.channels_busy(float(t))
        shots = []
        for b in np.argsort(-tp.value[targets], kind="stable"):
            for a in np.flatnonzero(plan.shots[:, b]):
                battery = launchers[ready[a]].battery
                for s in range(int(plan.shots[a, b])):
                    if busy.get(battery, 0) >= bat.channels[battery]:
                        queued["t_s"].append(float(t))
                        queued["battery_id"].append(battery)
                        queued["track_id"].append(int(ids[targets[b]]))
                        break
                    busy[battery] = busy.get(battery, 0) + 1
                    shots.append((ready[a], targets[b], s, tof[a, b]))
        if not shots:
            continue
        beta_of_row = np.full(len(ids), np.inf)
        beta_of_row[targets] = beta
        _fire(shots, bat, ids, tp.kind, beta_of_row, tab, track_truth, truth,
              origin, float(t), rng, cfg, rows, st, killed_at)  # fmt: skip
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
    result = EngagementResult(engagements, threats, occupancy, killed_at)
    result.dwells = {
        c: np.array(v, dtype=object if c == "radar_id" else None) for c, v in dwells.items()
    }
    for c in ("track_id", "truth_id"):
        result.dwells[c] = result.dwells[c].astype(np.int64)
    for c in ("t_s", "rate_hz"):
        result.dwells[c] = result.dwells[c].astype(float)
    result.dwells["engaged"] = result.dwells["engaged"].astype(bool)
    result.queued = {
        "t_s": np.array(queued["t_s"], dtype=float),
        "battery_id": np.array(queued["battery_id"], dtype=object),
        "track_id": np.array(queued["track_id"], dtype=np.int64),
    }
    return result


@dataclass
class _StationState:
    """What the station believes and has in the air."""

    #: track -> [(time its interceptor's outcome is assessed, battery, end of guidance)]
    in_flight: dict[int, list[tuple[float, str, float]]] = field(default_factory=dict)
    #: track -> when the station declared it killed
    assessed_killed: dict[int, float] = field(default_factory=dict)
    n_fired: int = 0

    def expire(self, t: float) -> None:
        for k in list(self.in_flight):
            self.in_flight[k] = [x for x in self.in_flight[k] if x[0] > t]
            if not self.in_flight[k]:
                del self.in_flight[k]

    def channels_busy(self, t: float) -> dict[str, int]:
        """Interceptors each battery is guiding at t (an uplink channel each)."""
        busy: dict[str, int] = {}
        for shots in self.in_flight.values():
            for _, battery, end_t in shots:
                if end_t > t:
                    busy[battery] = busy.get(battery, 0) + 1
        return busy


#: A track within this distance (m, horizontal) of a located round's path is that round.
CUE_GATE_M = 1500.0
#: A locate cues the station only when its impact point is this sure (CEP, m) [nominal].
CUE_MAX_POI_CEP_M = 500.0


def _cued_rounds(cues: dict[str, NDArray], t: float, pos: Array) -> NDArray[np.bool_]:
    """Tracks that are rounds the weapon-locating radar has located for good by time t.

    The round's place at t is taken on the straight line from its point of origin to
    its point of impact, at the share of its flight time gone: its horizontal speed
    changes slowly, so the error is far below the gate.
    """
    # Only final solutions that are sure of the impact: an interim solution on three
    # dwells of a slow aircraft can look like a round.
    ok = (
        cues["located"]
        & cues["final"]
        & (cues["poi_cep_m"] <= CUE_MAX_POI_CEP_M)
        & (cues["t_s"] <= t)
        & (cues["predicted_impact_t_s"] > t)
    )
    if not np.any(ok) or len(pos) == 0:
        return np.zeros(len(pos), dtype=bool)
    t0 = cues["launch_t_s"][ok]
    t1 = cues["predicted_impact_t_s"][ok]
    f = np.clip((t - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)
    e = cues["poo_east_m"][ok] + f * (cues["poi_east_m"][ok] - cues["poo_east_m"][ok])
    n = cues["poo_north_m"][ok] + f * (cues["poi_north_m"][ok] - cues["poo_north_m"][ok])
    d = np.hypot(pos[:, None, 0] - e[None], pos[:, None, 1] - n[None])
    return np.any(d <= CUE_GATE_M, axis=1)


#: A booked track dwell: when, for which track, on which radar, at what revisit rate;
#: ``truth_id`` is the object the track follows (where the beam will find it).
DWELL_COLUMNS = ("t_s", "track_id", "truth_id", "radar_id", "rate_hz", "engaged")


def _book_dwells(
    budget, t, interval, ids, pos, vel, candidate, st, bat, track_truth, assets, occ, dwells
) -> None:
    """Book one decision's radar time; tracks under engagement and the candidate targets
    get track dwells at their booked rates (the others are left to the search)."""
    engaged = np.array([int(k) in st.in_flight for k in ids], dtype=bool)
    frame, rate = book_frame(budget, t, pos, vel, ids, set(st.in_flight), assets)
    row, t_dwell = dwell_times(t, interval, np.where(engaged | candidate, rate, 0.0))
    frame["track_dwells"] = row.size
    for k, v in frame.items():
        occ.setdefault(k, []).append(v)
    default_radar = next(iter(bat.radar.values()), "")
    for r, td in zip(row, t_dwell, strict=True):
        k = int(ids[r])
        guiding = st.in_flight.get(k)
        dwells["t_s"].append(float(td))
        dwells["track_id"].append(k)
        dwells["truth_id"].append(int(track_truth.get(str(k), -1)))
        dwells["radar_id"].append(bat.radar[guiding[0][1]] if guiding else default_radar)
        dwells["rate_hz"].append(float(rate[r]))
        dwells["engaged"].append(bool(engaged[r]))


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


@dataclass
class _Batteries:
    """Every battery's launchers and settings, by battery id."""

    launchers: list[_Launcher] = field(default_factory=list)
    profiles: dict[str, Any] = field(default_factory=dict)
    doctrine: dict[str, Any] = field(default_factory=dict)
    reaction: dict[str, float] = field(default_factory=dict)
    interval: dict[str, float] = field(default_factory=dict)
    reload_s: dict[str, float] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    radar: dict[str, str] = field(default_factory=dict)
    engage_rounds: dict[str, bool] = field(default_factory=dict)
    assessment: dict[str, KillAssessment] = field(default_factory=dict)

    def doctrine_for(self, battery: str, kind: str) -> str:
        """The battery's doctrine against a track of the station's kind."""
        d = self.doctrine[battery]
        return d if isinstance(d, str) else getattr(d, kind)


def _batteries(model, origin) -> _Batteries:
    from gbad.earth.wgs84 import geodetic2enu

    o = model.scenario.origin
    out = _Batteries()
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
        out.profiles[b.id] = prof
        out.doctrine[b.id] = b.doctrine
        out.reaction[b.id] = b.reaction_time_s
        out.interval[b.id] = b.launch_interval_s
        out.reload_s[b.id] = b.reload_s
        out.channels[b.id] = b.fire_control_channels
        out.radar[b.id] = b.radar
        out.engage_rounds[b.id] = b.engage_rounds
        ka = b.kill_assessment
        out.assessment[b.id] = KillAssessment(ka.p_false_kill, ka.p_missed_kill)
        for ln in b.launchers:
            lat, lon, alt = ln.position.to_geodetic(o)
            enu = np.array(geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m))
            out.launchers.append(_Launcher(b.id, ln.id, enu, ln.missiles, b.reloads, ln.missiles))
    return out
