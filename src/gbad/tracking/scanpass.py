"""One scan of the tracker's commonest configuration in a few compiled passes.

With a thousand tracks and a thousand detections a scan, every NumPy call
costs more in overhead than in arithmetic, and the scan is a long chain of
them. For the CV + EKF + GNN tracker on a radar without range rate, a scan is
instead:

0. :func:`detection_rows` — the scan's detections as one contiguous block (range,
   sine and cosine of both angles, R, spread), the trigonometry done once;
1. :func:`gate_scan` — detections to the tracking frame, each track's search
   sphere against each detection's reach on a grid, each candidate's CV
   prediction to its detection's own time and the AER χ² gate (the Jacobian
   of `fastpath.cv_gate`, on the position block only, d² and ln|S| through the
   Cholesky factor of S), the speed check of one-detection tracks; each gated
   pair's linearisation is kept (`LIN`);
2. :func:`assign` — confirmed tracks, then tentative ones on what is left
   (:func:`assign_stage`): union-find clusters of the stage's pairs; a
   cluster with one track or one detection takes its cheapest pair at once,
   the others (real conflicts) are solved exactly by :func:`lsa` on the same
   dense matrices `association.gnn_assign` gives `scipy.optimize.linear_sum_assignment`,
   so with the same answer;
3. :func:`apply_scan` — once both stages have chosen (they read only the
   gate's costs): each chosen pair's track predicted to its detection's time
   and updated from the gate's linearisation (:func:`_lin_update`, the EKF
   update specialised to a CV state and a position-only measurement),
   counters and M-of-N promotion, and tentative tracks from detections no
   track gated (Mo et al.'s measurement-conditioned conversion, as
   `filters.converted_measurement`), with the output rows written in the
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
load, not of results (see the note above `filters._cv_ekf_rows`): the tracker decides by
timing both ways (`buffers._Threads`).

Track columns are those of `buffers._Tracks`; output rows go to two growable
column-major buffers (`ROW_FLOATS` and `ROW_INTS`, one buffer row per column)
that `buffers._Rows` owns.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

TENTATIVE, CONFIRMED, DELETED = 0, 1, 2
_DEG = 180.0 / np.pi
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


@njit(cache=True, error_model="numpy")
def _predict_pos(x, P, t, q, xo, Po):  # pragma: no cover - compiled
    """CV prediction by a signed step t, in `fastpath._gate_kernel`'s arithmetic: the state
    and the position block of the covariance (all the gate reads; `_predict_full` gives
    the rest, the same block bit for bit)."""
    at = abs(t)
    for i in range(3):
        xo[i] = x[i] + t * x[i + 3]
        xo[i + 3] = x[i + 3]
        for j in range(3):
            Po[i, j] = P[i, j] + t * P[i + 3, j] + (t * P[i, j + 3] + t * t * P[i + 3, j + 3])
    for a in range(3):
        Po[a, a] += q[a] * at * at * at / 3.0


#: Floats of a gated pair's linearisation, kept for its update (`_aer_gate` writes them,
#: `_lin_update` reads them): the Jacobian H of (range, az, el) on position, row-major
#: (0–8); the Cholesky factor L of S = H P Hᵀ + R as 1/l00, l10, l20, 1/l11, l21, 1/l22
#: (9–14); the whitened innovation w = L⁻¹ν (15–17).
LIN = 18
#: Columns of a scan's detection rows (`detection_rows`): range (m), sine and cosine of
#: azimuth and elevation, R's lower triangle R00, R10, R20, R11, R21, R22 (m², deg²), the
#: 3σ spread 3 r σ_ang + 3 σ_r and the one-σ bound r σ_ang + σ_r (m; σ_ang the wider
#: angle's σ, radians).
DET = 13


@njit(cache=True, error_model="numpy")
def _small_atan2(y, x):  # pragma: no cover - compiled
    """atan2(y, x) in radians; by its series where |y| ≤ x / 32 (an innovation angle, nearly
    always: the error term t¹⁵/15 < 1e-23), else the library's."""
    if x > 0.0 and abs(y) <= 0.03125 * x:
        t = y / x
        t2 = t * t
        return t * (
            1.0
            - t2
            * (
                1.0 / 3.0
                - t2
                * (1.0 / 5.0 - t2 * (1.0 / 7.0 - t2 * (1.0 / 9.0 - t2 * (1.0 / 11.0 - t2 / 13.0))))
            )
        )
    return np.arctan2(y, x)


