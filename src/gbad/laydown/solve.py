"""Choosing one site per placed item to cover the most: the maximal covering location
problem, solved exactly as a mixed-integer programme (`scipy.optimize.milp`, HiGHS), and
by enumeration for checking it on small problems.

For items i with candidate sites j ∈ J_i, each site covering cells a_jc, and cell
weights w_c:

    maximise   Σ_c w_c y_c
    subject to y_c ≤ Σ_i Σ_{j ∈ J_i} a_jc x_j   (a cell counts only if a chosen site sees it)
               Σ_{j ∈ J_i} x_j = 1               (each item stands at one site)
               x_j, y_c ∈ {0, 1}

and, for each constraint between two placed items a and b (`constraints.Pair`), one row
per site k of b: x_bk + Σ_{j not allowed with k} x_aj ≤ 1. Objectives that are no
covering (a battery's radar and launchers placed apart: `engagement`), and several
objectives at once, are searched by genetic algorithms (pymoo), the pair constraints
as inequality constraints (G ≤ 0) of the search.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray


def covered_value(
    covers: Sequence[NDArray[np.bool_]], choice: Sequence[int], weights: NDArray
) -> float:
    """Σ w_c over the cells that some chosen site sees."""
    seen = np.zeros(covers[0].shape[1], dtype=bool)
    for cover, j in zip(covers, choice, strict=True):
        seen |= cover[j]
    return float(np.sum(weights[seen]))


def mclp(covers: Sequence[NDArray[np.bool_]], weights: NDArray,
         moves: Sequence[NDArray] | None = None, programme: bool = False,
         rules: Sequence = (), exclude: Sequence[Sequence[int]] = ()) -> tuple[list[int], float]:  # fmt: skip
    """The best site per item (indices into each item's candidates) and its value, exact:
    for one item read off its sites' values (``programme``: by the programme all the
    same), for several the programme above.

    ``moves``: per item, each site's distance from where the item stands now. Among
    laydowns of equal value the one that moves the items least is taken (a penalty of
    at most half the smallest cell weight in all, so the value comes first). ``rules``:
    the pair constraints (`gbad.laydown.constraints.Pair`); ``exclude``: laydowns (a
    site per item) the answer must not be, for the next best (each a cut
    Σ_i x_{i, c_i} ≤ items − 1). Raises `Infeasible` where no laydown is left."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, vstack

    if len(covers) == 1 and not programme and not rules:
        # One item: each site's value is its cover's weight, and the best is read off.
        values = covers[0].astype(float) @ np.asarray(weights, float)
        values[[c[0] for c in exclude]] = -np.inf
        if not np.isfinite(values).any():
            raise Infeasible(["every site excluded"])
        best = np.flatnonzero(values >= values.max() - 1e-12)
        if moves is not None:
            best = best[np.argsort(np.asarray(moves[0], float)[best], kind="stable")]
        return [int(best[0])], covered_value(covers, [int(best[0])], np.asarray(weights, float))
    n_sites = [c.shape[0] for c in covers]
    n_x = sum(n_sites)
    n_c = covers[0].shape[1]
    a = np.vstack(covers)  # (all sites, cells)
    # Only cells some site sees can count; the others stay 0 and drop out.
    useful = np.flatnonzero(a.any(axis=0))
    a = a[:, useful]
    w = np.asarray(weights, float)[useful]
    # The smallest weight that counts made 1: the solver's tolerances (1e-7) are absolute,
    # and a laydown's value must not hinge on them (the argmax does not change).
    if np.any(w > 0):
        w = w / w[w > 0].min()
    n_y = len(useful)
    penalty = np.zeros(n_x)
    positive = w[w > 0]
    if moves is not None and positive.size:
        d = np.concatenate([np.asarray(m, float) for m in moves])
        penalty = 0.5 * positive.min() / len(covers) * d / max(float(d.max()), 1e-9)
    cost = np.concatenate([penalty, -w])
    # y_c − Σ_j a_jc x_j ≤ 0
    rows, cols = np.nonzero(a.T)
    link = coo_matrix((-np.ones(len(rows)), (rows, cols)), shape=(n_y, n_x + n_y)).tocsr()
    link = link + coo_matrix((np.ones(n_y), (np.arange(n_y), n_x + np.arange(n_y))),
                             shape=(n_y, n_x + n_y)).tocsr()  # fmt: skip
    one_r, one_c = [], []
    start = 0
    for i, n in enumerate(n_sites):
        one_r += [i] * n
        one_c += list(range(start, start + n))
        start += n
    pick = coo_matrix((np.ones(len(one_r)), (one_r, one_c)), shape=(len(covers), n_x + n_y))
    constraints = [
        LinearConstraint(vstack([link]), -np.inf, 0.0),
        LinearConstraint(pick.tocsr(), 1.0, 1.0),
    ]
    offsets = np.concatenate([[0], np.cumsum(n_sites)])
    for rule in rules:
        # Site k of b rules out every site of a not allowed with it.
        jj, kk = np.nonzero(~rule.allowed)
        r = np.concatenate([kk, np.arange(n_sites[rule.b])])
        c = np.concatenate([offsets[rule.a] + jj, offsets[rule.b] + np.arange(n_sites[rule.b])])
        rows = coo_matrix((np.ones(len(r)), (r, c)), shape=(n_sites[rule.b], n_x + n_y))
        constraints.append(LinearConstraint(rows.tocsr(), -np.inf, 1.0))
    if exclude:
        r = np.repeat(np.arange(len(exclude)), len(covers))
        c = np.array([offsets[i] + choice[i] for choice in exclude for i in range(len(covers))])
        cuts = coo_matrix((np.ones(len(r)), (r, c)), shape=(len(exclude), n_x + n_y))
        constraints.append(LinearConstraint(cuts.tocsr(), -np.inf, len(covers) - 1.0))
    # No relative gap: the answer is the optimum, not one within HiGHS's default 0.01 %.
    res = milp(cost, constraints=constraints, integrality=np.ones(n_x + n_y),
               bounds=Bounds(0.0, 1.0), options={"mip_rel_gap": 0.0})  # fmt: skip
    if res.status == 2:  # infeasible: every pair can meet its rule, but not all at once
        raise Infeasible(sorted({rule.rule for rule in rules}))
    if not res.success:
        raise RuntimeError(f"the covering programme found no solution: {res.message}")
    x = np.round(res.x[:n_x]).astype(int)
    choice, start = [], 0
    for n in n_sites:
        choice.append(int(np.argmax(x[start : start + n])))
        start += n
    del n_c
    return choice, covered_value(covers, choice, np.asarray(weights, float))


