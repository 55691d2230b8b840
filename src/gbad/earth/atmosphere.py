"""U.S. Standard Atmosphere 1976, as functions of geometric altitude.

Below 86 km geometric altitude this is the 1976 standard itself (NOAA/NASA/USAF,
U.S. Standard Atmosphere, 1976, part 1): seven layers of constant lapse rate in
*geopotential* altitude H, with H = r0·Z/(r0 + Z) for geometric altitude Z and
r0 = 6 356 766 m; pressure from the hydrostatic equation in each layer; density
from the ideal-gas law with the molecular-scale temperature T_M; the speed of
sound from sqrt(γ·R*·T_M/M0). Between 80 and 86 km the kinetic temperature
differs from T_M by the standard's molecular-weight ratio M/M0 (its Table 8);
density, pressure and the speed of sound do not need it.

Above 86 km (H = 84 852 m) the standard changes to a diffusive model that a
ballistic simulation has no use for. We continue instead with one more
isothermal layer: T_M stays at its 86 km value (186.946 K; kinetic 186.87 K,
which is also what the standard has up to 91 km), and pressure and density fall
off hydrostatically, exp(−g0·M0·(H − 84 852 m)/(R*·T_M)), with gravity falling
as the inverse square of the radius through the geopotential altitude. Every
quantity is continuous at 86 km and the decay is smooth; at 100 km density is
within about 3 % of the standard's 5.60e-7 kg/m³, and drag is negligible there
anyway. Below sea level the first layer is extended (the standard tabulates it
to −5 km).

Two flavours of every quantity:

- ``temperature_k``, ``pressure_pa``, ``density_kgpm3``, ``speed_of_sound_mps``:
  vectorised NumPy functions of ``altitude_m`` (any shape; new arrays returned);
- ``*_scalar`` versions compiled with Numba (``@njit(cache=True)``) for use inside
  other Numba kernels, plus :func:`density_and_speed_of_sound_scalar`, which gives
  the two quantities a point-mass integrator needs in one call.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

#: Standard gravity (m/s²), the reference for geopotential altitude.
G0_MPS2 = 9.80665
#: Universal gas constant as the 1976 standard defines it, J/(mol·K).
R_STAR_JPMOLK = 8.31432
#: Sea-level mean molecular weight of air, kg/mol.
M0_KGPMOL = 0.0289644
#: Effective Earth radius for the geopotential altitude, m.
R0_M = 6356766.0
#: Ratio of specific heats of air.
GAMMA_AIR = 1.4
#: Sea-level pressure and temperature of the standard.
P0_PA = 101325.0
T0_K = 288.15

# Layer bases in geopotential altitude (m) and molecular-scale temperature
# gradients (K/m). The last row is our isothermal extension above 86 km.
_H_BASE_M = np.array([0.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0, 84852.0])
_LAPSE_KPM = np.array([-0.0065, 0.0, 0.001, 0.0028, 0.0, -0.0028, -0.002, 0.0])
_GMR = G0_MPS2 * M0_KGPMOL / R_STAR_JPMOLK  # K/m, the hydrostatic constant


def _layer_bases() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    # Chain the layer formulas upward once, so base pressures stay consistent
    # with the formulas to round-off (the standard's printed bases agree to 6 digits).
    t_base = np.empty_like(_H_BASE_M)
    p_base = np.empty_like(_H_BASE_M)
    t_base[0], p_base[0] = T0_K, P0_PA
    for i in range(1, len(_H_BASE_M)):
        dh = _H_BASE_M[i] - _H_BASE_M[i - 1]
        lapse = _LAPSE_KPM[i - 1]
        t_base[i] = t_base[i - 1] + lapse * dh
        if lapse == 0.0:
            p_base[i] = p_base[i - 1] * math.exp(-_GMR * dh / t_base[i - 1])
        else:
            p_base[i] = p_base[i - 1] * (t_base[i - 1] / t_base[i]) ** (_GMR / lapse)
    return t_base, p_base


_TM_BASE_K, _P_BASE_PA = _layer_bases()

# Molecular-weight ratio M/M0 against geometric altitude, 80–86 km (the 1976
# standard, Table 8); 1 below, its 86 km value above.
_MRATIO_Z_M = np.array(
    [
        80000.0,
        80500.0,
        81000.0,
        81500.0,
        82000.0,
        82500.0,
        83000.0,
        83500.0,
        84000.0,
        84500.0,
        85000.0,
        85500.0,
        86000.0,
    ]
)
_MRATIO = np.array(
    [
        1.0,
        0.999996,
        0.999989,
        0.999971,
        0.999941,
        0.999909,
        0.999870,
        0.999829,
        0.999786,
        0.999741,
        0.999694,
        0.999641,
        0.999579,
    ]
)


def geopotential_altitude_m(altitude_m: ArrayLike) -> NDArray[np.float64]:
    """Geopotential altitude (m') for geometric altitude (m), H = r0·Z/(r0 + Z)."""
    z = np.asarray(altitude_m, dtype=float)
    return R0_M * z / (R0_M + z)


def _tm_and_p(altitude_m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    h = geopotential_altitude_m(altitude_m)
    i = np.clip(np.searchsorted(_H_BASE_M, h, side="right") - 1, 0, len(_H_BASE_M) - 1)
    lapse = _LAPSE_KPM[i]
    t_b = _TM_BASE_K[i]
    p_b = _P_BASE_PA[i]
    dh = h - _H_BASE_M[i]
    tm = t_b + lapse * dh
    iso = lapse == 0.0
    # Evaluate both branches with safe arguments, then pick: no division by 0.
    safe_lapse = np.where(iso, 1.0, lapse)
    p_grad = p_b * (t_b / tm) ** (_GMR / safe_lapse)
    p_iso = p_b * np.exp(-_GMR * dh / t_b)
    return tm, np.where(iso, p_iso, p_grad)


def temperature_k(altitude_m: ArrayLike) -> NDArray[np.float64]:
    """Kinetic temperature (K) at geometric altitude (m above mean sea level)."""
    z = np.asarray(altitude_m, dtype=float)
    tm, _ = _tm_and_p(z)
    return tm * np.interp(z, _MRATIO_Z_M, _MRATIO)


def pressure_pa(altitude_m: ArrayLike) -> NDArray[np.float64]:
    """Pressure (Pa) at geometric altitude (m)."""
    return _tm_and_p(altitude_m)[1]


def _density(tm: NDArray[np.float64], p: NDArray[np.float64]) -> NDArray[np.float64]:
    return p * M0_KGPMOL / (R_STAR_JPMOLK * tm)


def _sound_speed(tm: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.sqrt(GAMMA_AIR * R_STAR_JPMOLK * tm / M0_KGPMOL)


def density_kgpm3(altitude_m: ArrayLike) -> NDArray[np.float64]:
    """Air density (kg/m³) at geometric altitude (m)."""
    return _density(*_tm_and_p(altitude_m))


def speed_of_sound_mps(altitude_m: ArrayLike) -> NDArray[np.float64]:
    """Speed of sound (m/s) at geometric altitude (m)."""
    return _sound_speed(_tm_and_p(altitude_m)[0])


def density_and_speed_of_sound(
    altitude_m: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`density_kgpm3` and `speed_of_sound_mps` (the same numbers) from one table lookup."""
    tm, p = _tm_and_p(altitude_m)
    return _density(tm, p), _sound_speed(tm)


# --- Numba scalar versions -------------------------------------------------


@njit(cache=True)
def _layer_scalar(altitude_m: float) -> tuple[float, float, float]:
    """(molecular-scale temperature, pressure, the layer's lapse rate) at one altitude."""
    h = R0_M * altitude_m / (R0_M + altitude_m)
    i = 0
    n = _H_BASE_M.shape[0]
    while i + 1 < n and h >= _H_BASE_M[i + 1]:
        i += 1
    lapse = _LAPSE_KPM[i]
    t_b = _TM_BASE_K[i]
    dh = h - _H_BASE_M[i]
    tm = t_b + lapse * dh
    if lapse == 0.0:
        p = _P_BASE_PA[i] * math.exp(-_GMR * dh / t_b)
    else:
        p = _P_BASE_PA[i] * (t_b / tm) ** (_GMR / lapse)
    return tm, p, lapse


@njit(cache=True)
def _tm_and_p_scalar(altitude_m: float) -> tuple[float, float]:
    tm, p, _ = _layer_scalar(altitude_m)
    return tm, p


@njit(cache=True)
def _rho_and_sound(tm: float, p: float) -> tuple[float, float]:
    return (
        p * M0_KGPMOL / (R_STAR_JPMOLK * tm),
        math.sqrt(GAMMA_AIR * R_STAR_JPMOLK * tm / M0_KGPMOL),
    )


@njit(cache=True)
def temperature_k_scalar(altitude_m: float) -> float:
    """Kinetic temperature (K) at one geometric altitude (m); Numba-compiled."""
    tm, _ = _tm_and_p_scalar(altitude_m)
    return tm * np.interp(altitude_m, _MRATIO_Z_M, _MRATIO)


@njit(cache=True)
def pressure_pa_scalar(altitude_m: float) -> float:
    """Pressure (Pa) at one geometric altitude (m); Numba-compiled."""
    return _tm_and_p_scalar(altitude_m)[1]


@njit(cache=True)
def density_kgpm3_scalar(altitude_m: float) -> float:
    """Air density (kg/m³) at one geometric altitude (m); Numba-compiled."""
    tm, p = _tm_and_p_scalar(altitude_m)
    return p * M0_KGPMOL / (R_STAR_JPMOLK * tm)


@njit(cache=True)
def speed_of_sound_mps_scalar(altitude_m: float) -> float:
    """Speed of sound (m/s) at one geometric altitude (m); Numba-compiled."""
    tm, _ = _tm_and_p_scalar(altitude_m)
    return math.sqrt(GAMMA_AIR * R_STAR_JPMOLK * tm / M0_KGPMOL)


@njit(cache=True)
def density_and_speed_of_sound_scalar(altitude_m: float) -> tuple[float, float]:
    """(density kg/m³, speed of sound m/s) at one geometric altitude (m); Numba-compiled."""
    tm, p = _tm_and_p_scalar(altitude_m)
    return _rho_and_sound(tm, p)


@njit(cache=True)
def density_and_speed_of_sound_slopes_scalar(altitude_m: float) -> tuple[float, float, float, float]:
    """(density, speed of sound, and their derivatives in geometric altitude: kg/m⁴, 1/s)
    at one altitude (m); Numba-compiled. Within a layer the hydrostatic equation gives
    dp/dH = −(g₀M/R*)·p/T and the lapse rate dT/dH, with dH/dz = (r₀/(r₀ + z))²."""
    tm, p, lapse = _layer_scalar(altitude_m)
    dh_dz = (R0_M / (R0_M + altitude_m)) ** 2
    rho, snd = _rho_and_sound(tm, p)
    return rho, snd, -rho * (_GMR + lapse) / tm * dh_dz, 0.5 * snd * lapse / tm * dh_dz


__all__ = [
    "G0_MPS2",
    "GAMMA_AIR",
    "M0_KGPMOL",
    "P0_PA",
    "R0_M",
    "R_STAR_JPMOLK",
    "T0_K",
    "density_and_speed_of_sound_scalar",
    "density_and_speed_of_sound_slopes_scalar",
    "density_kgpm3",
    "density_kgpm3_scalar",
    "geopotential_altitude_m",
    "pressure_pa",
    "pressure_pa_scalar",
    "speed_of_sound_mps",
    "speed_of_sound_mps_scalar",
    "temperature_k",
    "temperature_k_scalar",
]
