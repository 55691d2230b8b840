"""Circular error probable of a horizontal Gaussian: the radius about its mean that holds half.

P(|x| < r) = 1/(2π)·∫ (1 − exp(−r²q(φ)/2)) / (σ1σ2·q(φ)) dφ with
q = cos²φ/σ1² + sin²φ/σ2² over the principal axes, by the midpoint rule on
`CEP_ANGLES` angles, solved for 0.5 (safeguarded Newton): exact to the quadrature (the
integrand is smooth and periodic, so the midpoint rule converges geometrically).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: Quadrature points (angles on the ellipse) of the CEP integral.
CEP_ANGLES = 64
_PHI = (np.arange(CEP_ANGLES) + 0.5) * (2 * np.pi / CEP_ANGLES)
_COS2 = np.cos(_PHI) ** 2
_SIN2 = np.sin(_PHI) ** 2
#: The kernel's Newton steps at most (it needs about five).
_MAX_ITER = 100


@njit(cache=True)
def _cep_kernel(s1, s2, cos2, sin2, out):
    # One ellipse at a time, by safeguarded Newton on P(r) − ½ (P' = mean of r·e^(−r²q/2)
    # over σ1σ2): a handful of quadratures where bisection needs sixty. The bracket
    # [0, 3σ1] holds the root (P(3σ1) ≥ P of the 3σ circle of the wider axis alone).
    n_ang = cos2.shape[0]
    q = np.empty(n_ang)
    for m in range(s1.shape[0]):
        a, b = s1[m], s2[m]
        for k in range(n_ang):
            q[k] = cos2[k] / (a * a) + sin2[k] / (b * b)
        ab = a * b
        lo = 0.0
        hi = 3.0 * a
        # A start near the answer: the circular CEP of the axes' mean, inside the bracket.
        r = min(max(0.5887 * (a + b), 0.5 * a), hi)
        for _ in range(_MAX_ITER):
            c = -0.5 * r * r
            total = 0.0
            slope = 0.0
            for k in range(n_ang):
                e = math.expm1(c * q[k])
                total += -e / q[k]
                slope += e + 1.0
            f = total / (ab * n_ang) - 0.5
            if f < 0.0:
                lo = r
            else:
                hi = r
            d = slope * r / (ab * n_ang)
            r_new = r - f / d if d > 0.0 else 0.5 * (lo + hi)
            if not lo < r_new < hi:
                r_new = 0.5 * (lo + hi)
            if abs(r_new - r) <= 4e-16 * r or hi - lo <= 4e-16 * hi:
                r = r_new
                break
            r = r_new
        out[m] = r


def _axes(cov2: Array) -> tuple[tuple[int, ...], NDArray[np.bool_], Array, Array]:
    """The leading shape of covariances (..., 2, 2), which are not finite, and the σ of
    their major and minor axes (floored above zero)."""
    cov2 = np.asarray(cov2, dtype=float)
    ev = np.linalg.eigvalsh(np.nan_to_num(cov2.reshape(-1, 2, 2), nan=0.0))
    bad = ~np.all(np.isfinite(cov2.reshape(-1, 4)), axis=1)
    s1 = np.sqrt(np.maximum(ev[:, 1], 1e-30))
    s2 = np.sqrt(np.maximum(ev[:, 0], 1e-30 * ev[:, 1] + 1e-30))
    return cov2.shape[:-2], bad, s1, s2


def cep_m(cov2: Array) -> Array:
    """Radius (m) of the circle about the mean holding half of N(0, cov2), cov2 (..., 2, 2);
    NaN where the covariance is not finite."""
    shape, bad, s1, s2 = _axes(cov2)
    out = np.empty(len(s1))
    _cep_kernel(np.ascontiguousarray(s1), np.ascontiguousarray(s2), _COS2, _SIN2, out)
    out[bad] = np.nan
    return out.reshape(shape)
