"""Coverage outlines for a run's report: where each radar sees a low flyer.

The plan view draws, beside each radar's maximum range, the edge of the region where its
single-look Pd of a cruise missile 100 m above the ground reaches 0.5: the same line of
sight (4/3 earth, over the scenario's DEM or flat ground) and radar equation as
``gbad coverage`` (`los_and_pd`), on a coarse grid of about 200 cells a side, so that a
run's report costs a few tenths of a second more. Over flat ground the outline of a
low flyer is the radar horizon wherever the radar's power reaches that far.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gbad.coverage import los_and_pd, radar_grid
from gbad.coverage.grid import Grid
from gbad.earth.refraction import effective_earth_radius_m
from gbad.earth.wgs84 import geodetic2enu
from gbad.scenario.loader import LoadedScenario

#: Height (m above the ground) of the target whose coverage is outlined: a low cruise missile.
OUTLINE_HEIGHT_M = 100.0
#: Its class, whose nominal RCS the radar equation takes.
OUTLINE_CLASS = "cruise_missile"
#: The single-look Pd the outline is drawn at.
OUTLINE_PD = 0.5
#: Cells a side of an outline's grid.
OUTLINE_CELLS = 200

Polyline = tuple[NDArray[np.float64], NDArray[np.float64]]


def coverage_outlines(
    loaded: LoadedScenario,
    radars,
    height_m: float = OUTLINE_HEIGHT_M,
    target_class: str = OUTLINE_CLASS,
    cells: int = OUTLINE_CELLS,
) -> dict[str, list[Polyline]]:
    """Per radar (a `RadarModel`), the edge of its Pd ≥ `OUTLINE_PD` region for a target of
    ``target_class``'s nominal RCS ``height_m`` above the ground, as polylines of (east,
    north) in metres from the scenario's origin."""
    import contourpy

    from gbad.scenario.schema import DEFAULT_RCS_M2

    o = loaded.model.scenario.origin
    k_radius = float(effective_earth_radius_m())
    dem: Grid | None = None
    out: dict[str, list[Polyline]] = {}
    for radar in radars:
        if loaded.model.scenario.dem is not None:
            dem = dem or radar_grid(loaded, radar, None).coarsened(cells)
            grid = dem
        else:
            grid = radar_grid(loaded, radar, 2.0 * radar.range_max_m / cells)
        _, pd = los_and_pd(grid, radar, height_m, DEFAULT_RCS_M2[target_class], k_radius)
        gen = contourpy.contour_generator(grid.xs, grid.ys, np.nan_to_num(pd, nan=0.0))
        lines = []
        for seg in gen.lines(OUTLINE_PD):
            lon, lat = grid.to_lon_lat(seg[:, 0], seg[:, 1])
            e, n, _ = geodetic2enu(lat, lon, np.full(len(lat), o.alt_m), o.lat_deg, o.lon_deg,
                                   o.alt_m)  # fmt: skip
            lines.append((np.asarray(e), np.asarray(n)))
        out[radar.id] = lines
    return out
