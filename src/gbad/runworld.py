"""The world a run has: its draw of the variability, its ground and the locator's map,
its radars as they really are and as the estimators know them, and its sites in the
scenario's frame (for the report).

Each draw comes from its own stream of the run's seed (`WORLD_STREAM`, and one
`RADAR_ERROR_STREAM` child per radar), apart from the per-stage children of
:mod:`gbad.sim`, so a run's draw is the same whatever else the run does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from gbad.earth.terrain import FlatGround, Terrain
from gbad.earth.wgs84 import geodetic2enu
from gbad.scenario.loader import LoadedScenario
from gbad.sensors.radar import RadarModel
from gbad.world.variability import MappedGround, WorldDraw, WorldSigma, draw_world


def make_ground(loaded: LoadedScenario) -> FlatGround | Terrain:
    """The scenario's ground. A DEM is read once per file as it stands on disk (its path,
    size and modification time), however many parts of a command ask for it; callers
    must not change the `Terrain` they get (copy it first)."""
    hdr = loaded.model.scenario
    if hdr.dem is None:
        return FlatGround(hdr.origin.alt_m)
    path = loaded.base_dir / hdr.dem
    try:
        st = path.stat()
    except OSError:  # let the reader say what is wrong with it
        return Terrain.from_geotiff(path, height_offset_m=hdr.dem_height_offset_m)
    return _terrain(str(path.resolve()), hdr.dem_height_offset_m, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=2)
def _terrain(path: str, height_offset_m: float, size: int, mtime_ns: int) -> Terrain:
    return Terrain.from_geotiff(path, height_offset_m=height_offset_m)


#: Each radar's systematic errors' random stream (apart from the per-stage children).
RADAR_ERROR_STREAM = 2**31 - 3
#: The world's variability's random stream (`gbad.world.variability`).
WORLD_STREAM = 2**31 - 4


def world_draw(loaded: LoadedScenario, seed: int, run: int) -> WorldDraw:
    """The run's air, lots, refraction and map error (nominal under ``ideal``)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(run, WORLD_STREAM)))
    return draw_world(loaded.model, rng)


def drawn_radars(
    loaded: LoadedScenario, seed: int, run: int, n_objects: int, world: WorldDraw
) -> list[RadarModel]:
    """The radars as the run has them: each one's systematic errors drawn on its own
    stream (the scenario's radars as they stand under ``ideal``).

    A weapon-locating radar's error budget is whole: its angle floor and multipath
    wander about each object, and the refraction of the day is left over its
    standard correction. The air picture's radars keep a white floor and exact
    refraction correction [a limitation: the air tracker does not yet claim those]."""
    radars = radar_models(loaded)
    if loaded.model.variability.ideal:
        return radars
    # Bending κ·R/2 with κ = −dN/dh; the radar takes off the scenario's (standard) κ.
    residual = -0.5 * (
        world.refractivity_gradient_per_m - loaded.model.scenario.refractivity_gradient_per_m
    )
    out = []
    for i, rm in enumerate(radars):
        errors = np.random.default_rng(
            np.random.SeedSequence(seed, spawn_key=(run, RADAR_ERROR_STREAM, i))
        )
        if rm.role == "weapon_locating":
            out.append(rm.with_drawn_errors(errors, n_objects, residual))
        else:
            out.append(rm.with_drawn_errors(errors))
    return out


def locator_ground(loaded: LoadedScenario, world: WorldDraw) -> object:
    """The ground as the locator's map has it: the truth's plus the run's map error."""
    ground = make_ground(loaded)
    return ground if world.terrain_error is None else MappedGround(ground, world.terrain_error)


def radar_models(loaded: LoadedScenario) -> list[RadarModel]:
    """The scenario's radars as the estimators know them (perfect under ``ideal``)."""
    origin = loaded.model.scenario.origin
    radars = [RadarModel.from_scenario(r, origin) for r in loaded.model.radars]
    if loaded.model.variability.ideal:
        radars = [r.perfect() for r in radars]
    return radars


def world_sigma(loaded: LoadedScenario) -> WorldSigma:
    """What estimators know of the world's variability: its nominal σ."""
    return WorldSigma(loaded.model.variability, loaded.model.scenario.origin.alt_m)


def plan_extras(loaded: LoadedScenario) -> dict[str, Any]:
    """What the report's plan view draws besides the sites: each radar's maximum range and
    coverage outline (`gbad.coverage.outline`), each asset's radius, each launcher's
    place (east, north in m)."""
    from gbad.coverage.outline import OUTLINE_CLASS, OUTLINE_HEIGHT_M, OUTLINE_PD, coverage_outlines

    o = loaded.model.scenario.origin
    radars = radar_models(loaded)
    launchers = {}
    for b in loaded.model.batteries:
        for ln in b.launchers:
            lat, lon, alt = ln.position.to_geodetic(o)
            e, n, _ = geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m)
            launchers[ln.id] = (float(e), float(n))
    return {
        "radar_range_m": {r.id: r.range_max_m for r in radars},
        "coverage": coverage_outlines(loaded, radars),
        "coverage_label": (
            f"radar coverage: Pd ≥ {OUTLINE_PD:g}<br>{OUTLINE_CLASS.replace('_', ' ')} "
            f"{OUTLINE_HEIGHT_M:g} m above ground"
        ),
        "asset_radius_m": {a.id: a.radius_m for a in loaded.model.assets},
        "launchers": launchers,
    }


def scenario_sites(loaded: LoadedScenario) -> list[tuple[str, str, float, float]]:
    """Radars and assets in the ENU frame, for the report's plan view."""
    o = loaded.model.scenario.origin
    out = []
    for kind, items in (("radar", loaded.model.radars), ("asset", loaded.model.assets)):
        for item in items:
            lat, lon, alt = item.position.to_geodetic(o)
            e, n, _ = geodetic2enu(lat, lon, alt, o.lat_deg, o.lon_deg, o.alt_m)
            out.append((kind, item.id, float(e), float(n)))
    return out