class Infeasible(Exception):
    """No laydown meets every constraint at once (``rules``: the constraints' names)."""

    def __init__(self, rules: list[str]) -> None:
        super().__init__(", ".join(rules))
        self.rules = rules


def brute_force(covers: Sequence[NDArray[np.bool_]] | Callable, weights: NDArray | None = None,
                rules: Sequence = (), n_sites: Sequence[int] | None = None) -> tuple[list[int], float]:  # fmt: skip
    """Every combination of sites tried: the reference `mclp` and the genetic search are
    tested against. ``covers``: a covering's covers (with ``weights``), or a function
    of the choice (with ``n_sites``); ``rules``: the pair constraints."""
    from gbad.laydown.constraints import violations

    value = covers if callable(covers) else (
        lambda choice: covered_value(covers, choice, np.asarray(weights, float)))  # fmt: skip
    sizes = n_sites if n_sites is not None else [c.shape[0] for c in covers]
    best, best_value = None, -np.inf
    for choice in itertools.product(*(range(n) for n in sizes)):
        if rules and violations(rules, choice):
            continue
        v = value(list(choice))
        if v > best_value + 1e-9:
            best, best_value = list(choice), v
    if best is None:
        raise Infeasible(sorted({r.rule for r in rules}))
    return best, float(best_value)


