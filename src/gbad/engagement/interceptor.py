"""Cheongung-class (KM-SAM) interceptors: profiles, guided flyout, intercept prediction, kill.

Everything here is nominal and public (REFERENCES.md, "Cheongung" and
"Proportional navigation"); figures that no public source gives are marked
``[nominal]`` in each profile's ``source`` and are parameters, not facts.

Frames and units
----------------
Positions and velocities in and out are in the scenario's true ENU frame
(the tangent plane at the scenario origin, metres; the frame of the result
files), times are simulation seconds. Arrays lead with the interceptor axis
(M); one launcher, one launch time or one target may be given for all.

Flight model
------------
A 3-DOF point mass integrated in ECEF (the Earth-fixed, rotating frame) with
fixed-step RK4, by default 0.01 s. The forces come from the world's ballistic
kernel (:mod:`gbad.world._ballistic_kernel`): WGS-84 gravity with J2, Coriolis
and centrifugal terms, drag in the U.S. Standard Atmosphere 1976 with C_D(M),
and thrust along the velocity (the body axis of a point mass). Integrating in
ECEF rather than on a flat ENU plane with gravity along −up keeps the Earth's
curvature: over a 40 km engagement the ground falls d²/2R ≈ 125 m below the
tangent plane and "down" turns by 0.36°, which a flat model would get wrong by
more than a hit-to-kill lethal radius. Targets given in ENU are moved to ECEF
exactly, so target and interceptor meet in one frame.

The flight:

1. cold launch: the round leaves the canister along the local vertical (the
   ellipsoid normal at the launcher) at ``eject_speed_mps`` and coasts,
   uncontrolled, for ``ignition_delay_s``;
2. the motor ignites: a boost phase then a sustain phase, each at constant
   thrust and constant mass flow; the step is shortened to land on ignition,
   boost-out and burnout so RK4 keeps its order across them;
3. turn-over and midcourse: the launcher uplinks target estimates (truth plus
   Gaussian noise at ``Uplink.rate_hz``, or a track you pass); between
   uplinks the interceptor extrapolates the last one at constant velocity,
   predicts the intercept point from its own speed and the profile's nominal
   speed profile, and turns its velocity onto it at a rate
   ``heading_gain_per_s`` × heading error;
4. terminal homing once, after the boost, the target is within
   ``seeker_acquisition_range_m`` and within ``seeker_field_of_regard_deg`` of
   the velocity (body) axis:
   true proportional navigation a_c = N'·V_c·λ̇ perpendicular to the line of
   sight (Zarchan), on the true relative state (a noise-free seeker).

In both guided phases the command also carries the airframe's weight across
the velocity (gravity compensation); only its part across the velocity is
flown (fins and thrusters turn the velocity, they do not speed it up); it is
limited to ``g_limit`` × g0 scaled by dynamic pressure below
``q_full_control_pa``, but never below ``side_accel_mps2`` (side thrusters or
jet vanes, which need no air: they turn the round over at low speed); and the
airframe follows it through a first-order lag ``autopilot_tau_s``. Guidance is
computed once a step and held over it.

A flight ends at the first of: the closest approach (the range, having
closed, opens again; the exact minimum is found on cubic Hermite curves of
both bodies within the last step), ground impact (the height above the
ellipsoid drops below the ground), ``cannot_close`` (after burnout the range
is not closing, or the speed is below ``min_speed_mps``), ``max_tof`` (the
maximum time of flight). The miss distance is the distance at the closest
approach, or the least distance seen over a flight that ends another way.

Not modelled: induced drag of manoeuvre, power-on base drag, seeker field of
view, blind range and noise, fuze delay, uplink latency, and the target's own
reaction to the interceptor.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import PchipInterpolator

from gbad.earth.atmosphere import G0_MPS2, density_kgpm3, speed_of_sound_mps
from gbad.earth.wgs84 import ecef2geodetic, enu_rotation, geodetic2ecef
from gbad.engagement import _flyout_kernel as _k

Array = NDArray[np.float64]

#: The scenario origin assumed when none is given (deg, deg, m above the ellipsoid).
DEFAULT_ORIGIN: tuple[float, float, float] = (37.10, 127.05, 40.0)
#: Why a flight ended, by ``Flyout.end_code``.
END_REASONS: tuple[str, ...] = ("closest_approach", "ground", "cannot_close", "max_tof")
#: Mach grid of the kernel's C_D tables.
MACH_STEP = 0.01
MACH_MAX = 12.0
#: Step of the nominal speed-profile table (s).
NOMINAL_DT_S = 0.1
#: An intercept point is in the envelope only if the interceptor arrives at least this many
#: times faster than the target: slower, PN needs look angles and accelerations the
#: point-mass model flies badly (misses of tens of metres in crossing shots) [nominal].
MIN_SPEED_RATIO = 1.5
#: Sample step (s) at which a callable target is tabulated for the kernel.
TARGET_SAMPLE_DT_S = 0.05

Lethality = Literal["hit_to_kill", "carleton"]


@dataclass(frozen=True)
class InterceptorProfile:
    """A surface-to-air interceptor as the 3-DOF flyout flies it. Every figure nominal.

    Motor: a boost phase of ``boost_thrust_n`` for ``boost_time_s`` burning
    ``boost_propellant_kg``, then a sustain phase likewise, both starting
    ``ignition_delay_s`` after the cold launch. C_D is referred to the frontal
    area π·d²/4, interpolated with PCHIP in ``cd_mach`` (Mach, C_D) and held
    outside it. Kill probability against miss distance d:

    - ``hit_to_kill``: ``pk_max`` for d ≤ ``lethal_radius_m``, then falling as
      ``pk_max·exp(−½((d − lethal_radius_m)/pk_falloff_m)²)``;
    - ``carleton``: ``pk_max·exp(−(d/lethal_radius_m)²)`` (the Carleton damage
      function of a fragmentation warhead with a proximity fuze).

    Envelope: the predicted intercept point must lie between ``min_range_m``
    and ``max_range_m`` slant range from the launcher, at most
    ``max_altitude_m`` above the ground, and be reached within
    ``max_time_of_flight_s``.
    """

    name: str
    mass_kg: float
    diameter_m: float
    cd_mach: tuple[tuple[float, float], ...]
    eject_speed_mps: float
    ignition_delay_s: float
    boost_thrust_n: float
    boost_time_s: float
    boost_propellant_kg: float
    sustain_thrust_n: float
    sustain_time_s: float
    sustain_propellant_kg: float
    g_limit: float
    side_accel_mps2: float
    q_full_control_pa: float
    autopilot_tau_s: float
    nav_constant: float
    heading_gain_per_s: float
    seeker_acquisition_range_m: float
    seeker_field_of_regard_deg: float
    lethality: Lethality
    lethal_radius_m: float
    pk_max: float
    pk_falloff_m: float
    min_range_m: float
    max_range_m: float
    max_altitude_m: float
    max_time_of_flight_s: float
    min_speed_mps: float
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = f"interceptor profile {self.name!r}"
        positive = (
            "mass_kg",
            "diameter_m",
            "eject_speed_mps",
            "boost_thrust_n",
            "boost_time_s",
            "boost_propellant_kg",
            "g_limit",
            "q_full_control_pa",
            "autopilot_tau_s",
            "nav_constant",
            "heading_gain_per_s",
            "seeker_acquisition_range_m",
            "seeker_field_of_regard_deg",
            "lethal_radius_m",
            "pk_max",
            "max_range_m",
            "max_altitude_m",
            "max_time_of_flight_s",
        )
        for name in positive:
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0.0):
                raise ValueError(f"{where}: {name} must be a finite number > 0, got {v!r}")
        non_negative = (
            "ignition_delay_s",
            "sustain_thrust_n",
            "sustain_time_s",
            "sustain_propellant_kg",
            "side_accel_mps2",
            "pk_falloff_m",
            "min_range_m",
            "min_speed_mps",
        )
        for name in non_negative:
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0.0):
                raise ValueError(f"{where}: {name} must be a finite number >= 0, got {v!r}")
        if self.boost_propellant_kg + self.sustain_propellant_kg >= self.mass_kg:
            raise ValueError(f"{where}: the propellant must weigh less than mass_kg")
        if (self.sustain_time_s > 0.0) != (self.sustain_propellant_kg > 0.0):
            raise ValueError(f"{where}: sustain_time_s and sustain_propellant_kg go together")
        if self.lethality not in ("hit_to_kill", "carleton"):
            raise ValueError(
                f"{where}: lethality must be 'hit_to_kill' or 'carleton', got {self.lethality!r}"
            )
        if self.lethality == "hit_to_kill" and not self.pk_falloff_m > 0.0:
            raise ValueError(f"{where}: a hit_to_kill profile needs pk_falloff_m > 0")
        if self.seeker_field_of_regard_deg > 90.0:
            raise ValueError(f"{where}: seeker_field_of_regard_deg must be in (0, 90]")
        if self.pk_max > 1.0:
            raise ValueError(f"{where}: pk_max must be in (0, 1], got {self.pk_max}")
        if not self.min_range_m < self.max_range_m:
            raise ValueError(f"{where}: need min_range_m < max_range_m")
        if len(self.cd_mach) < 2:
            raise ValueError(f"{where}: cd_mach needs at least two (mach, cd) points")
        mach = np.array([p[0] for p in self.cd_mach], dtype=float)
        cd = np.array([p[1] for p in self.cd_mach], dtype=float)
        if np.any(np.diff(mach) <= 0.0) or mach[0] < 0.0 or np.any(cd <= 0.0):
            raise ValueError(
                f"{where}: cd_mach must have strictly increasing Mach >= 0 and C_D > 0"
            )

    @property
    def area_m2(self) -> float:
        """Reference (frontal) area π·d²/4."""
        return math.pi * self.diameter_m**2 / 4.0

    @property
    def burnout_mass_kg(self) -> float:
        return self.mass_kg - self.boost_propellant_kg - self.sustain_propellant_kg

    @property
    def burnout_time_s(self) -> float:
        """Flight time (s after launch) at which the sustainer burns out."""
        return self.ignition_delay_s + self.boost_time_s + self.sustain_time_s

    def cd(self, mach: ArrayLike) -> Array:
        """Drag coefficient at the given Mach number(s): PCHIP, held constant outside the table."""
        m = np.array([p[0] for p in self.cd_mach], dtype=float)
        c = np.array([p[1] for p in self.cd_mach], dtype=float)
        x = np.clip(np.asarray(mach, dtype=float), m[0], m[-1])
        return PchipInterpolator(m, c, extrapolate=False)(x)

    def kill_probability(self, miss_distance_m: ArrayLike) -> Array:
        """Single-shot kill probability at the given miss distance(s) (m); see the class doc."""
        d = np.asarray(miss_distance_m, dtype=float)
        if np.any(~(d >= 0.0)):
            raise ValueError("miss_distance_m must be >= 0 (NaN is not a distance)")
        if self.lethality == "hit_to_kill":
            x = np.maximum(d - self.lethal_radius_m, 0.0) / self.pk_falloff_m
            return self.pk_max * np.exp(-0.5 * x * x)
        return self.pk_max * np.exp(-((d / self.lethal_radius_m) ** 2))


# A slender supersonic SAM body: C_D (frontal area) rising through transonic to
# a peak near M 1.2 and falling as 1/M-ish beyond (shape of the generic
# missile curves in Fleeman, Tactical Missile Design, ch. 2) [nominal].
_SAM_CD_MACH: tuple[tuple[float, float], ...] = (
    (0.0, 0.30),
    (0.6, 0.30),
    (0.9, 0.36),
    (1.05, 0.55),
    (1.2, 0.60),
    (1.5, 0.56),
    (2.0, 0.48),
    (2.5, 0.42),
    (3.0, 0.38),
    (4.0, 0.32),
    (5.0, 0.29),
    (6.0, 0.27),
)

_COMMON_SOURCE = (
    "REFERENCES.md 'Cheongung': max engagement range 40 km; Block II intercepts in the "
    "15-20 km altitude band (taken as max altitude 20 km); vertical cold launch, motor ignites "
    "in the air; about Mach 4.5; MFR uplink, seeker switches on near the target. "
    "REFERENCES.md 'Proportional navigation': a_c = N'·V_c·λ̇, N' 3-5, first-order "
    "autopilot lag and g limit (Zarchan). Airframe 400 kg, 0.275 m diameter [unverified, "
    "widely quoted]. Motor split, C_D(M), g limit, autopilot lag, seeker range, lethality, "
    "min range, max time of flight: [nominal], not published; the motor's thrusts were found by "
    "flying this model so that the speed peaks near Mach 4.5 (tests/test_interceptor.py pins it)."
)

#: Block II: hit-to-kill with an enhanced-lethality warhead, canard control and side thrusters.
CHEONGUNG_2 = InterceptorProfile(
    name="cheongung-2",
    mass_kg=400.0,
    diameter_m=0.275,
    cd_mach=_SAM_CD_MACH,
    eject_speed_mps=25.0,
    ignition_delay_s=0.5,
    boost_thrust_n=130_000.0,
    boost_time_s=3.6,
    boost_propellant_kg=190.0,
    sustain_thrust_n=8_000.0,
    sustain_time_s=8.0,
    sustain_propellant_kg=26.0,
    g_limit=40.0,
    side_accel_mps2=100.0,
    q_full_control_pa=40_000.0,
    autopilot_tau_s=0.20,
    nav_constant=4.0,
    heading_gain_per_s=1.5,
    seeker_acquisition_range_m=15_000.0,
    seeker_field_of_regard_deg=45.0,
    lethality="hit_to_kill",
    lethal_radius_m=1.0,
    pk_max=0.95,
    pk_falloff_m=1.0,
    min_range_m=1_000.0,
    max_range_m=40_000.0,
    max_altitude_m=20_000.0,
    max_time_of_flight_s=60.0,
    min_speed_mps=300.0,
    source="cheongung-2 (KM-SAM Block II, hit-to-kill; REFERENCES.md 'Cheongung': Block II "
    "hit-to-kill, enhanced-lethality warhead, canard control and side thrusters). "
    + _COMMON_SOURCE,
)

#: Block I: proximity fuze and fragment-focusing warhead.
CHEONGUNG_1 = InterceptorProfile(
    name="cheongung-1",
    mass_kg=400.0,
    diameter_m=0.275,
    cd_mach=_SAM_CD_MACH,
    eject_speed_mps=25.0,
    ignition_delay_s=0.5,
    boost_thrust_n=130_000.0,
    boost_time_s=3.6,
    boost_propellant_kg=190.0,
    sustain_thrust_n=8_000.0,
    sustain_time_s=8.0,
    sustain_propellant_kg=26.0,
    g_limit=30.0,
    side_accel_mps2=50.0,
    q_full_control_pa=40_000.0,
    autopilot_tau_s=0.30,
    nav_constant=3.5,
    heading_gain_per_s=1.5,
    seeker_acquisition_range_m=12_000.0,
    seeker_field_of_regard_deg=45.0,
    lethality="carleton",
    lethal_radius_m=12.0,
    pk_max=0.9,
    pk_falloff_m=0.0,
    min_range_m=1_000.0,
    max_range_m=40_000.0,
    max_altitude_m=20_000.0,
    max_time_of_flight_s=60.0,
    min_speed_mps=300.0,
    source="cheongung-1 (KM-SAM Block I; REFERENCES.md 'Cheongung': Block I proximity fuze "
    "with a fragment-focusing warhead; turn-over authority by jet vanes [nominal]). "
    + _COMMON_SOURCE,
)

#: The built-in profiles, by the names the scenario schema uses.
INTERCEPTORS: dict[str, InterceptorProfile] = {
    "cheongung-1": CHEONGUNG_1,
    "cheongung-2": CHEONGUNG_2,
}


def interceptor_profile(profile: str | InterceptorProfile) -> InterceptorProfile:
    """A profile by built-in name (or the profile itself); a clear error for an unknown name."""
    if isinstance(profile, InterceptorProfile):
        return profile
    if isinstance(profile, str):
        found = INTERCEPTORS.get(profile)
        if found is not None:
            return found
        close = difflib.get_close_matches(profile, list(INTERCEPTORS), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown interceptor profile {profile!r}{hint}; built-in profiles: "
            f"{', '.join(INTERCEPTORS)}"
        )
    raise TypeError(
        f"an interceptor profile is a name or an InterceptorProfile, not {type(profile).__name__}"
    )


# --- the nominal speed profile ------------------------------------------------

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
    cd_row = _cd_row(p)
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
        cd = np.interp(mach, MACH_STEP * np.arange(cd_row.size), cd_row)
        drag = 0.5 * rho * v * v * cd * p.area_m2
        v = np.maximum(v + h * ((f - drag) / m - G0_MPS2 * sin_g), 1.0)
        s = s + h * v
        alt = alt + h * v * sin_g
        if (i + 1) % every == 0:
            out_s.append(s.copy())
            out_v.append(v.copy())
    t_tab = NOMINAL_DT_S * np.arange(len(out_s))
    return SpeedProfile(NOMINAL_DT_S, t_tab, els, np.array(out_s).T, np.array(out_v).T)


# --- targets ------------------------------------------------------------------

TargetFn = Callable[[Array], tuple[ArrayLike, ArrayLike]]


@dataclass(frozen=True)
class TargetSamples:
    """A target's sampled state in the scenario ENU frame: truth, or a track's estimates.

    ``t_s`` is (K,) (shared) or (M, K), strictly increasing along K;
    ``pos_enu_m`` and ``vel_enu_mps`` are (K, 3) (one target for every
    interceptor) or (M, K, 3). Between samples the state is a cubic Hermite
    curve (exact for constant acceleration); outside them the nearest sample
    is extrapolated at constant velocity.
    """

    t_s: ArrayLike
    pos_enu_m: ArrayLike
    vel_enu_mps: ArrayLike

    def arrays(self) -> tuple[Array, Array, Array]:
        """Validated (t (M|1, K), pos (M|1, K, 3), vel (M|1, K, 3)) copies."""
        t = np.asarray(self.t_s, dtype=float)
        p = np.asarray(self.pos_enu_m, dtype=float)
        v = np.asarray(self.vel_enu_mps, dtype=float)
        if t.ndim == 1:
            t = t[None, :]
        if p.ndim == 2:
            p = p[None]
        if v.ndim == 2:
            v = v[None]
        if t.ndim != 2 or t.shape[1] < 1:
            raise ValueError(f"target t_s must have shape (K,) or (M, K), got {np.shape(self.t_s)}")
        k = t.shape[1]
        for name, a, raw in (
            ("pos_enu_m", p, self.pos_enu_m),
            ("vel_enu_mps", v, self.vel_enu_mps),
        ):
            if a.ndim != 3 or a.shape[1:] != (k, 3):
                raise ValueError(
                    f"target {name} must have shape ({k}, 3) or (M, {k}, 3) to match t_s "
                    f"{np.shape(self.t_s)}, got {np.shape(raw)}"
                )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p)) and np.all(np.isfinite(v))):
            raise ValueError("target samples must be finite")
        if k > 1 and np.any(np.diff(t, axis=1) <= 0.0):
            raise ValueError("target t_s must be strictly increasing along the sample axis")
        return t.copy(), p.copy(), v.copy()


def constant_velocity_target(pos_enu_m: ArrayLike, vel_enu_mps: ArrayLike, t0_s: ArrayLike = 0.0):
    """A straight, non-manoeuvring target: ``f(t_s) -> (pos, vel)``, each (..., 3) in ENU.

    ``pos_enu_m`` (N, 3) or (3,) is the position at ``t0_s``; ``f`` takes times of
    shape (N, K) (or broadcastable) and returns (N, K, 3) arrays.
    """
    p0 = np.array(pos_enu_m, dtype=float)
    v0 = np.array(vel_enu_mps, dtype=float)
    t0 = np.array(t0_s, dtype=float)
    _check_vec3("pos_enu_m", p0)
    _check_vec3("vel_enu_mps", v0)

    def f(t_s: Array) -> tuple[Array, Array]:
        t = np.asarray(t_s, dtype=float)
        dt = (t - (t0[..., None] if t0.ndim else t0))[..., None]
        pos = p0[..., None, :] + v0[..., None, :] * dt
        vel = np.broadcast_to(v0[..., None, :], pos.shape).copy()
        return pos, vel

    return f


def weaving_target(
    pos_enu_m: ArrayLike,
    vel_enu_mps: ArrayLike,
    accel_mps2: ArrayLike,
    period_s: ArrayLike,
    phase_rad: ArrayLike = 0.0,
    t0_s: ArrayLike = 0.0,
):
    """A target weaving in the horizontal plane: ``f(t_s) -> (pos, vel)`` in ENU.

    Its mean velocity is ``vel_enu_mps``; across it, horizontally, it carries the
    sinusoidal acceleration a·sin(ωt' + φ), t' = t − t0, ω = 2π/period, so
    its lateral offset is −(a/ω²)(sin(ωt' + φ) − sin φ) and its lateral velocity
    −(a/ω)·cos(ωt' + φ). The mean velocity must not be vertical. All
    arguments broadcast over N targets.
    """
    p0 = np.array(pos_enu_m, dtype=float)
    v0 = np.array(vel_enu_mps, dtype=float)
    _check_vec3("pos_enu_m", p0)
    _check_vec3("vel_enu_mps", v0)
    acc = np.array(accel_mps2, dtype=float)
    per = np.array(period_s, dtype=float)
    phi = np.array(phase_rad, dtype=float)
    t0 = np.array(t0_s, dtype=float)
    if np.any(~(per > 0.0)):
        raise ValueError("period_s must be > 0")
    side = np.stack([-v0[..., 1], v0[..., 0], np.zeros_like(v0[..., 0])], axis=-1)
    norm = np.linalg.norm(side, axis=-1, keepdims=True)
    if np.any(norm == 0.0):
        raise ValueError("a weaving target needs a horizontal mean velocity")
    side = side / norm
    w = 2.0 * np.pi / per

    def f(t_s: Array) -> tuple[Array, Array]:
        t = np.asarray(t_s, dtype=float)
        tt = t - (t0[..., None] if t0.ndim else t0)
        ww = w[..., None] if w.ndim else w
        aa = acc[..., None] if acc.ndim else acc
        ph = phi[..., None] if phi.ndim else phi
        off = -(aa / ww**2) * (np.sin(ww * tt + ph) - np.sin(ph))
        lat_v = -(aa / ww) * np.cos(ww * tt + ph)
        pos = (
            p0[..., None, :]
            + v0[..., None, :] * tt[..., None]
            + side[..., None, :] * off[..., None]
        )
        vel = v0[..., None, :] + side[..., None, :] * lat_v[..., None]
        return pos, vel

    return f


def _check_vec3(name: str, a: Array) -> None:
    if a.ndim not in (1, 2) or a.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (3,) or (N, 3), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")


@dataclass(frozen=True)
class Uplink:
    """Midcourse target data the launcher sends the interceptor: truth plus Gaussian noise.

    The first message goes at launch, then one every 1/``rate_hz`` s; each is
    the target's true position and velocity at that moment plus independent
    zero-mean Gaussian errors of the given 1-σ per axis (drawn from the
    Generator passed to :func:`fly_interceptors`).
    """

    rate_hz: float = 1.0
    position_sigma_m: float = 0.0
    velocity_sigma_mps: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate_hz) and self.rate_hz > 0.0):
            raise ValueError(f"Uplink.rate_hz must be > 0, got {self.rate_hz}")
        for name in ("position_sigma_m", "velocity_sigma_mps"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0.0):
                raise ValueError(f"Uplink.{name} must be >= 0, got {v}")


# --- frames -------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    r0: Array  # origin in ECEF
    rot: Array  # rows: east, north, up in ECEF
    alt0_m: float

    @classmethod
    def of(cls, origin: Sequence[float]) -> _Frame:
        try:
            lat, lon, alt = (float(x) for x in origin)
        except (TypeError, ValueError):
            raise ValueError(f"origin must be (lat_deg, lon_deg, alt_m), got {origin!r}") from None
        if not (-90.0 <= lat <= 90.0 and math.isfinite(lon) and math.isfinite(alt)):
            raise ValueError(
                f"origin must be (lat_deg in [-90, 90], lon_deg, alt_m), got {origin!r}"
            )
        return cls(np.array(geodetic2ecef(lat, lon, alt)), enu_rotation(lat, lon), alt)

    def to_ecef(self, enu: Array) -> Array:
        return self.r0 + enu @ self.rot

    def vec_to_ecef(self, enu: Array) -> Array:
        return enu @ self.rot

    def to_enu(self, ecef: Array) -> Array:
        return (ecef - self.r0) @ self.rot.T

    def vec_to_enu(self, ecef: Array) -> Array:
        return ecef @ self.rot.T

    def height_m(self, enu: Array) -> Array:
        """Height above the scenario ground (the ellipsoid raised to the origin's altitude)."""
        e = self.to_ecef(enu)
        return ecef2geodetic(e[..., 0], e[..., 1], e[..., 2])[2] - self.alt0_m


# --- flyout -------------------------------------------------------------------


@dataclass(frozen=True)
class Flyout:
    """The result of M interceptor flights; leading axis = interceptor. ENU, simulation time.

    ``end_code`` indexes :data:`END_REASONS`. ``end_*`` hold the interceptor
    (and the target) at the end: the closest approach when the code is 0.
    ``seeker_acquired_t_s`` is NaN where the seeker never acquired. With
    ``record=True``, ``t_s``/``pos_enu_m``/``vel_enu_mps`` hold the path every
    ``record_every`` steps from launch to the end point (NaN padding after
    ``n_samples``); otherwise they are empty along the sample axis.
    """

    profile_names: tuple[str, ...]
    launch_t_s: Array
    end_code: NDArray[np.int64]
    end_t_s: Array
    miss_distance_m: Array
    end_pos_enu_m: Array
    end_vel_enu_mps: Array
    target_end_pos_enu_m: Array
    target_end_vel_enu_mps: Array
    end_range_m: Array  # slant range from the launcher to the end point
    end_height_m: Array  # height of the end point above the scenario ground
    seeker_acquired_t_s: Array
    peak_speed_mps: Array
    peak_mach: Array
    burnout_speed_mps: Array
    t_s: Array
    pos_enu_m: Array
    vel_enu_mps: Array
    n_samples: NDArray[np.int64]

    @property
    def time_of_flight_s(self) -> Array:
        return self.end_t_s - self.launch_t_s

    @property
    def end_reason(self) -> NDArray[np.str_]:
        return np.array(END_REASONS)[self.end_code]

    @property
    def intercepted(self) -> NDArray[np.bool_]:
        """Flights that ended at a closest approach (whatever the miss distance)."""
        return self.end_code == _k.END_CLOSEST_APPROACH


_CD_CACHE: dict[InterceptorProfile, Array] = {}


def _cd_row(p: InterceptorProfile) -> Array:
    row = _CD_CACHE.get(p)
    if row is None:
        grid = np.arange(0.0, MACH_MAX + 0.5 * MACH_STEP, MACH_STEP)
        row = _CD_CACHE[p] = np.ascontiguousarray(p.cd(grid))
    return row


def _params(p: InterceptorProfile, ground_h_m: float) -> Array:
    prm = np.empty(_k.N_PARAMS)
    prm[_k.P_MASS] = p.mass_kg
    prm[_k.P_AREA] = p.area_m2
    prm[_k.P_IGNITION] = p.ignition_delay_s
    prm[_k.P_BOOST_T] = p.boost_time_s
    prm[_k.P_BOOST_F] = p.boost_thrust_n
    prm[_k.P_BOOST_MDOT] = p.boost_propellant_kg / p.boost_time_s
    prm[_k.P_SUST_T] = p.sustain_time_s
    prm[_k.P_SUST_F] = p.sustain_thrust_n
    prm[_k.P_SUST_MDOT] = p.sustain_propellant_kg / p.sustain_time_s if p.sustain_time_s else 0.0
    prm[_k.P_ACC_MAX] = p.g_limit * G0_MPS2
    prm[_k.P_SIDE_ACC] = p.side_accel_mps2
    prm[_k.P_Q_FULL] = p.q_full_control_pa
    prm[_k.P_TAU] = p.autopilot_tau_s
    prm[_k.P_NAV] = p.nav_constant
    prm[_k.P_HEADING_GAIN] = p.heading_gain_per_s
    prm[_k.P_ACQ_RANGE] = p.seeker_acquisition_range_m
    prm[_k.P_MAX_TOF] = p.max_time_of_flight_s
    prm[_k.P_MIN_SPEED] = p.min_speed_mps
    prm[_k.P_GROUND_H] = ground_h_m
    prm[_k.P_LOOK_COS] = math.cos(math.radians(p.seeker_field_of_regard_deg))
    return prm


def _leading(name: str, a: Array, inner: int, m: int) -> Array:
    """Broadcast an array whose leading axis is 1 or M to M (clear error otherwise)."""
    if a.shape[0] not in (1, m):
        raise ValueError(
            f"{name} has {a.shape[0]} rows but there are {m} interceptors: shapes do not match "
            "(give one row for all, or one per interceptor)"
        )
    del inner
    return np.broadcast_to(a, (m, *a.shape[1:])).copy()


def _rows(name: str, a: ArrayLike, width: int | None) -> Array:
    arr = np.asarray(a, dtype=float)
    if width is None:
        if arr.ndim > 1:
            raise ValueError(f"{name} must be a scalar or have shape (M,), got {arr.shape}")
        arr = arr.reshape(-1)
    else:
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != width:
            raise ValueError(f"{name} must have shape ({width},) or (M, {width}), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def fly_interceptors(
    profile: str | InterceptorProfile | Sequence[str | InterceptorProfile],
    launcher_enu_m: ArrayLike,
    launch_t_s: ArrayLike,
    target: TargetSamples | TargetFn,
    *,
    uplink: Uplink | TargetSamples | None = None,
    rng: np.random.Generator | None = None,
    origin: Sequence[float] = DEFAULT_ORIGIN,
    ground_alt_m: float | None = None,
    dt_s: float = 0.01,
    record: bool = False,
    record_every: int = 10,
    rotating: bool = True,
) -> Flyout:
    """Fly M guided interceptors against their targets; see the module doc for the model.

    Parameters
    ----------
    profile: a built-in name (``"cheongung-2"``), a profile, or one per interceptor.
    launcher_enu_m: (3,) or (M, 3), the launcher in the scenario ENU frame.
    launch_t_s: scalar or (M,), simulation time of each launch (>= 0).
    target: the truth each interceptor flies against, in ENU: a :class:`TargetSamples`,
        or a callable ``f(t_s) -> (pos, vel)`` taking simulation times (M, K) and
        returning (M, K, 3) arrays (or (K, 3) for one target for all), e.g.
        :func:`constant_velocity_target`, :func:`weaving_target`.
    uplink: the midcourse data: an :class:`Uplink` (truth plus noise; default 1 Hz,
        noise-free), or a :class:`TargetSamples` of estimates (a track) used as
        given, whose first time must not be later than the launch.
    rng: the Generator for uplink noise (needed only when there is noise).
    origin: the scenario origin (lat_deg, lon_deg, alt_m above the ellipsoid).
    ground_alt_m: altitude above the ellipsoid below which a flight ends on the
        ground; default the origin's altitude (the scenario ground without DEM).
    dt_s: the RK4 step (s); 0.01 s by default.
    record: keep the path, every ``record_every`` steps.
    rotating: keep the Coriolis and centrifugal terms (False treats ECEF as inertial).
    """
    if not (isinstance(dt_s, int | float) and math.isfinite(dt_s) and 0.0 < dt_s <= 0.1):
        raise ValueError(f"dt_s must be in (0, 0.1] s, got {dt_s!r}")
    if not (isinstance(record_every, int) and record_every >= 1):
        raise ValueError(f"record_every must be an integer >= 1, got {record_every!r}")
    frame = _Frame.of(origin)
    profs_in = [profile] if isinstance(profile, str | InterceptorProfile) else list(profile)
    if not profs_in:
        raise ValueError("profile is empty: give one profile or one per interceptor")
    profs = [interceptor_profile(p) for p in profs_in]
    launcher = _rows("launcher_enu_m", launcher_enu_m, 3)
    t_launch = _rows("launch_t_s", launch_t_s, None)
    if np.any(t_launch < 0.0):
        raise ValueError(f"launch_t_s must be >= 0, got {t_launch[t_launch < 0.0][:3]}")
    if uplink is None:
        uplink = Uplink()

    sizes = {len(profs), launcher.shape[0], t_launch.shape[0]}
    if isinstance(target, TargetSamples):
        tt, tp, tv = target.arrays()
        sizes |= {tt.shape[0], tp.shape[0], tv.shape[0]}
    elif callable(target):
        tt = tp = tv = None
    else:
        raise TypeError(
            "target must be TargetSamples or a callable f(t_s) -> (pos_enu_m, vel_enu_mps), "
            f"not {type(target).__name__}"
        )
    m = max(sizes)
    if tt is None:
        # A callable target says how many targets it has only when called.
        n_k = math.ceil(max(p.max_time_of_flight_s for p in profs) / TARGET_SAMPLE_DT_S) + 3
        t_first = _leading("launch_t_s", t_launch, 0, m)
        tt = t_first[:, None] + TARGET_SAMPLE_DT_S * np.arange(n_k)[None, :]
        tp, tv = _call_target(target, tt)
        if tp.shape[0] != m:
            if m != 1:
                raise ValueError(
                    f"the target callable gave {tp.shape[0]} targets for {m} interceptors: "
                    "shapes do not match"
                )
            m = tp.shape[0]
            tt = np.broadcast_to(tt, (m, n_k)).copy()
    else:
        tt = _leading("target t_s", tt, 0, m)
        tp = _leading("target pos_enu_m", tp, 0, m)
        tv = _leading("target vel_enu_mps", tv, 0, m)
    if len(profs) not in (1, m):
        raise ValueError(
            f"{len(profs)} profiles for {m} interceptors: shapes do not match "
            "(give one profile for all, or one per interceptor)"
        )
    profs = profs * m if len(profs) == 1 else profs
    launcher = _leading("launcher_enu_m", launcher, 3, m)
    t_launch = _leading("launch_t_s", t_launch, 0, m)
    max_tof = np.array([p.max_time_of_flight_s for p in profs])

    # Target truth, as ECEF samples (M, K, 6).
    if isinstance(target, TargetSamples):
        late = tt[:, 0] > t_launch
        if np.any(late):
            i = int(np.argmax(late))
            raise ValueError(
                f"target samples for interceptor {i} start at t={tt[i, 0]:g} s, after its "
                f"launch at t={t_launch[i]:g} s: the truth must cover the launch"
            )
    tgt_x = np.ascontiguousarray(
        np.concatenate([frame.to_ecef(tp), frame.vec_to_ecef(tv)], axis=-1)
    )
    tgt_t = np.ascontiguousarray(tt)
    tgt_n = np.full(m, tgt_t.shape[1], dtype=np.int64)

    up_t, up_x = _uplinks(uplink, rng, frame, t_launch, max_tof, tgt_t, tgt_x, tgt_n, m)
    up_n = np.full(m, up_t.shape[1], dtype=np.int64)

    # Launch state: on the launcher, moving along the local vertical at the ejection speed.
    pos0 = frame.to_ecef(launcher)
    lat, lon, h_launch = ecef2geodetic(pos0[:, 0], pos0[:, 1], pos0[:, 2])
    la, lo = np.radians(lat), np.radians(lon)
    up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)
    eject = np.array([p.eject_speed_mps for p in profs])
    state0 = np.ascontiguousarray(np.concatenate([pos0, eject[:, None] * up], axis=-1))
    ground = frame.alt0_m if ground_alt_m is None else float(ground_alt_m)
    if not math.isfinite(ground):
        raise ValueError(f"ground_alt_m must be finite, got {ground_alt_m!r}")
    # A launcher standing below the ground level given would "land" at once.
    ground_h = np.minimum(ground, h_launch - 1.0)

    uniq: dict[InterceptorProfile, int] = {}
    idx = np.array([uniq.setdefault(p, len(uniq)) for p in profs], dtype=np.int64)
    cd_tables = np.stack([_cd_row(p) for p in uniq])
    # Each interceptor's nominal speed profile is the one towards the intercept
    # point predicted at launch from the first uplinked estimate.
    first = np.stack([frame.to_enu(up_x[:, 0, :3]), frame.vec_to_enu(up_x[:, 0, 3:])], axis=1)
    n_nom = max(speed_profile(p).t_s.size for p in uniq)
    nom_s = np.empty((m, n_nom))
    nom_v = np.empty_like(nom_s)
    for prof, i_p in uniq.items():
        rows = np.flatnonzero(idx == i_p)
        pred = predict_intercept(
            prof, launcher[rows], first[rows, 0], first[rows, 1], origin=origin
        )
        aim = np.where(np.isfinite(pred.pip_enu_m), pred.pip_enu_m, first[rows, 0]) - launcher[rows]
        el = np.degrees(np.arctan2(aim[:, 2], np.hypot(aim[:, 0], aim[:, 1])))
        d, v = speed_profile(prof).rows_at(el)
        nom_s[rows] = [_pad_last(r, n_nom) for r in d]
        nom_v[rows] = [_pad_last(r, n_nom) for r in v]
    nom_s = np.ascontiguousarray(nom_s)
    nom_v = np.ascontiguousarray(nom_v)
    prm = np.stack([_params(p, g) for p, g in zip(profs, ground_h, strict=True)])

    n_rec = math.ceil(max_tof.max() / dt_s / record_every) + 6 if record else 1
    rec_t = np.full((m, n_rec), np.nan)
    rec_x = np.full((m, n_rec, 6), np.nan)
    rec_n = np.zeros(m, dtype=np.int64)
    end_code = np.zeros(m, dtype=np.int64)
    out_f = np.zeros((m, _k.N_OUT))
    end_m = np.zeros((m, 6))
    end_tg = np.zeros((m, 6))
    _k.flyout_kernel(
        state0,
        np.ascontiguousarray(t_launch),
        prm,
        cd_tables,
        idx,
        MACH_STEP,
        nom_s,
        nom_v,
        NOMINAL_DT_S,
        tgt_t,
        tgt_x,
        tgt_n,
        up_t,
        up_x,
        up_n,
        float(dt_s),
        bool(rotating),
        record_every if record else 0,
        rec_t,
        rec_x,
        rec_n,
        end_code,
        out_f,
        end_m,
        end_tg,
    )
    end_pos = frame.to_enu(end_m[:, :3])
    if record:
        pos_rec = frame.to_enu(rec_x[..., :3])
        vel_rec = frame.vec_to_enu(rec_x[..., 3:])
    else:
        rec_t = np.empty((m, 0))
        pos_rec = np.empty((m, 0, 3))
        vel_rec = np.empty((m, 0, 3))
        rec_n = np.zeros(m, dtype=np.int64)
    return Flyout(
        profile_names=tuple(p.name for p in profs),
        launch_t_s=t_launch,
        end_code=end_code,
        end_t_s=t_launch + out_f[:, _k.O_END_T],
        miss_distance_m=out_f[:, _k.O_MISS],
        end_pos_enu_m=end_pos,
        end_vel_enu_mps=frame.vec_to_enu(end_m[:, 3:]),
        target_end_pos_enu_m=frame.to_enu(end_tg[:, :3]),
        target_end_vel_enu_mps=frame.vec_to_enu(end_tg[:, 3:]),
        end_range_m=np.linalg.norm(end_pos - launcher, axis=-1),
        end_height_m=frame.height_m(end_pos),
        seeker_acquired_t_s=t_launch + out_f[:, _k.O_ACQ_T],
        peak_speed_mps=out_f[:, _k.O_PEAK_SPEED],
        peak_mach=out_f[:, _k.O_PEAK_MACH],
        burnout_speed_mps=out_f[:, _k.O_BURNOUT_SPEED],
        t_s=rec_t,
        pos_enu_m=pos_rec,
        vel_enu_mps=vel_rec,
        n_samples=rec_n,
    )


def _pad_last(a: Array, n: int) -> Array:
    # Extend a table by its last slope, as the kernel's lookup does past its end.
    if a.size >= n:
        return a
    slope = a[-1] - a[-2]
    return np.concatenate([a, a[-1] + slope * np.arange(1, n - a.size + 1)])


def _call_target(fn: TargetFn, t: Array) -> tuple[Array, Array]:
    m, k = t.shape
    try:
        pos, vel = fn(t.copy())
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"the target callable failed on times of shape {t.shape} ({exc}): shapes do not "
            "match, or it is not a target; it must map simulation times (M, K) to "
            "(pos_enu_m, vel_enu_mps), each (M, K, 3)"
        ) from exc
    pos = np.asarray(pos, dtype=float)
    vel = np.asarray(vel, dtype=float)
    out = []
    n = max(m, pos.shape[0] if pos.ndim == 3 else 1)
    for name, a in (("position", pos), ("velocity", vel)):
        if a.shape == (k, 3):
            a = a[None]
        if a.ndim != 3 or a.shape[1:] != (k, 3) or a.shape[0] not in (1, n):
            raise ValueError(
                f"the target callable returned a {name} of shape {a.shape} for times of shape "
                f"{t.shape}: shapes do not match (want ({n}, {k}, 3))"
            )
        a = np.broadcast_to(a, (n, k, 3))
        if not np.all(np.isfinite(a)):
            raise ValueError(f"the target callable returned a non-finite {name}")
        out.append(np.ascontiguousarray(a))
    return out[0], out[1]


def _uplinks(uplink, rng, frame, t_launch, max_tof, tgt_t, tgt_x, tgt_n, m):
    if isinstance(uplink, TargetSamples):
        ut, up, uv = uplink.arrays()
        ut = _leading("uplink t_s", ut, 0, m)
        up = _leading("uplink pos_enu_m", up, 0, m)
        uv = _leading("uplink vel_enu_mps", uv, 0, m)
        late = ut[:, 0] > t_launch
        if np.any(late):
            i = int(np.argmax(late))
            raise ValueError(
                f"the uplinked track for interceptor {i} starts at t={ut[i, 0]:g} s, after its "
                f"launch at t={t_launch[i]:g} s: the launch needs an estimate"
            )
        x = np.concatenate([frame.to_ecef(up), frame.vec_to_ecef(uv)], axis=-1)
        return np.ascontiguousarray(ut), np.ascontiguousarray(x)
    if not isinstance(uplink, Uplink):
        raise TypeError(f"uplink must be an Uplink or TargetSamples, not {type(uplink).__name__}")
    n_u = math.ceil(max_tof.max() * uplink.rate_hz) + 1
    ut = np.ascontiguousarray(t_launch[:, None] + np.arange(n_u)[None, :] / uplink.rate_hz)
    x = np.empty((m, n_u, 6))
    _k.sample_targets(ut, tgt_t, tgt_x, tgt_n, x)
    if uplink.position_sigma_m > 0.0 or uplink.velocity_sigma_mps > 0.0:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                "uplink noise needs a numpy.random.Generator: pass rng=np.random.default_rng(seed)"
            )
        noise = rng.standard_normal((m, n_u, 6))
        # Isotropic per-axis noise is the same in ENU and ECEF axes.
        x[..., :3] += uplink.position_sigma_m * noise[..., :3]
        x[..., 3:] += uplink.velocity_sigma_mps * noise[..., 3:]
    return ut, x


# --- intercept prediction -------------------------------------------------------


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
    frame = _Frame.of(origin)
    if not (math.isfinite(margin_m) and margin_m >= 0.0):
        raise ValueError(f"margin_m must be >= 0, got {margin_m!r}")
    pos = _rows("target_pos_enu_m", target_pos_enu_m, 3)
    vel = _rows("target_vel_enu_mps", target_vel_enu_mps, 3)
    acc = (
        np.zeros((1, 3))
        if target_acc_enu_mps2 is None
        else _rows("target_acc_enu_mps2", target_acc_enu_mps2, 3)
    )
    lau = _rows("launcher_enu_m", launcher_enu_m, 3)
    n = max(pos.shape[0], vel.shape[0], acc.shape[0], lau.shape[0])
    pos = _leading("target_pos_enu_m", pos, 3, n)
    vel = _leading("target_vel_enu_mps", vel, 3, n)
    acc = _leading("target_acc_enu_mps2", acc, 3, n)
    lau = _leading("launcher_enu_m", lau, 3, n)
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


# --- kill assessment ----------------------------------------------------------


def kill_probability(
    profile: str | InterceptorProfile | Sequence[str | InterceptorProfile],
    miss_distance_m: ArrayLike,
) -> Array:
    """Single-shot kill probability for each miss distance (m), per the profile's lethality."""
    d = np.asarray(miss_distance_m, dtype=float)
    if isinstance(profile, str | InterceptorProfile):
        return interceptor_profile(profile).kill_probability(d)
    profs = [interceptor_profile(p) for p in profile]
    if d.shape != (len(profs),):
        raise ValueError(
            f"{len(profs)} profiles for miss distances of shape {d.shape}: shapes do not match"
        )
    return np.array([p.kill_probability(x) for p, x in zip(profs, d, strict=True)], dtype=float)


def draw_kills(p_kill: ArrayLike, rng: np.random.Generator) -> NDArray[np.bool_]:
    """One Bernoulli draw per kill probability, from the passed Generator."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, not {type(rng).__name__}")
    p = np.asarray(p_kill, dtype=float)
    if np.any(~((p >= 0.0) & (p <= 1.0))):
        raise ValueError("p_kill must be in [0, 1]")
    return rng.random(p.shape) < p


__all__ = [
    "CHEONGUNG_1",
    "CHEONGUNG_2",
    "DEFAULT_ORIGIN",
    "END_REASONS",
    "INTERCEPTORS",
    "Flyout",
    "InterceptPrediction",
    "InterceptorProfile",
    "SpeedProfile",
    "TargetSamples",
    "Uplink",
    "constant_velocity_target",
    "draw_kills",
    "fly_interceptors",
    "interceptor_profile",
    "kill_probability",
    "predict_intercept",
    "speed_profile",
    "weaving_target",
]
