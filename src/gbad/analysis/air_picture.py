"""Scoring the air picture: tracks against truth, from the result tables alone.

Inputs are the tables a run writes (truth rows with ENU position and
velocity, track rows, detections with `truth_id`), so `gbad run` and
`gbad track --truth` score the same way. Definitions:

- metric times: the truth table's times (every `truth_interval_s`);
- the truth set at a time: objects alive then that some radar detected in the
  preceding `recent_s` seconds (a target no radar can see is not a track the
  tracker could have held);
- the track set at a time: confirmed tracks, each extrapolated at constant
  velocity from its latest row at or before that time, unless that row
  deleted it;
- GOSPA with cut-off `c_m`, p = 2, α = 2 (Rahmathullah et al. 2017);
  assignment of tracks to truths for RMSE, id switches and breaks uses the
  same cut-off as its gate;
- NEES (position, 3 degrees of freedom) at each confirmed track update, where
  the filter states its covariance, against truth at the detection's time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gbad.analysis import metrics
from gbad.analysis.scoring import track_truth_ids
from gbad.stats import chi2_ppf
from gbad.world.truth import hermite

Array = NDArray[np.float64]
COV_COLUMNS = ("cov_ee_m2", "cov_en_m2", "cov_eu_m2", "cov_nn_m2", "cov_nu_m2", "cov_uu_m2")


def _key(ids: NDArray, t: Array, span: float) -> Array:
    """A sortable key for (id, time) pairs: ids dominate, time orders within an id."""
    return ids.astype(np.float64) * span + t


def latest_rows(
    row_ids: NDArray, row_t: Array, query_ids: NDArray, query_t: Array
) -> NDArray[np.intp]:
    """Index of each query's latest row with the same id at or before its time (-1 if none).

    Rows must be sorted by (id, time).
    """
    span = float(max(np.max(row_t, initial=0.0), np.max(query_t, initial=0.0))) + 1.0
    # The rows are sorted by id: its distinct values and each row's rank are its runs
    # (`np.unique` would sort them again).
    row_ids = np.asarray(row_ids)
    new_run = np.r_[True, row_ids[1:] != row_ids[:-1]] if row_ids.size else np.zeros(0, bool)
    ids_u = row_ids[new_run]
    row_rank = np.cumsum(new_run) - 1
    q_rank = np.searchsorted(ids_u, query_ids)
    q_rank_c = np.clip(q_rank, 0, max(len(ids_u) - 1, 0))
    known = (
        (q_rank < len(ids_u)) & (ids_u[q_rank_c] == query_ids)
        if len(ids_u)
        else np.zeros(len(query_ids), bool)
    )
    idx = np.searchsorted(_key(row_rank, row_t, span), _key(q_rank_c, query_t, span), "right") - 1
    ok = known & (idx >= 0)
    ok[ok] &= row_rank[idx[ok]] == q_rank_c[ok]
    return np.where(ok, idx, -1)


def tracks_at(rows: dict[str, NDArray], times_s: Array) -> dict[str, NDArray]:
    """Confirmed tracks at each time, extrapolated from their latest row (see module doc)."""
    order = np.lexsort((rows["t_s"], rows["track_id"]))
    r = {k: np.asarray(v)[order] for k, v in rows.items()}
    qi, qt = _track_times(r["track_id"], r["t_s"], r["status"] == "confirmed", times_s)
    idx = latest_rows(r["track_id"], r["t_s"], qi, qt)
    ok = idx >= 0
    ok[ok] &= r["status"][idx[ok]] == "confirmed"
    qi, qt, idx = qi[ok], qt[ok], idx[ok]
    dt = (qt - r["t_s"][idx])[:, None]
    pos = np.column_stack([r["east_m"], r["north_m"], r["up_m"]])[idx]
    vel = np.column_stack([r["v_east_mps"], r["v_north_mps"], r["v_up_mps"]])[idx]
    cov = _covariances({k: r[k][idx] for k in COV_COLUMNS})
    return {"t_s": qt, "track_id": qi, "pos_m": pos + vel * dt, "cov_m2": cov}


def _track_times(
    track_id: NDArray, t_s: Array, confirmed: NDArray[np.bool_], times_s: Array
) -> tuple[NDArray, Array]:
    """(track, time) queries of `tracks_at`, by track then time, rows sorted by (track,
    time): each track at the times from its first row on, and before its last where that
    row is not confirmed (a track ends deleted). Elsewhere a track has no confirmed latest
    row, so no place in the picture, and most tracks (clutter, tentative) live seconds of a
    run: every track at every time would be asked thirty times over."""
    times_s = np.asarray(times_s, dtype=float)
    if track_id.size == 0 or np.any(np.diff(times_s) < 0.0):
        ids = np.unique(track_id)
        return np.repeat(ids, len(times_s)), np.tile(times_s, len(ids))
    start = np.flatnonzero(np.r_[True, track_id[1:] != track_id[:-1]])
    end = np.r_[start[1:], track_id.size] - 1
    lo = np.searchsorted(times_s, t_s[start], "left")
    hi = np.where(confirmed[end], len(times_s), np.searchsorted(times_s, t_s[end], "left"))
    counts = np.maximum(hi - lo, 0)
    # Each track's run of time indices lo…hi−1, all runs in one array.
    first = np.cumsum(counts) - counts
    pick = np.arange(int(counts.sum())) + np.repeat(lo - first, counts)
    return np.repeat(track_id[start], counts), times_s[pick]


def _covariances(c: dict[str, NDArray]) -> Array:
    """(K, 3, 3) position covariances from the six upper-triangle columns."""
    return np.stack(
        [
            np.stack([c["cov_ee_m2"], c["cov_en_m2"], c["cov_eu_m2"]], -1),
            np.stack([c["cov_en_m2"], c["cov_nn_m2"], c["cov_nu_m2"]], -1),
            np.stack([c["cov_eu_m2"], c["cov_nu_m2"], c["cov_uu_m2"]], -1),
        ],
        axis=1,
    )


def truth_positions_at(truth: dict[str, NDArray], object_id: NDArray, t_s: Array) -> Array:
    """Truth ENU positions of objects at arbitrary times, Hermite between the truth rows."""
    order = np.lexsort((truth["t_s"], truth["object_id"]))
    tr = {k: np.asarray(v)[order] for k, v in truth.items()}
    i0 = latest_rows(tr["object_id"], tr["t_s"], object_id, t_s)
    n = len(tr["t_s"])
    i1 = np.clip(i0 + 1, 0, n - 1)
    valid = (i0 >= 0) & (tr["object_id"][i1] == object_id) & (i1 != i0)
    out = np.full((len(t_s), 3), np.nan)
    if not valid.any():
        return out
    a, b = i0[valid], i1[valid]
    pos = np.column_stack([tr["east_m"], tr["north_m"], tr["up_m"]])
    vel = np.column_stack([tr["v_east_mps"], tr["v_north_mps"], tr["v_up_mps"]])
    p, _ = hermite(tr["t_s"][a], pos[a], vel[a], tr["t_s"][b], pos[b], vel[b], t_s[valid])
    out[valid] = p
    return out


def score_air_picture(
    truth: dict[str, NDArray],
    track_rows: dict[str, NDArray],
    track_det_index: NDArray[np.int64],
    det_t_s: Array,
    det_truth_id: NDArray[np.int64],
    det_pos_m: Array,
    c_m: float = 1000.0,
    recent_s: float = 30.0,
    duration_s: float | None = None,
    truth_at: Callable[[NDArray[np.int64], Array], Array] | None = None,
) -> dict[str, Any]:
    """Every air-picture figure for the summary, units in the key names.

    `truth_at(object_id, t_s) -> ENU positions` gives truth at detection times; by
    default it is interpolated from the truth rows (cubic Hermite with their
    velocities), which is centimetre-exact for aircraft but not through a rocket
    motor's burnout: pass the simulation's own truth where there is one.
    """
    if truth_at is None:

        def truth_at(ids: NDArray[np.int64], t: Array) -> Array:
            return truth_positions_at(truth, ids, t)

    times = np.unique(truth["t_s"])
    # Truth in the picture: alive now and detected within `recent_s`.
    det_order = np.lexsort((det_t_s, det_truth_id))
    real = det_truth_id[det_order] >= 0
    d_ids, d_t = det_truth_id[det_order][real], det_t_s[det_order][real]
    last = latest_rows(d_ids, d_t, truth["object_id"], truth["t_s"])
    seen = last >= 0
    seen[seen] &= truth["t_s"][seen] - d_t[last[seen]] <= recent_s
    tp = np.column_stack([truth["east_m"], truth["north_m"], truth["up_m"]])
    tracks = tracks_at(track_rows, times)

    g = metrics.gospa_over_time(
        truth["t_s"][seen], tp[seen], tracks["t_s"], tracks["pos_m"], c_m, 2.0, 2.0
    )
    assoc = metrics.associate_tracks_to_truth(
        truth["t_s"][seen],
        truth["object_id"][seen],
        tp[seen],
        tracks["t_s"],
        tracks["track_id"],
        tracks["pos_m"],
        c_m,
    )
    rmse = metrics.position_rmse(assoc)
    cont = metrics.track_continuity(assoc, truth["t_s"][seen], truth["object_id"][seen])
    ttt = metrics.time_to_track(assoc, det_t_s, det_truth_id)
    false = metrics.false_tracks(assoc, tracks["t_s"], tracks["track_id"], duration_s)

    # Raw detections' position error, for comparison with the tracks'.
    raw = det_truth_id >= 0
    truth_at_det = truth_at(det_truth_id[raw], det_t_s[raw])
    err = det_pos_m[raw] - truth_at_det
    ok = np.all(np.isfinite(err), axis=1)
    raw_rmse = float(np.sqrt(np.mean(np.sum(err[ok] ** 2, axis=1)))) if ok.any() else None

    # Like for like: at each confirmed update, the track's error against the error of
    # the detection that made it.
    upd = (track_det_index >= 0) & (track_rows["status"] == "confirmed")
    upd[upd] &= det_truth_id[track_det_index[upd]] >= 0
    di = track_det_index[upd]
    truth_upd = truth_at(det_truth_id[di], det_t_s[di])
    trk_pos = np.column_stack([track_rows[k][upd] for k in ("east_m", "north_m", "up_m")])
    ok_u = np.all(np.isfinite(truth_upd), axis=1)
    trk_err = np.sum((trk_pos - truth_upd)[ok_u] ** 2, axis=1)
    det_err = np.sum((det_pos_m[di] - truth_upd)[ok_u] ** 2, axis=1)
    # Consistency where the filter states its covariance: at its own updates.
    cov_upd = _covariances({k: track_rows[k][upd] for k in COV_COLUMNS})[ok_u]
    e_upd = (trk_pos - truth_upd)[ok_u]
    nees_upd = np.einsum("ni,ni->n", e_upd, np.linalg.solve(cov_upd, e_upd[..., None])[..., 0])
    n_nees = len(nees_upd)
    anees_band = (
        [float(chi2_ppf(0.025, 3 * n_nees) / n_nees), float(chi2_ppf(0.975, 3 * n_nees) / n_nees)]
        if n_nees
        else [None, None]
    )

    ids = track_truth_ids(track_rows["track_id"], track_det_index, det_truth_id)
    confirmed_ids = np.unique(track_rows["track_id"][track_rows["status"] == "confirmed"])
    held = {int(t) for t in np.unique(assoc["truth_id"])}
    in_picture = {int(t) for t in np.unique(truth["object_id"][seen])}

    def scalar(d: dict, key: str) -> Any:
        v = d.get(key)
        if isinstance(v, np.ndarray):
            return None
        if isinstance(v, int | np.integer) and not isinstance(v, bool):
            return int(v)
        return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else float(v)

    return {
        "gospa_cutoff_m": c_m,
        "mean_gospa_m": scalar(g, "mean_gospa_m"),
        "mean_gospa_localisation_m2": scalar(g, "mean_localisation_mp"),
        "mean_gospa_missed_m2": scalar(g, "mean_missed_mp"),
        "mean_gospa_false_m2": scalar(g, "mean_false_mp"),
        "mean_ospa_m": scalar(g, "mean_ospa_m"),
        "track_position_rmse_m": scalar(rmse, "rmse_m"),
        "detection_position_rmse_m": raw_rmse,
        "track_rmse_at_updates_m": float(np.sqrt(trk_err.mean())) if trk_err.size else None,
        "detection_rmse_at_updates_m": float(np.sqrt(det_err.mean())) if det_err.size else None,
        "tracks_total": len(ids),
        "tracks_confirmed": int(confirmed_ids.size),
        "objects_in_picture": len(in_picture),
        "objects_held_by_a_confirmed_track": len(held & in_picture),
        "objects_never_held": sorted(in_picture - held),
        "id_switches": scalar(cont, "n_id_switches"),
        "track_breaks": scalar(cont, "n_breaks"),
        "time_to_confirmed_track_median_s": scalar(ttt, "median_time_to_track_s"),
        "time_to_confirmed_track_mean_s": scalar(ttt, "mean_time_to_track_s"),
        "objects_detected_never_tracked": scalar(ttt, "n_never_tracked"),
        "false_tracks": scalar(false, "n_false_tracks"),
        "false_tracks_per_hour": scalar(false, "false_tracks_per_hour"),
        "position_anees_at_updates": float(nees_upd.mean()) if n_nees else None,
        "position_anees_at_updates_median": float(np.median(nees_upd)) if n_nees else None,
        "position_anees_band_95": anees_band,
        "track_truth_ids": {str(k): v for k, v in sorted(ids.items())},
        "gospa_series": {
            k: np.asarray(g[k])
            for k in ("t_s", "gospa_m", "localisation_mp", "missed_mp", "false_mp")
        },
    }
