"""A cheap look at a track before the locator fits it: is it plainly level flight?

Most of a weapon-locating radar's long tracks in a raid are not rounds but aircraft and
drones loitering in its fence. The full three-class fit (`gbad.locating.locate`)
calls them "not a projectile: level flight" in the end, but the rocket hypothesis
spends most of the locator's time getting there: to join a level track to a launch
on the ground it integrates minutes of flight, ten trajectories a step.

The screen fits the one model that is linear in its unknowns, a drag-free parabola
under known gravity, x(τ) = p + v·τ + ½·g·τ², by weighted least squares on the
measured positions (each detection's range and angle σ carried into the world
frame). It then asks the full fit's own level-flight question of it (the parabola
tops out inside the track, or the track's middle is flown within
``min_flight_path_deg`` of level, at under `AIRCRAFT_SPEED_MAX_MPS`), but with
every quantity ``SCREEN_SIGMAS`` of its own σ clear of the threshold, and only
where the parabola explains the data well (χ²/dof under half the locator's limit).
A track the screen passes is not fitted; anything in doubt goes to the full fit.
The drag-free parabola is the full fit's own model but for drag and the range
rate, so its answer lies well inside its σ of the full fit's at these speeds.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gbad.locating.claims import _up_vector
from gbad.locating.dynamics import WORLD_FLAT, World
from gbad.locating.fit import Observations

Array = NDArray[np.float64]

#: Nothing faster than this (m/s) is taken for an aircraft flying through the fence
#: [assumption: low-level aircraft are subsonic], so flat fire is not mistaken for one.
AIRCRAFT_SPEED_MAX_MPS = 350.0
#: How many of its own σ each screened quantity must stand clear of its threshold.
SCREEN_SIGMAS = 3.0
#: Standard gravity (m/s²): the screen's parabola ignores its few-0.1 % variation.
G_MPS2 = 9.80665


def level_flight(
    obs: Observations,
    positions: Array,
    world: World,
    min_flight_path_deg: float,
    max_chi2_dof: float,
) -> NDArray[np.bool_]:
    """Which tracks are plainly level flight (see the module's doc); (M,) bool.

    ``positions`` (M, K, 3): the measurements in the world frame (`locate.observations`).
    """
    m = len(obs)
    out = np.zeros(m, dtype=bool)
    if m == 0:
        return out
    tau = obs.t_s - obs.t_ref_s[:, None]
    ok = np.isfinite(tau)
    tau = np.where(ok, tau, 0.0)
    w = np.where(ok[..., None], obs.weights[..., :3], 0.0)  # 1/σ of range, az, el
    r = np.where(ok, obs.z[..., 0], 1.0)
    az = np.where(ok, obs.z[..., 1], 0.0)
    el = np.where(ok, obs.z[..., 2], 0.0)
    ca, sa, ce, se = np.cos(az), np.sin(az), np.cos(el), np.sin(el)
    # Rows of the spherical-to-local Jacobian's inverse: d(range, az, el)/d(east, north, up).
    zero = np.zeros_like(r)
    inv = np.stack(
        [
            np.stack([ce * sa, ce * ca, se], -1),
            np.stack([ca, -sa, zero], -1) / np.maximum(r * ce, 1e-9)[..., None],
            np.stack([-se * sa, -se * ca, ce], -1) / np.maximum(r, 1e-9)[..., None],
        ],
        -2,
    )
    # Whitened sensitivity of each detection to the world position: diag(1/σ)·J⁻¹·rot.
    h = w[..., :, None] * np.einsum("mkij,mkjl->mkil", inv, obs.radar_rot)
    info = np.einsum("mkai,mkaj->mkij", h, h)  # (M, K, 3, 3) information of each position
    centre = np.nanmean(np.where(ok[..., None], positions, np.nan), axis=1)
    if world.kind == WORLD_FLAT:
        g_vec = np.tile([0.0, 0.0, -world.flat_g_mps2], (m, 1))
    else:
        g_vec = -G_MPS2 * _up_vector(np.nan_to_num(centre, nan=1.0), world)
    y = np.where(ok[..., None], positions, 0.0) - 0.5 * g_vec[:, None, :] * tau[..., None] ** 2
    s0 = info.sum(axis=1)
    s1 = np.einsum("mk,mkij->mij", tau, info)
    s2 = np.einsum("mk,mkij->mij", tau**2, info)
    normal = np.block([[s0, s1], [s1, s2]])
    wy = np.einsum("mkij,mkj->mki", info, y)
    rhs = np.concatenate([wy.sum(axis=1), np.einsum("mk,mki->mi", tau, wy)], axis=1)
    n_meas = np.sum(w > 0, axis=(1, 2))
    usable = (n_meas > 6) & np.all(np.isfinite(normal), axis=(1, 2))
    usable &= np.linalg.cond(np.where(usable[:, None, None], normal, np.eye(6))) < 1e14
    if not np.any(usable):
        return out
    idx = np.flatnonzero(usable)
    cov = np.linalg.inv(normal[idx])
    x = np.einsum("mij,mj->mi", cov, rhs[idx])
    p, v = x[:, :3], x[:, 3:]
    resid = y[idx] - p[:, None, :] - v[:, None, :] * tau[idx][..., None]
    chi2 = np.einsum("mki,mkij,mkj->m", resid, info[idx], resid)
    dof = np.maximum(n_meas[idx] - 6, 1)

    up = _up_vector(np.nan_to_num(centre[idx], nan=1.0), world)
    cov_v = cov[:, 3:, 3:]
    speed = np.linalg.norm(v, axis=1)
    v_hat = v / np.maximum(speed, 1e-9)[:, None]
    sigma_speed = np.sqrt(np.maximum(np.einsum("mi,mij,mj->m", v_hat, cov_v, v_hat), 0.0))
    sigma_vup = np.sqrt(np.maximum(np.einsum("mi,mij,mj->m", up, cov_v, up), 0.0))
    v_up = np.einsum("mi,mi->m", v, up)
    g = np.linalg.norm(g_vec[idx], axis=1)
    t_first = np.nanmin(obs.t_s[idx], axis=1) - obs.t_ref_s[idx]
    t_last = np.nanmax(obs.t_s[idx], axis=1) - obs.t_ref_s[idx]
    v_first = v_up - g * t_first
    v_last = v_up - g * t_last
    k = SCREEN_SIGMAS
    climb_mid = np.degrees(
        np.arcsin(np.clip(0.5 * (v_first + v_last) / np.maximum(speed, 1e-9), -1, 1))
    )
    sigma_climb = np.degrees(sigma_vup / np.maximum(speed - k * sigma_speed, 1e-9))
    tops_out = (v_first > k * sigma_vup) & (v_last < -k * sigma_vup)
    flat = np.abs(climb_mid) + k * sigma_climb < min_flight_path_deg
    slow = speed + k * sigma_speed < AIRCRAFT_SPEED_MAX_MPS
    fits = chi2 / dof < 0.5 * max_chi2_dof
    out[idx] = slow & fits & (tops_out | flat)
    return out
