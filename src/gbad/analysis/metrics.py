"""Tracking metrics: GOSPA and OSPA, over time, and track-to-truth scores.

Scoring compares estimates with truth on purpose (the one place downstream of the world
that reads it).

Set distances, between a truth set X (n points) and an estimate set Y (m points), with
cut-off ``c`` and order ``p``:

- **GOSPA** (Rahmathullah, García-Fernández & Svensson, "Generalized optimal sub-pattern
  assignment metric", FUSION 2017, arXiv:1601.05585), eq. (1):
  ``d^p = min_π Σ_{i ≤ n} d^(c)(x_i, y_π(i))^p + (c^p / α)(m − n)`` for n ≤ m, with
  ``d^(c) = min(d, c)``. For α = 2 (Proposition 1) it equals
  ``min_γ Σ_{(i,j) ∈ γ} d(x_i, y_j)^p + (c^p / 2)(#missed + #false)`` over partial
  assignments γ of pairs closer than c, which splits it into *localisation* (Σ d^p over
  γ), *missed* (truths outside γ) and *false* (estimates outside γ) costs. The split is
  reported in m^p (keys ``*_mp``); ``gospa_m = (localisation + missed + false)^(1/p)``.
- **OSPA** (Schuhmacher, Vo & Vo, IEEE TSP 56(8), 2008):
  ``d^p = (1 / max(n, m)) (min_π Σ_{i ≤ min} d^(c)^p + c^p |m − n|)``; 0 when both sets
  are empty, ``c`` when exactly one is.

All three reduce to one matching problem: maximise ``Σ_{(i,j) ∈ γ} (c^p − d_ij^p)`` over
partial one-to-one assignments of pairs with ``d < c`` (the rest is a constant that depends
only on n, m and |γ|). It is solved sparsely: candidate pairs within c (the pre-gate), then
:func:`gbad.tracking.association.gnn_assign` (an optimal assignment per connected
cluster), which gives the same optimum as the dense cut-off distance matrix at
near-linear cost. Many time steps are solved in one call by placing each time step on its own
"layer" of a fourth coordinate, far enough apart that no pair crosses layers.

Track-to-truth scoring (:func:`associate_tracks_to_truth` and the functions that take its
result) assigns, at each time, tracks to truths by the same optimal matching with ``p = 2``
and the gate as cut-off. Pass the rows you want scored: normally confirmed tracks only
(``status == "confirmed"``), and truth rows at the track table's times.

Times are matched exactly (``t_s`` equal as floats), so both tables must be sampled at
common times.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gbad.stats import chi2_ppf
from gbad.tracking.association import candidate_pairs, gnn_assign

__all__ = [
    "associate_tracks_to_truth",
    "false_tracks",
    "gospa",
    "gospa_over_time",
    "ospa",
    "position_nees",
    "position_rmse",
    "time_to_track",
    "track_continuity",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


# --------------------------------------------------------------------------------------
# checks


def _points(name: str, a: npt.ArrayLike, dim: int | None = None) -> FloatArray:
    x = np.asarray(a, dtype=np.float64)
    if x.size == 0 and x.ndim < 2:
        x = x.reshape(0, dim if dim is not None else 0)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n, dim) of positions; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite; found NaN or inf")
    return x


def _pair_dims(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    if x.shape[0] == 0 and x.shape[1] != y.shape[1]:
        x = x.reshape(0, y.shape[1])
    if y.shape[0] == 0 and y.shape[1] != x.shape[1]:
        y = y.reshape(0, x.shape[1])
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"truth and estimate positions must have the same dimension; got {x.shape[1]} "
            f"and {y.shape[1]}"
        )
    return x, y


def _check_c_p_alpha(c_m: float, p: float, alpha: float) -> None:
    if not (np.isfinite(c_m) and c_m > 0):
        raise ValueError(f"c_m (cut-off) must be finite and > 0; got {c_m!r}")
    if not (np.isfinite(p) and p >= 1):
        raise ValueError(f"p must be finite and >= 1; got {p!r}")
    if not (0 < alpha <= 2):
        raise ValueError(f"alpha must be in (0, 2]; got {alpha!r}")


def _times(name: str, t_s: npt.ArrayLike) -> FloatArray:
    t = np.asarray(t_s, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(f"{name}: t_s must be 1-D; got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name}: t_s must be finite")
    return t


def _ids(name: str, ids: npt.ArrayLike, t: FloatArray) -> npt.NDArray[np.int64]:
    i = np.asarray(ids)
    if i.shape != t.shape:
        raise ValueError(f"{name}: ids must have one value per row ({t.size}); got {i.shape}")
    if i.size and not np.issubdtype(i.dtype, np.integer):
        raise ValueError(f"{name}: ids must be integers; got dtype {i.dtype}")
    i = i.astype(np.int64)
    if i.size:
        order = np.lexsort((t, i))
        dup = (np.diff(i[order]) == 0) & (np.diff(t[order]) == 0)
        if np.any(dup):
            k = order[np.flatnonzero(dup)[0]]
            raise ValueError(
                f"{name}: id {int(i[k])} has more than one row at t_s = {float(t[k])!r}; each object "
                "may appear once per time"
            )
    return i


def _positions(name: str, pos_m: npt.ArrayLike, t: FloatArray) -> FloatArray:
    pos = _points(f"{name}: position", pos_m, 3)
    if pos.shape[0] != t.size:
        raise ValueError(f"{name}: position has {pos.shape[0]} rows but t_s has {t.size}")
    return pos


# --------------------------------------------------------------------------------------
# the matching


def _match(
    x: FloatArray, x_layer: IntArray, y: FloatArray, y_layer: IntArray, c: float, p: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """Optimal partial matching maximising Σ (c^p − d^p) over pairs with d < c, per layer."""
    if x.shape[0] == 0 or y.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)
    # Layers 3c apart along an extra axis: candidate pairs (radius c) never cross layers.
    # Distances are recomputed from the original coordinates, so the offset costs no accuracy.
    span = 3.0 * c
    xa = np.column_stack([x, x_layer * span])
    ya = np.column_stack([y, y_layer * span])
    ti, di = candidate_pairs(xa, c, ya)
    dist = np.linalg.norm(x[ti] - y[di], axis=1)
    keep = (dist < c) & (x_layer[ti] == y_layer[di])
    ti, di, dist = ti[keep], di[keep], dist[keep]
    at, ad = gnn_assign(ti, di, dist**p, x.shape[0], y.shape[0], 0.5 * c**p)
    return at, ad, np.linalg.norm(x[at] - y[ad], axis=1)


def _set_metrics(
    x: FloatArray,
    x_layer: IntArray,
    y: FloatArray,
    y_layer: IntArray,
    n_layers: int,
    c: float,
    p: float,
    alpha: float,
) -> dict[str, np.ndarray]:
    at, _, dist = _match(x, x_layer, y, y_layer, c, p)
    lay = x_layer[at]
    n_x = np.bincount(x_layer, minlength=n_layers)
    n_y = np.bincount(y_layer, minlength=n_layers)
    n_a = np.bincount(lay, minlength=n_layers)
    cp = c**p
    loc = np.bincount(lay, weights=dist**p, minlength=n_layers)
    n_missed = n_x - n_a
    n_false = n_y - n_a
    if alpha == 2:
        missed = 0.5 * cp * n_missed
        false = 0.5 * cp * n_false
        total_p = loc + missed + false
    else:
        # eq. (1) with the optimal γ; the split is defined for α = 2 only
        n_min = np.minimum(n_x, n_y)
        total_p = loc + cp * (n_min - n_a) + (cp / alpha) * np.abs(n_x - n_y)
        missed = np.full(n_layers, np.nan)
        false = np.full(n_layers, np.nan)
    n_max = np.maximum(n_x, n_y)
    with np.errstate(invalid="ignore", divide="ignore"):
        ospa_p = np.where(n_max > 0, (loc + cp * (n_max - n_a)) / n_max, 0.0)
    return {
        "gospa_m": total_p ** (1.0 / p),
        "localisation_mp": loc,
        "missed_mp": missed,
        "false_mp": false,
        "ospa_m": ospa_p ** (1.0 / p),
        "n_truth": n_x,
        "n_estimates": n_y,
        "n_assigned": n_a,
        "n_missed": n_missed,
        "n_false": n_false,
    }


# --------------------------------------------------------------------------------------
# set metrics


def gospa(
    truth_m: npt.ArrayLike,
    estimate_m: npt.ArrayLike,
    c_m: float,
    p: float = 2.0,
    alpha: float = 2.0,
) -> dict[str, float]:
    """GOSPA distance between a truth set (n, dim) and an estimate set (m, dim).

    Returns ``gospa_m`` and, for ``alpha = 2``, the split in m^p: ``localisation_mp``,
    ``missed_mp`` (= c^p/2 per missed truth), ``false_mp`` (= c^p/2 per false estimate),
    with ``gospa_m**p == localisation_mp + missed_mp + false_mp``; for other α the split
    is NaN. Also the counts ``n_assigned``, ``n_missed``, ``n_false``. Either set may be
    empty (shape (0, dim) or (0,)).
    """
    _check_c_p_alpha(c_m, p, alpha)
    x, y = _pair_dims(_points("truth_m", truth_m), _points("estimate_m", estimate_m))
    r = _set_metrics(
        x,
        np.zeros(x.shape[0], np.intp),
        y,
        np.zeros(y.shape[0], np.intp),
        1,
        float(c_m),
        float(p),
        float(alpha),
    )
    keys = ("gospa_m", "localisation_mp", "missed_mp", "false_mp")
    out: dict[str, float] = {k: float(r[k][0]) for k in keys}
    out.update({k: int(r[k][0]) for k in ("n_assigned", "n_missed", "n_false")})
    return out


def ospa(truth_m: npt.ArrayLike, estimate_m: npt.ArrayLike, c_m: float, p: float = 2.0) -> float:
    """OSPA distance (metres) between a truth set (n, dim) and an estimate set (m, dim).

    0 when both sets are empty, ``c_m`` when exactly one is. The assignment minimises the
    sum of ``min(d, c)^p`` (the definition), not of ``min(d, c)``.
    """
    _check_c_p_alpha(c_m, p, 2.0)
    x, y = _pair_dims(_points("truth_m", truth_m), _points("estimate_m", estimate_m))
    r = _set_metrics(
        x,
        np.zeros(x.shape[0], np.intp),
        y,
        np.zeros(y.shape[0], np.intp),
        1,
        float(c_m),
        float(p),
        2.0,
    )
    return float(r["ospa_m"][0])


def gospa_over_time(
    truth_t_s: npt.ArrayLike,
    truth_pos_m: npt.ArrayLike,
    track_t_s: npt.ArrayLike,
    track_pos_m: npt.ArrayLike,
    c_m: float,
    p: float = 2.0,
    alpha: float = 2.0,
) -> dict[str, np.ndarray | float]:
    """GOSPA (with split) and OSPA at every time present in either table, and their means.

    Truth rows ``(truth_t_s (K,), truth_pos_m (K, dim))`` and track rows ``(track_t_s (J,),
    track_pos_m (J, dim))``; the sets at one time are the rows with that exact ``t_s``. A
    time with truths but no tracks scores every truth missed, and the reverse.

    Returns per-time arrays, sorted by time: ``t_s``, ``gospa_m``, ``localisation_mp``,
    ``missed_mp``, ``false_mp`` (m^p; NaN unless α = 2), ``ospa_m``, ``n_truth``,
    ``n_estimates``, ``n_assigned``, ``n_missed``, ``n_false``; and the time means
    ``mean_gospa_m``, ``mean_localisation_mp``, ``mean_missed_mp``, ``mean_false_mp``,
    ``mean_ospa_m`` (NaN when there are no times).
    """
    _check_c_p_alpha(c_m, p, alpha)
    tt = _times("truth", truth_t_s)
    xp = _positions("truth", truth_pos_m, tt)
    kt = _times("tracks", track_t_s)
    yp = _positions("tracks", track_pos_m, kt)
    xp, yp = _pair_dims(xp, yp)
    times, layer = np.unique(np.concatenate([tt, kt]), return_inverse=True)
    layer = layer.astype(np.intp)
    r = _set_metrics(
        xp, layer[: tt.size], yp, layer[tt.size :], times.size, float(c_m), float(p), float(alpha)
    )
    out: dict[str, np.ndarray | float] = {"t_s": times, **r}
    for k in ("gospa_m", "localisation_mp", "missed_mp", "false_mp", "ospa_m"):
        out[f"mean_{k}"] = float(np.mean(r[k])) if times.size else float("nan")
    return out


# --------------------------------------------------------------------------------------
# track-to-truth association and scores


def associate_tracks_to_truth(
    truth_t_s: npt.ArrayLike,
    truth_id: npt.ArrayLike,
    truth_pos_m: npt.ArrayLike,
    track_t_s: npt.ArrayLike,
    track_id: npt.ArrayLike,
    track_pos_m: npt.ArrayLike,
    gate_m: float,
) -> dict[str, np.ndarray]:
    """Per time, the optimal one-to-one assignment of tracks to truths within ``gate_m``.

    At each time the assignment maximises ``Σ (gate² − d²)`` over pairs closer than the
    gate (the GOSPA α = 2, p = 2 matching with c = gate): as many pairs as possible, then the
    smallest squared errors. Times are matched exactly.

    Returns the assigned pairs, sorted by truth id then time: ``t_s``, ``truth_id``,
    ``track_id``, ``truth_row`` and ``track_row`` (row numbers in the inputs),
    ``error_m`` (A, dim) = track − truth, ``distance_m``. Pass the result to
    :func:`position_rmse`, :func:`track_continuity`, :func:`time_to_track`,
    :func:`false_tracks` and :func:`position_nees`.
    """
    if not (np.isfinite(gate_m) and gate_m > 0):
        raise ValueError(f"gate_m must be finite and > 0; got {gate_m!r}")
    tt = _times("truth", truth_t_s)
    ti = _ids("truth", truth_id, tt)
    xp = _positions("truth", truth_pos_m, tt)
    kt = _times("tracks", track_t_s)
    ki = _ids("tracks", track_id, kt)
    yp = _positions("tracks", track_pos_m, kt)
    xp, yp = _pair_dims(xp, yp)
    _, layer = np.unique(np.concatenate([tt, kt]), return_inverse=True)
    layer = layer.astype(np.intp)
    at, ak, dist = _match(xp, layer[: tt.size], yp, layer[tt.size :], float(gate_m), 2.0)
    order = np.lexsort((tt[at], ti[at]))
    at, ak, dist = at[order], ak[order], dist[order]
    return {
        "t_s": tt[at],
        "truth_id": ti[at],
        "track_id": ki[ak],
        "truth_row": at,
        "track_row": ak,
        "error_m": yp[ak] - xp[at],
        "distance_m": dist,
    }


def position_rmse(assoc: dict[str, np.ndarray]) -> dict[str, float | np.ndarray]:
    """Position RMSE over every assigned (track, truth) sample.

    ``rmse_m = sqrt(mean ‖track − truth‖²)``; ``rmse_per_axis_m`` (dim,) the same per axis;
    ``n_samples``. NaN when nothing was assigned.
    """
    e = np.asarray(assoc["error_m"], dtype=np.float64)
    n = e.shape[0]
    if n == 0:
        return {
            "rmse_m": float("nan"),
            "rmse_per_axis_m": np.full(e.shape[1] if e.ndim == 2 else 3, np.nan),
            "n_samples": 0,
        }
    return {
        "rmse_m": float(np.sqrt(np.mean(np.sum(e * e, axis=1)))),
        "rmse_per_axis_m": np.sqrt(np.mean(e * e, axis=0)),
        "n_samples": int(n),
    }


def track_continuity(
    assoc: dict[str, np.ndarray], truth_t_s: npt.ArrayLike, truth_id: npt.ArrayLike
) -> dict[str, float | int]:
    """Identity switches, breaks and coverage of each truth's track over its own samples.

    Each truth is followed through its own rows of the truth table (in time order), each
    assigned or not (by ``assoc``). Definitions:

    - ``n_id_switches``: consecutive *assigned* samples of one truth (unassigned samples in
      between are skipped) whose track ids differ;
    - ``n_breaks``: maximal runs of unassigned samples with assigned samples of the same
      truth both before and after (track fragmentation: the truth was tracked, lost, and
      tracked again, by the same or another track);
    - ``mean_tracks_per_truth``: distinct track ids per truth that was ever assigned;
    - ``coverage``: assigned samples / truth samples (track completeness);
    - ``n_truths``, ``n_truths_tracked``.
    """
    t = _times("truth", truth_t_s)
    ids = _ids("truth", truth_id, t)
    n = t.size
    assigned = np.zeros(n, bool)
    trk = np.zeros(n, np.int64)
    rows = np.asarray(assoc["truth_row"], dtype=np.intp)
    if rows.size and rows.max() >= n:
        raise ValueError("assoc refers to truth rows beyond the truth table given")
    assigned[rows] = True
    trk[rows] = np.asarray(assoc["track_id"], dtype=np.int64)
    order = np.lexsort((t, ids))
    a, k, g = assigned[order], trk[order], ids[order]
    same = g[1:] == g[:-1]
    # id switches among assigned samples only
    ai = np.flatnonzero(a)
    sw = int(np.count_nonzero((g[ai][1:] == g[ai][:-1]) & (k[ai][1:] != k[ai][:-1])))
    # a break starts where assigned → unassigned inside a truth and an assigned sample of
    # that truth follows later
    last_assigned = np.full(n, -1, np.int64)
    if ai.size:
        # index of the last assigned sample of each sample's truth
        grp_start = np.flatnonzero(np.r_[True, ~same])
        grp_id = np.cumsum(np.r_[True, ~same]) - 1
        last_per_grp = np.full(grp_start.size, -1, np.int64)
        np.maximum.at(last_per_grp, grp_id[ai], ai)
        last_assigned = last_per_grp[grp_id]
    pos = np.arange(n - 1)
    starts = same & a[:-1] & ~a[1:] & (pos + 1 < last_assigned[:-1])
    n_breaks = int(np.count_nonzero(starts))
    n_truths = int(np.unique(ids).size)
    tracked_ids = np.asarray(assoc["truth_id"], dtype=np.int64)
    pairs = np.unique(
        np.column_stack([tracked_ids, np.asarray(assoc["track_id"], dtype=np.int64)]), axis=0
    )
    n_tracked = int(np.unique(tracked_ids).size)
    return {
        "n_id_switches": sw,
        "n_breaks": n_breaks,
        "mean_tracks_per_truth": (pairs.shape[0] / n_tracked) if n_tracked else float("nan"),
        "coverage": float(np.count_nonzero(assigned) / n) if n else float("nan"),
        "n_truths": n_truths,
        "n_truths_tracked": n_tracked,
    }


def time_to_track(
    assoc: dict[str, np.ndarray], det_t_s: npt.ArrayLike, det_truth_id: npt.ArrayLike
) -> dict[str, float | int | np.ndarray]:
    """Delay from each truth's first detection to its first assigned track sample.

    ``det_t_s``, ``det_truth_id`` are the detection table's columns (``truth_id = -1`` for
    false alarms, ignored). ``assoc`` should come from confirmed tracks only, so this is
    the time to the first *confirmed* track. Returns ``truth_id`` (the detected truths,
    sorted), ``time_to_track_s`` per truth (NaN if never tracked; it can be negative if a
    track of something else was assigned to the truth before its first detection),
    ``mean_time_to_track_s`` and ``median_time_to_track_s`` over the tracked ones,
    ``n_detected``, ``n_never_tracked``.
    """
    dt = np.asarray(det_t_s, dtype=np.float64)
    di = np.asarray(det_truth_id)
    if dt.ndim != 1 or di.shape != dt.shape:
        raise ValueError("det_t_s and det_truth_id must be 1-D and of equal length")
    if di.size and not np.issubdtype(di.dtype, np.integer):
        raise ValueError(f"det_truth_id must be integers; got dtype {di.dtype}")
    real = di >= 0
    ids, inv = np.unique(di[real].astype(np.int64), return_inverse=True)
    first_det = np.full(ids.size, np.inf)
    np.minimum.at(first_det, inv, dt[real])
    at_ids = np.asarray(assoc["truth_id"], dtype=np.int64)
    at_t = np.asarray(assoc["t_s"], dtype=np.float64)
    first_trk = np.full(ids.size, np.inf)
    pos = np.searchsorted(ids, at_ids)
    ok = (pos < ids.size) & (ids[np.minimum(pos, max(ids.size - 1, 0))] == at_ids)
    if ids.size:
        np.minimum.at(first_trk, pos[ok], at_t[ok])
    delay = np.where(np.isfinite(first_trk), first_trk - first_det, np.nan)
    tracked = np.isfinite(delay)
    return {
        "truth_id": ids,
        "time_to_track_s": delay,
        "mean_time_to_track_s": float(np.mean(delay[tracked])) if tracked.any() else np.nan,
        "median_time_to_track_s": float(np.median(delay[tracked])) if tracked.any() else np.nan,
        "n_detected": int(ids.size),
        "n_never_tracked": int(np.count_nonzero(~tracked)),
    }


def false_tracks(
    assoc: dict[str, np.ndarray],
    track_t_s: npt.ArrayLike,
    track_id: npt.ArrayLike,
    duration_s: float | None = None,
) -> dict[str, float | int | np.ndarray]:
    """Tracks that never matched any truth, and their rates.

    A *false track* is a track id in the (confirmed) track table that ``assoc`` never
    assigns to a truth at any of its samples. Rates:

    - ``false_tracks_per_hour`` = n_false / (``duration_s`` / 3600); ``duration_s`` defaults
      to the span of the track table's times (pass the scenario's duration when known);
    - ``false_tracks_per_scan`` = n_false / ``n_scans``, with ``n_scans`` the number of
      distinct track-table times (the tracker's output instants);
    - ``mean_unassigned_tracks_per_scan``: unassigned track rows per scan (including
      unassigned samples of tracks that are assigned at other times).

    Also ``n_tracks``, ``n_false_tracks``, ``false_track_ids``.
    """
    t = np.asarray(track_t_s, dtype=np.float64)
    k = np.asarray(track_id)
    if t.ndim != 1 or k.shape != t.shape:
        raise ValueError("track_t_s and track_id must be 1-D and of equal length")
    if k.size and not np.issubdtype(k.dtype, np.integer):
        raise ValueError(f"track_id must be integers; got dtype {k.dtype}")
    k = k.astype(np.int64)
    all_ids = np.unique(k)
    hit = np.unique(np.asarray(assoc["track_id"], dtype=np.int64))
    false_ids = np.setdiff1d(all_ids, hit)
    n_scans = int(np.unique(t).size)
    if duration_s is None:
        duration_s = float(t.max() - t.min()) if t.size else 0.0
    elif not (np.isfinite(duration_s) and duration_s >= 0):
        raise ValueError(f"duration_s must be finite and >= 0; got {duration_s!r}")
    n_false = int(false_ids.size)
    n_unassigned_rows = t.size - np.asarray(assoc["track_row"]).size
    return {
        "n_tracks": int(all_ids.size),
        "n_false_tracks": n_false,
        "false_track_ids": false_ids,
        "duration_s": float(duration_s),
        "n_scans": n_scans,
        "false_tracks_per_hour": n_false / (duration_s / 3600.0) if duration_s > 0 else np.nan,
        "false_tracks_per_scan": n_false / n_scans if n_scans else np.nan,
        "mean_unassigned_tracks_per_scan": n_unassigned_rows / n_scans if n_scans else np.nan,
    }


def position_nees(
    assoc: dict[str, np.ndarray], track_cov_m2: npt.ArrayLike, confidence: float = 0.95
) -> dict[str, float | int | np.ndarray]:
    """Normalised estimation error squared of the assigned track positions.

    ``track_cov_m2`` is the track table's position covariance (J, dim, dim), m²; row
    ``assoc["track_row"]`` belongs to each assigned sample. ``nees = eᵀ P⁻¹ e`` per sample
    (χ²_dim if the filter is consistent). Returns ``nees`` (A,), ``mean_nees`` (ANEES),
    ``dof`` (= dim), ``n_samples``; ``anees_lower``/``anees_upper``, the two-sided
    ``confidence`` interval of ANEES for a consistent filter with independent samples
    (N·ANEES ~ χ²(N·dim); samples of one track are correlated in time, so treat it as a
    guide); ``fraction_inside`` the share of samples with ``nees ≤ χ²_dim(confidence)``.
    """
    if not (0 < confidence < 1):
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}")
    e = np.asarray(assoc["error_m"], dtype=np.float64)
    rows = np.asarray(assoc["track_row"], dtype=np.intp)
    cov = np.asarray(track_cov_m2, dtype=np.float64)
    dim = e.shape[1] if e.ndim == 2 else 3
    if cov.ndim != 3 or cov.shape[1:] != (dim, dim):
        raise ValueError(f"track_cov_m2 must have shape (J, {dim}, {dim}); got {cov.shape}")
    if rows.size and rows.max() >= cov.shape[0]:
        raise ValueError("assoc refers to track rows beyond track_cov_m2")
    n = rows.size
    if n == 0:
        nan = float("nan")
        return {
            "nees": np.zeros(0),
            "mean_nees": nan,
            "dof": dim,
            "n_samples": 0,
            "anees_lower": nan,
            "anees_upper": nan,
            "fraction_inside": nan,
        }
    p = cov[rows]
    if not np.all(np.isfinite(p)):
        raise ValueError("track_cov_m2 must be finite at the assigned rows")
    try:
        chol = np.linalg.cholesky(0.5 * (p + np.swapaxes(p, 1, 2)))
    except np.linalg.LinAlgError:
        raise ValueError("track_cov_m2 must be positive definite at every assigned row") from None
    # ‖L⁻¹ e‖² = eᵀ P⁻¹ e
    w = np.linalg.solve(chol, e[:, :, None])[:, :, 0]
    nees = np.sum(w * w, axis=1)
    lo, hi = chi2_ppf([(1 - confidence) / 2, (1 + confidence) / 2], n * dim) / n
    return {
        "nees": nees,
        "mean_nees": float(np.mean(nees)),
        "dof": dim,
        "n_samples": int(n),
        "anees_lower": float(lo),
        "anees_upper": float(hi),
        "fraction_inside": float(np.mean(nees <= chi2_ppf(confidence, dim))),
    }
