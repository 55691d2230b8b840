"""`gbad laydown`: where to put the radars, batteries and launchers (issue 16,
docs/laydown.md).

The front door is `optimise_laydown`. Each item with a ``candidates`` zone (or those
named: a radar, a battery whole, a launcher; `gbad.laydown.zones`) gets a grid of
candidate sites in it, cut to those the scenario's ``[laydown]`` constraints allow
(`gbad.laydown.constraints`). Each site's worth for an objective is computed once:
area coverage and low-altitude warning (`gbad.laydown.objectives`), the engagement
zone across the threats' paths (`gbad.laydown.engagement_zone`), the weapon-locating
radar's view of the firing areas' rounds (`gbad.laydown.counter_battery`). One site per
item is then chosen for the most: exactly, as a maximal covering location problem,
where the objective is a covering (`gbad.laydown.solve`); by a genetic search where it
is not; several objectives at once as their Pareto front (NSGA-II). ``leakers`` runs a
short Monte Carlo of the scenario's own and the optimised laydown (`gbad.laydown.
leakers`). Written into ``out`` (replaced whole; `gbad.laydown.output`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from gbad.laydown.constraints import filter_sites, pairs
from gbad.laydown.objectives import (
    area_cells,
    cover_matrix,
    mast_height_m,
    threat_axes,
    warning_cover,
)
from gbad.laydown.output import UNITS, balanced
from gbad.laydown.solve import Infeasible, covered_value, mclp, pareto, polish
from gbad.laydown.zones import Item, LaydownError, candidate_sites, placeable
from gbad.scenario.loader import LoadedScenario

__all__ = ["OBJECTIVES", "LaydownError", "LaydownResult", "optimise_laydown"]

#: Every objective, and its unit in the tables.
OBJECTIVES = UNITS


@dataclass
class LaydownResult:
    out: Path
    placed: list[str]
    own_value: float
    best_value: float
    sites: dict[str, tuple[float, float]]  # item id → chosen (east, north), m
    values: dict[str, tuple[float, float]]  # objective → (own, optimised)
    exact: bool  # the choice is a proven optimum (one covering objective)
    leakers: dict[str, dict[str, float]] = field(default_factory=dict)


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
    budget_s: float | None = None,
    runs: int = 8,
    top: int = 5,
    bar: Callable[[str, int, int], None] | None = None,
) -> LaydownResult:
    """Choose a site for each placeable item: the exact optimum of one covering objective,
    the genetic search's best of another, or the balanced member of several objectives'
    Pareto front; write the optimised scenario and a table of every objective for the own
    and the optimised laydown. ``budget_s``: the search and the leakers' Monte Carlo stop
    when it is spent (and say so); ``runs``: the leakers' runs per laydown; ``top``: the
    laydowns the table lists (the optimum and the next best, for one objective); ``bar``:
    told (what, done, of) as the long loops go (sites, generations, runs)."""
    from gbad.scenario.schema import DEFAULT_RCS_M2

    say = progress or (lambda _line: None)
    deadline = None if budget_s is None else time.monotonic() + budget_s
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown or not objectives or len(set(objectives)) != len(objectives):
        raise LaydownError(f"--objective {' '.join(objectives)}",
                           [f"one or more of {', '.join(OBJECTIVES)}, each once"])  # fmt: skip
    searched = [o for o in objectives if o != "leakers"]
    if not searched:
        raise LaydownError("--objective leakers", [
            "leakers is measured by a Monte Carlo of the laydowns the other objectives "
            f"choose; give one or more of {', '.join(o for o in OBJECTIVES if o != 'leakers')} too"])  # fmt: skip
    bad = [h for h in heights_m if not np.isfinite(h) or h < 0]
    if bad or not heights_m:
        raise LaydownError(f"--height-m {bad}", ["give heights above the ground, 0 m or more"])
    if top < 1:
        raise LaydownError(f"--top {top}", ["give one laydown or more"])
    if runs < 2 and "leakers" in objectives:
        raise LaydownError(
            f"--runs {runs}", ["give two Monte Carlo runs or more (an interval needs two)"]
        )
    if "leakers" in objectives and not loaded.model.batteries:
        raise LaydownError(
            loaded.source, ["leakers counts what gets past the batteries: the scenario has none"]
        )
    items = placeable(loaded, place)
    sites = []
    for it in items:
        e, n, _ = candidate_sites(loaded, it, spacing_m)
        keep = filter_sites(loaded, it, items, e, n)
        sites.append((e[keep], n[keep]))
        say(f"{it.id}: {int(keep.sum())} candidate sites ({len(e) - int(keep.sum())} ruled out)")
    rules = pairs(loaded, items, sites)
    ctx = _Context(loaded, items, tuple(heights_m),
                   float(rcs_m2 if rcs_m2 is not None else DEFAULT_RCS_M2["cruise_missile"]),
                   margin_m, cell_m, bar)  # fmt: skip
    built = {name: ctx.objective(name, sites, strict=True) for name in searched}
    moves = [
        np.hypot(e - it.own[0], n - it.own[1]) for (e, n), it in zip(sites, items, strict=True)
    ]
    front = None
    exact = len(searched) == 1 and built[searched[0]].covers is not None
    ranked: list[list[int]] = []
    try:
        if exact:
            obj = built[searched[0]]
            # The optimum, then the next best laydowns (each the optimum without those before).
            while len(ranked) < top:
                try:
                    ranked.append(
                        mclp(obj.covers, obj.weights, moves, rules=rules, exclude=ranked)[0]
                    )
                except Infeasible:
                    if not ranked:
                        raise
                    break
        else:
            say(f"genetic search of {' and '.join(searched)}"
                + (" (NSGA-II, Pareto front)" if len(searched) > 1 else " (GA)"))  # fmt: skip
            x, _, evaluations = pareto([built[name].entry for name in searched],
                                       [len(e) for e, _ in sites], seed=seed, rules=rules,
                                       deadline=deadline, moves=moves,
                                       start=[int(np.argmin(m)) for m in moves],
                                       tick=ctx._tick("genetic search (generations)", True))  # fmt: skip
            # The values as reported (without a search's tie-breaks).
            f = np.array([[built[name].value(row) for name in searched] for row in x])
            moved = np.array([sum(m[j] for m, j in zip(moves, row, strict=True)) for row in x])
            order = np.lexsort((moved, -f[:, 0]))
            front = (x[order], f[order], evaluations)
            chosen = [int(v) for v in front[0][balanced(front[1], moved[order])]]
            ranked = [polish(chosen, [built[name].entry for name in searched], moves, rules)]
            if ranked[0] != chosen:  # at least as good on every objective: on the front too
                f_new = [[built[name].value(ranked[0]) for name in searched]]
                front = (np.vstack([front[0], [ranked[0]]]), np.vstack([front[1], f_new]),
                         evaluations)  # fmt: skip
            if len(searched) == 1:  # the runners-up of the last generation
                ranked += [[int(v) for v in row] for row in front[0] if list(row) != ranked[0]]
                ranked = ranked[:top]
    except Infeasible as exc:
        raise LaydownError(loaded.source, [
            f"no laydown of {', '.join(it.where for it in items)} meets {' and '.join(exc.rules)} "
            "at once (each pair of them can); widen the zones or relax the constraints"]) from None  # fmt: skip
    choice = ranked[0]

    def at(row) -> dict:
        return {it.id: (float(sites[k][0][row[k]]), float(sites[k][1][row[k]]))
                for k, it in enumerate(items)}  # fmt: skip

    placed = at(choice)
    own = {it.id: it.own for it in items}
    # Every objective the items take part in, for the own laydown and each ranked one.
    table = {"laydown": ["scenario's own", "optimised"] + [f"alternative {k}" for k in
                                                           range(2, len(ranked) + 1)]}  # fmt: skip
    laydowns = [own] + [at(row) for row in ranked]
    values = {}
    for name in OBJECTIVES:
        column = [ctx.value(name, where) for where in laydowns] if name != "leakers" else [None]
        if column[0] is not None:
            values[name] = (column[0], column[1])
            table[name] = column
    for it in items:
        table[f"{it.id}_east_m"] = [where[it.id][0] for where in laydowns]
        table[f"{it.id}_north_m"] = [where[it.id][1] for where in laydowns]
    leak: dict[str, dict[str, float]] = {}
    # A search the budget cut short is no longer deterministic: the outputs say so.
    budget_hit = deadline is not None and time.monotonic() > deadline
    if "leakers" in objectives:
        from gbad.laydown.leakers import compare_leakers

        leak = compare_leakers(loaded, items, placed, runs, seed, deadline, say,
                               ctx._tick("leakers: paired runs", True))  # fmt: skip
        values["leakers"] = (leak["own"]["mean"], leak["optimised"]["mean"])
    from gbad.laydown.output import write_all

    write_all(Path(out), ctx, searched, items, sites, choice, placed, values, table, front,
              leak, exact, budget_hit)  # fmt: skip
    own_value, best_value = values[searched[0]]
    return LaydownResult(Path(out), [it.id for it in items], own_value, best_value, placed,
                         values, exact, leak)  # fmt: skip


@dataclass
class Objective:
    """One objective over the placed items' sites: a covering (``covers`` per item and
    ``weights``) where it is one, and always its value as a function of the choice."""

    name: str
    value: Callable[[Sequence[int]], float]
    covers: list | None = None
    weights: np.ndarray | None = None
    #: What a search maximises, where not `value` itself (a tie-break added to it).
    search: Callable[[Sequence[int]], float] | None = None

    @property
    def entry(self):
        """What the genetic search takes: the covering, or the function."""
        if self.covers is not None:
            return (self.covers, self.weights)
        return self.search or self.value


@dataclass
class _Context:
    """What every objective is evaluated against."""

    loaded: LoadedScenario
    items: list[Item]
    heights_m: tuple[float, ...]
    rcs_m2: float
    margin_m: float
    cell_m: float
    #: The progress bar: (what, done, of).
    bar: Callable[[str, int, int], None] | None = None

    @cached_property
    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        return area_cells(self.loaded, self.margin_m, self.cell_m)

    @cached_property
    def axes(self) -> list:
        return threat_axes(self.loaded)

    @cached_property
    def rounds(self):
        from gbad.laydown.counter_battery import Rounds

        return Rounds(self.loaded)

    @cached_property
    def paths(self):
        from gbad.laydown.engagement_zone import threat_paths

        return threat_paths(self.loaded)

    def _tick(self, what: str, ticking: bool):
        """The progress bar's tick for the work on ``what`` (none where not ``ticking``)."""
        if not ticking or self.bar is None:
            return None
        return lambda done, total: self.bar(what, done, total)

    def _radar_covers(self, sites, make, role: str | None = None, name: str = "",
                      ticking: bool = False) -> list:  # fmt: skip
        """Per item: ``make(radar index, e, n, mast, tick)`` for an item carrying a radar
        (of ``role``), else nothing seen."""
        out, width = [], None
        for it, (e, n) in zip(self.items, sites, strict=True):
            r = it.radar
            if r is not None and (role is None or self.loaded.model.radars[r].role == role):
                c = make(
                    r, e, n, mast_height_m(self.loaded, r), self._tick(f"{name}: {it.id}", ticking)
                )
                out.append(c)
                width = c.shape[1]
            else:
                out.append(None)
        if width is None:
            return []
        return [c if c is not None else np.zeros((len(e), width), bool)
                for c, (e, _) in zip(out, sites, strict=True)]  # fmt: skip

    def objective(self, name: str, sites, strict: bool = False) -> Objective | None:
        """``name`` over ``sites`` (per item, east and north arrays); None where the
        placed items take no part in it (an error naming why, with ``strict``, which
        also ticks the progress bar)."""
        loaded = self.loaded

        def none(why: str):
            if strict:
                raise LaydownError(loaded.source, [f"{name}: {why}"])
            return None

        if name == "area-coverage":
            ce, cn = self.cells
            covers = self._radar_covers(sites, lambda r, e, n, m, t: cover_matrix(
                loaded, r, e, n, ce, cn, self.heights_m, self.rcs_m2, m, t), name=name,
                ticking=strict)  # fmt: skip
            weights = np.full(len(ce) * len(self.heights_m), 1.0 / (len(ce) * len(self.heights_m)))
        elif name == "low-altitude-warning":
            if not self.axes:
                return none(
                    "needs threats flown along routes (a cruise missile's): the scenario has none"
                )
            weights = None

            def make(r, e, n, m, t):
                nonlocal weights
                cover, weights = warning_cover(loaded, r, e, n, self.axes, self.heights_m[0],
                                               self.rcs_m2, m, t)  # fmt: skip
                return cover

            covers = self._radar_covers(sites, make, name=name, ticking=strict)
        elif name == "counter-battery":
            if not any(loaded.model.radars[it.radar].role == "weapon_locating"
                       for it in self.items if it.radar is not None):  # fmt: skip
                return none("weighs the placed weapon-locating radars; no placed item is one")
            rounds = self.rounds
            covers = self._radar_covers(sites, lambda r, e, n, m, t: rounds.cover(loaded, r, e, n, t),
                                        role="weapon_locating", name=name, ticking=strict)  # fmt: skip
            weights = rounds.weights
        else:  # engagement
            from gbad.laydown.engagement_zone import Engagement

            if not loaded.model.batteries:
                return none("the scenario has no battery")
            try:
                eng = Engagement(loaded, self.items, sites, self.paths, self._tick(name, strict))
            except ValueError as exc:
                return none(str(exc))
            form = eng.covers([len(e) for e, _ in sites])
            if form is None:
                return Objective(name, eng.value, search=eng.search_value)
            # The covering carries the time-in-zone tie-break; the value reported is the share.
            return Objective(name, eng.value, *form)
        if not covers:
            return none("no placed item carries a radar")
        return Objective(name, lambda x, c=covers, w=weights: covered_value(c, list(x), w),
                         covers, weights)  # fmt: skip

    def value(self, name: str, at: dict) -> float | None:
        """``name``'s value with the placed items at ``at`` (id → east, north); None where
        they take no part in it."""
        sites = [(np.array([at[it.id][0]]), np.array([at[it.id][1]])) for it in self.items]
        obj = self.objective(name, sites)
        return None if obj is None else obj.value([0] * len(self.items))
