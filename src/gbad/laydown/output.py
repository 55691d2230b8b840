"""What `gbad laydown` writes into its folder (replaced whole, with `run.json`'s manifest):

- ``scenario.toml``: the scenario with the chosen sites as positions (its own text
  otherwise, comments kept: tomlkit), valid under ``gbad validate``, with the files it
  names (its DEM, zones, roads, firing areas) copied beside it;
- ``laydowns.parquet``: the scenario's own laydown and the optimised one, with every
  objective's value (and the leakers' Monte Carlo, where asked);
- ``laydown.png``: the map of the zones, candidates, own and chosen sites, threat axes
  and the defended area's cells seen (over the DEM's heights where there is one);
- ``laydown.geojson``: the same as a layer (lon/lat) for `gbad serve --laydown`;
- ``laydown.json``: what was asked and found;
- with several objectives, ``pareto.parquet`` and ``pareto.png``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from gbad.laydown.zones import Item, zone_polygon
from gbad.record import SIMULATED_NOTE, atomic_write, write_parquet, write_text
from gbad.scenario.loader import LoadedScenario

UNITS = {"area-coverage": "share", "low-altitude-warning": "m", "engagement": "share",
         "counter-battery": "share", "leakers": "rounds"}  # fmt: skip


def column(name: str) -> str:
    """An objective's column name (its unit where it has one)."""
    return name.replace("-", "_") + ("_m" if UNITS[name] == "m" else "")


def write_all(out: Path, ctx, searched, items, sites, choice, placed, values, table, front,
              leak, exact: bool, budget_hit: bool) -> None:  # fmt: skip
    from gbad import __version__
    from gbad.record import staged_folder

    loaded = ctx.loaded
    about = {"command": "laydown", "gbad.scenario": loaded.model.scenario.name,
             "gbad.version": __version__}  # fmt: skip
    with staged_folder(out, about) as stage:
        write_text(stage / "scenario.toml", laydown_text(loaded, items, placed))
        _carry_files(loaded, stage)
        # ``table``: the own laydown, the optimised, the next best; every objective.
        columns = {"laydown": np.array(table["laydown"], dtype=object)}
        for name in UNITS:
            if name in table:
                columns[column(name)] = np.array(table[name], dtype=float)
        if leak:
            pad = [np.nan] * (len(table["laydown"]) - 2)
            columns["leakers"] = np.array([leak["own"]["mean"], leak["optimised"]["mean"], *pad])
            for name in ("ci_low", "ci_high", "runs"):
                columns[f"leakers_{name}"] = np.array(
                    [leak["own"][name], leak["optimised"][name], *pad]
                )
        for key, vals in table.items():
            if key.endswith(("_east_m", "_north_m")):
                columns[key] = np.array(vals, dtype=float)
        write_parquet(stage / "laydowns.parquet", columns)
        _picture(stage / "laydown.png", ctx, items, sites, choice, placed)
        write_text(
            stage / "laydown.geojson", json.dumps(layer(loaded, items, sites, placed)) + "\n"
        )
        method = ("maximal covering location problem, scipy.optimize.milp (HiGHS), exact"
                  if exact else
                  f"genetic search (pymoo {'NSGA-II' if len(searched) > 1 else 'GA'}), "
                  f"{front[2]} evaluations, not proven optimal")  # fmt: skip
        write_text(stage / "laydown.json", json.dumps({
            "simulated": True, "note": SIMULATED_NOTE, "scenario": loaded.source,
            "objectives": list(searched), "heights_m": list(ctx.heights_m), "rcs_m2": ctx.rcs_m2,
            "margin_m": ctx.margin_m, "cell_m": ctx.cell_m,
            "candidates": {it.id: len(sites[k][0]) for k, it in enumerate(items)},
            "constraints": loaded.model.laydown.model_dump(exclude_defaults=True),
            "chosen_east_north_m": placed,
            "values": {name: {"own": own, "optimised": best} for name, (own, best) in values.items()},
            "leakers_monte_carlo": leak or None,
            "method": method, "budget_spent": budget_hit,
        }, indent=2) + "\n")  # fmt: skip
        if front is not None and len(searched) > 1:
            _write_front(stage, searched, items, sites, front, choice)


