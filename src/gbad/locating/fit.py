"""Batch maximum-likelihood fit of a ballistic trajectory to radar measurements, many at once.

Each track's unknowns θ are its state at a reference time (position and velocity,
in the world's frame), its drag factor as a multiple of the hypothesis's nominal
A/m, and — for a rocket hypothesis — its motor's burnout time. The measurements are
the radar's own slant range, azimuth, elevation and range rate with their reported
σ; the fit minimises the whitened squared residuals (plus a weak prior on the drag
factor) by Levenberg–Marquardt, all tracks in one batch. Its Jacobians are analytic:
each trajectory is flown once with its tangent-linear sensitivity to θ
(`gbad.locating.dynamics.propagate_with_sensitivity`).

With Gaussian noise and the model right, this estimator is asymptotically
efficient: its covariance (JᵀJ)⁻¹ at the solution is the Cramér–Rao bound there,
and :func:`information` evaluated at the true θ gives the bound itself.

A rocket's motor is known only nominally (the hypothesis's round): the scale of its
burn time (at the nominal impulse) is estimated about 1 under a prior of the motors'
spread. Its burnout time is found from
the data when the track saw the boost, and otherwise from two pseudo-measurements of
the launch (burnout minus the nominal burn time): on the ground, at the tube-exit
speed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from numba import njit
from numpy.typing import NDArray

from gbad.earth.wgs84 import ecef2geodetic
from gbad.locating.dynamics import (
    N_PHYS,
    PHYS_BURNOUT,
    PHYS_IGNITION,
    PHYS_KAPPA,
    PHYS_MASS_FLOW,
    PHYS_THRUST,
    WORLD_FLAT,
    World,
    propagate,
    propagate_with_sensitivity,
    state_rate,
)

Array = NDArray[np.float64]

#: θ's length with every unknown (a rocket hypothesis's).
N_THETA = 9
#: Integration step (s) inside the fit: over a few seconds of track its error is
#: millimetres, against metres of measurement noise.
FIT_DT_S = 0.2
#: 1-σ of the launch height pseudo-measurement of a rocket hypothesis (m): a launcher's
#: tubes stand a few metres over the ground. The map's own height error is not in it:
#: it enters the claims as a consider term (`gbad.locating.claims.world_consider`).
LAUNCH_HEIGHT_SIGMA_M = 3.0
#: 1-σ of a rocket's tube-exit speed about its class's nominal one (m/s) [nominal].
EXIT_SPEED_SIGMA_MPS = 10.0


@dataclass(frozen=True)
class Model:
    """A hypothesis's dynamics: C_D(M) row, nominal A/m, prior on the scale, optional motor."""

    cd_tables: Array  # (1, G)
    kappa_nominal: float  # A/m (m²/kg; burnout mass for a rocket)
    kappa_prior_sigma: float  # 1-σ of the drag scale θ[6] about 1
    burn_time_s: float = 0.0
    thrust_per_mass: float = 0.0  # thrust / burnout mass, m/s²
    mass_flow_per_mass: float = 0.0  # mass flow / burnout mass, 1/s
    #: 1-σ of the burn-time scale θ[8] about 1: a lot's and a round's spread (the
    #: propellant's temperature).
    burn_prior_sigma: float = 0.005
    #: A rocket leaves its tube at this speed (the launch speed pseudo-measurement).
    exit_speed_mps: float = 0.0

    @property
    def powered(self) -> bool:
        return self.burn_time_s > 0.0

    @property
    def n_params(self) -> int:
        return N_THETA if self.powered else 7

    def motor(self, t_burnout_s: Array, burn_scale: Array | None = None) -> Array | None:
        """The kernels' motor rows: a burn ``burn_scale`` times the nominal one at the
        nominal impulse (thrust and mass flow over the scale), ending at burnout."""
        if not self.powered:
            return None
        m = len(t_burnout_s)
        scale = np.ones(m) if burn_scale is None else burn_scale
        return np.column_stack(
            [
                t_burnout_s - self.burn_time_s * scale,
                t_burnout_s,
                self.thrust_per_mass / scale,
                self.mass_flow_per_mass / scale,
            ]
        )

    def motor_of(self, theta: Array) -> Array | None:
        """The motor of each θ (burnout θ[7], burn-time scale θ[8]); None unpowered."""
        return self.motor(theta[:, 7], theta[:, 8]) if self.powered else None

    def physical_sensitivity(self, theta: Array) -> Array:
        """∂(drag factor, ignition, burnout, thrust, mass flow)/∂θ (M, 5, P) of each θ:
        what `gbad.locating.dynamics.propagate_with_sensitivity` flies it with."""
        m, p = len(theta), self.n_params
        d = np.zeros((m, N_PHYS, p))
        d[:, PHYS_KAPPA, 6] = self.kappa_nominal
        if self.powered:
            scale = theta[:, 8]
            d[:, PHYS_IGNITION, 7] = 1.0
            d[:, PHYS_IGNITION, 8] = -self.burn_time_s
            d[:, PHYS_BURNOUT, 7] = 1.0
            d[:, PHYS_THRUST, 8] = -self.thrust_per_mass / scale**2
            d[:, PHYS_MASS_FLOW, 8] = -self.mass_flow_per_mass / scale**2
        return d

    def launch_time(self, theta: Array) -> Array:
        """A rocket's ignition (its launch) for each θ: burnout less its burn."""
        return theta[:, 7] - self.burn_time_s * theta[:, 8]

    def prior_cost(self, theta: Array) -> Array:
        """The priors' share of the cost: drag scale, and a rocket's burn-time scale."""
        cost = ((theta[:, 6] - 1.0) / self.kappa_prior_sigma) ** 2
        if self.powered:
            cost = cost + ((theta[:, 8] - 1.0) / self.burn_prior_sigma) ** 2
        return cost


