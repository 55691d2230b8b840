"""`gbad laydown`: where to put the radars (the first part of issue 16, docs/laydown.md).

The front door is `optimise_laydown`. Each radar with a ``candidates`` zone (or those
named) gets a grid of candidate sites in it (`gbad.laydown.zones`); each site's value for
an objective (area coverage, low-altitude warning: `gbad.laydown.objectives`) is
computed with the radar model and the line of sight over the scenario's ground; one
site per radar is then chosen for the most, exactly, as a maximal covering location
problem (`gbad.laydown.solve`), among equally good laydowns the one that moves the
radars least; two objectives at once give their Pareto front (NSGA-II). Written into
``out`` (replaced whole):

- ``scenario.toml``: the scenario with the chosen sites as positions (its own text
  otherwise, comments kept), valid under ``gbad validate``;
- ``laydowns.parquet``: the scenario's own laydown and the optimised one, with every
  objective's value;
- ``laydown.png``: the map of the candidates, the own and the chosen sites, the threat
  axes and the defended area's cells seen (over the DEM's heights where there is one);
- ``laydown.json``: what was asked and found;
- with two objectives, ``pareto.parquet`` and ``pareto.png``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gbad.laydown.objectives import area_cells, cover_matrix, threat_axes, warning_cover
from gbad.laydown.solve import covered_value, mclp, pareto
from gbad.laydown.zones import LaydownError, candidate_sites
from gbad.record import SIMULATED_NOTE, write_parquet, write_text
from gbad.scenario.loader import LoadedScenario

__all__ = ["LaydownError", "LaydownResult", "optimise_laydown"]

OBJECTIVES = ("area-coverage", "low-altitude-warning")


@dataclass
class LaydownResult:
    out: Path
    placed: list[str]
    own_value: float
    best_value: float
    sites: dict[str, tuple[float, float]]  # radar id → chosen (east, north), m
    values: dict[str, tuple[float, float]]  # objective → (own, optimised)


def optimise_laydown(
    loaded: LoadedScenario,
    out: str | Path,
    place: Sequence[str] = (),
    objectives: Sequence[str] = ("area-coverage",),
    heights_m: Sequence[float] = (50.0,),
    margin_m: float = 20e3,
    cell_m: float = 1000.0,
    spacing_m: float | None = None,
    rcs_m2: float | None = None,
    progress: Callable[[str], None] | None = None,
    seed: int = 1,
) -> LaydownResult:
    """Choose a site for each placeable radar: the exact optimum of one objective, or the
    balanced member of two objectives' Pareto front; write the optimised scenario and a
    table of every objective for the own and the optimised laydown."""
    from gbad.scenario.schema import DEFAULT_RCS_M2

    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown or not objectives or len(set(objectives)) != len(objectives):
        raise LaydownError(f"--objective {' '.join(objectives)}",
                           [f"one or more of {', '.join(OBJECTIVES)}, each once"])  # fmt: skip
    radars = loaded.model.radars
    ids = [r.id for r in radars]
    missing = [p for p in place if p not in ids]
    if missing:
        raise LaydownError(f"--place {' '.join(missing)}", [f"no such radar; the scenario has {', '.join(ids)}"])
    chosen = [i for i, r in enumerate(radars) if (r.id in place if place else r.candidates is not None)]
    if not chosen:
        raise LaydownError(loaded.source, ["no radar has `candidates`: nothing to place"])
    bad = [h for h in heights_m if not np.isfinite(h) or h < 0]
    if bad or not heights_m:
        raise LaydownError(f"--height-m {bad}", ["give heights above the ground, 0 m or more"])
    ctx = _Context(loaded, tuple(heights_m),
                   float(rcs_m2 if rcs_m2 is not None else DEFAULT_RCS_M2["cruise_missile"]),
                   *area_cells(loaded, margin_m, cell_m), threat_axes(loaded))  # fmt: skip
    objective = objectives[0]
    if "low-altitude-warning" in objectives and not ctx.axes:
        raise LaydownError(loaded.source, ["low-altitude-warning needs threats flown along routes "
                                           "(a cruise missile's): the scenario has none"])  # fmt: skip
    problems: dict[str, tuple[list, np.ndarray]] = {name: ([], np.zeros(0)) for name in objectives}
    sites = []
    for i in chosen:
        e, n, _ = candidate_sites(loaded, i, spacing_m, own=_own_site(loaded, i))
        if progress:
            progress(f"{radars[i].id}: {len(e)} candidate sites")
        for name in objectives:
            cover, weights = ctx.problem(name, i, e, n)
            problems[name] = (problems[name][0] + [cover], weights)
        sites.append((e, n))
    moves = [np.hypot(e - _own_site(loaded, i)[0], n - _own_site(loaded, i)[1])
             for (e, n), i in zip(sites, chosen, strict=True)]  # fmt: skip
    front = None
    if len(objectives) == 1:
        choice, _ = mclp(*problems[objective], moves)
    else:
        if progress:
            progress(f"Pareto front of {' and '.join(objectives)} (NSGA-II)")
        front = pareto([problems[name] for name in objectives], seed=seed)
        choice = [int(v) for v in front[0][_balanced(front[1])]]
    placed = {radars[i].id: (float(sites[k][0][choice[k]]), float(sites[k][1][choice[k]]))
              for k, i in enumerate(chosen)}  # fmt: skip
    own_sites = {radars[i].id: _own_site(loaded, i) for i in chosen}
    values = {name: (ctx.value(name, chosen, own_sites), ctx.value(name, chosen, placed))
              for name in OBJECTIVES if name != "low-altitude-warning" or ctx.axes}  # fmt: skip
    from gbad import __version__
    from gbad.record import staged_folder

    final = Path(out)
    about = {"command": "laydown", "gbad.scenario": loaded.model.scenario.name,
             "gbad.version": __version__}  # fmt: skip
    with staged_folder(final, about) as stage:
        _write_outputs(stage, ctx, objective, chosen, placed, own_sites, sites, choice, values,
                       margin_m, cell_m)  # fmt: skip
        if front is not None:
            _write_front(stage, ctx, objectives, chosen, sites, front)
    own_value, best_value = values[objective]
    return LaydownResult(final, [radars[i].id for i in chosen], own_value, best_value, placed,
                         values)  # fmt: skip


@dataclass
class _Context:
    """What every objective is evaluated against."""

    loaded: LoadedScenario
    heights_m: tuple[float, ...]
    rcs_m2: float
    cells_e: np.ndarray
    cells_n: np.ndarray
    axes: list

    def problem(self, objective: str, index: int, e, n):
        """(cover, weights) of radar ``index``'s candidate sites (e, n) for ``objective``."""
        mast = _mast(self.loaded, index)
        if objective == "area-coverage":
            cover = cover_matrix(self.loaded, index, e, n, self.cells_e, self.cells_n,
                                 self.heights_m, self.rcs_m2, mast)  # fmt: skip
            return cover, np.full(cover.shape[1], 1.0 / cover.shape[1])
        return warning_cover(self.loaded, index, e, n, self.axes, self.heights_m[0],
                             self.rcs_m2, mast)  # fmt: skip

    def value(self, objective: str, chosen, at: dict) -> float:
        """``objective``'s value with the radars ``chosen`` at ``at`` (id → east, north)."""
        covers, weights = [], np.zeros(0)
        for i in chosen:
            e, n = at[self.loaded.model.radars[i].id]
            cover, weights = self.problem(objective, i, np.array([e]), np.array([n]))
            covers.append(cover)
        return covered_value(covers, [0] * len(chosen), weights)


