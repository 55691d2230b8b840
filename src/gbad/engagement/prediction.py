"""Where and when an interceptor launched now meets a target: nominal speed profile, PIP, envelope."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.atmosphere import G0_MPS2, density_kgpm3
from gbad.engagement._frame import DEFAULT_ORIGIN, Frame, as_column, as_rows, broadcast_leading
from gbad.engagement._intercept_kernel import reach_times, speed_profile_kernel
from gbad.engagement.endgame import station_density_kgpm3
from gbad.engagement.profiles import MACH_STEP, InterceptorProfile, cd_row, interceptor_profile
from gbad.world.ballistic import hermite_states

Array = NDArray[np.float64]

#: Step of the nominal speed-profile table (s).
NOMINAL_DT_S = 0.1
#: The seeker must see the target this far inside its field of regard at lock-on (deg): the
#: real geometry differs from the collision triangle by the midcourse's residual heading
#: error [nominal].
LOOK_MARGIN_DEG = 5.0
#: Homing needs at least this many autopilot time constants between lock-on and the
#: intercept to take out the midcourse's heading error (Zarchan: the miss from a heading
#: error dies out after about 10 time constants) [nominal].
MIN_HOMING_TAUS = 10.0
#: PN against a target accelerating across the line of sight asks for about
#: N'/(N'-2) times that acceleration (Zarchan); the end game needs this many times that
#: to spare against the airframe's limit at the intercept [nominal].
G_DEMAND_MARGIN = 1.5
#: Step (s) of the ballistic target path's integration; its points are joined by cubic
#: Hermite curves.
BALLISTIC_STEP_S = 0.5
#: Mean Earth radius (m): gravity for a short ballistic extrapolation points at the centre.
EARTH_RADIUS_M = 6_371_000.0


#: Elevations (deg) of the straight reference paths of the nominal speed profile.
NOMINAL_ELEVATIONS_DEG: tuple[float, ...] = tuple(float(e) for e in range(0, 91, 5))


@dataclass(frozen=True)
class SpeedProfile:
    """Nominal along-path distance and speed against flight time, one row per path elevation.

    Each row is one unguided flight of the profile along a straight path at
    ``elevation_deg[i]`` above the horizontal: the vertical ejection, then
    from ignition thrust, drag in the standard atmosphere at the height the
    path has reached, and the part of gravity along the path, without
    manoeuvre. It stands for "how far and how fast this round gets in a given
    time towards a point at that elevation", in the intercept prediction and
    the midcourse time-to-go. Samples every ``dt_s`` from t = 0.
    """

    dt_s: float
    t_s: Array  # (K,)
    elevation_deg: Array  # (E,)
    distance_m: Array  # (E, K)
    speed_mps: Array  # (E, K)

    def rows_at(self, elevation_deg: ArrayLike) -> tuple[Array, Array]:
        """(distance, speed) tables, each (..., K), at the given elevation(s), linear in elevation."""
        el = np.clip(
            np.asarray(elevation_deg, dtype=float), self.elevation_deg[0], self.elevation_deg[-1]
        )
        u = np.interp(el, self.elevation_deg, np.arange(self.elevation_deg.size))
        i = np.minimum(u.astype(int), self.elevation_deg.size - 2)
        f = (u - i)[..., None]
        d = self.distance_m[i] * (1.0 - f) + self.distance_m[i + 1] * f
        v = self.speed_mps[i] * (1.0 - f) + self.speed_mps[i + 1] * f
        return d, v

    def _at(self, table: Array, elevation_deg: Array, t_s: Array) -> Array:
        el = np.clip(elevation_deg, self.elevation_deg[0], self.elevation_deg[-1])
        u = np.interp(el, self.elevation_deg, np.arange(self.elevation_deg.size))
        i = np.minimum(u.astype(int), self.elevation_deg.size - 2)
        f = u - i
        w = np.clip(t_s / self.dt_s, 0.0, self.t_s.size - 1.0)
        k = np.minimum(w.astype(int), self.t_s.size - 2)
        g = w - k
        return (1.0 - f) * ((1.0 - g) * table[i, k] + g * table[i, k + 1]) + f * (
            (1.0 - g) * table[i + 1, k] + g * table[i + 1, k + 1]
        )

    def distance_at(self, elevation_deg: ArrayLike, t_s: ArrayLike) -> Array:
        """Along-path distance (m) after t_s of flight towards the given elevation (bilinear)."""
        return self._at(self.distance_m, np.asarray(elevation_deg, float), np.asarray(t_s, float))

    def speed_at(self, elevation_deg: ArrayLike, t_s: ArrayLike) -> Array:
        """Speed (m/s) after t_s of flight towards the given elevation (bilinear)."""
        return self._at(self.speed_mps, np.asarray(elevation_deg, float), np.asarray(t_s, float))


@lru_cache(maxsize=32)
def speed_profile(profile: InterceptorProfile) -> SpeedProfile:
    """The profile's nominal speed profile (cached; see :class:`SpeedProfile`)."""
    p = profile
    h = 0.01
    t_end = p.max_time_of_flight_s + 10.0
    n = round(t_end / h)
    every = round(NOMINAL_DT_S / h)
    els = np.array(NOMINAL_ELEVATIONS_DEG)
    sin_el = np.sin(np.radians(els))
    cd_tab = cd_row(p)
    cd_mach = MACH_STEP * np.arange(cd_tab.size)
    mdot_b = p.boost_propellant_kg / p.boost_time_s
    mdot_s = p.sustain_propellant_kg / p.sustain_time_s if p.sustain_time_s > 0.0 else 0.0
    t_b = p.ignition_delay_s + p.boost_time_s
    motor = np.array([
        p.eject_speed_mps, p.ignition_delay_s, t_b, t_b + p.sustain_time_s, p.mass_kg,
        p.boost_thrust_n, mdot_b, p.sustain_thrust_n, p.mass_kg - p.boost_propellant_kg, mdot_s,
        p.burnout_mass_kg, p.area_m2,
    ])  # fmt: skip
    # Semi-implicit Euler at 10 ms over all elevations (compiled): ample for a
    # time-to-go estimate, and run once per profile.
    out_s = np.zeros((n // every + 1, len(els)))
    out_v = np.zeros_like(out_s)
    speed_profile_kernel(sin_el, n, every, h, motor, cd_mach, cd_tab, out_s, out_v)
    t_tab = NOMINAL_DT_S * np.arange(len(out_s))
    return SpeedProfile(
        NOMINAL_DT_S,
        t_tab,
        els,
        np.ascontiguousarray(out_s.T),
        np.ascontiguousarray(out_v.T),
    )


@dataclass(frozen=True)
class InterceptPrediction:
    """Predicted intercept points of N targets; leading axis = target. ENU, seconds.

    ``inside`` is True where the point lies in the profile's engagement
    envelope; ``why_outside`` says which limit it breaks otherwise ('' inside).
    Where no intercept is found within the maximum time of flight,
    ``pip_enu_m`` and ``time_of_flight_s`` are NaN.
    """

    pip_enu_m: Array
    time_of_flight_s: Array
    target_vel_at_pip_mps: Array  # (N, 3): the target's velocity there
    look_angle_deg: Array  # seeker look angle at lock-on, by the collision triangle
    g_demand_mps2: Array  # end-game lateral acceleration PN asks for (m/s²)
    range_m: Array  # slant range launcher -> PIP
    height_m: Array  # above the scenario ground
    average_speed_mps: Array
    inside: NDArray[np.bool_]
    why_outside: NDArray[np.str_]


def ballistic_path(
    pos_enu_m: Array, vel_enu_mps: Array, beta_kg_m2: Array, t_max_s: float
) -> tuple[Array, Array, Array]:
    """Nodes of ballistic paths, gravity and drag, every ``BALLISTIC_STEP_S`` from now.

    The station's own model, not the truth's: gravity G0 towards the centre of a
    spherical Earth below the scenario origin, drag −ρ(h)·|v|·v/(2β) in an exponential
    atmosphere (1.225 kg/m³, scale height 7.2 km), RK4. Returns (t (K,), pos (N, K, 3),
    vel (N, K, 3)) in the scenario ENU frame.
    """
    k = math.ceil(t_max_s / BALLISTIC_STEP_S) + 2
    h = BALLISTIC_STEP_S
    p = np.array(pos_enu_m, dtype=float)
    v = np.array(vel_enu_mps, dtype=float)
    b = np.asarray(beta_kg_m2, dtype=float)[:, None]
    ps = np.empty((len(p), k, 3))
    vs = np.empty_like(ps)

    def acc(p: Array, v: Array) -> Array:
        c = p.copy()
        c[:, 2] += EARTH_RADIUS_M
        r = np.linalg.norm(c, axis=1, keepdims=True)
        rho = station_density_kgpm3(r - EARTH_RADIUS_M)
        speed = np.linalg.norm(v, axis=1, keepdims=True)
        return -G0_MPS2 * (EARTH_RADIUS_M / r) ** 2 * c / r - rho * speed * v / (2.0 * b)

    for i in range(k):
        ps[:, i], vs[:, i] = p, v
        a1 = acc(p, v)
        a2 = acc(p + 0.5 * h * v, v + 0.5 * h * a1)
        a3 = acc(p + 0.5 * h * (v + 0.5 * h * a1), v + 0.5 * h * a2)
        a4 = acc(p + h * (v + 0.5 * h * a2), v + h * a3)
        p = p + h * v + h * h / 6.0 * (a1 + a2 + a3)
        v = v + h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
    return h * np.arange(k), ps, vs


def _hermite_at(ps: Array, vs: Array, step_s: float, t_s: Array) -> tuple[Array, Array]:
    """Positions and velocities on cubic Hermite curves through evenly spaced nodes.

    ``ps``/``vs`` (N, K, 3); ``t_s`` (N,) or (N, G) from the first node; held to the nodes'
    span (the last node's curve is extended at its velocity).
    """
    two = t_s.ndim == 2
    tt = t_s if two else t_s[:, None]
    kmax = ps.shape[1] - 1
    u = np.clip(tt / step_s, 0.0, None)
    i = np.minimum(u.astype(np.int64), kmax - 1)
    s = u - i
    rows = np.arange(len(ps))[:, None]
    p0, p1, v0, v1 = ps[rows, i], ps[rows, i + 1], vs[rows, i], vs[rows, i + 1]
    pos, vel = hermite_states(p0, v0, p1, v1, step_s, np.minimum(s, 1.0))
    late = (s > 1.0)[..., None]  # beyond the last node: straight on
    pos = np.where(late, p1 + v1 * (s[..., None] - 1.0) * step_s, pos)
    vel = np.where(late, v1, vel)
    return (pos, vel) if two else (pos[:, 0], vel[:, 0])


def predict_intercept(
    profile: str | InterceptorProfile,
    launcher_enu_m: ArrayLike,
    target_pos_enu_m: ArrayLike,
    target_vel_enu_mps: ArrayLike,
    target_acc_enu_mps2: ArrayLike | None = None,
    *,
    target_beta_kg_m2: ArrayLike | None = None,
    target_rcs_m2: ArrayLike | None = None,
    origin: Sequence[float] = DEFAULT_ORIGIN,
    margin_m: float = 0.0,
) -> InterceptPrediction:
    """Predicted intercept point of a launch now against N targets, and whether to shoot.

    The target's motion ahead: constant velocity, or constant acceleration given
    ``target_acc_enu_mps2``, or, where ``target_beta_kg_m2`` is finite, a ballistic
    path under gravity and drag with that ballistic coefficient (:func:`ballistic_path`).
    The interceptor reaches a point at straight distance D from the launcher in the time
    T at which the profile's nominal along-path distance (:func:`speed_profile`) is D.
    The intercept is the earliest T with distance(T) ≥ |target(T) − launcher|, found on
    a 0.1 s grid and refined by bisection.

    Whether to shoot: the envelope (``min_range_m`` ≤ slant range ≤ ``max_range_m −
    margin_m``, 0 ≤ height ≤ ``max_altitude_m − margin_m`` above the scenario ground,
    T ≤ ``max_time_of_flight_s``, nominal arrival speed ≥ ``min_speed_mps``) and the
    collision triangle at the intercept point, with the interceptor arriving along the
    line from the launcher at its nominal speed:

    - the seeker sees the target inside its field of regard (less ``LOOK_MARGIN_DEG``) at
      lock-on: the look angle is that between the closing velocity and the body axis;
    - homing lasts at least ``MIN_HOMING_TAUS`` autopilot time constants: lock-on range
      (scaled by ``target_rcs_m2``^¼) over the closing speed, or the flight after the
      boost if shorter;
    - the end-game acceleration PN asks for, N'/(N'−2) × the target's acceleration across
      the line of sight (gravity aside, which both feel), × ``G_DEMAND_MARGIN``, is within
      the airframe's limit at the intercept's height and speed.

    ``margin_m`` keeps the real intercept, which drifts from the prediction by the
    prediction's error, inside the hard limits.
    """
    p = interceptor_profile(profile)
    frame = Frame.of(origin)
    if not (math.isfinite(margin_m) and margin_m >= 0.0):
        raise ValueError(f"margin_m must be >= 0, got {margin_m!r}")
    pos = as_rows("target_pos_enu_m", target_pos_enu_m, 3)
    vel = as_rows("target_vel_enu_mps", target_vel_enu_mps, 3)
    acc = (
        np.zeros((1, 3))
        if target_acc_enu_mps2 is None
        else as_rows("target_acc_enu_mps2", target_acc_enu_mps2, 3)
    )
    lau = as_rows("launcher_enu_m", launcher_enu_m, 3)
    n = max(pos.shape[0], vel.shape[0], acc.shape[0], lau.shape[0])
    pos = broadcast_leading("target_pos_enu_m", pos, 3, n)
    vel = broadcast_leading("target_vel_enu_mps", vel, 3, n)
    acc = broadcast_leading("target_acc_enu_mps2", acc, 3, n)
    lau = broadcast_leading("launcher_enu_m", lau, 3, n)
    beta = as_column("target_beta_kg_m2", target_beta_kg_m2, math.inf, n)
    rcs = as_column("target_rcs_m2", target_rcs_m2, p.seeker_reference_rcs_m2, n)
    if np.any(beta <= 0.0) or np.any(rcs <= 0.0):
        raise ValueError("target_beta_kg_m2 and target_rcs_m2 must be > 0")
    sp = speed_profile(p)
    t_max = p.max_time_of_flight_s
    bal = np.flatnonzero(np.isfinite(beta))
    bal_p = bal_v = np.zeros((0, 2, 3))
    if bal.size:
        _, bal_p, bal_v = ballistic_path(pos[bal], vel[bal], beta[bal], t_max)

    def target_at(t: Array) -> tuple[Array, Array]:
        tt = t[..., None]
        two = t.ndim == 2
        p0, v0, a0 = (x[:, None] if two else x for x in (pos, vel, acc))
        tp = p0 + v0 * tt + 0.5 * a0 * tt * tt
        tv = v0 + a0 * tt
        if bal.size:
            tp[bal], tv[bal] = _hermite_at(bal_p, bal_v, BALLISTIC_STEP_S, t[bal])
        return tp, tv

    grid = np.arange(0.0, t_max + 0.5 * NOMINAL_DT_S, NOMINAL_DT_S)
    bal_row = np.full(n, -1, dtype=np.int64)
    bal_row[bal] = np.arange(bal.size)
    tof = np.empty(n)
    reach_times(
        *(np.ascontiguousarray(a, dtype=float) for a in (pos, vel, acc, lau)),
        bal_row, np.ascontiguousarray(bal_p), np.ascontiguousarray(bal_v), BALLISTIC_STEP_S,
        grid, sp.elevation_deg, np.ascontiguousarray(sp.distance_m), sp.dt_s, tof,
    )  # fmt: skip
    found = np.isfinite(tof)
    pip, v_t = target_at(np.nan_to_num(tof))
    pip = np.where(found[:, None], pip, np.nan)
    rng_m = np.linalg.norm(pip - lau, axis=-1)
    height = frame.height_m(pip)
    rel = pip - lau
    el_pip = np.degrees(np.arctan2(rel[:, 2], np.hypot(rel[:, 0], rel[:, 1])))
    avg = rng_m / np.where(found & (tof > 0.0), tof, np.nan)
    v_arr = sp.speed_at(np.nan_to_num(el_pip), np.nan_to_num(tof))
    look, demand, homing = _end_game(p, rel, v_arr, v_t, pip, acc, beta, rcs, tof)
    q = 0.5 * density_kgpm3(np.clip(np.nan_to_num(height), 0.0, 80e3)) * v_arr**2
    a_avail = np.maximum(
        p.side_accel_mps2, p.g_limit * G0_MPS2 * np.minimum(1.0, q / p.q_full_control_pa)
    )
    why = np.full(n, "", dtype=object)
    checks = [
        (~found, f"no intercept within the max time of flight {t_max:g} s"),
        (found & (rng_m > p.max_range_m - margin_m), f"beyond max range {p.max_range_m:g} m"),
        (found & (rng_m < p.min_range_m), f"inside min range {p.min_range_m:g} m"),
        (
            found & (height > p.max_altitude_m - margin_m),
            f"above max altitude {p.max_altitude_m:g} m",
        ),
        (found & (height < 0.0), "below the ground"),
        (found & (v_arr < p.min_speed_mps), f"arrives slower than {p.min_speed_mps:g} m/s"),
        (
            found & (look > p.seeker_field_of_regard_deg - LOOK_MARGIN_DEG),
            "the seeker would not see it at lock-on (look angle)",
        ),
        (
            found & (homing < MIN_HOMING_TAUS * p.autopilot_tau_s),
            "too little time to home after lock-on",
        ),
        (found & (demand * G_DEMAND_MARGIN > a_avail), "the end game needs more g than it has"),
    ]
    for bad, text in reversed(checks):
        why = np.where(bad, text, why)
    why = why.astype(str)
    return InterceptPrediction(
        pip_enu_m=pip,
        time_of_flight_s=tof,
        target_vel_at_pip_mps=np.where(found[:, None], v_t, np.nan),
        look_angle_deg=look,
        g_demand_mps2=demand,
        range_m=rng_m,
        height_m=height,
        average_speed_mps=avg,
        inside=why == "",
        why_outside=why,
    )


def _end_game(p, rel, v_arr, v_t, pip, acc, beta, rcs, tof):
    """Look angle at lock-on (deg), PN's acceleration demand (m/s²) and homing time (s),
    from the collision triangle at the intercept point."""
    u_m = rel / np.maximum(np.linalg.norm(rel, axis=-1, keepdims=True), 1e-9)
    w = v_arr[:, None] * u_m - v_t  # the interceptor's velocity relative to the target
    vc = np.maximum(np.linalg.norm(w, axis=-1), 1e-9)
    cos_look = np.sum(w * u_m, axis=-1) / vc
    look = np.degrees(np.arccos(np.clip(cos_look, -1.0, 1.0)))
    # The target's acceleration less gravity (which the interceptor's autopilot takes out
    # of its own): drag for a ballistic path, the given acceleration otherwise.
    speed_t = np.linalg.norm(v_t, axis=-1, keepdims=True)
    rho = station_density_kgpm3(np.nan_to_num(pip[:, 2:3]))
    drag = -rho * speed_t * v_t / (2.0 * np.where(np.isfinite(beta), beta, np.inf)[:, None])
    a_rel = np.where(np.isfinite(beta)[:, None], drag, acc)
    los = w / vc[:, None]
    a_perp = a_rel - np.sum(a_rel * los, axis=-1, keepdims=True) * los
    n_ = p.nav_constant
    demand = n_ / max(n_ - 2.0, 0.5) * np.linalg.norm(a_perp, axis=-1)
    r_acq = p.seeker_acquisition_range_m * (rcs / p.seeker_reference_rcs_m2) ** 0.25
    after_boost = np.nan_to_num(tof) - (p.ignition_delay_s + p.boost_time_s)
    homing = np.minimum(r_acq / vc, after_boost)
    return look, demand, homing