@dataclass
class Observations:
    """Measurements of M tracks, padded to K per track (NaN time = no measurement).

    Angles in radians; σ NaN (or inf) drops that component. ``radar_pos`` and
    ``radar_rot`` place each measurement's radar: local = (pos − radar_pos) @ rot.T
    gives its east, north, up.
    """

    t_s: Array  # (M, K)
    z: Array  # (M, K, 4) range_m, az_rad, el_rad, range_rate_mps
    sigma: Array  # (M, K, 4)
    radar_pos: Array  # (M, K, 3)
    radar_rot: Array  # (M, K, 3, 3)
    t_ref_s: Array  # (M,) the time θ's state refers to
    _weights: Array | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return self.t_s.shape[0]

    def take(self, rows: NDArray[np.intp]) -> Observations:
        return Observations(
            self.t_s[rows],
            self.z[rows],
            self.sigma[rows],
            self.radar_pos[rows],
            self.radar_rot[rows],
            self.t_ref_s[rows],
            None if self._weights is None else self._weights[rows],
        )

    @property
    def weights(self) -> Array:
        """1/σ, zero where a component is missing."""
        if self._weights is None:
            w = np.where(np.isfinite(self.sigma) & (self.sigma > 0), 1.0 / self.sigma, 0.0)
            self._weights = np.ascontiguousarray(np.where(np.isfinite(self.t_s)[..., None], w, 0.0))
        return self._weights


def measure(states: Array, radar_pos: Array, radar_rot: Array) -> Array:
    """Range, azimuth (rad, clockwise from north), elevation (rad), range rate of (..., 6) states."""
    rel = states[..., :3] - radar_pos
    loc = np.einsum("...ij,...j->...i", radar_rot, rel)
    rng = np.linalg.norm(rel, axis=-1)
    az = np.arctan2(loc[..., 0], loc[..., 1])
    el = np.arctan2(loc[..., 2], np.hypot(loc[..., 0], loc[..., 1]))
    rr = np.sum(rel * states[..., 3:], axis=-1) / np.maximum(rng, 1e-9)
    return np.stack([rng, az, el, rr], axis=-1)


GroundHeight = Callable[[Array], Array]


@dataclass
class FitResult:
    theta: Array  # (M, P)
    cov: Array  # (M, P, P) inverse of the information at θ
    chi2: Array  # (M,) measurement part of the cost
    n_meas: NDArray[np.int64]  # (M,) scalar measurements used
    converged: NDArray[np.bool_]
    iterations: NDArray[np.int64]

    @property
    def dof(self) -> NDArray[np.int64]:
        return np.maximum(self.n_meas - self.theta.shape[1], 1)


