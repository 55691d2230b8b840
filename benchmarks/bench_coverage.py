"""Benchmark: one radar's coverage map (line of sight and Pd) over a 1,000 × 1,000 DEM.

Run: `.venv/bin/python benchmarks/bench_coverage.py`. A synthetic 30 m UTM DEM with a
ridge and rolling hills (written to a temporary folder), a surveillance radar on a
10 m mast, a target 50 m above the ground; best of three, after a first call that
loads the compiled kernel. With `gdal_viewshed` on the PATH (Debian's gdal-bin), GDAL's
viewshed of the same DEM is timed beside it (line of sight only), and the share of
cells on which the two agree is printed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer

from gbad.coverage import los_and_pd
from gbad.coverage.grid import dem_grid
from gbad.earth.refraction import effective_earth_radius_m
from gbad.scenario.loader import LoadedScenario, parse_scenario

N = 1000
STEP_M = 30.0
WEST, NORTH = 310_000.0, 4_130_000.0
RADAR = """
[scenario]
name = "bench"
origin = {{ lat_deg = {lat}, lon_deg = {lon}, alt_m = 0.0 }}
duration_s = 10.0
[[radars]]
id = "sr"
role = "surveillance"
position = {{ east_m = 0.0, north_m = 0.0, up_m = {up} }}
frequency_hz = 3e9
reference = {{ range_m = 20e3, rcs_m2 = 1.0, pd = 0.9 }}
scan = {{ kind = "rotating", period_s = 2.0 }}
coverage = {{ range_max_m = 40e3, el_max_deg = 60 }}
accuracy = {{ range_m = 30.0, az_deg = 0.2, el_deg = 0.3 }}
"""


def main() -> None:
    from gbad.runworld import radar_models

    east = WEST + STEP_M * (np.arange(N) + 0.5)
    north = NORTH - STEP_M * (np.arange(N) + 0.5)
    e, n = np.meshgrid(east, north)
    h = (
        100
        + 250 * np.exp(-(((e - WEST - 18_000) / 1500) ** 2))
        + 40 * np.sin(e / 900) * np.cos(n / 1300)
    )
    with tempfile.TemporaryDirectory() as tmp:
        dem = Path(tmp) / "dem.tif"
        profile = {
            "driver": "GTiff",
            "height": N,
            "width": N,
            "count": 1,
            "dtype": "float32",
            "crs": "EPSG:32652",
            "transform": Affine(STEP_M, 0, WEST, 0, -STEP_M, NORTH),
        }
        with rasterio.open(dem, "w", **profile) as dst:
            dst.write(h.astype(np.float32), 1)
        ox, oy = WEST + 15_015.0, NORTH - 15_015.0
        ground = float(h[500, 500])
        lon, lat = Transformer.from_crs("EPSG:32652", "EPSG:4326", always_xy=True).transform(ox, oy)
        model = parse_scenario(RADAR.format(lat=lat, lon=lon, up=ground + 10.0))
        radar = radar_models(LoadedScenario(model, "bench", Path(tmp)))[0]
        grid = dem_grid(dem)
        k = float(effective_earth_radius_m())
        los_and_pd(grid, radar, 50.0, 1.0, k)
        best = min(_timed(lambda: los_and_pd(grid, radar, 50.0, 1.0, k)) for _ in range(3))
        los, _ = los_and_pd(grid, radar, 50.0, 1.0, k)
        print(
            f"gbad, line of sight and Pd, {N} x {N} cells, one height: {best:.2f} s "
            f"({los.mean():.1%} in sight)"
        )
        if shutil.which("gdal_viewshed"):
            out = Path(tmp) / "gdal.tif"
            cmd = [
                "gdal_viewshed",
                "-q",
                "-ox",
                str(ox),
                "-oy",
                str(oy),
                "-oz",
                "10",
                "-tz",
                "50",
                "-cc",
                f"{6378137.0 / k:.6f}",
                "-vv",
                "1",
                "-iv",
                "0",
                "-ov",
                "0",
                str(dem),
                str(out),
            ]
            gdal = min(_timed(lambda: subprocess.run(cmd, check=True)) for _ in range(3))
            with rasterio.open(out) as src:
                agree = float(np.mean(src.read(1) == los))
            print(
                f"gdal_viewshed, line of sight only (a process each): {gdal:.2f} s; "
                f"cells agreeing: {agree:.2%}"
            )


def _timed(f) -> float:
    tic = time.perf_counter()
    f()
    return time.perf_counter() - tic


if __name__ == "__main__":
    main()
