"""A weapon-locating radar's locating zone: the firing points whose rounds it would see rise
through its fence."""

from __future__ import annotations

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from gbad.coverage._viewshed import NO_DATA
from gbad.coverage.grid import Grid
from gbad.earth.wgs84 import geodetic2ecef
from gbad.scenario.loader import LoadedScenario

#: The most firing points a locating zone flies, per side of its grid.
MAX_LAUNCH_CELLS = 80
#: Flights whose samples are tested together.
FLIGHT_BLOCK = 256
#: Step (s) of the flights: a round takes seconds to cross a fence hundreds of metres deep.
FLIGHT_DT_S = 0.2


def _window(grid: Grid, lat0: float, lon0: float, radius_m: float) -> Grid:
    """The part of the grid within ``radius_m`` of (lat0, lon0) (all of it if none is)."""
    lat, lon = grid.lat_lon()
    near = _ground_distance_m(lat, lon, lat0, lon0) <= radius_m
    rows, cols = np.flatnonzero(near.any(axis=1)), np.flatnonzero(near.any(axis=0))
    if rows.size < 2 or cols.size < 2:
        return grid
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    transform = grid.transform @ Affine.translation(c0, r0)  # type: ignore[operator]
    return Grid(grid.heights[r0:r1, c0:c1], grid.xs[c0:c1], grid.ys[r0:r1], grid.crs, transform)


def _ground_distance_m(lat: NDArray, lon: NDArray, lat0: float, lon0: float) -> NDArray:
    """Great-circle distance (m, mean earth radius) from (lat0, lon0)."""
    la, lo, la0 = np.radians(lat), np.radians(lon), np.radians(lat0)
    c = np.sin(la) * np.sin(la0) + np.cos(la) * np.cos(la0) * np.cos(lo - np.radians(lon0))
    return 6_371_000.0 * np.arccos(np.clip(c, -1.0, 1.0))


def aim_point(loaded: LoadedScenario) -> tuple[float, float, float]:
    """What the rounds are fired at: the first asset, else the scenario's origin."""
    o = loaded.model.scenario.origin
    if loaded.model.assets:
        return loaded.model.assets[0].position.to_geodetic(o)
    return o.lat_deg, o.lon_deg, o.alt_m


def locating_zone(
    grid: Grid, loaded: LoadedScenario, radar, munition: str, ground: object, k_radius_m: float
) -> tuple[NDArray[np.uint8], Grid]:
    """1 where a round of ``munition`` fired from the cell at the scenario's first asset
    (at its top charge and the middle of its elevation limits, from cells within that
    round's reach of it) rises through the radar's fence (its rows of beams above the
    terrain mask, in its sector and range); 0 where it does not or cannot reach the
    asset, `NO_DATA` where the ground has no height. On a grid of at most
    `MAX_LAUNCH_CELLS` a side (one flight per cell), returned with the map."""
    from gbad.sensors.weapon_locating import fence_base_deg
    from gbad.world.ballistic import fly
    from gbad.world.munitions import MUNITIONS

    profile = MUNITIONS[munition]
    a_lat, a_lon, a_alt = aim_point(loaded)
    elevation = 0.5 * (profile.elevation_min_deg + profile.elevation_max_deg)
    speed = profile.charges_mps[-1]
    # Only firing points within the round's reach of the aim: its range at this
    # elevation and top charge over flat ground. The map is the window of the grid
    # that holds them.
    full = fly(profile, a_lat, a_lon, a_alt, elevation, 0.0, speed, ground=a_alt)
    impact = full.pos_ecef_m[0, full.n_samples[0] - 1]
    reach_m = float(np.linalg.norm(impact - np.array(geodetic2ecef(a_lat, a_lon, a_alt))))
    coarse = _window(grid, a_lat, a_lon, reach_m).coarsened(MAX_LAUNCH_CELLS)
    lat, lon = coarse.lat_lon()
    h = coarse.heights
    zone = np.where(np.isfinite(h), 0, NO_DATA).astype(np.uint8)
    dist = _ground_distance_m(lat, lon, a_lat, a_lon)
    ok = np.flatnonzero((np.isfinite(h) & (dist <= reach_m)).ravel())
    la, lo = np.radians(lat.ravel()[ok]), np.radians(lon.ravel()[ok])
    # Initial great-circle bearing from each firing point to the aim point.
    dlon = np.radians(a_lon) - lo
    az = np.degrees(np.arctan2(
        np.sin(dlon) * np.cos(np.radians(a_lat)),
        np.cos(la) * np.sin(np.radians(a_lat)) - np.sin(la) * np.cos(np.radians(a_lat)) * np.cos(dlon),
    )) % 360.0  # fmt: skip
    # Flown to the apex, no further: the zone is where a round rises into the fence (an
    # upper bound on the time to it, drag slowing the climb; a rocket's burn added).
    to_apex_s = speed * np.sin(np.radians(elevation)) / 9.80665 + profile.burn_time_s
    if profile.powered:
        to_apex_s += profile.thrust_n / profile.burnout_mass_kg * profile.burn_time_s / 9.80665
    flight = fly(profile, lat.ravel()[ok], lon.ravel()[ok], h.ravel()[ok], elevation, az,
                 speed, ground=ground, max_time_s=float(to_apex_s), dt_s=FLIGHT_DT_S)  # fmt: skip
    base = fence_base_deg(radar, ground, k_radius_m)
    n_az = len(base)
    rows = radar.dwells.fence_rows if radar.dwells is not None else 2
    top = base + rows * radar.beamwidth_el_deg
    seen = np.zeros(len(ok), dtype=bool)
    samples = np.arange(flight.pos_ecef_m.shape[1])
    for b0 in range(0, len(ok), FLIGHT_BLOCK):
        # A block of flights at a time: every sample of every flight at once.
        m = slice(b0, min(b0 + FLIGHT_BLOCK, len(ok)))
        valid = (samples[None, :] >= 1) & (samples[None, :] < flight.n_samples[m, None])
        pos = flight.pos_ecef_m[m][valid]
        a, e, r, _ = radar.aer(pos, np.zeros_like(pos))
        col = np.floor(radar.sector_offset_deg(a) / radar.beamwidth_az_deg).astype(np.int64)
        inside = (col >= 0) & (col < n_az) & (r >= radar.range_min_m) & (r <= radar.range_max_m)
        c = np.clip(col, 0, n_az - 1)
        hit = inside & (e >= base[c]) & (e < top[c])
        owner = np.nonzero(valid)[0]
        seen[b0 + np.unique(owner[hit])] = True
    zone.ravel()[ok[seen]] = 1
    return zone, coarse
