"""Ground models (flat or a DEM) and radar line of sight over them, vectorised.

A ground model answers one question, ``height_m(lat_deg, lon_deg)``: the
height of the ground in metres at geodetic points (degrees, WGS-84). Heights
are compared directly with the ``alt_m`` of observers and targets, which are
heights above the WGS-84 ellipsoid; most DEMs (SRTM, Copernicus) are heights
above the geoid instead, so pass the local geoid undulation as
``height_offset_m`` to :meth:`Terrain.from_geotiff` when the difference
matters (the undulation reaches tens of metres in many places).

Line of sight uses the effective-earth model of :mod:`gbad.earth.refraction`:
rays are straight over a sphere of radius ``radius_m`` (4/3-earth by
default), heights are measured from that sphere, and ground distance is kept.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.refraction import EFFECTIVE_EARTH_RADIUS_M
from gbad.earth.wgs84 import WGS84_A_M, WGS84_B_M, WGS84_E2, WGS84_EP2, geodetic2ecef

Array = NDArray[np.float64]

# Targets are processed in chunks of about this many path samples, so memory
# stays bounded (~100 MB of temporaries) whatever the number of targets.
_SAMPLES_PER_CHUNK = 1 << 20
# Half-pixel edges are tested with this slack (in pixels) so that a point
# exactly on the file's stated bounds is not rejected by rounding.
_EDGE_SLACK_PX = 1e-9
_METRE_UNITS = {"", "m", "metre", "metres", "meter", "meters"}


class TerrainError(ValueError):
    """A terrain file cannot be used, or a query falls where it has no data."""


@runtime_checkable
class Ground(Protocol):
    """Anything that gives the ground height (m) at geodetic points (deg)."""

    def height_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> Array: ...


@dataclass(frozen=True)
class FlatGround:
    """The ellipsoid raised by ``alt_m``: the ground of a scenario without a DEM.

    docs/design.md: without a DEM the ground is the ellipsoid raised to the
    scenario origin's altitude, so ``FlatGround(origin_alt_m)``.
    """

    alt_m: float

    def __post_init__(self) -> None:
        if not np.isfinite(self.alt_m):
            raise ValueError(
                f"FlatGround.alt_m must be a finite height in metres, got {self.alt_m!r}"
            )

    def height_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> Array:
        """``alt_m`` everywhere, in the broadcast shape of the inputs."""
        lat, _ = np.broadcast_arrays(
            np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float)
        )
        return np.full(lat.shape, float(self.alt_m))


class Terrain:
    """A regular latitude/longitude grid of ground heights with bilinear interpolation.

    Nodes are pixel centres (GDAL's convention, which it also applies to
    point-registered GeoTIFFs). Between the outermost node centres and the
    pixel edges (the file's bounds) the height is held at the edge nodes.

    Outside the bounds, and at cells flagged as no data, there is no height:
    by default asking for one raises :class:`TerrainError` naming the source,
    the bounds and the first offending point, because a silent guess could
    hide a radar or a target behind (or in front of) a hill that is not
    there. Give ``no_data_height_m`` to use that fixed height instead (for
    example 0.0 for sea around a coastal DEM); no-data nodes then take it too.

    Longitudes are taken modulo 360, so a grid given in [0, 360) or crossing
    the antimeridian answers queries in [-180, 180].
    """

    def __init__(
        self,
        heights_m: ArrayLike,
        lat_deg: ArrayLike,
        lon_deg: ArrayLike,
        *,
        no_data_height_m: float | None = None,
        source: str = "<array>",
        crs_wkt: str | None = None,
    ) -> None:
        """``heights_m[i, j]`` is the height at ``lat_deg[i]``, ``lon_deg[j]``.

        ``lat_deg`` and ``lon_deg`` are the 1-D node coordinates, evenly spaced
        (either direction); NaN heights mean no data. With ``crs_wkt``, a projected
        CRS in metres (a national grid, UTM), they are the grid's northings and
        eastings in it instead, and each query is transformed into it (pyproj).
        """
        heights = np.array(heights_m, dtype=float)
        lat = np.asarray(lat_deg, dtype=float)
        lon = np.asarray(lon_deg, dtype=float)
        self.source = source
        if heights.ndim != 2 or heights.shape != (lat.size, lon.size):
            raise TerrainError(
                f"terrain {source}: heights must be a 2-D array of shape "
                f"(len(lat_deg), len(lon_deg)) = ({lat.size}, {lon.size}), got {heights.shape}"
            )
        self._dlat = _even_step(lat, "lat_deg", source)
        self._dlon = _even_step(lon, "lon_deg", source)
        self._lat0 = float(lat[0])
        self._lon0 = float(lon[0])
        if no_data_height_m is not None:
            if not np.isfinite(no_data_height_m):
                raise TerrainError(
                    f"terrain {source}: no_data_height_m must be finite, got {no_data_height_m!r}"
                )
            heights[~np.isfinite(heights)] = no_data_height_m
        self.no_data_height_m = no_data_height_m
        self._heights = heights
        half_lat = 0.5 * abs(self._dlat)
        half_lon = 0.5 * abs(self._dlon)
        edges = (
            float(lat.min()) - half_lat,
            float(lat.max()) + half_lat,
            float(lon.min()) - half_lon,
            float(lon.max()) + half_lon,
        )
        self._to_grid = None
        self.crs_wkt = crs_wkt
        if crs_wkt is not None:
            from pyproj import Transformer

            self._to_grid = Transformer.from_crs("EPSG:4326", crs_wkt, always_xy=True)
            edges = _projected_bounds_deg(crs_wkt, edges)
        #: (lat_min, lat_max, lon_min, lon_max) of the pixel edges, degrees (of a
        #: projected grid: the box around its edges).
        self.bounds_deg = edges

    @property
    def spacing_m(self) -> float:
        """The finer of the grid's two node spacings, in metres at its mid-latitude."""
        if self._to_grid is not None:
            return float(min(abs(self._dlat), abs(self._dlon)))
        mid_lat = np.radians(0.5 * (self.bounds_deg[0] + self.bounds_deg[1]))
        metres_per_deg = np.pi / 180.0 * 6371000.0
        return float(
            metres_per_deg * min(abs(self._dlat), abs(self._dlon) * max(np.cos(mid_lat), 1e-6))
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the height grid."""
        return self._heights.shape  # type: ignore[return-value]

    @classmethod
    def from_geotiff(
        cls,
        path: str | os.PathLike[str],
        *,
        band: int = 1,
        no_data_height_m: float | None = None,
        height_offset_m: float = 0.0,
    ) -> Terrain:
        """Load a DEM from a local GeoTIFF through rasterio (GDAL hardened: `open_dem`).

        Supported: a geographic CRS on the WGS 84 datum (EPSG:4326,
        EPSG:4979, OGC:CRS84), a north-up or south-up grid without rotation,
        heights in metres (the band's unit, when it has one, must say so).
        The band's scale and offset are applied, then ``height_offset_m`` is
        added (e.g. the geoid undulation, to turn heights above mean sea
        level into heights above the ellipsoid). Anything else is a
        :class:`TerrainError` that names the file; reproject other CRSs
        first, e.g. ``gdalwarp -t_srs EPSG:4326 in.tif out.tif``.
        """
        from rasterio.errors import RasterioError

        name = str(path)
        try:
            with open_dem(name) as src:
                check_dem_header(src, name, band)
                scale = src.scales[band - 1]
                offset = src.offsets[band - 1]
                transform, crs = src.transform, src.crs
                raw = src.read(band, masked=True)
        except RasterioError as exc:
            raise TerrainError(f"cannot read terrain file {name!r}: {exc}") from exc
        heights = np.ma.filled(raw.astype(float), np.nan) * scale + offset + height_offset_m
        rows, cols = heights.shape
        lon = transform.c + transform.a * (np.arange(cols) + 0.5)
        lat = transform.f + transform.e * (np.arange(rows) + 0.5)
        wkt = None if crs.is_geographic else crs.to_wkt()
        return cls(
            heights, lat, lon, no_data_height_m=no_data_height_m, source=repr(name), crs_wkt=wkt
        )

    def height_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> Array:
        """Bilinear ground height (m) at geodetic points (deg), broadcast shape."""
        lat, lon = np.broadcast_arrays(
            np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float)
        )
        if not np.all(np.isfinite(lat) & np.isfinite(lon)):
            raise TerrainError(f"terrain {self.source}: latitude/longitude must be finite")
        if self._to_grid is not None:
            east, north = self._to_grid.transform(lon, lat)
            row_at, col_at = np.asarray(north, dtype=float), np.asarray(east, dtype=float)
        else:
            lon_min = self.bounds_deg[2]
            row_at, col_at = lat, lon_min + np.mod(lon - lon_min, 360.0)
        rows, cols = self._heights.shape
        row = (row_at - self._lat0) / self._dlat
        col = (col_at - self._lon0) / self._dlon
        lo_edge = -0.5 - _EDGE_SLACK_PX
        inside = (
            (row >= lo_edge)
            & (row <= rows - 0.5 + _EDGE_SLACK_PX)
            & (col >= lo_edge)
            & (col <= cols - 0.5 + _EDGE_SLACK_PX)
        )
        out = np.full(lat.shape, np.nan)
        if np.any(inside):
            out[inside] = self._bilinear(row[inside], col[inside])
        missing = ~np.isfinite(out)
        if np.any(missing):
            if self.no_data_height_m is not None:
                # Only outside points are left: no-data nodes were filled at load.
                out[missing] = self.no_data_height_m
            else:
                self._raise_missing(lat, lon, inside, missing)
        return out

    def _bilinear(self, row: Array, col: Array) -> Array:
        rows, cols = self._heights.shape
        r = np.clip(row, 0.0, rows - 1.0)
        c = np.clip(col, 0.0, cols - 1.0)
        # The last cell owns its far edge, so index i0 + 1 always exists.
        r0 = np.minimum(np.floor(r).astype(np.intp), rows - 2)
        c0 = np.minimum(np.floor(c).astype(np.intp), cols - 2)
        r1 = r0 + 1
        c1 = c0 + 1
        u = r - r0
        t = c - c0
        h = self._heights
        total = np.zeros_like(r)
        # Skip zero-weight nodes so a point on a valid node or edge is not
        # spoiled by a no-data (NaN) neighbour it does not depend on.
        for idx_r, idx_c, w in (
            (r0, c0, (1.0 - u) * (1.0 - t)),
            (r0, c1, (1.0 - u) * t),
            (r1, c0, u * (1.0 - t)),
            (r1, c1, u * t),
        ):
            total += np.where(w > 0.0, w * h[idx_r, idx_c], 0.0)
        return total

    def _raise_missing(
        self, lat: Array, lon: Array, inside: NDArray[np.bool_], missing: NDArray[np.bool_]
    ) -> None:
        lat_min, lat_max, lon_min, lon_max = self.bounds_deg
        hint = "pass no_data_height_m=<height in m> to use a fixed height there instead"
        outside = missing & ~inside
        if np.any(outside):
            i = np.argwhere(outside)[0]
            raise TerrainError(
                f"{int(outside.sum())} point(s) outside terrain {self.source} "
                f"(lat {lat_min:.6f}..{lat_max:.6f} deg, lon {lon_min:.6f}..{lon_max:.6f} deg), "
                f"first at lat={float(lat[tuple(i)]):.6f}, lon={float(lon[tuple(i)]):.6f}; {hint}"
            )
        i = np.argwhere(missing)[0]
        raise TerrainError(
            f"{int(missing.sum())} point(s) touch no-data cells of terrain {self.source}, "
            f"first at lat={float(lat[tuple(i)]):.6f}, lon={float(lon[tuple(i)]):.6f}; {hint}"
        )

    def __repr__(self) -> str:
        return f"Terrain({self.source}, shape={self.shape}, bounds_deg={self.bounds_deg})"


def line_of_sight(
    observer_lat_deg: float,
    observer_lon_deg: float,
    observer_alt_m: float,
    target_lat_deg: ArrayLike,
    target_lon_deg: ArrayLike,
    target_alt_m: ArrayLike,
    ground: Ground,
    radius_m: float = EFFECTIVE_EARTH_RADIUS_M,
    n_samples: int = 256,
) -> NDArray[np.bool_]:
    """Whether each target can be seen from the observer, in the effective-earth model.

    Geometry: the plane of the observer, the target and the centre of a
    sphere of radius ``radius_m``. The observer is at radius ``R + h_o``, the
    target at ``R + h_t`` and central angle ``theta = d / R``, where ``d`` is
    the ground distance between their feet on the ellipsoid and heights are
    the ``alt_m`` values. The straight ray between them is at radius
    ``r(phi) = r_o r_t sin(theta) / (r_t sin(theta - phi) + r_o sin(phi))`` at
    central angle ``phi``. A target is visible when ``r(phi) - R`` is at
    least the ground height at every checked point: ``n_samples`` evenly spaced
    points along the path, the point where the ray comes closest to the
    Earth's centre (so a flat ground is checked exactly against the
    effective-earth horizon), and the target's own foot (a target below the
    ground is not visible). Terrain narrower than the sample spacing
    ``d / (n_samples + 1)`` can slip between samples: choose ``n_samples`` so
    that the spacing is about the DEM's cell size.

    The path is the normal section through the two feet (points on the ECEF
    chord, projected along the ellipsoid normal), which is within metres of
    the geodesic at radar ranges; its length agrees with the geodesic's to
    within a millimetre at 500 km.

    Returns a boolean array in the broadcast shape of the target arguments.
    Raises ValueError when the observer is below the ground at its own
    position, and :class:`TerrainError` when a path leaves a DEM without a
    ``no_data_height_m``.
    """
    for name, value in (
        ("observer_lat_deg", observer_lat_deg),
        ("observer_lon_deg", observer_lon_deg),
        ("observer_alt_m", observer_alt_m),
    ):
        if np.ndim(value) != 0 or not np.isfinite(value):
            raise ValueError(f"{name} must be one finite number, got {value!r}")
    if not -90.0 <= observer_lat_deg <= 90.0:
        raise ValueError(f"observer_lat_deg must be in [-90, 90], got {observer_lat_deg!r}")
    if not (np.isfinite(radius_m) and radius_m > 0.0):
        raise ValueError(f"radius_m must be finite and > 0, got {radius_m!r}")
    if int(n_samples) != n_samples or n_samples < 0:
        raise ValueError(f"n_samples must be a whole number >= 0, got {n_samples!r}")
    tlat, tlon, talt = np.broadcast_arrays(
        np.asarray(target_lat_deg, dtype=float),
        np.asarray(target_lon_deg, dtype=float),
        np.asarray(target_alt_m, dtype=float),
    )
    shape = tlat.shape
    tlat, tlon, talt = tlat.ravel(), tlon.ravel(), talt.ravel()
    finite = np.isfinite(tlat) & np.isfinite(tlon) & np.isfinite(talt)
    if not np.all(finite & (np.abs(tlat) <= 90.0)):
        i = int(np.argwhere(~(finite & (np.abs(tlat) <= 90.0)))[0, 0])
        raise ValueError(
            f"targets need finite positions with latitude in [-90, 90]; target {i} is at "
            f"lat={tlat[i]!r}, lon={tlon[i]!r}, alt={talt[i]!r}"
        )
    ground_here = float(np.asarray(ground.height_m(observer_lat_deg, observer_lon_deg)))
    if observer_alt_m < ground_here:
        raise ValueError(
            f"observer at lat={observer_lat_deg}, lon={observer_lon_deg} is at alt "
            f"{observer_alt_m} m, below the ground there ({ground_here:.3f} m); "
            "raise the observer to at least the ground height"
        )
    # Over a constant-height ground the ray is lowest at its perigee, which is
    # always checked, so path samples would add cost and nothing else.
    n_used = 0 if isinstance(ground, FlatGround) else int(n_samples)
    visible = np.empty(tlat.size, dtype=bool)
    chunk = max(1, _SAMPLES_PER_CHUNK // (n_used + 2))
    for start in range(0, tlat.size, chunk):
        sl = slice(start, start + chunk)
        visible[sl] = _los_chunk(
            float(observer_lat_deg),
            float(observer_lon_deg),
            float(observer_alt_m),
            tlat[sl],
            tlon[sl],
            talt[sl],
            ground,
            float(radius_m),
            n_used,
        )
    return visible.reshape(shape)


def _los_chunk(
    olat: float,
    olon: float,
    oalt: float,
    tlat: Array,
    tlon: Array,
    talt: Array,
    ground: Ground,
    radius: float,
    n_samples: int,
) -> NDArray[np.bool_]:
    foot_o = np.array(geodetic2ecef(olat, olon, 0.0))  # (3,)
    foot_t = np.stack(geodetic2ecef(tlat, tlon, np.zeros_like(tlat)), axis=-1)  # (N, 3)
    chord_vec = foot_t - foot_o
    chord = np.linalg.norm(chord_vec, axis=-1)
    # Arc from chord, exact on a circle of the path's radius of curvature. The
    # chord is exact on the ellipsoid and the arc adds only c^3 / (24 rho^2), so
    # Euler's radius along the path's azimuth at its midpoint (rather than the
    # mean radius, up to 0.7 % off) keeps it within 1 mm of the geodesic at 500 km.
    rho = _path_radius_m(foot_o + 0.5 * chord_vec, chord_vec)
    psi = 2.0 * np.arcsin(np.minimum(chord / (2.0 * rho), 1.0))
    theta = rho * psi / radius

    r_o = radius + oalt
    r_t = radius + talt
    # The ray from O = (0, r_o) to T = (r_t sin theta, r_t cos theta); its point
    # nearest the centre is O + s (T - O). The vertical difference is formed
    # without subtracting the two ~8e6 m radii.
    dx = r_t * np.sin(theta)
    dy = (talt - oalt) - 2.0 * r_t * np.sin(0.5 * theta) ** 2
    norm2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(norm2 > 0.0, -r_o * dy / norm2, 0.0)
    s = np.clip(s, 0.0, 1.0)
    phi_perigee = np.arctan2(s * dx, r_o + s * dy)
    if isinstance(ground, FlatGround):
        # One height everywhere: the perigee and the target's foot are all there is to
        # check (the same arithmetic as the sampled path's, without the samples' feet).
        denom_p = r_t * np.sin(theta - phi_perigee) + r_o * np.sin(phi_perigee)
        with np.errstate(invalid="ignore", divide="ignore"):
            ray_p = r_o * r_t * np.sin(theta) / denom_p - radius
        ray_p = np.where(theta > 0.0, ray_p, np.maximum(oalt, talt))
        height = float(ground.alt_m)
        return (height <= ray_p) & (height <= talt)

    frac = np.arange(1, n_samples + 1) / (n_samples + 1.0)
    phi = np.concatenate(
        [theta[:, None] * frac[None, :], phi_perigee[:, None], theta[:, None]], axis=1
    )  # (N, S)
    th = theta[:, None]
    denom = r_t[:, None] * np.sin(th - phi) + r_o * np.sin(phi)
    with np.errstate(invalid="ignore", divide="ignore"):
        ray_h = r_o * r_t[:, None] * np.sin(th) / denom - radius
    # A vertical path (theta = 0) is above the ground wherever both of its
    # ends are, and those are checked separately.
    ray_h = np.where(th > 0.0, ray_h, np.maximum(oalt, talt)[:, None])
    ray_h[:, -1] = talt

    # Ground points of the samples: map the arc fraction to the ECEF chord
    # (exact on a sphere), then drop the point onto the ellipsoid.
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(th > 0.0, phi / th, 0.0)
        half = 0.5 * psi[:, None]
        t = np.where(half > 0.0, 0.5 * (1.0 + np.tan((2.0 * f - 1.0) * half) / np.tan(half)), f)
    pts = foot_o + t[..., None] * (foot_t - foot_o)[:, None, :]  # (N, S, 3)
    lat, lon = _footprint_deg(pts[..., 0], pts[..., 1], pts[..., 2])
    lat[:, -1] = tlat
    lon[:, -1] = tlon
    g = np.asarray(ground.height_m(lat, lon), dtype=float)
    return np.all(g <= ray_h, axis=1)


def _path_radius_m(mid: Array, direction: Array) -> Array:
    # Euler: 1 / rho = cos^2(az) / M + sin^2(az) / N at the midpoint's latitude.
    lat_deg, lon_deg = _footprint_deg(mid[..., 0], mid[..., 1], mid[..., 2])
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    dx, dy, dz = direction[..., 0], direction[..., 1], direction[..., 2]
    east = -so * dx + co * dy
    north = -sl * co * dx - sl * so * dy + cl * dz
    w2 = 1.0 - WGS84_E2 * sl * sl
    n_radius = WGS84_A_M / np.sqrt(w2)
    m_radius = n_radius * (1.0 - WGS84_E2) / w2
    horiz2 = east * east + north * north
    with np.errstate(invalid="ignore", divide="ignore"):
        cos2 = np.where(horiz2 > 0.0, north * north / horiz2, 1.0)
    return 1.0 / (cos2 / m_radius + (1.0 - cos2) / n_radius)


def _footprint_deg(x: Array, y: Array, z: Array) -> tuple[Array, Array]:
    # Geodetic latitude/longitude of points within a few km of the ellipsoid
    # (the chord sags ~3 km below it at 400 km): one Bowring step is good to
    # 1e-10 deg there, and it is four times cheaper than ecef2geodetic.
    p = np.hypot(x, y)
    za = z * WGS84_A_M
    pb = p * WGS84_B_M
    hyp = np.hypot(za, pb)
    sin_b = za / hyp
    cos_b = pb / hyp
    lat = np.arctan2(
        z + WGS84_EP2 * WGS84_B_M * sin_b**3,
        p - WGS84_E2 * WGS84_A_M * cos_b**3,
    )
    return np.degrees(lat), np.degrees(np.arctan2(y, x))


#: The most cells of a DEM that are read (4096², 128 MiB as float64): a file declaring
#: more is refused before a cell is read (a few kilobytes of sparse GeoTIFF can declare
#: 40000 × 40000).
MAX_DEM_CELLS = 4096 * 4096

#: GDAL as a DEM is opened: no listing of the file's folder (no sidecar or overview
#: files found and read), no network file system for any extension, no auxiliary XML.
#: The driver is GeoTIFF alone, so a VRT (whose sources may name URLs or other files)
#: is not read even under a .tif name.
_GDAL_HARDENED = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".gbad-none",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_PAM_ENABLED": "NO",
}


@contextmanager
def open_dem(name: str) -> Iterator[Any]:
    """A local GeoTIFF opened read-only with GDAL's network and side files off."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    if not Path(name).is_file():
        raise TerrainError(f"terrain file {name!r} does not exist or is not a file")
    with rasterio.Env(**_GDAL_HARDENED), warnings.catch_warnings():
        # A file without georeferencing warns on open; it is refused with a clearer
        # message, so the warning adds nothing.
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(name, driver="GTiff") as src:
            yield src


def check_dem_header(src: Any, name: str, band: int, any_crs: bool = False) -> None:
    """Everything `Terrain.from_geotiff` requires that the header tells, no cell read
    (``any_crs``: a CRS of any kind, as a coverage map takes, not only WGS 84's)."""
    if any_crs:
        if src.crs is None:
            raise TerrainError(
                f"terrain file {name!r} has no coordinate reference system; "
                "give it one, e.g. gdal_edit.py -a_srs EPSG:32652"
            )
    else:
        _check_crs(src.crs, name)
    transform = src.transform
    if transform.b != 0.0 or transform.d != 0.0:
        raise TerrainError(
            f"terrain file {name!r} has a rotated or sheared grid ({transform!r}); "
            "warp it to a north-up grid, e.g. gdalwarp -t_srs EPSG:4326 in.tif out.tif"
        )
    if not 1 <= band <= src.count:
        raise TerrainError(f"terrain file {name!r} has {src.count} band(s); band={band} is not one")
    unit = (src.units[band - 1] or "").strip().lower()
    if unit not in _METRE_UNITS:
        raise TerrainError(
            f"terrain file {name!r}: band {band} heights are in {unit!r}; only metres "
            f"are supported (one of {sorted(_METRE_UNITS)}, '' meaning unstated)"
        )
    cells = src.width * src.height
    if cells > MAX_DEM_CELLS:
        raise TerrainError(
            f"terrain file {name!r} declares {src.width} × {src.height} cells ({cells:,}); "
            f"the most read is {MAX_DEM_CELLS:,} (4096 × 4096): crop it to the scenario's "
            "area or coarsen it, e.g. gdalwarp -ts 4096 0 in.tif out.tif"
        )


def check_geotiff(path: str | os.PathLike[str], band: int = 1) -> None:
    """`Terrain.from_geotiff`'s checks on the file's header alone (for `gbad validate`):
    a :class:`TerrainError` naming the file, or nothing."""
    from rasterio.errors import RasterioError

    name = str(path)
    try:
        with open_dem(name) as src:
            check_dem_header(src, name, band)
    except RasterioError as exc:
        raise TerrainError(f"cannot read terrain file {name!r}: {exc}") from exc


def _even_step(values: Array, name: str, source: str) -> float:
    if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values)):
        raise TerrainError(
            f"terrain {source}: {name} must be a 1-D array of at least 2 finite degrees "
            "(bilinear interpolation needs 2 x 2 nodes)"
        )
    steps = np.diff(values)
    step = float(steps.mean())
    if step == 0.0 or not np.allclose(steps, step, rtol=1e-6, atol=0.0):
        raise TerrainError(f"terrain {source}: {name} must be evenly spaced and strictly monotonic")
    return step


