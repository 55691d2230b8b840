"""The tracker's working state: each radar's place in the tracking frame, the track
table, the output rows, measurement vectors, and the chooser between one thread and
many for the compiled scan passes.

Plain containers with no tracking logic, so that the estimators and the scan passes
can name them without importing the tracker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from numpy.typing import NDArray

from gbad.scenario.schema import Geodetic
from gbad.sensors.detection_file import Detections
from gbad.sensors.radar import RadarModel
from gbad.tracking import filters, scangate, scanpass
from gbad.tracking.status import DELETED, TENTATIVE

if TYPE_CHECKING:
    from gbad.tracking.estimators import Estimator

STATUS_NAMES = np.array(["tentative", "confirmed", "deleted"], dtype=object)


@dataclass(frozen=True)
class RadarGeometry:
    """A radar's place in the tracking frame (the scenario's ENU) and its scan."""

    radar: RadarModel
    enu_m: NDArray[np.float64]  # (3,) antenna position
    rot: NDArray[np.float64]  # (3, 3) tracking-frame vectors -> radar-local ENU

    @classmethod
    def of(cls, radar: RadarModel, origin: Geodetic) -> RadarGeometry:
        enu, rot = filters.radar_geometry(
            radar.lat_deg, radar.lon_deg, radar.alt_m, origin.lat_deg, origin.lon_deg, origin.alt_m
        )
        return cls(radar, np.asarray(enu), np.asarray(rot))

    def to_tracking_frame(
        self, range_m: NDArray, az_deg: NDArray, el_deg: NDArray
    ) -> NDArray[np.float64]:
        az = np.radians(az_deg)
        el = np.radians(el_deg)
        local = np.stack(
            [
                range_m * np.cos(el) * np.sin(az),
                range_m * np.cos(el) * np.cos(az),
                range_m * np.sin(el),
            ],
            axis=-1,
        )
        return self.enu_m + local @ self.rot

    def local(self, pos: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
        """Azimuth, elevation (deg) and range (m) of tracking-frame positions from this radar."""
        d = (pos - self.enu_m) @ self.rot.T
        rng = np.linalg.norm(d, axis=-1)
        az = np.degrees(np.arctan2(d[..., 0], d[..., 1])) % 360.0
        el = np.degrees(np.arctan2(d[..., 2], np.hypot(d[..., 0], d[..., 1])))
        return az, el, rng


@dataclass
class _Tracks:
    """Growable columns of the track table; rows are never reused, ids never change."""

    n_state: int
    capacity: int = 256
    size: int = 0
    x: NDArray[np.float64] = field(init=False)
    P: NDArray[np.float64] = field(init=False)
    t_s: NDArray[np.float64] = field(init=False)
    status: NDArray[np.int8] = field(init=False)
    hits: NDArray[np.int64] = field(init=False)
    looks: NDArray[np.int64] = field(init=False)
    misses: NDArray[np.int64] = field(init=False)
    extra: dict[str, NDArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        c, n = self.capacity, self.n_state
        self.x = np.zeros((c, n))
        self.P = np.zeros((c, n, n))
        self.t_s = np.zeros(c)
        self.status = np.full(c, DELETED, dtype=np.int8)
        self.hits = np.zeros(c, dtype=np.int64)
        self.looks = np.zeros(c, dtype=np.int64)
        self.misses = np.zeros(c, dtype=np.int64)

    def add(
        self, x: NDArray, P: NDArray, t_s: NDArray, extra: dict[str, NDArray]
    ) -> NDArray[np.intp]:
        k = len(t_s)
        self.reserve(k)
        rows = np.arange(self.size, self.size + k)
        self.x[rows], self.P[rows], self.t_s[rows] = x, P, t_s
        self.status[rows] = TENTATIVE
        self.hits[rows] = 1
        self.looks[rows] = 1
        self.misses[rows] = 0
        for name, values in extra.items():
            if name not in self.extra:
                self.extra[name] = np.zeros((self.capacity, *values.shape[1:]), dtype=values.dtype)
            self.extra[name][rows] = values
        self.size += k
        return rows

    def reserve(self, k: int) -> None:
        while self.size + k > self.capacity:
            self._grow()

    def _grow(self) -> None:
        old = self.capacity
        self.capacity *= 2

        def grow(a: NDArray, fill: float = 0) -> NDArray:
            out = np.full((self.capacity, *a.shape[1:]), fill, dtype=a.dtype)
            out[:old] = a
            return out

        self.x, self.P, self.t_s = grow(self.x), grow(self.P), grow(self.t_s)
        self.status = grow(self.status, DELETED)
        self.hits, self.looks, self.misses = grow(self.hits), grow(self.looks), grow(self.misses)
        self.extra = {k: grow(v) for k, v in self.extra.items()}

    def active(self) -> NDArray[np.intp]:
        return np.flatnonzero(self.status[: self.size] != DELETED)


class _Threads:
    """How many threads the compiled gate and update use, chosen by how fast each way runs.

    On a machine whose other cores are idle, the gate and the update run faster on two
    threads; when another job holds the cores, waiting for a descheduled thread makes a
    scan slower, with Numba's OpenMP layer ten times slower (see the note above
    `_ekf_kernel._cv_ekf_rows`). The results are the same either way (`scanpass` collects each
    track's pairs in its own slots and updates each track alone), so the choice is made on
    time alone: the cost of a whole scan per detection (a pool's cost shows after its call
    too) of each way, smoothed; the first scan of each way is left out and the lowest of
    the next `SETTLE` taken (kernels met for the first time load from Numba's cache). The
    cheaper way runs, and now and then the other, to notice a change of load: after `PROBE` scans, and
    each time the probe confirms the choice twice as long until the next (at most
    `PROBE_MAX`, at once if the probe cost over four times as much). Scans of fewer than
    `scangate.PARALLEL_MIN` detections run serially and teach nothing. One chooser serves
    the whole process (`shared`): the load it learns is the machine's.
    """

    PROBE = 16
    PROBE_MAX = 1024
    SETTLE = 4
    _shared: ClassVar[dict[int, _Threads]] = {}

    @classmethod
    def shared(cls, n: int) -> _Threads:
        """The process's chooser for n threads: the load it learns is the machine's, so
        one tracker after another (a benchmark, a Monte Carlo batch) keeps what it learnt."""
        if n not in cls._shared:
            cls._shared[n] = cls(n)
        return cls._shared[n]

    def __init__(self, n: int) -> None:
        self.n = max(1, int(n))
        self.cost: dict[int, float] = {}
        self.seen: dict[int, int] = {}
        self.best = 1
        self.wait = self.PROBE
        self.due = self.PROBE

    def pick(self) -> int:
        if self.n == 1:
            return 1
        for way in (1, self.n):  # each way once first
            if way not in self.cost:
                return way
        if self.due <= 0:
            return self.n if self.best == 1 else 1
        return self.best

    def record(self, way: int, seconds: float, work: int) -> None:
        if self.n == 1 or work < scangate.PARALLEL_MIN:
            return
        n = self.seen.get(way, 0)
        self.seen[way] = n + 1
        if n == 0:  # the first scan of a way pays its compile or cache load: not timed
            return
        unit = seconds / work
        old = self.cost.get(way)
        if old is None:
            self.cost[way] = unit
        elif n <= self.SETTLE:  # the next few may load kernels met for the first time
            self.cost[way] = min(old, unit)
        else:
            self.cost[way] = 0.75 * old + 0.25 * unit
        if len(self.cost) < 2:
            return
        best = 1 if self.cost[1] <= self.cost[self.n] else self.n
        if way != self.best:  # a probe
            if best != self.best:
                self.wait = self.PROBE
            elif unit > 4.0 * self.cost[best]:  # far off (a busy pool): look again much later
                self.wait = self.PROBE_MAX
            else:
                self.wait = min(2 * self.wait, self.PROBE_MAX)
            self.due = self.wait
        elif best != self.best:  # the way in use got dearer than the other: switch
            self.wait = self.due = self.PROBE
        else:
            self.due -= 1
        self.best = best


def _measurements(det: Detections) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """z = [range, az, el, range rate] and diagonal R per detection (angles in degrees),
    in one compiled pass (`scanpass.measurements`; `_measurements_np` is the same in NumPy)."""
    cols = [
        np.ascontiguousarray(c, dtype=np.float64)
        for c in (
            det.range_m, det.az_deg, det.el_deg, det.range_rate_mps, det.range_sigma_m,
            det.az_sigma_deg, det.el_sigma_deg, det.range_rate_sigma_mps,
        )
    ]  # fmt: skip
    return scanpass.measurements(*cols)


def _measurements_np(det: Detections) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`_measurements` in NumPy (the reference the tests hold it to)."""
    z = np.column_stack([det.range_m, det.az_deg, det.el_deg, det.range_rate_mps])
    sig = np.column_stack(
        [det.range_sigma_m, det.az_sigma_deg, det.el_sigma_deg, det.range_rate_sigma_mps]
    )
    sig = np.where(np.isfinite(sig), sig, 1.0)
    R = np.zeros((len(det), 4, 4))
    R.reshape(len(det), 16)[:, ::5] = sig**2  # the diagonal, as a strided slice
    return z, R


class _Rows:
    """Track rows in two growable column-major buffers (the float and integer columns of
    `scanpass.ROW_FLOATS` / `ROW_INTS`, one row of the buffer per column), which the
    compiled passes write directly; put in order at the end, and only if they are not
    already (`scanpass.apply_scan` writes them in order, one radar's windows follow each
    other)."""

    def __init__(self, capacity: int = 4096) -> None:
        self.f = np.empty((len(scanpass.ROW_FLOATS), capacity))
        self.i = np.empty((len(scanpass.ROW_INTS), capacity), dtype=np.int64)
        self.n = 0

    def reserve(self, k: int) -> None:
        """Room for k more rows."""
        if self.n + k > self.f.shape[1]:
            cap = max(self.n + k, 2 * self.f.shape[1])
            f = np.empty((self.f.shape[0], cap))
            i = np.empty((self.i.shape[0], cap), dtype=np.int64)
            f[:, : self.n] = self.f[:, : self.n]
            i[:, : self.n] = self.i[:, : self.n]
            self.f, self.i = f, i

    def _block(
        self, tracks: _Tracks, rows: NDArray, est: Estimator, t_s, status, det_index
    ) -> None:
        pos, vel, cov = est.position_velocity(tracks.x[rows], tracks.P[rows])
        k = len(rows)
        self.reserve(k)
        f = self.f[:, self.n : self.n + k]
        f[0] = t_s
        f[1:4] = pos.T
        f[4:7] = vel.T
        f[7:13] = cov[:, [0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]].T
        i = self.i[:, self.n : self.n + k]
        i[0] = rows + 1
        i[1] = status
        i[2] = tracks.hits[rows]
        i[3] = det_index
        self.n += k

    def add_updates(
        self, tracks: _Tracks, rows: NDArray, det_rows: NDArray, est: Estimator
    ) -> None:
        self._block(tracks, rows, est, tracks.t_s[rows], tracks.status[rows], det_rows)

    def add_status(self, tracks: _Tracks, rows: NDArray, est: Estimator, t_s=None) -> None:
        t = tracks.t_s[rows] if t_s is None else t_s
        self._block(tracks, rows, est, t, tracks.status[rows], -1)

    def view(self) -> dict[str, NDArray]:
        """The rows written so far by column name, unsorted, status as codes (views)."""
        F, Ii = self.f[:, : self.n], self.i[:, : self.n]
        return {
            **dict(zip(scanpass.ROW_FLOATS, F, strict=True)),
            **dict(zip(scanpass.ROW_INTS, Ii, strict=True)),
        }

    def finish(self) -> dict[str, NDArray]:
        """The rows in order of time, then track id; equal keys (an update and its
        promotion) in the order written."""
        F, Ii = self.f[:, : self.n], self.i[:, : self.n]
        if not scanpass.rows_sorted(F[0], Ii[0]):
            order = np.lexsort((Ii[0], F[0]))
            F, Ii = F[:, order], Ii[:, order]
        col = dict(zip(scanpass.ROW_FLOATS, F, strict=True))
        ints = dict(zip(scanpass.ROW_INTS, Ii, strict=True))
        self._det = ints["_det"]
        self._status = ints["status"]
        return {
            "t_s": col["t_s"],
            "track_id": ints["track_id"],
            "status": STATUS_NAMES[ints["status"]],
            **{name: col[name] for name in scanpass.ROW_FLOATS[1:]},
            "hits": ints["hits"],
        }

    def det_index(self) -> NDArray[np.int64]:
        return self._det

    def status_codes(self) -> NDArray[np.int64]:
        """The status column as codes (`TENTATIVE`, `CONFIRMED`, `DELETED`)."""
        return self._status
