"""Coverage maps: where each radar sees a target at a given height, and with what Pd.

The front door is `coverage_maps` (the command line's ``gbad coverage``). Per radar and
target height above the ground, on the scenario's DEM grid (its own CRS) or, over flat
ground, a local UTM grid around the radars:

- ``<radar>/los_<H>m.tif``: line of sight, 1 seen, 0 hidden by the ground or the
  earth's curvature (4/3 earth), 255 no data (`_viewshed`);
- ``<radar>/pd_<H>m.tif``: single-look Pd of a target of the given RCS there: the
  radar equation from the radar's reference point, its Swerling case, pulses and Pfa
  (read from a 0.01 dB table, within 1e-5), zero outside its coverage limits (range,
  elevation, sector) or out of sight;
- ``<radar>/pd_<H>m.geojson``: the Pd 0.5 and 0.9 contours, WGS 84 (RFC 7946);
- ``<radar>/pd_<H>m.png``: the Pd map over a hillshade of the ground, axes in km;
- ``<battery>/engagement_<class>_<H>m.tif`` and ``.geojson``: the battery's engagement
  zone against a target class at that height (`engagement_zone`);
- ``<radar>/locating_<munition>.tif`` and ``.geojson``, for a weapon-locating radar: the
  firing points whose rounds rise through its fence (`gbad.coverage.zones`).

Every file says it is simulated, with public, nominal parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from gbad.coverage._viewshed import NO_DATA, viewshed
from gbad.coverage.files import write_contours, write_picture, write_tif
from gbad.coverage.grid import Grid, dem_grid, flat_grid
from gbad.earth.refraction import effective_earth_radius_m
from gbad.earth.wgs84 import geodetic2ecef
from gbad.errors import InputError
from gbad.record import SIMULATED_NOTE, write_text
from gbad.scenario.loader import LoadedScenario
from gbad.sensors.detection import pd_from_snr

__all__ = ["CoverageResult", "coverage_maps", "engagement_zone", "los_and_pd", "radar_grid"]

#: Pd levels drawn as contours.
CONTOUR_PD = (0.5, 0.9)


class CoverageError(InputError):
    what = "coverage"


@dataclass
class CoverageResult:
    out: Path
    files: dict[str, list[Path]] = field(default_factory=dict)  # per radar or battery id
    #: (radar or battery id, height) → (what is counted, its share of the map's cells).
    shares: dict[tuple[str, float], tuple[str, float]] = field(default_factory=dict)

    @property
    def share(self) -> dict[tuple[str, float], float]:
        return {k: v for k, (_, v) in self.shares.items()}


def los_and_pd(
    grid: Grid, radar, height_m: float, rcs_m2: float, k_radius_m: float
) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """Line of sight (R, C; 1, 0 or `NO_DATA`) and single-look Pd (NaN where no data) of a
    target ``height_m`` above each cell of ``grid`` for one radar (a `RadarModel`)."""
    xs, ys, rx, ry = grid.local_metres(radar.lat_deg, radar.lon_deg)
    los = np.empty(grid.heights.shape, dtype=np.uint8)
    viewshed(np.ascontiguousarray(grid.heights), np.ascontiguousarray(xs),
             np.ascontiguousarray(ys), rx, ry, radar.alt_m, height_m, k_radius_m, los)  # fmt: skip
    lat, lon = grid.lat_lon()
    pd = np.zeros(los.shape, dtype=np.float32)
    pd[los == NO_DATA] = np.nan
    seen = los == 1
    pos = np.stack(geodetic2ecef(lat[seen], lon[seen], grid.heights[seen] + height_m), axis=-1)
    az, el, rng, _ = radar.aer(pos, np.zeros_like(pos))
    inside = radar.in_coverage(az, el, rng)
    snr = radar.snr_constant * rcs_m2 / np.maximum(rng[inside], 1.0) ** 4
    values = np.zeros(len(rng))
    values[inside] = _pd(snr, radar)
    pd[seen] = values
    return los, pd


#: Step (dB) of the table Pd is read from on a large map: linear interpolation on it
#: is within 1e-5 of the exact Pd.
PD_TABLE_STEP_DB = 0.01


def _pd(snr: NDArray, radar) -> NDArray:
    """Single-look Pd of per-pulse SNRs: exact (`pd_from_snr`) for a few, from a 0.01 dB
    table for a map's hundreds of thousands (each exact value inverts a gamma function)."""
    if snr.size < 20_000:
        return pd_from_snr(snr, radar.pfa, radar.n_pulses, radar.swerling)
    db = 10.0 * np.log10(np.maximum(snr, 1e-30))
    table_db = np.arange(db.min(), db.max() + 2 * PD_TABLE_STEP_DB, PD_TABLE_STEP_DB)
    table = pd_from_snr(10.0 ** (table_db / 10.0), radar.pfa, radar.n_pulses, radar.swerling)
    return np.interp(db, table_db, table)


