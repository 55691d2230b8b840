"""Ground models and line of sight.

Authorities:
- GDAL (through rasterio) for what the GeoTIFF holds at its nodes;
- bilinear interpolation reproduces any a + b x + c y + d x y exactly;
- the effective-earth horizon in closed form, R' = R_eff + ground height:
  theta = acos(R' / (R' + h_a)) + acos(R' / (R' + h_t)), ground distance R_eff theta;
- the geodesic between test points from pyproj.Geod (Karney's algorithm);
- a hand computation of a ray grazing a ridge crest (see the test).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Geod
from rasterio.transform import Affine

from gbad.earth import EFFECTIVE_EARTH_RADIUS_M, FlatGround, Terrain, TerrainError, line_of_sight

R_EFF = EFFECTIVE_EARTH_RADIUS_M
GEOD = Geod(ellps="WGS84")

# Synthetic DEM: 0.001 deg nodes (~89 m east-west, ~111 m north-south at 37 N).
STEP_DEG = 0.001
WEST_DEG = 127.0
NORTH_DEG = 37.02
N_ROWS = 40  # lat 37.02 .. 36.98 (edges)
N_COLS = 101  # lon 127.0 .. 127.101 (edges)
# Node centres
LAT_NODES = NORTH_DEG - STEP_DEG * (np.arange(N_ROWS) + 0.5)
LON_NODES = WEST_DEG + STEP_DEG * (np.arange(N_COLS) + 0.5)
CREST_COL = 50
CREST_LON = float(LON_NODES[CREST_COL])
RIDGE_M = 300.0


def _north_up(west_deg: float, north_deg: float, step_x: float, step_y: float) -> Affine:
    # rasterio.transform.from_origin multiplies Affines with `*`, which affine 3.x
    # flags with a PendingDeprecationWarning (an error under our pytest settings).
    return Affine(step_x, 0.0, west_deg, 0.0, -step_y, north_deg)


def _write_tif(path: Path, heights: np.ndarray, **kwargs) -> Path:
    profile = {
        "driver": "GTiff",
        "height": heights.shape[0],
        "width": heights.shape[1],
        "count": 1,
        "dtype": heights.dtype.name,
        "crs": "EPSG:4326",
        "transform": _north_up(WEST_DEG, NORTH_DEG, STEP_DEG, STEP_DEG),
    }
    units = kwargs.pop("units", None)
    profile.update(kwargs)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(heights, 1)
        if units is not None:
            dst.units = (units,)
    return path


def _ridge_heights() -> np.ndarray:
    """A north-south ridge: a crest column, half height on either side, flat 0 elsewhere."""
    h = np.zeros((N_ROWS, N_COLS), dtype=np.float32)
    h[:, CREST_COL] = RIDGE_M
    h[:, CREST_COL - 1] = RIDGE_M / 2
    h[:, CREST_COL + 1] = RIDGE_M / 2
    return h


@pytest.fixture
def ridge_tif(tmp_path: Path) -> Path:
    return _write_tif(tmp_path / "ridge.tif", _ridge_heights())


# --- FlatGround -------------------------------------------------------------------


def test_flat_ground_height_broadcasts() -> None:
    # docs/design.md: without a DEM the ground is the ellipsoid raised to the origin's altitude.
    ground = FlatGround(40.0)
    h = ground.height_m(np.zeros((2, 3)), 127.0)
    assert h.shape == (2, 3)
    assert np.all(h == 40.0)
    with pytest.raises(ValueError, match="finite"):
        FlatGround(float("nan"))


def _horizon_ground_distance_m(h_a: float, h_t: float, ground_m: float) -> float:
    # Closed form in the effective-earth geometry: heights are from the sphere of
    # radius R_eff, the flat ground is the sphere R' = R_eff + ground_m, and a
    # ground distance d is the central angle d / R_eff.
    rg = R_EFF + ground_m
    theta = math.acos(rg / (R_EFF + h_a)) + math.acos(rg / (R_EFF + h_t))
    return R_EFF * theta


@pytest.mark.parametrize(
    ("lat0", "lon0", "ground_m", "h_a", "h_t"),
    [
        (37.0, 127.0, 0.0, 10.0, 500.0),
        (37.1, 127.05, 40.0, 46.0, 3040.0),
        (-60.0, 179.9, 250.0, 280.0, 10250.0),  # path crosses the antimeridian
        (80.0, 0.0, 0.0, 100.0, 100.0),
    ],
)
def test_flat_ground_los_matches_horizon(
    lat0: float, lon0: float, ground_m: float, h_a: float, h_t: float
) -> None:
    # Targets just inside / outside the closed-form horizon distance, placed on
    # geodesics with pyproj.Geod at several bearings. Margin 0.1 m: our ground
    # distance (ellipsoid chord -> arc on Euler's radius) is within 1 mm of the
    # geodesic up to 500 km (measured 0.8 mm), and the flip from visible to
    # hidden was measured within 0.3 mm of the closed-form distance.
    d_h = _horizon_ground_distance_m(h_a, h_t, ground_m)
    offsets = np.array([-50.0, -0.1, 0.1, 50.0])
    bearings = np.array([0.0, 45.0, 90.0, 135.0, 200.0, 290.0])
    dist = (d_h + offsets)[None, :] + 0.0 * bearings[:, None]
    az = np.broadcast_to(bearings[:, None], dist.shape)
    lon, lat, _ = GEOD.fwd(np.full(dist.shape, lon0), np.full(dist.shape, lat0), az, dist)
    visible = line_of_sight(
        lat0, lon0, h_a, lat, lon, np.full(dist.shape, h_t), FlatGround(ground_m)
    )
    assert visible.shape == dist.shape
    expected = np.broadcast_to(offsets < 0.0, dist.shape)
    np.testing.assert_array_equal(visible, expected)


def test_flat_ground_los_edge_cases() -> None:
    ground = FlatGround(100.0)
    # Straight up and straight down from the observer: visible unless underground.
    lat = np.array([37.0, 37.0, 37.0])
    lon = np.array([127.0, 127.0, 127.0])
    alt = np.array([5000.0, 100.0, 99.0])
    np.testing.assert_array_equal(
        line_of_sight(37.0, 127.0, 110.0, lat, lon, alt, ground), [True, True, False]
    )
    # A target on the ground next to the observer is seen; one below the ground is not.
    lat2, lon2 = 37.0, 127.001
    assert line_of_sight(37.0, 127.0, 110.0, lat2, lon2, 100.0, ground)
    assert not line_of_sight(37.0, 127.0, 110.0, lat2, lon2, 99.9, ground)
    # An observer below the ground is a scenario error, not "nothing is visible".
    with pytest.raises(ValueError, match="below the ground"):
        line_of_sight(37.0, 127.0, 50.0, lat, lon, alt, ground)
    with pytest.raises(ValueError, match="n_samples"):
        line_of_sight(37.0, 127.0, 110.0, lat, lon, alt, ground, n_samples=-1)
    with pytest.raises(ValueError, match="target 1"):
        line_of_sight(37.0, 127.0, 110.0, [37.0, np.nan], [127.0, 127.0], 1e3, ground)


# --- Terrain from a GeoTIFF --------------------------------------------------------


def test_terrain_nodes_match_gdal(ridge_tif: Path) -> None:
    # Authority: GDAL's own reading of the file (rasterio's sample() at node centres).
    terrain = Terrain.from_geotiff(ridge_tif)
    lat, lon = np.meshgrid(LAT_NODES, LON_NODES, indexing="ij")
    ours = terrain.height_m(lat, lon)
    with rasterio.open(ridge_tif) as src:
        gdal = np.array([v[0] for v in src.sample(zip(lon.ravel(), lat.ravel(), strict=True))])
    # Node coordinates go through float arithmetic: 1e-6 m (measured 7e-10 m).
    np.testing.assert_allclose(ours.ravel(), gdal, rtol=0.0, atol=1e-6)
    assert terrain.shape == (N_ROWS, N_COLS)


def test_terrain_bilinear_between_nodes(ridge_tif: Path) -> None:
    # Hand values: halfway between crest (300) and shoulder (150) is 225; a
    # quarter of the way from the shoulder (150) to flat (0) is 112.5; the
    # north-south position does not matter on a north-south ridge.
    terrain = Terrain.from_geotiff(ridge_tif)
    lat = float(LAT_NODES[10] - 0.37 * STEP_DEG)
    lon = np.array([CREST_LON + 0.5 * STEP_DEG, CREST_LON - 1.25 * STEP_DEG])
    np.testing.assert_allclose(terrain.height_m(lat, lon), [225.0, 112.5], atol=1e-9)


def test_terrain_bilinear_reproduces_bilinear_function(tmp_path: Path) -> None:
    # Bilinear interpolation is exact for f = a + b x + c y + d x y (x, y the
    # column and row coordinates, linear in lon and lat). Tolerance 1e-6 m;
    # measured ~1e-10 m (float64 file).
    x = (LON_NODES - WEST_DEG) / STEP_DEG
    y = (NORTH_DEG - LAT_NODES) / STEP_DEG
    xx, yy = np.meshgrid(x, y)
    heights = 100.0 + 3.0 * xx - 7.0 * yy + 0.25 * xx * yy
    terrain = Terrain.from_geotiff(_write_tif(tmp_path / "bilin.tif", heights))
    rng = np.random.default_rng(8)
    lon = rng.uniform(LON_NODES[0], LON_NODES[-1], 2000)
    lat = rng.uniform(LAT_NODES[-1], LAT_NODES[0], 2000)
    xq = (lon - WEST_DEG) / STEP_DEG
    yq = (NORTH_DEG - lat) / STEP_DEG
    expected = 100.0 + 3.0 * xq - 7.0 * yq + 0.25 * xq * yq
    assert np.max(np.abs(terrain.height_m(lat, lon) - expected)) < 1e-6


def test_terrain_extent_is_an_error_unless_a_fill_height_is_given(ridge_tif: Path) -> None:
    terrain = Terrain.from_geotiff(ridge_tif)
    lat_min, lat_max, lon_min, lon_max = terrain.bounds_deg
    assert (lat_min, lat_max) == pytest.approx((NORTH_DEG - N_ROWS * STEP_DEG, NORTH_DEG))
    assert (lon_min, lon_max) == pytest.approx((WEST_DEG, WEST_DEG + N_COLS * STEP_DEG))
    # Within the outer half pixel (up to the file's bounds) the edge node holds.
    assert terrain.height_m(37.0, lon_min) == 0.0
    assert terrain.height_m(lat_max, CREST_LON) == RIDGE_M
    # Outside: an error naming the file, its bounds and the point.
    with pytest.raises(TerrainError, match=r"outside terrain '.*ridge\.tif'.*lat=37\.100000"):
        terrain.height_m(np.array([37.0, 37.1]), np.array([127.05, 127.05]))
    # ... or, when asked for, a fixed height there.
    filled = Terrain.from_geotiff(ridge_tif, no_data_height_m=-5.0)
    np.testing.assert_array_equal(
        filled.height_m(np.array([37.0, 37.1]), np.array([CREST_LON, CREST_LON])), [RIDGE_M, -5.0]
    )


def test_terrain_nodata_cells(tmp_path: Path) -> None:
    heights = _ridge_heights()
    heights[20, 20] = -9999.0
    path = _write_tif(tmp_path / "void.tif", heights, nodata=-9999.0)
    lat, lon = float(LAT_NODES[20]), float(LON_NODES[20])
    with pytest.raises(TerrainError, match="no-data cells"):
        Terrain.from_geotiff(path).height_m(lat, lon + 0.5 * STEP_DEG)
    # Nodes away from the void are unaffected, even the neighbour on its edge.
    assert Terrain.from_geotiff(path).height_m(lat, float(LON_NODES[21])) == 0.0
    filled = Terrain.from_geotiff(path, no_data_height_m=10.0)
    assert filled.height_m(lat, lon + 0.5 * STEP_DEG) == pytest.approx(5.0)


def test_terrain_offset_scale_and_antimeridian(tmp_path: Path) -> None:
    # A grid from 179.95 E to 180.05 E (GDAL accepts longitudes past 180):
    # querying -179.98 is 180.02. Heights = column index, so the expected value
    # is the fractional column (hand computation); plus a constant offset.
    heights = np.tile(np.arange(100, dtype=np.float64), (10, 1))
    path = tmp_path / "am.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=10,
        width=100,
        count=1,
        dtype="float64",
        crs="EPSG:4326",
        transform=_north_up(179.95, 10.0, 0.001, 0.001),
    ) as dst:
        dst.write(heights, 1)
    terrain = Terrain.from_geotiff(path, height_offset_m=25.0)
    # lon 180.02 -> column coordinate (180.02 - 179.95) / 0.001 - 0.5 = 69.5
    assert terrain.height_m(9.995, -179.98) == pytest.approx(69.5 + 25.0, abs=1e-6)
    assert terrain.height_m(9.995, 179.98) == pytest.approx(29.5 + 25.0, abs=1e-6)


def test_bad_files_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.tif"
    with pytest.raises(TerrainError, match=r"nope\.tif.*does not exist"):
        Terrain.from_geotiff(missing)

    garbage = tmp_path / "garbage.tif"
    garbage.write_text("this is not a GeoTIFF")
    with pytest.raises(TerrainError, match=r"cannot read terrain file '.*garbage\.tif'"):
        Terrain.from_geotiff(garbage)

    heights = _ridge_heights()
    # A projected grid in US survey feet (California zone 3): not metres.
    feet_grid = _write_tif(
        tmp_path / "ftgrid.tif", heights, crs="EPSG:2227", transform=_north_up(6e6, 2.1e6, 90, 90)
    )
    with pytest.raises(TerrainError, match=r"ftgrid\.tif.*unsupported CRS.*projected in metres"):
        Terrain.from_geotiff(feet_grid)

    tokyo = _write_tif(tmp_path / "tokyo.tif", heights, crs="EPSG:4301")
    with pytest.raises(TerrainError, match=r"tokyo\.tif.*unsupported CRS"):
        Terrain.from_geotiff(tokyo)

    no_crs = _write_tif(tmp_path / "nocrs.tif", heights, crs=None)
    with pytest.raises(TerrainError, match=r"nocrs\.tif.*no coordinate reference system"):
        Terrain.from_geotiff(no_crs)

    feet = _write_tif(tmp_path / "feet.tif", heights, units="ft")
    with pytest.raises(TerrainError, match=r"feet\.tif.*heights are in 'ft'"):
        Terrain.from_geotiff(feet)

    rotated = _write_tif(
        tmp_path / "rot.tif", heights, transform=Affine(0.001, 0.0002, 127.0, 0.0002, -0.001, 37.02)
    )
    with pytest.raises(TerrainError, match=r"rot\.tif.*rotated"):
        Terrain.from_geotiff(rotated)

    with pytest.raises(TerrainError, match=r"ridge\.tif.*band=2"):
        Terrain.from_geotiff(_write_tif(tmp_path / "ridge.tif", heights), band=2)


# --- Line of sight over terrain -----------------------------------------------------


def _grazing_target_height_m(h_o: float, crest_m: float, theta: float) -> float:
    """Target height whose ray from the observer just touches the crest at theta / 2.

    Hand computation: the observer O at radius r_o, the target T at r_t and
    central angle theta; the ray crosses the bisecting radius at rho, where the
    triangle areas add up, r_o r_t sin(theta) = rho sin(theta / 2) (r_o + r_t), so
    rho = 2 r_o r_t cos(theta / 2) / (r_o + r_t). Setting rho = R + crest and
    solving for r_t gives the grazing height.
    """
    r_o = R_EFF + h_o
    rho = R_EFF + crest_m
    r_t = rho * r_o / (2.0 * r_o * math.cos(theta / 2.0) - rho)
    return r_t - R_EFF


def test_ridge_masks_behind_and_not_above(ridge_tif: Path) -> None:
    # Observer and target symmetric about the crest (same latitude), so the
    # middle path sample (n_samples odd) falls on the crest line exactly, and
    # the shoulders are far steeper than the ray, so only the crest can bind.
    terrain = Terrain.from_geotiff(ridge_tif)
    lat = 37.0
    half_span_deg = 0.045
    lon_o, lon_t = CREST_LON - half_span_deg, CREST_LON + half_span_deg
    h_o = 10.0
    _, _, d = GEOD.inv(lon_o, lat, lon_t, lat)
    h_star = _grazing_target_height_m(h_o, RIDGE_M, d / R_EFF)
    # ~2 x 300 m less the observer's height, plus curvature: a sanity anchor.
    assert 585.0 < h_star < 600.0
    # Margin 5 cm in target height is 2.5 cm at the crest; the hand and the
    # implementation differ only by the path length (< 1 mm here) and rounding.
    # Measured: the flip is within 0.1 mm of h_star.
    alt = np.array([h_star - 50.0, h_star - 0.05, h_star + 0.05, h_star + 50.0])
    visible = line_of_sight(
        lat, lon_o, h_o, np.full(4, lat), np.full(4, lon_t), alt, terrain, n_samples=255
    )
    np.testing.assert_array_equal(visible, [False, False, True, True])

    # In front of the ridge: visible at any height; on top of the crest: visible;
    # just behind it, low: masked.
    lon = np.array([CREST_LON - 0.01, CREST_LON, CREST_LON + 0.003])
    alt = np.array([20.0, RIDGE_M + 1.0, 30.0])
    np.testing.assert_array_equal(
        line_of_sight(lat, lon_o, h_o, np.full(3, lat), lon, alt, terrain),
        [True, True, False],
    )


def test_constant_terrain_equals_flat_ground(tmp_path: Path) -> None:
    # A DEM of constant height is the same ground as FlatGround at that height.
    heights = np.full((N_ROWS, N_COLS), 40.0, dtype=np.float32)
    terrain = Terrain.from_geotiff(_write_tif(tmp_path / "flat.tif", heights))
    rng = np.random.default_rng(9)
    n = 3000
    lat = rng.uniform(36.985, 37.015, n)
    lon = rng.uniform(127.001, 127.1, n)
    alt = rng.uniform(39.0, 45.0, n)
    flat = line_of_sight(37.0, 127.002, 42.0, lat, lon, alt, FlatGround(40.0))
    dem = line_of_sight(37.0, 127.002, 42.0, lat, lon, alt, terrain)
    np.testing.assert_array_equal(flat, dem)
    assert 0.1 < flat.mean() < 0.95  # both outcomes occur


def test_issue_13_flat_ground_shortcut_equals_the_general_path() -> None:
    """Over FlatGround the check skips the feet of its two points (one height is all it
    could read there); the general path, handed the same constant ground under another
    type, gives the same answers bit for bit, grazing rays and vertical paths included."""

    class Constant:  # not a FlatGround: takes the general path's sampled feet
        def __init__(self, h: float) -> None:
            self.h = h

        def height_m(self, lat, lon):
            return np.full(np.broadcast(lat, lon).shape, self.h)

    rng = np.random.default_rng(13)
    n = 4000
    lat = np.concatenate([rng.uniform(36.0, 38.0, n), [37.0, 37.0]])
    lon = np.concatenate([rng.uniform(126.0, 128.5, n), [127.0, 127.0]])
    alt = np.concatenate([rng.uniform(-50.0, 4000.0, n), [900.0, 30.0]])
    for h, radius in ((40.0, EFFECTIVE_EARTH_RADIUS_M), (0.0, 6.371e6), (250.0, 1e7)):
        fast = line_of_sight(37.0, 127.0, h + 12.0, lat, lon, alt, FlatGround(h), radius)
        slow = line_of_sight(37.0, 127.0, h + 12.0, lat, lon, alt, Constant(h), radius, 0)
        np.testing.assert_array_equal(fast, slow)
        assert 0.05 < fast.mean() < 0.95  # both outcomes occur


def test_los_path_leaving_the_dem(ridge_tif: Path) -> None:
    terrain = Terrain.from_geotiff(ridge_tif)
    with pytest.raises(TerrainError, match="outside terrain"):
        line_of_sight(37.0, 127.01, 10.0, [37.0], [127.3], [1000.0], terrain)
    filled = Terrain.from_geotiff(ridge_tif, no_data_height_m=0.0)
    # Beyond the ridge, high enough to clear it (the ridge is still in the path).
    assert line_of_sight(37.0, 127.01, 10.0, [37.0], [127.3], [5000.0], filled)[0]
    assert not line_of_sight(37.0, 127.01, 10.0, [37.0], [127.3], [300.0], filled)[0]


def test_los_vectorised_and_does_not_mutate(ridge_tif: Path) -> None:
    terrain = Terrain.from_geotiff(ridge_tif)
    lat = np.full((2, 3), 37.0)
    lon = np.array([[127.02, 127.04, 127.06], [127.07, 127.08, 127.09]])
    alt = np.array([[20.0, 20.0, 20.0], [2000.0, 2000.0, 25.0]])
    copies = [a.copy() for a in (lat, lon, alt)]
    visible = line_of_sight(37.0, 127.01, 10.0, lat, lon, alt, terrain)
    assert visible.shape == (2, 3)
    assert visible.dtype == bool
    np.testing.assert_array_equal(visible, [[True, True, False], [True, True, False]])
    for a, c in zip((lat, lon, alt), copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("epsg", ["EPSG:32652", "EPSG:5186"])
def test_a_projected_dem_answers_geodetic_queries_through_its_own_crs(tmp_path, epsg):
    """National DEMs come projected: a UTM grid, or Korea 2000's central belt (GRS80). A
    smooth field written on the grid comes back at random latitudes and longitudes to
    within the bilinear interpolation's error, the queries transformed by pyproj."""
    from pyproj import Transformer

    to_grid = Transformer.from_crs("EPSG:4326", epsg, always_xy=True)
    e0, n0 = to_grid.transform(127.05, 37.1)
    step = 30.0
    rows, cols = 400, 500
    west, north = e0 - cols * step / 2, n0 + rows * step / 2
    east_c = west + step * (np.arange(cols) + 0.5)
    north_c = north - step * (np.arange(rows) + 0.5)

    def field(e, n):
        return 200.0 + 80.0 * np.sin((e - west) / 2500.0) * np.cos((n - north) / 1700.0)

    heights = field(*np.meshgrid(east_c, north_c)).astype(np.float64)
    path = _write_tif(
        tmp_path / "grid.tif", heights, crs=epsg, transform=_north_up(west, north, step, step)
    )
    terrain = Terrain.from_geotiff(path)
    assert terrain.spacing_m == pytest.approx(step)
    rng = np.random.default_rng(4)
    e = west + step + rng.random(500) * (cols - 2) * step
    n = north - step - rng.random(500) * (rows - 2) * step
    lon, lat = Transformer.from_crs(epsg, "EPSG:4326", always_xy=True).transform(e, n)
    # Bilinear error of this field on 30 m cells: under (30 m)²/8 · |f''| ≈ 0.01 m.
    np.testing.assert_allclose(terrain.height_m(lat, lon), field(e, n), atol=0.02)
    lat_min, lat_max, lon_min, lon_max = terrain.bounds_deg
    assert lat_min < 37.1 < lat_max and lon_min < 127.05 < lon_max
    with pytest.raises(TerrainError, match=r"outside terrain"):
        terrain.height_m(lat_max + 0.01, 127.05)
