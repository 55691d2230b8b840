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
with the shot's own generator. Physics may look at truth; the station may not: it
learns of a kill only through the kill assessment.

The station is stepped (`Station`): a run (:func:`gbad.sim.fight`) advances the
tracker to each decision, lets the station decide on the picture as it then
stands, and senses the track dwells it booked (:mod:`.mfr`) before the next one;
a killed object's echoes stop at its kill. `run_engagements` steps it over a
finished picture instead (open loop: dwells booked, not sensed).
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
    Shot,
    _abort_late,
    _engagement_table,
    fly,
    launch,
    settle,
)
from gbad.engagement.threat import (
    ENGAGEABLE,
    GRAVITY_MPS2,
    ROUND_MIN_SPEED_MPS,
    KindMemory,
    evaluate,
)
from gbad.engagement.wta import assign, shots_per_target_cap
from gbad.tracking.buffers import STATUS_NAMES
from gbad.tracking.status import CONFIRMED, DELETED
from gbad.world.truth import Truth

Array = NDArray[np.float64]

#: The vertical acceleration of a track is taken over about this much of its history (s).
ACC_WINDOW_S = 8.0
#: A track's first velocities are its filter settling: accelerations are taken from this
#: long after it is confirmed (s).
VELOCITY_SETTLE_S = 6.0
#: A track whose height is this uncertain (1σ, m) shows nothing of its vertical
#: acceleration: at long range its height, hence its climb, wanders by tens of m/s.
ACC_MAX_SIGMA_UP_M = 100.0
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
    #: Each settled interceptor's flown path (east, north, up in m; samples × 3), by id.
    paths: dict[int, NDArray] = field(default_factory=dict)


def _keys(track_id: NDArray, t_s: NDArray) -> NDArray[np.complex128]:
    """Rows' (track, time) sort keys as complex numbers, track + i·time: NumPy orders
    complex numbers by real part, then imaginary, so they sort and search as the pairs
    do (exactly: track ids are integers far below 2⁵³), at native speed."""
    return np.asarray(track_id).astype(np.float64) + 1j * np.asarray(t_s, dtype=np.float64)


class _RowOrder:
    """The order of the track rows seen so far by (track, time), kept up to date as rows
    come: the new rows sorted and merged in (the same permutation as a stable sort of
    them all, ties in the order written), not every row sorted again at each decision."""

    def __init__(self) -> None:
        self.order = np.zeros(0, dtype=np.intp)
        #: each row's track and time, in order
        self.track = np.zeros(0, dtype=np.int64)
        self.t_s = np.zeros(0)
        self._keys = np.zeros(0, dtype=np.complex128)
        #: track·10⁷ + time of each row in order: `_picture`'s lookup a few seconds back
        self.flat_key = np.zeros(0)
        #: the distinct tracks, ascending
        self.tracks = np.zeros(0, dtype=np.int64)

    def extend(self, track_id: NDArray, t_s: NDArray) -> NDArray[np.intp]:
        """The order after rows ``len(order)`` onwards of ``track_id``, ``t_s`` join."""
        new = np.arange(len(self.order), len(t_s))
        if new.size:
            track = np.asarray(track_id)[new].astype(np.int64)
            t = np.asarray(t_s, dtype=np.float64)[new]
            new_order = np.lexsort((t, track))
            track, t, new = track[new_order], t[new_order], new[new_order]
            keys = _keys(track, t)
            # After every row already there with an equal key: a stable sort's place.
            at = np.searchsorted(self._keys, keys, side="right")
            self.order = np.insert(self.order, at, new)
            self._keys = np.insert(self._keys, at, keys)
            self.track = np.insert(self.track, at, track)
            self.t_s = np.insert(self.t_s, at, t)
            self.flat_key = np.insert(self.flat_key, at, track.astype(float) * 1e7 + t)
            self.tracks = np.union1d(self.tracks, track)
        return self.order

    def latest(self, t: float) -> NDArray[np.intp]:
        """Each track's last row at or before ``t`` (places in the order), tracks ascending."""
        at = np.searchsorted(self._keys, _keys(self.tracks, np.full(len(self.tracks), t)),
                             side="right") - 1  # fmt: skip
        found = at >= 0
        found[found] &= self.track[at[found]] == self.tracks[found]
        return at[found]