def referenced_files(loaded: LoadedScenario) -> list[str]:
    """The files the scenario names (relative to its folder, or absolute)."""
    m = loaded.model
    names = [
        m.scenario.dem,
        m.laydown.firing_areas,
        m.laydown.road.file if m.laydown.road else None,
    ]
    names += [r.candidates for r in m.radars]
    for b in m.batteries:
        names += [b.candidates, *(ln.candidates for ln in b.launchers)]
    return sorted({n for n in names if isinstance(n, str)})


def _carry_files(loaded: LoadedScenario, stage: Path) -> None:
    """Copy the files the scenario names from its folder into the laydown's, so that its
    ``scenario.toml`` stands alone (a file named outside the folder, which only
    ``--allow-outside-paths`` lets a scenario do, is named by its absolute path instead:
    `laydown_text`)."""
    import shutil

    from gbad.scenario.loader import within_folder

    base = os.path.normpath(loaded.base_dir.absolute())
    for name in referenced_files(loaded):
        source = within_folder(loaded.base_dir, name)
        if source is None or not source.is_file():
            continue
        target = stage / os.path.relpath(source, base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def laydown_text(loaded: LoadedScenario, items: list[Item], placed: dict) -> str:
    """The scenario's own text with the placed items' positions replaced (tomlkit keeps
    the rest, comments included): each radar's antenna `mast_m` (or as high as at its own
    site) above the ground at its new site, each launcher as high above it as before."""
    import tomlkit

    from gbad.earth.wgs84 import enu2geodetic
    from gbad.laydown.objectives import height_above_ground_m, mast_height_m
    from gbad.runworld import make_ground
    from gbad.scenario.loader import scenario_text, within_folder

    text, _, _ = scenario_text(loaded.source if not loaded.source.startswith("<built-in ")
                               else loaded.source[len("<built-in ") : -1])  # fmt: skip
    doc = tomlkit.parse(text)
    model = loaded.model
    dem = model.scenario.dem
    if dem is not None and within_folder(loaded.base_dir, dem) is None:
        # Not carried along (`_carry_files`): named where it is.
        doc["scenario"]["dem"] = os.path.normpath(loaded.base_dir.absolute() / dem)
    o = model.scenario.origin
    ground = make_ground(loaded)

    def position(e: float, n: float, above_m: float):
        lat, lon, _ = enu2geodetic(e, n, 0.0, o.lat_deg, o.lon_deg, o.alt_m)
        up = float(np.asarray(ground.height_m(lat, lon))) + above_m - o.alt_m
        table = tomlkit.inline_table()
        table.update({"east_m": round(e, 1), "north_m": round(n, 1), "up_m": round(up, 1)})
        return table

    for it in items:
        e, n = placed[it.id]
        if it.radar is not None:
            doc["radars"][it.radar]["position"] = position(e, n, mast_height_m(loaded, it.radar))
        for k, (b, ln) in enumerate(it.launchers):
            de, dn = it.footprint[k + (1 if it.kind == "battery" else 0)]
            above = height_above_ground_m(loaded, model.batteries[b].launchers[ln].position)
            doc["batteries"][b]["launchers"][ln]["position"] = position(e + de, n + dn, above)
    return ("# Simulated; a laydown chosen by `gbad laydown` (public, nominal parameters).\n"
            + tomlkit.dumps(doc))  # fmt: skip


def layer(loaded: LoadedScenario, items: list[Item], sites, placed: dict) -> dict:
    """The laydown as GeoJSON (lon/lat): each item's zone, candidates, own and chosen site."""
    from gbad.earth.wgs84 import enu2geodetic

    o = loaded.model.scenario.origin

    def lonlat(e, n) -> list:
        lat, lon, _ = enu2geodetic(np.asarray(e, float), np.asarray(n, float),
                                   np.zeros(np.shape(e)), o.lat_deg, o.lon_deg, o.alt_m)  # fmt: skip
        return np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)]).round(7).tolist()

    features = []
    for k, it in enumerate(items):
        props = {"item": it.id, "kind": it.kind, "simulated": True}
        ring = np.asarray(zone_polygon(loaded, it).exterior.coords)
        features += [
            {"type": "Feature", "properties": {**props, "role": "zone"},
             "geometry": {"type": "Polygon", "coordinates": [lonlat(ring[:, 0], ring[:, 1])]}},
            {"type": "Feature", "properties": {**props, "role": "candidates"},
             "geometry": {"type": "MultiPoint", "coordinates": lonlat(*sites[k])}},
            {"type": "Feature", "properties": {**props, "role": "own"},
             "geometry": {"type": "Point", "coordinates": lonlat(*it.own)[0]}},
            {"type": "Feature", "properties": {**props, "role": "chosen"},
             "geometry": {"type": "Point", "coordinates": lonlat(*placed[it.id])[0]}},
        ]  # fmt: skip
    return {"type": "FeatureCollection", "name": "gbad laydown (simulated)", "features": features}


