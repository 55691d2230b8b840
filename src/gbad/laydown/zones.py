"""What `gbad laydown` may move (`Item`: a radar, a battery whole, a launcher) and its
candidate sites: the points of a grid inside the item's zone (a circle, or a GeoJSON
polygon in the scenario's folder), in the scenario's local east-north frame."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from gbad.errors import InputError
from gbad.scenario.loader import LoadedScenario

#: Candidates a zone is given when no spacing is asked for (about).
DEFAULT_SITES = 150


class LaydownError(InputError):
    what = "laydown"


def _enu(loaded: LoadedScenario, lat, lon) -> tuple[NDArray, NDArray]:
    from gbad.earth.wgs84 import geodetic2enu

    o = loaded.model.scenario.origin
    e, n, _ = geodetic2enu(np.asarray(lat, float), np.asarray(lon, float), o.alt_m,
                           o.lat_deg, o.lon_deg, o.alt_m)  # fmt: skip
    return np.asarray(e, float), np.asarray(n, float)


@dataclass(frozen=True)
class Item:
    """Something `gbad laydown` places: a radar, a battery (its radar with its launchers
    about it, kept in place), or one launcher. Its *site* is where its radar stands (a
    radar's, a battery's) or the launcher itself."""

    kind: str  # "radar" | "battery" | "launcher"
    id: str
    where: str  # how the scenario names it: "radars[1] (id 'lrsr')"
    zone: object  # CandidateCircle | str | None
    radar: int | None  # the radar it carries (index into the scenario's radars)
    launchers: tuple[tuple[int, int], ...]  # (battery, launcher) it carries
    battery: int | None  # its battery (a battery's own, a launcher's)
    own: tuple[float, float]  # where it stands now (east, north, m)
    #: Every position it carries, from its site (east, north, m): (0, 0) first.
    footprint: tuple[tuple[float, float], ...]


def _local(loaded: LoadedScenario, pos) -> tuple[float, float]:
    if pos.is_geodetic:
        e, n = _enu(loaded, [pos.lat_deg], [pos.lon_deg])
        return float(e[0]), float(n[0])
    return float(pos.east_m or 0.0), float(pos.north_m or 0.0)


def all_items(loaded: LoadedScenario) -> list[Item]:
    """Every radar, battery and launcher as an item (whether it has a zone or not)."""
    model = loaded.model
    radar_of = {r.id: i for i, r in enumerate(model.radars)}
    out = []
    for i, r in enumerate(model.radars):
        own = _local(loaded, r.position)
        out.append(Item("radar", r.id, f"radars[{i}] (id {r.id!r})", r.candidates, i, (), None,
                        own, ((0.0, 0.0),)))  # fmt: skip
    for b, bat in enumerate(model.batteries):
        r = radar_of[bat.radar]
        own = _local(loaded, model.radars[r].position)
        where = [_local(loaded, ln.position) for ln in bat.launchers]
        foot = ((0.0, 0.0), *((e - own[0], n - own[1]) for e, n in where))
        out.append(Item("battery", bat.id, f"batteries[{b}] (id {bat.id!r})", bat.candidates, r,
                        tuple((b, k) for k in range(len(bat.launchers))), b, own, foot))  # fmt: skip
        for k, ln in enumerate(bat.launchers):
            out.append(Item("launcher", ln.id, f"batteries[{b}].launchers[{k}] (id {ln.id!r})",
                            ln.candidates, None, ((b, k),), b, where[k], ((0.0, 0.0),)))  # fmt: skip
    return out


def placeable(loaded: LoadedScenario, place=()) -> list[Item]:
    """The items to place: those ``place`` names, else every one with a zone."""
    items = all_items(loaded)
    ids = [it.id for it in items]
    missing = [p for p in place if p not in ids]
    if missing:
        raise LaydownError(f"--place {' '.join(missing)}",
                           [f"no such radar, battery or launcher; the scenario has {', '.join(ids)}"])  # fmt: skip
    chosen = [it for it in items if (it.id in place if place else it.zone is not None)]
    if not chosen:
        raise LaydownError(loaded.source, ["no radar, battery or launcher has `candidates`: "
                                           "nothing to place"])  # fmt: skip
    for it in chosen:
        if it.kind == "battery":
            inside = [o.where for o in chosen if o is not it and (o.radar == it.radar
                      or (o.kind == "launcher" and o.battery == it.battery))]  # fmt: skip
            if inside:
                raise LaydownError(f"--place {' '.join(place)}" if place else loaded.source, [
                    f"{it.where} moves its radar and launchers with it; place it or "
                    f"{', '.join(inside)}, not both"])  # fmt: skip
    return chosen


def zone_polygon(loaded: LoadedScenario, item: Item):
    """The item's candidate zone as a shapely polygon in east, north (m)."""
    import shapely
    from shapely.geometry import Point, Polygon
    from shapely.validation import explain_validity

    where = f"{item.where}.candidates"
    zone = item.zone
    if zone is None:
        raise LaydownError(
            loaded.source, [f"{where}: none given; this {item.kind} cannot be placed"]
        )
    if not isinstance(zone, str):
        c = zone.center
        if c.is_geodetic:
            e, n = _enu(loaded, [c.lat_deg], [c.lon_deg])
            e0, n0 = float(e[0]), float(n[0])
        else:
            e0, n0 = float(c.east_m or 0.0), float(c.north_m or 0.0)
        return Point(e0, n0).buffer(zone.radius_m, quad_segs=32)
    path = zone_file(loaded, zone, where)
    try:
        geom = geojson_features(path)[0][0]
        if geom.get("type") != "Polygon":
            raise ValueError(f"a {geom.get('type')!r} geometry; give one Polygon")
        ring = np.asarray(geom["coordinates"][0], dtype=float)
        if ring.ndim != 2 or ring.shape[1] < 2:
            raise ValueError("its ring is not a list of [lon, lat] pairs")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LaydownError(str(path), [f"{where}: not a GeoJSON polygon: {exc}"]) from None
    e, n = _enu(loaded, ring[:, 1], ring[:, 0])
    poly = Polygon(np.column_stack([e, n]))
    if poly.is_empty or poly.area <= 0.0:
        raise LaydownError(str(path), [f"{where}: the polygon is empty (no area)"])
    if not poly.is_valid:
        raise LaydownError(str(path), [f"{where}: the polygon is not valid: {explain_validity(poly)} "
                                       "(a self-intersecting ring?)"])  # fmt: skip
    return shapely.normalize(poly)