def _confirmed_at(first_confirm: dict[int, float], track_id: NDArray) -> NDArray[np.float64]:
    """When each track was first confirmed (inf: not yet), looked up as arrays."""
    if not first_confirm:
        return np.full(len(track_id), np.inf)
    keys = np.fromiter(first_confirm.keys(), dtype=np.int64, count=len(first_confirm))
    when = np.fromiter(first_confirm.values(), dtype=float, count=len(first_confirm))
    order = np.argsort(keys)
    keys, when = keys[order], when[order]
    i = np.minimum(np.searchsorted(keys, track_id), len(keys) - 1)
    return np.where(keys[i] == track_id, when[i], np.inf)


def _picture(
    rows: dict[str, NDArray], kept: _RowOrder, first_confirm: dict[int, float], t: float
):
    """Each live confirmed track's latest state extrapolated to t, its vertical and
    along-track accelerations over the last few seconds of its own estimates, and when
    that estimate was made: (ids, pos, vel, acc_up, acc_along, t_update).

    ``rows``: the track rows as written; ``kept``: their (track, time) order. Only the
    rows read are gathered, not the whole table sorted and copied."""
    # The last row ≤ t of each track, and its place in the order.
    last = kept.latest(t)
    if not last.size:
        z = np.zeros((0, 3))
        return np.zeros(0, dtype=np.int64), z, z, np.zeros(0), np.zeros(0), np.zeros(0)

    def at(col: str, places: NDArray[np.intp]) -> NDArray:
        return np.asarray(rows[col])[kept.order[places]]

    tid = kept.track
    confirmed_at = _confirmed_at(first_confirm, tid[last])
    t_last = kept.t_s[last]
    ok = (at("status", last) != DELETED) & (t - t_last <= STALE_TRACK_S) & (confirmed_at <= t)
    last, confirmed_at, t_last = last[ok], confirmed_at[ok], t_last[ok]
    dt = t - t_last
    pos = np.column_stack([at("east_m", last), at("north_m", last), at("up_m", last)])
    vel = np.column_stack([at("v_east_mps", last), at("v_north_mps", last),
                           at("v_up_mps", last)])  # fmt: skip
    # The same track's estimate about ACC_WINDOW_S earlier (rows are sorted by track, time).
    key = kept.flat_key
    back = np.searchsorted(key, tid[last] * 1e7 + t_last - ACC_WINDOW_S, side="right")
    back = np.clip(back, 0, len(key) - 1)
    t_back = kept.t_s[back]
    # A tentative track's first velocities are guesses: differences start at confirmation.
    same = (
        (tid[back] == tid[last])
        & (t_last - t_back > 1.0)
        & (t_back >= confirmed_at + VELOCITY_SETTLE_S)
    )
    span = np.where(same, t_last - t_back, np.nan)
    sharp = at("cov_uu_m2", last) <= ACC_MAX_SIGMA_UP_M**2
    acc_up = np.where(sharp, (vel[:, 2] - at("v_up_mps", back)) / span, np.nan)
    vel_back = np.column_stack([at("v_east_mps", back), at("v_north_mps", back),
                                at("v_up_mps", back)])  # fmt: skip
    acc_along = (np.linalg.norm(vel, axis=1) - np.linalg.norm(vel_back, axis=1)) / span
    ids = tid[last].astype(np.int64)
    return ids, pos + vel * dt[:, None], vel, acc_up, acc_along, t_last


