"""What a located point claims: its covariance on the ground, with the errors the fit cannot see.

The fit's own covariance is carried onto the ground through the trajectory's
sensitivity (`ground_map`). Errors the fit is blind to enter as Schmidt consider
terms, each one's 1-σ effect on the point added as an outer product:

- the radar's systematic errors (range, north alignment, levelling, survey; and the
  part of its wandering angle floor a track cannot average away): `consider_cov`;
- the world's variability, known only by its nominal σ (`gbad.world.variability.
  WorldSigma`): wind (east and north, uniform with height at the σ of the
  trajectory's upper half), air density, speed of sound and the height error of the
  locator's map, a rocket motor's impulse: `world_consider`. (Its burn time is not one
  of them: the fit estimates it, with its nominal σ as the prior.)

For a world parameter c the fit, flying calm standard air, absorbs what c does to
the measurements, δθ = cov·Jᵀ·(r(θ, c) − r(θ, 0)), while the true point also moves
by c itself: the point's error is Φ_ground·δθ − P_ground(c).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import ecef2geodetic
from gbad.locating.dynamics import CALM_AIR, World, propagate
from gbad.locating.fit import Model, Observations, fly, residuals, residuals_and_jacobian

Array = NDArray[np.float64]

#: Integration step (s) of the trajectories behind the POO/POI covariances.
SENSITIVITY_DT_S = 0.5


def _position_sensitivity(
    theta: Array, model: Model, world: World, t_ref: Array, t_at: Array | None
) -> Array:
    """∂position/∂θ (M, 3, P) at the times ``t_at`` (None: each θ's own launch time).

    Flown with a longer step: a sensitivity is a small fraction of the point's own error.
    """
    world = replace(world, dt_s=max(world.dt_s, SENSITIVITY_DT_S))
    t_s = np.empty((len(theta), 0)) if t_at is None else np.asarray(t_at, float)[:, None]
    _, sens = fly(theta, t_ref, t_s, model, world, sensitivity=True)
    return sens[:, -1 if t_at is None else 0, :3]


def ground_point_cov(
    theta: Array,
    cov: Array,
    model: Model,
    world: World,
    t_ref: Array,
    t_at: Array | None,
    state: Array,
) -> Array:
    """Covariance (M, 3, 3) of a point on the ground, reached at ``t_at`` with ``state``.

    A crossing (``t_at`` given) slides along the velocity to stay on the ground; a
    rocket's launch (None) is on the ground by construction, so only its horizontal
    place is uncertain.
    """
    a = ground_map(theta, model, world, t_ref, t_at, state)
    return a @ cov @ np.swapaxes(a, 1, 2)


def ground_map(
    theta: Array, model: Model, world: World, t_ref: Array, t_at: Array | None, state: Array
) -> Array:
    """∂(point on the ground)/∂θ (M, 3, P): see `ground_point_cov`."""
    phi = _position_sensitivity(theta, model, world, t_ref, t_at)
    return _projector(state, world, slide=t_at is not None) @ phi


def _projector(state: Array, world: World, slide: bool) -> Array:
    """(M, 3, 3) onto the ground at each state: sliding along its velocity to stay on
    the ground (a crossing), or straight down (a rocket's launch, on the ground by
    construction)."""
    up = _up_vector(state[:, :3], world)
    if not slide:
        return np.eye(3)[None] - up[:, :, None] * up[:, None, :]
    v = state[:, 3:]
    u_v = np.einsum("mi,mi->m", up, v)
    return np.eye(3)[None] - v[:, :, None] * up[:, None, :] / u_v[:, None, None]


def consider_cov(
    theta: Array,
    cov: Array,
    obs: Observations,
    model: Model,
    world: World,
    maps: tuple[Array, ...],
    states: tuple[Array, ...],
    bias_sigma: Array,
    jac: Array | None = None,
) -> tuple[Array, ...]:
    """What the radar's systematic errors add to each ground point's covariance (Schmidt
    consider analysis): the fit, blind to a bias δb, takes δθ = −cov·Jᵀ·(w ⊙ δb), and the
    point moves by its map (`ground_map`) times that; a survey error moves every look, so
    the point with it, across the ground. ``jac``: the residuals' Jacobian at θ, when the
    caller has it (only its measurement rows are read).

    ``bias_sigma`` (M, 4) or (M, 6): σ of range (m), azimuth and elevation (rad), survey
    (m per horizontal axis) of each track's radar, and optionally of an azimuth and an
    elevation error growing through the track (rad/s, about its mean time: the drift of
    a wandering floor, which tilts the fitted path). ``maps`` and ``states``: each
    point's map (M, 3, P) and state (M, 6).
    """
    if jac is None:
        _, jac, _ = residuals_and_jacobian(theta, obs, model, world)
    m, k = obs.t_s.shape
    j_meas = jac[:, : 4 * k].reshape(m, k, 4, -1)  # rows are (look, component)
    w = obs.weights
    jtw = np.einsum("mkcf,mkc->mfc", j_meas[:, :, :3], w[:, :, :3])  # (M, P, 3)
    sb = -cov @ jtw * bias_sigma[:, None, :3]  # δθ per 1-σ bias
    if bias_sigma.shape[1] > 4:
        dt = np.nan_to_num(obs.t_s - np.nanmean(obs.t_s, axis=1, keepdims=True))
        jtw_rate = np.einsum("mkcf,mkc,mk->mfc", j_meas[:, :, 1:3], w[:, :, 1:3], dt)
        sb = np.concatenate([sb, -cov @ jtw_rate * bias_sigma[:, None, 4:6]], axis=2)
    out = []
    for a, state in zip(maps, states, strict=True):
        d = a @ sb  # (M, 3, B): each bias's 1-σ move of the point
        c = d @ np.swapaxes(d, 1, 2)
        up = _up_vector(state[:, :3], world)
        flat = np.eye(3)[None] - up[:, :, None] * up[:, None, :]
        out.append(c + bias_sigma[:, 3, None, None] ** 2 * flat)
    return tuple(out)


def _up_vector(pos: Array, world: World) -> Array:
    if world.kind != 0:
        return np.tile([0.0, 0.0, 1.0], (len(pos), 1))
    lat, lon, _ = ecef2geodetic(pos[:, 0], pos[:, 1], pos[:, 2])
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _east_north(pos: Array) -> tuple[Array, Array]:
    lat, lon, _ = ecef2geodetic(pos[:, 0], pos[:, 1], pos[:, 2])
    la, lo = np.radians(lat), np.radians(lon)
    east = np.column_stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)])
    north = np.column_stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    return east, north


def world_consider(
    theta: Array,
    cov: Array,
    obs: Observations,
    model: Model,
    world: World,
    ground_height,
    points: tuple[tuple[Array, Array, Array | None], ...],
    sigma,
    wind_h_m: Array,
    launch_height_sigma_m: float,
    r0_jac: tuple[Array, Array] | None = None,
) -> tuple[Array, ...]:
    """What the world's variability adds to each ground point's covariance (M, 3, 3).

    ``points``: per point, its map (M, 3, P) from `ground_map`, its state (M, 6) and
    the time it is reached (None: a rocket's launch, at burnout minus the burn).
    ``sigma``: the nominal σ (`gbad.world.variability.WorldSigma`); the wind's is taken
    at ``wind_h_m`` (M,), heights above the ellipsoid. Zero in the flat world, whose
    air has no weather. ``r0_jac``: the residuals and their Jacobian at θ (with the
    ground), when the caller has them.
    """
    m = len(theta)
    out = [np.zeros((m, 3, 3)) for _ in points]
    if world.kind != 0 or m == 0 or sigma is None or sigma.ideal:
        return tuple(out)
    world_s = replace(world, dt_s=max(world.dt_s, SENSITIVITY_DT_S))
    if r0_jac is None:
        r0_jac = residuals_and_jacobian(theta, obs, model, world, ground_height)[:2]
    r0, jac = r0_jac
    kappa = model.kappa_nominal * theta[:, 6]
    east, north = _east_north(theta[:, :3])
    s_w = sigma.wind_mps(wind_h_m)[:, None]
    calm = np.tile(CALM_AIR, (m, 1))
    cases: list[tuple[Array, Model]] = []
    for axis in (east, north):
        air = calm.copy()
        air[:, :3] = axis * s_w
        cases.append((air, model))
    for col, frac in ((3, sigma.density_frac), (4, sigma.sound_frac)):
        if frac > 0.0:
            air = calm.copy()
            air[:, col] += frac
            cases.append((air, model))
    if model.powered and sigma.impulse_frac > 0.0:
        # More impulse than the nominal the fit flies (its burn time it estimates).
        f = 1.0 + sigma.impulse_frac
        cases.append((calm, replace(model, thrust_per_mass=model.thrust_per_mass * f)))
    projs = [_projector(st, world, slide=t is not None) for _, st, t in points]

    def fly(air: Array, mdl: Model) -> list[Array]:
        # A rocket's launch is where the motor lit: burnout less this model's burn. ``air``
        # (c·M, 5): c cases of the M tracks, flown in one call (each flight is its own).
        c = len(air) // m
        th = np.tile(theta, (c, 1))
        return [
            propagate(
                th[:, :6], np.tile(kappa, c), np.tile(obs.t_ref_s, c),
                np.tile((mdl.launch_time(theta) if t is None else t), c)[:, None],
                mdl.cd_tables, np.zeros(c * m, dtype=np.int64), world_s, mdl.motor_of(th),
                air=air,
            )[:, 0, :3].reshape(c, m, 3)
            for _, _, t in points
        ]  # fmt: skip

    def run(group: list[tuple[Array, Model]]) -> list[tuple[Array, list[Array]]]:
        """Each case's residuals and moved points, the cases of one model in one flight."""
        mdl = group[0][1]
        air = np.concatenate([a for a, _ in group])
        rows = np.tile(np.arange(m), len(group))
        r_c = residuals(np.tile(theta, (len(group), 1)), obs, mdl, world, ground_height,
                        rows=rows, air=air)[0].reshape(len(group), m, -1)  # fmt: skip
        moved = fly(air, mdl)
        return [(r_c[i], [pt[i] for pt in moved]) for i in range(len(group))]

    base = [pt[0] for pt in fly(calm, model)]
    jt = np.swapaxes(jac, 1, 2)
    same_model = [case for case in cases if case[1] is model]
    flown = run(same_model) + [x for case in cases if case[1] is not model for x in run([case])]
    for r_c, moved in flown:
        d_theta = np.einsum("mij,mj->mi", cov @ jt, np.nan_to_num(r_c - r0))
        for k, ((a, _, _), proj) in enumerate(zip(points, projs, strict=True)):
            d = np.einsum("mij,mj->mi", a, d_theta) - np.einsum(
                "mij,mj->mi", proj, moved[k] - base[k]
            )
            d = np.nan_to_num(d)
            out[k] += d[:, :, None] * d[:, None, :]
    s_h = sigma.terrain_m
    if s_h > 0.0:
        if model.powered:
            # The launch height pseudo-measurement (the last residual) is off by the
            # map's error at the launch: the fit moves θ, and both points with it.
            dr = np.zeros_like(r0)
            dr[:, -1] = s_h / launch_height_sigma_m
            d_theta = np.einsum("mij,mj->mi", cov @ jt, dr)
            for k, (a, _, _) in enumerate(points):
                d = np.nan_to_num(np.einsum("mij,mj->mi", a, d_theta))
                out[k] += d[:, :, None] * d[:, None, :]
        for k, (_, st, t) in enumerate(points):
            if t is None:
                continue
            # A crossing of a ground Δh higher comes Δh/(u·v) sooner along v.
            up = _up_vector(st[:, :3], world)
            v = st[:, 3:]
            flat = np.eye(3)[None] - up[:, :, None] * up[:, None, :]
            d = s_h * np.einsum("mij,mj->mi", flat, v) / np.einsum("mi,mi->m", up, v)[:, None]
            d = np.nan_to_num(d)
            out[k] += d[:, :, None] * d[:, None, :]
    return tuple(out)
