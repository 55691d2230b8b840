"""Point of origin and point of impact from a projectile's radar measurements, with honest errors.

For each track and each weapon-class hypothesis (mortar, artillery, rocket: the
C_D(M) shape, nominal A/m and, for a rocket, the motor of the class's nominal
round) the trajectory is fitted by batch maximum likelihood (:mod:`.fit`). The
class whose fit explains the data best — χ² plus the prior on the drag scale,
plus a penalty where its launch speed is outside what the class fires — wins.
Its trajectory is carried backwards to the ground (the point of origin; a
rocket's launch is the start of its burn) and forwards to the ground (the point
of impact). Both points carry the fit's covariance, through the trajectory's
sensitivity, onto the ground: δp = (I − v·uᵀ/(u·v))·Φ·δθ, with Φ the position's
sensitivity to θ at the crossing time, v the velocity there and u the local
vertical. CEP is the radius of the circle about the estimate that holds half of
that horizontal Gaussian.

A track that cannot be located honestly is reported as not located, with the
reason: too few measurements or too short, a fit that did not converge, a
trajectory that is not ballistic (aircraft, birds), no ground met (or the DEM
left) within the time limit, or a point too uncertain to be of use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from gbad.earth.wgs84 import ecef2geodetic, enu_rotation, geodetic2ecef
from gbad.locating.cep import cep_m
from gbad.locating.claims import (
    _up_vector,
    consider_cov,
    ground_map,
    world_consider,
)
from gbad.locating.dynamics import STATUS_OK, World, propagate, to_ground
from gbad.locating.fit import (
    LAUNCH_HEIGHT_SIGMA_M,
    N_THETA,
    FitResult,
    Model,
    Observations,
    fit,
    residuals,
    residuals_and_jacobian,
)
from gbad.locating.screen import AIRCRAFT_SPEED_MAX_MPS, level_flight
from gbad.scenario.schema import LocatorConfig
from gbad.world.ballistic import _cd_on_grid
from gbad.world.munitions import MUNITIONS, MunitionProfile

Array = NDArray[np.float64]

#: Cost added per (10 m/s)² of launch speed outside a class's range: a soft wall.
SPEED_PENALTY = 25.0
#: Cost added per degree² of launch elevation outside the class's weapon's limits.
ELEVATION_PENALTY = 25.0
MAX_ITER = 15
#: A hypothesis whose cost after `fit.GIVE_UP_ITER` iterations is this many times another
#: class's converged cost for the same track (or its number of measurements, if more)
#: gives up: a shell's fit to a rocket's boost stands at 10⁵ measurement χ² per degree
#: of freedom there and ends no lower, and a class that far behind neither wins nor
#: weighs in the class spread (`_class_spread`: its weight is exp(−cost/2)).
HOPELESS_FACTOR = 1e4
#: Integration step (s) of the flights to the ground, launch and impact, over a level or
#: smooth ground; over a DEM the truth's (0.1 s): the search for the crossing between
#: samples must not step over the terrain's features.
GROUND_DT_S = 0.2
#: A rocket's burnout is sought from these offsets after its first detection (s): its
#: track may start during the boost, just after it, or long after (a coasting rocket,
#: the hypothesis a shell's track is held to: started near the track, its fit walks
#: the burnout back over every look's kink and seldom converges in time).
ROCKET_BURNOUT_STARTS_S = (-16.0, -8.0, -4.0, -0.05, 0.5, 1.0, 1.5, 1.8, 2.1, 2.4)
#: Why a track that flies like an aircraft is not located.
LEVEL_FLIGHT = "not a projectile: level flight"
#: A rocket motor's burn time is never taken as known better than this (1-σ, share).
BURN_PRIOR_FLOOR = 0.005
#: The locator's uniform wind takes the wind's σ at this share of the way from the
#: ground to the apex: where a round spends most of its unseen flight.
WIND_HEIGHT_SHARE = 0.6


@dataclass(frozen=True)
class WeaponClass:
    """A hypothesis the locator fits: a nominal round and the launch speeds the class fires."""

    name: str
    munition: MunitionProfile
    speed_min_mps: float
    speed_max_mps: float
    #: 1-σ of the drag scale about the nominal round: the spread of a calibre's rounds
    #: (mass and shape), and what keeps a shell from passing for a coasting rocket.
    kappa_prior_sigma: float = 0.15

    def model(self, burn_prior_sigma: float = BURN_PRIOR_FLOOR) -> Model:
        p = self.munition
        mass = p.burnout_mass_kg
        return Model(
            cd_tables=_cd_on_grid(p)[None],
            kappa_nominal=p.area_m2 / mass,
            kappa_prior_sigma=self.kappa_prior_sigma,
            burn_time_s=p.burn_time_s if p.powered else 0.0,
            thrust_per_mass=p.thrust_n / mass if p.powered else 0.0,
            mass_flow_per_mass=(p.propellant_kg / p.burn_time_s / mass) if p.powered else 0.0,
            burn_prior_sigma=max(burn_prior_sigma, BURN_PRIOR_FLOOR),
            exit_speed_mps=p.charges_mps[0] if p.powered else 0.0,
        )


#: The hypotheses, in the order of `weapon_class` codes. Speeds: the muzzle (or, for
#: the rocket, tube-exit) speeds each class's rounds leave with, with margin.
WEAPON_CLASSES: tuple[WeaponClass, ...] = (
    WeaponClass("mortar", MUNITIONS["120mm-mortar"], 50.0, 400.0),
    WeaponClass("artillery", MUNITIONS["155mm-he"], 150.0, 1100.0),
    WeaponClass("rocket", MUNITIONS["122mm-rocket"], 25.0, 120.0),
)


@dataclass
class Locates:
    """One row per track (or track prefix) handed in; positions ECEF and ENU of the origin."""

    located: NDArray[np.bool_]
    reason: NDArray[np.object_]
    weapon_class: NDArray[np.object_]
    class_costs: Array  # (M, C) cost of each hypothesis
    chi2_dof: Array
    poo_enu_m: Array  # (M, 3)
    poi_enu_m: Array  # (M, 3)
    poo_cov_enu_m2: Array  # (M, 3, 3)
    poi_cov_enu_m2: Array  # (M, 3, 3)
    poo_cep_m: Array
    poi_cep_m: Array
    launch_t_s: Array
    impact_t_s: Array
    launch_speed_mps: Array
    apogee_alt_m: Array
    kappa_m2pkg: Array
    theta: Array  # (M, 9) the winning fit (θ[7:] NaN for an unpowered class)
    theta_cov: Array  # (M, 9, 9)
    class_theta: Array  # (M, C, 9) every class's fit: warm starts for a longer track


def initial_theta(obs: Observations, model: Model, positions: Array) -> Array:
    """A starting θ: a quadratic in time fitted to the measured positions, per axis.

    ``positions`` (M, K, 3) are the measurements converted to the world frame.
    """
    t = obs.t_s - obs.t_ref_s[:, None]
    ok = np.isfinite(t)
    tt = np.where(ok, t, 0.0)
    basis = np.stack([np.ones_like(tt), tt, 0.5 * tt**2], axis=-1) * ok[..., None]
    y = np.where(ok[..., None], positions, 0.0)
    a = np.einsum("mki,mkj->mij", basis, basis) + 1e-9 * np.eye(3)
    coef = np.linalg.solve(a[:, None], np.einsum("mki,mkc->mci", basis, y)[..., None])[..., 0]
    m = len(obs)
    theta = np.full((m, N_THETA), np.nan)
    theta[:, :3] = coef[:, :, 0]
    theta[:, 3:6] = coef[:, :, 1]
    theta[:, 6] = 1.0
    if model.powered:
        # Burnout just before the first measurement: the fit moves it if the track saw the boost.
        theta[:, 7] = np.nanmin(obs.t_s, axis=1) - 0.05
        theta[:, 8] = 1.0
    return theta[:, : model.n_params]


@dataclass
class _Points:
    ok: NDArray[np.bool_]
    reason: NDArray[np.object_]
    poo: Array  # (M, 6) launch state (a rocket: at ignition)
    poi: Array  # (M, 6) impact state
    poo_cov: Array
    poi_cov: Array
    t_launch: Array
    t_impact: Array
    launch_speed: Array
    apogee: Array


def ground_height_fn(world: World, ground: object):
    """The ground's height (m, as `World.height_m`) under world-frame positions (..., 3).
    A level ground's function says so (``level``): its slope is zero everywhere."""
    if np.isscalar(ground) or isinstance(ground, (int, float)) or hasattr(ground, "alt_m"):
        height_m = float(getattr(ground, "alt_m", ground))  # type: ignore[arg-type]

        def level(pos: Array) -> Array:
            return np.full(pos.shape[:-1], height_m)

        level.level = True  # type: ignore[attr-defined]
        return level

    def of_geodetic(lat: Array, lon: Array) -> Array:
        return np.asarray(ground.height_m(lat, lon), dtype=float)  # type: ignore[attr-defined]

    def height(pos: Array) -> Array:
        lat, lon, _ = ecef2geodetic(pos[..., 0], pos[..., 1], pos[..., 2])
        return of_geodetic(lat, lon)

    # For a caller that has the positions' latitudes and longitudes already.
    height.of_geodetic = of_geodetic  # type: ignore[attr-defined]
    return height


