"""The tracker's IMM: constant velocity, constant acceleration and coordinated turn, mixed.

Each track keeps its combined estimate in the tracker's state columns (what
gating's pre-gate, the looks and the outputs read) and its model-conditioned
states and mode probabilities beside them. Predictions handed from `gate` to
`update` carry both, packed along the last axis, so the tracker can index
them like any other estimator's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from gbad.scenario.schema import TrackerConfig
from gbad.tracking import filters, imm
from gbad.tracking.estimators import (
    KalmanEstimator,
    initial_state,
    time_reversal,
)

if TYPE_CHECKING:
    from gbad.tracking.buffers import RadarGeometry, _Tracks

Array = NDArray[np.float64]
N_STATE = 10
#: P(model j next | model i now) per update, models (CV, CA, CT): manoeuvres are rare
#: and short, so each model mostly keeps itself.
TRANSITION = np.array([[0.95, 0.025, 0.025], [0.05, 0.90, 0.05], [0.05, 0.05, 0.90]])


class IMMEstimator:
    """IMM (CV/CA/CT) with the EKF update, for `filter = "imm"`."""

    def __init__(self, config: TrackerConfig):
        self.config = config
        q = config.process_noise_m2ps3
        self.imm = imm.IMM(
            [
                imm.ImmConstantVelocity(0.1 * q),
                # White jerk of q m²/s⁵: acceleration wanders by ~√q m/s² a second.
                imm.ImmConstantAcceleration(q),
                imm.ImmCoordinatedTurn(q, 1e-4),
            ],
            TRANSITION,
        )
        self.n = N_STATE
        self.r = self.imm.r
        self._search = KalmanEstimator(config)
        self._flip = time_reversal(N_STATE)

    def search_region(self, tracks: _Tracks, rows: NDArray, t_s: float) -> tuple[Array, Array]:
        return self._search.search_region(tracks, rows, t_s)

    def _predict(self, tracks: _Tracks, rows: NDArray, t_s: Array) -> tuple[Array, Array, Array]:
        xm = tracks.extra["imm_x"][rows]
        Pm = tracks.extra["imm_P"][rows]
        mu = tracks.extra["imm_mu"][rows]
        dt = t_s - tracks.t_s[rows]
        back = dt < 0
        if back.any():
            j = self._flip
            xm = np.where(back[:, None, None], xm * j, xm)
            Pm = np.where(back[:, None, None, None], Pm * np.outer(j, j), Pm)
        xp, Pp, mup = self.imm.predict(xm, Pm, mu, np.abs(dt))
        if back.any():
            xp = np.where(back[:, None, None], xp * j, xp)
            Pp = np.where(back[:, None, None, None], Pp * np.outer(j, j), Pp)
        return xp, Pp, mup

    def _pack(self, xc: Array, Pc: Array, xm: Array, Pm: Array, mu: Array) -> tuple[Array, Array]:
        k = len(xc)
        x = np.concatenate([xc, xm.reshape(k, -1), mu], axis=1)
        P = np.concatenate([Pc[:, None], Pm], axis=1)
        return x, P

    def _unpack(self, x: Array, P: Array) -> tuple[Array, Array, Array]:
        n, r = self.n, self.r
        xm = x[:, n : n + r * n].reshape(-1, r, n)
        mu = x[:, n + r * n :]
        return xm, P[:, 1:], mu

    def gate(
        self,
        tracks: _Tracks,
        rows: NDArray,
        t_s: Array,
        z: Array,
        R: Array,
        geo: RadarGeometry,
        with_rr: bool,
    ) -> tuple[Array, Array, Array, Array]:
        xm, Pm, mu = self._predict(tracks, rows, t_s)
        xc, Pc = self.imm.combine(xm, Pm, mu)
        inn = filters.aer_innovation(xc, Pc, z, R, geo.enu_m, geo.rot, with_rr)
        d2 = inn.nis
        _, logdet = np.linalg.slogdet(inn.S)
        x, P = self._pack(xc, Pc, xm, Pm, mu)
        return x, P, d2, logdet

    def update(
        self,
        xp: Array,
        Pp: Array,
        z: Array,
        R: Array,
        geo: RadarGeometry,
        with_rr: bool,
        tracks: _Tracks,
        rows: NDArray,
    ) -> tuple[Array, Array]:
        xm, Pm, mu = self._unpack(xp, Pp)
        out = self.imm.update(xm, Pm, mu, z, R, geo.enu_m, geo.rot, with_rr, method="ekf")
        tracks.extra["imm_x"][rows] = out.x
        tracks.extra["imm_P"][rows] = out.P
        tracks.extra["imm_mu"][rows] = out.mu
        return self.imm.combine(out.x, out.P, out.mu)

    def initiate(
        self, t_s: Array, z: Array, R: Array, geo: RadarGeometry, with_rr: bool, v_sigma_mps: float
    ) -> tuple[Array, Array, dict[str, NDArray]]:
        x, P = initial_state(self.n, z, R, geo, with_rr, v_sigma_mps)
        # Start near non-manoeuvring (σ 5 m/s², 2°/s): wide priors on a single detection
        # open gates that clutter walks through; the CA and CT models grow them if needed.
        P[:, 6:9, 6:9] = np.eye(3) * 5.0**2
        P[:, 9, 9] = np.radians(2.0) ** 2
        # New tracks start as constant velocity; the data must earn a manoeuvre model.
        xm, Pm, mu = self.imm.initial(x, P, np.array([0.98, 0.01, 0.01]))
        return x, P, {"imm_x": xm, "imm_P": Pm, "imm_mu": mu}

    def position_velocity(self, x: Array, P: Array) -> tuple[Array, Array, Array]:
        return x[:, :3], x[:, 3:6], P[:, :3, :3]
