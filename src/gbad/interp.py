"""Monotone piecewise-cubic (PCHIP) interpolation: the C_D(M) tables' curve.

SciPy's ``PchipInterpolator`` (Fritsch & Butland's weighted harmonic mean of the
neighbouring slopes inside, Moler's one-sided three-point estimate at the ends) and
its piecewise polynomial evaluation, operation for operation, so the tables are the
same to the bit (`tests/test_interp.py` holds them to SciPy's): a run then needs
neither ``scipy.interpolate`` nor the ``scipy.optimize`` it imports (0.15 s a process).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def _edge(h0: float, h1: float, m0: float, m1: float) -> float:
    # One-sided three-point estimate of the end's derivative, kept shape-preserving.
    d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > 3.0 * abs(m0):
        return 3.0 * m0
    return d


def _derivatives(x: Array, y: Array) -> Array:
    hk = x[1:] - x[:-1]
    mk = (y[1:] - y[:-1]) / hk
    if len(y) == 2:
        return np.array([mk[0], mk[0]])
    smk = np.sign(mk)
    flat = (smk[1:] != smk[:-1]) | (mk[1:] == 0) | (mk[:-1] == 0)
    w1 = 2 * hk[1:] + hk[:-1]
    w2 = hk[1:] + 2 * hk[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        whmean = (w1 / mk[:-1] + w2 / mk[1:]) / (w1 + w2)
    dk = np.zeros_like(y)
    dk[1:-1][~flat] = 1.0 / whmean[~flat]
    dk[0] = _edge(hk[0], hk[1], mk[0], mk[1])
    dk[-1] = _edge(hk[-1], hk[-2], mk[-1], mk[-2])
    return dk


def pchip(x: ArrayLike, y: ArrayLike, at: ArrayLike) -> Array:
    """PCHIP through the points (x ascending, y) at ``at``; NaN outside [x[0], x[-1]]."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    at = np.asarray(at, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2 or not np.all(np.diff(x) > 0):
        raise ValueError("pchip: x must be 1-D and strictly ascending, y the same length, ≥ 2")
    dydx = _derivatives(x, y)
    dx = np.diff(x)
    slope = np.diff(y) / dx
    t = (dydx[:-1] + dydx[1:] - 2 * slope) / dx
    c0, c1, c2, c3 = t / dx, (slope - dydx[:-1]) / dx - t, dydx[:-1], y[:-1]
    flat = at.ravel()
    i = np.clip(np.searchsorted(x, flat, side="right") - 1, 0, len(x) - 2)
    s = flat - x[i]
    # As SciPy's evaluation sums it: c3·1 + c2·s + c1·s² + c0·s³, powers by products.
    s2 = s * s
    out = c3[i] * 1.0
    out = out + c2[i] * s
    out = out + c1[i] * s2
    out = out + c0[i] * (s2 * s)
    out = np.where((flat >= x[0]) & (flat <= x[-1]), out, np.nan)
    return out.reshape(at.shape)