def _smooth(ground: object) -> bool:
    """A level ground (a height, `FlatGround`) or a smooth error over one (`MappedGround`)."""
    return (np.isscalar(ground) or hasattr(ground, "alt_m")
            or getattr(ground, "flat_base_m", None) is not None)  # fmt: skip


def ground_points(
    res: FitResult,
    obs: Observations,
    model: Model,
    world: World,
    ground: object,
    max_flight_s: float,
) -> _Points:
    """Launch and impact points (world frame, states) for fitted θ; covariances come later."""
    if _smooth(ground):
        world = replace(world, dt_s=max(world.dt_s, GROUND_DT_S))
    theta = res.theta
    m = len(theta)
    kappa = model.kappa_nominal * theta[:, 6]
    zeros = np.zeros(m, dtype=np.int64)
    motor = model.motor_of(theta)
    reason = np.full(m, "", dtype=object)
    fwd = to_ground(
        theta[:, :6],
        kappa,
        obs.t_ref_s,
        np.ones(m),
        model.cd_tables,
        zeros,
        world,
        ground,
        max_flight_s,
        motor,
    )
    if model.powered:
        t_launch = model.launch_time(theta)
        st = propagate(
            theta[:, :6],
            kappa,
            obs.t_ref_s,
            t_launch[:, None],
            model.cd_tables,
            zeros,
            world,
            motor,
        )[:, 0]
        back_ok = np.all(np.isfinite(st), axis=1)
        launch_state = st
        gh = ground_height_fn(world, ground)(st[:, :3])
        back_ok &= np.isfinite(gh)
    else:
        back = to_ground(
            theta[:, :6],
            kappa,
            obs.t_ref_s,
            -np.ones(m),
            model.cd_tables,
            zeros,
            world,
            ground,
            max_flight_s,
            motor,
        )
        back_ok = back.status == STATUS_OK
        launch_state = back.state
        t_launch = back.t_s
    fwd_ok = fwd.status == STATUS_OK
    reason[~back_ok] = "no point of origin: the trajectory traced back meets no ground"
    reason[back_ok & ~fwd_ok] = "no point of impact: the trajectory meets no ground ahead"
    ok = back_ok & fwd_ok
    poo_cov = np.full((m, 3, 3), np.nan)
    poi_cov = np.full((m, 3, 3), np.nan)
    launch_speed = np.linalg.norm(launch_state[:, 3:], axis=1)
    apogee = np.full(m, np.nan)
    return _Points(
        ok,
        reason,
        launch_state,
        fwd.state,
        poo_cov,
        poi_cov,
        t_launch,
        fwd.t_s,
        launch_speed,
        apogee,
    )


