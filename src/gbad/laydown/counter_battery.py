"""`counter-battery`: the share of the likely firing areas whose rounds a weapon-locating
radar would see rise into its fence.

Firing areas are the ``[laydown] firing_areas`` GeoJSON polygons (lon/lat; a feature's
``munition`` property names its weapon), or else a circle of ``firing_area_radius_m``
about each of the scenario's firing positions (its shells', mortar bombs' and rockets',
with their munitions). Each area is sampled on a grid of about `POINTS_PER_AREA` firing
points; from each, a round of each of the area's munitions is aimed at the nearest asset
(its charge the highest, its trajectory the profile's own; `gbad.world.aiming`) and
flown in calm standard air without dispersion (`gbad.world.ballistic.fly`). Rounds
that cannot reach the asset are left out (a point that threatens nothing is no firing
position). A round is *seen* by a radar at a site when, while it climbs, it crosses
upwards through the lowest row of the radar's fence (`sensors.weapon_locating.
fence_base_deg`, over the terrain's mask) inside the radar's sector and range, where
its single-look Pd at the round's nominal RCS reaches 0.5:

    counter_battery = (1/A) Σ_a (1/R_a) Σ_{r ∈ a} max_i seen_i(r)

(R_a the rounds of area a). It is a covering of the rounds, solved exactly.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from gbad.laydown.objectives import geometry, mast_height_m, site_radar
from gbad.laydown.zones import LaydownError, _enu, geojson_features, zone_file
from gbad.scenario.loader import LoadedScenario

#: Firing points an area is sampled with (about).
POINTS_PER_AREA = 16
#: The single-look Pd at which a fence crossing counts as seen.
SEEN_PD = 0.5


def firing_areas(loaded: LoadedScenario) -> list[tuple[str, object, tuple[str, ...]]]:
    """(name, shapely polygon in east/north m, munitions) of every likely firing area."""
    from shapely.geometry import Point, shape
    from shapely.validation import explain_validity

    model = loaded.model
    table = model.laydown
    rounds = [t for t in model.threats if t.kind in ("shell", "mortar", "rocket")]
    if table.firing_areas is None:
        o = model.scenario.origin
        out: dict[tuple[float, float], tuple[str, set]] = {}
        for t in rounds:
            e, n, _ = t.launch.to_local(o)
            key = (round(e, 1), round(n, 1))
            name, munitions = out.get(key, (t.id, set()))
            munitions.add(t.munition_name)
            out[key] = (name, munitions)
        return [(name, Point(*key).buffer(table.firing_area_radius_m, quad_segs=16),
                 tuple(sorted(mun))) for key, (name, mun) in out.items()]  # fmt: skip
    where = "laydown.firing_areas"
    path = zone_file(loaded, table.firing_areas, where)
    default = tuple(sorted({t.munition_name for t in rounds})) or ("155mm-he",)
    from gbad.scenario.schema import MUNITION_NAMES

    try:
        areas = []
        for k, (geom, props) in enumerate(geojson_features(path)):
            if geom.get("type") != "Polygon":
                raise ValueError(f"feature {k} is a {geom.get('type')!r}; give Polygons")
            ring = np.asarray(geom["coordinates"][0], dtype=float)
            e, n = _enu(loaded, ring[:, 1], ring[:, 0])
            poly = shape({"type": "Polygon", "coordinates": [np.column_stack([e, n]).tolist()]})
            if poly.is_empty or poly.area <= 0 or not poly.is_valid:
                raise ValueError(f"feature {k} is not a valid polygon with area "
                                 f"({explain_validity(poly)})")  # fmt: skip
            mun = props.get("munition")
            if mun is not None and mun not in MUNITION_NAMES:
                raise ValueError(
                    f"feature {k}: munition {mun!r}; one of {', '.join(MUNITION_NAMES)}"
                )
            areas.append((str(props.get("name", f"area {k}")), poly, (mun,) if mun else default))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise LaydownError(str(path), [f"{where}: {exc}"]) from None
    if not areas:
        raise LaydownError(str(path), [f"{where}: no polygon in the file"])
    return areas


def _points(poly) -> tuple[NDArray, NDArray]:
    import shapely

    spacing = math.sqrt(poly.area / POINTS_PER_AREA)
    x0, y0, x1, y1 = poly.bounds
    gx, gy = np.meshgrid(
        np.arange(x0 + spacing / 2, x1, spacing), np.arange(y0 + spacing / 2, y1, spacing)
    )
    inside = shapely.contains_xy(poly, gx.ravel(), gy.ravel())
    if not inside.any():
        c = poly.representative_point()
        return np.array([c.x]), np.array([c.y])
    return gx.ravel()[inside], gy.ravel()[inside]


class Rounds:
    """The rounds fired from every firing area at the nearest asset, flown once."""

    def __init__(self, loaded: LoadedScenario) -> None:
        from gbad.earth.terrain import FlatGround
        from gbad.laydown.zones import on_the_ground
        from gbad.world.aiming import solve_aim
        from gbad.world.ballistic import fly
        from gbad.world.munitions import MUNITIONS

        model = loaded.model
        o = model.scenario.origin
        self.areas = firing_areas(loaded)
        assets = [a.position.to_geodetic(o) for a in model.assets] or [
            (o.lat_deg, o.lon_deg, o.alt_m)
        ]
        rows = []  # (area, munition, lat, lon)
        for a, (_, poly, munitions) in enumerate(self.areas):
            e, n = _points(poly)
            keep = on_the_ground(loaded, e, n)
            lat, lon, _, _, _ = geometry(loaded, e[keep], n[keep])
            for mun in munitions:
                rows += [(a, mun, la, lo) for la, lo in zip(lat, lon, strict=True)]
        if not rows:
            raise LaydownError(
                loaded.source, ["counter-battery: no firing area lies on the ground map"]
            )
        area = np.array([r[0] for r in rows])
        profiles = [MUNITIONS[r[1]] for r in rows]
        lat = np.array([r[2] for r in rows])
        lon = np.array([r[3] for r in rows])
        _, _, h, ground, self.radius_m = geometry(loaded, *_enu(loaded, lat, lon))
        # The nearest asset of each firing point is its aim.
        ae, an = _enu(loaded, [a[0] for a in assets], [a[1] for a in assets])
        pe, pn = _enu(loaded, lat, lon)
        near = np.argmin(np.hypot(pe[:, None] - ae[None, :], pn[:, None] - an[None, :]), axis=1)
        aim = np.array(assets)[near]
        _, _, aim_h, _, _ = geometry(loaded, ae[near], an[near])
        speed = np.array([p.charges_mps[-1] for p in profiles])
        ground_model = getattr(ground, "alt_m", None) if isinstance(ground, FlatGround) else ground
        el, az, _ = solve_aim(profiles, lat, lon, h, aim[:, 0], aim[:, 1], aim_h, speed,
                              [p.default_trajectory for p in profiles], ground=ground_model,
                              on_unreachable="nan")  # fmt: skip
        ok = np.isfinite(el) & np.isfinite(az)
        self.area = area[ok]
        self.kind = [profiles[i].kind for i in np.flatnonzero(ok)]  # for its nominal RCS
        if not ok.any():
            raise LaydownError(loaded.source, ["counter-battery: no firing area's rounds reach an "
                                               "asset; give `[laydown] firing_areas` in range"])  # fmt: skip
        self.flight = fly([profiles[i] for i in np.flatnonzero(ok)], lat[ok], lon[ok], h[ok],
                          el[ok], az[ok], speed[ok], ground=ground_model)  # fmt: skip
        self.ground = ground
        counts = np.bincount(self.area, minlength=len(self.areas))
        # Each area weighs alike, shared among its rounds; an area no round of which
        # reaches an asset weighs nothing.
        self.weights = 1.0 / (np.count_nonzero(counts) * counts[self.area])

    def cover(self, loaded: LoadedScenario, radar_index: int, e, n, tick=None) -> NDArray[np.bool_]:
        """(sites, rounds): whether the radar at each site sees each round rise into its fence."""
        from gbad.scenario.schema import DEFAULT_RCS_M2
        from gbad.sensors.detection import snr_per_pulse_required
        from gbad.sensors.weapon_locating import fence_base_deg

        f = self.flight
        n_r, k = f.t_s.shape
        valid = np.arange(k)[None, :] < f.n_samples[:, None]
        with np.errstate(invalid="ignore"):
            rising = valid & (f.t_s <= f.apogee_t_s[:, None])  # the climb, to the apogee
        pos = np.nan_to_num(f.pos_ecef_m.reshape(-1, 3))
        rcs = np.repeat([DEFAULT_RCS_M2[kind] for kind in self.kind], k)
        _, _, sground, _, _ = geometry(loaded, e, n)
        mast = mast_height_m(loaded, radar_index)
        out = np.zeros((len(e), n_r), dtype=bool)
        for j in range(len(e)):
            if tick:
                tick(j, len(e))
            radar = site_radar(loaded, radar_index, e[j], n[j], sground[j], mast)
            base = fence_base_deg(radar, self.ground, self.radius_m)
            az, el, rng, _ = radar.aer(pos, np.zeros_like(pos))
            col = np.floor(radar.sector_offset_deg(az) / radar.beamwidth_az_deg).astype(np.int64)
            inside = (col >= 0) & (col < len(base)) & radar.in_coverage(az, el, rng)
            need = float(snr_per_pulse_required(SEEN_PD, radar.pfa, radar.n_pulses, radar.swerling))
            loud = radar.snr_constant * rcs / np.maximum(rng, 1.0) ** 4 >= need
            over = el >= base[np.clip(col, 0, len(base) - 1)]
            over, ok = over.reshape(n_r, k), (inside & loud).reshape(n_r, k)
            # An upward crossing of the fence's lowest row between two samples of the climb.
            cross = ~over[:, :-1] & over[:, 1:] & ok[:, 1:] & rising[:, 1:]
            out[j] = cross.any(axis=1)
        return out
