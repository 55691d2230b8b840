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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.engagement.battery import _batteries, scenario_assets
from gbad.engagement.endgame import (
    CLASS_OF_KIND,
    NOMINAL_RCS_M2,
    estimate_beta,
)
from gbad.engagement.mfr import MfrBudget, book_frame, dwell_times
from gbad.engagement.prediction import predict_intercept
from gbad.engagement.shots import (
    ENGAGEMENT_COLUMNS,
    _abort_late,
    _engagement_table,
    _fire,
)
from gbad.engagement.threat import ENGAGEABLE, KindMemory, evaluate
from gbad.engagement.wta import assign, shots_per_target_cap
from gbad.world.truth import Truth

Array = NDArray[np.float64]

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