@njit(cache=True)
def _whitened(states, rows, z, w, radar_pos, radar_rot, out):
    """(z − h(state))·w for every trajectory (its track: rows[j]); az wrapped to ±π.
    ``states`` (N, ≥K, 6): columns past z's K (a rocket's launch) are not read."""
    n, k = states.shape[0], z.shape[1]
    for j in range(n):
        m = rows[j]
        for i in range(k):
            base = 4 * i
            if w[m, i, 0] == 0.0 and w[m, i, 1] == 0.0 and w[m, i, 2] == 0.0 and w[m, i, 3] == 0.0:
                for c in range(4):
                    out[j, base + c] = 0.0
                continue
            if math.isnan(states[j, i, 0]):
                for c in range(4):
                    out[j, base + c] = 1e6 * w[m, i, c]
                continue
            rx = states[j, i, 0] - radar_pos[m, i, 0]
            ry = states[j, i, 1] - radar_pos[m, i, 1]
            rz = states[j, i, 2] - radar_pos[m, i, 2]
            e = radar_rot[m, i, 0, 0] * rx + radar_rot[m, i, 0, 1] * ry + radar_rot[m, i, 0, 2] * rz
            nn = (
                radar_rot[m, i, 1, 0] * rx + radar_rot[m, i, 1, 1] * ry + radar_rot[m, i, 1, 2] * rz
            )
            u = radar_rot[m, i, 2, 0] * rx + radar_rot[m, i, 2, 1] * ry + radar_rot[m, i, 2, 2] * rz
            rng = math.sqrt(rx * rx + ry * ry + rz * rz)
            az = math.atan2(e, nn)
            el = math.atan2(u, math.hypot(e, nn))
            rr = (rx * states[j, i, 3] + ry * states[j, i, 4] + rz * states[j, i, 5]) / max(
                rng, 1e-9
            )
            d_az = z[m, i, 1] - az
            d_az = (d_az + math.pi) % (2.0 * math.pi) - math.pi
            out[j, base] = (z[m, i, 0] - rng) * w[m, i, 0]
            out[j, base + 1] = d_az * w[m, i, 1]
            out[j, base + 2] = (z[m, i, 2] - el) * w[m, i, 2]
            out[j, base + 3] = (z[m, i, 3] - rr) * w[m, i, 3] if w[m, i, 3] > 0.0 else 0.0


@njit(cache=True)
def _whitened_jacobian(states, sens, w, radar_pos, radar_rot, out):
    """∂/∂θ (M, 4K, P) of `_whitened`'s residuals, one trajectory per track: −w·∂h/∂state·S.
    Columns of ``states`` and ``sens`` past w's K are not read."""
    m, k = states.shape[0], w.shape[1]
    p = sens.shape[3]
    for j in range(m):
        for i in range(k):
            base = 4 * i
            for c in range(4):
                for q in range(p):
                    out[j, base + c, q] = 0.0
            if w[j, i, 0] == 0.0 and w[j, i, 1] == 0.0 and w[j, i, 2] == 0.0 and w[j, i, 3] == 0.0:
                continue
            if math.isnan(states[j, i, 0]):
                continue
            rel = states[j, i, 0:3] - radar_pos[j, i]
            rot = radar_rot[j, i]
            e = rot[0, 0] * rel[0] + rot[0, 1] * rel[1] + rot[0, 2] * rel[2]
            nn = rot[1, 0] * rel[0] + rot[1, 1] * rel[1] + rot[1, 2] * rel[2]
            u = rot[2, 0] * rel[0] + rot[2, 1] * rel[1] + rot[2, 2] * rel[2]
            rng2 = rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2]
            rng = max(math.sqrt(rng2), 1e-9)
            rho2 = max(e * e + nn * nn, 1e-18)
            rho = math.sqrt(rho2)
            v = states[j, i, 3:6]
            rr = (rel[0] * v[0] + rel[1] * v[1] + rel[2] * v[2]) / rng
            for q in range(p):
                dp0, dp1, dp2 = sens[j, i, 0, q], sens[j, i, 1, q], sens[j, i, 2, q]
                d_rel = rel[0] * dp0 + rel[1] * dp1 + rel[2] * dp2
                d_e = rot[0, 0] * dp0 + rot[0, 1] * dp1 + rot[0, 2] * dp2
                d_n = rot[1, 0] * dp0 + rot[1, 1] * dp1 + rot[1, 2] * dp2
                d_u = rot[2, 0] * dp0 + rot[2, 1] * dp1 + rot[2, 2] * dp2
                d_rng = d_rel / rng
                d_az = (nn * d_e - e * d_n) / rho2
                d_el = (rho * d_u - u * (e * d_e + nn * d_n) / rho) / (rng * rng)
                d_v = (
                    rel[0] * sens[j, i, 3, q]
                    + rel[1] * sens[j, i, 4, q]
                    + rel[2] * sens[j, i, 5, q]
                )
                d_rr = (v[0] * dp0 + v[1] * dp1 + v[2] * dp2 + d_v) / rng - rr * d_rng / rng
                out[j, base, q] = -w[j, i, 0] * d_rng
                out[j, base + 1, q] = -w[j, i, 1] * d_az
                out[j, base + 2, q] = -w[j, i, 2] * d_el
                out[j, base + 3, q] = -w[j, i, 3] * d_rr if w[j, i, 3] > 0.0 else 0.0


