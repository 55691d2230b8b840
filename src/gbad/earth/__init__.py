"""The Earth: WGS-84 frames, the effective-earth (4/3) refraction model, ground and terrain.

- :mod:`gbad.earth.wgs84`: geodetic / ECEF / ENU / AER transforms and the
  scenario-file local frame (``local2geodetic``, ``geodetic2local``);
- :mod:`gbad.earth.refraction`: effective-earth radius, radar horizon, and the
  height / slant range / ground range / elevation relations over it;
- :mod:`gbad.earth.terrain`: ``FlatGround``, DEM ``Terrain`` and vectorised
  ``line_of_sight``;
- :mod:`gbad.earth.atmosphere`: the US Standard Atmosphere 1976.
"""

from gbad.earth.atmosphere import (
    density_kgpm3,
    geopotential_altitude_m,
    pressure_pa,
    speed_of_sound_mps,
    temperature_k,
)
from gbad.earth.refraction import (
    EARTH_MEAN_RADIUS_M,
    EFFECTIVE_EARTH_RADIUS_M,
    STANDARD_REFRACTIVITY_GRADIENT_PER_M,
    effective_earth_radius_from_k_m,
    effective_earth_radius_m,
    elevation_from_ground_range_deg,
    elevation_from_slant_range_deg,
    ground_range_m,
    k_factor,
    radar_horizon_ground_range_m,
    radar_horizon_range_m,
    slant_range_m,
    target_height_m,
)
from gbad.earth.terrain import FlatGround, Ground, Terrain, TerrainError, line_of_sight
from gbad.earth.wgs84 import (
    GM_M3PS2,
    J2,
    OMEGA_EARTH_RADPS,
    WGS84_A_M,
    WGS84_B_M,
    WGS84_E2,
    WGS84_EP2,
    WGS84_F,
    aer2ecef,
    aer2enu,
    ecef2aer,
    ecef2enu,
    ecef2geodetic,
    ecef_vectors2enu,
    enu2aer,
    enu2ecef,
    enu2geodetic,
    enu_rotation,
    geodetic2ecef,
    geodetic2enu,
    geodetic2local,
    local2geodetic,
)

# Keep __all__ sorted (ruff RUF022).

__all__ = [
    "EARTH_MEAN_RADIUS_M",
    "EFFECTIVE_EARTH_RADIUS_M",
    "GM_M3PS2",
    "J2",
    "OMEGA_EARTH_RADPS",
    "STANDARD_REFRACTIVITY_GRADIENT_PER_M",
    "WGS84_A_M",
    "WGS84_B_M",
    "WGS84_E2",
    "WGS84_EP2",
    "WGS84_F",
    "FlatGround",
    "Ground",
    "Terrain",
    "TerrainError",
    "aer2ecef",
    "aer2enu",
    "density_kgpm3",
    "ecef2aer",
    "ecef2enu",
    "ecef2geodetic",
    "ecef_vectors2enu",
    "effective_earth_radius_from_k_m",
    "effective_earth_radius_m",
    "elevation_from_ground_range_deg",
    "elevation_from_slant_range_deg",
    "enu2aer",
    "enu2ecef",
    "enu2geodetic",
    "enu_rotation",
    "geodetic2ecef",
    "geodetic2enu",
    "geodetic2local",
    "geopotential_altitude_m",
    "ground_range_m",
    "k_factor",
    "line_of_sight",
    "local2geodetic",
    "pressure_pa",
    "radar_horizon_ground_range_m",
    "radar_horizon_range_m",
    "slant_range_m",
    "speed_of_sound_mps",
    "target_height_m",
    "temperature_k",
]