@njit(cache=True)
def detection_rows(rows, rng, az, el, r_sig, az_sig, el_sig):  # pragma: no cover - compiled
    """The scan's detections rows[…] as `DET` contiguous floats each, in scan order: what
    the gate, the update and initiation read of a detection, in one place rather than
    spread over seven columns, the trigonometry done once. R is diagonal, σ² (σ taken as
    1 where not finite, as `measurements`)."""
    zc = np.zeros((rows.size, DET))
    for j in range(rows.size):
        d = rows[j]
        a = az[d] * _RAD
        e = el[d] * _RAD
        zc[j, 0] = rng[d]
        zc[j, 1] = np.sin(a)
        zc[j, 2] = np.cos(a)
        zc[j, 3] = np.sin(e)
        zc[j, 4] = np.cos(e)
        for c, sg in ((5, r_sig[d]), (8, az_sig[d]), (10, el_sig[d])):
            v = sg if np.isfinite(sg) else 1.0
            zc[j, c] = v * v
        sig = max(az_sig[d], el_sig[d]) * _RAD
        zc[j, 11] = 3.0 * rng[d] * sig + 3.0 * r_sig[d]
        zc[j, 12] = rng[d] * sig + r_sig[d]
    return zc


@njit(cache=True, error_model="numpy")
def _aer_gate(xo, Po, zc, j, s, rot, lin, o):  # pragma: no cover - compiled
    """d² and √|S| of a predicted CV state (position xo, covariance block Po) against the
    3-D AER detection zc[j], through the Cholesky factor of S; the linearisation goes to
    lin[o] so that the update, if the pair wins, does not linearise again.

    The Jacobian is `fastpath._gate_kernel`'s. The angle innovations are taken as the
    angle between the measured and predicted directions (atan2 of the sine and cosine of
    the difference), not as a difference of two angles: as exact, better where the angles
    are large and their difference small, and with a series for the arctangent of the
    small angles that innovations nearly always are. d² = |L⁻¹ν|² and |S| = (l00 l11 l22)²
    equal the adjugate formulas up to rounding. An S that is not positive definite gives
    NaN, which no gate passes."""
    d0 = 0.0
    d1 = 0.0
    d2_ = 0.0
    for c in range(3):
        rel = xo[c] - s[c]
        d0 += rot[0, c] * rel
        d1 += rot[1, c] * rel
        d2_ += rot[2, c] * rel
    rho2 = d0 * d0 + d1 * d1
    r2 = rho2 + d2_ * d2_
    rho = np.sqrt(rho2)
    r = np.sqrt(r2)
    sa, ca, se, ce = zc[j, 1], zc[j, 2], zc[j, 3], zc[j, 4]
    nu0 = zc[j, 0] - r
    nu1 = _small_atan2(sa * d1 - ca * d0, ca * d1 + sa * d0) * _DEG
    nu2 = _small_atan2(se * rho - ce * d2_, ce * rho + se * d2_) * _DEG
    # one division for the four reciprocals
    inv = 1.0 / (r2 * rho2)
    ir = r * rho2 * inv
    irho2 = _DEG * r2 * inv
    ielv = _DEG * rho * inv
    g00 = d0 * ir
    g01 = d1 * ir
    g02 = d2_ * ir
    g10 = d1 * irho2
    g11 = -d0 * irho2
    g20 = -d0 * d2_ * ielv
    g21 = -d1 * d2_ * ielv
    g22 = _DEG * rho * rho2 * inv
    h0 = g00 * rot[0, 0] + g01 * rot[1, 0] + g02 * rot[2, 0]
    h1 = g00 * rot[0, 1] + g01 * rot[1, 1] + g02 * rot[2, 1]
    h2 = g00 * rot[0, 2] + g01 * rot[1, 2] + g02 * rot[2, 2]
    h3 = g10 * rot[0, 0] + g11 * rot[1, 0]
    h4 = g10 * rot[0, 1] + g11 * rot[1, 1]
    h5 = g10 * rot[0, 2] + g11 * rot[1, 2]
    h6 = g20 * rot[0, 0] + g21 * rot[1, 0] + g22 * rot[2, 0]
    h7 = g20 * rot[0, 1] + g21 * rot[1, 1] + g22 * rot[2, 1]
    h8 = g20 * rot[0, 2] + g21 * rot[1, 2] + g22 * rot[2, 2]
    # H Po by rows, then S's lower triangle
    a0 = h0 * Po[0, 0] + h1 * Po[1, 0] + h2 * Po[2, 0]
    a1 = h0 * Po[0, 1] + h1 * Po[1, 1] + h2 * Po[2, 1]
    a2 = h0 * Po[0, 2] + h1 * Po[1, 2] + h2 * Po[2, 2]
    b0 = h3 * Po[0, 0] + h4 * Po[1, 0] + h5 * Po[2, 0]
    b1 = h3 * Po[0, 1] + h4 * Po[1, 1] + h5 * Po[2, 1]
    b2 = h3 * Po[0, 2] + h4 * Po[1, 2] + h5 * Po[2, 2]
    c0 = h6 * Po[0, 0] + h7 * Po[1, 0] + h8 * Po[2, 0]
    c1 = h6 * Po[0, 1] + h7 * Po[1, 1] + h8 * Po[2, 1]
    c2 = h6 * Po[0, 2] + h7 * Po[1, 2] + h8 * Po[2, 2]
    s00 = zc[j, 5] + a0 * h0 + a1 * h1 + a2 * h2
    s10 = zc[j, 6] + b0 * h0 + b1 * h1 + b2 * h2
    s20 = zc[j, 7] + c0 * h0 + c1 * h1 + c2 * h2
    s11 = zc[j, 8] + b0 * h3 + b1 * h4 + b2 * h5
    s21 = zc[j, 9] + c0 * h3 + c1 * h4 + c2 * h5
    s22 = zc[j, 10] + c0 * h6 + c1 * h7 + c2 * h8
    # Cholesky S = L Lᵀ, with reciprocal pivots: three divisions, not one per element.
    l00 = np.sqrt(s00)
    i00 = 1.0 / l00
    l10 = s10 * i00
    l20 = s20 * i00
    l11 = np.sqrt(s11 - l10 * l10)
    i11 = 1.0 / l11
    l21 = (s21 - l20 * l10) * i11
    l22 = np.sqrt(s22 - l20 * l20 - l21 * l21)
    i22 = 1.0 / l22
    w0 = nu0 * i00
    w1 = (nu1 - l10 * w0) * i11
    w2 = (nu2 - l20 * w0 - l21 * w1) * i22
    h = lin[o]
    h[0] = h0
    h[1] = h1
    h[2] = h2
    h[3] = h3
    h[4] = h4
    h[5] = h5
    h[6] = h6
    h[7] = h7
    h[8] = h8
    h[9] = i00
    h[10] = l10
    h[11] = l20
    h[12] = i11
    h[13] = l21
    h[14] = i22
    h[15] = w0
    h[16] = w1
    h[17] = w2
    return w0 * w0 + w1 * w1 + w2 * w2, l00 * l11 * l22


