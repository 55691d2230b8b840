"""What a laydown is worth. `area-coverage`: the share of the defended area, the asset
circles widened by a margin, in which a target at each given height above the ground is
seen by some placed radar (in sight on the 4/3 earth over the scenario's ground, inside
the radar's coverage limits, single-look Pd ≥ 0.5 at the given RCS), every cell and
height weighted alike:

    area_coverage = (1 / (C·H)) Σ_c Σ_h max_i seen_i(c, h)

A radar's cover is computed once per candidate site (`cover_matrix`), so that the choice
among sites is a set-covering problem (`gbad.laydown.solve`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gbad.scenario.loader import LoadedScenario

#: A cell is seen where the single-look Pd reaches this.
SEEN_PD = 0.5


def area_cells(loaded: LoadedScenario, margin_m: float, cell_m: float) -> tuple[NDArray, NDArray]:
    """Cell centres (east, north, m) of the defended area: within ``margin_m`` of an
    asset's circle; of the origin's 10 km where the scenario has no asset."""
    assets = [(a.position, a.radius_m + margin_m) for a in loaded.model.assets]
    o = loaded.model.scenario.origin
    pts = []
    for pos, r in assets or [(None, 10e3 + margin_m)]:
        if pos is None:
            e0 = n0 = 0.0
        else:
            from gbad.laydown.zones import _enu

            lat, lon, _ = pos.to_geodetic(o)
            e, n = _enu(loaded, [lat], [lon])
            e0, n0 = float(e[0]), float(n[0])
        pts.append((e0, n0, r))
    x0 = min(e - r for e, _, r in pts)
    x1 = max(e + r for e, _, r in pts)
    y0 = min(n - r for _, n, r in pts)
    y1 = max(n + r for _, n, r in pts)
    gx, gy = np.meshgrid(np.arange(x0 + cell_m / 2, x1, cell_m), np.arange(y0 + cell_m / 2, y1, cell_m))
    gx, gy = gx.ravel(), gy.ravel()
    keep = np.zeros(gx.shape, dtype=bool)
    for e, n, r in pts:
        keep |= np.hypot(gx - e, gy - n) <= r
    return gx[keep], gy[keep]


def cover_matrix(loaded: LoadedScenario, index: int, sites_e: NDArray, sites_n: NDArray,
                 cells_e: NDArray, cells_n: NDArray, heights_m, rcs_m2: float,
                 mast_m: float) -> NDArray[np.bool_]:  # fmt: skip
    """(sites, cells × heights): whether radar ``index``, its antenna ``mast_m`` above the
    ground at each candidate site, sees each cell's target at each height."""
    from gbad.earth.refraction import effective_earth_radius_m
    from gbad.earth.terrain import line_of_sight
    from gbad.earth.wgs84 import enu2geodetic, geodetic2ecef
    from gbad.runworld import make_ground
    from gbad.scenario.schema import Position
    from gbad.sensors.detection import pd_from_snr
    from gbad.sensors.radar import RadarModel

    o = loaded.model.scenario.origin
    ground = make_ground(loaded)
    radius = float(effective_earth_radius_m(loaded.model.scenario.refractivity_gradient_per_m))
    clat, clon, _ = enu2geodetic(cells_e, cells_n, np.zeros_like(cells_e), o.lat_deg, o.lon_deg,
                                 o.alt_m)  # fmt: skip
    cground = np.asarray(ground.height_m(clat, clon), dtype=float)
    slat, slon, _ = enu2geodetic(sites_e, sites_n, np.zeros_like(sites_e), o.lat_deg, o.lon_deg,
                                 o.alt_m)  # fmt: skip
    sground = np.asarray(ground.height_m(slat, slon), dtype=float)
    spec = loaded.model.radars[index]
    out = np.zeros((len(sites_e), len(cells_e) * len(heights_m)), dtype=bool)
    for j in range(len(sites_e)):
        up = float(sground[j] + mast_m - o.alt_m)
        moved = spec.model_copy(update={"position": Position(east_m=float(sites_e[j]),
                                                             north_m=float(sites_n[j]), up_m=up)})  # fmt: skip
        radar = RadarModel.from_scenario(moved, o).perfect()
        for k, h in enumerate(heights_m):
            alt = cground + h
            pos = np.stack(geodetic2ecef(clat, clon, alt), axis=-1)
            az, el, rng, _ = radar.aer(pos, np.zeros_like(pos))
            seen = radar.in_coverage(az, el, rng)
            idx = np.flatnonzero(seen)
            if idx.size:
                snr = radar.snr_constant * rcs_m2 / np.maximum(rng[idx], 1.0) ** 4
                strong = pd_from_snr(snr, radar.pfa, radar.n_pulses, radar.swerling) >= SEEN_PD
                idx = idx[strong]
            if idx.size:
                vis = line_of_sight(radar.lat_deg, radar.lon_deg, radar.alt_m, clat[idx], clon[idx],
                                    alt[idx], ground, radius_m=radius)  # fmt: skip
                idx = idx[vis]
            out[j, k * len(cells_e) + idx] = True
    return out