def run_engagements(
    model,
    track_rows: dict[str, NDArray],
    track_truth: dict[str, int],
    truth: Truth,
    rng: np.random.Generator,
    config: ControlConfig | None = None,
    cues: dict[str, NDArray] | None = None,
) -> EngagementResult:
    """Run every battery of the scenario over a finished air picture (open loop: the
    booked dwells are recorded, not sensed); see the module doc and `Station`.

    ``track_truth``: the object each track follows (track id as text -> truth id), for
    the physics of the flyouts. ``cues``: the locator's solutions (`Station`).
    """
    station = Station(model, truth, rng, config, cues)
    rows = dict(track_rows)
    status = np.asarray(rows["status"])
    if status.dtype.kind in "OUS":
        codes = np.zeros(len(status), dtype=np.int64)
        for code, name in enumerate(STATUS_NAMES):
            codes[status == name] = code
        rows["status"] = codes
    station.see(rows)

    def truth_of(ids: NDArray) -> NDArray[np.int64]:
        return np.array([track_truth.get(str(int(k)), -1) for k in ids], dtype=np.int64)

    for t in station.decision_times():
        station.decide(float(t), truth_of)
    return station.finish()


#: A shot is flown from this long before its predicted intercept (s), again at each
#: decision, and settled at the decision before its closest approach.
FLY_LEAD_S = 5.0
#: The track columns the station reads.
_TABLE_COLUMNS = (
    "t_s", "track_id", "status", "east_m", "north_m", "up_m",
    "v_east_mps", "v_north_mps", "v_up_mps", "cov_uu_m2",
)  # fmt: skip


