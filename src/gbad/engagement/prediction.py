"""Where and when an interceptor launched now meets a target: nominal speed profile, PIP, envelope."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.atmosphere import G0_MPS2, density_kgpm3, speed_of_sound_mps
from gbad.engagement._frame import DEFAULT_ORIGIN, Frame, as_rows, broadcast_leading
from gbad.engagement.profiles import MACH_STEP, InterceptorProfile, cd_row, interceptor_profile

Array = NDArray[np.float64]

#: Step of the nominal speed-profile table (s).
NOMINAL_DT_S = 0.1
#: An intercept point is in the envelope only if the interceptor arrives at least this many
#: times faster than the target: slower, PN needs look angles and accelerations the
#: point-mass model flies badly (misses of tens of metres in crossing shots) [nominal].
MIN_SPEED_RATIO = 1.5


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
    mdot_b = p.boost_propellant_kg / p.boost_time_s
    mdot_s = p.sustain_propellant_kg / p.sustain_time_s if p.sustain_time_s > 0.0 else 0.0
    t_b = p.ignition_delay_s + p.boost_time_s
    t_s_end = t_b + p.sustain_time_s
    s = np.zeros_like(els)
    v = np.full_like(els, p.eject_speed_mps)
    alt = np.zeros_like(els)
    out_s = [s.copy()]
    out_v = [v.copy()]
    # Semi-implicit Euler at 10 ms over all elevations at once: ample for a
    # time-to-go estimate, and run once per profile.
    for i in range(n):
        t = i * h
        if t < p.ignition_delay_s:
            f, m, sin_g = 0.0, p.mass_kg, np.ones_like(els)
        else:
            if t < t_b:
                f, m = p.boost_thrust_n, p.mass_kg - mdot_b * (t - p.ignition_delay_s)
            elif t < t_s_end:
                f = p.sustain_thrust_n
                m = p.mass_kg - p.boost_propellant_kg - mdot_s * (t - t_b)
            else:
                f, m = 0.0, p.burnout_mass_kg
            sin_g = sin_el
        rho = density_kgpm3(alt)
        mach = v / speed_of_sound_mps(alt)
        cd = np.interp(mach, MACH_STEP * np.arange(cd_tab.size), cd_tab)
        drag = 0.5 * rho * v * v * cd * p.area_m2
        v = np.maximum(v + h * ((f - drag) / m - G0_MPS2 * sin_g), 1.0)
        s = s + h * v
        alt = alt + h * v * sin_g
        if (i + 1) % every == 0:
            out_s.append(s.copy())
            out_v.append(v.copy())
    t_tab = NOMINAL_DT_S * np.arange(len(out_s))
    return SpeedProfile(NOMINAL_DT_S, t_tab, els, np.array(out_s).T, np.array(out_v).T)


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
    range_m: Array  # slant range launcher -> PIP
    height_m: Array  # above the scenario ground
    average_speed_mps: Array
    inside: NDArray[np.bool_]
    why_outside: NDArray[np.str_]


def predict_intercept(
    profile: str | InterceptorProfile,
    launcher_enu_m: ArrayLike,
    target_pos_enu_m: ArrayLike,
    target_vel_enu_mps: ArrayLike,
    target_acc_enu_mps2: ArrayLike | None = None,
    *,
    origin: Sequence[float] = DEFAULT_ORIGIN,
    margin_m: float = 0.0,
) -> InterceptPrediction:
    """Predicted intercept point of a launch now against N targets, and whether to shoot.

    The target is extrapolated at constant velocity (or constant acceleration,
    given ``target_acc_enu_mps2``); the interceptor reaches a point at straight
    distance D from the launcher in the time T at which the profile's nominal
    along-path distance (:func:`speed_profile`) is D. The intercept is the
    earliest T with distance(T) ≥ |target(T) − launcher|, found on a 0.1 s grid
    and refined by bisection. The envelope: ``min_range_m`` ≤ slant range ≤
    ``max_range_m − margin_m``, height ≤ ``max_altitude_m − margin_m`` (above
    the scenario ground, the ellipsoid at the origin's altitude), height ≥ 0,
    T ≤ ``max_time_of_flight_s``, and the nominal speed there ≥ ``min_speed_mps`` and
    ≥ ``MIN_SPEED_RATIO`` × the target's speed.
    ``margin_m`` keeps the real intercept, which drifts from the prediction by
    the prediction's error, inside the hard limits.
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
    sp = speed_profile(p)
    t_max = p.max_time_of_flight_s

    def gap(t: Array) -> Array:
        # Nominal distance flown towards the target's position at t, less the distance to it.
        two = t.ndim == 2
        tt = t[..., None]
        rel = (pos[:, None] if two else pos) - (lau[:, None] if two else lau)
        rel = (
            rel
            + (vel[:, None] if two else vel) * tt
            + 0.5 * (acc[:, None] if two else acc) * tt * tt
        )
        el = np.degrees(np.arctan2(rel[..., 2], np.hypot(rel[..., 0], rel[..., 1])))
        return sp.distance_at(el, t) - np.linalg.norm(rel, axis=-1)

    grid = np.arange(0.0, t_max + 0.5 * NOMINAL_DT_S, NOMINAL_DT_S)
    g = gap(np.broadcast_to(grid, (n, grid.size)))
    reached = g >= 0.0
    found = reached.any(axis=1)
    k = np.where(found, np.argmax(reached, axis=1), 1)
    k = np.maximum(k, 1)
    lo = grid[k - 1]
    hi = grid[k]
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        ok = gap(mid) >= 0.0
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    tof = np.where(found, hi, np.nan)
    t_b = np.nan_to_num(tof)[:, None]
    pip = pos + vel * t_b + 0.5 * acc * t_b * t_b
    pip = np.where(found[:, None], pip, np.nan)
    rng_m = np.linalg.norm(pip - lau, axis=-1)
    height = frame.height_m(pip)
    rel = pip - lau
    el_pip = np.degrees(np.arctan2(rel[:, 2], np.hypot(rel[:, 0], rel[:, 1])))
    avg = rng_m / np.where(found & (tof > 0.0), tof, np.nan)
    v_arr = sp.speed_at(np.nan_to_num(el_pip), np.nan_to_num(tof))
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
            found & (v_arr < MIN_SPEED_RATIO * np.linalg.norm(vel, axis=-1)),
            f"arrives less than {MIN_SPEED_RATIO:g} times faster than the target",
        ),
    ]
    for bad, text in reversed(checks):
        why = np.where(bad, text, why)
    why = why.astype(str)
    return InterceptPrediction(
        pip_enu_m=pip,
        time_of_flight_s=tof,
        range_m=rng_m,
        height_m=height,
        average_speed_mps=avg,
        inside=why == "",
        why_outside=why,
    )