def fly(
    theta: Array,
    t_ref_s: Array,
    t_s: Array,
    model: Model,
    world: World,
    air: Array | None = None,
    sensitivity: bool = False,
    presorted: bool = False,
) -> tuple[Array, Array | None]:
    """States (N, K, 6) of θ (N, P) at times ``t_s`` (N, K), and for a rocket hypothesis
    at its launch too (column K); with ``sensitivity`` also ∂state/∂θ (N, K(+1), 6, P),
    the launch's including the move of its own time. ``presorted``: each row of ``t_s``
    ascends with NaN last."""
    n = len(theta)
    kappa = model.kappa_nominal * theta[:, 6]
    motor = model.motor_of(theta)
    t_out = t_s
    if model.powered:
        t_out = np.concatenate([t_s, model.launch_time(theta)[:, None]], axis=1)
    zeros = np.zeros(n, dtype=np.int64)
    if not sensitivity:
        states = propagate(
            theta[:, :6], kappa, t_ref_s, t_out, model.cd_tables, zeros, world, motor,
            presorted=presorted and not model.powered, air=air,
        )  # fmt: skip
        return states, None
    dphys = model.physical_sensitivity(theta)
    states, sens = propagate_with_sensitivity(
        theta[:, :6], kappa, t_ref_s, t_out, model.cd_tables, zeros, world, dphys, motor, air
    )
    if model.powered:
        # The launch is reached from after it (flying back from θ's time) or before.
        t_launch = t_out[:, -1]
        side = np.where(t_ref_s >= t_launch, 1.0, -1.0)
        rate = state_rate(
            states[:, -1], t_launch, side, kappa, model.cd_tables, zeros, world, motor, air
        )
        sens[:, -1] += rate[:, :, None] * dphys[:, PHYS_IGNITION, None, :]
    return states, sens


def _assemble(
    theta: Array,
    obs: Observations,
    model: Model,
    world: World,
    ground_height: GroundHeight | None,
    states: Array,
    rows: NDArray[np.intp],
) -> tuple[Array, Array, NDArray[np.bool_]]:
    """Whitened residuals (N, R), measurement χ² (N,) and which trajectories diverged, of
    flown states (N, K(+1), 6)."""
    n = len(theta)
    k = obs.t_s.shape[1]
    r_meas = np.empty((n, 4 * k))
    _whitened(
        states,
        np.ascontiguousarray(rows, dtype=np.int64),
        obs.z,
        obs.weights,
        obs.radar_pos,
        obs.radar_rot,
        r_meas,
    )
    chi2 = np.sum(r_meas**2, axis=1)
    parts = [r_meas, ((theta[:, 6] - 1.0) / model.kappa_prior_sigma)[:, None]]
    if model.powered:
        parts.append(((theta[:, 8] - 1.0) / model.burn_prior_sigma)[:, None])
        launch = states[:, k]
        exit_speed = np.linalg.norm(launch[:, 3:], axis=1)
        parts.append(((exit_speed - model.exit_speed_mps) / EXIT_SPEED_SIGMA_MPS)[:, None])
        parts.append(
            (_above_ground(launch[:, :3], world, ground_height) / LAUNCH_HEIGHT_SIGMA_M)[:, None]
        )
    r = np.concatenate(parts, axis=1)
    bad = ~np.all(np.isfinite(r), axis=1) | np.any(np.abs(r) >= 1e5, axis=1)
    r[bad] = np.clip(np.nan_to_num(r[bad], nan=1e6), -1e6, 1e6)
    chi2[bad] = np.inf  # a diverged trajectory: a huge, finite cost the fit backs away from
    return r, chi2, bad