def _integer_operators() -> dict:
    """pymoo's operators for a choice of site indices: integer sampling, SBX crossover and
    polynomial mutation rounded back to integers, duplicates dropped."""
    from pymoo.config import Config
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling

    Config.warnings["not_compiled"] = False
    return {
        "sampling": IntegerRandomSampling(),
        "crossover": SBX(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()),
        "mutation": PM(prob=1.0, eta=3.0, vtype=float, repair=RoundingRepair()),
        "eliminate_duplicates": True,
    }


def _problem(n_sites: Sequence[int], n_obj: int, constrained: bool, evaluate):
    """A pymoo problem over one site index per item: ``evaluate(rows)`` (integer choices)
    gives their values (rows, objectives) to maximise and, when ``constrained``, their
    broken constraints (rows, 1; feasible at 0)."""
    from pymoo.core.problem import Problem

    class Laydown(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=len(n_sites), n_obj=n_obj, n_ieq_constr=int(constrained),
                             xl=0, xu=np.array(n_sites) - 1, vtype=int)  # fmt: skip

        def _evaluate(self, x, out, *args, **kwargs) -> None:
            f, broken = evaluate([row.astype(int) for row in x])
            out["F"] = -f
            if constrained:
                out["G"] = broken

    return Laydown()


def _as_functions(objectives) -> list[Callable[[Sequence[int]], float]]:
    """Each objective as a function of the choice: a covering ``(covers, weights)``'s
    covered value, or the function itself."""
    out = []
    for obj in objectives:
        if callable(obj):
            out.append(obj)
        else:
            covers, w = obj
            out.append(lambda x, covers=covers, w=w: covered_value(covers, list(x), w))
    return out


def pareto(objectives: Sequence, n_sites: Sequence[int] | None = None, seed: int = 1,
           pop_size: int = 40, generations: int = 60, rules: Sequence = (),
           deadline: float | None = None,
           moves: Sequence[NDArray] | None = None,
           start: Sequence[int] | None = None,
           tick: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray, int]:  # fmt: skip
    """The best choices of one site per item for one or more objectives (each a covering
    ``(covers, weights)`` or a function of the choice, to maximise), by a genetic search
    over the site indices (pymoo: integer sampling, SBX crossover and polynomial mutation
    rounded to integers): NSGA-II's Pareto front for several, a GA's last generation
    (each laydown once, best first) for one. The
    pair constraints ``rules`` are the search's constraints. ``deadline``
    (`time.monotonic`): stop at the end of the generation that passes it. Returns the
    choices (F, items), their values (F, objectives) and the evaluations made.
    Deterministic for ``seed`` (unless the deadline cuts it short). ``moves`` (one
    objective): per item, each site's distance from where it stands; among choices of
    equal value the search prefers the one that moves the items least (a penalty of at
    most 1e-9 of the value's scale). ``start``: a choice the first generation holds (the
    scenario's own laydown), the rest of it drawn at random."""
    import time

    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.soo.nonconvex.ga import GA

    from gbad.laydown.constraints import violations

    if n_sites is None:
        n_sites = [c.shape[0] for c in objectives[0][0]]
    functions = _as_functions(objectives)
    count = [0]
    tie = None
    if moves is not None and len(functions) == 1:
        far = max(max(float(np.max(m)) for m in moves if len(m)), 1e-9)
        tie = [np.asarray(m, float) / (far * len(moves)) for m in moves]

    def evaluate(rows):
        count[0] += len(rows)
        f = np.array([[fn(row) for fn in functions] for row in rows])
        if tie is not None:
            scale = max(float(np.max(np.abs(f))), 1e-12)
            f = f - 1e-9 * scale * np.array([[sum(t[row[k]] for k, t in enumerate(tie))]
                                             for row in rows])  # fmt: skip
        broken = np.array([[float(violations(rules, row))] for row in rows]) if rules else None
        return f, broken

    operators = _integer_operators()
    if start is not None:
        rng = np.random.default_rng(seed)
        first = rng.integers(0, np.array(n_sites)[None, :], size=(pop_size, len(n_sites)))
        first[0] = start
        operators["sampling"] = first
    algorithm = (NSGA2 if len(functions) > 1 else GA)(pop_size=pop_size, **operators)
    problem = _problem(n_sites, len(functions), bool(rules), evaluate)
    algorithm.setup(problem, termination=("n_gen", generations), seed=seed, verbose=False)
    while algorithm.has_next():
        algorithm.next()
        if tick:
            tick(algorithm.n_gen - 1, generations)
        if deadline is not None and time.monotonic() > deadline:
            break
    if len(functions) == 1:
        # One objective: the last generation's feasible laydowns, best first (the
        # runners-up are the table's alternatives).
        pop = algorithm.pop
        cv = pop.get("CV")
        x = pop.get("X")[(cv[:, 0] <= 0) if cv is not None else slice(None)]
    else:
        x = algorithm.result().X
    if x is None or len(x) == 0:
        from gbad.laydown.constraints import Pair

        raise Infeasible(sorted({r.rule for r in rules if isinstance(r, Pair)}))
    x = np.unique(np.atleast_2d(x).astype(int), axis=0)
    f = np.array([[fn(row) for fn in functions] for row in x])
    order = np.argsort(-f[:, 0], kind="stable")
    return x[order], f[order], count[0]