@njit(cache=True, error_model="numpy")
def gate_scan(
    x,
    P,
    t_trk,
    status,
    hits,
    n_rows,
    rows,
    zc,
    t_all,
    s,
    rot,
    q,
    q_search,
    k_search,
    gate_d2,
    max_speed,
    n_threads=1,
):  # pragma: no cover - compiled
    """Gated pairs of one scan (detections rows[…], as `detection_rows` zc): (track row,
    detection k, cost d² + ln|S|), sorted by track then detection, which detections any
    track gated, and each pair's linearisation (`LIN` floats a row). With n_threads > 1
    the track loop runs on threads (:func:`_gate_scan_par`), with the same result."""
    k = rows.size
    gated = np.zeros(k, np.bool_)
    n_act = 0
    for i in range(n_rows):
        if status[i] != DELETED:
            n_act += 1
    if n_act == 0 or k == 0:
        e_i = np.empty(0, np.int64)
        return e_i, e_i, np.empty(0), gated, np.empty((0, LIN))
    act = np.empty(n_act, np.int64)
    n_act = 0
    for i in range(n_rows):
        if status[i] != DELETED:
            act[n_act] = i
            n_act += 1
    # Detections in the tracking frame, with their reach: the gate's size in σ times the
    # σ bound, a bound on the longest axis of the detection's error ellipsoid.
    dpos = np.empty((k, 3))
    reach = np.empty(k)
    t_det = np.empty(k)
    t_sum = 0.0
    t_min = np.inf
    t_max = -np.inf
    reach_max = 0.0
    reach_sum = 0.0
    k_det = np.sqrt(gate_d2)
    for j in range(k):
        d = rows[j]
        loc0 = zc[j, 0] * zc[j, 4] * zc[j, 1]
        loc1 = zc[j, 0] * zc[j, 4] * zc[j, 2]
        loc2 = zc[j, 0] * zc[j, 3]
        for c in range(3):
            dpos[j, c] = s[c] + (loc0 * rot[0, c] + loc1 * rot[1, c] + loc2 * rot[2, c])
        reach[j] = k_det * zc[j, 12]
        reach_max = max(reach_max, reach[j])
        reach_sum += reach[j]
        t_det[j] = t_all[d]
        t_sum += t_all[d]
        t_min = min(t_min, t_all[d])
        t_max = max(t_max, t_all[d])
    t_mid = t_sum / k
    span = t_max - t_min
    # Search sphere of each track at the batch's mean time (as KalmanEstimator.search_region),
    # grown by how far the track flies within the batch; a pair is a candidate where it
    # touches the detection's reach (association.candidate_pairs).
    tp = np.empty((n_act, 3))
    base = np.empty(n_act)
    rad = np.empty(n_act)
    for a in range(n_act):
        i = act[a]
        dt = t_mid - t_trk[i]
        for c in range(3):
            tp[a, c] = x[i, c] + x[i, c + 3] * dt
        var = (
            (P[i, 0, 0] + P[i, 1, 1] + P[i, 2, 2])
            + dt**2 * (P[i, 3, 3] + P[i, 4, 4] + P[i, 5, 5])
            + q_search * abs(dt) ** 3
        )
        speed = np.sqrt(x[i, 3] ** 2 + x[i, 4] ** 2 + x[i, 5] ** 2)
        base[a] = k_search * np.sqrt(var) + speed * span
    # Candidates on a horizontal grid of detections (cells about a median search radius):
    # a track visits the cells its sphere's box touches, a handful, where a sweep along one
    # axis would visit a whole slab of the coverage. Same predicate, so the same pairs.
    # Reach runs over two decades (a weak detection far out is wide), so the wide few
    # (reach over twice the mean) have cells of their own: a track's box is as wide as the
    # widest detection only over those.
    r_narrow = min(2.0 * (reach_sum / k), reach_max)
    for a in range(n_act):
        rad[a] = base[a] + r_narrow
    x_lo = np.inf
    x_hi = -np.inf
    y_lo = np.inf
    y_hi = -np.inf
    for j in range(k):
        x_lo = min(x_lo, dpos[j, 0])
        x_hi = max(x_hi, dpos[j, 0])
        y_lo = min(y_lo, dpos[j, 1])
        y_hi = max(y_hi, dpos[j, 1])
    cell = np.median(rad)
    if not 1.0 <= cell < np.inf:
        cell = 1.0 if not cell >= 1.0 else 1e12
    while ((x_hi - x_lo) / cell + 1.0) * ((y_hi - y_lo) / cell + 1.0) > 4.0 * k + 16.0:
        cell *= 2.0
    nx = int((x_hi - x_lo) / cell) + 1
    ny = int((y_hi - y_lo) / cell) + 1
    n_cell = nx * ny
    cell_of = np.empty(k, np.int64)
    start = np.zeros(2 * n_cell + 1, np.int64)  # the narrow detections' cells, then the wide
    for j in range(k):
        cx = int((dpos[j, 0] - x_lo) / cell)
        cy = int((dpos[j, 1] - y_lo) / cell)
        cell_of[j] = cy * nx + cx + (n_cell if reach[j] > r_narrow else 0)
        start[cell_of[j] + 1] += 1
    for c in range(2 * n_cell):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    ds = np.empty((k, 4))  # detections grouped by cell, contiguous: position and reach
    ids = np.empty(k, np.int64)
    for j in range(k):
        u = fill[cell_of[j]]
        fill[cell_of[j]] += 1
        ids[u] = j
        for c in range(3):
            ds[u, c] = dpos[j, c]
        ds[u, 3] = reach[j]
    grid = (x_lo, y_lo, cell, nx, ny, r_narrow, reach_max)
    # what every track's gate reads (`_gate_track`)
    ctx = (
        act, tp, base, grid, start, ds, ids, dpos, t_det, x, P, t_trk, hits, zc, s, rot, q,
        gate_d2, max_speed,
    )  # fmt: skip
    if n_threads > 1:
        return _gate_scan_par(n_threads, k, ctx, gated)
    cap = max(16, 2 * k)
    pt = np.empty(cap, np.int64)
    pd = np.empty(cap, np.int64)
    pc = np.empty(cap)
    lin = np.empty((cap, LIN))
    n_p = 0
    w = _gate_work(k)
    for a in range(n_act):
        n_g = _gate_track(a, ctx, pd, pc, lin, n_p, cap - n_p, w)
        if n_g > cap - n_p:  # out of room: grow, and the same track again, into place
            cap = max(2 * cap, n_p + n_g)
            pt2 = np.empty(cap, np.int64)
            pd2 = np.empty(cap, np.int64)
            pc2 = np.empty(cap)
            lin2 = np.empty((cap, LIN))
            pt2[:n_p] = pt[:n_p]
            pd2[:n_p] = pd[:n_p]
            pc2[:n_p] = pc[:n_p]
            lin2[:n_p] = lin[:n_p]
            pt, pd, pc, lin = pt2, pd2, pc2, lin2
            _gate_track(a, ctx, pd, pc, lin, n_p, n_g, w)
        for v in range(n_p, n_p + n_g):
            pt[v] = act[a]
            gated[pd[v]] = True
        n_p += n_g
    return pt[:n_p], pd[:n_p], pc[:n_p], gated, lin[:n_p]