def _check_crs(crs: object, name: str) -> None:
    """Geographic WGS 84, or a projected CRS in metres that pyproj can transform to it."""
    if crs is None:
        raise TerrainError(
            f"terrain file {name!r} has no coordinate reference system; give it its own, "
            "e.g. gdal_edit.py -a_srs EPSG:4326 (or EPSG:32652 for a UTM grid)"
        )
    params = crs.to_dict()  # type: ignore[attr-defined]
    wgs84 = params.get("datum") == "WGS84" or (
        params.get("ellps") == "WGS84" and "towgs84" not in params
    )
    if crs.is_geographic and wgs84:  # type: ignore[attr-defined]
        return
    if crs.is_projected and (crs.linear_units or "").lower() in _METRE_UNITS:  # type: ignore[attr-defined]
        try:
            from pyproj import Transformer

            Transformer.from_crs("EPSG:4326", crs.to_wkt(), always_xy=True)  # type: ignore[attr-defined]
            return
        except Exception as exc:  # pyproj's errors vary with its version
            reason = f"pyproj cannot transform to it ({exc})"
    else:
        reason = "neither geographic WGS 84 nor projected in metres"
    raise TerrainError(
        f"terrain file {name!r} has an unsupported CRS ({crs}): {reason}; supported: "
        "geographic WGS 84 (EPSG:4326, EPSG:4979) or a projected CRS in metres (UTM, a "
        "national grid). Reproject it first, e.g. gdalwarp -t_srs EPSG:4326 in.tif out.tif"
    )


def _projected_bounds_deg(
    crs_wkt: str, edges: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of a projected grid's edges (y0, y1, x0, x1)."""
    from pyproj import Transformer

    y0, y1, x0, x1 = edges
    t = np.linspace(0.0, 1.0, 33)
    x = np.concatenate([x0 + (x1 - x0) * t, np.full(33, x1), x1 - (x1 - x0) * t, np.full(33, x0)])
    y = np.concatenate([np.full(33, y0), y0 + (y1 - y0) * t, np.full(33, y1), y1 - (y1 - y0) * t])
    lon, lat = Transformer.from_crs(crs_wkt, "EPSG:4326", always_xy=True).transform(x, y)
    return float(np.min(lat)), float(np.max(lat)), float(np.min(lon)), float(np.max(lon))