def _write_outputs(out, ctx, objective, chosen, placed, own_sites, sites, choice, values,
                   margin_m, cell_m) -> None:  # fmt: skip
    loaded = ctx.loaded
    radars = loaded.model.radars
    _write_scenario(loaded, out / "scenario.toml", chosen, placed)
    columns = {"laydown": np.array(["scenario's own", "optimised"], dtype=object)}
    for name, (own, best) in values.items():
        unit = "_m" if name == "low-altitude-warning" else ""
        columns[name.replace("-", "_") + unit] = np.array([own, best])
    for rid in placed:
        columns[f"{rid}_east_m"] = np.array([own_sites[rid][0], placed[rid][0]])
        columns[f"{rid}_north_m"] = np.array([own_sites[rid][1], placed[rid][1]])
    write_parquet(out / "laydowns.parquet", columns)
    _picture(out / "laydown.png", ctx, chosen, sites, choice, placed)
    write_text(out / "laydown.json", json.dumps({
        "simulated": True, "note": SIMULATED_NOTE, "scenario": loaded.source,
        "objective": objective, "heights_m": list(ctx.heights_m), "rcs_m2": ctx.rcs_m2,
        "margin_m": margin_m, "cell_m": cell_m, "cells": len(ctx.cells_e),
        "threat_axes": len(ctx.axes),
        "candidates": {radars[i].id: len(sites[k][0]) for k, i in enumerate(chosen)},
        "chosen_east_north_m": placed,
        "values": {name: {"own": own, "optimised": best} for name, (own, best) in values.items()},
        "method": "maximal covering location problem, scipy.optimize.milp (HiGHS), exact",
    }, indent=2) + "\n")  # fmt: skip