def _above_ground(pos: Array, world: World, ground_height: GroundHeight | None) -> Array:
    """Height (m) of world-frame positions (N, 3) above the locator's ground."""
    of_geodetic = getattr(ground_height, "of_geodetic", None)
    if of_geodetic is not None and world.kind != WORLD_FLAT:
        # A mapped ground: the positions' geodetic coordinates found once for both.
        lat, lon, h = ecef2geodetic(pos[..., 0], pos[..., 1], pos[..., 2])
        return h - of_geodetic(lat, lon)
    h = world.height_m(pos)
    return h - (ground_height(pos) if ground_height is not None else 0.0)


def _above_ground_gradient(pos: Array, world: World, ground_height: GroundHeight | None) -> Array:
    """∂(`_above_ground`)/∂position (N, 3): the local vertical over a level ground, else
    central differences (the ground is a map, not a formula)."""
    if ground_height is None or getattr(ground_height, "level", False):
        if world.kind == WORLD_FLAT:
            return np.tile([0.0, 0.0, 1.0], (len(pos), 1))
        lat, lon, _ = ecef2geodetic(pos[:, 0], pos[:, 1], pos[:, 2])
        la, lo = np.radians(lat), np.radians(lon)
        return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    # The six displaced copies of every position in one call (the map's cost is per call).
    steps = np.concatenate([np.eye(3), -np.eye(3)]) * _GROUND_GRAD_STEP_M  # (6, 3)
    h = _above_ground((pos[None, :, :] + steps[:, None, :]).reshape(-1, 3), world, ground_height)
    h = h.reshape(6, len(pos))
    return ((h[:3] - h[3:]) / (2.0 * _GROUND_GRAD_STEP_M)).T


def residuals(
    theta: Array,
    obs: Observations,
    model: Model,
    world: World,
    ground_height: GroundHeight | None,
    rows: NDArray[np.intp] | None = None,
    air: Array | None = None,
) -> tuple[Array, Array]:
    """Whitened residuals (N, R) and the measurement-only χ² (N,) of θ (N, P).

    ``rows`` (N,) names each θ's track in ``obs`` (default: one θ per track, in order).
    ``air`` (N, 5): the air the trajectories fly (`dynamics.propagate`; None: calm).
    """
    rows = np.arange(len(theta)) if rows is None else rows
    states, _ = fly(theta, obs.t_ref_s[rows], obs.t_s[rows], model, world, air, presorted=True)
    r, chi2, _ = _assemble(theta, obs, model, world, ground_height, states, rows)
    return r, chi2


#: When `fit` asks whether a track's hypothesis is hopeless (``give_up_cost``).
GIVE_UP_ITER = 5
#: Step (s) of the burnout time's forward difference (`residuals_and_jacobian`).
BURNOUT_STEP_S = 1e-3
#: Step (m) of the central differences of the launch's height above a mapped ground.
_GROUND_GRAD_STEP_M = 1.0


