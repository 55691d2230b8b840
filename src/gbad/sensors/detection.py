"""Radar detection statistics: thresholds, Pd for Swerling 0–4 targets, and per-look draws.

The model is the classical one (Marcum; Swerling; Meyer & Mayer): complex baseband samples
with unit noise power per pulse, a square-law detector, and ``N`` pulses integrated
non-coherently per look. The integrated statistic is

    z = Σ_{i=1..N} |s_i + n_i|²,      n_i ~ CN(0, 1).

Noise only, ``z ~ Gamma(N, 1)``, so the threshold ``T`` solves ``Pfa = Q(N, T)`` (regularised
upper incomplete gamma). With signal, ``2z`` is non-central chi-square with ``2N`` degrees of
freedom and non-centrality ``2E``, where ``E = Σ|s_i|²`` is the look's signal energy over the
noise power per pulse (the integrated SNR). ``z`` depends on the signal only through ``E``,
which is what makes every Swerling case exact below.

Swerling cases (per-pulse mean SNR ``snr``; ``E = N·snr·y``):

====  ===========================  =====================
case  fluctuation                  total-energy factor y
====  ===========================  =====================
0     none (also called 5)         y = 1
1     Rayleigh, look to look       Gamma(1, 1)
2     Rayleigh, pulse to pulse     Gamma(N, 1/N)
3     chi-square 4 dof, look       Gamma(2, 1/2)
4     chi-square 4 dof, pulse      Gamma(2N, 1/(2N))
====  ===========================  =====================

Pd is computed exactly, not by quadrature over ``y``. A non-central chi-square is a Poisson
mixture of central ones: ``z ~ Gamma(N + K, 1)`` with ``K ~ Poisson(E)``. Mixing ``E`` over a
gamma law turns ``K`` into a negative binomial (shape ``k``, scale ``θ = N·snr/k``), and, with
``M ~ Poisson(T)``, ``z > T  ⟺  M < N + K``. Hence

    Pd = Pfa + Σ_{m ≥ N} Poisson(m; T) · P(K > m − N),

a sum of positive terms (no cancellation, accurate for Pd near Pfa and near 1), where
``P(K > j)`` is ``gammainc(j + 1, E)`` for Swerling 0 and ``betainc(j + 1, k, θ/(1 + θ))``
otherwise. Only ``m`` within ``10·√T + 30`` of ``T`` matter; the Poisson mass outside that
window is below 1e-20. Swerling 1 with one pulse reduces to ``Pd = Pfa^(1/(1 + snr))``.

All SNRs are linear power ratios (``_db`` variants take decibels). Everything broadcasts over
arrays, except ``swerling``, which is one case per call.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "FALSE_ALARM_SNR_FLOOR",
    "detection_threshold",
    "draw_false_alarm_snr",
    "draw_looks",
    "expected_false_alarms",
    "pd_from_snr",
    "pd_from_snr_db",
    "snr_per_pulse_required",
    "snr_per_pulse_required_db",
]

FloatArray = npt.NDArray[np.float64]

#: The smallest SNR-like value :func:`draw_false_alarm_snr` reports (linear, -30 dB), so that
#: a false alarm always has a finite dB value and a finite measurement-noise scale.
FALSE_ALARM_SNR_FLOOR: Final[float] = 1e-3

# Half-width of the Poisson(T) window, in the form a·√T + b; the tail outside is < 1e-20 by
# the Chernoff bound exp(-x²/(2(T + x/3))).
_WINDOW_SIGMAS: Final[float] = 10.0
_WINDOW_PAD: Final[float] = 30.0
# Bounds the (elements × window) work arrays to a few tens of MB.
_CHUNK_CELLS: Final[int] = 1 << 21
# Inversion search range and tolerance, in dB of per-pulse SNR.
_SNR_DB_LIMIT: Final[float] = 300.0
_SNR_DB_TOL: Final[float] = 1e-7
# numpy's Poisson sampler refuses very large means; far above any threshold, so a look with
# more energy than this is detected with certainty either way.
_POISSON_MEAN_CAP: Final[float] = 1e15


# --------------------------------------------------------------------------- validation


def _as_probability(name: str, value: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    bad = ~((arr > 0.0) & (arr < 1.0))
    if np.any(bad):
        raise ValueError(
            f"{name} must be a probability strictly between 0 and 1; "
            f"got {_first(arr, bad)}" + _count_note(bad)
        )
    return arr


def _as_n_pulses(value: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(value)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(
            f"n_pulses must be an integer >= 1 (pulses integrated per look); got {value!r}"
        )
    arr = arr.astype(np.float64)
    bad = ~((arr >= 1.0) & (arr == np.floor(arr)) & np.isfinite(arr))
    if np.any(bad):
        raise ValueError(
            "n_pulses must be an integer >= 1 (pulses integrated per look); "
            f"got {_first(arr, bad)}" + _count_note(bad)
        )
    return arr


def _as_swerling(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value <= 4:
        raise ValueError(
            "swerling must be one of the integers 0, 1, 2, 3, 4 "
            f"(0 = non-fluctuating); got {value!r}"
        )
    return int(value)


def _as_snr(name: str, value: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    bad = ~(arr >= 0.0)  # catches NaN too
    if np.any(bad):
        raise ValueError(
            f"{name} must be a linear power ratio >= 0 (use the _db variant for decibels); "
            f"got {_first(arr, bad)}" + _count_note(bad)
        )
    return arr


def _first(arr: FloatArray, bad: npt.NDArray[np.bool_]) -> str:
    return repr(float(arr[bad].ravel()[0]))


def _count_note(bad: npt.NDArray[np.bool_]) -> str:
    count = int(np.count_nonzero(bad))
    return f" (and {count - 1} more bad values)" if count > 1 else ""


def _fluctuation_shape(swerling: int, n_pulses: FloatArray) -> FloatArray | None:
    """Gamma shape k of the total-energy factor y (mean 1); None for no fluctuation."""
    if swerling == 0:
        return None
    if swerling == 1:
        return np.ones_like(n_pulses)
    if swerling == 2:
        return n_pulses.copy()
    if swerling == 3:
        return np.full_like(n_pulses, 2.0)
    return 2.0 * n_pulses


def _scalar_or_array(arr: FloatArray) -> FloatArray:
    return arr[()] if arr.ndim == 0 else arr


# --------------------------------------------------------------------------- thresholds


def detection_threshold(pfa: npt.ArrayLike, n_pulses: npt.ArrayLike = 1) -> FloatArray:
    """Threshold T on the integrated square-law statistic for a false-alarm probability.

    The statistic is normalised to unit noise power per pulse, so the noise-only statistic is
    Gamma(N, 1) and ``Q(N, T) = pfa``. For one pulse ``T = -ln(pfa)``.

    Args:
        pfa: false-alarm probability per cell and look, in (0, 1).
        n_pulses: pulses non-coherently integrated per look, integer >= 1.

    Returns:
        T, in units of the noise power per pulse, broadcast over the arguments.
    """
    pfa_arr = _as_probability("pfa", pfa)
    n_arr = _as_n_pulses(n_pulses)
    return _scalar_or_array(np.asarray(special.gammainccinv(n_arr, pfa_arr), dtype=np.float64))


def expected_false_alarms(pfa: npt.ArrayLike, n_cells: npt.ArrayLike) -> FloatArray:
    """Mean number of false alarms when ``n_cells`` independent cells are each tested once.

    Args:
        pfa: false-alarm probability per cell, in (0, 1).
        n_cells: number of cells tested (range × angle × Doppler bins in a look), >= 0.
    """
    pfa_arr = _as_probability("pfa", pfa)
    cells = np.asarray(n_cells, dtype=np.float64)
    bad = ~((cells >= 0.0) & np.isfinite(cells))
    if np.any(bad):
        raise ValueError(
            f"n_cells must be a finite count >= 0; got {_first(cells, bad)}" + _count_note(bad)
        )
    return _scalar_or_array(np.asarray(pfa_arr * cells, dtype=np.float64))


# --------------------------------------------------------------------------- Pd


def _pd_flat(
    snr: FloatArray, pfa: FloatArray, threshold: FloatArray, n: FloatArray, k: FloatArray | None
) -> FloatArray:
    """Exact Pd for 1-D arrays of equal length (see the module docstring for the series)."""
    half = _WINDOW_SIGMAS * np.sqrt(threshold) + _WINDOW_PAD
    m_lo = np.maximum(n, np.floor(threshold - half))
    m_hi = np.ceil(threshold + half)
    width = np.maximum(m_hi - m_lo + 1.0, 0.0)
    out = np.array(pfa, dtype=np.float64, copy=True)
    if out.size == 0 or not np.any(width > 0):
        return out
    n_terms = int(width.max())
    offsets = np.arange(n_terms, dtype=np.float64)
    rows = max(1, _CHUNK_CELLS // n_terms)
    with np.errstate(divide="ignore"):
        if k is None:
            mean_k = n * snr
        else:
            # x = θ/(1+θ) written so that θ = 0 and θ = inf both come out exact.
            x_nb = 1.0 / (1.0 + k / (n * snr))
    for start in range(0, out.size, rows):
        sl = slice(start, start + rows)
        m = m_lo[sl, None] + offsets
        valid = offsets < width[sl, None]
        t = threshold[sl, None]
        pois = np.exp(special.xlogy(m, t) - t - special.gammaln(m + 1.0))
        j1 = m - n[sl, None] + 1.0
        if k is None:
            tail = special.gammainc(j1, mean_k[sl, None])
        else:
            tail = special.betainc(j1, k[sl, None], x_nb[sl, None])
        out[sl] += np.sum(np.where(valid, pois * tail, 0.0), axis=1)
    # The window's Poisson mass falls short of 1 by rounding only; infinite SNR is certain.
    return np.where(np.isposinf(snr), 1.0, np.minimum(out, 1.0))


def pd_from_snr(
    snr_per_pulse: npt.ArrayLike,
    pfa: npt.ArrayLike,
    n_pulses: npt.ArrayLike = 1,
    swerling: int = 0,
) -> FloatArray:
    """Probability of detection in one look, exact, for a square-law detector.

    Args:
        snr_per_pulse: mean signal-to-noise ratio of one pulse, linear power ratio >= 0
            (``inf`` gives 1).
        pfa: false-alarm probability per cell and look, in (0, 1).
        n_pulses: pulses non-coherently integrated per look, integer >= 1.
        swerling: target fluctuation case 0–4 (0 = non-fluctuating; pass 0 for "Swerling 5").

    Returns:
        Pd in [pfa, 1], broadcast over ``snr_per_pulse``, ``pfa`` and ``n_pulses``.
    """
    snr_arr = _as_snr("snr_per_pulse", snr_per_pulse)
    pfa_arr = _as_probability("pfa", pfa)
    n_arr = _as_n_pulses(n_pulses)
    case = _as_swerling(swerling)
    snr_b, pfa_b, n_b = np.broadcast_arrays(snr_arr, pfa_arr, n_arr)
    shape = snr_b.shape
    snr_f, pfa_f, n_f = (np.ravel(a) for a in (snr_b, pfa_b, n_b))
    threshold = special.gammainccinv(n_f, pfa_f)
    pd = _pd_flat(snr_f, pfa_f, threshold, n_f, _fluctuation_shape(case, n_f))
    return _scalar_or_array(pd.reshape(shape))


def pd_from_snr_db(
    snr_per_pulse_db: npt.ArrayLike,
    pfa: npt.ArrayLike,
    n_pulses: npt.ArrayLike = 1,
    swerling: int = 0,
) -> FloatArray:
    """:func:`pd_from_snr` with the per-pulse SNR in dB (``-inf`` dB is no signal)."""
    snr_db = np.asarray(snr_per_pulse_db, dtype=np.float64)
    if np.any(np.isnan(snr_db)):
        raise ValueError("snr_per_pulse_db must be a number of decibels; got nan")
    return pd_from_snr(10.0 ** (snr_db / 10.0), pfa, n_pulses, swerling)


# --------------------------------------------------------------------------- inversion


def _log_neg_log(p: FloatArray) -> FloatArray:
    # log(-log Pd) is close to linear in dB of SNR (exactly so for Swerling 1, one pulse, at
    # high SNR), which makes the secant steps below nearly exact.
    p = np.clip(p, np.finfo(np.float64).tiny, np.nextafter(1.0, 0.0))
    return np.log(-np.log(p))


def snr_per_pulse_required(
    pd: npt.ArrayLike,
    pfa: npt.ArrayLike,
    n_pulses: npt.ArrayLike = 1,
    swerling: int = 0,
) -> FloatArray:
    """Per-pulse SNR (linear) at which :func:`pd_from_snr` equals ``pd``.

    The root is found element by element, vectorised, by the Illinois variant of regula falsi
    on ``log(-log Pd)`` against SNR in dB, inside a bracket that always holds the root; it
    stops when the bracket is narrower than 1e-7 dB.

    Args:
        pd: wanted probability of detection, in (0, 1) and above ``pfa``.
        pfa: false-alarm probability per cell and look, in (0, 1).
        n_pulses: pulses non-coherently integrated per look, integer >= 1.
        swerling: target fluctuation case 0–4.

    Returns:
        The mean per-pulse SNR, linear power ratio, broadcast over the arguments.
    """
    pd_arr = _as_probability("pd", pd)
    pfa_arr = _as_probability("pfa", pfa)
    n_arr = _as_n_pulses(n_pulses)
    case = _as_swerling(swerling)
    pd_b, pfa_b, n_b = np.broadcast_arrays(pd_arr, pfa_arr, n_arr)
    shape = pd_b.shape
    pd_f, pfa_f, n_f = (np.ravel(a).copy() for a in (pd_b, pfa_b, n_b))
    if np.any(pd_f <= pfa_f):
        i = int(np.argmax(pd_f <= pfa_f))
        raise ValueError(
            f"pd must exceed pfa (with no signal Pd equals Pfa); got pd={float(pd_f[i])!r} "
            f"with pfa={float(pfa_f[i])!r}"
        )
    threshold = special.gammainccinv(n_f, pfa_f)
    k_f = _fluctuation_shape(case, n_f)
    target = _log_neg_log(pd_f)

    def residual(snr_db: FloatArray, idx: npt.NDArray[np.intp]) -> FloatArray:
        # Positive below the root (Pd too small), negative above it.
        pd_now = _pd_flat(
            10.0 ** (snr_db / 10.0),
            pfa_f[idx],
            threshold[idx],
            n_f[idx],
            None if k_f is None else k_f[idx],
        )
        return _log_neg_log(pd_now) - target[idx]

    everything = np.arange(pd_f.size)
    lo = np.full(pd_f.size, -20.0)
    hi = np.full(pd_f.size, 40.0)
    f_lo = residual(lo, everything)
    f_hi = residual(hi, everything)
    # Widen the bracket where needed, in 40 dB steps, up to ±300 dB.
    while True:
        need_lo = (f_lo < 0.0) & (lo > -_SNR_DB_LIMIT)
        need_hi = (f_hi > 0.0) & (hi < _SNR_DB_LIMIT)
        if not (np.any(need_lo) or np.any(need_hi)):
            break
        for need, end, f_end, step in ((need_lo, lo, f_lo, -40.0), (need_hi, hi, f_hi, 40.0)):
            idx = np.flatnonzero(need)
            if idx.size:
                end[idx] += step
                f_end[idx] = residual(end[idx], idx)
    unbracketed = (f_lo < 0.0) | (f_hi > 0.0)
    if np.any(unbracketed):
        i = int(np.argmax(unbracketed))
        raise ValueError(
            f"pd={float(pd_f[i])!r} with pfa={float(pfa_f[i])!r}, n_pulses={n_f[i]:g}, "
            f"swerling={case} needs a per-pulse SNR outside ±{_SNR_DB_LIMIT:g} dB (pd too close to pfa or 1)"
        )

    # Illinois: a = the end kept, b = the latest iterate; the root stays between them.
    a, fa, b, fb = lo, f_lo, hi, f_hi
    active = np.flatnonzero((np.abs(b - a) > _SNR_DB_TOL) & (fa != 0.0) & (fb != 0.0))
    root = np.where(fa == 0.0, a, b)
    for _ in range(200):
        if active.size == 0:
            break
        aa, faa, bb, fbb = a[active], fa[active], b[active], fb[active]
        c = bb - fbb * (bb - aa) / (fbb - faa)
        # A secant step that lands on an end (round-off) falls back to bisection.
        outside = ~((c > np.minimum(aa, bb)) & (c < np.maximum(aa, bb)))
        c = np.where(outside, 0.5 * (aa + bb), c)
        fc = residual(c, active)
        flip = fc * fbb < 0.0
        a[active] = np.where(flip, bb, aa)
        fa[active] = np.where(flip, fbb, 0.5 * faa)
        b[active] = c
        fb[active] = fc
        root[active] = c
        still = (np.abs(c - a[active]) > _SNR_DB_TOL) & (fc != 0.0)
        active = active[still]
    return _scalar_or_array((10.0 ** (root / 10.0)).reshape(shape))


def snr_per_pulse_required_db(
    pd: npt.ArrayLike,
    pfa: npt.ArrayLike,
    n_pulses: npt.ArrayLike = 1,
    swerling: int = 0,
) -> FloatArray:
    """:func:`snr_per_pulse_required` in dB."""
    return _scalar_or_array(
        np.asarray(10.0 * np.log10(snr_per_pulse_required(pd, pfa, n_pulses, swerling)))
    )


# --------------------------------------------------------------------------- Monte Carlo


def draw_looks(
    snr_mean_per_pulse: npt.ArrayLike,
    pfa: npt.ArrayLike,
    n_pulses: npt.ArrayLike,
    swerling: int,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Simulate looks at targets: the target's fluctuation, the noise, and the threshold test.

    Each look draws its total-energy factor ``y`` for the Swerling case (one draw covers the
    whole look, which is exact also for the pulse-to-pulse cases because the square-law
    statistic depends on the pulses only through their summed energy), then draws the
    integrated statistic exactly, as ``Gamma(N + K, 1)`` with ``K ~ Poisson(N·snr·y)``, and
    compares it with :func:`detection_threshold`. The fraction detected therefore converges
    to :func:`pd_from_snr`.

    Args:
        snr_mean_per_pulse: mean per-pulse SNR of each look, linear, shape (M,) (any shape
            works; ``pfa`` and ``n_pulses`` broadcast against it).
        pfa: false-alarm probability per cell and look, in (0, 1).
        n_pulses: pulses non-coherently integrated per look, integer >= 1.
        swerling: target fluctuation case 0–4.
        rng: the random generator to draw from.

    Returns:
        ``(detected, snr_integrated)``: whether each look crossed the threshold, and the
        look's actual integrated SNR ``N·snr·y`` (signal energy over noise power per pulse,
        linear), for scaling measurement noise. Both have the broadcast shape.
    """
    snr_arr = _as_snr("snr_mean_per_pulse", snr_mean_per_pulse)
    if np.any(np.isinf(snr_arr)):
        raise ValueError("snr_mean_per_pulse must be finite to draw looks; got inf")
    pfa_arr = _as_probability("pfa", pfa)
    n_arr = _as_n_pulses(n_pulses)
    case = _as_swerling(swerling)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    snr_b, pfa_b, n_b = np.broadcast_arrays(snr_arr, pfa_arr, n_arr)
    k = _fluctuation_shape(case, n_b)
    detected, energy = _draw(snr_b, n_b, k, special.gammainccinv(n_b, pfa_b), rng)
    return np.asarray(detected, dtype=np.bool_), np.asarray(energy, dtype=np.float64)


