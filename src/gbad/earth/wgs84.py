"""WGS-84 frames: geodetic, ECEF, local ENU and AER, vectorised.

Conventions (as in docs/design.md):
- geodetic: latitude/longitude in degrees, height above the ellipsoid in metres;
- ECEF: Earth-centred, Earth-fixed Cartesian, metres;
- ENU: east/north/up on the tangent plane of a reference point, metres;
- AER: azimuth clockwise from true north in [0, 360) degrees, elevation above
  the local horizontal in degrees, slant range in metres.

Every function broadcasts over its array arguments and returns new arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_EP2 = WGS84_E2 / (1.0 - WGS84_E2)
#: Earth rotation rate (WGS-84), rad/s.
OMEGA_EARTH_RADPS = 7.292115e-5
#: WGS-84 gravitational constant GM, m^3/s^2.
GM_M3PS2 = 3.986004418e14
#: Second zonal harmonic (EGM-96 / WGS-84 J2).
J2 = 1.08262982e-3

Array = NDArray[np.float64]


def geodetic2ecef(
    lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike
) -> tuple[Array, Array, Array]:
    """Geodetic (deg, deg, m above the ellipsoid) to ECEF metres."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    alt = np.asarray(alt_m, dtype=float)
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    x = (n + alt) * cos_lat * np.cos(lon)
    y = (n + alt) * cos_lat * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + alt) * sin_lat
    return x, y, z


def ecef2geodetic(x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike) -> tuple[Array, Array, Array]:
    """ECEF metres to geodetic (deg, deg, m above the ellipsoid).

    Bowring's parametric-latitude iteration (three passes): round trips with
    :func:`geodetic2ecef` to a few nanometres from -12 km to 1000 km height.
    At the poles the longitude is arbitrary and comes out as ``atan2(y, x)``.
    """
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    z = np.asarray(z_m, dtype=float)
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    # Bowring's initial parametric latitude.
    beta = np.arctan2(z * WGS84_A_M, p * WGS84_B_M)
    for _ in range(3):
        lat = np.arctan2(
            z + WGS84_EP2 * WGS84_B_M * np.sin(beta) ** 3,
            p - WGS84_E2 * WGS84_A_M * np.cos(beta) ** 3,
        )
        beta = np.arctan2((1.0 - WGS84_F) * np.sin(lat), np.cos(lat))
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    # Height along the normal; this form stays accurate at all latitudes.
    alt = p * cos_lat + z * sin_lat - WGS84_A_M**2 / n
    return np.degrees(lat), np.degrees(lon), alt


def enu_rotation(lat0_deg: float, lon0_deg: float) -> Array:
    """3x3 matrix whose rows are the east, north and up unit vectors in ECEF."""
    lat = np.radians(lat0_deg)
    lon = np.radians(lon0_deg)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    return np.array(
        [
            [-so, co, 0.0],
            [-sl * co, -sl * so, cl],
            [cl * co, cl * so, sl],
        ]
    )


def ecef2enu(
    x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float
) -> tuple[Array, Array, Array]:
    """ECEF point(s) to ENU about the geodetic reference point."""
    x0, y0, z0 = geodetic2ecef(lat0_deg, lon0_deg, alt0_m)
    r = enu_rotation(lat0_deg, lon0_deg)
    dx = np.asarray(x_m, dtype=float) - x0
    dy = np.asarray(y_m, dtype=float) - y0
    dz = np.asarray(z_m, dtype=float) - z0
    e = r[0, 0] * dx + r[0, 1] * dy + r[0, 2] * dz
    n = r[1, 0] * dx + r[1, 1] * dy + r[1, 2] * dz
    u = r[2, 0] * dx + r[2, 1] * dy + r[2, 2] * dz
    return e, n, u


def enu2ecef(
    e_m: ArrayLike, n_m: ArrayLike, u_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float
) -> tuple[Array, Array, Array]:
    """ENU about the geodetic reference point to ECEF."""
    x0, y0, z0 = geodetic2ecef(lat0_deg, lon0_deg, alt0_m)
    r = enu_rotation(lat0_deg, lon0_deg)
    e = np.asarray(e_m, dtype=float)
    n = np.asarray(n_m, dtype=float)
    u = np.asarray(u_m, dtype=float)
    x = x0 + r[0, 0] * e + r[1, 0] * n + r[2, 0] * u
    y = y0 + r[0, 1] * e + r[1, 1] * n + r[2, 1] * u
    z = z0 + r[0, 2] * e + r[1, 2] * n + r[2, 2] * u
    return x, y, z


def enu2aer(e_m: ArrayLike, n_m: ArrayLike, u_m: ArrayLike) -> tuple[Array, Array, Array]:
    """ENU to azimuth (deg, [0, 360) clockwise from north), elevation (deg), slant range (m)."""
    e = np.asarray(e_m, dtype=float)
    n = np.asarray(n_m, dtype=float)
    u = np.asarray(u_m, dtype=float)
    horiz = np.hypot(e, n)
    az = np.degrees(np.arctan2(e, n)) % 360.0
    # A tiny negative angle (e = -1e-20, n > 0) rounds to exactly 360.0 under
    # the modulo; fold it back so the range really is [0, 360).
    az = az - 360.0 * (az >= 360.0)
    el = np.degrees(np.arctan2(u, horiz))
    return az, el, np.sqrt(horiz**2 + u**2)


