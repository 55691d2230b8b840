"""The grid a coverage map is drawn on: the scenario's DEM (its own grid and CRS, any CRS
that rasterio and pyproj know, geographic or projected), or over flat ground a local
UTM grid around the radars."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from gbad.earth.terrain import TerrainError, check_dem_header, open_dem

Array = NDArray[np.float64]

#: The most cells a flat-ground grid is given (per side).
MAX_FLAT_CELLS = 2000
#: Cells per side of a flat-ground grid when no resolution is asked for.
DEFAULT_FLAT_CELLS = 600
#: Mean earth radius (m) of the local plane a geographic grid is measured in.
_R_MEAN_M = 6_371_000.0


@dataclass(frozen=True)
class Grid:
    """Ground heights (m above the ellipsoid; NaN: no data) at cell centres ``xs`` (C,),
    ``ys`` (R,) in ``crs`` (a rasterio or pyproj CRS), north-up, with its affine
    ``transform``."""

    heights: Array
    xs: Array
    ys: Array
    crs: object
    transform: object

    @property
    def geographic(self) -> bool:
        return bool(self.crs.is_geographic)  # type: ignore[attr-defined]

    def lat_lon(self) -> tuple[Array, Array]:
        """Latitude and longitude (deg) of every cell centre, (R, C) each (read-only:
        computed once per grid, every map of the grid asks)."""
        return self._lat_lon

    @cached_property
    def _lat_lon(self) -> tuple[Array, Array]:
        x, y = np.meshgrid(self.xs, self.ys)
        if self.geographic:
            lat, lon = y, x
        else:
            from pyproj import Transformer

            to_geo = Transformer.from_crs(self.crs.to_wkt(), "EPSG:4326", always_xy=True)  # type: ignore[attr-defined]
            lon, lat = (np.asarray(a) for a in to_geo.transform(x, y))
        lat.flags.writeable = False
        lon.flags.writeable = False
        return lat, lon

    def to_grid_crs(self, lon_deg: Array, lat_deg: Array) -> tuple[Array, Array]:
        if self.geographic:
            return np.asarray(lon_deg, float), np.asarray(lat_deg, float)
        from pyproj import Transformer

        to_grid = Transformer.from_crs("EPSG:4326", self.crs.to_wkt(), always_xy=True)  # type: ignore[attr-defined]
        x, y = to_grid.transform(lon_deg, lat_deg)
        return np.asarray(x), np.asarray(y)

    def to_lon_lat(self, x: Array, y: Array) -> tuple[Array, Array]:
        """Longitude and latitude (deg) of points in the grid's CRS."""
        if self.geographic:
            return np.asarray(x, float), np.asarray(y, float)
        from pyproj import Transformer

        to_geo = Transformer.from_crs(self.crs.to_wkt(), "EPSG:4326", always_xy=True)  # type: ignore[attr-defined]
        lon, lat = to_geo.transform(x, y)
        return np.asarray(lon), np.asarray(lat)

    def coarsened(self, cells: int) -> Grid:
        """The grid with every n-th cell, at most ``cells`` a side."""
        step = max(1, int(np.ceil(max(self.heights.shape) / cells)))
        if step == 1:
            return self
        transform = self.transform @ Affine.scale(step, step)  # type: ignore[operator]
        return Grid(self.heights[::step, ::step], self.xs[::step], self.ys[::step], self.crs,
                    transform)  # fmt: skip

    def local_metres(self, lat_deg: float, lon_deg: float) -> tuple[Array, Array, float, float]:
        """(xs, ys, x, y): the cells' and a point's coordinates in metres of a plane: the
        grid's own where projected; east and north of the point where geographic."""
        if not self.geographic:
            x, y = self.to_grid_crs(np.array([lon_deg]), np.array([lat_deg]))
            return self.xs, self.ys, float(x[0]), float(y[0])
        per_deg = math.pi / 180.0 * _R_MEAN_M
        xs = (self.xs - lon_deg) * per_deg * math.cos(math.radians(lat_deg))
        return xs, (self.ys - lat_deg) * per_deg, 0.0, 0.0


def dem_grid(path: Path, height_offset_m: float = 0.0, resolution_m: float | None = None) -> Grid:
    """A DEM GeoTIFF's grid as it stands (every 2nd, 3rd... cell where ``resolution_m``
    asks for a coarser one)."""
    from rasterio.errors import RasterioError

    name = str(path)
    try:
        with open_dem(name) as src:
            check_dem_header(src, name, 1, any_crs=True)
            scale, offset = src.scales[0], src.offsets[0]
            transform, crs = src.transform, src.crs
            raw = src.read(1, masked=True)
    except RasterioError as exc:
        raise TerrainError(f"cannot read terrain file {name!r}: {exc}") from exc
    heights = np.ma.filled(raw.astype(float), np.nan) * scale + offset + height_offset_m
    step = 1
    if resolution_m is not None:
        spacing = abs(transform.a)
        if crs.is_geographic:
            spacing *= math.pi / 180.0 * _R_MEAN_M
        step = max(1, round(resolution_m / spacing))
    heights = heights[::step, ::step]
    transform = transform @ Affine.scale(step, step)
    rows, cols = heights.shape
    xs = transform.c + transform.a * (np.arange(cols) + 0.5)
    ys = transform.f + transform.e * (np.arange(rows) + 0.5)
    return Grid(heights, xs, ys, crs, transform)


def utm_crs(lat_deg: float, lon_deg: float):
    """The WGS 84 / UTM zone CRS holding a point (pyproj's: a run's plan view over flat
    ground then needs no rasterio, 0.12 s to import; rasterio takes it as it is)."""
    from pyproj import CRS

    zone = int((lon_deg + 180.0) // 6.0) % 60 + 1
    return CRS.from_epsg((32600 if lat_deg >= 0 else 32700) + zone)


def flat_grid(
    lat_deg: float,
    lon_deg: float,
    half_width_m: float,
    ground_m: float,
    resolution_m: float | None = None,
) -> Grid:
    """A square UTM grid centred on a point, ``half_width_m`` each way, on a flat ground."""
    from pyproj import Transformer

    crs = utm_crs(lat_deg, lon_deg)
    x0, y0 = Transformer.from_crs("EPSG:4326", crs.to_wkt(), always_xy=True).transform(
        lon_deg, lat_deg
    )
    res = resolution_m or 2.0 * half_width_m / DEFAULT_FLAT_CELLS
    n = math.ceil(2.0 * half_width_m / res)
    if n > MAX_FLAT_CELLS:
        raise TerrainError(
            f"a {res:g} m grid over {2 * half_width_m / 1000:g} km is {n} cells a side; "
            f"the most is {MAX_FLAT_CELLS}: give a coarser --resolution-m "
            f"(at least {2 * half_width_m / MAX_FLAT_CELLS:.0f} m)"
        )
    west, north = x0 - n * res / 2.0, y0 + n * res / 2.0
    transform = Affine(res, 0.0, west, 0.0, -res, north)
    xs = west + res * (np.arange(n) + 0.5)
    ys = north - res * (np.arange(n) + 0.5)
    return Grid(np.full((n, n), float(ground_m)), xs, ys, crs, transform)
