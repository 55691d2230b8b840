"""One scan of the tracker's commonest configuration in a few compiled passes.

With a thousand tracks and a thousand detections a scan, every NumPy call
costs more in overhead than in arithmetic, and the scan is a long chain of
them. For the CV + EKF + GNN tracker on a radar without range rate, a scan is
instead:

0. `scangate.detection_rows` — the scan's detections as one contiguous block (range,
   sine and cosine of both angles, R, spread), the trigonometry done once;
1. `scangate.gate_scan` — detections to the tracking frame, each track's search
   sphere against each detection's reach on a grid, each candidate's CV
   prediction to its detection's own time and the AER χ² gate (the Jacobian
   of `fastpath.cv_gate`, on the position block only, d² and ln|S| through the
   Cholesky factor of S), the speed check of one-detection tracks; each gated
   pair's linearisation is kept (`LIN`);
2. `scanassign.assign` — confirmed tracks, then tentative ones on what is left
   (`scanassign.assign_stage`): union-find clusters of the stage's pairs; a
   cluster with one track or one detection takes its cheapest pair at once,
   the others (real conflicts) are solved exactly by `scanassign.lsa` on the same
   dense matrices `association.gnn_assign` gives it, so with the same answer;
3. :func:`apply_scan` — once both stages have chosen (they read only the
   gate's costs): each chosen pair's track predicted to its detection's time
   and updated from the gate's linearisation (:func:`_lin_update`, the EKF
   update specialised to a CV state and a position-only measurement),
   counters and M-of-N promotion, and tentative tracks from detections no
   track gated (Mo et al.'s measurement-conditioned conversion, as
   `converted.converted_measurement`), with the output rows written in the
   final table's order;
4. :func:`rows_sorted` at the end, so the rows are sorted only where they are
   not already (several radars whose windows interleave);
5. :func:`looks` and :func:`settle`, for every window of every radar and any
   filter — whether the beam passed each track, misses, and pruning.

Each pass does per pair or per track what the NumPy path does per array, in
the same formulas, so the two agree to rounding and make the same decisions
(`tests/test_tracking_scanpass.py`). The gate's track loop and the updates can run
on several threads (`n_threads`; the tracker asks for them only for scans of at least
`PARALLEL_MIN` detections):
each track writes only its own slots or its own row, and the results are compacted in
track order, so they are bit for bit the serial ones. Whether threads pay is a matter of
load, not of results (see the note above `_ekf_kernel._cv_ekf_rows`): the tracker decides by
timing both ways (`buffers._Threads`).

Track columns are those of `buffers._Tracks`; output rows go to two growable
column-major buffers (`ROW_FLOATS` and `ROW_INTS`, one buffer row per column)
that `buffers._Rows` owns.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from gbad.tracking import scanassign, scangate
from gbad.tracking.scangate import DET, LIN, aer_gate, predict_pos
from gbad.tracking.status import CONFIRMED, DELETED, TENTATIVE

_RAD = np.pi / 180.0

#: Float columns of an output row, in order.
ROW_FLOATS = (
    "t_s",
    "east_m",
    "north_m",
    "up_m",
    "v_east_mps",
    "v_north_mps",
    "v_up_mps",
    "cov_ee_m2",
    "cov_en_m2",
    "cov_eu_m2",
    "cov_nn_m2",
    "cov_nu_m2",
    "cov_uu_m2",
)
#: Integer columns of an output row, in order (status is the code, `_det` the detection).
ROW_INTS = ("track_id", "status", "hits", "_det")

SCAN_ROTATING, SCAN_SECTOR, SCAN_ELECTRONIC = 0, 1, 2


@njit(cache=True)
def _row(fb, ib, n, t, row, status, x, P, hits, det):  # pragma: no cover - compiled
    fb[0, n] = t
    for a in range(3):
        fb[1 + a, n] = x[row, a]
        fb[4 + a, n] = x[row, 3 + a]
    fb[7, n] = P[row, 0, 0]
    fb[8, n] = P[row, 0, 1]
    fb[9, n] = P[row, 0, 2]
    fb[10, n] = P[row, 1, 1]
    fb[11, n] = P[row, 1, 2]
    fb[12, n] = P[row, 2, 2]
    ib[0, n] = row + 1
    ib[1, n] = status
    ib[2, n] = hits
    ib[3, n] = det
    return n + 1


@njit(cache=True)
def update_work():  # pragma: no cover - compiled
    """Scratch for :func:`_lin_update`, allocated once per pass."""
    return np.empty(6), np.empty((6, 6)), np.empty((6, 3))


@njit(cache=True, error_model="numpy")
def _predict_full(x, P, i, t, q, xo, Po):  # pragma: no cover - compiled
    """CV prediction of row i by a signed step t, state and whole covariance (the update's);
    its position block is `predict_pos`'s, in the same arithmetic."""
    at = abs(t)
    for a in range(3):
        xo[a] = x[i, a] + t * x[i, a + 3]
        xo[a + 3] = x[i, a + 3]
        for b in range(3):
            Po[a, b] = (
                P[i, a, b] + t * P[i, a + 3, b] + (t * P[i, a, b + 3] + t * t * P[i, a + 3, b + 3])
            )
            Po[a, b + 3] = P[i, a, b + 3] + t * P[i, a + 3, b + 3]
            Po[a + 3, b] = P[i, a + 3, b] + t * P[i, a + 3, b + 3]
            Po[a + 3, b + 3] = P[i, a + 3, b + 3]
    for a in range(3):
        Po[a, a] += q[a] * at * at * at / 3.0
        Po[a, a + 3] += q[a] * t * at / 2.0
        Po[a + 3, a] += q[a] * t * at / 2.0
        Po[a + 3, a + 3] += q[a] * at


@njit(cache=True, error_model="numpy")
def _lin_update(x, P, i, T, q, lin, p, w):  # pragma: no cover - compiled
    """Row i of (x, P), in place: CV prediction by a signed step T (`_predict_full`, the
    gate's own arithmetic), then the EKF update by the linearisation lin[p] the gate made
    of this very prediction.

    The update in the form a position-only measurement of a CV state allows: H = [Hp 0]
    with Hp 3 × 3, so P Hᵀ is the predicted P's first three columns times Hpᵀ. With
    S = L Lᵀ and G = P Hᵀ L⁻ᵀ, the gain is K = G L⁻¹, so x⁺ = x + G w (w = L⁻¹ν) and
    P⁺ = P − G Gᵀ, formed on the upper triangle: about a sixth of the generic Joseph
    kernel's multiplies, which mostly met H's zero columns. Both equal
    P − P Hᵀ S⁻¹ H P; with R positive definite (every detection has σ > 0) the difference
    is rounding (`tests/test_tracking_scanpass.py` holds it to the NumPy path).
    """
    xp, Pp, G = w
    _predict_full(x, P, i, T, q, xp, Pp)
    h = lin[p]
    for r in range(6):
        for c in range(3):
            G[r, c] = Pp[r, 0] * h[3 * c] + Pp[r, 1] * h[3 * c + 1] + Pp[r, 2] * h[3 * c + 2]
    i00, l10, l20, i11, l21, i22 = h[9], h[10], h[11], h[12], h[13], h[14]
    w0, w1, w2 = h[15], h[16], h[17]
    for r in range(6):
        g0 = G[r, 0] * i00
        g1 = (G[r, 1] - l10 * g0) * i11
        G[r, 0] = g0
        G[r, 1] = g1
        G[r, 2] = (G[r, 2] - l20 * g0 - l21 * g1) * i22
    for r in range(6):
        x[i, r] = xp[r] + (G[r, 0] * w0 + G[r, 1] * w1 + G[r, 2] * w2)
    for r in range(6):
        for c in range(r, 6):
            v = Pp[r, c] - (G[r, 0] * G[c, 0] + G[r, 1] * G[c, 1] + G[r, 2] * G[c, 2])
            P[i, r, c] = v
            P[i, c, r] = v


@njit(cache=True, error_model="numpy")
def cv_pos_update(x, P, i, T, q, z_all, R_all, d, s, rot):  # pragma: no cover - compiled
    """Row i of (x, P), in place: the CV prediction by a signed step T and the EKF update
    by AER detection d, as the scan does them (:func:`aer_gate`, then :func:`_lin_update`)."""
    xo = np.empty(6)
    Po = np.empty((6, 6))
    lin = np.empty((1, LIN))
    zc = np.zeros((1, DET))
    zc[0, 0] = z_all[d, 0]
    zc[0, 1] = np.sin(z_all[d, 1] * _RAD)
    zc[0, 2] = np.cos(z_all[d, 1] * _RAD)
    zc[0, 3] = np.sin(z_all[d, 2] * _RAD)
    zc[0, 4] = np.cos(z_all[d, 2] * _RAD)
    for c, (a, b) in enumerate(((0, 0), (1, 0), (2, 0), (1, 1), (2, 1), (2, 2))):
        zc[0, 5 + c] = R_all[d, a, b]
    predict_pos(x[i], P[i], T, q, xo, Po)
    aer_gate(xo, Po, zc, 0, s, rot, lin, 0)
    _lin_update(x, P, i, T, q, lin, 0, update_work())


def batch(tracks, out, geo, r, rows, det, est, cfg, gate_d2, n_threads=1):
    """`Tracker._batch` for the EKF + GNN on a radar without range rate, as these passes
    (the gate and the update on n_threads threads where the scan is large enough), reading
    the detections' own columns: the tracks (`buffers._Tracks`) and output rows
    (`buffers._Rows`) in place; returns the number of updates."""
    q = est.model.q_m2ps3
    zc = scangate.batch_rows(rows, det)
    pt, pd, pc, gated, lin = scangate.gate_scan(
        tracks.x, tracks.P, tracks.t_s, tracks.status, tracks.hits, tracks.size, rows, zc,
        det.t_s, geo.enu_m, geo.rot, q, float(cfg.process_noise_m2ps3), est.k_search,
        gate_d2, float(cfg.max_speed_mps), n_threads,
    )  # fmt: skip
    # Confirmed tracks choose first, tentative ones take what is left (`scanassign.assign`);
    # both read only the gate's costs, so the updates wait for both and go in one
    # pass, from the gate's linearisations.
    ap = scanassign.assign(pt, pd, pc, tracks.status, tracks.size, len(rows))
    n_new = len(rows) - int(np.count_nonzero(gated))
    tracks.reserve(n_new)
    out.reserve(2 * ap.size + n_new)
    out.n, added = apply_scan(
        ap, pt, pd, lin, gated, tracks.x, tracks.P, tracks.t_s, tracks.status, tracks.hits,
        tracks.looks, tracks.misses, tracks.extra["last_hit_s"], tracks.size, r, rows,
        det.t_s, zc, geo.enu_m, geo.rot, q, cfg.confirm_m,
        float(cfg.initial_velocity_sigma_mps) ** 2, out.f, out.i, out.n, n_threads,
    )  # fmt: skip
    tracks.size += added
    return int(ap.size)


def apply_scan(
    ap, pt, pd, lin, gated, x, P, t_trk, status, hits, looks_, misses, last_hit, n_rows,
    radar, rows, t_all, zc, s, rot, q, confirm_m, v_var, fb, ib, n_out, n_threads=1,
):  # fmt: skip
    """:func:`_apply_scan`, its updates on n_threads threads (`_update_par`) where asked.
    Dispatched from Python, so that the threaded kernel is compiled only by a run that
    has a scan big enough for it (`scangate.PARALLEL_MIN`)."""
    if n_threads > 1:
        _update_par(n_threads, ap, pt, pd, rows, x, P, t_trk, t_all, q, lin)
    return _apply_scan(
        ap, pt, pd, lin, gated, x, P, t_trk, status, hits, looks_, misses, last_hit, n_rows,
        radar, rows, t_all, zc, s, rot, q, confirm_m, v_var, fb, ib, n_out, n_threads > 1,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def _apply_scan(
    ap,
    pt,
    pd,
    lin,
    gated,
    x,
    P,
    t_trk,
    status,
    hits,
    looks_,
    misses,
    last_hit,
    n_rows,
    radar,
    rows,
    t_all,
    zc,
    s,
    rot,
    q,
    confirm_m,
    v_var,
    fb,
    ib,
    n_out,
    updated,
):  # pragma: no cover - compiled
    """The scan's outcome, in place: each chosen pair p = ap[…] (track pt[p], detection
    pd[p]) predicted to its detection's time and updated by the gate's linearisation
    lin[p] (`_lin_update`), counted and promoted; a tentative track at rows n_rows… from
    each detection no track gated (`_initiate_one`, one each, in detection order). Returns
    (row count, new tracks); the rows in the final table's order (`write_rows`).

    The updates (each writes only its own track's row) run first, unless ``updated``
    (`_update_par` has made them, on threads), then the rest: the same results either way.
    """
    # The updates first, in pair order — track order, so through the track table in one
    # sweep rather than in the detections' time order — then the bookkeeping.
    if not updated:
        wu = update_work()
        for v in range(ap.size):
            p = ap[v]
            i = pt[p]
            _lin_update(x, P, i, t_all[rows[pd[p]]] - t_trk[i], q, lin, p, wu)
    trk_of, n_new = outcome(ap, pt, pd, gated, n_rows, True)
    n_out = write_rows(
        trk_of, rows, t_all, zc, x, P, t_trk, status, hits, looks_, misses, last_hit, n_rows,
        radar, s, rot, v_var, confirm_m, fb, ib, n_out, _NO_RR, _NO_RR,
    )  # fmt: skip
    return n_out, n_new


#: No range rates (`write_rows`).
_NO_RR = np.empty(0)


@njit(cache=True)
def outcome(ap, pt, pd, gated, n_rows, initiate):  # pragma: no cover - compiled
    """Each detection's track after a batch (`write_rows`' trk_of): the track of its chosen
    pair, a new row n_rows… in detection order where no track gated it and ``initiate``,
    else −1; and how many new tracks."""
    k = gated.size
    trk_of = np.full(k, -1, np.int64)
    for v in range(ap.size):
        trk_of[pd[ap[v]]] = pt[ap[v]]
    n_new = 0
    if initiate:
        for j in range(k):
            if not gated[j]:
                trk_of[j] = n_rows + n_new
                n_new += 1
    return trk_of, n_new


@njit(cache=True, error_model="numpy")
def write_rows(
    trk_of, rows, t_all, zc, x, P, t_trk, status, hits, looks_, misses, last_hit, n_rows,
    radar, s, rot, v_var, confirm_m, fb, ib, n_out, rr, rr_var,
):  # fmt: skip  # pragma: no cover - compiled
    """A batch's bookkeeping and rows, its updates made: detection j (rows[j]) went to
    track trk_of[j] (`outcome`): counted, promoted at `confirm_m` hits, or started at
    row trk_of[j] ≥ n_rows (`_initiate_one`; with range rates rr[j] and their variances
    rr_var[j], not empty, its velocity along the line of sight,
    `velocity_from_range_rate`). Returns the row count.

    Rows are written in the order the final table wants — by time, then track id, a
    promotion straight after its update — so that `order_rows` finds them sorted: the
    detections come in time order, and the few rows of one instant are put in id order."""
    k = rows.size
    w = _initiate_work()
    ids = np.empty(k, np.int64)
    js = np.empty(k, np.int64)
    j0 = 0
    while j0 < k:
        t0 = t_all[rows[j0]]
        j1 = j0 + 1
        while j1 < k and t_all[rows[j1]] == t0:
            j1 += 1
        m = 0
        for j in range(j0, j1):
            i = trk_of[j]
            if i < 0:
                continue
            v = m
            while v > 0 and ids[v - 1] > i:
                ids[v] = ids[v - 1]
                js[v] = js[v - 1]
                v -= 1
            ids[v] = i
            js[v] = j
            m += 1
        for u in range(m):
            i = ids[u]
            d = rows[js[u]]
            if i >= n_rows:
                _initiate_one(
                    i, zc[js[u]], t_all[d], x, P, t_trk, status, hits, looks_, misses,
                    last_hit, radar, s, rot, v_var, w,
                )  # fmt: skip
                if rr.size:
                    velocity_from_range_rate(x, P, i, s, rr[js[u]], rr_var[js[u]], v_var)
                n_out = _row(fb, ib, n_out, t_trk[i], i, TENTATIVE, x, P, 1, d)
                continue
            t_trk[i] = t_all[d]
            hits[i] += 1
            misses[i] = 0
            last_hit[i, radar] = t_all[d]
            n_out = _row(fb, ib, n_out, t_trk[i], i, status[i], x, P, hits[i], d)
            if status[i] == TENTATIVE and hits[i] >= confirm_m:
                status[i] = CONFIRMED
                n_out = _row(fb, ib, n_out, t_trk[i], i, CONFIRMED, x, P, hits[i], -1)
        j0 = j1
    return n_out


@njit(cache=True, error_model="numpy", parallel=True)
def _update_par(n_threads, ap, pt, pd, rows, x, P, t_trk, t_all, q, lin):  # pragma: no cover
    """:func:`_lin_update` of each chosen pair ap[…], in n_threads contiguous blocks at
    once; tracks are distinct, so each writes only its own."""
    n = ap.size
    for b in prange(n_threads):
        w = update_work()
        for v in range(b * n // n_threads, (b + 1) * n // n_threads):
            p = ap[v]
            i = pt[p]
            d = rows[pd[p]]
            _lin_update(x, P, i, t_all[d] - t_trk[i], q, lin, p, w)


@njit(cache=True, error_model="numpy")
def velocity_from_range_rate(x, P, i, s, rr, var_rr, v_var):  # pragma: no cover - compiled
    """A new track's velocity from its range rate (`estimators.initial_state`): along the
    line of sight u, rr·u with variance σ_rr² there and v_var across it."""
    if not np.isfinite(rr):
        return
    l0 = x[i, 0] - s[0]
    l1 = x[i, 1] - s[1]
    l2 = x[i, 2] - s[2]
    norm = np.sqrt(l0 * l0 + l1 * l1 + l2 * l2)
    u = (l0 / norm, l1 / norm, l2 / norm)
    for a in range(3):
        x[i, 3 + a] = rr * u[a]
        for b in range(3):
            uu = u[a] * u[b]
            P[i, 3 + a, 3 + b] = var_rr * uu + v_var * ((1.0 if a == b else 0.0) - uu)


@njit(cache=True)
def _initiate_work():  # pragma: no cover - compiled
    return (
        np.empty((3, 3)), np.empty((3, 3)), np.empty((3, 3)), np.empty(3), np.empty(3),
        np.empty(3),
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def _initiate_one(
    i, z, t, x, P, t_trk, status, hits, looks, misses, last_hit, radar, s, rot, v_var, w
):  # pragma: no cover - compiled
    """A tentative track at row i from the detection z (a `detection_rows` row) at time t:
    the measurement-conditioned unbiased conversion of `converted.converted_measurement`,
    velocity σ² v_var per axis."""
    cov, ct, tmp, g, alpha, conv = w
    var_r = z[5]
    var_az = z[8] * _RAD * _RAD
    var_el = z[10] * _RAD * _RAD
    alpha[0] = 0.5 * (var_az + var_el)
    alpha[1] = 0.5 * (var_az + var_el)
    alpha[2] = 0.5 * var_el
    r = z[0]
    sa, ca, se, ce = z[1], z[2], z[3], z[4]
    g[0] = ce * sa
    g[1] = ce * ca
    g[2] = se
    for c in range(3):
        conv[c] = np.exp(alpha[c]) * (r * g[c])
    # _moment_excess
    a_az = -math.expm1(-2 * var_az)
    a_el = -math.expm1(-2 * var_el)
    ce2, sa2, ca2 = ce * ce, sa * sa, ca * ca
    c2a = ca2 - sa2  # cos 2az
    c2e = ce2 - se * se
    e00 = 0.5 * a_az * c2a * ce2 - 0.5 * a_el * c2e * sa2 - 0.25 * a_az * a_el * c2a * c2e
    e11 = -0.5 * a_az * c2a * ce2 - 0.5 * a_el * c2e * ca2 + 0.25 * a_az * a_el * c2a * c2e
    e22 = 0.5 * a_el * c2e
    e01 = sa * ca * (-a_az * ce2 - 0.5 * a_el * c2e * (1 - a_az))
    cross = se * ce * math.expm1(-2 * var_el - 0.5 * var_az)
    e02 = cross * sa
    e12 = cross * ca
    eps = ((e00, e01, e02), (e01, e11, e12), (e02, e12, e22))
    for a in range(3):
        for b in range(3):
            tau = (
                math.expm1(alpha[a] + alpha[b])
                - math.expm1(alpha[a] - alpha[b])
                - math.expm1(alpha[b] - alpha[a])
            )
            ggt = g[a] * g[b]
            cov[a, b] = r**2 * (ggt * tau + eps[a][b]) + var_r * (ggt + eps[a][b])
    # Into the tracking frame: rotᵀ cov rot, then symmetrised.
    for a in range(3):
        for b in range(3):
            acc = 0.0
            for c in range(3):
                acc += rot[c, a] * cov[c, b]
            tmp[a, b] = acc
    for a in range(3):
        for b in range(3):
            acc = 0.0
            for c in range(3):
                acc += tmp[a, c] * rot[c, b]
            ct[a, b] = acc
    for a in range(6):
        x[i, a] = 0.0
        for b in range(6):
            P[i, a, b] = 0.0
    for a in range(3):
        acc = 0.0
        for c in range(3):
            acc += rot[c, a] * conv[c]
        x[i, a] = s[a] + acc
        for b in range(3):
            P[i, a, b] = 0.5 * (ct[a, b] + ct[b, a])
        P[i, a + 3, a + 3] = v_var
    t_trk[i] = t
    status[i] = TENTATIVE
    hits[i] = 1
    looks[i] = 1
    misses[i] = 0
    for c in range(last_hit.shape[1]):
        last_hit[i, c] = -np.inf
    last_hit[i, radar] = t


@njit(cache=True, error_model="numpy")
def looks(
    x,
    t_trk,
    status,
    last_hit,
    n_rows,
    radar,
    ta,
    tb,
    s,
    rot,
    kind,
    period,
    az_min,
    az_width,
    el_min,
    el_max,
    r_min,
    r_max,
    n_el,
    n_az,
    los_below_deg,
):  # pragma: no cover - compiled
    """Which active tracks radar `radar` (having detected them before, not in this window)
    looked at in [ta, tb): the beam passed the predicted direction, inside coverage. Also
    the tracks whose elevation is below `los_below_deg`: their line of sight must still be
    checked. A track hit in the window is left False: `settle` counts its look anyway.

    The formulas are `RadarGeometry.local`, `RadarModel.phase` and `.in_coverage`.
    """
    n_act = 0
    for i in range(n_rows):
        if status[i] != DELETED:
            n_act += 1
    act = np.empty(n_act, np.int64)
    looked = np.zeros(n_act, np.bool_)
    low = np.empty(n_act, np.int64)
    low_pos = np.empty((n_act, 3))
    n_low = 0
    n_act = 0
    t_mid = 0.5 * (ta + tb)
    scan_start = np.floor(ta / period) * period
    pos = np.empty(3)
    for i in range(n_rows):
        if status[i] == DELETED:
            continue
        a = n_act
        act[a] = i
        n_act += 1
        # Never detected by this radar: it cannot miss it. Hit in this window: the hit
        # counts the look, whatever the beam geometry says (see `settle`), so most tracks
        # skip the trigonometry.
        if not np.isfinite(last_hit[i, radar]) or last_hit[i, radar] >= ta:
            continue
        dt = t_mid - t_trk[i]
        for c in range(3):
            pos[c] = x[i, c] + x[i, c + 3] * dt
        d0 = 0.0
        d1 = 0.0
        d2 = 0.0
        for c in range(3):
            rel = pos[c] - s[c]
            d0 += rel * rot[0, c]
            d1 += rel * rot[1, c]
            d2 += rel * rot[2, c]
        rng = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
        az = np.degrees(np.arctan2(d0, d1)) % 360.0
        el = np.degrees(np.arctan2(d2, np.hypot(d0, d1)))
        if kind == SCAN_ROTATING:
            phase = (az % 360.0) / 360.0
        else:
            offset = min(max(((az - az_min) % 360.0) / az_width, 0.0), 1.0 - 1e-12)
            if kind == SCAN_SECTOR:
                phase = offset
            else:
                col = np.floor(offset * n_az)
                row = min(max(np.floor((el - el_min) / (el_max - el_min) * n_el), 0.0), n_el - 1)
                phase = (row * n_az + col + 0.5) / (n_el * n_az)
        t_look = scan_start + phase * period
        ok = (
            t_look >= ta
            and t_look < tb
            and ((az - az_min) % 360.0) <= az_width
            and el >= el_min
            and el <= el_max
            and rng >= r_min
            and rng <= r_max
        )
        looked[a] = ok
        if ok and el < los_below_deg:
            low[n_low] = a
            for c in range(3):
                low_pos[n_low, c] = pos[c]
            n_low += 1
    return act, looked, low[:n_low], low_pos[:n_low]


@njit(cache=True, error_model="numpy")
def settle(
    act,
    looked,
    x,
    P,
    t_trk,
    status,
    hits,
    looks_,
    misses,
    last_hit,
    radar,
    ta,
    tb,
    periods,
    confirm_m,
    confirm_n,
    delete_misses,
    max_var,
    max_coast,
    fb,
    ib,
    n_out,
):  # pragma: no cover - compiled
    """Looks and misses of the window [ta, tb), then pruning (as `Tracker._prune`) with a
    deletion row for each track dropped. Returns the row count."""
    for a in range(act.size):
        i = act[a]
        hit = last_hit[i, radar] >= ta
        lk = looked[a] and np.isfinite(last_hit[i, radar])
        if lk or hit:
            looks_[i] += 1
        if lk and not hit:
            misses[i] += 1
    for a in range(act.size):
        i = act[a]
        tent = status[i] == TENTATIVE
        dead = False
        if tent and looks_[i] >= confirm_n and hits[i] < confirm_m:
            dead = True
        if status[i] == CONFIRMED and misses[i] >= delete_misses:
            dead = True
        if P[i, 0, 0] + P[i, 1, 1] + P[i, 2, 2] > max_var:
            dead = True
        # A track out of every radar's view coasts no look could refute; a tentative one
        # gets three scans of the fastest radar that saw it.
        last = -np.inf
        seen = np.inf
        for c in range(last_hit.shape[1]):
            h = last_hit[i, c]
            last = max(last, h)
            if np.isfinite(h):
                seen = min(seen, periods[c])
        limit = min(3.0 * seen, max_coast) if tent else max_coast
        if tb - last > limit:
            dead = True
        if tent and misses[i] >= 2:
            dead = True
        if dead:
            status[i] = DELETED
            n_out = _row(fb, ib, n_out, tb, i, DELETED, x, P, hits[i], -1)
    return n_out


@njit(cache=True)
def measurements(rng, az, el, rr, r_sig, az_sig, el_sig, rr_sig):  # pragma: no cover
    """z = [range, az, el, range rate] and diagonal R (σ², σ taken as 1 where not finite)
    of every detection, in one pass: the tracker's `_measurements`, bit for bit, without
    NumPy's temporaries (one fill of the (n, 4, 4) R instead of five array passes)."""
    n = rng.size
    z = np.empty((n, 4))
    R = np.zeros((n, 4, 4))
    for d in range(n):
        z[d, 0] = rng[d]
        z[d, 1] = az[d]
        z[d, 2] = el[d]
        z[d, 3] = rr[d]
        for c, sg in enumerate((r_sig[d], az_sig[d], el_sig[d], rr_sig[d])):
            v = sg if np.isfinite(sg) else 1.0
            R[d, c, c] = v * v
    return z, R


@njit(cache=True)
def rows_sorted(t, tid):  # pragma: no cover - compiled
    """Whether rows are in order of time, then track id (non-decreasing)."""
    for r in range(1, t.size):
        if t[r] < t[r - 1] or (t[r] == t[r - 1] and tid[r] < tid[r - 1]):
            return False
    return True
