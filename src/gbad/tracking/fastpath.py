"""Compiled gating for the tracker's commonest case: a CV track against a 3-D AER detection.

Gating predicts every candidate (track, detection) pair to the detection's own
time and forms its innovation: at a thousand targets that is thousands of 6×6
products a scan, which NumPy spends most of its time allocating. This kernel
does the same arithmetic pair by pair, in one pass, with no temporaries:

- prediction by a signed step dt (a negative one runs the track back, the
  time-reversal of `estimators.predict_signed`): x' = [p + v·dt, v],
  P' = F P Fᵀ + q·[[|dt|³/3, dt|dt|/2], [dt|dt|/2, |dt|]] per axis;
- the exact AER measurement of the predicted position in the radar's frame,
  its Jacobian, S = H P' Hᵀ + R, the wrapped innovation, d² and ln|S|.

It matches `ConstantVelocity.predict` + `filters.aer_innovation` (without
range rate) to rounding; `tests/test_fastpath.py` checks it.

With range rate (`rr_gate_stats`) the track is already predicted (NumPy's prediction,
which the update then uses); the kernel forms the 4-D innovation of
`filters.aer_innovation`: the AER rows and the range-rate row with its second-order
bias ½tr(MP) and variance ½tr(MPMP) (the update's own `_ekf_kernel._rr_terms6`), d² and
ln|S|, to rounding.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from gbad.tracking._ekf_kernel import _rr_terms6

_DEG = 180.0 / np.pi
#: As `filters._HORIZ_FLOOR`: |d_h|/range floor of the azimuth Jacobian overhead.
_HORIZ_FLOOR = 1e-9


@njit(cache=True, inline="always")
def _hph_r(H, P, R, m, n, S):  # pragma: no cover - compiled
    """S = H P Hᵀ + R for H (≥m, ≥n), P (≥n, ≥n), R (≥m, ≥m), into S (m, m)."""
    for i in range(m):
        for j in range(m):
            acc = R[i, j]
            for a in range(n):
                hp = 0.0
                for b in range(n):
                    hp += H[i, b] * P[b, a]
                acc += hp * H[j, a]
            S[i, j] = acc


@njit(cache=True)
def _gate_kernel(x, P, dt, q, z, R, s, rot, xo, Po, d2, logdet):  # pragma: no cover - compiled
    n_pairs = x.shape[0]
    for k in range(n_pairs):
        t = dt[k]
        at = abs(t)
        for i in range(3):
            xo[k, i] = x[k, i] + t * x[k, i + 3]
            xo[k, i + 3] = x[k, i + 3]
        # P' = F P Fᵀ + Q with F = [[I, tI], [0, I]].
        for i in range(6):
            for j in range(6):
                v = P[k, i, j]
                if i < 3:
                    v += t * P[k, i + 3, j]
                    if j < 3:
                        v += t * P[k, i, j + 3] + t * t * P[k, i + 3, j + 3]
                elif j < 3:
                    v += t * P[k, i, j + 3]
                Po[k, i, j] = v
        for a in range(3):
            Po[k, a, a] += q[a] * at * at * at / 3.0
            Po[k, a, a + 3] += q[a] * t * at / 2.0
            Po[k, a + 3, a] += q[a] * t * at / 2.0
            Po[k, a + 3, a + 3] += q[a] * at
        # Measurement of the predicted position in the radar's own frame.
        d0 = 0.0
        d1 = 0.0
        d2_ = 0.0
        for j in range(3):
            rel = xo[k, j] - s[j]
            d0 += rot[0, j] * rel
            d1 += rot[1, j] * rel
            d2_ += rot[2, j] * rel
        rho2 = d0 * d0 + d1 * d1
        rho = np.sqrt(rho2)
        r2 = rho2 + d2_ * d2_
        r = np.sqrt(r2)
        az = np.arctan2(d0, d1) * _DEG
        if az < 0.0:
            az += 360.0
        el = np.arctan2(d2_, rho) * _DEG
        # Jacobian rows in the radar frame, then through rot to the tracking frame.
        g = np.empty((3, 3))
        g[0, 0] = d0 / r
        g[0, 1] = d1 / r
        g[0, 2] = d2_ / r
        g[1, 0] = _DEG * d1 / rho2
        g[1, 1] = -_DEG * d0 / rho2
        g[1, 2] = 0.0
        g[2, 0] = -_DEG * d0 * d2_ / (r2 * rho)
        g[2, 1] = -_DEG * d1 * d2_ / (r2 * rho)
        g[2, 2] = _DEG * rho / r2
        H = np.zeros((3, 3))
        for i in range(3):
            for j in range(3):
                acc = 0.0
                for c in range(3):
                    acc += g[i, c] * rot[c, j]
                H[i, j] = acc
        S = np.empty((3, 3))
        _hph_r(H, Po[k], R[k], 3, 3, S)
        nu0 = z[k, 0] - r
        nu1 = (z[k, 1] - az + 180.0) % 360.0 - 180.0
        nu2 = z[k, 2] - el
        # 3×3 inverse by cofactors: S is small and well conditioned by R.
        c00 = S[1, 1] * S[2, 2] - S[1, 2] * S[2, 1]
        c01 = S[1, 2] * S[2, 0] - S[1, 0] * S[2, 2]
        c02 = S[1, 0] * S[2, 1] - S[1, 1] * S[2, 0]
        det = S[0, 0] * c00 + S[0, 1] * c01 + S[0, 2] * c02
        i00 = c00 / det
        i01 = (S[0, 2] * S[2, 1] - S[0, 1] * S[2, 2]) / det
        i02 = (S[0, 1] * S[1, 2] - S[0, 2] * S[1, 1]) / det
        i11 = (S[0, 0] * S[2, 2] - S[0, 2] * S[2, 0]) / det
        i12 = (S[0, 2] * S[1, 0] - S[0, 0] * S[1, 2]) / det
        i22 = (S[0, 0] * S[1, 1] - S[0, 1] * S[1, 0]) / det
        d2[k] = (
            nu0 * nu0 * i00
            + nu1 * nu1 * i11
            + nu2 * nu2 * i22
            + 2.0 * (nu0 * nu1 * i01 + nu0 * nu2 * i02 + nu1 * nu2 * i12)
        )
        logdet[k] = np.log(det)


def _c(a: object) -> NDArray[np.float64]:
    """A kernel argument: float64, C-contiguous."""
    return np.ascontiguousarray(a, dtype=np.float64)


def cv_gate(
    x: NDArray[np.float64],
    P: NDArray[np.float64],
    dt_s: NDArray[np.float64],
    q_m2ps3: NDArray[np.float64],
    z: NDArray[np.float64],
    R: NDArray[np.float64],
    radar_enu_m: NDArray[np.float64],
    radar_rot: NDArray[np.float64],
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Predicted states (K, 6), covariances (K, 6, 6), d² (K,) and ln|S| (K,) of CV pairs
    against 3-D detections z = [range_m, az_deg, el_deg] with covariances R (K, 3, 3)."""
    k = len(dt_s)
    xo = np.empty((k, 6))
    Po = np.empty((k, 6, 6))
    d2 = np.empty(k)
    logdet = np.empty(k)
    _gate_kernel(
        *(_c(a) for a in (x, P, dt_s, q_m2ps3, z, R, radar_enu_m, radar_rot)), xo, Po, d2, logdet
    )
    return xo, Po, d2, logdet


