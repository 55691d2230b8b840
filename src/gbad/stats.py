"""Quantiles of the χ² distribution and Student-t intervals of a mean, without the import
of `scipy.stats` (about a second).

The same function as ``scipy.stats.chi2.ppf`` (its ``_ppf`` is ``2·gammaincinv(df/2, p)``),
so gates, ellipses and bands are the same to the bit.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special


def chi2_ppf(p: ArrayLike, dof: ArrayLike) -> NDArray[np.float64]:
    """The χ² quantile of probability ``p`` (0 ≤ p ≤ 1: 0 and ∞ at the ends) with ``dof``
    degrees of freedom."""
    p = np.asarray(p, dtype=float)
    if np.any(~((p >= 0.0) & (p <= 1.0))):
        raise ValueError(f"a χ² quantile needs 0 <= p <= 1, got {p!r}")
    return 2 * special.gammaincinv(np.asarray(dof) / 2, p)


def mean_interval(x: ArrayLike, confidence: float = 0.95) -> tuple[int, float, float, float]:
    """(n, mean, sample standard deviation, half-width of the two-sided Student-t interval
    of the mean at ``confidence``) of the finite values of ``x``; NaN where too few."""
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    mean = float(np.mean(v)) if n else math.nan
    std = float(np.std(v, ddof=1)) if n > 1 else math.nan
    half = (
        float(special.stdtrit(n - 1, 0.5 + confidence / 2) * std / math.sqrt(n))
        if n > 1
        else math.nan
    )
    return n, mean, std, half
