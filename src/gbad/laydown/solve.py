"""Choosing one site per placed item to cover the most: the maximal covering location
problem, solved exactly as a mixed-integer programme (`scipy.optimize.milp`, HiGHS), and
by enumeration for checking it on small problems.

For items i with candidate sites j ∈ J_i, each site covering cells a_jc, and cell
weights w_c:

    maximise   Σ_c w_c y_c
    subject to y_c ≤ Σ_i Σ_{j ∈ J_i} a_jc x_j   (a cell counts only if a chosen site sees it)
               Σ_{j ∈ J_i} x_j = 1               (each item stands at one site)
               x_j, y_c ∈ {0, 1}
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def covered_value(covers: Sequence[NDArray[np.bool_]], choice: Sequence[int], weights: NDArray) -> float:
    """Σ w_c over the cells that some chosen site sees."""
    seen = np.zeros(covers[0].shape[1], dtype=bool)
    for cover, j in zip(covers, choice, strict=True):
        seen |= cover[j]
    return float(np.sum(weights[seen]))


def mclp(covers: Sequence[NDArray[np.bool_]], weights: NDArray,
         moves: Sequence[NDArray] | None = None, programme: bool = False) -> tuple[list[int], float]:  # fmt: skip
    """The best site per item (indices into each item's candidates) and its value, exact:
    for one item read off its sites' values (``programme``: by the programme all the
    same), for several the programme above.

    ``moves``: per item, each site's distance from where the item stands now. Among
    laydowns of equal value the one that moves the items least is taken (a penalty of
    at most half the smallest cell weight in all, so the value comes first)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, vstack

    if len(covers) == 1 and not programme:
        # One item: each site's value is its cover's weight, and the best is read off.
        values = covers[0].astype(float) @ np.asarray(weights, float)
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
    res = milp(cost, constraints=constraints, integrality=np.ones(n_x + n_y),
               bounds=Bounds(0.0, 1.0))  # fmt: skip
    if not res.success:
        raise RuntimeError(f"the covering programme found no solution: {res.message}")
    x = np.round(res.x[:n_x]).astype(int)
    choice, start = [], 0
    for n in n_sites:
        choice.append(int(np.argmax(x[start : start + n])))
        start += n
    del n_c
    return choice, covered_value(covers, choice, np.asarray(weights, float))


def brute_force(covers: Sequence[NDArray[np.bool_]], weights: NDArray) -> tuple[list[int], float]:
    """Every combination of sites tried: the reference `mclp` is tested against."""
    w = np.asarray(weights, float)
    best, best_value = None, -1.0
    for choice in itertools.product(*(range(c.shape[0]) for c in covers)):
        value = covered_value(covers, choice, w)
        if value > best_value + 1e-9:
            best, best_value = list(choice), value
    return best or [0] * len(covers), best_value


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


def _values(problems, x) -> np.ndarray:
    """(objectives,) of the choice ``x`` (one site index per item)."""
    return np.array([covered_value(covers, list(x), w) for covers, w in problems])


def pareto(problems: Sequence[tuple[Sequence[NDArray[np.bool_]], NDArray]], seed: int = 1,
           pop_size: int = 40, generations: int = 60) -> tuple[np.ndarray, np.ndarray, int]:  # fmt: skip
    """The Pareto front of several covering objectives (each ``(covers, weights)`` over the
    same items and candidate sites), by NSGA-II over the site indices (pymoo: integer
    sampling, SBX crossover and polynomial mutation rounded to integers). Returns the
    front's choices (F, items), their values (F, objectives) and the evaluations made.
    Deterministic for ``seed``."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.optimize import minimize

    n_sites = [c.shape[0] for c in problems[0][0]]
    count = [0]

    class Laydown(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=len(n_sites), n_obj=len(problems), xl=0,
                             xu=np.array(n_sites) - 1, vtype=int)  # fmt: skip

        def _evaluate(self, x, out, *args, **kwargs) -> None:
            count[0] += len(x)
            out["F"] = -np.array([_values(problems, row.astype(int)) for row in x])

    algorithm = NSGA2(pop_size=pop_size, **_integer_operators())
    res = minimize(Laydown(), algorithm, ("n_gen", generations), seed=seed, verbose=False)
    x = np.atleast_2d(res.X).astype(int)
    f = -np.atleast_2d(res.F)
    order = np.argsort(-f[:, 0], kind="stable")
    return x[order], f[order], count[0]


def evaluations_to_reach(covers: Sequence[NDArray[np.bool_]], weights: NDArray, target: float,
                         seed: int = 1, pop_size: int = 20, budget: int = 20_000) -> int | None:  # fmt: skip
    """How many evaluations a genetic search (pymoo's GA, the single-objective sibling of
    `pareto`'s) needs to reach ``target`` (the programme's optimum); None within
    ``budget``."""
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.core.problem import Problem

    n_sites = [c.shape[0] for c in covers]
    state = {"n": 0, "hit": None}

    class Laydown(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=len(n_sites), n_obj=1, xl=0, xu=np.array(n_sites) - 1,
                             vtype=int)  # fmt: skip

        def _evaluate(self, x, out, *args, **kwargs) -> None:
            values = np.array([covered_value(covers, list(row.astype(int)), weights) for row in x])
            for v in values:
                state["n"] += 1
                if state["hit"] is None and v >= target - 1e-9:
                    state["hit"] = state["n"]
            out["F"] = -values

    algorithm = GA(pop_size=pop_size, **_integer_operators())
    algorithm.setup(Laydown(), termination=("n_evals", budget), seed=seed, verbose=False)
    while algorithm.has_next() and state["hit"] is None:
        algorithm.next()
    return state["hit"]
