"""The CV + EKF hot path, compiled: `filters.ekf_cv_predict_update`'s kernel, and the
tracker's compiled range-rate passes' update (`scanrr`).

Private module; the public function and its conventions live in :mod:`gbad.tracking.filters`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DEG = 180.0 / np.pi  # degrees per radian, as `filters.DEG`

# One track's whole predict + update in register-sized loops: the NumPy path
# (`filters.ekf_update`) spends most of its time in the per-call overhead of (N, 6, 6) batched
# matmuls and of 3×3 solves. The kernel does the same arithmetic (same
# formulas, same order of the sequential range-rate stage), so it agrees
# with ConstantVelocity.predict + ekf_update to rounding. It is serial on
# purpose: a prange version was 2× faster on an idle 2-core machine but ~10×
# slower whenever the other core was busy (thread-pool barriers waiting on a
# descheduled worker), and Monte Carlo runs already fill the cores. (The tracker's
# compiled scan passes do use threads, but only where timing shows they pay:
# `buffers._Threads`.)
# error_model="numpy": a division by zero gives inf/nan as in the NumPy path
# instead of a per-division check and exception (~20 % of the kernel's time).


@njit(cache=True, error_model="numpy")
def _chol_solve(S, m, B, k, L, out):  # pragma: no cover - compiled
    """out[:, :k] = S⁻¹ B[:, :k] for SPD S (m × m), by Cholesky; L is scratch."""
    for j in range(m):
        acc = S[j, j]
        for t in range(j):
            acc -= L[j, t] * L[j, t]
        L[j, j] = np.sqrt(acc)
        for i in range(j + 1, m):
            acc = S[i, j]
            for t in range(j):
                acc -= L[i, t] * L[j, t]
            L[i, j] = acc / L[j, j]
    for c in range(k):
        for i in range(m):
            acc = B[i, c]
            for t in range(i):
                acc -= L[i, t] * out[t, c]
            out[i, c] = acc / L[i, i]
        for i in range(m - 1, -1, -1):
            acc = out[i, c]
            for t in range(i + 1, m):
                acc -= L[t, i] * out[t, c]
            out[i, c] = acc / L[i, i]


@njit(cache=True, error_model="numpy")
def _joseph6(x, P, nu, H, R, m, S, xo, Po, work):  # pragma: no cover - compiled
    """Joseph-form update of one 6-state with m rows; S given (HPHᵀ + R). Returns the NIS."""
    PHt, B, sol, L, A, T1 = work
    for r in range(6):
        for c in range(m):
            acc = 0.0
            for t in range(6):
                acc += P[r, t] * H[c, t]
            PHt[r, c] = acc
    for c in range(m):
        for r in range(6):
            B[c, r] = PHt[r, c]
        B[c, 6] = nu[c]
    _chol_solve(S, m, B, 7, L, sol)
    nis = 0.0
    for c in range(m):
        nis += nu[c] * sol[c, 6]
    # K[r, c] = sol[c, r]
    for r in range(6):
        acc = x[r]
        for c in range(m):
            acc += sol[c, r] * nu[c]
        xo[r] = acc
    # Joseph form factored as in _joseph_update: X = P − K(HP), Po = X − (XHᵀ)Kᵀ + K R Kᵀ.
    X, XHt, RK = A, T1, B
    for r in range(6):
        for c in range(6):
            acc = P[r, c]
            for a in range(m):
                acc -= sol[a, r] * PHt[c, a]
            X[r, c] = acc
    for r in range(6):
        for a in range(m):
            acc = 0.0
            for t in range(6):
                acc += X[r, t] * H[a, t]
            XHt[r, a] = acc
    for a in range(m):
        for c in range(6):
            acc = 0.0
            for b in range(m):
                acc += R[a, b] * sol[b, c]
            RK[a, c] = acc
    for r in range(6):
        for c in range(r, 6):
            acc = X[r, c]
            for a in range(m):
                acc += sol[a, r] * RK[a, c] - XHt[r, a] * sol[a, c]
            Po[r, c] = acc
    for r in range(6):
        for c in range(r):
            Po[r, c] = Po[c, r]
    return nis


@njit(cache=True, error_model="numpy")
def _rr_terms6(x, P, s, grad, M, MP):  # pragma: no cover - compiled
    """Range rate, gradient, bias and extra variance (see _range_rate_second_order)."""
    d0, d1, d2 = x[0] - s[0], x[1] - s[1], x[2] - s[2]
    r = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
    u = (d0 / r, d1 / r, d2 / r)
    h = u[0] * x[3] + u[1] * x[4] + u[2] * x[5]
    w = (x[3] - h * u[0], x[4] - h * u[1], x[5] - h * u[2])
    for a in range(3):
        grad[a] = w[a] / r
        grad[a + 3] = u[a]
    for a in range(3):
        for b in range(3):
            proj = (1.0 if a == b else 0.0) - u[a] * u[b]
            M[a, b] = -(u[a] * w[b] + w[a] * u[b] + h * proj) / (r * r)
            M[a, b + 3] = proj / r
            M[a + 3, b] = proj / r
            M[a + 3, b + 3] = 0.0
    bias = 0.0
    for a in range(6):
        for b in range(6):
            acc = 0.0
            for t in range(6):
                acc += M[a, t] * P[t, b]
            MP[a, b] = acc
    extra = 0.0
    for a in range(6):
        bias += MP[a, a]
        for b in range(6):
            extra += MP[a, b] * MP[b, a]
    return h, 0.5 * bias, 0.5 * extra


@njit(cache=True, error_model="numpy")
def _cv_ekf_rows(
    lo, hi, x, P, dt, q, z, R, s, rot, with_rr, xo, Po, nu_o, S_o, nis_o
):  # pragma: no cover
    """Rows lo..hi of the CV predict + EKF update; scratch is allocated once per call."""
    m = 4 if with_rr else 3
    xp = np.empty(6)
    Pp = np.empty((6, 6))
    x1 = np.empty(6)
    P1 = np.empty((6, 6))
    H = np.zeros((4, 6))
    S = np.empty((4, 4))
    nu = np.empty(4)
    grad = np.empty(6)
    M = np.empty((6, 6))
    MP = np.empty((6, 6))
    L = np.zeros((4, 4))
    sol = np.empty((4, 7))
    work = (np.empty((6, 4)), np.empty((4, 7)), sol, L, np.empty((6, 6)), np.empty((6, 6)))
    Rr = np.zeros((1, 1))
    for i in range(lo, hi):
        # dt, R and the radar may be shared by all rows (leading dimension 1).
        T = dt[i if dt.shape[0] > 1 else 0]
        iR = i if R.shape[0] > 1 else 0
        iq = i if s.shape[0] > 1 else 0
        ir = i if rot.shape[0] > 1 else 0
        for a in range(3):
            xp[a] = x[i, a] + T * x[i, a + 3]
            xp[a + 3] = x[i, a + 3]
        for a in range(3):
            for b in range(3):
                pv_new = P[i, a, b + 3] + T * P[i, a + 3, b + 3]
                vp_new = P[i, a + 3, b] + T * P[i, a + 3, b + 3]
                Pp[a, b] = (
                    P[i, a, b] + T * (P[i, a, b + 3] + P[i, a + 3, b]) + T * T * P[i, a + 3, b + 3]
                )
                Pp[a, b + 3] = pv_new
                Pp[a + 3, b] = vp_new
                Pp[a + 3, b + 3] = P[i, a + 3, b + 3]
            Pp[a, a] += T**3 / 3.0 * q[a]
            Pp[a, a + 3] += T**2 / 2.0 * q[a]
            Pp[a + 3, a] += T**2 / 2.0 * q[a]
            Pp[a + 3, a + 3] += T * q[a]
        for a in range(6):
            for b in range(a):
                avg = 0.5 * (Pp[a, b] + Pp[b, a])
                Pp[a, b] = avg
                Pp[b, a] = avg
        # Geometry and Jacobian (as _jacobian_core).
        df0, df1, df2 = xp[0] - s[iq, 0], xp[1] - s[iq, 1], xp[2] - s[iq, 2]
        de = rot[ir, 0, 0] * df0 + rot[ir, 0, 1] * df1 + rot[ir, 0, 2] * df2
        dn = rot[ir, 1, 0] * df0 + rot[ir, 1, 1] * df1 + rot[ir, 1, 2] * df2
        du = rot[ir, 2, 0] * df0 + rot[ir, 2, 1] * df1 + rot[ir, 2, 2] * df2
        horiz = np.hypot(de, dn)
        rng = np.sqrt(horiz * horiz + du * du)
        az = np.degrees(np.arctan2(de, dn)) % 360.0
        el = np.degrees(np.arctan2(du, horiz))
        hz = max(horiz, 1e-9 * rng)
        h2 = hz * hz
        r2h = rng * rng * hz
        g_az = (dn / h2 * DEG, -de / h2 * DEG, 0.0)
        g_el = (-de * du / r2h * DEG, -dn * du / r2h * DEG, hz / (rng * rng) * DEG)
        for b in range(3):
            H[0, b] = (df0, df1, df2)[b] / rng
            H[1, b] = g_az[0] * rot[ir, 0, b] + g_az[1] * rot[ir, 1, b] + g_az[2] * rot[ir, 2, b]
            H[2, b] = g_el[0] * rot[ir, 0, b] + g_el[1] * rot[ir, 1, b] + g_el[2] * rot[ir, 2, b]
            H[0, b + 3] = 0.0
            H[1, b + 3] = 0.0
            H[2, b + 3] = 0.0
        nu[0] = z[i, 0] - rng
        dz = z[i, 1] - az
        nu[1] = 180.0 - ((180.0 - dz) % 360.0)
        nu[2] = z[i, 2] - el
        bias = 0.0
        extra = 0.0
        if with_rr:
            h, bias, extra = _rr_terms6(xp, Pp, s[iq], grad, M, MP)
            for b in range(6):
                H[3, b] = grad[b]
            nu[3] = z[i, 3] - h - bias
        for a in range(m):
            for b in range(a, m):
                acc = R[iR, a, b]
                for t in range(6):
                    ht = 0.0
                    for k in range(6):
                        ht += Pp[t, k] * H[b, k]
                    acc += H[a, t] * ht
                S[a, b] = acc
                S[b, a] = acc
        if with_rr:
            S[3, 3] += extra
            for a in range(4):
                nu_o[i, a] = nu[a]
                for b in range(4):
                    S_o[i, a, b] = S[a, b]
            # NIS over all four rows, then the position stage on the 3×3 block.
            for a in range(4):
                work[1][a, 0] = nu[a]
            _chol_solve(S, 4, work[1], 1, L, sol)
            acc = 0.0
            for a in range(4):
                acc += nu[a] * sol[a, 0]
            nis_o[i] = acc
            _joseph6(xp, Pp, nu, H, R[iR], 3, S, x1, P1, work)
            h, bias, extra = _rr_terms6(x1, P1, s[iq], grad, M, MP)
            for b in range(6):
                H[0, b] = grad[b]
            Rr[0, 0] = R[iR, 3, 3] + extra
            nu[0] = z[i, 3] - h - bias
            S[0, 0] = Rr[0, 0]
            for t in range(6):
                ht = 0.0
                for k in range(6):
                    ht += P1[t, k] * H[0, k]
                S[0, 0] += H[0, t] * ht
            _joseph6(x1, P1, nu, H, Rr, 1, S, xo[i], Po[i], work)
        else:
            for a in range(3):
                nu_o[i, a] = nu[a]
                for b in range(3):
                    S_o[i, a, b] = S[a, b]
            nis_o[i] = _joseph6(xp, Pp, nu, H, R[iR], 3, S, xo[i], Po[i], work)


@njit(cache=True, error_model="numpy")
def _cv_ekf_serial(
    x, P, dt, q, z, R, s, rot, with_rr, xo, Po, nu_o, S_o, nis_o
):  # pragma: no cover
    _cv_ekf_rows(0, x.shape[0], x, P, dt, q, z, R, s, rot, with_rr, xo, Po, nu_o, S_o, nis_o)
