"""The gate pass of a compiled scan (`scanpass`): which track may have made which
detection, and the linearisation each gated pair's update will reuse.

:func:`detection_rows` lays the scan's detections out once (range, sines and cosines,
R, spread); :func:`gate_scan` takes each track's search sphere against each
detection's reach on a horizontal grid, predicts the candidate to the detection's
own time and applies the AER χ² gate (`aer_gate`, the Jacobian of
`fastpath.cv_gate` on the position block, d² and ln|S| through the Cholesky factor
of S), with the speed check of one-detection tracks.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from gbad.tracking.status import DELETED

_DEG = 180.0 / np.pi
_RAD = np.pi / 180.0


@njit(cache=True, error_model="numpy")
def predict_pos(x, P, t, q, xo, Po):  # pragma: no cover - compiled
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


#: Floats of a gated pair's linearisation, kept for its update (`aer_gate` writes them,
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


def batch_rows(rows, det):
    """`detection_rows` of a batch's detections rows[…] of `Detections` det."""
    return detection_rows(
        rows, det.range_m, det.az_deg, det.el_deg, det.range_sigma_m, det.az_sigma_deg,
        det.el_sigma_deg,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def aer_gate(xo, Po, zc, j, s, rot, lin, o):  # pragma: no cover - compiled
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
):
    """Gated pairs of one scan (detections rows[…], as `detection_rows` zc): (track row,
    detection k, cost d² + ln|S|), sorted by track then detection, which detections any
    track gated, and each pair's linearisation (`LIN` floats a row). With n_threads > 1
    the track loop runs on threads (:func:`_gate_scan_par`), with the same result.

    Dispatched from Python, so that the threaded kernels are compiled only by a run
    that has a scan big enough for them (`PARALLEL_MIN`): they take most of the gate's
    compile time."""
    k = rows.size
    act = np.flatnonzero(status[:n_rows] != DELETED)
    if act.size == 0 or k == 0:
        e_i = np.empty(0, np.int64)
        return e_i, e_i, np.empty(0), np.zeros(k, np.bool_), np.empty((0, LIN))
    ctx = gate_context(
        x, P, t_trk, hits, act, rows, zc, t_all, s, rot, q, q_search, k_search, gate_d2,
        max_speed,
    )  # fmt: skip
    if n_threads > 1:
        return _gate_scan_par(n_threads, k, ctx, np.zeros(k, np.bool_))
    return _gate_scan_serial(k, ctx)


