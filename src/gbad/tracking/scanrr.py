"""One scan of a radar that measures range rate, in compiled passes (`scanpass`'s, 4-D).

A multifunction radar measures range rate; its scans and its track dwells went through the
tracker's general path, a chain of NumPy calls whose overhead a scan of a few detections
pays in full (half a millisecond a batch, 750 batches a default raid). Here a batch is:

1. :func:`gate_scan` — the search spheres against the detections' reach on a grid
   (`scangate.gate_context` / `scangate.near_detections`), each candidate's CV prediction
   to its detection's own time (`scanpass._predict_full`), the range-only test
   (`scangate.range_may_gate`, valid whatever rows S has), then the 4-D gate of the
   general path: the kernel of `fastpath.rr_gate_stats` (the AER rows and the range-rate
   row with its second-order bias and variance), d² and ln|S|; the speed check of
   one-detection tracks and each track's `scangate.TRACK_PAIRS_MAX` cheapest;
2. `scanassign.assign` — confirmed tracks first, then tentative ones on what is left;
3. :func:`apply_scan` — each chosen pair's prediction (the gate's) updated by the
   general path's compiled EKF (`_ekf_kernel._cv_ekf_rows`: position, then range rate with
   its second-order terms), then the bookkeeping the scan without range rate does too
   (`scanpass.write_rows`: counters, M-of-N promotion, rows in the final table's order)
   and, for a scan (not a track dwell), a tentative track from each detection no track
   gated: the converted position and the velocity along the line of sight from the
   range rate, as `estimators.initial_state`.

The same formulas as the general path, whose prediction (NumPy's) rounds apart from the
compiled one: the two agree to rounding and make the same decisions
(`tests/test_tracking_scanpass.py`, synthetic scans; `tests/test_closed_loop.py`, the
raid's scans and track dwells). One difference by design: a pair whose S is not
positive definite (the kernel's NaN) is not gated here, where the general path works its
d² out again in `filters.aer_innovation`; it was never seen in the built-in scenarios.
One thread: these radars' batches are small.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from gbad.tracking import scanassign, scangate
from gbad.tracking._ekf_kernel import _cv_ekf_rows
from gbad.tracking.fastpath import _rr_gate_kernel
from gbad.tracking.scangate import (
    TRACK_PAIRS_MAX,
    gate_context,
    near_detections,
    range_may_gate,
    reachable,
)
from gbad.tracking.scanpass import _predict_full, outcome, write_rows
from gbad.tracking.status import CONFIRMED, DELETED


def gate_scan(
    act, x, P, t_trk, hits, rows, zc, t_all, z_all, R_all, s, rot, q, q_search, k_search,
    gate_d2, max_speed,
):  # fmt: skip
    """Gated pairs of one batch (detections rows[…], as `scangate.detection_rows` zc; z_all
    and R_all every detection's 4-D measurement and R) against the tracks act[…]: (track
    row, detection k, cost d² + ln|S|) sorted by track then detection, and which
    detections any track gated."""
    k = rows.size
    if act.size == 0 or k == 0:
        e_i = np.empty(0, np.int64)
        return e_i, e_i, np.empty(0), np.zeros(k, np.bool_)
    ctx = gate_context(
        x, P, t_trk, hits, act, rows, zc, t_all, s, rot, q, q_search, k_search, gate_d2,
        max_speed,
    )  # fmt: skip
    return _gate_tracks(k, ctx, rows, z_all, R_all)


@njit(cache=True, error_model="numpy")
def _gate_tracks(k, ctx, rows, z_all, R_all):  # pragma: no cover - compiled
    act, t_det, x, P, t_trk, hits = ctx[0], ctx[8], ctx[9], ctx[10], ctx[11], ctx[12]
    zc, s, rot, q, gate_d2 = ctx[13], ctx[14], ctx[15], ctx[16], ctx[17]
    gated = np.zeros(k, np.bool_)
    cap = max(16, 2 * k)
    pt = np.empty(cap, np.int64)
    pd = np.empty(cap, np.int64)
    pc = np.empty(cap)
    n_p = 0
    near = np.empty(k, np.int64)
    xo = np.empty((1, 6))
    Po = np.empty((1, 6, 6))
    d2 = np.empty(1)
    logdet = np.empty(1)
    for a in range(act.size):
        i = act[a]
        n_near = near_detections(a, ctx, near)
        young = hits[i] == 1
        n0 = n_p
        for v in range(n_near):
            j = near[v]
            d = rows[j]
            _predict_full(x, P, i, t_det[j] - t_trk[i], q, xo[0], Po[0])
            if not range_may_gate(xo[0], Po[0], zc, j, s, gate_d2):
                continue
            _rr_gate_kernel(xo, Po, z_all[d : d + 1], R_all[d : d + 1], s, rot, d2, logdet)
            if not d2[0] <= gate_d2:
                continue
            if young and not reachable(i, j, ctx):
                continue
            if n_p == cap:
                cap *= 2
                pt = _grown(pt, cap)
                pd = _grown(pd, cap)
                pc = _grown(pc, cap)
            pt[n_p] = i
            pd[n_p] = j
            pc[n_p] = d2[0] + logdet[0]
            gated[j] = True
            n_p += 1
        n_p = n0 + _keep_cheapest(pd, pc, n0, n_p - n0)
    return pt[:n_p], pd[:n_p], pc[:n_p], gated


@njit(cache=True)
def _grown(a, cap):  # pragma: no cover - compiled
    out = np.empty(cap, a.dtype)
    for v in range(a.size):
        out[v] = a[v]
    return out


@njit(cache=True)
def _keep_cheapest(pd, pc, o0, n_g):  # pragma: no cover - compiled
    """Of a track's n_g gated pairs at o0…, keep the `TRACK_PAIRS_MAX` cheapest (ties: the
    earlier detection) at o0… in detection order; returns how many are kept."""
    if n_g <= TRACK_PAIRS_MAX:
        return n_g
    order = np.argsort(pc[o0 : o0 + n_g], kind="mergesort")
    keep = np.sort(order[:TRACK_PAIRS_MAX])
    for v in range(TRACK_PAIRS_MAX):  # keep[v] ≥ v: moving down never overwrites
        pd[o0 + v] = pd[o0 + keep[v]]
        pc[o0 + v] = pc[o0 + keep[v]]
    return TRACK_PAIRS_MAX


@njit(cache=True, error_model="numpy")
def apply_scan(
    ap, pt, pd, gated, x, P, t_trk, status, hits, looks_, misses, last_hit, n_rows, radar,
    rows, t_all, zc, z_all, R_all, s, rot, q, confirm_m, v_var, initiate, fb, ib, n_out,
):  # fmt: skip  # pragma: no cover - compiled
    """The batch's outcome, in place (`scanpass._apply_scan`, with range rate): each chosen
    pair p = ap[…] (track pt[p], detection pd[p]) predicted to its detection's time and
    updated, counted and promoted; with ``initiate``, a tentative track at rows n_rows…
    from each detection no track gated, in detection order. Returns (row count, new
    tracks)."""
    k = rows.size
    xp = np.empty((1, 6))
    Pp = np.empty((1, 6, 6))
    no_step = np.zeros(1)
    s1 = s.reshape((1, 3))
    rot1 = rot.reshape((1, 3, 3))
    nu = np.empty((1, 4))
    S = np.empty((1, 4, 4))
    nis = np.empty(1)
    for v in range(ap.size):
        p = ap[v]
        i = pt[p]
        d = rows[pd[p]]
        # The gate's prediction, then the update from it (as the general path: the EKF
        # predicting by nothing), into the track's own row.
        _predict_full(x, P, i, t_all[d] - t_trk[i], q, xp[0], Pp[0])
        _cv_ekf_rows(
            0, 1, xp, Pp, no_step, q, z_all[d : d + 1], R_all[d : d + 1], s1, rot1, True,
            x[i : i + 1], P[i : i + 1], nu, S, nis,
        )  # fmt: skip
    trk_of, n_new = outcome(ap, pt, pd, gated, n_rows, initiate)
    rr = np.empty(k)
    rr_var = np.empty(k)
    for j in range(k):
        rr[j] = z_all[rows[j], 3]
        rr_var[j] = R_all[rows[j], 3, 3]
    n_out = write_rows(
        trk_of, rows, t_all, zc, x, P, t_trk, status, hits, looks_, misses, last_hit, n_rows,
        radar, s, rot, v_var, confirm_m, fb, ib, n_out, rr, rr_var,
    )  # fmt: skip
    return n_out, n_new


def batch(tracks, out, geo, r, rows, det, z_all, R_all, est, cfg, gate_d2, track_dwells=False):
    """`Tracker._batch` for the EKF + GNN on a radar with range rate, as the passes above:
    the tracks (`buffers._Tracks`) and output rows (`buffers._Rows`) in place; returns the
    number of updates. ``track_dwells``: the batch is track dwells, for confirmed tracks
    only and starting none."""
    q = est.model.q_m2ps3
    zc = scangate.batch_rows(rows, det)
    status = tracks.status[: tracks.size]
    act = np.flatnonzero(status == CONFIRMED if track_dwells else status != DELETED)
    pt, pd, pc, gated = gate_scan(
        act, tracks.x, tracks.P, tracks.t_s, tracks.hits, rows, zc, det.t_s, z_all, R_all,
        geo.enu_m, geo.rot, q, float(cfg.process_noise_m2ps3), est.k_search, gate_d2,
        float(cfg.max_speed_mps),
    )  # fmt: skip
    ap = scanassign.assign(pt, pd, pc, tracks.status, tracks.size, len(rows))
    n_new = 0 if track_dwells else len(rows) - int(np.count_nonzero(gated))
    tracks.reserve(n_new)
    out.reserve(2 * ap.size + n_new)
    out.n, added = apply_scan(
        ap, pt, pd, gated, tracks.x, tracks.P, tracks.t_s, tracks.status, tracks.hits,
        tracks.looks, tracks.misses, tracks.extra["last_hit_s"], tracks.size, r, rows, det.t_s,
        zc, z_all, R_all, geo.enu_m, geo.rot, q, cfg.confirm_m,
        float(cfg.initial_velocity_sigma_mps) ** 2, not track_dwells, out.f, out.i, out.n,
    )  # fmt: skip
    tracks.size += added
    return int(ap.size)
