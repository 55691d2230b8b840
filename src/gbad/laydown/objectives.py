"""What a laydown is worth. `area-coverage` (and `low-altitude-warning`, `warning_cover`):
the share of the defended area, the asset
circles widened by a margin, in which a target at each given height above the ground is
seen by some placed radar (in sight on the 4/3 earth over the scenario's ground, inside
the radar's coverage limits, single-look Pd ≥ 0.5 at the given RCS), every cell and
height weighted alike:

    area_coverage = (1 / (C·H)) Σ_c Σ_h max_i seen_i(c, h)

A radar's cover is computed once per candidate site (`cover_matrix`), so that the choice
among sites is a set-covering problem (`gbad.laydown.solve`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from gbad.scenario.loader import LoadedScenario

#: Progress of a long loop: (done, of).
Tick = Callable[[int, int], None]
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
    gx, gy = np.meshgrid(
        np.arange(x0 + cell_m / 2, x1, cell_m), np.arange(y0 + cell_m / 2, y1, cell_m)
    )
    gx, gy = gx.ravel(), gy.ravel()
    keep = np.zeros(gx.shape, dtype=bool)
    for e, n, r in pts:
        keep |= np.hypot(gx - e, gy - n) <= r
    from gbad.laydown.zones import on_the_ground

    keep[keep] = on_the_ground(loaded, gx[keep], gy[keep])  # a DEM's edge bounds the area
    return gx[keep], gy[keep]


def site_radar(loaded: LoadedScenario, index: int, east_m: float, north_m: float, ground_m: float,
                mast_m: float):  # fmt: skip
    """Radar ``index`` moved to (east, north), its antenna ``mast_m`` above the ground there
    (nominal, no drawn errors)."""
    from gbad.scenario.schema import Position
    from gbad.sensors.radar import RadarModel

    o = loaded.model.scenario.origin
    up = float(ground_m + mast_m - o.alt_m)
    moved = loaded.model.radars[index].model_copy(
        update={"position": Position(east_m=float(east_m), north_m=float(north_m), up_m=up)}
    )
    return RadarModel.from_scenario(moved, o).perfect()


def seen(radar, lat, lon, alt, ground, radius_m: float, rcs_m2) -> NDArray[np.bool_]:
    """Which targets (lat, lon, alt) the radar sees: in coverage, Pd ≥ `SEEN_PD`, in sight.
    ``rcs_m2``: one for all, or each target's. (Pd rises with SNR: the SNR Pd = `SEEN_PD`
    asks for is found once, then compared.)"""
    from gbad.earth.terrain import line_of_sight
    from gbad.earth.wgs84 import geodetic2ecef
    from gbad.sensors.detection import snr_per_pulse_required

    pos = np.stack(geodetic2ecef(lat, lon, alt), axis=-1)
    az, el, rng, _ = radar.aer(pos, np.zeros_like(pos))
    out = np.zeros(len(lat), dtype=bool)
    idx = np.flatnonzero(radar.in_coverage(az, el, rng))
    if idx.size:
        need = float(snr_per_pulse_required(SEEN_PD, radar.pfa, radar.n_pulses, radar.swerling))
        rcs = np.broadcast_to(np.asarray(rcs_m2, dtype=float), np.shape(lat))[idx]
        snr = radar.snr_constant * rcs / np.maximum(rng[idx], 1.0) ** 4
        idx = idx[snr >= need]
    if idx.size:
        idx = idx[line_of_sight(radar.lat_deg, radar.lon_deg, radar.alt_m, lat[idx], lon[idx],
                                alt[idx], ground, radius_m=radius_m)]  # fmt: skip
    out[idx] = True
    return out


def height_above_ground_m(loaded: LoadedScenario, position) -> float:
    """How high a scenario position stands above the scenario's ground there."""
    from gbad.runworld import make_ground

    lat, lon, alt = position.to_geodetic(loaded.model.scenario.origin)
    return float(alt - float(np.asarray(make_ground(loaded).height_m(lat, lon))))


def mast_height_m(loaded: LoadedScenario, radar_index: int) -> float:
    """A radar's antenna height above the ground: `mast_m`, else as at its own site."""
    radar = loaded.model.radars[radar_index]
    if radar.mast_m is not None:
        return float(radar.mast_m)
    return max(0.0, height_above_ground_m(loaded, radar.position))


