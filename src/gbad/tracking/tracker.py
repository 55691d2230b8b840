"""The multi-target, multi-radar tracker: detections in, one air picture out.

Detections of every radar are fused at measurement level, in one time line.
Each radar's detections are taken a scan at a time: a target is seen at most
once per scan, so within a scan each track takes at most one detection. Scans
of all radars are processed in order of their end, empty ones too, because a
look that found nothing is evidence (a miss) as much as a detection.

Per scan:
1. pre-gate: track positions extrapolated to the window, a sorted-sweep query
   against the detections' Cartesian positions (cost near-linear in targets);
2. exact gate: each candidate pair's track predicted to that detection's own
   time, its predicted measurement, innovation covariance S and Mahalanobis d²;
3. association: GNN (optimal 2-D assignment, cluster by cluster) or JPDA;
4. update of the assigned tracks at the detections' times;
5. bookkeeping: tracks the beam passed in this window count a look; M-of-N
   confirmation, deletion on consecutive misses or covariance growth;
6. initiation of tentative tracks from detections no track gated.

The tracker never reads `truth_id`.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from gbad.earth.refraction import effective_earth_radius_m
from gbad.earth.terrain import FlatGround, line_of_sight
from gbad.earth.wgs84 import WGS84_A_M, WGS84_B_M, enu2geodetic
from gbad.scenario.schema import Geodetic, TrackerConfig
from gbad.sensors.detection_file import Detections
from gbad.sensors.radar import FALSE_ALARM_RANGE_RATE_MPS, RadarModel
from gbad.tracking import association, filters, jpda, scangate, scanpass, scanrr
from gbad.tracking.buffers import (
    RadarGeometry,
    _measurements,
    _Rows,
    _Threads,
    _Tracks,
)
from gbad.tracking.estimators import Estimator, KalmanEstimator, make_estimator
from gbad.tracking.scangate import TRACK_PAIRS_MAX
from gbad.tracking.status import CONFIRMED, TENTATIVE

_SCAN_KINDS = {
    "rotating": scanpass.SCAN_ROTATING,
    "sector": scanpass.SCAN_SECTOR,
    "electronic": scanpass.SCAN_ELECTRONIC,
    # A multifunction radar's track channel (`RadarModel.track_channel`): never scanned.
    "dwell": scanpass.SCAN_ELECTRONIC,
}


@dataclass(frozen=True)
class _Scan:
    """One batch of one radar's detections, as the association steps need it."""

    geo: RadarGeometry
    radar_index: int
    rows: NDArray[np.intp]  # detection indices
    z: NDArray[np.float64]  # (k, m) range, az, el[, range rate]
    R: NDArray[np.float64]  # (k, m, m)
    t_s: NDArray[np.float64]  # (k,)
    with_rr: bool

    @property
    def m(self) -> int:
        return self.z.shape[1]


@dataclass(frozen=True)
class _Pairs:
    """Gated (track, detection) pairs: indices into the active tracks and the scan's
    detections, each pair's prediction to its detection's time, d² and ln|S|."""

    ti: NDArray[np.intp]
    dj: NDArray[np.intp]
    xp: NDArray[np.float64]
    Pp: NDArray[np.float64]
    d2: NDArray[np.float64]
    logdet: NDArray[np.float64]

    def __getitem__(self, sel: NDArray) -> _Pairs:
        return _Pairs(*(a[sel] for a in (self.ti, self.dj, self.xp, self.Pp, self.d2, self.logdet)))

    def __len__(self) -> int:
        return len(self.ti)


#: Candidate pairs the general path holds at once (tracks are taken in chunks).
PAIR_CHUNK = 1 << 16