@njit(cache=True, error_model="numpy")
def _gate_scan_par(n_threads, k, ctx, gated):  # pragma: no cover - compiled
    """The track loop of :func:`gate_scan` on n_threads threads. Each track's gated pairs go
    to its own SLOT slots (a track with more is gated again, alone, straight into the final
    arrays), then the slots are compacted in track order: the serial loop's pairs, in its
    order, whatever the threads' timing."""
    act = ctx[0]
    n_act = act.size
    cnt = np.empty(n_act, np.int64)
    sd = np.empty(n_act * SLOT, np.int64)
    sc = np.empty(n_act * SLOT)
    sl = np.empty((n_act * SLOT, LIN))
    _gate_tracks_par(n_threads, k, ctx, cnt, sd, sc, sl)
    n_p = 0
    for a in range(n_act):
        n_p += cnt[a]
    pt = np.empty(n_p, np.int64)
    pd = np.empty(n_p, np.int64)
    pc = np.empty(n_p)
    lin = np.empty((n_p, LIN))
    o = 0
    w = _gate_work(k)
    for a in range(n_act):
        c = cnt[a]
        if c <= SLOT:
            for v in range(c):
                pd[o + v] = sd[a * SLOT + v]
                pc[o + v] = sc[a * SLOT + v]
                lin[o + v] = sl[a * SLOT + v]
        else:  # more pairs than slots: the same pass again, straight into place
            _gate_track(a, ctx, pd, pc, lin, o, c, w)
        for v in range(c):
            pt[o + v] = act[a]
            gated[pd[o + v]] = True
        o += c
    return pt, pd, pc, gated, lin