#: A battery engages where its radar's single-look Pd of the class reaches this.
ENGAGE_PD = 0.5


def engagement_zone(
    grid: Grid, loaded: LoadedScenario, battery, radars, height_m: float, target_class: str,
    k_radius_m: float,
) -> NDArray[np.uint8]:  # fmt: skip
    """1 where a target of ``target_class`` (its nominal RCS), ``height_m`` above the
    cell's ground, can be engaged by ``battery``: its radar sees it (in sight, inside
    coverage, single-look Pd ≥ `ENGAGE_PD`), and it lies inside its interceptor's
    envelope from some launcher (slant range between the profile's minimum and maximum,
    height above the ground at most its maximum altitude). 0 elsewhere, `NO_DATA` where
    the ground has no height. The static zone of the point, not of a path: how long a
    target stays in it, and so how many shots it draws, is the run's business."""
    from gbad.engagement.battery import battery_interceptor
    from gbad.scenario.schema import DEFAULT_RCS_M2

    radar = next(r for r in radars if r.id == battery.radar)
    los, pd = los_and_pd(grid, radar, height_m, DEFAULT_RCS_M2[target_class], k_radius_m)
    prof = battery_interceptor(battery)
    zone = np.where(los == NO_DATA, NO_DATA, 0).astype(np.uint8)
    if height_m > prof.max_altitude_m:
        return zone
    seen = np.flatnonzero(np.nan_to_num(pd).ravel() >= ENGAGE_PD)
    lat, lon = grid.lat_lon()
    target = np.stack(
        geodetic2ecef(lat.ravel()[seen], lon.ravel()[seen], grid.heights.ravel()[seen] + height_m),
        axis=-1,
    )
    o = loaded.model.scenario.origin
    sites = np.array([geodetic2ecef(*ln.position.to_geodetic(o)) for ln in battery.launchers])
    # Every target here is height_m above its ground, within the ceiling (checked above).
    reach = prof.reaches(sites, target, np.full(len(target), height_m)).any(axis=0)
    zone.ravel()[seen[reach]] = 1
    return zone


def radar_grid(loaded: LoadedScenario, radar, resolution_m: float | None) -> Grid:
    """The scenario's DEM grid, or over flat ground a UTM grid centred on the radar and
    reaching its maximum range."""
    hdr = loaded.model.scenario
    if hdr.dem is not None:
        return dem_grid(loaded.base_dir / hdr.dem, hdr.dem_height_offset_m, resolution_m)
    return flat_grid(radar.lat_deg, radar.lon_deg, radar.range_max_m, hdr.origin.alt_m,
                     resolution_m)  # fmt: skip


def _share(values: NDArray) -> float:
    ok = values != NO_DATA
    return float(np.mean(values[ok] == 1)) if ok.any() else 0.0


def _radar_maps(result: CoverageResult, grid: Grid, radar, h: float, rcs_m2: float,
                k_radius: float) -> None:  # fmt: skip
    los, pd = los_and_pd(grid, radar, h, rcs_m2, k_radius)
    folder = result.out / radar.id
    about = {"radar": radar.id, "target_height_agl_m": h, "rcs_m2": rcs_m2}
    title = f"{radar.id}: Pd of {rcs_m2:g} m² at {h:g} m above ground"
    result.files.setdefault(radar.id, []).extend([
        write_tif(folder / f"los_{h:g}m.tif", los, grid, NO_DATA, about),
        write_tif(folder / f"pd_{h:g}m.tif", pd, grid, np.nan, about),
        write_contours(folder / f"pd_{h:g}m.geojson", pd, grid, CONTOUR_PD, about),
        write_picture(folder / f"pd_{h:g}m.png", pd, grid, radar, title),
    ])  # fmt: skip
    result.shares[(radar.id, h)] = ("in sight", _share(los))


def _zone_files(result: CoverageResult, stem: Path, zone: NDArray, grid: Grid, about: dict,
                key: tuple[str, float], what: str, picture=None) -> None:  # fmt: skip
    """A 0/1 zone's GeoTIFF, the GeoJSON of its edge and (given a radar and title) a picture."""
    files = result.files.setdefault(key[0], [])
    files.append(write_tif(stem.with_suffix(".tif"), zone, grid, NO_DATA, about))
    files.append(write_contours(stem.with_suffix(".geojson"), zone.astype(np.float32), grid,
                                (0.5,), about, quantity=what))  # fmt: skip
    if picture is not None:
        radar, title = picture
        files.append(write_picture(stem.with_suffix(".png"), zone, grid, radar, title,
                                   f"{what} (1)", (0.5,)))  # fmt: skip
    result.shares[key] = (what, _share(zone))