def geometry(loaded: LoadedScenario, east, north):
    """(lat, lon, ground height) of local points, and the ground and 4/3-earth radius."""
    from gbad.earth.refraction import effective_earth_radius_m
    from gbad.earth.wgs84 import enu2geodetic
    from gbad.runworld import make_ground

    o = loaded.model.scenario.origin
    ground = make_ground(loaded)
    lat, lon, _ = enu2geodetic(np.asarray(east, float), np.asarray(north, float),
                               np.zeros(np.shape(east)), o.lat_deg, o.lon_deg, o.alt_m)  # fmt: skip
    h = np.asarray(ground.height_m(lat, lon), dtype=float)
    radius = float(effective_earth_radius_m(loaded.model.scenario.refractivity_gradient_per_m))
    return lat, lon, h, ground, radius


def cover_matrix(loaded: LoadedScenario, index: int, sites_e: NDArray, sites_n: NDArray,
                 cells_e: NDArray, cells_n: NDArray, heights_m, rcs_m2: float,
                 mast_m: float, tick: Tick | None = None) -> NDArray[np.bool_]:  # fmt: skip
    """(sites, cells × heights): whether radar ``index``, its antenna ``mast_m`` above the
    ground at each candidate site, sees each cell's target at each height."""
    clat, clon, cground, ground, radius = geometry(loaded, cells_e, cells_n)
    _, _, sground, _, _ = geometry(loaded, sites_e, sites_n)
    out = np.zeros((len(sites_e), len(cells_e) * len(heights_m)), dtype=bool)
    for j in range(len(sites_e)):
        if tick:
            tick(j, len(sites_e))
        radar = site_radar(loaded, index, sites_e[j], sites_n[j], sground[j], mast_m)
        for k, h in enumerate(heights_m):
            visible = seen(radar, clat, clon, cground + h, ground, radius, rcs_m2)
            out[j, k * len(cells_e) : (k + 1) * len(cells_e)] = visible
    return out


#: Step (m) at which a threat axis is sampled.
AXIS_STEP_M = 500.0


def threat_axes(loaded: LoadedScenario, kinds=("cruise_missile",)) -> list[tuple[NDArray, ...]]:
    """The scenario's route threats of ``kinds`` (every route threat where none is of
    them): each path from its first waypoint to its last, sampled every `AXIS_STEP_M`,
    as (east, north, distance still to fly), farthest first."""
    from gbad.laydown.zones import _enu

    o = loaded.model.scenario.origin
    routes = [t for t in loaded.model.threats if t.route and t.kind in kinds]
    routes = routes or [t for t in loaded.model.threats if t.route]
    axes = []
    for threat in routes:
        pts = [p.to_geodetic(o) for p in threat.route]
        e, n = _enu(loaded, [p[0] for p in pts], [p[1] for p in pts])
        seg = np.hypot(np.diff(e), np.diff(n))
        along = np.concatenate([[0.0], np.cumsum(seg)])
        s = np.arange(0.0, along[-1], AXIS_STEP_M)
        ae, an, togo = np.interp(s, along, e), np.interp(s, along, n), along[-1] - s
        from gbad.laydown.zones import on_the_ground

        mapped = on_the_ground(loaded, ae, an)  # the axis as far as the DEM reaches
        axes.append((ae[mapped], an[mapped], togo[mapped]))
    return axes


def warning_cover(loaded: LoadedScenario, index: int, sites_e: NDArray, sites_n: NDArray,
                  axes, height_m: float, rcs_m2: float, mast_m: float, tick: Tick | None = None
                  ) -> tuple[NDArray[np.bool_], NDArray]:  # fmt: skip
    """`low-altitude-warning` as a covering problem. Along each axis, a target ``height_m``
    above the ground is first seen at some point; the distance it has still to fly there
    is the warning. Written as Σ_k Δ_k·[some point at or before k is seen] (Δ_k the
    distance from point k to the next), it is a covering of the (axis, point) pairs with
    weights Δ_k / axes: the value of a laydown is the mean warning distance (m) over the
    axes. Returns the (sites, pairs) cover and the weights."""
    covers, weights = [], []
    _, _, sground, _, _ = geometry(loaded, sites_e, sites_n)
    geo = [geometry(loaded, e, n) for e, n, _ in axes]
    for j in range(len(sites_e)):
        if tick:
            tick(j, len(sites_e))
        radar = site_radar(loaded, index, sites_e[j], sites_n[j], sground[j], mast_m)
        row = []
        for lat, lon, h, ground, radius in geo:
            visible = seen(radar, lat, lon, h + height_m, ground, radius, rcs_m2)
            row.append(np.logical_or.accumulate(visible))
        covers.append(np.concatenate(row) if row else np.zeros(0, bool))
    for _, _, togo in axes:
        weights.append(-np.diff(np.concatenate([togo, [0.0]])) / max(len(axes), 1))
    return np.array(covers), (np.concatenate(weights) if weights else np.zeros(0))
