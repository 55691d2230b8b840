"""Cheongung-class (KM-SAM) interceptor profiles: airframe, motor, guidance, seeker, lethality.

Everything here is nominal and public (docs/references.md, "Cheongung" and
"Proportional navigation"); figures that no public source gives are marked
``[nominal]`` in each profile's ``source`` and are parameters, not facts.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.interp import pchip

Array = NDArray[np.float64]

#: Mach grid of the kernel's C_D tables.
MACH_STEP = 0.01
MACH_MAX = 12.0

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
    #: The seeker locks on at ``seeker_acquisition_range_m`` against this RCS; against
    #: another it scales as RCS^¼ (the radar range equation at a fixed SNR).
    seeker_reference_rcs_m2: float = 1.0
    seeker_angle_noise_rad: float = 0.0
    seeker_glint_tau_s: float = 0.05
    radome_slope: float = 0.0
    guidance_filter_tau_s: float = 0.1
    seeker_blind_range_m: float = 0.0
    #: Probability that a missile works end to end (motor, uplink, seeker, fuze, warhead).
    reliability: float = 1.0
    #: Per target class (a truth kind): (class, lethal radius m, fall-off m, P_k within the
    #: radius, planning P_k). The fall-off is σ of the hit-to-kill law's Gaussian tail (unused
    #: by the Carleton law). The planning P_k is what the station assumes when it assigns:
    #: reliability × the mean P_k over the misses this model flies against that class
    #: (docs/engagement.md, held to it by tests/test_endgame.py).
    class_lethality: tuple[tuple[str, float, float, float, float], ...] = ()
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
            "seeker_angle_noise_rad",
            "radome_slope",
            "seeker_blind_range_m",
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
        for name in ("seeker_reference_rcs_m2", "seeker_glint_tau_s", "guidance_filter_tau_s"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0.0):
                raise ValueError(f"{where}: {name} must be a finite number > 0, got {v!r}")
        if not 0.0 < self.reliability <= 1.0:
            raise ValueError(f"{where}: reliability must be in (0, 1], got {self.reliability!r}")
        for row in self.class_lethality:
            ok = len(row) == 5 and row[1] > 0.0 and row[2] > 0.0
            if not (ok and 0.0 < row[3] <= 1.0 and 0.0 <= row[4] <= 1.0):
                raise ValueError(
                    f"{where}: class_lethality rows are (class, lethal_radius_m > 0, "
                    f"falloff_m > 0, pk in (0, 1], planning pk in [0, 1]), got {row!r}"
                )
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
        return pchip(m, c, x)

    def reaches(self, launchers_ecef_m: ArrayLike, targets_ecef_m: ArrayLike,
                targets_agl_m: ArrayLike) -> NDArray[np.bool_]:  # fmt: skip
        """(L, S): whether each launcher's interceptor can reach each point, by the static
        envelope alone: slant range within [``min_range_m``, ``max_range_m``], height above
        the ground at most ``max_altitude_m`` (not the time of flight)."""
        launchers = np.atleast_2d(np.asarray(launchers_ecef_m, dtype=float))
        targets = np.atleast_2d(np.asarray(targets_ecef_m, dtype=float))
        slant = np.linalg.norm(targets[None, :, :] - launchers[:, None, :], axis=2)
        low = np.asarray(targets_agl_m, dtype=float) <= self.max_altitude_m
        return (slant >= self.min_range_m) & (slant <= self.max_range_m) & low[None, :]

    def lethality_against(self, target_class: str | None) -> tuple[float, float, float, float]:
        """(lethal radius m, fall-off m, P_k within the radius, planning P_k) against a class;
        the profile's own ``lethal_radius_m``, ``pk_falloff_m`` and ``pk_max`` (planning:
        reliability × pk_max) for a class it has no row for."""
        for row in self.class_lethality:
            if row[0] == target_class:
                return float(row[1]), float(row[2]), float(row[3]), float(row[4])
        return (
            self.lethal_radius_m,
            self.pk_falloff_m,
            self.pk_max,
            self.reliability * self.pk_max,
        )

    def planning_pk(self, target_class: str | None) -> float:
        """The single-shot P_k the station assumes against a class (reliability included)."""
        return self.lethality_against(target_class)[3]

    def kill_probability(
        self, miss_distance_m: ArrayLike, target_class: str | None = None
    ) -> Array:
        """Kill probability of a working missile at the given miss distance(s) (m) against a
        target class (see the class doc); the missile's ``reliability`` is drawn apart."""
        d = np.asarray(miss_distance_m, dtype=float)
        if np.any(~(d >= 0.0)):
            raise ValueError("miss_distance_m must be >= 0 (NaN is not a distance)")
        radius, falloff, pk_max, _ = self.lethality_against(target_class)
        if self.lethality == "hit_to_kill":
            x = np.maximum(d - radius, 0.0) / falloff
            return pk_max * np.exp(-0.5 * x * x)
        return pk_max * np.exp(-((d / radius) ** 2))


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
    "docs/references.md 'Cheongung': max engagement range 40 km; Block II intercepts in the "
    "15-20 km altitude band (taken as max altitude 20 km); vertical cold launch, motor ignites "
    "in the air; about Mach 4.5; MFR uplink, seeker switches on near the target. "
    "docs/references.md 'Proportional navigation': a_c = N'·V_c·λ̇, N' 3-5, first-order "
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
    seeker_reference_rcs_m2=1.0,
    seeker_angle_noise_rad=0.015,
    seeker_glint_tau_s=0.05,
    radome_slope=0.01,
    guidance_filter_tau_s=0.1,
    seeker_blind_range_m=50.0,
    reliability=0.95,
    class_lethality=(
        ("ballistic_missile", 1.0, 1.0, 0.9, 0.85),
        ("aircraft", 6.0, 3.0, 0.9, 0.85),
        ("cruise_missile", 2.0, 1.0, 0.9, 0.85),
        ("uav", 3.0, 1.5, 0.95, 0.9),
        ("shell", 0.5, 0.5, 0.7, 0.4),
        ("mortar", 0.5, 0.5, 0.7, 0.4),
        ("rocket", 0.5, 0.5, 0.7, 0.4),
    ),
    source="cheongung-2 (KM-SAM Block II, hit-to-kill; docs/references.md 'Cheongung': Block II "
    "hit-to-kill, enhanced-lethality warhead, canard control and side thrusters). "
    + _COMMON_SOURCE,
)