def residuals_and_jacobian(
    theta: Array,
    obs: Observations,
    model: Model,
    world: World,
    ground_height: GroundHeight | None = None,
    free: NDArray[np.bool_] | None = None,
) -> tuple[Array, Array, Array]:
    """Whitened residuals (M, R), their Jacobian (M, R, F) in the free unknowns, and χ² (M,).

    One flight per track with its sensitivity (`fly`); the residuals are `residuals`'
    to the bit. A diverged trajectory's Jacobian is zero (its cost is already huge).
    """
    m, p = theta.shape
    cols = np.flatnonzero(np.ones(p, dtype=bool) if free is None else free)
    rows = np.arange(m)
    states, sens = fly(theta, obs.t_ref_s, obs.t_s, model, world, sensitivity=True)
    r, chi2, bad = _assemble(theta, obs, model, world, ground_height, states, rows)
    k = obs.t_s.shape[1]
    jac = np.zeros((m, r.shape[1], p))
    _whitened_jacobian(
        states,
        sens,
        obs.weights,
        obs.radar_pos,
        obs.radar_rot,
        jac,
    )
    jac[:, 4 * k, 6] = 1.0 / model.kappa_prior_sigma
    if model.powered:
        jac[:, 4 * k + 1, 8] = 1.0 / model.burn_prior_sigma
        launch, d_launch = states[:, k], sens[:, k]
        v = launch[:, 3:]
        v_hat = v / np.maximum(np.linalg.norm(v, axis=1), 1e-9)[:, None]
        jac[:, 4 * k + 2] = np.einsum("mi,mip->mp", v_hat, d_launch[:, 3:]) / EXIT_SPEED_SIGMA_MPS
        grad = _above_ground_gradient(launch[:, :3], world, ground_height)
        jac[:, 4 * k + 3] = np.einsum("mi,mip->mp", grad, d_launch[:, :3]) / LAUNCH_HEIGHT_SIGMA_M
    if model.powered and 7 in cols:
        # The burnout's column is a forward difference: the residuals have a kink
        # wherever burnout passes a look (a range rate sees the thrust stop), so the
        # best burnout often sits on one, where a one-sided derivative keeps the fit
        # stepping across it while a secant a millisecond wide settles.
        moved = theta.copy()
        moved[:, 7] += BURNOUT_STEP_S
        jac[:, :, 7] = (residuals(moved, obs, model, world, ground_height)[0] - r) / BURNOUT_STEP_S
    jac[bad] = 0.0
    if not np.isfinite(jac).all():
        jac = np.nan_to_num(jac, nan=0.0, posinf=0.0, neginf=0.0)
    return r, (jac if len(cols) == p else jac[:, :, cols]), chi2


