"""The assignment pass of a compiled scan (`scanpass`): confirmed tracks, then tentative
ones on what is left, each stage by union-find clusters of its gated pairs, a real
conflict solved exactly by :func:`lsa`."""

from __future__ import annotations

import numpy as np
from numba import njit

from gbad.tracking.status import CONFIRMED


@njit(cache=True)
def _find(parent, a):  # pragma: no cover - compiled
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@njit(cache=True)
def assign(pt, pd, pc, status, n_rows, k):  # pragma: no cover - compiled
    """GNN of one scan's gated pairs (sorted by track, costs d² + ln|S|), in two stages:
    confirmed tracks choose first, then the others among the detections left, so that
    clutter-born tracks never steal a held target's detection. Returns the indices of the
    chosen pairs."""
    chosen = np.empty(pt.size, np.int64)
    taken = np.zeros(k, np.bool_)
    # (the stage and the count as variables, not literals: Numba compiles a callee once
    # for each type a call's arguments take while it infers them, literals included)
    n = np.int64(0)
    for stage in range(2):
        n = assign_stage(pt, pd, pc, status, stage == 0, taken, n_rows, chosen, n)
        if stage == 0:
            for v in range(n):
                taken[pd[chosen[v]]] = True
    return chosen[:n]


@njit(cache=True)
def assign_stage(pt, pd, pc, status, confirmed, taken, n_rows, chosen, n0):  # pragma: no cover
    """GNN over the pairs of one stage (confirmed tracks, or the others, on detections not
    taken), as `association.gnn_assign`: a cluster with one track or one detection takes
    its cheapest pair (the first on ties); any other is solved exactly by :func:`lsa` on
    its dense matrix (cost − 2u where a pair is listed, 0 elsewhere, tracks and detections
    ascending), keeping the listed pairs of the optimum. The chosen pair indices go to
    chosen[n0…]; returns the new end."""
    k = taken.size
    n_pairs = pt.size
    sel = np.empty(n_pairs, np.int64)
    n_sel = 0
    c_max = -np.inf
    for p in range(n_pairs):
        if (status[pt[p]] == CONFIRMED) == confirmed and not taken[pd[p]]:
            sel[n_sel] = p
            n_sel += 1
            c_max = max(c_max, pc[p])
    if n_sel == 0:
        return n0
    two_u = 2.0 * (0.5 * (c_max + 1.0))
    # Union-find over tracks (row) and detections (n_rows + k).
    parent = np.empty(n_rows + k, np.int64)
    for v in range(n_sel):
        p = sel[v]
        parent[pt[p]] = pt[p]
        parent[n_rows + pd[p]] = n_rows + pd[p]
    for v in range(n_sel):
        p = sel[v]
        a = _find(parent, pt[p])
        b = _find(parent, n_rows + pd[p])
        if a != b:
            if a < b:
                parent[b] = a
            else:
                parent[a] = b
    # Per root: distinct tracks and detections, and the cheapest pair (first on ties).
    nt = np.zeros(n_rows + k, np.int64)
    nd = np.zeros(n_rows + k, np.int64)
    best = np.full(n_rows + k, -1, np.int64)
    seen_d = np.zeros(k, np.bool_)
    root = np.empty(n_sel, np.int64)
    last_t = -1
    for v in range(n_sel):
        p = sel[v]
        c = _find(parent, pt[p])
        root[v] = c
        if pt[p] != last_t:
            nt[c] += 1
            last_t = pt[p]
        if not seen_d[pd[p]]:
            seen_d[pd[p]] = True
            nd[c] += 1
        if best[c] < 0 or pc[p] < pc[best[c]]:
            best[c] = p
    n = n0
    # Conflict clusters, numbered in order of first pair; each pair's place in its
    # cluster's list of members.
    cid = np.full(n_rows + k, -1, np.int64)
    n_cf = 0
    for v in range(n_sel):
        c = root[v]
        if nt[c] == 1 or nd[c] == 1:
            if best[c] == sel[v]:
                chosen[n] = sel[v]
                n += 1
        elif cid[c] < 0:
            cid[c] = n_cf
            n_cf += 1
    if n_cf == 0:
        return n
    cf_nt = np.zeros(n_cf, np.int64)
    cf_nd = np.zeros(n_cf, np.int64)
    for v in range(n_sel):
        c = root[v]
        if cid[c] >= 0:
            cf_nt[cid[c]] = nt[c]
            cf_nd[cid[c]] = nd[c]
    t_off = np.zeros(n_cf + 1, np.int64)
    d_off = np.zeros(n_cf + 1, np.int64)
    off = np.zeros(n_cf + 1, np.int64)
    for q in range(n_cf):
        t_off[q + 1] = t_off[q] + cf_nt[q]
        d_off[q + 1] = d_off[q] + cf_nd[q]
        off[q + 1] = off[q] + cf_nt[q] * cf_nd[q]
    det = np.empty(d_off[n_cf], np.int64)
    fill_t = t_off[:-1].copy()
    fill_d = d_off[:-1].copy()
    loc = np.full(n_rows + k, -1, np.int64)  # local index of a member in its cluster
    last_t = -1
    for v in range(n_sel):
        q = cid[root[v]]
        if q < 0:
            continue
        p = sel[v]
        if pt[p] != last_t:
            last_t = pt[p]
            loc[pt[p]] = fill_t[q] - t_off[q]  # pairs come sorted by track: ascending
            fill_t[q] += 1
        if loc[n_rows + pd[p]] < 0:
            loc[n_rows + pd[p]] = 0
            det[fill_d[q]] = pd[p]
            fill_d[q] += 1
    for q in range(n_cf):
        seg = np.sort(det[d_off[q] : d_off[q + 1]])
        for m in range(seg.size):
            loc[n_rows + seg[m]] = m
    buf = np.zeros(off[n_cf])
    pair = np.full(off[n_cf], -1, np.int64)
    for v in range(n_sel):
        q = cid[root[v]]
        if q < 0:
            continue
        p = sel[v]
        e = off[q] + loc[pt[p]] * cf_nd[q] + loc[n_rows + pd[p]]
        buf[e] = pc[p] - two_u
        pair[e] = p
    for q in range(n_cf):
        a, b = cf_nt[q], cf_nd[q]
        block = buf[off[q] : off[q + 1]].reshape(a, b)
        col = lsa(block)
        for r in range(a):
            if col[r] >= 0 and pair[off[q] + r * b + col[r]] >= 0:
                chosen[n] = pair[off[q] + r * b + col[r]]
                n += 1
    return n


