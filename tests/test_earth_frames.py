"""WGS-84 frames against outside authorities (pyproj/PROJ and pymap3d).

Authorities: PROJ's geodetic <-> geocentric conversion (EPSG:4979 -> EPSG:4978)
through pyproj, and pymap3d's ENU/AER functions on the WGS-84 ellipsoid.
Round trips and conventions are checked as properties with hypothesis.
"""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from gbad.earth import wgs84

MM = 1e-3
# A metre on the ground is ~9e-6 deg; 1e-9 deg is ~0.1 mm.
ANGLE_TOL_DEG = 1e-9

_TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
_TO_GEODETIC = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)


def _random_geodetic(
    n: int, seed: int, alt_min_m: float = -12e3, alt_max_m: float = 1e6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uniform on the sphere, plus poles, the antimeridian and the height extremes."""
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    alt = rng.uniform(alt_min_m, alt_max_m, n)
    special_lat = np.array([90.0, -90.0, 90.0, -90.0, 0.0, 0.0, 45.0, -45.0, 89.9999, 0.0])
    special_lon = np.array([0.0, 0.0, 123.0, -77.0, 180.0, -180.0, 180.0, -179.9999, 180.0, 0.0])
    special_alt = np.array(
        [alt_max_m, alt_min_m, 0.0, 0.0, alt_max_m, alt_min_m, 0.0, 0.0, 1e3, 0.0]
    )
    return (
        np.concatenate([lat, special_lat]),
        np.concatenate([lon, special_lon]),
        np.concatenate([alt, special_alt]),
    )


def _horizontal_error_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Ground distance between two nearby points (m), robust at the poles and the antimeridian."""
    dlat = np.radians(lat1 - lat2)
    dlon = np.radians((lon1 - lon2 + 180.0) % 360.0 - 180.0)
    return 6.4e6 * np.hypot(dlat, dlon * np.cos(np.radians(lat2)))


def test_geodetic2ecef_matches_pyproj() -> None:
    # Authority: PROJ (pyproj) EPSG:4979 -> EPSG:4978, tolerance 1 mm.
    # Measured worst difference: ~2e-9 m.
    lat, lon, alt = _random_geodetic(20000, seed=1)
    ref = np.array(_TO_ECEF.transform(lon, lat, alt))
    ours = np.array(wgs84.geodetic2ecef(lat, lon, alt))
    assert np.max(np.linalg.norm(ours - ref, axis=0)) < MM


def test_ecef2geodetic_recovers_pyproj_inputs_to_1000km() -> None:
    # ECEF points made by PROJ's forward map from known geodetic coordinates;
    # our inverse must give those coordinates back to 1 mm, from -12 km to
    # 1000 km. (PROJ's own inverse is not used as the authority up here: it
    # drifts to ~8 mm at 1000 km, measured with pyproj 3.7 / PROJ 9.5.)
    # Measured worst error: ~4e-9 m in height, ~3e-9 m horizontally.
    lat, lon, alt = _random_geodetic(20000, seed=2)
    x, y, z = _TO_ECEF.transform(lon, lat, alt)
    lat2, lon2, alt2 = wgs84.ecef2geodetic(x, y, z)
    assert np.max(np.abs(alt2 - alt)) < MM
    assert np.max(_horizontal_error_m(lat2, lon2, lat, lon)) < MM
    assert np.all((lon2 >= -180.0) & (lon2 <= 180.0))


def test_ecef2geodetic_matches_pyproj_inverse_below_100km() -> None:
    # Authority: PROJ's inverse (EPSG:4978 -> EPSG:4979), where it is itself good to
    # ~0.3 mm (up to 100 km). Tolerance 1 mm. Measured worst: ~0.1 mm, PROJ's share.
    lat, lon, alt = _random_geodetic(20000, seed=3, alt_max_m=100e3)
    x, y, z = wgs84.geodetic2ecef(lat, lon, alt)
    lon_p, lat_p, alt_p = _TO_GEODETIC.transform(x, y, z)
    lat2, lon2, alt2 = wgs84.ecef2geodetic(x, y, z)
    assert np.max(np.abs(alt2 - alt_p)) < MM
    assert np.max(_horizontal_error_m(lat2, lon2, lat_p, lon_p)) < MM


def _local_cases(n: int, seed: int):
    """Origins anywhere, targets within ~300 km and up to 100 km up (or 10 km down)."""
    rng = np.random.default_rng(seed)
    lat0 = np.degrees(np.arcsin(rng.uniform(-0.999, 0.999, n)))
    lon0 = rng.uniform(-180.0, 180.0, n)
    alt0 = rng.uniform(-400.0, 3000.0, n)
    lat = np.clip(lat0 + rng.uniform(-2.5, 2.5, n), -89.9, 89.9)
    lon = lon0 + rng.uniform(-2.5, 2.5, n)
    lon = (lon + 180.0) % 360.0 - 180.0
    alt = rng.uniform(-10e3, 100e3, n)
    return lat0, lon0, alt0, lat, lon, alt


def test_enu_and_aer_match_pymap3d() -> None:
    # Authority: pymap3d 3.x (WGS-84). Tolerances: 1 mm for positions, 1e-9 deg
    # for angles. Measured worst: ~3e-9 m, ~1e-11 deg.
    worst_m = 0.0
    worst_deg = 0.0
    for lat0, lon0, alt0, lat, lon, alt in zip(*_local_cases(200, seed=4), strict=True):
        e, n, u = wgs84.geodetic2enu(lat, lon, alt, lat0, lon0, alt0)
        e_r, n_r, u_r = pymap3d.geodetic2enu(lat, lon, alt, lat0, lon0, alt0)
        worst_m = max(worst_m, np.hypot(np.hypot(e - e_r, n - n_r), u - u_r))

        x, y, z = wgs84.geodetic2ecef(lat, lon, alt)
        az, el, rng_m = wgs84.ecef2aer(x, y, z, lat0, lon0, alt0)
        az_r, el_r, rng_r = pymap3d.ecef2aer(x, y, z, lat0, lon0, alt0)
        worst_deg = max(worst_deg, abs((az - az_r + 180.0) % 360.0 - 180.0), abs(el - el_r))
        worst_m = max(worst_m, abs(rng_m - rng_r))

        x2, y2, z2 = wgs84.aer2ecef(az_r, el_r, rng_r, lat0, lon0, alt0)
        x2_r, y2_r, z2_r = pymap3d.aer2ecef(az_r, el_r, rng_r, lat0, lon0, alt0)
        worst_m = max(worst_m, np.hypot(np.hypot(x2 - x2_r, y2 - y2_r), z2 - z2_r))

        lat3, lon3, alt3 = wgs84.enu2geodetic(e_r, n_r, u_r, lat0, lon0, alt0)
        lat3_r, lon3_r, alt3_r = pymap3d.enu2geodetic(e_r, n_r, u_r, lat0, lon0, alt0)
        worst_deg = max(worst_deg, abs(lat3 - lat3_r), abs((lon3 - lon3_r + 180) % 360 - 180))
        worst_m = max(worst_m, abs(alt3 - alt3_r))
    assert worst_m < MM
    assert worst_deg < ANGLE_TOL_DEG


def test_enu_aer_vectorised_match_pymap3d() -> None:
    # Authority: pymap3d enu2aer / aer2enu / ecef2enu / enu2ecef / ecef2enuv on arrays.
    rng = np.random.default_rng(5)
    e, n, u = rng.uniform(-5e5, 5e5, (3, 5000))
    az, el, r = wgs84.enu2aer(e, n, u)
    az_r, el_r, r_r = pymap3d.enu2aer(e, n, u)
    assert np.max(np.abs((az - az_r + 180.0) % 360.0 - 180.0)) < ANGLE_TOL_DEG
    assert np.max(np.abs(el - el_r)) < ANGLE_TOL_DEG
    assert np.max(np.abs(r - r_r)) < MM
    e2, n2, u2 = wgs84.aer2enu(az_r, el_r, r_r)
    e2_r, n2_r, u2_r = pymap3d.aer2enu(az_r, el_r, r_r)
    assert np.max(np.abs(np.array([e2 - e2_r, n2 - n2_r, u2 - u2_r]))) < MM

    lat0, lon0, alt0 = 37.1, 127.05, 40.0
    x, y, z = wgs84.enu2ecef(e, n, u, lat0, lon0, alt0)
    x_r, y_r, z_r = pymap3d.enu2ecef(e, n, u, lat0, lon0, alt0)
    assert np.max(np.abs(np.array([x - x_r, y - y_r, z - z_r]))) < MM
    e3, n3, u3 = wgs84.ecef2enu(x_r, y_r, z_r, lat0, lon0, alt0)
    e3_r, n3_r, u3_r = pymap3d.ecef2enu(x_r, y_r, z_r, lat0, lon0, alt0)
    assert np.max(np.abs(np.array([e3 - e3_r, n3 - n3_r, u3 - u3_r]))) < MM

    # Velocities rotate without translation (pymap3d.ecef2enuv); 1e-9 m/s.
    ve, vn, vu = wgs84.ecef_vectors2enu(x, y, z, lat0, lon0)
    ve_r, vn_r, vu_r = pymap3d.ecef2enuv(x, y, z, lat0, lon0)
    assert np.max(np.abs(np.array([ve - ve_r, vn - vn_r, vu - vu_r]))) < MM


@pytest.mark.parametrize(
    ("e", "n", "az_expected"),
    [(0.0, 1000.0, 0.0), (1000.0, 0.0, 90.0), (0.0, -1000.0, 180.0), (-1000.0, 0.0, 270.0)],
)
def test_azimuth_is_clockwise_from_north(e: float, n: float, az_expected: float) -> None:
    # docs/design.md: azimuth clockwise from true north, so due east is 90 deg.
    az, el, rng_m = wgs84.enu2aer(e, n, 0.0)
    assert az == pytest.approx(az_expected, abs=1e-12)
    assert el == pytest.approx(0.0, abs=1e-12)
    assert rng_m == pytest.approx(1000.0, abs=1e-9)


def test_point_due_east_on_the_ellipsoid_is_azimuth_90() -> None:
    # A point 0.01 deg east at the same latitude lies ~90 deg (great-circle
    # convergence tilts it by ~0.003 deg) and slightly below the horizontal.
    x, y, z = wgs84.geodetic2ecef(37.0, 127.01, 0.0)
    az, el, _ = wgs84.ecef2aer(x, y, z, 37.0, 127.0, 0.0)
    az_r, el_r, _ = pymap3d.ecef2aer(x, y, z, 37.0, 127.0, 0.0)
    assert az == pytest.approx(90.0, abs=0.01)
    assert az == pytest.approx(az_r, abs=ANGLE_TOL_DEG)
    assert el == pytest.approx(el_r, abs=ANGLE_TOL_DEG)
    assert el < 0.0


def test_azimuth_range_is_half_open() -> None:
    # A vanishing westward component must give 0, never 360 (the modulo of a
    # tiny negative angle rounds to 360.0 in floating point).
    e = np.array([-1e-20, -1e-300, -0.0, 0.0, -1.0, 1e-20])
    az, _, _ = wgs84.enu2aer(e, np.ones_like(e), np.zeros_like(e))
    assert np.all((az >= 0.0) & (az < 360.0))
    rng = np.random.default_rng(6)
    az, _, _ = wgs84.enu2aer(*rng.normal(size=(3, 100000)))
    assert np.all((az >= 0.0) & (az < 360.0))


lats = st.floats(-90.0, 90.0)
lons = st.floats(-180.0, 180.0)


@settings(max_examples=300, deadline=None)
@given(lat=lats, lon=lons, alt=st.floats(-12e3, 1e6))
def test_geodetic_ecef_round_trip(lat: float, lon: float, alt: float) -> None:
    # Property: ecef2geodetic inverts geodetic2ecef to 1 mm (poles included,
    # where the longitude is arbitrary and the horizontal error is what counts).
    lat2, lon2, alt2 = wgs84.ecef2geodetic(*wgs84.geodetic2ecef(lat, lon, alt))
    assert abs(alt2 - alt) < MM
    assert _horizontal_error_m(lat2, lon2, lat, lon) < MM


@settings(max_examples=300, deadline=None)
@given(
    e=st.floats(-1e6, 1e6),
    n=st.floats(-1e6, 1e6),
    u=st.floats(-1e6, 1e6),
)
def test_enu_aer_round_trip(e: float, n: float, u: float) -> None:
    # Property: aer2enu inverts enu2aer to 1 mm, with az in [0, 360).
    az, el, r = wgs84.enu2aer(e, n, u)
    assert 0.0 <= az < 360.0
    assert -90.0 <= el <= 90.0
    e2, n2, u2 = wgs84.aer2enu(az, el, r)
    assert max(abs(e2 - e), abs(n2 - n), abs(u2 - u)) < MM


@settings(max_examples=200, deadline=None)
@given(
    lat0=st.floats(-85.0, 85.0),
    lon0=lons,
    alt0=st.floats(-400.0, 4000.0),
    dist=st.floats(0.0, 300e3),
    bearing=st.floats(0.0, 360.0),
    up=st.floats(-1e3, 100e3),
)
def test_local_geodetic_round_trip(
    lat0: float, lon0: float, alt0: float, dist: float, bearing: float, up: float
) -> None:
    # Property: geodetic2local inverts local2geodetic to 1 mm up to 300 km out.
    b = np.radians(bearing)
    east, north = dist * np.sin(b), dist * np.cos(b)
    lat, lon, alt = wgs84.local2geodetic(east, north, up, lat0, lon0, alt0)
    e2, n2, u2 = wgs84.geodetic2local(lat, lon, alt, lat0, lon0, alt0)
    assert max(abs(e2 - east), abs(n2 - north), abs(u2 - up)) < MM
    # and the other way, starting from the geodetic point
    lat3, lon3, alt3 = wgs84.local2geodetic(e2, n2, u2, lat0, lon0, alt0)
    assert _horizontal_error_m(lat3, lon3, lat, lon) < MM
    assert abs(alt3 - alt) < MM


@settings(max_examples=100, deadline=None)
@given(
    lat0=st.floats(-85.0, 85.0),
    lon0=lons,
    alt0=st.floats(-400.0, 4000.0),
    up=st.floats(-1e3, 30e3),
    seed=st.integers(0, 2**32 - 1),
)
def test_local2geodetic_constant_up_is_level(
    lat0: float, lon0: float, alt0: float, up: float, seed: int
) -> None:
    # docs/design.md: constant up_m is level flight, height alt0 + up_m everywhere,
    # even 300 km out where the tangent plane is ~7 km above the ground.
    rng = np.random.default_rng(seed)
    east, north = rng.uniform(-300e3, 300e3, (2, 50))
    _, _, alt = wgs84.local2geodetic(east, north, up, lat0, lon0, alt0)
    assert alt.shape == (50,)
    np.testing.assert_allclose(alt, alt0 + up, rtol=0.0, atol=1e-9)


def test_transforms_do_not_mutate_inputs() -> None:
    # docs/design.md: never mutate the caller's arrays.
    rng = np.random.default_rng(7)
    lat = rng.uniform(-80, 80, 100)
    lon = rng.uniform(-180, 180, 100)
    alt = rng.uniform(0, 1e4, 100)
    copies = [a.copy() for a in (lat, lon, alt)]
    x, y, z = wgs84.geodetic2ecef(lat, lon, alt)
    wgs84.ecef2geodetic(x, y, z)
    wgs84.geodetic2local(lat, lon, alt, 37.0, 127.0, 40.0)
    wgs84.local2geodetic(lat, lon, alt, 37.0, 127.0, 40.0)
    for a, c in zip((lat, lon, alt), copies, strict=True):
        np.testing.assert_array_equal(a, c)