def point_covariances(
    res: FitResult,
    obs: Observations,
    model: Model,
    world: World,
    pts: _Points,
    rows,
    bias_sigma: Array | None = None,
    world_sigma=None,
    ground_height=None,
) -> None:
    """Fill the launch/impact covariances and the apogee of ``pts`` at ``rows`` (in place).

    Done for the winning class only: it costs twenty trajectories a track (nine more
    with ``bias_sigma``, whose consider terms it adds: `consider_cov`; a dozen more
    with ``world_sigma``, the world's variability: `world_consider`).
    """
    i = rows[pts.ok[rows]]
    if i.size == 0:
        return
    theta, cov, t_ref = res.theta[i], res.cov[i], obs.t_ref_s[i]
    grid = np.linspace(0.0, 1.0, 48)
    t_grid = pts.t_launch[i, None] + (pts.t_impact[i] - pts.t_launch[i])[:, None] * grid[None]
    path = propagate(
        theta[:, :6],
        model.kappa_nominal * theta[:, 6],
        t_ref,
        t_grid,
        model.cd_tables,
        np.zeros(len(i), dtype=np.int64),
        world,
        model.motor_of(theta),
    )
    pts.apogee[i] = np.nanmax(world.height_m(path[..., :3]), axis=1)
    t_poo = None if model.powered else pts.t_launch[i]
    a_poi = ground_map(theta, model, world, t_ref, pts.t_impact[i], pts.poi[i])
    a_poo = ground_map(theta, model, world, t_ref, t_poo, pts.poo[i])
    pts.poi_cov[i] = a_poi @ cov @ np.swapaxes(a_poi, 1, 2)
    pts.poo_cov[i] = a_poo @ cov @ np.swapaxes(a_poo, 1, 2)
    biased = bias_sigma is not None and np.any(bias_sigma[i] > 0)
    obs_i = obs.take(i)
    # Both consider analyses need the residuals' Jacobian at θ: flown once.
    r0_jac = None
    if biased or world_sigma is not None:
        r0_jac = residuals_and_jacobian(theta, obs_i, model, world, ground_height)[:2]
    if biased:
        add_poo, add_poi = consider_cov(
            theta, cov, obs_i, model, world, (a_poo, a_poi), (pts.poo[i], pts.poi[i]),
            bias_sigma[i], r0_jac[1],
        )  # fmt: skip
        pts.poo_cov[i] += add_poo
        pts.poi_cov[i] += add_poi
    if world_sigma is not None:
        h0 = world.height_m(pts.poo[i, :3])
        add_poo, add_poi = world_consider(
            theta, cov, obs_i, model, world, ground_height,
            ((a_poo, pts.poo[i], t_poo), (a_poi, pts.poi[i], pts.t_impact[i])),
            world_sigma, h0 + WIND_HEIGHT_SHARE * (pts.apogee[i] - h0), LAUNCH_HEIGHT_SIGMA_M,
            r0_jac,
        )  # fmt: skip
        pts.poo_cov[i] += add_poo
        pts.poi_cov[i] += add_poi