def aer2enu(az_deg: ArrayLike, el_deg: ArrayLike, range_m: ArrayLike) -> tuple[Array, Array, Array]:
    """Azimuth/elevation (deg)/slant range (m) to ENU metres."""
    az = np.radians(np.asarray(az_deg, dtype=float))
    el = np.radians(np.asarray(el_deg, dtype=float))
    r = np.asarray(range_m, dtype=float)
    horiz = r * np.cos(el)
    return horiz * np.sin(az), horiz * np.cos(az), r * np.sin(el)


def geodetic2enu(
    lat_deg: ArrayLike,
    lon_deg: ArrayLike,
    alt_m: ArrayLike,
    lat0_deg: float,
    lon0_deg: float,
    alt0_m: float,
) -> tuple[Array, Array, Array]:
    """Geodetic point(s) to ENU metres about the geodetic reference point."""
    return ecef2enu(*geodetic2ecef(lat_deg, lon_deg, alt_m), lat0_deg, lon0_deg, alt0_m)


def enu2geodetic(
    e_m: ArrayLike, n_m: ArrayLike, u_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float
) -> tuple[Array, Array, Array]:
    """ENU metres about the geodetic reference point to geodetic (deg, deg, m)."""
    return ecef2geodetic(*enu2ecef(e_m, n_m, u_m, lat0_deg, lon0_deg, alt0_m))


def ecef2aer(
    x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike, lat0_deg: float, lon0_deg: float, alt0_m: float
) -> tuple[Array, Array, Array]:
    """ECEF target(s) to AER seen from an observer at a geodetic point."""
    return enu2aer(*ecef2enu(x_m, y_m, z_m, lat0_deg, lon0_deg, alt0_m))


def aer2ecef(
    az_deg: ArrayLike,
    el_deg: ArrayLike,
    range_m: ArrayLike,
    lat0_deg: float,
    lon0_deg: float,
    alt0_m: float,
) -> tuple[Array, Array, Array]:
    """AER seen from an observer at a geodetic point to ECEF metres."""
    return enu2ecef(*aer2enu(az_deg, el_deg, range_m), lat0_deg, lon0_deg, alt0_m)


def ecef_vectors2enu(
    vx: ArrayLike, vy: ArrayLike, vz: ArrayLike, lat0_deg: float, lon0_deg: float
) -> tuple[Array, Array, Array]:
    """Rotate ECEF vectors (velocities, no translation) into ENU axes."""
    r = enu_rotation(lat0_deg, lon0_deg)
    parts = (np.asarray(vx, float), np.asarray(vy, float), np.asarray(vz, float))
    v = np.stack(np.broadcast_arrays(*parts), axis=-1)
    out = v @ r.T
    return out[..., 0], out[..., 1], out[..., 2]


def local2geodetic(
    east_m: ArrayLike,
    north_m: ArrayLike,
    up_m: ArrayLike,
    lat0_deg: float,
    lon0_deg: float,
    alt0_m: float,
) -> tuple[Array, Array, Array]:
    """A scenario-file local position to geodetic.

    docs/design.md's convention: east/north place the point on the origin's tangent
    plane; `up_m` is height above the origin's altitude at that point, along
    the local vertical. So constant `up_m` is level flight and `up_m = 0` is the
    ground of a scenario without a DEM (the ellipsoid raised to the origin's
    altitude).
    """
    # Broadcast so a scalar up_m with array east/north gives an array altitude.
    e, n, u = np.broadcast_arrays(
        np.asarray(east_m, dtype=float),
        np.asarray(north_m, dtype=float),
        np.asarray(up_m, dtype=float),
    )
    lat, lon, _ = enu2geodetic(e, n, np.zeros_like(e), lat0_deg, lon0_deg, alt0_m)
    return lat, lon, alt0_m + u


def geodetic2local(
    lat_deg: ArrayLike,
    lon_deg: ArrayLike,
    alt_m: ArrayLike,
    lat0_deg: float,
    lon0_deg: float,
    alt0_m: float,
) -> tuple[Array, Array, Array]:
    """Inverse of :func:`local2geodetic`: the point's foot on the tangent plane, and its height."""
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    alt = np.asarray(alt_m, dtype=float)
    # Find the tangent-plane point whose footprint is (lat, lon): compare the
    # footprint of the current guess with the target at the same altitude, in
    # the origin's ENU axes, and step by the difference. The mapping is within
    # ~d²/R² of identity, so a few passes reach sub-millimetre.
    ref = np.full_like(alt, alt0_m)
    te, tn, _ = geodetic2enu(lat, lon, ref, lat0_deg, lon0_deg, alt0_m)
    e, n = te, tn
    for _ in range(4):
        lat_i, lon_i, _ = enu2geodetic(e, n, np.zeros_like(e), lat0_deg, lon0_deg, alt0_m)
        fe, fn, _ = geodetic2enu(lat_i, lon_i, ref, lat0_deg, lon0_deg, alt0_m)
        e = e + (te - fe)
        n = n + (tn - fn)
    return e, n, alt - alt0_m