def geojson_features(path: Path) -> list[tuple[dict, dict]]:
    """(geometry, properties) of each feature of a GeoJSON file (a FeatureCollection, a
    Feature or a bare geometry); a malformed one raises ValueError, KeyError or TypeError."""
    doc = json.loads(path.read_text())
    features = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
    return [(f.get("geometry", f), f.get("properties") or {}) for f in features]


def zone_file(loaded: LoadedScenario, name: str, where: str) -> Path:
    from gbad.scenario.loader import within_folder

    path = within_folder(loaded.base_dir, name)
    if path is None:
        raise LaydownError(loaded.source, [f"{where}: {name!r} lies outside the scenario's folder"])
    if not path.is_file():
        folder = os.path.normpath(loaded.base_dir.absolute())
        raise LaydownError(loaded.source, [f"{where}: no file {name!r} in {folder}"])
    return path


def on_the_ground(loaded: LoadedScenario, east, north) -> NDArray[np.bool_]:
    """Which local points the scenario's ground has a height for (all, without a DEM)."""
    import copy

    from gbad.earth.wgs84 import enu2geodetic
    from gbad.runworld import make_ground

    ground = make_ground(loaded)
    east, north = np.asarray(east, float), np.asarray(north, float)
    if not hasattr(ground, "no_data_height_m"):
        return np.ones(east.shape, dtype=bool)
    probe = copy.copy(ground)
    probe.no_data_height_m = float("nan")
    o = loaded.model.scenario.origin
    lat, lon, _ = enu2geodetic(east, north, np.zeros_like(east), o.lat_deg, o.lon_deg, o.alt_m)
    return np.isfinite(np.asarray(probe.height_m(lat, lon), dtype=float))


def candidate_sites(loaded: LoadedScenario, item: Item, spacing_m: float | None = None,
                    own: bool = True) -> tuple[NDArray, NDArray, float]:  # fmt: skip
    """The grid points inside the item's zone: east, north (m) and the spacing; its own
    site first among them where it lies in the zone (``own``), so that the optimum is
    never worse than the planner's own choice."""
    import shapely

    poly = zone_polygon(loaded, item)
    if own and shapely.contains_xy(poly, *item.own):
        e, n, spacing = candidate_sites(loaded, item, spacing_m, own=False)
        return np.concatenate([[item.own[0]], e]), np.concatenate([[item.own[1]], n]), spacing
    spacing = spacing_m or math.sqrt(poly.area / DEFAULT_SITES)
    x0, y0, x1, y1 = poly.bounds
    xs = np.arange(x0 + 0.5 * spacing, x1, spacing)
    ys = np.arange(y0 + 0.5 * spacing, y1, spacing)
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(poly, gx.ravel(), gy.ravel())
    if not inside.any():
        # A zone narrower than the spacing: its centroid stands for it.
        c = poly.representative_point()
        e, n = np.array([c.x]), np.array([c.y])
    else:
        e, n = gx.ravel()[inside], gy.ravel()[inside]
    mapped = on_the_ground(loaded, e, n)
    if not mapped.any():
        raise LaydownError(loaded.source, [
            f"{item.where}.candidates: the zone lies outside the "
            f"scenario's DEM ({loaded.model.scenario.dem}); move it onto the map"
        ])  # fmt: skip
    return e[mapped], n[mapped], spacing
