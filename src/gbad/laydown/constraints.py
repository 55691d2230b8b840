"""The laydown's constraints (the scenario's ``[laydown]`` table, docs/laydown.md).

Each placed item's candidate sites are first cut to those where:
- the ground's slope lies within [``slope_min_deg``, ``slope_max_deg``] (central
  differences of the scenario's ground `SLOPE_STEP_M` either side);
- a road of ``road.file`` passes within ``road.buffer_m``;
- every position the item carries keeps ``min_spacing_m`` from every item that stays;
- a launcher stands within ``max_from_battery_radar_m`` of its battery's radar, where
  that radar stays.

Between two placed items (`Pair`): ``min_spacing_m`` between what they carry, and a
launcher within ``max_from_battery_radar_m`` of its battery's radar where both move.
A pair's ``allowed`` (sites of a, sites of b) enters the programme as one row per site
k of b: x_bk + Σ_{j not allowed with k} x_aj ≤ 1.

A constraint that no site (or no pair of sites) meets is an error naming the item and
the constraint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gbad.laydown.zones import Item, LaydownError, all_items, zone_file
from gbad.scenario.loader import LoadedScenario

#: Half the baseline (m) of the slope's central differences.
SLOPE_STEP_M = 30.0


@dataclass(frozen=True)
class Pair:
    a: int  # placed item indices
    b: int
    allowed: NDArray[np.bool_]  # (sites of a, sites of b)
    rule: str  # the constraint, as the scenario names it


def slope_deg(loaded: LoadedScenario, east, north) -> NDArray:
    """The ground's slope (deg from level) at local points."""
    from gbad.laydown.objectives import geometry

    e, n = np.asarray(east, float), np.asarray(north, float)
    d = SLOPE_STEP_M
    h = [geometry(loaded, e + de, n + dn)[2] for de, dn in ((d, 0), (-d, 0), (0, d), (0, -d))]
    grad = np.hypot((h[0] - h[1]) / (2 * d), (h[2] - h[3]) / (2 * d))
    return np.degrees(np.arctan(np.nan_to_num(grad)))


def _roads(loaded: LoadedScenario):
    """The road network as one shapely geometry in east, north (m), buffered."""
    from shapely.geometry import LineString, MultiLineString
    from shapely.ops import unary_union

    from gbad.laydown.zones import _enu, geojson_features

    road = loaded.model.laydown.road
    path = zone_file(loaded, road.file, "laydown.road.file")
    try:
        lines = []
        for k, (geom, _) in enumerate(geojson_features(path)):
            kind = geom.get("type")
            parts = {"LineString": [geom.get("coordinates")],
                     "MultiLineString": geom.get("coordinates")}.get(kind)  # fmt: skip
            if parts is None:
                raise ValueError(f"feature {k} is a {kind!r}; give LineStrings")
            for part in parts:
                ring = np.asarray(part, dtype=float)
                if ring.ndim != 2 or len(ring) < 2:
                    raise ValueError(f"feature {k}: a line needs two [lon, lat] points or more")
                e, n = _enu(loaded, ring[:, 1], ring[:, 0])
                lines.append(LineString(np.column_stack([e, n])))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LaydownError(str(path), [f"laydown.road.file: not GeoJSON lines: {exc}"]) from None
    if not lines:
        raise LaydownError(str(path), ["laydown.road.file: no line in the file"])
    return unary_union(MultiLineString(lines)).buffer(road.buffer_m)


def _staying(
    loaded: LoadedScenario, placed: list[Item]
) -> list[tuple[str, float, float, int | None]]:
    """(name, east, north, radar index or None) of every radar and launcher that stays."""
    moved_radars = {it.radar for it in placed if it.radar is not None}
    moved_launchers = {ln for it in placed for ln in it.launchers}
    out = []
    for it in all_items(loaded):
        if it.kind == "radar" and it.radar not in moved_radars:
            out.append((it.where, *it.own, it.radar))
        if it.kind == "launcher" and it.launchers[0] not in moved_launchers:
            out.append((it.where, *it.own, None))
    return out


def _battery_radar(loaded: LoadedScenario, item: Item) -> int | None:
    """The radar index of a launcher item's battery."""
    if item.kind != "launcher":
        return None
    bat = loaded.model.batteries[item.battery]
    return next(i for i, r in enumerate(loaded.model.radars) if r.id == bat.radar)


