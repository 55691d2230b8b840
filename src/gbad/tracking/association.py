"""Track-to-detection association for one batch: pre-gate, gate, clusters, GNN and JPDA.

Everything here works on *sparse pair lists*: three aligned 1-D arrays ``track_idx``,
``det_idx`` and a per-pair value (a cost, a likelihood), never on dense N × D matrices, so
that the work stays near linear in the number of tracks and detections. A batch goes

1. :func:`candidate_pairs` — coarse spatial pre-gate (a sorted sweep): every (track, detection)
   pair whose Cartesian distance is within the track's search radius (for instance
   :func:`search_radius_m` of the gated innovation covariance);
2. the caller computes, per candidate pair, the squared Mahalanobis distance ``d2`` and the
   likelihood with its filter, and keeps the pairs :func:`ellipsoidal_gate` passes;
3. :func:`gnn_assign` (global nearest neighbour: optimal 2-D assignment, tracks and
   detections may stay unassigned) or :func:`gbad.tracking.jpda.jpda_weights` (joint
   probabilistic data association: marginal association probabilities). Both split the problem into the
   connected components of the pair graph (:func:`clusters`) and solve each on its own.

Index arrays are ``numpy.intp``; inputs are never modified.

The JPDA model and its two solvers live in :mod:`gbad.tracking.jpda`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from numba import njit

from gbad.stats import chi2_ppf
from gbad.tracking.scanassign import lsa

#: Below this many (track, detection) pairs the pre-gate computes all distances directly.
_DENSE_PAIRS_MAX: Final = 20_000

__all__ = [
    "candidate_pairs",
    "clusters",
    "ellipsoidal_gate",
    "gate_threshold",
    "gnn_assign",
    "search_radius_m",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

# The pre-gate compares squared sums; a relative inflation of the radius this size
# guarantees that no pair within the radius by np.linalg.norm is lost to rounding, at the
# cost of perhaps admitting a pair a few ulps outside (harmless for a pre-gate).
_RADIUS_INFLATION: Final[float] = 1e-9


# --------------------------------------------------------------------------------------
# input checks


def _as_positions(name: str, x: npt.ArrayLike) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array of positions (n, dim); got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite; found NaN or inf")
    return a


def _as_count(name: str, n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {n!r}")
    return int(n)


def _check_pairs(
    track_idx: npt.ArrayLike, det_idx: npt.ArrayLike, n_tracks: int, n_dets: int
) -> tuple[IntArray, IntArray, int, int]:
    n_tracks = _as_count("n_tracks", n_tracks)
    n_dets = _as_count("n_dets", n_dets)
    t = np.asarray(track_idx)
    d = np.asarray(det_idx)
    for name, a, n in (("track_idx", t, n_tracks), ("det_idx", d, n_dets)):
        if a.ndim != 1:
            raise ValueError(f"{name} must be 1-D; got shape {a.shape}")
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"{name} must hold integers; got dtype {a.dtype}")
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError(
                f"{name} must lie in [0, {n}); found values from {a.min()} to {a.max()}"
            )
    if t.shape != d.shape:
        raise ValueError(
            f"track_idx and det_idx must have the same length; got {t.size} and {d.size}"
        )
    return t.astype(np.intp, copy=False), d.astype(np.intp, copy=False), n_tracks, n_dets


def _check_values(name: str, v: npt.ArrayLike, n_pairs: int) -> FloatArray:
    a = np.asarray(v, dtype=np.float64)
    if a.shape != (n_pairs,):
        raise ValueError(f"{name} must have one value per pair, shape ({n_pairs},); got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite; found NaN or inf")
    return a


def _check_unique_pairs(t: IntArray, d: IntArray, n_dets: int) -> None:
    key = t.astype(np.int64) * max(n_dets, 1) + d
    if np.unique(key).size != key.size:
        raise ValueError("each (track_idx, det_idx) pair may appear only once; found duplicates")


def _ptr(counts: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    out = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _local_index(members: IntArray, label: IntArray, n_labels: int, n: int) -> IntArray:
    """Rank of each member within its label (members sorted by id inside a label)."""
    loc = np.full(n, -1, np.intp)
    order = members[np.argsort(label[members], kind="stable")]
    counts = np.bincount(label[members], minlength=n_labels)
    start = _ptr(counts)[:-1]
    loc[order] = np.arange(order.size) - start[label[order]]
    return loc


# --------------------------------------------------------------------------------------
# pre-gate and gate


def search_radius_m(cov_m2: npt.ArrayLike, threshold: float) -> FloatArray:
    """Radius of the sphere that holds each gate ellipsoid ``xᵀ C⁻¹ x ≤ threshold``.

    ``cov_m2`` is (N, k, k): the Cartesian covariance of the predicted position *plus* the
    measurement noise expressed in the same frame (the innovation covariance in Cartesian
    form), in m². The radius is ``sqrt(threshold · λ_max)``, the ellipsoid's longest
    semi-axis. ``threshold`` is a squared Mahalanobis distance, e.g. :func:`gate_threshold`.
    Returns (N,) in metres.
    """
    c = np.asarray(cov_m2, dtype=np.float64)
    if c.ndim != 3 or c.shape[1] != c.shape[2]:
        raise ValueError(f"cov_m2 must have shape (N, k, k); got {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("cov_m2 must be finite; found NaN or inf")
    if not (np.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a finite squared distance >= 0; got {threshold!r}")
    if c.shape[0] == 0:
        return np.zeros(0)
    sym = 0.5 * (c + np.swapaxes(c, 1, 2))
    lam_max = np.linalg.eigvalsh(sym)[:, -1]
    if np.any(lam_max < 0):
        raise ValueError("cov_m2 must be positive semi-definite; a largest eigenvalue is < 0")
    return np.sqrt(threshold * lam_max)


def candidate_pairs(
    track_pos_m: npt.ArrayLike,
    search_radius_m: npt.ArrayLike,
    det_pos_m: npt.ArrayLike,
    det_radius_m: npt.ArrayLike = 0.0,
) -> tuple[IntArray, IntArray]:
    """Every (track, detection) pair whose spheres touch (a sorted-sweep pre-gate).

    ``track_pos_m`` (N, k) predicted track positions, ``search_radius_m`` (N,) or a scalar,
    ``det_pos_m`` (D, k) detection positions in the same Cartesian frame (k = 3 for ENU or
    ECEF; any k works), ``det_radius_m`` (D,) or a scalar: each detection's own reach (its
    measurement spread; 0 for a point). Returns ``(track_idx, det_idx)``, sorted by track
    then detection.

    Guarantee: every pair with ``‖det − track‖ ≤ search radius + det radius`` is returned.
    Pairs a few ulps outside may be returned as well (the sum is inflated by 1e-9 relative
    against rounding), which a pre-gate tolerates: the ellipsoidal gate decides.
    """
    tp = _as_positions("track_pos_m", track_pos_m)
    dp = _as_positions("det_pos_m", det_pos_m)
    if tp.shape[1] != dp.shape[1]:
        raise ValueError(
            f"track_pos_m and det_pos_m must have the same dimension; got {tp.shape[1]} "
            f"and {dp.shape[1]}"
        )
    r = _radii("search_radius_m", search_radius_m, tp.shape[0], "track")
    rd = _radii("det_radius_m", det_radius_m, dp.shape[0], "detection")
    empty = (np.zeros(0, np.intp), np.zeros(0, np.intp))
    if tp.shape[0] == 0 or dp.shape[0] == 0:
        return empty
    if np.ndim(det_radius_m) == 0:
        return _track_spheres(tp, r + float(det_radius_m), dp)
    # Spheres around the tracks wide enough for the widest detection, then each pair
    # against its own two radii (the sum of squares in the same order as the sweep's).
    ti, di = _track_spheres(tp, r + rd.max(), dp)
    d2 = np.sum((dp[di] - tp[ti]) ** 2, axis=1)
    keep = d2 <= ((r[ti] + rd[di]) * (1.0 + _RADIUS_INFLATION)) ** 2
    return ti[keep], di[keep]


def _radii(name: str, value: npt.ArrayLike, n: int, per: str) -> FloatArray:
    """A scalar or one radius per item, as an (n,) array; finite and ≥ 0."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != 0 and a.shape != (n,):
        raise ValueError(f"{name} must be a scalar or one value per {per} ({n},); got {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError(f"{name} must be finite and >= 0")
    return np.broadcast_to(a, (n,))


def _track_spheres(tp: FloatArray, r: FloatArray, dp: FloatArray) -> tuple[IntArray, IntArray]:
    """`candidate_pairs` with point detections."""
    r_eff = r * (1.0 + _RADIUS_INFLATION)
    if tp.shape[0] * dp.shape[0] <= _DENSE_PAIRS_MAX:
        # Small problems: all distances at once beat building two trees.
        d2 = np.sum((tp[:, None, :] - dp[None, :, :]) ** 2, axis=-1)
        ti, di = np.nonzero(d2 <= (r_eff**2)[:, None])
        return ti.astype(np.intp), di.astype(np.intp)
    # Sweep along the first axis: detections sorted by it, each track scans only the slab
    # [x − r, x + r] and checks the full distance there. Exact, and with targets spread over
    # a radar's coverage the slabs hold a handful of detections each.
    order = np.argsort(dp[:, 0], kind="stable").astype(np.intp)
    ti, di = _slab_pairs(np.ascontiguousarray(tp), r_eff, np.ascontiguousarray(dp[order]), order)
    return ti, di


@njit(cache=True)
def _slab_pairs(tp, r, dp_sorted, order):  # pragma: no cover - compiled
    """Pairs within radius, by a sweep over detections sorted on the first coordinate;
    returned sorted by track, then detection."""
    n_t = tp.shape[0]
    k = tp.shape[1]
    xs = dp_sorted[:, 0]
    lo = np.searchsorted(xs, tp[:, 0] - r, side="left")
    hi = np.searchsorted(xs, tp[:, 0] + r, side="right")
    counts = np.zeros(n_t, np.int64)
    for i in range(n_t):
        r2 = r[i] * r[i]
        for j in range(lo[i], hi[i]):
            d2 = 0.0
            for c in range(k):
                diff = dp_sorted[j, c] - tp[i, c]
                d2 += diff * diff
            if d2 <= r2:
                counts[i] += 1
    total = counts.sum()
    ti = np.empty(total, np.intp)
    di = np.empty(total, np.intp)
    pos = 0
    for i in range(n_t):
        r2 = r[i] * r[i]
        start = pos
        for j in range(lo[i], hi[i]):
            d2 = 0.0
            for c in range(k):
                diff = dp_sorted[j, c] - tp[i, c]
                d2 += diff * diff
            if d2 <= r2:
                ti[pos] = i
                di[pos] = order[j]
                pos += 1
        di[start:pos].sort()  # in place: a slice assignment compiles a shape check
    return ti, di


def gate_threshold(m: int, gate_probability: float) -> float:
    """Chi-square gate on the squared Mahalanobis distance for an m-dimensional measurement.

    The true measurement of a detected target falls inside with probability
    ``gate_probability`` (χ²_m quantile). ``gate_probability = 1`` gives ``inf``.
    """
    m = _as_count("m", m)
    if m == 0:
        raise ValueError("m (measurement dimension) must be >= 1")
    if not (0.0 < gate_probability <= 1.0):
        raise ValueError(f"gate_probability must be in (0, 1]; got {gate_probability!r}")
    return float(chi2_ppf(gate_probability, m))


def ellipsoidal_gate(d2: npt.ArrayLike, m: int, gate_probability: float) -> BoolArray:
    """Which pairs pass the chi-square gate: ``d2 <= gate_threshold(m, gate_probability)``.

    ``d2`` is the squared Mahalanobis distance of each pair (any shape); returns a boolean
    mask of the same shape. NaN distances fail the gate.
    """
    return np.asarray(d2, dtype=np.float64) <= gate_threshold(m, gate_probability)


# --------------------------------------------------------------------------------------
# clusters


def clusters(
    track_idx: npt.ArrayLike, det_idx: npt.ArrayLike, n_tracks: int, n_dets: int
) -> tuple[IntArray, IntArray]:
    """Connected components of the bipartite (track, detection) pair graph.

    Returns ``(track_cluster (n_tracks,), det_cluster (n_dets,))``: labels 0 … K−1, equal
    for members of one component. A track or detection in no pair is a component of its
    own. Two pairs share a cluster exactly when a chain of pairs links them, so clusters
    can be solved independently.
    """
    t, d, n_tracks, n_dets = _check_pairs(track_idx, det_idx, n_tracks, n_dets)
    n = n_tracks + n_dets
    if n == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    labels = _components(t.astype(np.int64), (n_tracks + d).astype(np.int64), n)
    return labels[:n_tracks], labels[n_tracks:]


@njit(cache=True)
def _components(a, b, n):  # pragma: no cover - compiled
    """Connected components of an undirected graph given as edge lists, labelled 0..K-1
    in order of each component's smallest node (union-find with path halving)."""
    parent = np.arange(n)
    for k in range(a.size):
        x = a[k]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        y = b[k]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x != y:
            if x < y:
                parent[y] = x
            else:
                parent[x] = y
    labels = np.empty(n, np.intp)
    next_label = 0
    for i in range(n):
        root = i
        while parent[root] != root:
            root = parent[root]
        if root == i:
            labels[i] = next_label
            next_label += 1
        else:
            labels[i] = labels[root]
    return labels


# --------------------------------------------------------------------------------------
# GNN


def gnn_assign(
    track_idx: npt.ArrayLike,
    det_idx: npt.ArrayLike,
    cost: npt.ArrayLike,
    n_tracks: int,
    n_dets: int,
    unassigned_cost: float,
) -> tuple[IntArray, IntArray]:
    """Global nearest neighbour: the optimal one-to-one assignment over the given pairs.

    Minimises ``Σ_{assigned pairs} cost + unassigned_cost · (unassigned tracks +
    unassigned detections)``; a pair not listed cannot be assigned. Equivalently, a pair is
    worth taking only when its cost is below ``2 · unassigned_cost`` (e.g. with
    ``cost = d2`` and ``unassigned_cost = threshold / 2`` every gated pair may be taken).
    Costs may be negative (e.g. negative log-likelihood ratios).

    Solved per cluster: clusters with one track or one detection directly (the cheapest
    pair), others with one `scanassign.lsa` call on the cluster's dense cost matrix
    (``scipy.optimize.linear_sum_assignment``'s method, compiled). Returns
    ``(track_idx, det_idx)`` of the assigned pairs, sorted by track. Ties between
    equal-cost solutions are broken arbitrarily but deterministically.
    """
    t, d, n_tracks, n_dets = _check_pairs(track_idx, det_idx, n_tracks, n_dets)
    c = _check_values("cost", cost, t.size)
    u = float(unassigned_cost)
    if not np.isfinite(u):
        raise ValueError(f"unassigned_cost must be finite; got {unassigned_cost!r}")
    _check_unique_pairs(t, d, n_dets)
    # A pair costing 2u or more is never better than leaving both ends unassigned, so some
    # optimum avoids it; dropping such pairs also splits clusters.
    keep = c < 2.0 * u
    t, d, c = t[keep], d[keep], c[keep]
    if t.size == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    if np.bincount(t, minlength=1).max() == 1 and np.bincount(d, minlength=1).max() == 1:
        # Every track and detection in one pair (nine batches in ten): each pair is its
        # own cluster, and taken, as the cluster solve below would take it.
        order = np.argsort(t, kind="stable")
        return t[order].astype(np.intp), d[order].astype(np.intp)
    track_cl, det_cl = clusters(t, d, n_tracks, n_dets)
    cl = track_cl[t]
    n_cl = int(max(track_cl.max(initial=-1), det_cl.max(initial=-1))) + 1
    # Count distinct members per cluster (a member may sit in several pairs).
    ut = np.unique(t)
    ud = np.unique(d)
    nt_cl = np.bincount(track_cl[ut], minlength=n_cl)
    nd_cl = np.bincount(det_cl[ud], minlength=n_cl)
    star = (nt_cl[cl] == 1) | (nd_cl[cl] == 1)

    # Stars (one track or one detection): the cheapest pair, every pair here being < 2u.
    s_idx = np.flatnonzero(star)
    order = s_idx[np.lexsort((c[s_idx], cl[s_idx]))]
    _, first = np.unique(cl[order], return_index=True)
    best = order[first]
    out_t = [t[best]]
    out_d = [d[best]]

    # The rest: maximise Σ (2u − cost) over matchings. A full rectangular matching on
    # (cost − 2u), with unlisted pairs at 0 (= not assigned), has the same optimum, since
    # every listed entry is < 0 and any partial matching extends by zero-cost entries.
    # Each cluster's dense matrix is cut from one flat buffer built in one vectorised step,
    # so the Python loop holds nothing but the solver call.
    g_idx = np.flatnonzero(~star)
    if g_idx.size:
        g_cl_ids = np.unique(cl[g_idx])
        in_g = np.zeros(n_cl, bool)
        in_g[g_cl_ids] = True
        g_tracks = ut[in_g[track_cl[ut]]]
        g_dets = ud[in_g[det_cl[ud]]]
        loc_t = _local_index(g_tracks, track_cl, n_cl, n_tracks)
        loc_d = _local_index(g_dets, det_cl, n_cl, n_dets)
        # members sorted by (cluster, id): local index k of cluster q is entry start[q] + k
        tracks_sorted = g_tracks[np.argsort(track_cl[g_tracks], kind="stable")]
        dets_sorted = g_dets[np.argsort(det_cl[g_dets], kind="stable")]
        t_start = _ptr(nt_cl * in_g)
        d_start = _ptr(nd_cl * in_g)
        size = nt_cl * nd_cl * in_g
        off = _ptr(size)
        buf = np.zeros(int(off[-1]))
        gc = cl[g_idx]
        buf[off[gc] + loc_t[t[g_idx]] * nd_cl[gc] + loc_d[d[g_idx]]] = c[g_idx] - 2.0 * u
        rows_parts: list[IntArray] = []
        cols_parts: list[IntArray] = []
        cl_parts: list[IntArray] = []
        for q, o, a, b in zip(
            g_cl_ids.tolist(),
            off[g_cl_ids].tolist(),
            nt_cl[g_cl_ids].tolist(),
            nd_cl[g_cl_ids].tolist(),
            strict=True,
        ):
            col = lsa(buf[o : o + a * b].reshape(a, b))
            rows = np.flatnonzero(col >= 0)
            cols = col[rows]
            rows_parts.append(rows)
            cols_parts.append(cols)
            cl_parts.append(np.full(rows.size, q, np.intp))
        rows = np.concatenate(rows_parts)
        cols = np.concatenate(cols_parts)
        qs = np.concatenate(cl_parts)
        taken = buf[off[qs] + rows * nd_cl[qs] + cols] < 0.0
        out_t.append(tracks_sorted[t_start[qs[taken]] + rows[taken]])
        out_d.append(dets_sorted[d_start[qs[taken]] + cols[taken]])
    at = np.concatenate(out_t).astype(np.intp)
    ad = np.concatenate(out_d).astype(np.intp)
    order = np.argsort(at, kind="stable")
    return at[order], ad[order]