#: Block I: proximity fuze and fragment-focusing warhead; the same airframe, motor and envelope
#: as Block II, a slower autopilot, a shorter-range seeker.
CHEONGUNG_1 = replace(
    CHEONGUNG_2,
    name="cheongung-1",
    g_limit=30.0,
    side_accel_mps2=50.0,
    autopilot_tau_s=0.30,
    nav_constant=3.5,
    seeker_acquisition_range_m=12_000.0,
    lethality="carleton",
    lethal_radius_m=12.0,
    pk_max=0.9,
    pk_falloff_m=0.0,
    seeker_angle_noise_rad=0.02,
    radome_slope=0.015,
    guidance_filter_tau_s=0.15,
    seeker_blind_range_m=80.0,
    reliability=0.92,
    class_lethality=(
        ("ballistic_missile", 4.0, 1.0, 0.3, 0.2),
        ("aircraft", 12.0, 1.0, 0.9, 0.75),
        ("cruise_missile", 8.0, 1.0, 0.85, 0.7),
        ("uav", 10.0, 1.0, 0.9, 0.8),
        ("shell", 3.0, 1.0, 0.3, 0.2),
        ("mortar", 3.0, 1.0, 0.3, 0.2),
        ("rocket", 3.0, 1.0, 0.3, 0.2),
    ),
    source="cheongung-1 (KM-SAM Block I; docs/references.md 'Cheongung': Block I proximity fuze "
    "with a fragment-focusing warhead; turn-over authority by jet vanes [nominal]). Airframe, "
    "motor and envelope as cheongung-2. " + _COMMON_SOURCE,
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


_CD_CACHE: dict[InterceptorProfile, Array] = {}


def cd_row(p: InterceptorProfile) -> Array:
    row = _CD_CACHE.get(p)
    if row is None:
        grid = np.arange(0.0, MACH_MAX + 0.5 * MACH_STEP, MACH_STEP)
        row = _CD_CACHE[p] = np.ascontiguousarray(p.cd(grid))
    return row


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
    "INTERCEPTORS",
    "InterceptorProfile",
    "draw_kills",
    "interceptor_profile",
    "kill_probability",
]
