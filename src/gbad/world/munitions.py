"""Built-in munition profiles: mass, calibre, drag curve, charges, motor, dispersion.

Public, nominal figures only (see docs/references.md, "Munitions (nominal)"). Every
profile says in ``source`` where each figure comes from; a figure found by
flying the model (a motor thrust, a charge's muzzle velocity) says how it was
found, so it can be found again (tests/test_ballistic.py flies the same shots
and pins the figures).

Conventions: SI units; C_D is referred to the calibre's frontal area
π·d²/4; velocities are muzzle (gun, mortar) or rail/tube-exit (rocket, missile)
speeds relative to the ground; the motor of a powered round burns from t = 0
(rail exit) for ``burn_time_s`` at constant thrust and constant mass flow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.interp import pchip

Kind = Literal["shell", "mortar", "rocket", "ballistic_missile"]
Trajectory = Literal["low", "high"]
KINDS: tuple[str, ...] = ("shell", "mortar", "rocket", "ballistic_missile")

# Figures found by flying the model (see each profile's ``source``).
MORTAR_CHARGES_MPS: tuple[float, ...] = (125.0, 170.0, 215.0, 255.0, 300.0, 338.7)
ROCKET_EXIT_MPS = 45.0
ROCKET_THRUST_N = 19160.0
ROCKET_ELEVATION_MIN_DEG = 4.8
SRBM_START_MPS = 30.0
SRBM_THRUST_N = 136850.0
SRBM_ELEVATION_MIN_DEG = 75.0


@dataclass(frozen=True)
class MunitionProfile:
    """A ballistic round, as the point-mass model in :mod:`gbad.world.ballistic` flies it.

    ``cd_mach`` is a table of (Mach, C_D) pairs, strictly increasing in Mach;
    between its points C_D is interpolated with PCHIP, outside them it is held
    at the end values. ``charges_mps`` lists the available launch speeds, top
    charge last. Dispersion figures are 1-σ, round to round: muzzle-velocity
    fraction, quadrant elevation and azimuth in milliradians.
    """

    name: str
    kind: Kind
    mass_kg: float
    diameter_m: float
    cd_mach: tuple[tuple[float, float], ...]
    charges_mps: tuple[float, ...]
    thrust_n: float
    burn_time_s: float
    propellant_kg: float
    elevation_min_deg: float
    elevation_max_deg: float
    default_trajectory: Trajectory
    mv_sigma_frac: float
    elevation_sigma_mrad: float
    azimuth_sigma_mrad: float
    source: str

    def __post_init__(self) -> None:
        where = f"munition profile {self.name!r}"
        if self.kind not in KINDS:
            raise ValueError(f"{where}: kind {self.kind!r} is not one of {KINDS}")
        if self.default_trajectory not in ("low", "high"):
            raise ValueError(f"{where}: default_trajectory must be 'low' or 'high'")
        for field in ("mass_kg", "diameter_m"):
            if not getattr(self, field) > 0.0:
                raise ValueError(f"{where}: {field} must be > 0, got {getattr(self, field)}")
        for field in (
            "thrust_n",
            "burn_time_s",
            "propellant_kg",
            "mv_sigma_frac",
            "elevation_sigma_mrad",
            "azimuth_sigma_mrad",
        ):
            if not getattr(self, field) >= 0.0:
                raise ValueError(f"{where}: {field} must be >= 0, got {getattr(self, field)}")
        powered = (self.thrust_n > 0.0, self.burn_time_s > 0.0, self.propellant_kg > 0.0)
        if any(powered) and not all(powered):
            raise ValueError(
                f"{where}: a motor needs thrust_n, burn_time_s and propellant_kg all > 0 "
                "(or all 0 for an unpowered round)"
            )
        if self.propellant_kg >= self.mass_kg:
            raise ValueError(f"{where}: propellant_kg must be less than mass_kg")
        if len(self.cd_mach) < 2:
            raise ValueError(f"{where}: cd_mach needs at least two (mach, cd) points")
        mach = np.array([p[0] for p in self.cd_mach], dtype=float)
        cd = np.array([p[1] for p in self.cd_mach], dtype=float)
        if np.any(np.diff(mach) <= 0.0) or mach[0] < 0.0 or np.any(cd <= 0.0):
            raise ValueError(
                f"{where}: cd_mach must have strictly increasing Mach >= 0 and C_D > 0"
            )
        if not self.charges_mps or any(not v > 0.0 for v in self.charges_mps):
            raise ValueError(f"{where}: charges_mps must list launch speeds > 0")
        if not -90.0 <= self.elevation_min_deg < self.elevation_max_deg <= 90.0:
            raise ValueError(f"{where}: need -90 <= elevation_min_deg < elevation_max_deg <= 90")

    @property
    def area_m2(self) -> float:
        """Reference (frontal) area π·d²/4."""
        return math.pi * self.diameter_m**2 / 4.0

    @property
    def burnout_mass_kg(self) -> float:
        return self.mass_kg - self.propellant_kg

    @property
    def top_charge_mps(self) -> float:
        return self.charges_mps[-1]

    @property
    def powered(self) -> bool:
        return self.thrust_n > 0.0

    def cd(self, mach: ArrayLike) -> NDArray[np.float64]:
        """Drag coefficient at the given Mach number(s): PCHIP, held constant outside the table."""
        m = np.array([p[0] for p in self.cd_mach], dtype=float)
        c = np.array([p[1] for p in self.cd_mach], dtype=float)
        x = np.clip(np.asarray(mach, dtype=float), m[0], m[-1])
        return pchip(m, c, x)


def _m107_cd_table() -> tuple[tuple[float, float], ...]:
    # The public fit for the 155 mm shell (docs/references.md): K_D = 0.0579 for
    # M <= 0.9 and ((0.9415 + 0.1327 M)^2 - 1)/M^2 for 1.3 < M <= 2.6,
    # C_D = (8/π) K_D. The fit says nothing in 0.9 < M <= 1.3: PCHIP bridges it.
    sub = [0.0, 0.3, 0.6, 0.8, 0.9]
    sup = [1.3, 1.4, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6]
    pts = [(m, 8.0 / math.pi * 0.0579) for m in sub]
    pts += [(m, 8.0 / math.pi * ((0.9415 + 0.1327 * m) ** 2 - 1.0) / m**2) for m in sup]
    return tuple(pts)


_155MM = MunitionProfile(
    name="155mm-he",
    kind="shell",
    mass_kg=42.9,
    diameter_m=0.155,
    cd_mach=_m107_cd_table(),
    # Top charge 684 m/s (docs/references.md, [unverified]); lower charges nominal,
    # spaced so that their range bands overlap.
    charges_mps=(210.0, 275.0, 340.0, 400.0, 470.0, 560.0, 684.0),
    thrust_n=0.0,
    burn_time_s=0.0,
    propellant_kg=0.0,
    elevation_min_deg=-5.0,
    elevation_max_deg=72.0,
    default_trajectory="low",
    mv_sigma_frac=0.003,
    elevation_sigma_mrad=0.5,
    azimuth_sigma_mrad=0.5,
    source=(
        "docs/references.md 'Munitions (nominal)': 155 mm HE M107 family, 42.9 kg (M114 data); "
        "C_D(M) from the public M101 fit (Rabbath & Corriveau, Def. Tech. 15(5) 2019), "
        "PCHIP; top charge 684 m/s [unverified]; M198 max range 18.2 km with M107 "
        "(weaponsystems.net). Lower charges, elevation limits (M198: -5 to +72 deg) and "
        "dispersion are nominal."
    ),
)


# A fin-stabilised mortar bomb: subsonic C_D about 0.13 on the calibre area,
# rising through the transonic region. Nominal shape, not a published table.
_MORTAR_CD = (
    (0.0, 0.130),
    (0.5, 0.130),
    (0.7, 0.135),
    (0.8, 0.145),
    (0.9, 0.180),
    (1.0, 0.280),
    (1.1, 0.320),
    (1.3, 0.310),
    (1.6, 0.280),
    (2.0, 0.250),
)

_120MM_MORTAR = MunitionProfile(
    name="120mm-mortar",
    kind="mortar",
    mass_kg=18.7,
    diameter_m=0.120,
    cd_mach=_MORTAR_CD,
    charges_mps=MORTAR_CHARGES_MPS,
    thrust_n=0.0,
    burn_time_s=0.0,
    propellant_kg=0.0,
    elevation_min_deg=30.0,
    elevation_max_deg=85.0,
    default_trajectory="high",
    mv_sigma_frac=0.004,
    elevation_sigma_mrad=1.0,
    azimuth_sigma_mrad=1.0,
    source=(
        "docs/references.md 'Munitions (nominal)': 120 mm mortar MO-120-RT, 18.7 kg cartridge, "
        "8.14 km max range, elevation 30-85 deg. C_D(M) nominal (fin-stabilised bomb). "
        "Top-charge muzzle velocity nominal, calibrated to 8.14 km: "
        f"{MORTAR_CHARGES_MPS[-1]:.1f} m/s gives the maximum range 8140 m (point-mass model, "
        "sea level, 45 deg N, fired north, landing at launch level; secant on the "
        "muzzle velocity, max range by elevation scan). Lower charges nominal "
        "fractions of the top one; dispersion nominal."
    ),
)

# A 122 mm finned artillery rocket, L/D ~ 23: subsonic C_D ~0.3 (skin friction
# and fins), a transonic peak, ~0.4 at Mach 2. Nominal shape.
_ROCKET_CD = (
    (0.0, 0.30),
    (0.6, 0.30),
    (0.8, 0.32),
    (0.95, 0.42),
    (1.05, 0.55),
    (1.2, 0.53),
    (1.5, 0.47),
    (2.0, 0.40),
    (2.5, 0.35),
    (3.0, 0.32),
)

_122MM_ROCKET = MunitionProfile(
    name="122mm-rocket",
    kind="rocket",
    mass_kg=66.0,
    diameter_m=0.122,
    cd_mach=_ROCKET_CD,
    charges_mps=(ROCKET_EXIT_MPS,),
    thrust_n=ROCKET_THRUST_N,
    burn_time_s=1.9,
    propellant_kg=20.5,
    elevation_min_deg=ROCKET_ELEVATION_MIN_DEG,
    elevation_max_deg=55.0,
    default_trajectory="low",
    mv_sigma_frac=0.01,
    elevation_sigma_mrad=2.0,
    azimuth_sigma_mrad=2.0,
    source=(
        "docs/references.md 'Munitions (nominal)': 122 mm rocket 9M22U, ~65 kg (66 kg used), "
        "1.6-20 km. Burn time 1.9 s, propellant 20.5 kg, tube-exit speed "
        f"{ROCKET_EXIT_MPS:.0f} m/s, C_D(M) and dispersion nominal. "
        f"Thrust nominal, calibrated to 20 km: {ROCKET_THRUST_N:.0f} N gives the maximum "
        "range 20.0 km (point-mass model, thrust along the velocity from tube exit, sea "
        "level, 45 deg N, fired north, landing at launch level; secant on the thrust, max "
        "range by elevation scan); burnout speed then ~686 m/s. Elevation 55 deg max (BM-21 "
        f"launcher, nominal); the minimum {ROCKET_ELEVATION_MIN_DEG} deg is set so the "
        "model's minimum range is the published 1.6 km (flown; real rockets reach it with "
        "brake rings at low elevation, not modelled; below ~4 deg the model's rocket "
        "droops into the ground while its motor burns)."
    ),
)

# A nominal Scud-class short-range ballistic missile (one body: no warhead
# separation). Nominal C_D shape for a slender body with fins.
_SRBM_CD = (
    (0.0, 0.20),
    (0.8, 0.20),
    (0.95, 0.30),
    (1.1, 0.42),
    (1.3, 0.40),
    (1.6, 0.36),
    (2.0, 0.32),
    (3.0, 0.26),
    (5.0, 0.21),
    (8.0, 0.18),
    (12.0, 0.17),
)

_SRBM = MunitionProfile(
    name="srbm",
    kind="ballistic_missile",
    mass_kg=6000.0,
    diameter_m=0.88,
    cd_mach=_SRBM_CD,
    charges_mps=(SRBM_START_MPS,),
    thrust_n=SRBM_THRUST_N,
    burn_time_s=60.0,
    propellant_kg=3800.0,
    elevation_min_deg=SRBM_ELEVATION_MIN_DEG,
    elevation_max_deg=89.0,
    default_trajectory="low",
    mv_sigma_frac=0.002,
    elevation_sigma_mrad=0.5,
    azimuth_sigma_mrad=0.5,
    source=(
        "Nominal, not a real missile: a Scud-class short-range ballistic missile, 6 t "
        "launch mass, 3.8 t propellant, 60 s burn, 0.88 m diameter, C_D(M) and dispersion "
        f"nominal. The launch is modelled as leaving the stand at {SRBM_START_MPS:.0f} m/s "
        "and then flying a gravity turn (thrust along the velocity), the launch elevation "
        "choosing the range. Thrust nominal, calibrated to the 300 km class: "
        f"{SRBM_THRUST_N:.0f} N gives the maximum range 300 km (point-mass model, sea "
        "level, 45 deg N, fired north, landing at launch level; secant on the thrust, max "
        "range by elevation scan): burnout at ~1.56 km/s, 27 km up; apogee ~81 km at "
        "maximum range; at 250 km the low (default) solution peaks at ~42 km, the high "
        "one at ~120 km."
    ),
)

__all__ = ["KINDS", "MUNITIONS", "Kind", "MunitionProfile", "Trajectory"]

#: The built-in profiles by name (the names scenarios use).
MUNITIONS: dict[str, MunitionProfile] = {
    p.name: p for p in (_155MM, _120MM_MORTAR, _122MM_ROCKET, _SRBM)
}