def _locating_maps(result, loaded, locators, grid_of, k_radius, progress) -> None:
    from gbad.coverage.zones import locating_zone
    from gbad.locating.locate import WEAPON_CLASSES
    from gbad.runworld import make_ground

    ground = make_ground(loaded)
    for radar in locators:
        for cls in WEAPON_CLASSES:
            name = cls.munition.name
            if progress:
                progress(f"{radar.id}'s locating zone for a {name}")
            zone, coarse = locating_zone(grid_of(radar), loaded, radar, name, ground, k_radius)
            title = f"{radar.id}: firing points of a {name} rising through its fence"
            _zone_files(result, result.out / radar.id / f"locating_{name}", zone, coarse,
                        {"radar": radar.id, "munition": name},
                        (f"{radar.id} locating {name}", 0.0), "locatable", (radar, title))  # fmt: skip


def coverage_maps(
    loaded: LoadedScenario,
    out: str | Path,
    heights_m: Sequence[float] = (50.0, 1000.0),
    rcs_m2: float = 1.0,
    resolution_m: float | None = None,
    radar_ids: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
    target_class: str = "cruise_missile",
) -> CoverageResult:
    """Every (radar, height)'s line-of-sight and Pd maps, contours and picture into ``out``,
    and every battery's engagement zone against ``target_class`` at each height."""
    from gbad.scenario.schema import DEFAULT_RCS_M2

    if target_class not in DEFAULT_RCS_M2:
        raise CoverageError(
            f"--target-class {target_class}", [f"choose one of {', '.join(DEFAULT_RCS_M2)}"]
        )
    from gbad.runworld import radar_models

    radars = radar_models(loaded)
    known = [r.id for r in radars]
    unknown = [i for i in radar_ids if i not in known]
    if unknown:
        raise CoverageError(
            ", ".join(unknown), [f"no such radar; the scenario has {', '.join(known)}"]
        )
    if not radars:
        raise CoverageError(loaded.source, ["the scenario has no radars"])
    if rcs_m2 <= 0 or not np.isfinite(rcs_m2):
        raise CoverageError(f"--rcs-m2 {rcs_m2}", ["give a positive RCS in m²"])
    bad = [h for h in heights_m if not np.isfinite(h) or h < 0]
    if bad or not heights_m:
        raise CoverageError(f"--height-m {bad}", ["give heights above the ground, 0 m or more"])
    chosen = [r for r in radars if not radar_ids or r.id in radar_ids]
    grids: dict[str, Grid] = {}

    def grid_of(radar) -> Grid:
        key = "dem" if loaded.model.scenario.dem is not None else radar.id
        if key not in grids:
            grids[key] = radar_grid(loaded, radar, resolution_m)
        return grids[key]

    k_radius = float(effective_earth_radius_m())
    out = Path(out)
    result = CoverageResult(out)
    for radar in chosen:
        for h in heights_m:
            if progress:
                progress(f"{radar.id} at {h:g} m")
            _radar_maps(result, grid_of(radar), radar, float(h), rcs_m2, k_radius)
    for battery in loaded.model.batteries if not radar_ids else ():
        grid = grid_of(next(r for r in radars if r.id == battery.radar))
        for h in heights_m:
            if progress:
                progress(f"{battery.id}'s engagement zone against {target_class} at {h:g} m")
            zone = engagement_zone(grid, loaded, battery, radars, float(h), target_class, k_radius)
            about = {"battery": battery.id, "target_class": target_class,
                     "target_height_agl_m": float(h), "rcs_m2": DEFAULT_RCS_M2[target_class]}  # fmt: skip
            _zone_files(result, out / battery.id / f"engagement_{target_class}_{h:g}m", zone,
                        grid, about, (battery.id, float(h)), "engageable")  # fmt: skip
    locators = [r for r in chosen if r.role == "weapon_locating"]
    if locators:
        _locating_maps(result, loaded, locators, grid_of, k_radius, progress)
    write_text(out / "coverage.json", json.dumps({
        "simulated": True, "note": SIMULATED_NOTE, "scenario": loaded.source,
        "crs": {k: g.crs.to_string() for k, g in grids.items()}, "rcs_m2": rcs_m2, "heights_m": list(heights_m),
        "engagement_target_class": target_class,
        "effective_earth_radius_m": k_radius,
        "share": {f"{r}@{h:g}m": v for (r, h), v in result.share.items()},
    }, indent=2) + "\n")  # fmt: skip
    return result
