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
         moves: Sequence[NDArray] | None = None) -> tuple[list[int], float]:  # fmt: skip
    """The best site per item (indices into each item's candidates) and its value, exact.

    ``moves``: per item, each site's distance from where the item stands now. Among
    laydowns of equal value the one that moves the items least is taken (a penalty of
    at most half the smallest cell weight in all, so the value comes first)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, vstack

    n_sites = [c.shape[0] for c in covers]
    n_x = sum(n_sites)
    n_c = covers[0].shape[1]
    a = np.vstack(covers)  # (all sites, cells)
    # Only cells some site sees can count; the others stay 0 and drop out.
    useful = np.flatnonzero(a.any(axis=0))
    a = a[:, useful]
    w = np.asarray(weights, float)[useful]
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