def fit(
    theta0: Array,
    obs: Observations,
    model: Model,
    world: World,
    ground_height: GroundHeight | None = None,
    max_iter: int = 30,
    tol_chi2: float = 1e-5,
    free: NDArray[np.bool_] | None = None,
    eager_jacobian: bool | None = None,
    give_up_cost: Array | None = None,
) -> FitResult:
    """Levenberg–Marquardt from ``theta0`` (M, P), every track at once.

    ``free`` (P,) holds the unknowns marked False at their ``theta0`` values (their
    covariance rows are zero): for problems that pin part of the state, such as a
    vertical fall seen by range alone. ``eager_jacobian``: fly every candidate step with
    its sensitivity, taken or not (True), or first alone and again with the sensitivity
    where taken (False); None: eagerly where the model is unpowered, lazily where it is
    powered. The answers are the same bit for bit; only the flights differ. A shell's or
    bomb's steps are nearly all taken (nine in ten on the default raid), so flying each
    once with its sensitivity is cheaper; a rocket hypothesis' are mostly not (four in
    ten), and a rejected step is often a wild one (a burnout minutes away) whose
    sensitivity would be flown the whole way. ``give_up_cost`` (M,): a track whose cost is
    still above it after `GIVE_UP_ITER` iterations stops there, not converged (a
    hopeless hypothesis; inf: never).
    """
    if eager_jacobian is None:
        eager_jacobian = not model.powered
    theta = np.array(theta0, dtype=float)
    m, p = theta.shape
    free = np.ones(p, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    # Outputs between steps are cubic Hermite, so a track's few seconds need few steps.
    world = replace(world, dt_s=max(world.dt_s, FIT_DT_S))
    r, jac, chi2 = residuals_and_jacobian(theta, obs, model, world, ground_height, free)
    cost = np.sum(r**2, axis=1)
    lam = np.full(m, 1e-3)
    done = np.zeros(m, dtype=bool)
    iters = np.zeros(m, dtype=np.int64)
    gave_up = np.zeros(m, dtype=bool)
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        ja = jac[act]
        jtj = _gram(ja)
        g = (ja.transpose(0, 2, 1) @ r[act][..., None])[..., 0]
        diag = np.einsum("mii->mi", jtj)
        a = jtj + (lam[act, None] * np.maximum(diag, 1e-12))[:, :, None] * np.eye(free.sum())
        try:
            step = -np.linalg.solve(a, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(a[0], g[0], rcond=None)[0][None]
        # The Gauss–Newton model's own forecast of what the step would gain: when that
        # is negligible, θ is already there and the step is not worth flying.
        forecast = -(
            2.0 * np.einsum("mi,mi->m", g, step) + np.einsum("mi,mij,mj->m", step, jtj, step)
        )
        settled = forecast <= np.maximum(tol_chi2, 1e-6 * cost[act])
        done[act[settled]] = True
        act, step = act[~settled], step[~settled]
        if act.size == 0:
            break
        cand = theta[act].copy()
        cand[:, free] += step
        # The candidate's own trajectory first: its sensitivity only where the
        # step is taken. A rejected step is often a wild one (a rocket's burnout minutes
        # away), whose perturbed copies would each be flown the whole way.
        if eager_jacobian:
            r_c, jac_c, chi2_c = residuals_and_jacobian(
                cand, obs.take(act), model, world, ground_height, free
            )
        else:
            r_c, chi2_c = residuals(cand, obs.take(act), model, world, ground_height)
        cost_c = np.sum(r_c**2, axis=1)
        better = cost_c < cost[act]
        ok = act[better]
        if eager_jacobian:
            jac[ok] = jac_c[better]
        elif ok.size:
            jac[ok] = residuals_and_jacobian(
                cand[better], obs.take(ok), model, world, ground_height, free
            )[1]
        theta[ok], r[ok], chi2[ok] = cand[better], r_c[better], chi2_c[better]
        gain = cost[act] - np.where(better, cost_c, cost[act])
        cost[ok] = cost_c[better]
        lam[ok] = np.maximum(lam[ok] / 4.0, 1e-9)
        lam[act[~better]] *= 8.0
        iters[act] += 1
        # Converged: the accepted step changed the cost by a negligible amount, or
        # no step helps any more (damping has grown past any useful size).
        # χ² has an absolute scale: a step that gains under tol_chi2 moves θ by a
        # negligible fraction of its own σ (or, on a hopeless fit, of a huge cost).
        small = better & (gain <= np.maximum(tol_chi2, 1e-6 * cost[act]))
        done[act[small]] = True
        done[act[~better & (lam[act] > 1e8)]] = True
        if give_up_cost is not None:
            hopeless = (iters[act] == GIVE_UP_ITER) & (cost[act] > give_up_cost[act])
            done[act[hopeless]] = True
            gave_up[act[hopeless]] = True
    conv = done & ~gave_up
    cov = np.zeros((m, p, p))
    cov[:, free[:, None] & free[None, :]] = _inverse(_gram(jac)).reshape(m, -1)
    w = obs.weights
    n_meas = np.sum(w > 0, axis=(1, 2))
    return FitResult(theta, cov, chi2, n_meas, conv, iters)


def _gram(jac: Array) -> Array:
    """JᵀJ (M, F, F) of Jacobians (M, R, F): BLAS's batched product, several times
    `np.einsum`'s (which walks the sum with an iterator), made exactly symmetric (a
    blocked product need not sum both halves in one order)."""
    a = jac.transpose(0, 2, 1) @ jac
    return 0.5 * (a + a.transpose(0, 2, 1))


def _inverse(a: Array) -> Array:
    out = np.full_like(a, np.nan)
    ok = np.all(np.isfinite(a), axis=(1, 2))
    if np.any(ok):
        try:
            out[ok] = np.linalg.inv(a[ok])
        except np.linalg.LinAlgError:
            out[ok] = np.linalg.pinv(a[ok])
    return out


def information(
    theta: Array,
    obs: Observations,
    model: Model,
    world: World,
    ground_height: GroundHeight | None = None,
    free: NDArray[np.bool_] | None = None,
) -> Array:
    """Fisher information (M, F, F) of the measurements (and prior) at θ: JᵀJ, whitened."""
    _, jac, _ = residuals_and_jacobian(theta, obs, model, world, ground_height, free)
    return _gram(jac)
