"""What the tracker asks of a filter, for each filter the scenario can name.

The tracker keeps one state row per track; an estimator knows how to predict
rows to given times, gate and update them with AER measurements of one radar,
start new rows from single detections, and read position/velocity back out.
Angles in measurement vectors and covariances are in degrees, as in the
detection files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from gbad.scenario.schema import TrackerConfig
from gbad.stats import chi2_ppf
from gbad.tracking import converted, fastpath, filters, models, unscented

if TYPE_CHECKING:
    from gbad.tracking.buffers import RadarGeometry, _Tracks

Array = NDArray[np.float64]


class Estimator(Protocol):
    n: int

    def search_region(self, tracks: _Tracks, rows: NDArray, t_s: float) -> tuple[Array, Array]: ...

    def gate(
        self,
        tracks: _Tracks,
        rows: NDArray,
        t_s: Array,
        z: Array,
        R: Array,
        geo: RadarGeometry,
        with_rr: bool,
    ) -> tuple[Array, Array, Array, Array]: ...

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
    ) -> tuple[Array, Array]: ...

    def initiate(
        self, t_s: Array, z: Array, R: Array, geo: RadarGeometry, with_rr: bool, v_sigma_mps: float
    ) -> tuple[Array, Array, dict[str, NDArray]]: ...

    def position_velocity(self, x: Array, P: Array) -> tuple[Array, Array, Array]: ...


def time_reversal(n: int) -> Array:
    """Signs that run a state backwards in time: velocity and turn rate flip, the rest stay.

    For layouts [p, v] (6), [p, v, ω] (7), [p, v, a] (9) and [p, v, a, ω] (10),
    flipping these signs, predicting forward by τ and flipping back is the
    prediction to τ earlier — exact for the mean, and with the forward process
    noise added, a conservative covariance (the "B1" approximation to an
    out-of-sequence update; Bar-Shalom, IEEE TAES 38(3), 2002).
    """
    signs = np.ones(n)
    signs[3:6] = -1.0
    if n in (7, 10):
        signs[-1] = -1.0
    return signs


def predict_signed(model, x: Array, P: Array, dt_s: Array) -> tuple[Array, Array]:
    """`model.predict` that also accepts negative steps (see :func:`time_reversal`)."""
    dt = np.asarray(dt_s, dtype=float)
    back = dt < 0
    if not back.any():
        return model.predict(x, P, dt)
    j = time_reversal(x.shape[1])
    xs = np.where(back[:, None], x * j, x)
    Ps = np.where(back[:, None, None], P * np.outer(j, j), P)
    xo, Po = model.predict(xs, Ps, np.abs(dt))
    xo = np.where(back[:, None], xo * j, xo)
    Po = np.where(back[:, None, None], Po * np.outer(j, j), Po)
    return xo, Po


def initial_state(
    n: int, z: Array, R: Array, geo: RadarGeometry, with_rr: bool, v_sigma_mps: float
) -> tuple[Array, Array]:
    """A track from one detection: its converted position, and a velocity known only
    along the line of sight when the radar measures range rate (σ_v across it)."""
    # Mo et al.'s unbiased conversion, covariance conditioned on the measurement.
    pos, cov = converted.converted_measurement(z[:, :3], R[:, :3, :3], geo.enu_m, geo.rot)
    k = len(z)
    x = np.zeros((k, n))
    x[:, :3] = pos
    P = np.zeros((k, n, n))
    P[:, :3, :3] = cov
    P[:, 3:6, 3:6] = np.eye(3) * v_sigma_mps**2
    if with_rr:
        rr_ok = np.isfinite(z[:, 3])
        los = pos - geo.enu_m
        u = los / np.linalg.norm(los, axis=1, keepdims=True)
        uu = u[:, :, None] * u[:, None, :]
        x[rr_ok, 3:6] = z[rr_ok, 3, None] * u[rr_ok]
        pv = R[:, 3, 3, None, None] * uu + v_sigma_mps**2 * (np.eye(3) - uu)
        P[rr_ok, 3:6, 3:6] = pv[rr_ok]
    return x, P


class KalmanEstimator:
    """One motion model with an EKF, UKF or converted-measurement update."""

    def __init__(self, config: TrackerConfig):
        self.config = config
        self.model = models.ConstantVelocity(config.process_noise_m2ps3)
        self.n = self.model.n
        self.kind = config.filter
        self.k_search = float(np.sqrt(chi2_ppf(config.gate_probability, 3))) + 1.0

    def search_region(self, tracks: _Tracks, rows: NDArray, t_s: float) -> tuple[Array, Array]:
        dt = t_s - tracks.t_s[rows]
        x, P = tracks.x[rows], tracks.P[rows]
        pos = x[:, :3] + x[:, 3:6] * dt[:, None]
        var = (
            np.trace(P[:, :3, :3], axis1=1, axis2=2)
            + dt**2 * np.trace(P[:, 3:6, 3:6], axis1=1, axis2=2)
            + self.config.process_noise_m2ps3 * np.abs(dt) ** 3
        )
        return pos, self.k_search * np.sqrt(var)

    def _predict(self, tracks: _Tracks, rows: NDArray, t_s: Array) -> tuple[Array, Array]:
        return predict_signed(self.model, tracks.x[rows], tracks.P[rows], t_s - tracks.t_s[rows])

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
        if not with_rr:
            return fastpath.cv_gate(
                tracks.x[rows],
                tracks.P[rows],
                t_s - tracks.t_s[rows],
                self.model.q_m2ps3,
                z,
                R,
                geo.enu_m,
                geo.rot,
            )
        xp, Pp = self._predict(tracks, rows, t_s)
        # The gate sees the same ν and S the update will use (range rate's second-order
        # terms included), pair by pair in one compiled pass; `filters` where S is not
        # positive definite.
        d2, logdet = fastpath.rr_gate_stats(xp, Pp, z, R, geo.enu_m, geo.rot)
        bad = np.flatnonzero(~np.isfinite(d2))
        if bad.size:
            inn = filters.aer_innovation(
                xp[bad], Pp[bad], z[bad], R[bad], geo.enu_m, geo.rot, with_rr
            )
            d2[bad] = inn.nis
            logdet[bad] = np.linalg.slogdet(inn.S)[1]
        return xp, Pp, d2, logdet

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
        if self.kind == "ukf":
            out = unscented.ukf_update(xp, Pp, z, R, geo.enu_m, geo.rot, with_rr)
        elif self.kind == "cmkf":
            out = converted.cmkf_update(xp, Pp, z, R, geo.enu_m, geo.rot, with_rr)
        else:
            # The compiled CV predict-and-update, predicting by nothing: xp is already at
            # the detection's time. Same result as ekf_update, without the temporaries.
            out = filters.ekf_cv_predict_update(
                xp, Pp, 0.0, self.model.q_m2ps3, z, R, geo.enu_m, geo.rot, with_rr
            )
        return out[0], out[1]

    def initiate(
        self, t_s: Array, z: Array, R: Array, geo: RadarGeometry, with_rr: bool, v_sigma_mps: float
    ) -> tuple[Array, Array, dict[str, NDArray]]:
        x, P = initial_state(self.n, z, R, geo, with_rr, v_sigma_mps)
        return x, P, {}

    def position_velocity(self, x: Array, P: Array) -> tuple[Array, Array, Array]:
        return x[:, :3], x[:, 3:6], P[:, :3, :3]


def make_estimator(config: TrackerConfig) -> Estimator:
    if config.filter == "imm":
        from gbad.tracking.imm_estimator import IMMEstimator

        return IMMEstimator(config)
    return KalmanEstimator(config)