@njit(cache=True)
def _rr_gate_kernel(x, P, z, R, s, rot, d2, logdet):  # pragma: no cover - compiled
    n_pairs = x.shape[0]
    H = np.zeros((4, 6))
    S = np.empty((4, 4))
    L = np.zeros((4, 4))
    nu = np.empty(4)
    M = np.zeros((6, 6))
    MP = np.empty((6, 6))
    grad = np.empty(6)
    y = np.empty(4)
    for k in range(n_pairs):
        diff0 = x[k, 0] - s[0]
        diff1 = x[k, 1] - s[1]
        diff2 = x[k, 2] - s[2]
        v0, v1, v2 = x[k, 3], x[k, 4], x[k, 5]
        d0 = rot[0, 0] * diff0 + rot[0, 1] * diff1 + rot[0, 2] * diff2
        d1 = rot[1, 0] * diff0 + rot[1, 1] * diff1 + rot[1, 2] * diff2
        dz = rot[2, 0] * diff0 + rot[2, 1] * diff1 + rot[2, 2] * diff2
        horiz = np.hypot(d0, d1)
        rng = np.sqrt(horiz * horiz + dz * dz)
        az = np.arctan2(d0, d1) * _DEG % 360.0
        if az >= 360.0:
            az -= 360.0
        el = np.arctan2(dz, horiz) * _DEG
        rr = (diff0 * v0 + diff1 * v1 + diff2 * v2) / rng
        hf = max(horiz, _HORIZ_FLOOR * rng)
        u0, u1, u2 = diff0 / rng, diff1 / rng, diff2 / rng
        h2 = hf * hf
        ga0, ga1 = d1 / h2 * _DEG, -d0 / h2 * _DEG
        r2h = rng * rng * hf
        ge0 = -d0 * dz / r2h * _DEG
        ge1 = -d1 * dz / r2h * _DEG
        ge2 = hf / (rng * rng) * _DEG
        for j in range(3):
            H[0, j] = (u0, u1, u2)[j]
            H[1, j] = ga0 * rot[0, j] + ga1 * rot[1, j]
            H[2, j] = ge0 * rot[0, j] + ge1 * rot[1, j] + ge2 * rot[2, j]
        H[3, 0] = (v0 - rr * u0) / rng
        H[3, 1] = (v1 - rr * u1) / rng
        H[3, 2] = (v2 - rr * u2) / rng
        H[3, 3], H[3, 4], H[3, 5] = u0, u1, u2
        # Over the state's first six components (H is zero past them).
        _hph_r(H, P[k], R[k], 4, 6, S)
        # The range-rate row's second order: the update's own terms (½tr(MP), ½tr(MPMP)).
        _, half_bias, half_extra = _rr_terms6(x[k], P[k], s, grad, M, MP)
        S[3, 3] += half_extra
        nu[0] = z[k, 0] - rng
        a = z[k, 1] - az
        nu[1] = 180.0 - (180.0 - a) % 360.0
        nu[2] = z[k, 2] - el
        nu[3] = z[k, 3] - (rr + half_bias)
        for i in range(4):
            for j in range(i):
                S[i, j] = S[j, i] = 0.5 * (S[i, j] + S[j, i])
        # Cholesky: d² = |L⁻¹ν|², ln|S| = 2 Σ ln L_ii.
        ok = True
        for j in range(4):
            acc = S[j, j]
            for t in range(j):
                acc -= L[j, t] * L[j, t]
            if not acc > 0.0:
                ok = False
                break
            L[j, j] = np.sqrt(acc)
            for i in range(j + 1, 4):
                acc = S[i, j]
                for t in range(j):
                    acc -= L[i, t] * L[j, t]
                L[i, j] = acc / L[j, j]
        if not ok:
            d2[k] = np.nan
            logdet[k] = np.nan
            continue
        tot = 0.0
        ld = 0.0
        for i in range(4):
            acc = nu[i]
            for t in range(i):
                acc -= L[i, t] * y[t]
            y[i] = acc / L[i, i]
            tot += y[i] * y[i]
            ld += np.log(L[i, i])
        d2[k] = tot
        logdet[k] = 2.0 * ld


def rr_gate_stats(
    x: NDArray[np.float64],
    P: NDArray[np.float64],
    z: NDArray[np.float64],
    R: NDArray[np.float64],
    radar_enu_m: NDArray[np.float64],
    radar_rot: NDArray[np.float64],
) -> tuple[NDArray, NDArray]:
    """d² (K,) and ln|S| (K,) of predicted CV states x (K, ≥6), P (K, ≥6, ≥6) against 4-D
    detections z = [range_m, az_deg, el_deg, range_rate_mps] with covariances R (K, 4, 4);
    NaN where S is not positive definite (the caller falls back to `filters`)."""
    k = len(x)
    d2 = np.empty(k)
    logdet = np.empty(k)
    _rr_gate_kernel(*(_c(a) for a in (x, P, z, R, radar_enu_m, radar_rot)), d2, logdet)
    return d2, logdet
