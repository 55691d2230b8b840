"""Truth: every object's motion on one common time grid, queried by cubic Hermite.

Objects (aircraft, missiles, each round of a salvo) are rows; grid times are
columns. Keeping them on one uniform grid makes "where is object i at time t"
an O(1) index and a cubic blend for any batch of (object, time) pairs, which
is what the sensors ask millions of times. Positions and velocities are ECEF
(metres, m/s, Earth-fixed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def hermite(
    t0: Array, p0: Array, v0: Array, t1: Array, p1: Array, v1: Array, t: Array
) -> tuple[Array, Array]:
    """Cubic Hermite position and velocity between two states (leading axes broadcast, last = 3)."""
    h = (t1 - t0)[..., None]
    u = ((t - t0) / (t1 - t0))[..., None]
    u2 = u * u
    u3 = u2 * u
    h00 = 2 * u3 - 3 * u2 + 1
    h10 = u3 - 2 * u2 + u
    h01 = -2 * u3 + 3 * u2
    h11 = u3 - u2
    pos = h00 * p0 + h10 * h * v0 + h01 * p1 + h11 * h * v1
    d00 = (6 * u2 - 6 * u) / h
    d10 = 3 * u2 - 4 * u + 1
    d01 = (-6 * u2 + 6 * u) / h
    d11 = 3 * u2 - 2 * u
    vel = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1
    return pos, vel


def resample(t_src: Array, pos_src: Array, vel_src: Array, t_query: Array) -> tuple[Array, Array]:
    """Hermite-resample one object's samples (K, 3) at query times; linear beyond the ends."""
    k = np.clip(np.searchsorted(t_src, t_query, side="right") - 1, 0, len(t_src) - 2)
    pos, vel = hermite(
        t_src[k], pos_src[k], vel_src[k], t_src[k + 1], pos_src[k + 1], vel_src[k + 1], t_query
    )
    before = t_query < t_src[0]
    after = t_query > t_src[-1]
    pos[before] = pos_src[0] + vel_src[0] * (t_query[before] - t_src[0])[:, None]
    vel[before] = vel_src[0]
    pos[after] = pos_src[-1] + vel_src[-1] * (t_query[after] - t_src[-1])[:, None]
    vel[after] = vel_src[-1]
    return pos, vel


@dataclass
class Truth:
    """All objects on a uniform grid `t_grid_s`; `t_start_s`/`t_end_s` bound each one's life."""

    t_grid_s: Array
    pos_ecef_m: Array  # (M, K, 3)
    vel_ecef_mps: Array  # (M, K, 3)
    t_start_s: Array  # (M,)
    t_end_s: Array  # (M,)
    object_id: NDArray[np.int64]  # (M,)
    threat_id: list[str]
    kind: list[str]
    rcs_m2: Array  # (M,)
    info: dict[str, Array] = field(default_factory=dict)
    #: A motor's burn, sampled as flown (NaN rows for objects without one): burnout is a
    #: kink in the motion that the common grid would round off unless it falls on a
    #: node, so times inside ``fine_t_s``'s span are answered from these samples.
    fine_t_s: Array | None = None  # (M, F), ascending, NaN padded
    fine_pos_ecef_m: Array | None = None  # (M, F, 3)
    fine_vel_ecef_mps: Array | None = None  # (M, F, 3)

    @property
    def n_objects(self) -> int:
        return len(self.object_id)

    @property
    def dt_s(self) -> float:
        return float(self.t_grid_s[1] - self.t_grid_s[0])

    def state_at(
        self, index: NDArray[np.intp], t_s: Array
    ) -> tuple[Array, Array, NDArray[np.bool_]]:
        """ECEF position (P, 3), velocity (P, 3) and aliveness (P,) of objects `index` at `t_s`."""
        index = np.asarray(index, dtype=np.intp)
        t = np.asarray(t_s, dtype=float)
        t0 = self.t_grid_s[0]
        dt = self.dt_s
        k = np.clip(np.floor((t - t0) / dt).astype(np.intp), 0, len(self.t_grid_s) - 2)
        pos, vel = hermite(
            self.t_grid_s[k],
            self.pos_ecef_m[index, k],
            self.vel_ecef_mps[index, k],
            self.t_grid_s[k + 1],
            self.pos_ecef_m[index, k + 1],
            self.vel_ecef_mps[index, k + 1],
            t,
        )
        if self.fine_t_s is not None:
            self._fine_states(index, t, pos, vel)
        alive = (t >= self.t_start_s[index]) & (t <= self.t_end_s[index])
        return pos, vel, alive

    @cached_property
    def _fine_spans(self) -> tuple[NDArray[np.intp], Array, Array]:
        """Samples per object and each one's first and last sample time."""
        assert self.fine_t_s is not None
        ft = self.fine_t_s
        n = np.sum(np.isfinite(ft), axis=1)
        return n, ft[:, 0], ft[np.arange(len(ft)), np.maximum(n - 1, 0)]

    def _fine_states(self, index: NDArray[np.intp], t: Array, pos: Array, vel: Array) -> None:
        """Overwrite (in place) the states of queries inside an object's burn samples."""
        assert self.fine_t_s is not None
        assert self.fine_pos_ecef_m is not None and self.fine_vel_ecef_mps is not None
        ft = self.fine_t_s
        n, first, last = self._fine_spans
        t_b = np.broadcast_to(t, index.shape)
        sel = np.flatnonzero((n[index] >= 2) & (t_b >= first[index]) & (t_b <= last[index]))
        if sel.size == 0:
            return
        obj = index[sel]
        rows = ft[obj]
        k = np.clip(np.sum(rows <= t_b[sel, None], axis=1) - 1, 0, n[obj] - 2)
        p, v = hermite(
            rows[np.arange(sel.size), k],
            self.fine_pos_ecef_m[obj, k],
            self.fine_vel_ecef_mps[obj, k],
            rows[np.arange(sel.size), k + 1],
            self.fine_pos_ecef_m[obj, k + 1],
            self.fine_vel_ecef_mps[obj, k + 1],
            t_b[sel],
        )
        pos[sel] = p
        vel[sel] = v