def _draw(
    snr: FloatArray,
    n_pulses: FloatArray | float,
    shape_k: FloatArray | float | None,
    threshold: FloatArray | float,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """The draws of `draw_looks` on checked arrays of one shape: the energy factor, the
    Poisson count and the Gamma statistic, in that order, against the threshold.
    ``n_pulses`` and ``shape_k`` may be scalars: the same draws and arithmetic."""
    y = np.ones(snr.shape) if shape_k is None else rng.gamma(shape_k, 1.0 / shape_k, snr.shape)
    energy = n_pulses * snr * y
    hits = rng.poisson(np.minimum(energy, _POISSON_MEAN_CAP))
    statistic = rng.gamma(n_pulses + hits)
    return statistic > threshold, energy


class LookDraw:
    """`draw_looks` for one radar's fixed ``pfa``, pulses and Swerling case, checked and
    its threshold found once: for a loop that draws a few looks at a time (a
    weapon-locating radar's frames). The same draws from ``rng``, in the same order and
    with the same arithmetic, as `draw_looks`."""

    def __init__(self, pfa: float, n_pulses: int, swerling: int) -> None:
        self.pfa = float(_as_probability("pfa", pfa))
        n = _as_n_pulses(n_pulses)
        if n.ndim:
            raise ValueError(f"n_pulses must be one integer here; got {n_pulses!r}")
        self.n_pulses = float(n)
        k = _fluctuation_shape(_as_swerling(swerling), n)
        self.shape_k = None if k is None else float(k)
        self.threshold = float(special.gammainccinv(self.n_pulses, self.pfa))

    def __call__(
        self, snr_mean_per_pulse: FloatArray, rng: np.random.Generator
    ) -> tuple[npt.NDArray[np.bool_], FloatArray]:
        """``(detected, snr_integrated)`` of looks at these mean per-pulse SNRs (M,)."""
        snr = np.asarray(snr_mean_per_pulse, dtype=np.float64)
        if not np.all((snr >= 0.0) & (snr < np.inf)):
            _as_snr("snr_mean_per_pulse", snr)
            raise ValueError("snr_mean_per_pulse must be finite to draw looks; got inf")
        return _draw(snr, self.n_pulses, self.shape_k, self.threshold, rng)


def draw_false_alarm_snr(
    count: int,
    pfa: npt.ArrayLike,
    n_pulses: npt.ArrayLike,
    rng: np.random.Generator,
) -> FloatArray:
    """SNR-like values of ``count`` false alarms, for their ``snr_db`` and measurement noise.

    Definition: the integrated square-law statistic ``z`` of a noise-only cell, drawn
    exactly from Gamma(N, 1) conditioned on ``z > T`` (by inverting ``Q(N, z) = pfa·u``,
    ``u`` uniform on (0, 1]), minus its noise mean ``N``, floored at
    :data:`FALSE_ALARM_SNR_FLOOR`. Since a target's statistic has mean ``N + E``, ``z − N``
    is the integrated SNR a radar would estimate for the cell, on the same scale as the
    ``snr_integrated`` of :func:`draw_looks`. The floor matters only at large ``pfa``, where
    ``T`` can fall below ``N``.

    Args:
        count: number of false alarms, integer >= 0.
        pfa: false-alarm probability per cell and look, in (0, 1); scalar or shape (count,).
        n_pulses: pulses non-coherently integrated per look, integer >= 1; scalar or (count,).
        rng: the random generator to draw from.

    Returns:
        Integrated SNR-like values, linear, shape (count,).
    """
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
        raise ValueError(f"count must be an integer >= 0; got {count!r}")
    pfa_arr = _as_probability("pfa", pfa)
    n_arr = _as_n_pulses(n_pulses)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    u = 1.0 - rng.random(int(count))
    statistic = special.gammainccinv(n_arr, pfa_arr * u)
    return np.asarray(np.maximum(statistic - n_arr, FALSE_ALARM_SNR_FLOOR), dtype=np.float64)