#: Gated pairs a track keeps in its own slots during :func:`gate_scan` (more go a slow way).
SLOT = 8
#: Fewest detections in a scan for which the tracker lets the passes use threads: below
#: it a thread pool's start costs more than it saves.
PARALLEL_MIN = 256


@njit(cache=True)
def _gate_work(k):  # pragma: no cover - compiled
    """Scratch of :func:`_gate_track`: candidate list, prediction, and a linearisation row
    for pairs past the caller's room."""
    return np.empty(k, np.int64), np.empty(6), np.empty((6, 6)), np.empty((1, LIN))


@njit(cache=True, error_model="numpy", parallel=True)
def _gate_tracks_par(n_threads, k, ctx, cnt, sd, sc, sl):  # pragma: no cover - compiled
    """:func:`_gate_track` for every active track, in n_threads contiguous blocks at once;
    each track writes only its own count and slots, so the result is the serial one."""
    n_act = ctx[0].size
    # (a prange body takes no tuple holding a tuple: the grid goes in on its own)
    head, grid, tail = ctx[:3], ctx[3], ctx[4:]
    for b in prange(n_threads):
        w = _gate_work(k)
        for a in range(b * n_act // n_threads, (b + 1) * n_act // n_threads):
            cnt[a] = _gate_track(a, (*head, grid, *tail), sd, sc, sl, a * SLOT, SLOT, w)


@njit(cache=True, error_model="numpy", inline="always")
def _gate_track(a, ctx, out_d, out_c, out_lin, o0, cap, w):  # pragma: no cover - compiled
    """Active track a's gated pairs (ctx: what `gate_scan` made of the scan), in detection
    order: the first `cap` detections, costs (d² + ln|S|) and linearisations written at
    out_d[o0…], out_c[o0…], out_lin[o0…]; returns how many gated (which may exceed cap:
    the caller makes room and asks again)."""
    (
        act, tp, base, grid, start, ds, ids, dpos, t_det, x, P, t_trk, hits, zc, s, rot, q,
        gate_d2, max_speed,
    ) = ctx  # fmt: skip
    near, xo, Po, spare = w
    x_lo, y_lo, cell, nx, ny, r_narrow, reach_max = grid
    i = act[a]
    b = base[a]
    tx, ty, tz = tp[a, 0], tp[a, 1], tp[a, 2]
    n_near = 0
    for wide in range(2):
        r = b + (reach_max if wide else r_narrow)
        c0 = wide * nx * ny
        # the box a hair wider than the class's widest sphere, against rounding at an edge
        fx0 = (tx - 1.000001 * r - x_lo) / cell
        fx1 = (tx + 1.000001 * r - x_lo) / cell
        fy0 = (ty - 1.000001 * r - y_lo) / cell
        fy1 = (ty + 1.000001 * r - y_lo) / cell
        if not (fx1 >= 0.0 and fy1 >= 0.0 and fx0 < nx and fy0 < ny):
            continue
        cx0 = max(int(fx0), 0) if fx0 > 0.0 else 0
        cx1 = min(int(fx1), nx - 1)
        cy0 = max(int(fy0), 0) if fy0 > 0.0 else 0
        cy1 = min(int(fy1), ny - 1)
        for cy in range(cy0, cy1 + 1):
            # the cells cx0..cx1 of a grid row hold one contiguous run of detections
            for u in range(start[c0 + cy * nx + cx0], start[c0 + cy * nx + cx1 + 1]):
                dx = ds[u, 0] - tx
                dy = ds[u, 1] - ty
                dz = ds[u, 2] - tz
                rr = (b + ds[u, 3]) * (1.0 + 1e-9)
                if dx * dx + dy * dy + dz * dz <= rr * rr:
                    j = ids[u]
                    # insertion keeps each track's detections in index order
                    v = n_near
                    while v > 0 and near[v - 1] > j:
                        near[v] = near[v - 1]
                        v -= 1
                    near[v] = j
                    n_near += 1
    young = hits[i] == 1
    xi = x[i]
    Pi = P[i]
    n_g = 0
    for v in range(n_near):
        j = near[v]
        _predict_pos(xi, Pi, t_det[j] - t_trk[i], q, xo, Po)
        # Most candidates fail on range alone, and cheaply: for SPD S,
        # νᵀS⁻¹ν ≥ ν_r² / S_rr (Cauchy–Schwarz), S_rr = uᵀ P_pos u + R_rr with u the
        # line of sight; here multiplied through by |xo − s|², which spares the
        # divisions. The margin covers rounding against the full computation.
        u0 = xo[0] - s[0]
        u1 = xo[1] - s[1]
        u2 = xo[2] - s[2]
        rr2 = u0 * u0 + u1 * u1 + u2 * u2
        s_rr2 = (
            zc[j, 5] * rr2
            + (u0 * Po[0, 0] + u1 * Po[1, 0] + u2 * Po[2, 0]) * u0
            + (u0 * Po[0, 1] + u1 * Po[1, 1] + u2 * Po[2, 1]) * u1
            + (u0 * Po[0, 2] + u1 * Po[1, 2] + u2 * Po[2, 2]) * u2
        )
        nu_r = zc[j, 0] - np.sqrt(rr2)
        if nu_r * nu_r * rr2 > 1.001 * gate_d2 * s_rr2:
            continue
        if n_g < cap:
            d2, sq_det = _aer_gate(xo, Po, zc, j, s, rot, out_lin, o0 + n_g)
        else:
            d2, sq_det = _aer_gate(xo, Po, zc, j, s, rot, spare, 0)
        if not d2 <= gate_d2:
            continue
        if young:
            # One detection gives no velocity: the second must be reachable in time.
            hop2 = 0.0
            for c in range(3):
                diff = dpos[j, c] - x[i, c]
                hop2 += diff * diff
            lim = max_speed * abs(t_det[j] - t_trk[i]) + 2.0 * zc[j, 11]
            if not np.sqrt(hop2) <= lim:
                continue
        if n_g < cap:
            out_d[o0 + n_g] = j
            out_c[o0 + n_g] = d2 + 2.0 * np.log(sq_det)
        n_g += 1
    return n_g


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
    n = assign_stage(pt, pd, pc, status, True, taken, n_rows, chosen, 0)
    for v in range(n):
        taken[pd[chosen[v]]] = True
    n = assign_stage(pt, pd, pc, status, False, taken, n_rows, chosen, n)
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


@njit(cache=True)
def update_work():  # pragma: no cover - compiled
    """Scratch for :func:`_lin_update`, allocated once per pass."""
    return np.empty(6), np.empty((6, 6)), np.empty((6, 3))


@njit(cache=True, error_model="numpy")
def _predict_full(x, P, i, t, q, xo, Po):  # pragma: no cover - compiled
    """CV prediction of row i by a signed step t, state and whole covariance (the update's);
    its position block is `_predict_pos`'s, in the same arithmetic."""
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
    by AER detection d, as the scan does them (:func:`_aer_gate`, then :func:`_lin_update`)."""
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
    _predict_pos(x[i], P[i], T, q, xo, Po)
    _aer_gate(xo, Po, zc, 0, s, rot, lin, 0)
    _lin_update(x, P, i, T, q, lin, 0, update_work())


@njit(cache=True, error_model="numpy")
def apply_scan(
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
    n_threads=1,
):  # pragma: no cover - compiled
    """The scan's outcome, in place: each chosen pair p = ap[…] (track pt[p], detection
    pd[p]) predicted to its detection's time and updated by the gate's linearisation
    lin[p] (`_lin_update`), counted and promoted; a tentative track at rows n_rows… from
    each detection no track gated (`_initiate_one`, one each, in detection order). Returns
    (row count, new tracks).

    Rows are written in the order the final table wants — by time, then track id, a
    promotion straight after its update — so that `order_rows` finds them sorted: the
    detections come in time order, and the few rows of one instant are put in id order.

    The updates (each writes only its own track's row) run first, on n_threads threads
    where asked, then the rest: the same results either way.
    """
    k = rows.size
    # The updates first, in pair order — track order, so through the track table in one
    # sweep rather than in the detections' time order — then the bookkeeping.
    if n_threads > 1:
        _update_par(n_threads, ap, pt, pd, rows, x, P, t_trk, t_all, q, lin)
    else:
        wu = update_work()
        for v in range(ap.size):
            p = ap[v]
            i = pt[p]
            _lin_update(x, P, i, t_all[rows[pd[p]]] - t_trk[i], q, lin, p, wu)
    trk_of = np.full(k, -1, np.int64)
    for v in range(ap.size):
        trk_of[pd[ap[v]]] = pt[ap[v]]
    n_new = 0
    for j in range(k):
        if not gated[j]:
            trk_of[j] = n_rows + n_new
            n_new += 1
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
    return n_out, n_new


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
    the measurement-conditioned unbiased conversion of `filters.converted_measurement`,
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