def _class_spread(costs, points, poo, poo_cov) -> None:
    """Which class fired a round is itself uncertain: the point of origin's claim takes
    in the other classes' points of origin, weighted by how well each explains the track
    (exp(−cost/2), normalised), as spread about the winner's (in place). A shell taken
    for a rocket by a small margin no longer claims a rocket's metre-wide circle.

    Not the impact point's: early in a track the classes' impact points lie kilometres
    apart, and a claim that wide would hold back the warnings (`LocatorConfig.
    alert_max_poi_cep_m`); warning on a mixture of the classes' impact regions is left
    for later."""
    ok = np.isfinite(costs)
    finite = np.where(ok, costs, 0.0)
    low = np.min(np.where(ok, costs, np.inf), axis=1, keepdims=True)
    rel = finite - np.where(np.isfinite(low), low, 0.0)
    w = np.where(ok, np.exp(-0.5 * np.clip(rel, 0.0, 700.0)), 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    for c, pts in enumerate(points):
        d = pts.poo[:, :3] - poo
        use = (w[:, c] > 0) & np.all(np.isfinite(d), axis=1)
        poo_cov[use] += w[use, c, None, None] * d[use, :, None] * d[use, None, :]


def _fit_class(
    obs: Observations,
    positions: Array,
    model: Model,
    world: World,
    gh,
    theta0: Array | None = None,
    give_up_cost: Array | None = None,
) -> FitResult:
    """One class's fit, from ``theta0`` where it is finite (a warm start), else from the data
    (``give_up_cost``: `fit`'s).

    A rocket's burnout time is started from the candidate whose first cost is lowest:
    its track may have begun after the boost or during it.
    """
    start = initial_theta(obs, model, positions)
    warm = np.zeros(len(obs), dtype=bool)
    if theta0 is not None:
        warm = np.all(np.isfinite(theta0[:, : model.n_params]), axis=1)
        start[warm] = theta0[warm, : model.n_params]
    if model.powered and len(obs) and not warm.all():
        cold = np.flatnonzero(~warm)
        sub = obs.take(cold)
        first = np.nanmin(sub.t_s, axis=1)
        best_cost = np.full(len(cold), np.inf)
        for lead_s in ROCKET_BURNOUT_STARTS_S:
            trial = start[cold].copy()
            trial[:, 7] = first + lead_s
            r, _ = residuals(trial, sub, model, world, gh)
            cost = np.sum(r**2, axis=1)
            better = cost < best_cost
            best_cost[better] = cost[better]
            start[cold[better]] = trial[better]
    return fit(start, obs, model, world, gh, max_iter=MAX_ITER, give_up_cost=give_up_cost)


def _no_fit(p: int, m: int = 0) -> FitResult:
    return FitResult(
        np.full((m, p), np.nan),
        np.full((m, p, p), np.nan),
        np.full(m, np.inf),
        np.zeros(m, dtype=np.int64),
        np.zeros(m, dtype=bool),
        np.zeros(m, dtype=np.int64),
    )


def _no_points(m: int = 0) -> _Points:
    return _Points(
        np.zeros(m, dtype=bool),
        np.full(m, "", dtype=object),
        np.full((m, 6), np.nan),
        np.full((m, 6), np.nan),
        np.full((m, 3, 3), np.nan),
        np.full((m, 3, 3), np.nan),
        np.full(m, np.nan),
        np.full(m, np.nan),
        np.full(m, np.nan),
        np.full(m, np.nan),
    )


def _take_fit(res: FitResult, rows: NDArray[np.intp]) -> FitResult:
    return FitResult(*(getattr(res, f)[rows] for f in FitResult.__dataclass_fields__))


def _expand_fit(res: FitResult, rows: NDArray[np.intp], m: int) -> FitResult:
    out = _no_fit(res.theta.shape[1], m)
    for f in FitResult.__dataclass_fields__:
        getattr(out, f)[rows] = getattr(res, f)
    return out


def _expand_points(pts: _Points, rows: NDArray[np.intp], m: int) -> _Points:
    out = _no_points(m)
    for f in _Points.__dataclass_fields__:
        getattr(out, f)[rows] = getattr(pts, f)
    return out


def locate(
    obs: Observations,
    positions: Array,
    world: World,
    ground: object,
    settings: LocatorConfig | None = None,
    origin: tuple[float, float, float] | None = None,
    classes: tuple[WeaponClass, ...] = WEAPON_CLASSES,
    theta0: Array | None = None,
    bias_sigma: Array | None = None,
    world_sigma=None,
    screen: bool = True,
) -> Locates:
    """Fit every class hypothesis to every track, keep the best, find and qualify its points.

    ``theta0`` (M, C, 9): each class's starting θ (NaN: start from the data), e.g. the
    fits of the same tracks a moment earlier (same ``obs.t_ref_s``). ``bias_sigma``
    (M, 4): the σ of each track's radar's systematic errors (`consider_cov`), which the
    claimed covariances then include; ``world_sigma`` (`gbad.world.variability.
    WorldSigma`): the world's variability, likewise. ``screen``: plain level flight is
    called so without a fit (`gbad.locating.screen`; False fits it like the rest).

    ``positions`` (M, K, 3): the measurements converted to the world frame (for the
    starting guess). ``origin`` (lat, lon, alt) of the ENU frame of the outputs; for
    the flat world the outputs stay in its own frame.
    """
    settings = settings if settings is not None else LocatorConfig()
    m = len(obs)
    n_meas_pts = np.sum(np.isfinite(obs.t_s), axis=1)
    span = np.nanmax(obs.t_s, axis=1) - np.nanmin(obs.t_s, axis=1)
    # Tracks too short to locate are not fitted at all (they are most of a radar's
    # tracks: fence false alarms and one-dwell glimpses).
    elig = np.flatnonzero((n_meas_pts >= settings.min_detections) & (span >= settings.min_track_s))
    # Plain level flight (the drones and aircraft in the fence) is not fitted at all.
    level_pre = np.zeros(len(elig), dtype=bool)
    if screen:
        level_pre = level_flight(
            obs.take(elig),
            positions[elig],
            world,
            settings.min_flight_path_deg,
            settings.max_chi2_dof,
        )
    screened, elig = elig[level_pre], elig[~level_pre]
    sub_obs = obs.take(elig)
    sub_pos = positions[elig]
    gh = ground_height_fn(world, ground)
    costs = np.full((m, len(classes)), np.inf)
    fits: list[FitResult] = [_no_fit(0)] * len(classes)
    points: list[_Points] = [_no_points()] * len(classes)
    burn_sigma = world_sigma.burn_time_frac if world_sigma is not None else 0.0
    models = [cls.model(burn_sigma) for cls in classes]
    dof_meas = np.maximum(4 * n_meas_pts[elig], 1)
    # Powered hypotheses first: a track one of them explains lets the others give up
    # when hopeless (`HOPELESS_FACTOR`), and the classes are otherwise independent.
    for c in sorted(range(len(classes)), key=lambda c: not models[c].powered):
        cls, model = classes[c], models[c]
        if elig.size == 0:
            fits[c] = _expand_fit(_no_fit(model.n_params), elig, m)
            points[c] = _expand_points(_no_points(), elig, m)
            continue
        best = np.min(costs[elig], axis=1)
        res = _fit_class(
            sub_obs, sub_pos, model, world, gh, None if theta0 is None else theta0[elig, c],
            HOPELESS_FACTOR * np.maximum(best, dof_meas),
        )  # fmt: skip
        # A fit that did not converge explains nothing (its cost is infinite): its
        # trajectory, often a wild one, is not flown to the ground.
        conv = np.flatnonzero(res.converged & np.isfinite(res.chi2))
        pts = _expand_points(
            ground_points(
                _take_fit(res, conv), sub_obs.take(conv), model, world, ground,
                settings.max_flight_s,
            ),
            conv,
            len(elig),
        )  # fmt: skip
        speed = pts.launch_speed
        over = np.maximum(cls.speed_min_mps - speed, 0.0) + np.maximum(
            speed - cls.speed_max_mps, 0.0
        )
        # The weapon's own elevation limits: a mortar bomb fired at 70° is no rocket.
        up = _up_vector(np.nan_to_num(pts.poo[:, :3], nan=1.0), world)
        v0 = pts.poo[:, 3:]
        qe = np.degrees(
            np.arcsin(np.clip(np.einsum("mi,mi->m", up, v0) / np.maximum(speed, 1e-9), -1, 1))
        )
        p = cls.munition
        off = np.maximum(p.elevation_min_deg - qe, 0.0) + np.maximum(qe - p.elevation_max_deg, 0.0)
        total = res.chi2 + model.prior_cost(res.theta)
        total = total + SPEED_PENALTY * (over / 10.0) ** 2 + ELEVATION_PENALTY * off**2
        total = np.where(res.converged & np.isfinite(res.chi2), total, np.inf)
        # A class whose trajectory meets no ground is a worse explanation than one that does.
        costs[elig, c] = np.where(pts.ok, total, np.inf)
        fits[c] = _expand_fit(res, elig, m)
        points[c] = _expand_points(pts, elig, m)
    best = np.argmin(np.where(np.isfinite(costs), costs, np.inf), axis=1)
    any_ok = np.isfinite(costs).any(axis=1)
    for c in range(len(classes)):
        point_covariances(
            fits[c], obs, models[c], world, points[c], np.flatnonzero(any_ok & (best == c)),
            bias_sigma, world_sigma, gh,
        )  # fmt: skip
    rows = np.arange(m)

    def pick(get):
        stacked = np.stack([get(c) for c in range(len(classes))])
        return stacked[best, rows]

    theta = np.full((m, N_THETA), np.nan)
    theta_cov = np.full((m, N_THETA, N_THETA), np.nan)
    class_theta = np.full((m, len(classes), N_THETA), np.nan)
    for c in range(len(classes)):
        class_theta[:, c, : fits[c].theta.shape[1]] = fits[c].theta
    for c in range(len(classes)):
        sel = best == c
        p = fits[c].theta.shape[1]
        theta[sel, :p] = fits[c].theta[sel]
        theta_cov[sel, :p, :p] = fits[c].cov[sel]
    chi2 = pick(lambda c: fits[c].chi2)
    dof = pick(lambda c: fits[c].dof)
    chi2_dof = chi2 / dof
    poo = pick(lambda c: points[c].poo)[:, :3]
    poi = pick(lambda c: points[c].poi)[:, :3]
    poo_cov = pick(lambda c: points[c].poo_cov)
    poi_cov = pick(lambda c: points[c].poi_cov)
    if len(classes) > 1:
        _class_spread(costs, points, poo, poo_cov)
    kappa = np.array([models[b].kappa_nominal for b in best]) * theta[:, 6]

    if origin is not None:
        rot = enu_rotation(origin[0], origin[1])
        o_ecef = np.array(geodetic2ecef(*origin))
        poo_enu = (poo - o_ecef) @ rot.T
        poi_enu = (poi - o_ecef) @ rot.T
        poo_cov_enu = rot @ poo_cov @ rot.T
        poi_cov_enu = rot @ poi_cov @ rot.T
    else:
        poo_enu, poi_enu, poo_cov_enu, poi_cov_enu = poo, poi, poo_cov, poi_cov
    poo_cep = cep_m(poo_cov_enu[:, :2, :2])
    poi_cep = cep_m(poi_cov_enu[:, :2, :2])

    reason = np.full(m, "", dtype=object)
    first_reason = np.array(
        [next((p.reason[i] for p in points if p.reason[i]), "") for i in range(m)], dtype=object
    )
    reason[~any_ok] = np.where(
        first_reason[~any_ok] != "",
        first_reason[~any_ok],
        "the fit did not converge",
    )
    # Over a few seconds a level flight fits a parabola as well as a shell does; what
    # gives an aircraft away is that it neither climbs nor dives like a round: the
    # fitted parabola tops out inside the track, or the track is flown level. A round
    # seen from the fence is tracked far from its apex (drag is ignored here: only the
    # sign of the vertical speed at the ends of the track matters).
    vel = theta[:, 3:6]
    up = _up_vector(np.nan_to_num(theta[:, :3], nan=1.0), world)
    v_up = np.einsum("mi,mi->m", vel, up)
    speed = np.linalg.norm(vel, axis=1)
    g = 9.81
    t_first = np.nanmin(obs.t_s, axis=1)
    t_last = np.nanmax(obs.t_s, axis=1)
    v_first = v_up - g * (t_first - obs.t_ref_s)
    v_last = v_up - g * (t_last - obs.t_ref_s)
    climb_mid_deg = np.degrees(
        np.arcsin(np.clip((v_first + v_last) / 2.0 / np.maximum(speed, 1e-9), -1.0, 1.0))
    )
    level = ((v_first > 0) & (v_last < 0)) | (np.abs(climb_mid_deg) < settings.min_flight_path_deg)
    # Flat fire is flat too: a round that fast is no aircraft near the ground.
    level &= speed < AIRCRAFT_SPEED_MAX_MPS
    reason[any_ok & level] = LEVEL_FLIGHT
    reason[screened] = LEVEL_FLIGHT
    reason[any_ok & (chi2_dof > settings.max_chi2_dof)] = "not a ballistic trajectory"
    big = any_ok & (reason == "") & ~(poo_cep <= settings.max_poo_cep_m)
    reason[big] = "too uncertain: point of origin CEP above the limit"
    reason[n_meas_pts < settings.min_detections] = "too few detections"
    reason[span < settings.min_track_s] = "track too short"
    located = reason == ""
    names = np.array([cls.name for cls in classes], dtype=object)
    return Locates(
        located=located,
        reason=reason,
        weapon_class=np.where(any_ok, names[best], ""),
        class_costs=costs,
        chi2_dof=chi2_dof,
        poo_enu_m=poo_enu,
        poi_enu_m=poi_enu,
        poo_cov_enu_m2=poo_cov_enu,
        poi_cov_enu_m2=poi_cov_enu,
        poo_cep_m=poo_cep,
        poi_cep_m=poi_cep,
        launch_t_s=pick(lambda c: points[c].t_launch),
        impact_t_s=pick(lambda c: points[c].t_impact),
        launch_speed_mps=pick(lambda c: points[c].launch_speed),
        apogee_alt_m=pick(lambda c: points[c].apogee),
        kappa_m2pkg=kappa,
        theta=theta,
        theta_cov=theta_cov,
        class_theta=class_theta,
    )


def observations(
    group: NDArray[np.intp],
    n_groups: int,
    t_s: Array,
    range_m: Array,
    az_deg: Array,
    el_deg: Array,
    range_rate_mps: Array,
    sigma: Array,
    radar_ecef_m: Array,
    radar_rot: Array,
    t_ref_s: Array | None = None,
) -> tuple[Observations, Array]:
    """Pad detections (N,) into per-track Observations and their ECEF positions (M, K, 3).

    ``group`` numbers each detection's track (0..n_groups−1; −1 to leave it out);
    ``sigma`` (N, 4): range, az (deg), el (deg), range-rate σ (NaN: not measured);
    ``radar_ecef_m`` (N, 3) and ``radar_rot`` (N, 3, 3, ECEF → radar ENU) place each
    detection's radar. θ refers to ``t_ref_s`` (n_groups,), by default to the middle
    detection's time of each track.
    """
    keep = np.flatnonzero(group >= 0)
    order = keep[np.lexsort((t_s[keep], group[keep]))]
    g = group[order]
    counts = np.bincount(g, minlength=n_groups)
    k = max(int(counts.max()) if counts.size else 0, 1)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(len(order)) - start[g]
    shape = (n_groups, k)
    tt = np.full(shape, np.nan)
    z = np.full((*shape, 4), np.nan)
    sig = np.full((*shape, 4), np.nan)
    rpos = np.zeros((*shape, 3))
    rrot = np.tile(np.eye(3), (*shape, 1, 1))
    tt[g, slot] = t_s[order]
    z[g, slot] = np.column_stack(
        [
            range_m[order],
            np.radians(az_deg[order]),
            np.radians(el_deg[order]),
            range_rate_mps[order],
        ]
    )
    sig[g, slot] = sigma[order] * np.array([1.0, np.pi / 180.0, np.pi / 180.0, 1.0])
    rpos[g, slot] = radar_ecef_m[order]
    rrot[g, slot] = radar_rot[order]
    mid = np.minimum(counts // 2, k - 1)
    t_ref = tt[np.arange(n_groups), mid] if t_ref_s is None else np.asarray(t_ref_s, float)
    obs = Observations(tt, z, sig, rpos, rrot, t_ref)
    az, el, r = z[..., 1], z[..., 2], z[..., 0]
    local = np.stack([r * np.cos(el) * np.sin(az), r * np.cos(el) * np.cos(az), r * np.sin(el)], -1)
    positions = rpos + np.einsum("mkji,mkj->mki", rrot, local)
    return obs, positions