def _balanced(values: np.ndarray) -> int:
    """The front's member best on the sum of its objectives each scaled to [0, 1] over
    the front (the first where the front is one point)."""
    span = np.ptp(values, axis=0)
    scaled = (values - values.min(axis=0)) / np.where(span > 0, span, 1.0)
    return int(np.argmax(scaled.sum(axis=1)))


def _write_front(out: Path, ctx, objectives, chosen, sites, front) -> None:
    """``pareto.parquet`` (each front member's sites and values) and ``pareto.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gbad.record import atomic_write

    x, f, evaluations = front
    columns: dict = {name.replace("-", "_"): f[:, k] for k, name in enumerate(objectives)}
    for k, i in enumerate(chosen):
        rid = ctx.loaded.model.radars[i].id
        columns[f"{rid}_east_m"] = sites[k][0][x[:, k]]
        columns[f"{rid}_north_m"] = sites[k][1][x[:, k]]
    columns["balanced"] = np.arange(len(x)) == _balanced(f)
    write_parquet(out / "pareto.parquet", columns, {"gbad.evaluations": str(evaluations)})
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(f[:, 0], f[:, 1], "o-", c="#1f77b4")
    b = _balanced(f)
    ax.plot(f[b, 0], f[b, 1], "*", ms=14, c="#d62728", label="balanced (written as scenario.toml)")
    unit = {"area-coverage": "share", "low-altitude-warning": "m"}
    ax.set_xlabel(f"{objectives[0]} ({unit[objectives[0]]})")
    ax.set_ylabel(f"{objectives[1]} ({unit[objectives[1]]})")
    ax.set_title(f"Pareto front, NSGA-II, {evaluations} evaluations (simulated)")
    ax.legend(fontsize=8)
    atomic_write(out / "pareto.png", lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


def _terrain_background(ax, ctx, sites) -> None:
    """Over a DEM, its heights (grey, lighter higher) under the map: what masks what."""
    if ctx.loaded.model.scenario.dem is None:
        return
    from gbad.laydown.zones import on_the_ground
    from gbad.runworld import make_ground

    xs = [ctx.cells_e, *(e for e, _ in sites), *(a[0] for a in ctx.axes)]
    ys = [ctx.cells_n, *(n for _, n in sites), *(a[1] for a in ctx.axes)]
    x0, x1 = min(float(np.min(x)) for x in xs if len(x)), max(float(np.max(x)) for x in xs if len(x))
    y0, y1 = min(float(np.min(y)) for y in ys if len(y)), max(float(np.max(y)) for y in ys if len(y))
    gx, gy = np.meshgrid(np.linspace(x0, x1, 240), np.linspace(y1, y0, 240))
    h = np.full(gx.shape, np.nan)
    ok = on_the_ground(ctx.loaded, gx.ravel(), gy.ravel()).reshape(gx.shape)
    o = ctx.loaded.model.scenario.origin
    from gbad.earth.wgs84 import enu2geodetic

    lat, lon, _ = enu2geodetic(gx[ok], gy[ok], np.zeros(ok.sum()), o.lat_deg, o.lon_deg, o.alt_m)
    h[ok] = np.asarray(make_ground(ctx.loaded).height_m(lat, lon), dtype=float)
    im = ax.imshow(h, extent=(x0 / 1e3, x1 / 1e3, y0 / 1e3, y1 / 1e3), cmap="Greys_r", alpha=0.6,
                   origin="upper")  # fmt: skip
    ax.figure.colorbar(im, ax=ax, label="ground height (m)", shrink=0.6)


def _own_site(loaded: LoadedScenario, index: int) -> tuple[float, float]:
    from gbad.laydown.zones import _enu

    pos = loaded.model.radars[index].position
    if pos.is_geodetic:
        e, n = _enu(loaded, [pos.lat_deg], [pos.lon_deg])
        return float(e[0]), float(n[0])
    return float(pos.east_m or 0.0), float(pos.north_m or 0.0)


def _mast(loaded: LoadedScenario, index: int) -> float:
    """The antenna's height above the ground: `mast_m`, else as at its own site."""
    from gbad.runworld import make_ground

    radar = loaded.model.radars[index]
    if radar.mast_m is not None:
        return float(radar.mast_m)
    lat, lon, alt = radar.position.to_geodetic(loaded.model.scenario.origin)
    return max(0.0, float(alt - float(np.asarray(make_ground(loaded).height_m(lat, lon)))))


