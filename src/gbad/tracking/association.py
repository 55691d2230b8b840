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
   detections may stay unassigned) or :func:`jpda_weights` (joint probabilistic data
   association: marginal association probabilities). Both split the problem into the
   connected components of the pair graph (:func:`clusters`) and solve each on its own.

Index arrays are ``numpy.intp``; inputs are never modified.

JPDA model (Bar-Shalom, Daum & Huang, "The probabilistic data association filter",
IEEE Control Systems 29(6), 2009; the same as Stone Soup's ``JPDA`` with
``PDAHypothesiser``): a joint hypothesis θ assigns each track at most one detection and each
detection at most one track, and

    P(θ) ∝ Π_{(i,j) ∈ θ} P_D,i · L_ij / λ  ·  Π_{i missed in θ} (1 − P_D,i · P_G),

with ``L_ij`` the measurement likelihood N(z_j; ẑ_i, S_i), ``λ`` the clutter density and
``P_G`` the gate probability. Clusters whose smaller side has at most ``exact_max_side``
members are marginalised exactly, by a dynamic programme over the subsets of the smaller
side (the sum over every joint hypothesis, without listing them one by one; cost
``larger side × 2^smaller side × pairs per member``). Larger clusters use loopy belief
propagation (Williams & Lau, "Approximate evaluation of marginal association probabilities
with belief propagation", IEEE TAES 50(4), 2014), which is exact on tree-shaped clusters
and approximate on loopy ones: on dense crossings of 4–10 targets (tests/test_association.py)
the mean error of a probability is below 0.01 and the worst seen 0.15. The per-track
probabilities still sum to one.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from numba import njit
from scipy.optimize import linear_sum_assignment

from gbad.stats import chi2_ppf

#: Below this many (track, detection) pairs the pre-gate computes all distances directly.
_DENSE_PAIRS_MAX: Final = 20_000

__all__ = [
    "candidate_pairs",
    "clusters",
    "ellipsoidal_gate",
    "gate_threshold",
    "gnn_assign",
    "jpda_weights",
    "search_radius_m",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

# The pre-gate compares squared sums; a relative inflation of the radius this size
# guarantees that no pair within the radius by np.linalg.norm is lost to rounding, at the
# cost of perhaps admitting a pair a few ulps outside (harmless for a pre-gate).
_RADIUS_INFLATION: Final[float] = 1e-9
# Default cap on the exact JPDA programme: 2^12 subset states of the smaller side.
_EXACT_MAX_SIDE: Final[int] = 12
# Above this many (state × pair) operations a cluster goes to belief propagation even when
# its smaller side is small (a long thin cluster: hundreds of tracks on 12 detections).
_EXACT_MAX_WORK: Final[int] = 50_000_000
# ... or when its table of (larger side + 1) × 2^smaller side sums passes 32 MiB.
_EXACT_MAX_TABLE: Final[int] = 1 << 22


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
    pair), others with one ``scipy.optimize.linear_sum_assignment`` call on the cluster's
    dense cost matrix. Returns ``(track_idx, det_idx)`` of the assigned pairs, sorted by
    track. Ties between equal-cost solutions are broken arbitrarily but deterministically.
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
            rows, cols = linear_sum_assignment(buf[o : o + a * b].reshape(a, b))
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


# --------------------------------------------------------------------------------------
# JPDA kernels


@njit(cache=True)
def _jpda_exact_kernel(
    cl_pair_ptr,
    pair_outer,
    pair_inner,
    pair_w,
    cl_outer_ptr,
    outer_miss_w,
    cl_inner_ptr,
    inner_miss_w,
    pair_beta,
    outer_miss_beta,
    inner_miss_beta,
):
    # Per cluster: outer members o = 0..no-1 in turn, state s = bitmask of inner members
    # already taken. B[o, s] sums the weights of every way members o.. can continue from s
    # (inner members never taken contribute their miss weight at the end); F[s] sums the
    # ways members ..o-1 reach s. Each B row and F is rescaled by its max: a marginal at
    # stage o is a ratio of sums at the same stage, so the scale cancels.
    n_cl = cl_pair_ptr.size - 1
    for c in range(n_cl):
        p0 = cl_pair_ptr[c]
        p1 = cl_pair_ptr[c + 1]
        o0 = cl_outer_ptr[c]
        no = cl_outer_ptr[c + 1] - o0
        i0 = cl_inner_ptr[c]
        k = cl_inner_ptr[c + 1] - i0
        ns = 1 << k
        # pairs are sorted by outer member: start of each member's run
        start = np.empty(no + 1, np.int64)
        start[:] = p1
        for p in range(p1 - 1, p0 - 1, -1):
            start[pair_outer[p]] = p
        for o in range(no - 1, -1, -1):
            if start[o] > start[o + 1]:
                start[o] = start[o + 1]
        b = np.empty((no + 1, ns))
        for s in range(ns):
            prod = 1.0
            for q in range(k):
                if not (s >> q) & 1:
                    prod *= inner_miss_w[i0 + q]
            b[no, s] = prod
        for o in range(no - 1, -1, -1):
            mo = outer_miss_w[o0 + o]
            mx = 0.0
            for s in range(ns):
                v = mo * b[o + 1, s]
                for p in range(start[o], start[o + 1]):
                    bit = 1 << pair_inner[p]
                    if not s & bit:
                        v += pair_w[p] * b[o + 1, s | bit]
                b[o, s] = v
                if v > mx:
                    mx = v
            if mx > 0.0:
                for s in range(ns):
                    b[o, s] /= mx
        f = np.zeros(ns)
        f[0] = 1.0
        fn = np.empty(ns)
        for o in range(no):
            mo = outer_miss_w[o0 + o]
            miss = 0.0
            for p in range(start[o], start[o + 1]):
                pair_beta[p] = 0.0
            fn[:] = 0.0
            for s in range(ns):
                fs = f[s]
                if fs == 0.0:
                    continue
                miss += fs * mo * b[o + 1, s]
                fn[s] += fs * mo
                for p in range(start[o], start[o + 1]):
                    bit = 1 << pair_inner[p]
                    if not s & bit:
                        pair_beta[p] += fs * pair_w[p] * b[o + 1, s | bit]
                        fn[s | bit] += fs * pair_w[p]
            total = miss
            for p in range(start[o], start[o + 1]):
                total += pair_beta[p]
            outer_miss_beta[o0 + o] = miss / total
            for p in range(start[o], start[o + 1]):
                pair_beta[p] /= total
            mx = 0.0
            for s in range(ns):
                if fn[s] > mx:
                    mx = fn[s]
            for s in range(ns):
                f[s] = fn[s] / mx
        z = 0.0
        for q in range(k):
            inner_miss_beta[i0 + q] = 0.0
        for s in range(ns):
            v = f[s] * b[no, s]
            z += v
            for q in range(k):
                if not (s >> q) & 1:
                    inner_miss_beta[i0 + q] += v
        for q in range(k):
            inner_miss_beta[i0 + q] /= z


@njit(cache=True)
def _lbp_kernel(t_ptr, d_order, d_ptr, psi, tol, max_iter):
    # Williams & Lau (2014), eqs. (30)-(31): messages track→detection
    #   mu_ij = psi_ij / (1 + Σ_{j'≠j} psi_ij' nu_ji')
    # and detection→track
    #   nu_ji = 1 / (1 + Σ_{i'≠i} mu_i'j),
    # with psi the likelihood ratio of "i took j" over "i missed, j is clutter". Pairs are
    # sorted by track (t_ptr); d_order lists them by detection (d_ptr). The sums over "the
    # others" use prefix and suffix sums, not total − self, which would cancel
    # catastrophically when one ratio dwarfs the rest.
    n_p = psi.size
    nu = np.ones(n_p)
    nu_new = np.empty(n_p)
    mu = np.empty(n_p)
    pre = np.empty(n_p)
    n_t = t_ptr.size - 1
    n_d = d_ptr.size - 1
    n_iter = 0
    for _ in range(max_iter):
        n_iter += 1
        for i in range(n_t):
            acc = 0.0
            for p in range(t_ptr[i], t_ptr[i + 1]):
                pre[p] = acc
                acc += psi[p] * nu[p]
            acc = 0.0
            for p in range(t_ptr[i + 1] - 1, t_ptr[i] - 1, -1):
                mu[p] = psi[p] / (1.0 + pre[p] + acc)
                acc += psi[p] * nu[p]
        change = 0.0
        for j in range(n_d):
            acc = 0.0
            for q in range(d_ptr[j], d_ptr[j + 1]):
                p = d_order[q]
                pre[p] = acc
                acc += mu[p]
            acc = 0.0
            for q in range(d_ptr[j + 1] - 1, d_ptr[j] - 1, -1):
                p = d_order[q]
                v = 1.0 / (1.0 + pre[p] + acc)
                acc += mu[p]
                rel = abs(v - nu[p]) / v
                if rel > change:
                    change = rel
                nu_new[p] = v
        nu, nu_new = nu_new, nu
        if change < tol:
            break
    return nu, n_iter


# --------------------------------------------------------------------------------------
# JPDA


def jpda_weights(
    track_idx: npt.ArrayLike,
    det_idx: npt.ArrayLike,
    likelihood: npt.ArrayLike,
    n_tracks: int,
    n_dets: int,
    pd: float | npt.ArrayLike,
    clutter_density: float,
    *,
    gate_probability: float = 1.0,
    method: Literal["auto", "exact", "lbp"] = "auto",
    exact_max_side: int = _EXACT_MAX_SIDE,
    lbp_tol: float = 1e-12,
    lbp_max_iter: int = 10_000,
) -> tuple[FloatArray, FloatArray]:
    """JPDA marginal association probabilities over the given (gated) pairs.

    ``likelihood`` is each pair's measurement density ``N(z_j; ẑ_i, S_i)`` (≥ 0, in 1 per
    unit measurement volume); ``clutter_density`` is the false-detection density λ > 0 in
    the same volume unit (e.g. per m³ for Cartesian positions, per m·rad² for
    range/azimuth/elevation); ``pd`` the detection probability, a scalar or one per track
    (N,); ``gate_probability`` P_G the probability that the gate used to build the pair list
    holds a detected target's measurement (1 if nothing was gated out). The model is in the
    module docstring; it requires ``pd · P_G < 1``.

    Returns ``(beta (P,), beta0 (n_tracks,))``: ``beta[p]`` the probability that pair p's
    detection belongs to its track, ``beta0[i]`` the probability that track i has none of
    them (1 for a track in no pair); ``beta0[i] + Σ_{p: track i} beta[p] = 1``.

    ``method``: ``"auto"`` marginalises clusters exactly when their smaller side has at most
    ``exact_max_side`` members (and the work is moderate), by belief propagation otherwise;
    ``"exact"`` forces the exact programme (memory grows as 2^smaller side; at most 20),
    ``"lbp"`` forces belief propagation (iterated until the messages change by less than
    ``lbp_tol`` relative, or ``lbp_max_iter`` sweeps).
    """
    t, d, n_tracks, n_dets = _check_pairs(track_idx, det_idx, n_tracks, n_dets)
    n_pairs = t.size
    lik = _check_values("likelihood", likelihood, n_pairs)
    if np.any(lik < 0):
        raise ValueError("likelihood must be >= 0")
    pd_arr = np.broadcast_to(np.asarray(pd, dtype=np.float64), (n_tracks,))
    if not np.all((pd_arr > 0) & (pd_arr <= 1)):
        raise ValueError("pd must lie in (0, 1] for every track")
    if not (0.0 < gate_probability <= 1.0):
        raise ValueError(f"gate_probability must be in (0, 1]; got {gate_probability!r}")
    miss = 1.0 - pd_arr * gate_probability
    if np.any(miss <= 0):
        raise ValueError(
            "pd · gate_probability must be < 1: with certain detection inside the gate a "
            "track without a detection has probability 0 and JPDA is undefined"
        )
    if not (np.isfinite(clutter_density) and clutter_density > 0):
        raise ValueError(f"clutter_density must be finite and > 0; got {clutter_density!r}")
    if method not in ("auto", "exact", "lbp"):
        raise ValueError(f"method must be 'auto', 'exact' or 'lbp'; got {method!r}")
    exact_max_side = _as_count("exact_max_side", exact_max_side)
    if method == "exact" and exact_max_side > 20:
        raise ValueError("exact_max_side must be <= 20 (the programme holds 2^side states)")

    with np.errstate(over="ignore"):
        ratio = pd_arr[t] * lik / (clutter_density * miss[t])
    if not np.all(np.isfinite(ratio)):
        raise ValueError(
            "pd · likelihood / (clutter_density · (1 − pd·P_G)) overflows; check the units "
            "of likelihood and clutter_density"
        )
    _check_unique_pairs(t, d, n_dets)
    beta = np.zeros(n_pairs)
    beta0 = np.ones(n_tracks)
    # pairs of zero likelihood take no part (and would only glue clusters together)
    live = np.flatnonzero(ratio > 0)
    if live.size == 0:
        return beta, beta0
    tl, dl, rl = t[live], d[live], ratio[live]

    track_cl, det_cl = clusters(tl, dl, n_tracks, n_dets)
    n_cl = int(max(track_cl.max(initial=-1), det_cl.max(initial=-1))) + 1
    cl = track_cl[tl]
    ut = np.unique(tl)
    ud = np.unique(dl)
    nt_cl = np.bincount(track_cl[ut], minlength=n_cl)
    nd_cl = np.bincount(det_cl[ud], minlength=n_cl)
    np_cl = np.bincount(cl, minlength=n_cl)
    loc_t = _local_index(ut, track_cl, n_cl, n_tracks)
    loc_d = _local_index(ud, det_cl, n_cl, n_dets)
    small = np.minimum(nt_cl, nd_cl)
    large = np.maximum(nt_cl, nd_cl)
    if method == "exact":
        too_big = small > exact_max_side
        if np.any(too_big):
            raise ValueError(
                f"method='exact': a cluster has {int(small[too_big].max())} members on its "
                f"smaller side, above exact_max_side={exact_max_side}"
            )
        exact_cl = np.ones(n_cl, bool)
    elif method == "lbp":
        exact_cl = np.zeros(n_cl, bool)
    else:
        capped = np.minimum(small, 60)
        work = np.ldexp((large + np_cl).astype(np.float64), capped)
        table = np.ldexp((large + 1).astype(np.float64), capped)
        exact_cl = (
            (small <= exact_max_side) & (work <= _EXACT_MAX_WORK) & (table <= _EXACT_MAX_TABLE)
        )
    exact_cl &= np_cl > 0

    # ---- exact clusters: per-track normalised weights keep every product <= 1
    s_track = 1.0 + np.bincount(tl, weights=rl, minlength=n_tracks)
    ex = np.flatnonzero(exact_cl[cl])
    if ex.size:
        ex_ids = np.flatnonzero(exact_cl)
        rank = np.full(n_cl, -1, np.intp)
        rank[ex_ids] = np.arange(ex_ids.size)
        tracks_outer = nt_cl >= nd_cl
        c_ex = cl[ex]
        to = tracks_outer[c_ex]
        lt, ld = loc_t[tl[ex]], loc_d[dl[ex]]
        outer = np.where(to, lt, ld)
        inner = np.where(to, ld, lt)
        order = np.lexsort((inner, outer, rank[c_ex]))
        ex = ex[order]
        outer, inner = outer[order], inner[order]
        w = rl[ex] / s_track[tl[ex]]
        cl_pair_ptr = _ptr(np_cl[ex_ids])
        n_outer = np.where(tracks_outer, nt_cl, nd_cl)[ex_ids]
        n_inner = np.where(tracks_outer, nd_cl, nt_cl)[ex_ids]
        cl_outer_ptr = _ptr(n_outer)
        cl_inner_ptr = _ptr(n_inner)
        outer_miss_w = np.ones(int(cl_outer_ptr[-1]))
        inner_miss_w = np.ones(int(cl_inner_ptr[-1]))
        ex_tracks = ut[exact_cl[track_cl[ut]]]
        ex_t_cl = track_cl[ex_tracks]
        t_out = tracks_outer[ex_t_cl]
        slot_out = cl_outer_ptr[rank[ex_t_cl[t_out]]] + loc_t[ex_tracks[t_out]]
        slot_in = cl_inner_ptr[rank[ex_t_cl[~t_out]]] + loc_t[ex_tracks[~t_out]]
        outer_miss_w[slot_out] = 1.0 / s_track[ex_tracks[t_out]]
        inner_miss_w[slot_in] = 1.0 / s_track[ex_tracks[~t_out]]
        pair_beta = np.empty(ex.size)
        outer_miss_beta = np.empty(outer_miss_w.size)
        inner_miss_beta = np.empty(inner_miss_w.size)
        _jpda_exact_kernel(
            cl_pair_ptr,
            outer.astype(np.int64),
            inner.astype(np.int64),
            w,
            cl_outer_ptr,
            outer_miss_w,
            cl_inner_ptr,
            inner_miss_w,
            pair_beta,
            outer_miss_beta,
            inner_miss_beta,
        )
        beta[live[ex]] = pair_beta
        beta0[ex_tracks[t_out]] = outer_miss_beta[slot_out]
        beta0[ex_tracks[~t_out]] = inner_miss_beta[slot_in]

    # ---- belief propagation for the rest
    bp = np.flatnonzero(~exact_cl[cl])
    if bp.size:
        bp = bp[np.lexsort((dl[bp], tl[bp]))]
        bt_u, bt = np.unique(tl[bp], return_inverse=True)
        _, bd = np.unique(dl[bp], return_inverse=True)
        psi = rl[bp]
        t_ptr = _ptr(np.bincount(bt))
        d_order = np.argsort(bd, kind="stable").astype(np.int64)
        d_ptr = _ptr(np.bincount(bd))
        nu, _ = _lbp_kernel(t_ptr, d_order, d_ptr, psi, float(lbp_tol), int(lbp_max_iter))
        val = psi * nu
        s = 1.0 + np.bincount(bt, weights=val)
        beta[live[bp]] = val / s[bt]
        beta0[bt_u] = 1.0 / s
    return beta, beta0
