"""`gbad laydown`: where to put the radars (first part of issue 16: the area-coverage
objective, solved exactly).

The front door is `optimise_laydown`. Each radar with a ``candidates`` zone (or those
named) gets a grid of candidate sites in it (`gbad.laydown.zones`); each site's cover of
the defended area at the given heights is computed with the radar model and the line of
sight over the scenario's ground (`gbad.laydown.objectives`); one site per radar is then
chosen to cover the most, exactly, as a maximal covering location problem
(`gbad.laydown.solve`); among equally good laydowns, the one that moves the radars
least from where the scenario has them. Written into ``out``:

- ``scenario.toml``: the scenario with the chosen sites as positions (its own text
  otherwise, comments kept), valid under ``gbad validate``;
- ``laydowns.parquet``: the scenario's own laydown and the optimised one, with the
  objective's value of each;
- ``laydown.png``: the map of the candidates, the own and the chosen sites, and the
  defended area's cells seen;
- ``laydown.json``: what was asked and found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gbad.laydown.objectives import area_cells, cover_matrix
from gbad.laydown.solve import covered_value, mclp
from gbad.laydown.zones import LaydownError, candidate_sites
from gbad.record import SIMULATED_NOTE, write_parquet, write_text
from gbad.scenario.loader import LoadedScenario

__all__ = ["LaydownError", "LaydownResult", "optimise_laydown"]

OBJECTIVES = ("area-coverage",)


@dataclass
class LaydownResult:
    out: Path
    placed: list[str]
    own_value: float
    best_value: float
    sites: dict[str, tuple[float, float]]  # radar id → chosen (east, north), m


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
) -> LaydownResult:
    """Choose a site for each placeable radar; write the optimised scenario and tables."""
    from gbad.scenario.schema import DEFAULT_RCS_M2

    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown:
        raise LaydownError(f"--objective {' '.join(unknown)}",
                           [f"objectives built so far: {', '.join(OBJECTIVES)}"])  # fmt: skip
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
    rcs = float(rcs_m2 if rcs_m2 is not None else DEFAULT_RCS_M2["cruise_missile"])
    cells_e, cells_n = area_cells(loaded, margin_m, cell_m)
    weights = np.ones(len(cells_e) * len(heights_m))
    covers, sites, own_covers = [], [], []
    for i in chosen:
        e, n, _ = candidate_sites(loaded, i, spacing_m, own=_own_site(loaded, i))
        mast = _mast(loaded, i)
        if progress:
            progress(f"{radars[i].id}: {len(e)} candidate sites")
        covers.append(cover_matrix(loaded, i, e, n, cells_e, cells_n, heights_m, rcs, mast))
        own_e, own_n = _own_site(loaded, i)
        own_covers.append(cover_matrix(loaded, i, np.array([own_e]), np.array([own_n]), cells_e,
                                       cells_n, heights_m, rcs, mast))  # fmt: skip
        sites.append((e, n))
    moves = [np.hypot(e - _own_site(loaded, i)[0], n - _own_site(loaded, i)[1])
             for (e, n), i in zip(sites, chosen, strict=True)]  # fmt: skip
    choice, best = mclp(covers, weights, moves)
    own = covered_value(own_covers, [0] * len(chosen), weights)
    total = float(weights.sum())
    placed = {radars[i].id: (float(sites[k][0][choice[k]]), float(sites[k][1][choice[k]]))
              for k, i in enumerate(chosen)}  # fmt: skip
    from gbad import __version__
    from gbad.record import staged_folder

    final = Path(out)
    about = {"command": "laydown", "gbad.scenario": loaded.model.scenario.name,
             "gbad.version": __version__}  # fmt: skip
    with staged_folder(final, about) as out:
        _write_outputs(out, loaded, chosen, placed, sites, choice, covers, cells_e, cells_n,
                       heights_m, own, best, total, rcs, margin_m, cell_m)  # fmt: skip
    return LaydownResult(final, [radars[i].id for i in chosen], own / total, best / total, placed)


def _write_outputs(out, loaded, chosen, placed, sites, choice, covers, cells_e, cells_n,
                   heights_m, own, best, total, rcs, margin_m, cell_m) -> None:  # fmt: skip
    radars = loaded.model.radars
    _write_scenario(loaded, out / "scenario.toml", chosen, placed)
    write_parquet(out / "laydowns.parquet", {
        "laydown": np.array(["scenario's own", "optimised"], dtype=object),
        "area_coverage": np.array([own / total, best / total]),
        **{f"{rid}_east_m": np.array([_own_site(loaded, i)[0], placed[rid][0]])
           for rid, i in zip(placed, chosen, strict=True)},
        **{f"{rid}_north_m": np.array([_own_site(loaded, i)[1], placed[rid][1]])
           for rid, i in zip(placed, chosen, strict=True)},
    })  # fmt: skip
    _picture(out / "laydown.png", loaded, chosen, sites, choice, covers, cells_e, cells_n,
             len(heights_m))  # fmt: skip
    write_text(out / "laydown.json", json.dumps({
        "simulated": True, "note": SIMULATED_NOTE, "scenario": loaded.source,
        "objective": "area-coverage", "heights_m": list(heights_m), "rcs_m2": rcs,
        "margin_m": margin_m, "cell_m": cell_m, "cells": len(cells_e),
        "candidates": {radars[i].id: len(sites[k][0]) for k, i in enumerate(chosen)},
        "chosen_east_north_m": placed,
        "area_coverage": {"own": own / total, "optimised": best / total},
        "method": "maximal covering location problem, scipy.optimize.milp (HiGHS), exact",
    }, indent=2) + "\n")  # fmt: skip


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


def _picture(path: Path, loaded, chosen, sites, choice, covers, cells_e, cells_n, n_h) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gbad.record import atomic_write

    fig, ax = plt.subplots(figsize=(8, 7))
    seen = np.zeros(covers[0].shape[1], dtype=bool)
    for cover, j in zip(covers, choice, strict=True):
        seen |= cover[j]
    share = seen.reshape(n_h, -1).mean(axis=0)
    sc = ax.scatter(cells_e / 1e3, cells_n / 1e3, c=share, s=6, cmap="Greens", vmin=0, vmax=1)
    fig.colorbar(sc, ax=ax, label="share of heights seen (optimised laydown)")
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
    ax.set_title(f"{loaded.model.scenario.name}: laydown (simulated)")
    ax.legend(loc="upper right", fontsize=8)
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