def filter_sites(loaded: LoadedScenario, item: Item, placed: list[Item], e, n) -> NDArray[np.bool_]:
    """Which of the item's sites meet the site constraints; an error where none does."""
    table = loaded.model.laydown
    keep = np.ones(len(e), dtype=bool)

    def cut(mask, rule: str, detail: str) -> None:
        nonlocal keep
        if not (keep & mask).any():
            raise LaydownError(loaded.source, [
                f"{item.where}.candidates: no candidate site meets {rule} ({detail}); widen "
                "the zone or relax the constraint"])  # fmt: skip
        keep &= mask

    if table.slope_min_deg > 0 or table.slope_max_deg is not None:
        s = slope_deg(loaded, e, n)
        hi = table.slope_max_deg if table.slope_max_deg is not None else 90.0
        cut((s >= table.slope_min_deg) & (s <= hi),
            f"laydown.slope_min_deg/slope_max_deg = [{table.slope_min_deg}, {hi}] deg",
            f"the zone's {len(e)} sites have slopes of {s.min():.1f} to {s.max():.1f} deg")  # fmt: skip
    if table.road is not None:
        import shapely

        near = shapely.contains_xy(_roads(loaded), e, n)
        cut(near, f"laydown.road (within {table.road.buffer_m:g} m of {table.road.file})",
            f"none of its {len(e)} sites is")  # fmt: skip
    staying = _staying(loaded, placed)
    if table.min_spacing_m > 0 and staying:
        se = np.array([s[1] for s in staying])
        sn = np.array([s[2] for s in staying])
        gap = np.full(len(e), np.inf)
        for de, dn in item.footprint:
            d = np.hypot((e + de)[:, None] - se[None, :], (n + dn)[:, None] - sn[None, :])
            gap = np.minimum(gap, d.min(axis=1))
        cut(gap >= table.min_spacing_m, f"laydown.min_spacing_m = {table.min_spacing_m:g} m "
            "from the items that stay", f"its sites come within {gap.max():.0f} m at best")  # fmt: skip
    limit = table.max_from_battery_radar_m
    r = _battery_radar(loaded, item)
    if limit is not None and r is not None and r not in {it.radar for it in placed}:
        here = next(s for s in staying if s[3] == r)
        d = np.hypot(e - here[1], n - here[2])
        cut(d <= limit, f"laydown.max_from_battery_radar_m = {limit:g} m",
            f"its sites lie {d.min():.0f} m or more from {here[0]}")  # fmt: skip
    return keep


def pairs(loaded: LoadedScenario, placed: list[Item], sites: list) -> list[Pair]:
    """The constraints between placed items; an error where a pair cannot meet one."""
    table = loaded.model.laydown
    out = []
    for a in range(len(placed)):
        for b in range(a + 1, len(placed)):
            ia, ib = placed[a], placed[b]
            (ea, na), (eb, nb) = sites[a], sites[b]
            if table.min_spacing_m > 0:
                gap = np.full((len(ea), len(eb)), np.inf)
                for da in ia.footprint:
                    for db in ib.footprint:
                        gap = np.minimum(gap, np.hypot((ea + da[0])[:, None] - (eb + db[0])[None, :],
                                                       (na + da[1])[:, None] - (nb + db[1])[None, :]))  # fmt: skip
                out.append(Pair(a, b, gap >= table.min_spacing_m,
                                f"laydown.min_spacing_m = {table.min_spacing_m:g} m"))  # fmt: skip
            limit = table.max_from_battery_radar_m
            for x, y, (ex, nx), (ey, ny) in (
                (a, b, sites[a], sites[b]),
                (b, a, sites[b], sites[a]),
            ):
                if limit is not None and _battery_radar(loaded, placed[y]) == placed[x].radar:
                    d = np.hypot(ex[:, None] - ey[None, :], nx[:, None] - ny[None, :])
                    allowed = d <= limit
                    out.append(
                        Pair(x, y, allowed, f"laydown.max_from_battery_radar_m = {limit:g} m")
                    )
    for p in out:
        if not p.allowed.any():
            raise LaydownError(loaded.source, [
                f"{placed[p.a].where} and {placed[p.b].where}: no pair of their candidate sites "
                f"meets {p.rule}; move or widen their zones, or relax the constraint"])  # fmt: skip
    return out


def violations(rules: list[Pair], choice) -> int:
    """How many pair constraints the choice (a site per placed item) breaks."""
    return sum(not p.allowed[choice[p.a], choice[p.b]] for p in rules)