@njit(cache=True, error_model="numpy")
def gate_context(
    x, P, t_trk, hits, act, rows, zc, t_all, s, rot, q, q_search, k_search, gate_d2, max_speed
):  # fmt: skip  # pragma: no cover - compiled
    """What every track's gate reads (`_gate_track`): the search spheres of the tracks
    act[…] (rows of the track table, ascending) and the scan's detections on a grid. A
    tuple: act, tp, base, grid, start, ds, ids, dpos, t_det, x, P, t_trk, hits, zc, s,
    rot, q, gate_d2, max_speed (the readers take its fields by these positions)."""
    k = rows.size
    act = act.astype(np.int64)
    n_act = act.size
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
    return (
        act, tp, base, grid, start, ds, ids, dpos, t_det, x, P, t_trk, hits, zc, s, rot, q,
        gate_d2, max_speed,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def _gate_scan_serial(k, ctx):  # pragma: no cover - compiled
    """The track loop of :func:`gate_scan` on one thread."""
    act = ctx[0]
    n_act = act.size
    gated = np.zeros(k, np.bool_)
    cap = max(16, 2 * k)
    pt = np.empty(cap, np.int64)
    pd = np.empty(cap, np.int64)
    pc = np.empty(cap)
    lin = np.empty((cap, LIN))
    n_p = np.int64(0)  # not a literal 0: that would compile _keep_cheapest twice
    w = _gate_work(k)
    for a in range(n_act):
        n_g = _gate_track(a, ctx, pd, pc, lin, n_p, cap - n_p, w)
        if n_g > cap - n_p:  # out of room: grow, and the same track again, into place
            cap = max(2 * cap, n_p + n_g)
            pt2 = np.empty(cap, np.int64)
            pd2 = np.empty(cap, np.int64)
            pc2 = np.empty(cap)
            lin2 = np.empty((cap, LIN))
            # element by element: a slice copy compiles a shape check of its own, a
            # second or more of a first run each
            for v in range(n_p):
                pt2[v] = pt[v]
                pd2[v] = pd[v]
                pc2[v] = pc[v]
                for c in range(LIN):
                    lin2[v, c] = lin[v, c]
            pt, pd, pc, lin = pt2, pd2, pc2, lin2
            _gate_track(a, ctx, pd, pc, lin, n_p, n_g, w)
        for v in range(n_p, n_p + n_g):
            gated[pd[v]] = True
        n_g = _keep_cheapest(pd, pc, lin, n_p, np.int64(n_g))
        for v in range(n_p, n_p + n_g):
            pt[v] = act[a]
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
        n_p += min(cnt[a], TRACK_PAIRS_MAX)
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
                gated[pd[o + v]] = True
        else:  # more pairs than slots: the same pass again, then its cheapest into place
            td = np.empty(c, np.int64)
            tc = np.empty(c)
            tl = np.empty((c, LIN))
            _gate_track(a, ctx, td, tc, tl, 0, c, w)
            for v in range(c):
                gated[td[v]] = True
            c = _keep_cheapest(td, tc, tl, 0, c)
            pd[o : o + c] = td[:c]
            pc[o : o + c] = tc[:c]
            lin[o : o + c] = tl[:c]
        for v in range(c):
            pt[o + v] = act[a]
        o += c
    return pt, pd, pc, gated, lin


@njit(cache=True)
def _keep_cheapest(out_d, out_c, out_lin, o0, n_g):  # pragma: no cover - compiled
    """Of a track's n_g gated pairs at o0…, keep the `TRACK_PAIRS_MAX` cheapest (ties: the
    earlier detection) at o0… in detection order; returns how many are kept."""
    if n_g <= TRACK_PAIRS_MAX:
        return n_g
    order = np.argsort(out_c[o0 : o0 + n_g], kind="mergesort")
    keep = np.sort(order[:TRACK_PAIRS_MAX])
    # keep[v] ≥ v: moving down in place never overwrites a pair still to move
    for v in range(TRACK_PAIRS_MAX):
        out_d[o0 + v] = out_d[o0 + keep[v]]
        out_c[o0 + v] = out_c[o0 + keep[v]]
        for c in range(LIN):  # (a row copy compiles a shape check, seconds of a first run)
            out_lin[o0 + v, c] = out_lin[o0 + keep[v], c]
    return TRACK_PAIRS_MAX


#: Gated pairs a track keeps in its own slots during :func:`gate_scan` (more go a slow way).
SLOT = 8
#: Gated pairs a track keeps a scan: its cheapest (d² + ln|S|). A held track gates one
#: detection, a few in a tight raid; a one-detection track's wide gate may hold a salvo
#: (45 in the default raid). A scan of many detections in one resolution cell (a
#: recording's duplicates) would otherwise pair every track with every detection, memory
#: growing with their product. The detections a track gated but did not keep still start
#: no track.
TRACK_PAIRS_MAX = 64
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
def near_detections(a, ctx, near):  # pragma: no cover - compiled
    """The detections (indices into the scan, ascending, into near[…]) whose reach touches
    the search sphere of track act[a] (ctx: `gate_context`); returns how many."""
    tp, base, grid, start, ds, ids = ctx[1], ctx[2], ctx[3], ctx[4], ctx[5], ctx[6]
    x_lo, y_lo, cell, nx, ny, r_narrow, reach_max = grid
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
                    near[n_near] = ids[u]
                    n_near += 1
    # each track's detections in index order (sorted once: an insertion per candidate
    # costs the square of their number where a scan is dense)
    near[:n_near].sort()
    return n_near


@njit(cache=True, error_model="numpy", inline="always")
def range_may_gate(xo, Po, zc, j, s, gate_d2):  # pragma: no cover - compiled
    """Whether detection zc[j] may pass the gate of the prediction (position xo, covariance
    block Po) on its range alone. Most candidates fail here, and cheaply: for SPD S,
    νᵀS⁻¹ν ≥ ν_r² / S_rr (Cauchy–Schwarz), S_rr = uᵀ P_pos u + R_rr with u the line of
    sight, whatever other rows S has (angles, range rate); here multiplied through by
    |xo − s|², which spares the divisions. The margin covers rounding against the full
    computation."""
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
    return not nu_r * nu_r * rr2 > 1.001 * gate_d2 * s_rr2


@njit(cache=True, error_model="numpy", inline="always")
def reachable(i, j, ctx):  # pragma: no cover - compiled
    """Whether a track of one detection (row i) could have flown to detection j in time:
    one detection gives no velocity, so its second is taken only if the two are no faster
    apart than anything the scenario can fly."""
    dpos, t_det, x, t_trk, zc, max_speed = ctx[7], ctx[8], ctx[9], ctx[11], ctx[13], ctx[18]
    hop2 = 0.0
    for c in range(3):
        diff = dpos[j, c] - x[i, c]
        hop2 += diff * diff
    lim = max_speed * abs(t_det[j] - t_trk[i]) + 2.0 * zc[j, 11]
    return np.sqrt(hop2) <= lim


@njit(cache=True, error_model="numpy", inline="always")
def _gate_track(a, ctx, out_d, out_c, out_lin, o0, cap, w):  # pragma: no cover - compiled
    """Active track a's gated pairs (ctx: what `gate_scan` made of the scan), in detection
    order: the first `cap` detections, costs (d² + ln|S|) and linearisations written at
    out_d[o0…], out_c[o0…], out_lin[o0…]; returns how many gated (which may exceed cap:
    the caller makes room and asks again)."""
    act, t_det, x, P, t_trk, hits = ctx[0], ctx[8], ctx[9], ctx[10], ctx[11], ctx[12]
    zc, s, rot, q, gate_d2 = ctx[13], ctx[14], ctx[15], ctx[16], ctx[17]
    near, xo, Po, spare = w
    i = act[a]
    n_near = near_detections(a, ctx, near)
    young = hits[i] == 1
    xi = x[i]
    Pi = P[i]
    n_g = 0
    for v in range(n_near):
        j = near[v]
        predict_pos(xi, Pi, t_det[j] - t_trk[i], q, xo, Po)
        if not range_may_gate(xo, Po, zc, j, s, gate_d2):
            continue
        if n_g < cap:
            d2, sq_det = aer_gate(xo, Po, zc, j, s, rot, out_lin, o0 + n_g)
        else:
            d2, sq_det = aer_gate(xo, Po, zc, j, s, rot, spare, 0)
        if not d2 <= gate_d2:
            continue
        if young and not reachable(i, j, ctx):
            continue
        if n_g < cap:
            out_d[o0 + n_g] = j
            out_c[o0 + n_g] = d2 + 2.0 * np.log(sq_det)
        n_g += 1
    return n_g