def polish(choice: Sequence[int], objectives: Sequence, moves: Sequence[NDArray],
           rules: Sequence = ()) -> list[int]:  # fmt: skip
    """A genetic search's answer moved back towards where the items stand: item by item,
    each to the nearest site (of those nearer than its own choice) that keeps every
    objective (as searched, tie-breaks included) at least as good and every pair
    constraint met. A search keeps no preference among equals between objectives; this
    keeps an item that gains nothing from moving from being moved."""
    from gbad.laydown.constraints import violations

    functions = _as_functions(objectives)
    best = list(choice)
    values = [f(best) for f in functions]
    for k, m in enumerate(moves):
        for j in np.argsort(m, kind="stable"):
            if m[j] >= m[best[k]]:
                break
            trial = best.copy()
            trial[k] = int(j)
            if rules and violations(rules, trial):
                continue
            got = [f(trial) for f in functions]
            if all(g >= v - 1e-12 for g, v in zip(got, values, strict=True)):
                best, values = trial, got
                break
    return best


def evaluations_to_reach(covers: Sequence[NDArray[np.bool_]], weights: NDArray, target: float,
                         seed: int = 1, pop_size: int = 20, budget: int = 20_000) -> int | None:  # fmt: skip
    """How many evaluations a genetic search (pymoo's GA, the single-objective sibling of
    `pareto`'s) needs to reach ``target`` (the programme's optimum); None within
    ``budget``."""
    from pymoo.algorithms.soo.nonconvex.ga import GA

    n_sites = [c.shape[0] for c in covers]
    state = {"n": 0, "hit": None}

    def evaluate(rows):
        values = np.array([covered_value(covers, list(row), weights) for row in rows])
        for v in values:
            state["n"] += 1
            if state["hit"] is None and v >= target - 1e-9:
                state["hit"] = state["n"]
        return values[:, None], None

    algorithm = GA(pop_size=pop_size, **_integer_operators())
    algorithm.setup(_problem(n_sites, 1, False, evaluate), termination=("n_evals", budget),
                    seed=seed, verbose=False)  # fmt: skip
    while algorithm.has_next() and state["hit"] is None:
        algorithm.next()
    return state["hit"]