@njit(cache=True)
def lsa(cost):  # pragma: no cover - compiled
    """Minimum-cost assignment of a dense (n_r, n_c) matrix of finite costs: the column
    of each row (−1 for the rows left over when n_r > n_c). The shortest augmenting path
    method of Jonker and Volgenant as Crouse (2016) adapts it to rectangular problems,
    the method behind `scipy.optimize.linear_sum_assignment`: one row at a time joins the
    matching along a Dijkstra shortest path in reduced costs, the dual prices keeping every
    reduced cost non-negative. O(n_r² n_c); exact."""
    n_r, n_c = cost.shape
    if n_r <= n_c:
        return _lsa_wide(cost)
    col_t = _lsa_wide(cost.T.copy())
    col = np.full(n_r, -1, np.int64)
    for c in range(n_c):
        col[col_t[c]] = c
    return col


@njit(cache=True)
def _lsa_wide(cost):  # pragma: no cover - compiled
    """:func:`lsa` for n_r ≤ n_c: every row is assigned."""
    n_r, n_c = cost.shape
    u = np.zeros(n_r)
    v = np.zeros(n_c)
    shortest = np.empty(n_c)
    path = np.empty(n_c, np.int64)
    col4row = np.full(n_r, -1, np.int64)
    row4col = np.full(n_c, -1, np.int64)
    in_r = np.empty(n_r, np.bool_)
    in_c = np.empty(n_c, np.bool_)
    todo = np.empty(n_c, np.int64)
    for cur in range(n_r):
        for j in range(n_c):
            shortest[j] = np.inf
            path[j] = -1
            in_c[j] = False
            todo[j] = n_c - 1 - j
        for i in range(n_r):
            in_r[i] = False
        n_todo = n_c
        base = 0.0
        i = cur
        sink = -1
        while sink < 0:
            in_r[i] = True
            low = np.inf
            at = -1
            for t in range(n_todo):
                j = todo[t]
                red = base + cost[i, j] - u[i] - v[j]
                if red < shortest[j]:
                    path[j] = i
                    shortest[j] = red
                # ties go to a free column: the path ends there
                if shortest[j] < low or (shortest[j] == low and row4col[j] < 0):
                    low = shortest[j]
                    at = t
            base = low
            j = todo[at]
            in_c[j] = True
            n_todo -= 1
            todo[at] = todo[n_todo]
            if row4col[j] < 0:
                sink = j
            else:
                i = row4col[j]
        u[cur] += base
        for i in range(n_r):
            if in_r[i] and i != cur:
                u[i] += base - shortest[col4row[i]]
        for j in range(n_c):
            if in_c[j]:
                v[j] -= base - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            j, col4row[i] = col4row[i], j
            if i == cur:
                break
    return col4row