def _write_scenario(loaded: LoadedScenario, path: Path, chosen, placed) -> None:
    """The scenario's own text with the chosen radars' positions replaced (tomlkit keeps
    the rest, comments included)."""
    import tomlkit

    from gbad.runworld import make_ground
    from gbad.scenario.loader import scenario_text

    text, _, _ = scenario_text(loaded.source if not loaded.source.startswith("<built-in ")
                               else loaded.source[len("<built-in ") : -1])  # fmt: skip
    doc = tomlkit.parse(text)
    o = loaded.model.scenario.origin
    ground = make_ground(loaded)
    for i in chosen:
        rid = loaded.model.radars[i].id
        e, n = placed[rid]
        from gbad.earth.wgs84 import enu2geodetic

        lat, lon, _ = enu2geodetic(e, n, 0.0, o.lat_deg, o.lon_deg, o.alt_m)
        up = float(np.asarray(ground.height_m(lat, lon))) + _mast(loaded, i) - o.alt_m
        table = tomlkit.inline_table()
        table.update({"east_m": round(e, 1), "north_m": round(n, 1), "up_m": round(up, 1)})
        doc["radars"][i]["position"] = table
    write_text(path, "# Simulated; a laydown chosen by `gbad laydown` (public, nominal parameters).\n"
               + tomlkit.dumps(doc))  # fmt: skip


def _picture(path: Path, ctx, chosen, sites, choice, placed) -> None:
    """Candidates, the own and the chosen sites; the defended cells by the share of heights
    the optimised laydown sees; the threat axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gbad.record import atomic_write

    loaded = ctx.loaded
    covers = []
    for i in chosen:
        e, n = placed[loaded.model.radars[i].id]
        covers.append(ctx.problem("area-coverage", i, np.array([e]), np.array([n]))[0][0])
    seen = np.logical_or.reduce(covers)
    share = seen.reshape(len(ctx.heights_m), -1).mean(axis=0)
    fig, ax = plt.subplots(figsize=(8, 7))
    _terrain_background(ax, ctx, sites)
    sc = ax.scatter(ctx.cells_e / 1e3, ctx.cells_n / 1e3, c=share, s=6, cmap="Greens", vmin=0, vmax=1)
    fig.colorbar(sc, ax=ax, label="share of heights seen (optimised laydown)")
    for e, n, _ in ctx.axes:
        ax.plot(e / 1e3, n / 1e3, c="#d62728", lw=1, alpha=0.6)
    for k, i in enumerate(chosen):
        rid = loaded.model.radars[i].id
        e, n = sites[k]
        ax.scatter(e / 1e3, n / 1e3, s=8, c="#999", label=f"{rid} candidates")
        ax.scatter(e[choice[k]] / 1e3, n[choice[k]] / 1e3, s=120, marker="*", c="#d62728",
                   label=f"{rid} chosen")  # fmt: skip
        oe, on = _own_site(loaded, i)
        ax.scatter(oe / 1e3, on / 1e3, s=80, marker="^", c="#000", label=f"{rid} scenario's own")
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    ax.set_aspect("equal")
    ax.set_title(f"{loaded.model.scenario.name}: laydown (simulated); threat axes in red")
    ax.legend(loc="upper right", fontsize=8)
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