class Station:
    """The engagement control station, one decision at a time (see the module doc).

    A run feeds it the air picture as it grows (`see`), asks for each decision
    (`decide`, which returns the track dwells it booked, for the radar to sense), and
    ends with `finish`. The interceptors it launches fly while time goes on: each is
    flown again at every decision from ``FLY_LEAD_S`` before its predicted intercept,
    with the track as it then stands for its uplink, and settled (kill drawn, assessed)
    at the decision before it reaches its target, so the run learns of a kill before the
    radar would see past it.
    """

    def __init__(
        self,
        model,
        truth: Truth,
        rng: np.random.Generator,
        config: ControlConfig | None = None,
        cues: dict[str, NDArray] | None = None,
    ) -> None:
        self.cfg = config or ControlConfig()
        self.duration_s = float(model.scenario.duration_s)
        o = model.scenario.origin
        self.origin = (o.lat_deg, o.lon_deg, o.alt_m)
        self.truth, self.rng, self.cues = truth, rng, cues
        self.assets = scenario_assets(model)
        self.bat = _batteries(model, self.origin)
        self.st = _StationState()
        self.kinds = KindMemory()
        #: object -> when it was destroyed (physics: the run drops its later echoes)
        self.killed_at: dict[int, float] = {}
        self.budget = MfrBudget()
        self.pending: list[Shot] = []
        self._paths: dict[int, NDArray] = {}
        self.engageable = ENGAGEABLE + (
            ("artillery",) if any(self.bat.engage_rounds.values()) else ()
        )
        self.first_confirm: dict[int, float] = {}
        self._seen = 0
        self._row_order = _RowOrder()
        #: the track rows as last seen (views: read before the tracker goes on)
        self._track_rows: dict[str, NDArray] = {c: np.zeros(0) for c in _TABLE_COLUMNS}
        self._tab: dict[str, NDArray] | None = None
        self._rows: dict[str, list] = {c: [] for c in ENGAGEMENT_COLUMNS}
        #: each decision's ranked threats, as THREAT_COLUMNS arrays
        self._threats: list[tuple[NDArray, ...]] = []
        self._queued: dict[str, list] = {c: [] for c in ("t_s", "battery_id", "track_id")}
        self._occ: dict[str, list] = {}
        self._dwells: dict[str, list] = {c: [] for c in DWELL_COLUMNS}

    def decision_times(self) -> NDArray[np.float64]:
        return np.arange(0.0, self.duration_s, self.cfg.decision_interval_s)

    def see(self, rows: dict[str, NDArray]) -> None:
        """The air picture's rows so far (status as codes; rows already seen come first,
        as `TrackerSession.rows_view` gives them)."""
        new = slice(self._seen, len(rows["t_s"]))
        conf = rows["status"][new] == CONFIRMED
        for k, t in zip(rows["track_id"][new][conf], rows["t_s"][new][conf], strict=True):
            if t < self.first_confirm.get(int(k), np.inf):
                self.first_confirm[int(k)] = float(t)
        self._seen = len(rows["t_s"])
        self._row_order.extend(rows["track_id"], rows["t_s"])
        self._track_rows = {c: rows[c] for c in _TABLE_COLUMNS}
        self._tab = None

    @property
    def tab(self) -> dict[str, NDArray]:
        """The track rows seen so far, sorted by (track, time) (status rows carry a state
        too): gathered when a flight asks, not at every decision."""
        if self._tab is None:
            order = self._row_order.order
            self._tab = {c: np.asarray(v)[order] for c, v in self._track_rows.items()}
        return self._tab

    def decide(self, t: float, truth_of) -> dict[str, NDArray]:
        """One decision at ``t``; returns the track dwells booked until the next one.

        ``truth_of(track_ids) -> truth ids``: the objects tracks follow (physics: where a
        dwell's beam or an interceptor finds something)."""
        cfg, bat, st = self.cfg, self.bat, self.st
        self._fly_due(t, final=False)
        ids, pos, vel, acc_up, acc_along, t_upd = _picture(
            self._track_rows, self._row_order, self.first_confirm, t
        )
        st.expire(t)
        live = np.array([st.assessed_killed.get(int(k), np.inf) > t for k in ids], dtype=bool)
        ids, pos, vel = ids[live], pos[live], vel[live]
        acc_up, acc_along, t_upd = acc_up[live], acc_along[live], t_upd[live]
        targets = np.zeros(0, dtype=np.intp)
        candidate = np.zeros(len(ids), dtype=bool)
        if ids.size and bat.launchers:
            kind = self.kinds.update(ids, pos, vel, acc_up, t_upd)
            if self.cues is not None:
                # A located round's path cues a track that could be a round: a locate on
                # a slow UAV the weapon-locating radar took for one does not.
                could = (kind != "ballistic") & (np.linalg.norm(vel, axis=1) >= ROUND_MIN_SPEED_MPS)
                kind[_cued_rounds(self.cues, t, pos) & could] = "artillery"
            tp = evaluate(pos, vel, self.assets, kind=kind)
            o = tp.order
            self._threats.append(
                (np.full(o.size, t), ids[o], tp.rank[o], tp.value[o], tp.kind[o],
                 tp.time_to_asset_s[o].min(axis=1))
            )  # fmt: skip
            worth = (tp.value >= MIN_THREAT_SHARE * self.assets.value.max()) & np.isin(
                tp.kind, self.engageable
            )
            candidate = worth & self.kinds.settled(ids)
            free = np.array([int(k) not in st.in_flight for k in ids], dtype=bool)
            targets = np.flatnonzero(candidate & free)
        booked = _book_dwells(
            self.budget, t, cfg.decision_interval_s, ids, pos, vel, candidate, st, bat,
            truth_of, self.assets, self._occ,
        )  # fmt: skip
        for c in DWELL_COLUMNS:
            self._dwells[c].extend(booked[c].tolist())
        if targets.size:
            self._engage(t, ids, pos, vel, acc_along, tp, targets, truth_of)
        return booked

    def _engage(self, t, ids, pos, vel, acc_along, tp, targets, truth_of) -> None:
        """Assign the ready launchers to the targets and launch what the channels allow."""
        bat, st = self.bat, self.st
        launchers = bat.launchers
        ready = [i for i, ln in enumerate(launchers) if ln.missiles > 0 and ln.ready_s <= t]
        if not ready:
            return
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
                origin=self.origin,
                margin_m=1000.0,
            )
            reacted = np.array(
                [self.first_confirm[int(ids[j])] + bat.reaction[battery] <= t for j in targets]
            )
            allowed = bat.engage_rounds[battery] | (tp.kind[targets] != "artillery")
            plan_pk = np.array([prof.planning_pk(CLASS_OF_KIND[str(k)]) for k in tp.kind[targets]])
            ok = pip.inside.reshape(len(mine), -1) & (reacted & allowed)[None, :]
            pk[mine] = np.where(ok, plan_pk[None, :], 0.0)
            tof[mine] = pip.time_of_flight_s.reshape(len(mine), -1)
        if not np.any(pk > 0):
            return
        lead = launchers[ready[0]].battery
        cap = np.array(
            [shots_per_target_cap(bat.doctrine_for(lead, str(k))) for k in tp.kind[targets]]
        )
        inventory = np.array([min(launchers[i].missiles, 2) for i in ready])
        plan = assign(tp.value[targets], pk, inventory, cap=cap, feasible=pk > 0)
        # Each battery guides at most its fire-control channels at once; the most valuable
        # targets get them, the rest wait in the queue for the next decision.
        busy = st.channels_busy(t)
        shots = []
        for b in np.argsort(-tp.value[targets], kind="stable"):
            for a in np.flatnonzero(plan.shots[:, b]):
                battery = launchers[ready[a]].battery
                for s in range(int(plan.shots[a, b])):
                    if busy.get(battery, 0) >= bat.channels[battery]:
                        self._queued["t_s"].append(t)
                        self._queued["battery_id"].append(battery)
                        self._queued["track_id"].append(int(ids[targets[b]]))
                        break
                    busy[battery] = busy.get(battery, 0) + 1
                    shots.append((ready[a], targets[b], s, tof[a, b]))
        if not shots:
            return
        beta_of_row = np.full(len(ids), np.inf)
        beta_of_row[targets] = beta
        rcs_of_row = np.ones(len(ids))
        rcs_of_row[targets] = rcs

        def tof_at(i: int, j: int, t_launch: float) -> float:
            # The station's own extrapolation of the target to the launch time.
            dt = t_launch - t
            acc = np.array([0.0, 0.0, -GRAVITY_MPS2 if tp.kind[j] == "ballistic" else 0.0])
            pip = predict_intercept(
                bat.profiles[launchers[i].battery],
                launchers[i].enu_m[None],
                (pos[j] + vel[j] * dt + 0.5 * acc * dt**2)[None],
                (vel[j] + acc * dt)[None],
                target_beta_kg_m2=beta_of_row[j : j + 1],
                target_rcs_m2=rcs_of_row[j : j + 1],
                origin=self.origin,
                margin_m=1000.0,
            )
            return float(pip.time_of_flight_s[0])

        fired = launch(shots, bat, ids, tp.kind, beta_of_row, t, truth_of, st.n_fired + 1, tof_at)
        st.n_fired += len(fired)
        for shot in fired:
            st.take_off(shot)
        self.pending.extend(fired)

    def _fly_due(self, t: float, final: bool) -> None:
        """Fly the shots near their intercept; settle those that reach it before the next
        decision (every one when ``final``)."""
        horizon = t + self.cfg.decision_interval_s
        for shot in list(self.pending):
            if not final and t < shot.predicted_end_t_s - FLY_LEAD_S:
                continue
            flight, rng = fly(shot, self.bat, self.tab, self.truth, self.origin, self.rng)
            if final or float(flight.end_t_s[0]) < horizon:
                settle(shot, flight, rng, self.bat, self.truth, self.cfg.kill_assessment_s,
                       self._rows, self.st, self.killed_at)  # fmt: skip
                self._paths[shot.interceptor_id] = flight.pos_enu_m[0, : flight.n_samples[0]]
                self.pending.remove(shot)

    def finish(self) -> EngagementResult:
        """Settle the shots still in the air (on the whole picture) and gather the result."""
        self._fly_due(self.duration_s, final=True)
        engagements = _engagement_table(self._rows)
        _abort_late(engagements, self.killed_at)
        types = (float, np.int64, np.int64, float, object, float)
        threats = {
            c: np.concatenate([p[i] for p in self._threats]).astype(d)
            if self._threats
            else np.zeros(0, dtype=d)
            for i, (c, d) in enumerate(zip(THREAT_COLUMNS, types, strict=True))
        }
        occupancy = {k: np.array(v) for k, v in self._occ.items()}
        result = EngagementResult(engagements, threats, occupancy, self.killed_at)
        result.dwells = _dwell_table(self._dwells)
        result.paths = dict(self._paths)
        result.queued = {
            "t_s": np.array(self._queued["t_s"], dtype=float),
            "battery_id": np.array(self._queued["battery_id"], dtype=object),
            "track_id": np.array(self._queued["track_id"], dtype=np.int64),
        }
        return result