def balanced(values: np.ndarray, moved: np.ndarray | None = None) -> int:
    """The front's member best on the sum of its objectives each scaled to [0, 1] over
    the front; among equals, the one that moves the items least (``moved``), else the
    first."""
    span = np.ptp(values, axis=0)
    score = ((values - values.min(axis=0)) / np.where(span > 0, span, 1.0)).sum(axis=1)
    best = np.flatnonzero(score >= score.max() - 1e-12)
    if moved is not None:
        best = best[np.argsort(moved[best], kind="stable")]
    return int(best[0])


def _write_front(out: Path, objectives, items, sites, front, choice) -> None:
    """``pareto.parquet`` (each front member's sites and values) and ``pareto.png``; the
    member ``choice`` (the balanced one) marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, f, evaluations = front
    chosen = int(np.flatnonzero(np.all(x == np.asarray(choice)[None, :], axis=1))[0])
    columns: dict = {column(name): f[:, k] for k, name in enumerate(objectives)}
    for k, it in enumerate(items):
        columns[f"{it.id}_east_m"] = sites[k][0][x[:, k]]
        columns[f"{it.id}_north_m"] = sites[k][1][x[:, k]]
    columns["balanced"] = np.arange(len(x)) == chosen
    write_parquet(out / "pareto.parquet", columns, {"gbad.evaluations": str(evaluations)})
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(f[:, 0], f[:, 1], "o-", c="#1f77b4")
    b = chosen
    ax.plot(f[b, 0], f[b, 1], "*", ms=14, c="#d62728", label="balanced (written as scenario.toml)")
    ax.set_xlabel(f"{objectives[0]} ({UNITS[objectives[0]]})")
    ax.set_ylabel(f"{objectives[1]} ({UNITS[objectives[1]]})")
    ax.set_title(f"Pareto front, NSGA-II, {evaluations} evaluations (simulated)")
    ax.legend(fontsize=8)
    atomic_write(out / "pareto.png", lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


def _terrain_background(ax, ctx, sites) -> None:
    """Over a DEM, its heights (grey, lighter higher) under the map: what masks what."""
    if ctx.loaded.model.scenario.dem is None:
        return
    from gbad.earth.wgs84 import enu2geodetic
    from gbad.laydown.zones import on_the_ground
    from gbad.runworld import make_ground

    cells_e, cells_n = ctx.cells
    axes = ctx.axes
    xs = [cells_e, *(e for e, _ in sites), *(a[0] for a in axes)]
    ys = [cells_n, *(n for _, n in sites), *(a[1] for a in axes)]
    x0, x1 = (
        min(float(np.min(x)) for x in xs if len(x)),
        max(float(np.max(x)) for x in xs if len(x)),
    )
    y0, y1 = (
        min(float(np.min(y)) for y in ys if len(y)),
        max(float(np.max(y)) for y in ys if len(y)),
    )
    gx, gy = np.meshgrid(np.linspace(x0, x1, 240), np.linspace(y1, y0, 240))
    h = np.full(gx.shape, np.nan)
    ok = on_the_ground(ctx.loaded, gx.ravel(), gy.ravel()).reshape(gx.shape)
    o = ctx.loaded.model.scenario.origin
    lat, lon, _ = enu2geodetic(gx[ok], gy[ok], np.zeros(ok.sum()), o.lat_deg, o.lon_deg, o.alt_m)
    h[ok] = np.asarray(make_ground(ctx.loaded).height_m(lat, lon), dtype=float)
    im = ax.imshow(h, extent=(x0 / 1e3, x1 / 1e3, y0 / 1e3, y1 / 1e3), cmap="Greys_r", alpha=0.6,
                   origin="upper")  # fmt: skip
    ax.figure.colorbar(im, ax=ax, label="ground height (m)", shrink=0.6)


def _picture(path: Path, ctx, items, sites, choice, placed) -> None:
    """Zones, candidates, the own and the chosen sites; the defended cells by the share of
    heights the optimised laydown's radars see; the threat axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loaded = ctx.loaded
    fig, ax = plt.subplots(figsize=(8, 7))
    _terrain_background(ax, ctx, sites)
    at = [(np.array([placed[it.id][0]]), np.array([placed[it.id][1]])) for it in items]
    area = ctx.objective("area-coverage", at)
    cells_e, cells_n = ctx.cells
    if area is not None:
        seen = np.logical_or.reduce([c[0] for c in area.covers])
        share = seen.reshape(len(ctx.heights_m), -1).mean(axis=0)
        sc = ax.scatter(
            cells_e / 1e3, cells_n / 1e3, c=share, s=6, cmap="Purples", vmin=0, vmax=1, alpha=0.6
        )
        fig.colorbar(sc, ax=ax, label="share of heights seen (optimised laydown's radars)")
    for e, n, _ in ctx.axes:
        ax.plot(e / 1e3, n / 1e3, c="#d62728", lw=1, alpha=0.6)
    colours = plt.get_cmap("tab10")
    for k, it in enumerate(items):
        c = colours(k % 10)
        ring = np.asarray(zone_polygon(loaded, it).exterior.coords)
        ax.plot(ring[:, 0] / 1e3, ring[:, 1] / 1e3, c=c, lw=0.8, alpha=0.7)
        e, n = sites[k]
        ax.scatter(e / 1e3, n / 1e3, s=6, color=c, alpha=0.5, label=f"{it.id} candidates",
                   zorder=3)  # fmt: skip
        ax.plot([it.own[0] / 1e3, e[choice[k]] / 1e3], [it.own[1] / 1e3, n[choice[k]] / 1e3],
                c=c, lw=1.5, zorder=4)  # fmt: skip
        ax.scatter(e[choice[k]] / 1e3, n[choice[k]] / 1e3, s=160, marker="*", color=c,
                   edgecolors="k", label=f"{it.id} chosen", zorder=5)  # fmt: skip
        ax.scatter(it.own[0] / 1e3, it.own[1] / 1e3, s=60, marker="^", color=c, edgecolors="k",
                   label=f"{it.id} scenario's own", zorder=5)  # fmt: skip
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    ax.set_aspect("equal")
    ax.set_title(f"{loaded.model.scenario.name}: laydown (simulated); threat axes in red")
    # Below the map, where it hides nothing.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=7)
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