def _cheapest_per_track(ti: NDArray[np.intp], cost: NDArray) -> NDArray[np.intp]:
    """Which pairs to keep: every track's `TRACK_PAIRS_MAX` cheapest (ties: the earlier
    detection), in the given order (``ti`` sorted)."""
    n = np.bincount(ti)
    if not n.size or n.max() <= TRACK_PAIRS_MAX:
        return np.arange(len(ti))
    order = np.lexsort((np.arange(len(ti)), cost, ti))
    first = np.searchsorted(ti[order], ti[order])
    return np.sort(order[np.arange(len(ti)) - first < TRACK_PAIRS_MAX])


@dataclass
class TrackerResult:
    """Track rows (one per update or status change) and counters."""

    rows: dict[str, NDArray]
    n_tracks: int
    n_confirmed: int
    n_updates: int
    n_windows: int
    #: For scoring only: the detection index behind each update row (-1 for a deletion row).
    detection_index: NDArray[np.int64]


class Tracker:
    """Fuses the detections of several radars into tracks (see the module docstring)."""

    def __init__(
        self,
        radars: list[RadarModel],
        origin: Geodetic,
        config: TrackerConfig,
        refractivity_gradient_per_m: float = -39e-9,
    ):
        self.geometry = [RadarGeometry.of(r, origin) for r in radars]
        self._periods = np.array([r.period_s for r in radars])
        self.origin = origin
        # Whether a look could have seen a track uses the smooth 4/3-earth horizon over the
        # scenario's ground level: cheap, and what an operator's coverage diagram shows.
        self._ground = FlatGround(origin.alt_m)
        self._radius_m = effective_earth_radius_m(refractivity_gradient_per_m)
        self.config = config
        self.estimator: Estimator = make_estimator(config)
        self._gate_cache: dict[int, float] = {}
        est = self.estimator
        # The commonest configuration runs a scan as a few compiled passes (`scanpass`).
        self._compiled = (
            isinstance(est, KalmanEstimator) and est.kind == "ekf" and config.association == "gnn"
        )
        self._scan_args = [
            (
                _SCAN_KINDS[g.radar.scan_kind],
                float(g.radar.period_s),
                float(g.radar.az_min_deg),
                float(g.radar.az_width_deg),
                float(g.radar.el_min_deg),
                float(g.radar.el_max_deg),
                float(g.radar.range_min_m),
                float(g.radar.range_max_m),
                *(int(v) for v in g.radar.raster_shape),
            )
            for g in self.geometry
        ]
        self._threads = _Threads.shared(numba.get_num_threads())
        # A ray that leaves the radar level or rising never meets a smooth Earth whose
        # effective radius exceeds the ellipsoid's largest radius of curvature (a²/b) by a
        # margin: the target's height gain over the ellipsoid (D²/2ρ) then outgrows the
        # ray's drop below the effective sphere (D²/2R). Only tracks below the radar's
        # horizontal need the line-of-sight check then; otherwise those below 1°.
        self._los_below_deg = [
            0.0
            if self._radius_m >= 1.25 * WGS84_A_M**2 / WGS84_B_M
            and g.radar.alt_m >= self._ground.alt_m + 1.0
            else 1.0
            for g in self.geometry
        ]

    def gate_d2(self, m: int) -> float:
        if m not in self._gate_cache:
            self._gate_cache[m] = association.gate_threshold(m, self.config.gate_probability)
        return self._gate_cache[m]

    # ------------------------------------------------------------------ events
    def _events(
        self, det: Detections, dwell_only: bool = False
    ) -> list[tuple[float, int, float, NDArray[np.intp]]]:
        """The time line: one entry per scan of each radar, ordered by the scan's end.

        Entry (tb, radar, ta, rows): the radar's detections in [ta, tb). A
        target is seen at most once per scan, so a scan is the natural batch
        for one-to-one association. Scans of different radars overlap in time:
        a track another radar updated after a detection's time is predicted
        back to it (out-of-sequence update, see `estimators`).
        """
        events: list[tuple[float, int, float, NDArray[np.intp]]] = []
        if len(det) == 0:
            return events
        t_first, t_last = float(det.t_s[0]), float(det.t_s[-1])
        for ri, geo in enumerate(self.geometry):
            if dwell_only and geo.radar.scan_kind != "dwell":
                continue
            width = geo.radar.period_s
            mine = np.flatnonzero(det.radar_index == ri)
            k0 = int(np.floor(t_first / width))
            k1 = int(np.floor(t_last / width))
            win = np.floor(det.t_s[mine] / width).astype(np.int64) - k0
            bounds = np.searchsorted(win, np.arange(k1 - k0 + 2))
            # A track channel's empty window looked at nothing: no event.
            windows = np.unique(win) if geo.radar.scan_kind == "dwell" else range(k1 - k0 + 1)
            for k in windows:
                rows = mine[bounds[k] : bounds[k + 1]]
                events.append(((k0 + k + 1) * width, ri, (k0 + k) * width, rows))
        events.sort(key=lambda e: (e[0], e[1]))
        return events

    # ------------------------------------------------------------------ main loop
    def run(
        self, det: Detections, progress: Callable[[float], None] | None = None
    ) -> TrackerResult:
        """Track every detection, start to end (a `TrackerSession` run through)."""
        session = TrackerSession(self, det)
        session.advance(np.inf, progress)
        return session.finish()[0]

    def with_range_rate(self, geo: RadarGeometry, rr_mps: NDArray) -> bool:
        """Whether a batch is tracked with its range rates ``rr_mps``: where the radar
        measures it and every detection of the batch has it (a recording may leave the
        optional column out)."""
        return (
            self.config.use_range_rate
            and not np.isnan(geo.radar.sigma_range_rate_mps)
            and bool(np.all(np.isfinite(rr_mps)))
        )

    def _batch(
        self,
        tracks: _Tracks,
        geo: RadarGeometry,
        r: int,
        rows: NDArray[np.intp],
        det: Detections,
        z_all: NDArray,
        R_all: NDArray,
        out: _Rows,
        track_dwells: bool = False,
    ) -> int:
        """Associate one batch of detections, update, and start tracks from the rest.

        ``track_dwells``: the batch is track dwells, for confirmed tracks only and
        starting none.
        """
        est, cfg = self.estimator, self.config
        with_rr = self.with_range_rate(geo, z_all[rows, 3])
        m = 4 if with_rr else 3
        active = tracks.active()
        if track_dwells:
            # Only confirmed tracks take a track dwell's detections: the others are not
            # gated at all.
            active = active[tracks.status[active] == CONFIRMED]
        gated_dets = np.zeros(len(rows), dtype=bool)
        n_updates = 0
        z = z_all[rows, :m]
        R = R_all[rows, :m, :m]
        t_det = det.t_s[rows]
        if active.size:
            det_pos = geo.to_tracking_frame(det.range_m[rows], det.az_deg[rows], det.el_deg[rows])
            pos_pred, radius = est.search_region(tracks, active, float(t_det.mean()))
            # The track's sphere also covers the batch's span; each detection reaches as
            # far as the gate's size in σ (range σ plus the cross-range σ of the wider
            # angle: an upper bound on its error ellipsoid's longest axis).
            sigma_rad = np.radians(np.maximum(det.az_sigma_deg[rows], det.el_sigma_deg[rows]))
            spread = 3.0 * det.range_m[rows] * sigma_rad + 3.0 * det.range_sigma_m[rows]
            cross_m = det.range_m[rows] * sigma_rad
            reach = np.sqrt(self.gate_d2(m)) * (cross_m + det.range_sigma_m[rows])
            speed = np.linalg.norm(tracks.x[active, 3:6], axis=1)
            span = float(t_det.max() - t_det.min())
            pairs = self._gated_pairs(
                tracks,
                active,
                (pos_pred, radius + speed * span),
                (det_pos, reach, spread),
                (t_det, z, R, geo, with_rr),
                gated_dets,
            )
            if len(pairs):
                scan = _Scan(geo, r, rows, z, R, t_det, with_rr)
                # Confirmed tracks choose first; tentative ones take what is left, so
                # clutter-born tracks never steal a held target's detection.
                confirmed = tracks.status[active[pairs.ti]] == CONFIRMED
                taken = np.zeros(len(rows), dtype=bool)
                if cfg.association == "jpda" and confirmed.any():
                    n_updates += self._jpda_update(
                        tracks, active, pairs[confirmed], scan, taken, out
                    )
                    confirmed = np.zeros_like(confirmed)
                for stage in (confirmed, ~confirmed):
                    sel = stage & ~taken[pairs.dj]
                    if sel.any():
                        n_updates += self._assign_and_update(
                            tracks, active, pairs[sel], scan, taken, out
                        )
        new = np.flatnonzero(~gated_dets)
        if new.size and not track_dwells:
            x0, P0, extra = est.initiate(
                t_det[new],
                z_all[rows[new]],
                R_all[rows[new]],
                geo,
                with_rr,
                cfg.initial_velocity_sigma_mps,
            )
            last_hit = np.full((new.size, len(self.geometry)), -np.inf)
            last_hit[:, r] = t_det[new]
            added = tracks.add(x0, P0, t_det[new], {**extra, "last_hit_s": last_hit})
            out.add_updates(tracks, added, rows[new], est)
        return n_updates

    def _gated_pairs(
        self,
        tracks: _Tracks,
        active: NDArray[np.intp],
        spheres: tuple[NDArray, NDArray],
        dets: tuple[NDArray, NDArray, NDArray],
        meas: tuple[NDArray, NDArray, NDArray, RadarGeometry, bool],
        gated_dets: NDArray[np.bool_],
    ) -> _Pairs:
        """The gated pairs of a batch, each track's `TRACK_PAIRS_MAX` cheapest, marking in
        ``gated_dets`` every detection some track gated.

        Tracks go in chunks, so the candidate pairs held at once stay near `PAIR_CHUNK`
        however many tracks and detections crowd one place (a recording's duplicates).
        """
        est, cfg = self.estimator, self.config
        pos_pred, radius = spheres
        det_pos, reach, spread = dets
        t_det, z, R, geo, with_rr = meas
        gate_d2 = self.gate_d2(z.shape[1])
        step = max(1, PAIR_CHUNK // max(1, len(det_pos)))
        parts: list[_Pairs] = []
        for c0 in range(0, len(active), step):
            ti, dj = association.candidate_pairs(
                pos_pred[c0 : c0 + step], radius[c0 : c0 + step], det_pos, reach
            )
            if not ti.size:
                continue
            ti += c0
            tr = active[ti]
            xp, Pp, d2, logdet = est.gate(tracks, tr, t_det[dj], z[dj], R[dj], geo, with_rr)
            ok = d2 <= gate_d2
            # A one-detection track knows no velocity: its second detection is taken only
            # if the two are no faster apart than anything the scenario can fly.
            young = tracks.hits[tr] == 1
            if young.any():
                hop = np.linalg.norm(det_pos[dj] - tracks.x[tr, :3], axis=1)
                dt = np.abs(t_det[dj] - tracks.t_s[tr])
                ok &= ~young | (hop <= cfg.max_speed_mps * dt + 2.0 * spread[dj])
            pairs = _Pairs(ti, dj, xp, Pp, d2, logdet)[ok]
            gated_dets[pairs.dj] = True
            parts.append(pairs[_cheapest_per_track(pairs.ti, pairs.d2 + pairs.logdet)])
        if not parts:
            return _Pairs(*(np.zeros(0, dtype=np.intp),) * 2, *(np.zeros(0),) * 4)
        if len(parts) == 1:
            return parts[0]
        return _Pairs(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("ti", "dj", "xp", "Pp", "d2", "logdet")
            )
        )

    def _assign_and_update(
        self,
        tracks: _Tracks,
        active: NDArray[np.intp],
        pairs: _Pairs,
        scan: _Scan,
        taken: NDArray[np.bool_],
        out: _Rows,
    ) -> int:
        """GNN on gated pairs, then the update of each assigned track at its detection's time.

        Cost d² + ln|S| is the negative log-likelihood up to a constant: among
        gated pairs it prefers the track that predicted the detection tightly,
        not merely the one whose wide gate happens to hold it. Every gated pair
        stays admissible (the unassigned cost is set above all of them).
        """
        cost = pairs.d2 + pairs.logdet
        admissible = 0.5 * (float(cost.max()) + 1.0)
        n_det = len(scan.rows)
        at, ad = association.gnn_assign(pairs.ti, pairs.dj, cost, len(active), n_det, admissible)
        pair = _pair_lookup(pairs.ti, pairs.dj, at, ad)
        upd = active[at]
        est = self.estimator
        x_new, P_new = est.update(
            pairs.xp[pair],
            pairs.Pp[pair],
            scan.z[ad],
            scan.R[ad],
            scan.geo,
            scan.with_rr,
            tracks,
            upd,
        )
        tracks.x[upd], tracks.P[upd] = x_new, P_new
        tracks.t_s[upd] = scan.t_s[ad]
        tracks.hits[upd] += 1
        tracks.misses[upd] = 0
        tracks.extra["last_hit_s"][upd, scan.radar_index] = scan.t_s[ad]
        taken[ad] = True
        out.add_updates(tracks, upd, scan.rows[ad], est)
        self._promote(tracks, upd, out)
        return len(upd)

    def _jpda_update(
        self,
        tracks: _Tracks,
        active: NDArray[np.intp],
        pairs: _Pairs,
        scan: _Scan,
        taken: NDArray[np.bool_],
        out: _Rows,
    ) -> int:
        """JPDA for confirmed tracks: association probabilities β over the gated pairs, then
        each track's probabilistic-data-association update (Bar-Shalom & Fortmann).

        The update linearises at the track's prediction to its most probable detection's
        time; the other detections' innovations are taken against that same prediction (they
        lie in the same gate, seen within one scan). Range rate is used jointly, first order.
        """
        cfg = self.config
        geo, m, with_rr, r = scan.geo, scan.m, scan.with_rr, scan.radar_index
        ti, dj, xp, Pp = pairs.ti, pairs.dj, pairs.xp, pairs.Pp
        radar = geo.radar
        lik = np.exp(-0.5 * pairs.d2 - 0.5 * pairs.logdet - 0.5 * m * np.log(2 * np.pi))
        # Clutter density in measurement units (m · deg² [· m/s]): false alarms per scan
        # spread uniformly over the measurement space the scan covers.
        volume = (
            (radar.range_max_m - radar.range_min_m)
            * radar.az_width_deg
            * (radar.el_max_deg - radar.el_min_deg)
        )
        if m == 4:
            volume *= 2 * FALSE_ALARM_RANGE_RATE_MPS
        clutter = max(radar.pfa * radar.n_cells / volume, 1e-300)
        beta, beta0 = jpda.jpda_weights(
            ti,
            dj,
            lik,
            len(active),
            len(scan.rows),
            cfg.pd,
            clutter,
            gate_probability=cfg.gate_probability,
        )
        tracks_u, inv = np.unique(ti, return_inverse=True)
        # Reference pair per track: its most probable detection.
        order = np.lexsort((-beta, inv))
        first = order[np.searchsorted(inv[order], np.arange(len(tracks_u)))]
        x0, P0 = xp[first], Pp[first]
        upd = active[tracks_u]
        zhat = filters.aer_measure(x0, geo.enu_m, geo.rot, with_rr)
        H = filters.aer_jacobian(x0, geo.enu_m, geo.rot, with_rr)
        S = H @ P0 @ np.swapaxes(H, 1, 2) + scan.R[dj[first]]
        K = P0 @ np.swapaxes(H, 1, 2) @ np.linalg.inv(S)
        nu = scan.z[dj] - zhat[inv]
        nu[:, 1] = filters.wrap_deg(nu[:, 1])
        nu_c = np.zeros((len(tracks_u), m))
        np.add.at(nu_c, inv, beta[:, None] * nu)
        spread = np.zeros((len(tracks_u), m, m))
        np.add.at(spread, inv, beta[:, None, None] * nu[:, :, None] * nu[:, None, :])
        spread -= nu_c[:, :, None] * nu_c[:, None, :]
        b0 = beta0[tracks_u]
        x_new = x0 + (K @ nu_c[..., None])[..., 0]
        KSK = K @ S @ np.swapaxes(K, 1, 2)
        P_new = P0 - (1.0 - b0)[:, None, None] * KSK + K @ spread @ np.swapaxes(K, 1, 2)
        P_new = 0.5 * (P_new + np.swapaxes(P_new, 1, 2))
        best = dj[first]
        tracks.x[upd], tracks.P[upd] = x_new, P_new
        tracks.t_s[upd] = scan.t_s[best]
        # A track whose detections are more likely clutter than its own was not seen.
        seen = b0 < 0.5
        tracks.hits[upd[seen]] += 1
        tracks.misses[upd[seen]] = 0
        tracks.extra["last_hit_s"][upd[seen], r] = scan.t_s[best[seen]]
        taken[dj] = True
        out.add_updates(tracks, upd, scan.rows[best], self.estimator)
        return int(seen.sum())

    def _close_window(
        self, tracks: _Tracks, geo: RadarGeometry, r: int, ta: float, tb: float, out: _Rows
    ) -> None:
        """Settle looks and misses of radar r's window [ta, tb), then prune.

        A track counts a look when the beam passed its predicted direction inside
        coverage (a hit counts one even where the prediction put it elsewhere). Only a
        radar that has detected a track can miss it: whether another radar should see it
        (below its horizon? too small at that range?) is not known well enough from a
        track's uncertain height to count against the track.
        """
        cfg = self.config
        last_hit = tracks.extra["last_hit_s"]
        act, looked, low, low_pos = scanpass.looks(
            tracks.x,
            tracks.t_s,
            tracks.status,
            last_hit,
            tracks.size,
            r,
            ta,
            tb,
            geo.enu_m,
            geo.rot,
            *self._scan_args[r],
            self._los_below_deg[r],
        )
        if not act.size:
            return
        if low.size:
            looked[low] = self._line_of_sight(geo, low_pos)
        out.reserve(act.size)
        out.n = scanpass.settle(
            act,
            looked,
            tracks.x,
            tracks.P,
            tracks.t_s,
            tracks.status,
            tracks.hits,
            tracks.looks,
            tracks.misses,
            last_hit,
            r,
            ta,
            tb,
            self._periods,
            cfg.confirm_m,
            cfg.confirm_n,
            cfg.delete_misses,
            3.0 * cfg.max_position_sigma_m**2,
            float(cfg.max_coast_s),
            out.f,
            out.i,
            out.n,
        )

    def _line_of_sight(self, geo: RadarGeometry, pos: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Whether the radar sees tracking-frame positions over the smooth 4/3-earth."""
        radar, o = geo.radar, self.origin
        lat, lon, alt = enu2geodetic(pos[:, 0], pos[:, 1], pos[:, 2], o.lat_deg, o.lon_deg, o.alt_m)
        return line_of_sight(
            radar.lat_deg,
            radar.lon_deg,
            radar.alt_m,
            lat,
            lon,
            alt,
            self._ground,
            radius_m=self._radius_m,
            n_samples=2,
        )

    def _promote(self, tracks: _Tracks, rows: NDArray[np.intp], out: _Rows) -> None:
        """M-of-N: a tentative track with M detections is confirmed at once."""
        st = tracks.status
        promote = rows[(st[rows] == TENTATIVE) & (tracks.hits[rows] >= self.config.confirm_m)]
        if promote.size:
            st[promote] = CONFIRMED
            out.add_status(tracks, promote, self.estimator)


def _pair_lookup(ti: NDArray, dj: NDArray, at: NDArray, ad: NDArray) -> NDArray[np.intp]:
    """Index into the gated pair list of each assigned (track, detection)."""
    key = ti.astype(np.int64) * (int(dj.max()) + 1) + dj
    want = at.astype(np.int64) * (int(dj.max()) + 1) + ad
    order = np.argsort(key)
    return order[np.searchsorted(key, want, sorter=order)]


class TrackerSession:
    """One run of a tracker, fed as time goes on (the closed loop with a battery).

    It starts with the detections known from the outset (every radar's scans) and
    takes more while it runs: a multifunction radar's track dwells, booked by the
    battery as it fights (`add`, on the radar's track channel only). `advance`
    processes every window that has ended by a time, in the order `Tracker.run` would;
    the rows so far can be read at any time (`rows_view`).

    ``keep(rows) -> mask``: which of a window's detections exist when it is processed;
    the simulation uses it to drop a destroyed object's echoes. The tracker itself
    never reads what it is given to decide that.
    """

    def __init__(
        self,
        tracker: Tracker,
        det: Detections,
        keep: Callable[[NDArray[np.intp]], NDArray[np.bool_]] | None = None,
    ) -> None:
        self.tracker = tracker
        self.det = det
        self.keep = keep
        self.tracks = _Tracks(tracker.estimator.n)
        self.tracks.extra["last_hit_s"] = np.full(
            (self.tracks.capacity, len(tracker.geometry)), -np.inf
        )
        # Each detection gives at most one row (an update or a new track); promotions and
        # deletions add a few per cent.
        self.out = _Rows(capacity=len(det) + len(det) // 4 + 4096)
        self.dropped = np.zeros(len(det), dtype=bool)
        self.n_updates = 0
        self.n_windows = 0
        # measurement vectors and R of every detection, for the general path (built only if
        # it runs: the compiled scan reads the columns)
        self._z: NDArray | None = None
        self._R: NDArray | None = None
        self._with_rr = [
            tracker.config.use_range_rate
            and not np.isnan(g.radar.sigma_range_rate_mps)
            and bool(np.all(np.isfinite(det.range_rate_mps[det.radar_index == i])))
            for i, g in enumerate(tracker.geometry)
        ]
        # (end, radar, sequence, start, rows): sorted by end then radar, hence a heap.
        self._queue = [
            (tb, r, i, ta, rows) for i, (tb, r, ta, rows) in enumerate(tracker._events(det))
        ]
        self._n_queued = len(self._queue)

    def add(self, more: Detections) -> None:
        """Append track-channel detections that are not yet due."""
        if not len(more):
            return
        geometry = self.tracker.geometry
        if any(geometry[r].radar.scan_kind != "dwell" for r in np.unique(more.radar_index)):
            raise ValueError("only a track channel's dwells can join a running tracker")
        base = len(self.det)
        self.det = self.det.concat(more)
        self.dropped = np.concatenate([self.dropped, np.zeros(len(more), dtype=bool)])
        if self._z is not None and self._R is not None:
            z, R = _measurements(more)
            self._z, self._R = np.concatenate([self._z, z]), np.concatenate([self._R, R])
        for tb, r, ta, rows in self.tracker._events(more, dwell_only=True):
            heapq.heappush(self._queue, (tb, r, self._n_queued, ta, rows + base))
            self._n_queued += 1

    def advance(self, t_s: float, progress: Callable[[float], None] | None = None) -> None:
        """Process every window that has ended by ``t_s``."""
        total = max(1, len(self._queue))
        done = 0
        while self._queue and self._queue[0][0] <= t_s:
            tb, r, _, ta, rows = heapq.heappop(self._queue)
            self._window(tb, r, ta, rows)
            if progress and done % 500 == 0:
                progress(done / total)
            done += 1

    def _measurements(self) -> tuple[NDArray, NDArray]:
        if self._z is None or self._R is None:
            self._z, self._R = _measurements(self.det)
        return self._z, self._R

    def _window(self, tb: float, r: int, ta: float, rows: NDArray[np.intp]) -> None:
        trk, tracks, out, det = self.tracker, self.tracks, self.out, self.det
        geo = trk.geometry[r]
        self.n_windows += 1
        if self.keep is not None and rows.size:
            ok = self.keep(rows)
            self.dropped[rows[~ok]] = True
            rows = rows[ok]
        if geo.radar.scan_kind == "dwell":
            # Looks at held tracks: they update confirmed tracks only, start none, and
            # a dwell that found nothing is not a miss of the search.
            if rows.size:
                self.n_updates += self._batch(geo, r, rows, track_dwells=True)
            return
        compiled = rows.size > 0 and trk._compiled and not self._with_rr[r]
        if compiled:
            # the whole scan is timed: a thread pool's cost also shows after its call
            n_threads = trk._threads.pick() if rows.size >= scangate.PARALLEL_MIN else 1
            tic = time.perf_counter()
            self.n_updates += scanpass.batch(
                tracks, out, geo, r, rows, det, trk.estimator, trk.config, trk.gate_d2(3),
                n_threads,
            )  # fmt: skip
        elif rows.size:
            self.n_updates += self._batch(geo, r, rows)
        trk._close_window(tracks, geo, r, ta, tb, out)
        if compiled:
            trk._threads.record(n_threads, time.perf_counter() - tic, rows.size)

    def _batch(self, geo: RadarGeometry, r: int, rows: NDArray[np.intp], track_dwells=False) -> int:
        """A batch with the measurement vectors: the compiled passes of `scanrr` where the
        radar measures range rate and the tracker is the EKF + GNN, else `Tracker._batch`."""
        trk = self.tracker
        z, R = self._measurements()
        if trk._compiled and trk.with_range_rate(geo, z[rows, 3]):
            return scanrr.batch(
                self.tracks, self.out, geo, r, rows, self.det, z, R, trk.estimator,
                trk.config, trk.gate_d2(4), track_dwells,
            )  # fmt: skip
        return trk._batch(self.tracks, geo, r, rows, self.det, z, R, self.out, track_dwells)

    def rows_view(self) -> dict[str, NDArray]:
        """The rows written so far, in the order written (views: read, do not keep)."""
        return self.out.view()

    def finish(self) -> tuple[TrackerResult, Detections]:
        """Process what is left; the result, and the detections that existed (those
        ``keep`` dropped are gone; ``detection_index`` points into what is returned)."""
        self.advance(np.inf)
        out = self.out
        rows_out = out.finish()
        # tracks with a confirmed row (integer codes and a mask: no string compare, no sort)
        ever = np.zeros(self.tracks.size + 1, dtype=bool)
        ever[rows_out["track_id"][out.status_codes() == CONFIRMED]] = True
        det_index = out.det_index()
        kept = ~self.dropped
        if not kept.all():
            new = np.cumsum(kept) - 1
            det_index = np.where(det_index >= 0, new[np.maximum(det_index, 0)], -1)
        result = TrackerResult(
            rows_out,
            self.tracks.size,
            int(np.count_nonzero(ever)),
            self.n_updates,
            self.n_windows,
            det_index,
        )
        det = self.det if kept.all() else self.det.take(np.flatnonzero(kept))
        return result, det