THREAT_COLUMNS = ("t_s", "track_id", "rank", "value", "kind", "time_to_asset_s")


@dataclass
class _StationState:
    """What the station believes and has in the air."""

    #: track -> {interceptor: (when its outcome is assessed, battery, end of guidance)};
    #: an interceptor still flying has both times infinite
    in_flight: dict[int, dict[int, tuple[float, str, float]]] = field(default_factory=dict)
    #: track -> when the station declared it killed
    assessed_killed: dict[int, float] = field(default_factory=dict)
    n_fired: int = 0

    def take_off(self, shot: Shot) -> None:
        self.in_flight.setdefault(shot.track_id, {})[shot.interceptor_id] = (
            np.inf, shot.battery, np.inf,
        )  # fmt: skip

    def land(self, interceptor: int, track: int, assess_t: float, end_t: float,
             declared: bool) -> None:  # fmt: skip
        battery = self.in_flight[track][interceptor][1]
        self.in_flight[track][interceptor] = (assess_t, battery, end_t)
        if declared:
            # The station learns it at the assessment time; until then it is engaged.
            self.assessed_killed[track] = min(assess_t, self.assessed_killed.get(track, np.inf))

    def expire(self, t: float) -> None:
        for k in list(self.in_flight):
            self.in_flight[k] = {i: x for i, x in self.in_flight[k].items() if x[0] > t}
            if not self.in_flight[k]:
                del self.in_flight[k]

    def channels_busy(self, t: float) -> dict[str, int]:
        """Interceptors each battery is guiding at t (an uplink channel each)."""
        busy: dict[str, int] = {}
        for shots in self.in_flight.values():
            for _, battery, end_t in shots.values():
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
    budget, t, interval, ids, pos, vel, candidate, st, bat, truth_of, assets, occ
) -> dict[str, NDArray]:
    """Book one decision's radar time; tracks under engagement and the candidate targets
    get track dwells at their booked rates (the others are left to the search)."""
    engaged = np.array([int(k) in st.in_flight for k in ids], dtype=bool)
    frame, rate = book_frame(budget, t, pos, vel, ids, set(st.in_flight), assets)
    row, t_dwell = dwell_times(t, interval, np.where(engaged | candidate, rate, 0.0))
    frame["track_dwells"] = row.size
    for k, v in frame.items():
        occ.setdefault(k, []).append(v)
    default_radar = next(iter(bat.radar.values()), "")
    track = ids[row].astype(np.int64)
    radar = [
        bat.radar[next(iter(st.in_flight[k].values()))[1]] if k in st.in_flight else default_radar
        for k in track.tolist()
    ]
    return _dwell_table(
        {
            "t_s": t_dwell,
            "track_id": track,
            "truth_id": truth_of(track) if track.size else np.zeros(0, dtype=np.int64),
            "radar_id": radar,
            "rate_hz": rate[row],
            "engaged": engaged[row],
        }
    )


def _dwell_table(cols) -> dict[str, NDArray]:
    types = (float, np.int64, np.int64, object, float, bool)
    return {c: np.asarray(cols[c], dtype=d) for c, d in zip(DWELL_COLUMNS, types, strict=True)}
