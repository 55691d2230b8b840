"""Motion models for the batched Kalman filters, and the IMM over a common state.

Arrays first: a model predicts N tracks at once, states ``x`` (N, n) and
covariances ``P`` (N, n, n), each row over its own interval ``dt_s`` (a
scalar or (N,), seconds, ≥ 0). Inputs are never modified.

State layouts (tracking frame: x east, y north, z up, metres), position first:

=================================  ===  ==========================================
model                               n   state
=================================  ===  ==========================================
:class:`ConstantVelocity`            6   [p(3), v(3)]
:class:`ConstantAcceleration`        9   [p(3), v(3), a(3)]
:class:`Singer`                      9   [p(3), v(3), a(3)]
:class:`CoordinatedTurn`             7   [p(3), v(3), ω]
:class:`ImmConstantVelocity` etc.   10   [p(3), v(3), a(3), ω]  (the IMM's common state)
=================================  ===  ==========================================

Process noise is *continuous* white noise, integrated exactly over the
interval (Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to
Tracking and Navigation*, 2001, ch. 6), which is also what Stone
Soup's ``ConstantVelocity``/``ConstantAcceleration`` do, so the two can be
compared to rounding:

- CV: white acceleration of power spectral density ``q_m2ps3`` (m²/s³) per axis,
  Q = q·[[T³/3, T²/2], [T²/2, T]];
- CA: white jerk of density ``q_m2ps5`` (m²/s⁵), Q = q·[[T⁵/20, T⁴/8, T³/6], …];
- Singer: acceleration a first-order Gauss–Markov process, time constant
  ``tau_s`` and standard deviation ``sigma_a_mps2`` (Singer, IEEE TAES 6(4), 1970);
  driving density q = 2σ²/τ (Stone Soup's ``Singer(noise_diff_coeff=q,
  damping_coeff=1/τ)``);
- CT: horizontal coordinated turn at rate ω (rad/s, positive counter-clockwise
  seen from above, i.e. a left turn, as in Stone Soup's ``ConstantTurn``), constant
  vertical velocity; white acceleration ``q_m2ps3`` on all three axes as for CV
  and a random-walk turn rate of density ``q_turn_rad2ps3``.

``q_m2ps3`` and ``q_m2ps5`` may be a float (the same on every axis) or three
values (east, north, up), e.g. to let a target manoeuvre harder horizontally.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial
from typing import NamedTuple, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

#: Indices in the IMM's common state.
IMM_N = 10
_P, _V, _A, _W = slice(0, 3), slice(3, 6), slice(6, 9), 9


class MotionModel(Protocol):
    """What a filter asks of a motion model."""

    n: int

    def f(self, x: Array, dt_s: ArrayLike) -> Array: ...

    def jacobian(self, x: Array, dt_s: ArrayLike) -> Array: ...

    def Q(self, x: Array, dt_s: ArrayLike) -> Array: ...

    def predict(self, x: Array, P: Array, dt_s: ArrayLike) -> tuple[Array, Array]: ...


# -- argument checks -----------------------------------------------------------------------


def _check_xP(x: ArrayLike, P: ArrayLike | None, n: int, who: str) -> tuple[Array, Array | None]:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != n:
        raise ValueError(
            f"{who}: x must have shape (N, {n}) (one state row per track); got {x.shape}"
        )
    if P is None:
        return x, None
    P = np.asarray(P, dtype=float)
    if P.shape != (x.shape[0], n, n):
        raise ValueError(
            f"{who}: P must have shape (N, {n}, {n}) = {(x.shape[0], n, n)} to match x; got {P.shape}"
        )
    return x, P


def _check_dt(dt_s: ArrayLike, n_rows: int, who: str) -> Array:
    dt = np.asarray(dt_s, dtype=float)
    if dt.ndim == 0:
        dt = np.full(n_rows, float(dt))
    elif dt.shape != (n_rows,):
        raise ValueError(
            f"{who}: dt_s must be a scalar or have shape (N,) = ({n_rows},); got {dt.shape}"
        )
    if not np.all(np.isfinite(dt)) or np.any(dt < 0):
        bad = dt[~(np.isfinite(dt) & (dt >= 0))][0]
        raise ValueError(
            f"{who}: dt_s must be finite and ≥ 0 s (prediction runs forward); got {bad}"
        )
    return dt


def _axis_q(q: ArrayLike, name: str, who: str) -> Array:
    """A noise density as three per-axis values (east, north, up)."""
    arr = np.asarray(q, dtype=float)
    if arr.ndim == 0:
        arr = np.full(3, float(arr))
    if arr.shape != (3,) or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(
            f"{who}: {name} must be a finite value ≥ 0 or three of them (east, north, up); got {q!r}"
        )
    return arr


def _positive(value: float, name: str, who: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{who}: {name} must be finite and > 0; got {value}")
    return value


def _nonneg(value: float, name: str, who: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{who}: {name} must be finite and ≥ 0; got {value}")
    return value


def _sym(P: Array) -> Array:
    return 0.5 * (P + np.swapaxes(P, -1, -2))


def _propagate(J: Array, P: Array, Q: Array) -> Array:
    return _sym(J @ P @ np.swapaxes(J, -1, -2) + Q)


# -- nearly-constant-derivative blocks ----------------------------------------------------


def _poly_F(dt: Array, order: int) -> Array:
    """Transition of [p, v, …, p^(order)] per axis: F_ij = T^(j-i)/(j-i)!, (N, 3k, 3k)."""
    k = order + 1
    F = np.zeros((dt.size, 3 * k, 3 * k))
    eye = np.eye(3)
    for i in range(k):
        for j in range(i, k):
            F[:, 3 * i : 3 * i + 3, 3 * j : 3 * j + 3] = (dt ** (j - i) / factorial(j - i))[
                :, None, None
            ] * eye
    return F


def _poly_Q(dt: Array, order: int, q_axis: Array) -> Array:
    """Exact discretisation of white noise on the order-th derivative (Bar-Shalom et al. ch. 6)."""
    k = order + 1
    Q = np.zeros((dt.size, 3 * k, 3 * k))
    diag_q = np.diag(q_axis)
    for i in range(k):
        for j in range(k):
            p = 2 * order + 1 - i - j
            c = dt**p / (p * factorial(order - i) * factorial(order - j))
            Q[:, 3 * i : 3 * i + 3, 3 * j : 3 * j + 3] = c[:, None, None] * diag_q
    return Q


class _Linear:
    """x' = F(T) x, P' = F P Fᵀ + Q(T); subclasses give F and Q."""

    n: int

    def F(self, dt_s: ArrayLike) -> Array:
        raise NotImplementedError

    def _Q(self, dt: Array) -> Array:
        raise NotImplementedError

    def f(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, self.n, type(self).__name__)
        F = self.F(_check_dt(dt_s, x.shape[0], type(self).__name__))
        return np.einsum("nij,nj->ni", F, x)

    def jacobian(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, self.n, type(self).__name__)
        return self.F(_check_dt(dt_s, x.shape[0], type(self).__name__))

    def Q(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, self.n, type(self).__name__)
        return self._Q(_check_dt(dt_s, x.shape[0], type(self).__name__))

    def predict(self, x: Array, P: Array, dt_s: ArrayLike) -> tuple[Array, Array]:
        who = type(self).__name__
        x, P = _check_xP(x, P, self.n, who)
        dt = _check_dt(dt_s, x.shape[0], who)
        F = self.F(dt)
        return np.einsum("nij,nj->ni", F, x), _propagate(F, P, self._Q(dt))


class ConstantVelocity(_Linear):
    """Nearly constant velocity, n = 6: [p, v], continuous white acceleration ``q_m2ps3``."""

    n = 6

    def __init__(self, q_m2ps3: ArrayLike) -> None:
        self.q_m2ps3 = _axis_q(q_m2ps3, "q_m2ps3", "ConstantVelocity")
        self._q_diag9 = np.diag(self.q_m2ps3).ravel()

    def F(self, dt_s: ArrayLike) -> Array:
        return _poly_F(np.atleast_1d(np.asarray(dt_s, dtype=float)), 1)

    def _Q(self, dt: Array) -> Array:
        return _poly_Q(dt, 1, self.q_m2ps3)

    def predict(self, x: Array, P: Array, dt_s: ArrayLike) -> tuple[Array, Array]:
        # F P Fᵀ in 3×3 blocks on the flattened covariance: the hot path of every
        # CV tracker. Gathers of whole blocks are ~10× cheaper than (N, 6, 6)
        # matmuls or strided block views, whose 3-long inner loops dominate.
        x, P = _check_xP(x, P, 6, "ConstantVelocity")
        dt = _check_dt(dt_s, x.shape[0], "ConstantVelocity")
        N = x.shape[0]
        t = dt[:, None]
        xo = np.empty_like(x)
        xo[:, :3] = x[:, :3] + t * x[:, 3:]
        xo[:, 3:] = x[:, 3:]
        Pf = P.reshape(N, 36)
        b00, b01, b10, b11 = _CV_BLOCKS
        p01, p10, p11 = Pf[:, b01], Pf[:, b10], Pf[:, b11]
        qd = self._q_diag9
        t11 = t * p11
        out = np.empty((N, 36))
        out[:, b11] = p11 + t * qd
        out[:, b01] = p01 + t11 + (0.5 * t * t) * qd
        out[:, b10] = p10 + t11 + (0.5 * t * t) * qd
        out[:, b00] = Pf[:, b00] + t * (p01 + p10 + t11) + (t**3 / 3.0) * qd
        out = 0.5 * (out + out[:, _CV_TRANSPOSE])
        return xo, out.reshape(N, 6, 6)


_CV_INDEX = np.arange(36).reshape(6, 6)
_CV_BLOCKS = tuple(
    _CV_INDEX[r : r + 3, c : c + 3].ravel() for r, c in ((0, 0), (0, 3), (3, 0), (3, 3))
)
_CV_TRANSPOSE = _CV_INDEX.T.ravel()


class ConstantAcceleration(_Linear):
    """Nearly constant acceleration, n = 9: [p, v, a], continuous white jerk ``q_m2ps5``.

    This is the continuous (white-jerk) form, not the discrete Wiener-sequence
    one, and matches Stone Soup's ``ConstantAcceleration(noise_diff_coeff=q)``.
    """

    n = 9

    def __init__(self, q_m2ps5: ArrayLike) -> None:
        self.q_m2ps5 = _axis_q(q_m2ps5, "q_m2ps5", "ConstantAcceleration")

    def F(self, dt_s: ArrayLike) -> Array:
        return _poly_F(np.atleast_1d(np.asarray(dt_s, dtype=float)), 2)

    def _Q(self, dt: Array) -> Array:
        return _poly_Q(dt, 2, self.q_m2ps5)


# -- Singer ---------------------------------------------------------------------------------

#: Below this α·T the closed-form Singer Q loses digits to cancellation (Q11 ∝ (αT)⁵
#: from O(1) terms); the power series is used there instead.
_SINGER_SERIES_BELOW = 1.0
_SINGER_TERMS = 28


def _singer_F_terms(dt: Array, alpha: float) -> tuple[Array, Array, Array]:
    """(αT − 1 + e^{−αT})/α², (1 − e^{−αT})/α, e^{−αT} without cancellation for small αT."""
    x = alpha * dt
    em1 = -np.expm1(-x)  # 1 − e^{−x}, accurate for small x
    small = x < 1e-2
    xs = np.where(small, 1.0, x)  # keeps the unused branch finite at x = 0
    # (x − (1 − e^{−x}))/x² = 1/2 − x/6 + x²/24 − x³/120 + …
    series = 0.5 - x / 6 + x**2 / 24 - x**3 / 120 + x**4 / 720 - x**5 / 5040
    f13 = np.where(small, series, (xs - em1) / xs**2) * dt**2
    return f13, em1 / alpha, np.exp(-x)


class Singer(_Linear):
    """Singer manoeuvre model, n = 9: [p, v, a], a ~ Gauss–Markov(τ, σ) per axis.

    ȧ = −a/τ + w, w white with density 2σ²/τ, so a has stationary standard
    deviation ``sigma_a_mps2`` (Singer, IEEE TAES 6(4), 1970). Q is the
    exact integral; for small T/τ a power series replaces the closed form,
    which there cancels catastrophically.
    """

    n = 9

    def __init__(self, tau_s: float, sigma_a_mps2: ArrayLike) -> None:
        self.tau_s = _positive(tau_s, "tau_s", "Singer")
        self.sigma_a_mps2 = _axis_q(sigma_a_mps2, "sigma_a_mps2", "Singer")
        self.alpha = 1.0 / self.tau_s
        #: driving white-noise density per axis (m²/s⁵)
        self.q_m2ps5 = 2.0 * self.sigma_a_mps2**2 * self.alpha
        self._series = self._series_coefficients(self.alpha)

    @staticmethod
    def _series_coefficients(alpha: float) -> Array:
        """Coefficients c[i, j, k] with ∫₀ᵀ g_i g_j ds = Σ_k c[i, j, k] T^(k+1).

        g(s) = Φ(s)·e₃ = [(αs − 1 + e^{−αs})/α², (1 − e^{−αs})/α, e^{−αs}],
        each a power series in s with coefficients in α.
        """
        K = _SINGER_TERMS
        k = np.arange(K)
        fact = np.array([float(factorial(int(i))) for i in k])
        g = np.zeros((3, K))
        g[2] = (-alpha) ** k / fact
        g[1, 1:] = -((-alpha) ** k[1:]) / fact[1:] / alpha
        g[0, 2:] = (-alpha) ** k[2:] / fact[2:] / alpha**2
        c = np.zeros((3, 3, K))
        for i in range(3):
            for j in range(3):
                prod = np.convolve(g[i], g[j])[:K]
                c[i, j] = prod / (k + 1)
        return c

    def F(self, dt_s: ArrayLike) -> Array:
        dt = np.atleast_1d(np.asarray(dt_s, dtype=float))
        f13, f23, f33 = _singer_F_terms(dt, self.alpha)
        F = _poly_F(dt, 1)
        out = np.zeros((dt.size, 9, 9))
        out[:, :6, :6] = F
        eye = np.eye(3)
        out[:, 0:3, 6:9] = f13[:, None, None] * eye
        out[:, 3:6, 6:9] = f23[:, None, None] * eye
        out[:, 6:9, 6:9] = f33[:, None, None] * eye
        return out

    def _unit_Q(self, dt: Array) -> Array:
        """∫₀ᵀ g gᵀ ds, (N, 3, 3), for unit driving density."""
        a = self.alpha
        x = a * dt
        e1 = np.exp(-x)
        m1, m2 = -np.expm1(-x), -np.expm1(-2 * x)
        q = np.empty((dt.size, 3, 3))
        q[:, 0, 0] = (m2 + 2 * x + 2 * x**3 / 3 - 2 * x**2 - 4 * x * e1) / (2 * a**5)
        q[:, 0, 1] = (x - m1) ** 2 / (2 * a**4)
        q[:, 0, 2] = (m2 - 2 * x * e1) / (2 * a**3)
        q[:, 1, 1] = (2 * x - 4 * m1 + m2) / (2 * a**3)
        q[:, 1, 2] = m1**2 / (2 * a**2)
        q[:, 2, 2] = m2 / (2 * a)
        small = x < _SINGER_SERIES_BELOW
        if np.any(small):
            ts = dt[small]
            c = self._series
            powers = ts[:, None] ** (np.arange(_SINGER_TERMS) + 1)  # T^(k+1)
            for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)):
                q[small, i, j] = powers @ c[i, j]
        q[:, 1, 0], q[:, 2, 0], q[:, 2, 1] = q[:, 0, 1], q[:, 0, 2], q[:, 1, 2]
        return q

    def _Q(self, dt: Array) -> Array:
        u = self._unit_Q(dt)
        Q = np.zeros((dt.size, 9, 9))
        for i in range(3):
            for j in range(3):
                Q[:, 3 * i : 3 * i + 3, 3 * j : 3 * j + 3] = u[:, i, j, None, None] * np.diag(
                    self.q_m2ps5
                )
        return Q


# -- coordinated turn -----------------------------------------------------------------------

#: Below this |ωT| (rad) the turn terms use their Taylor series: the closed forms
#: divide by ω (and ω²) and lose digits to cancellation as ω → 0.
_TURN_SERIES_BELOW = 0.1


class TurnTerms(NamedTuple):
    """sin(ωT)/ω, (1 − cos ωT)/ω, their ω-derivatives, cos ωT and sin ωT; each (N,)."""

    s: Array
    c: Array
    ds: Array
    dc: Array
    cos: Array
    sin: Array


def turn_terms(omega_radps: Array, dt_s: Array) -> TurnTerms:
    """The coordinated-turn coefficients, finite and smooth through ω = 0."""
    w = np.asarray(omega_radps, dtype=float)
    T = np.asarray(dt_s, dtype=float)
    th = w * T
    cos, sin = np.cos(th), np.sin(th)
    small = np.abs(th) < _TURN_SERIES_BELOW
    ws = np.where(small, 1.0, w)
    th2 = th * th
    s_ser = T * (1 - th2 / 6 * (1 - th2 / 20 * (1 - th2 / 42)))
    c_ser = T * th * (0.5 - th2 / 24 * (1 - th2 / 30 * (1 - th2 / 56)))
    ds_ser = T * T * th * (-1 / 3 + th2 / 30 - th2 * th2 / 840 + th2**3 / 45360)
    dc_ser = T * T * (0.5 - th2 / 8 + th2 * th2 / 144 - th2**3 / 5760)
    s = np.where(small, s_ser, sin / ws)
    c = np.where(small, c_ser, 2 * np.sin(th / 2) ** 2 / ws)
    ds = np.where(small, ds_ser, (th * cos - sin) / ws**2)
    dc = np.where(small, dc_ser, (th * sin - 2 * np.sin(th / 2) ** 2) / ws**2)
    return TurnTerms(s, c, ds, dc, cos, sin)


def _turn_motion(p: Array, v: Array, w: Array, dt: Array) -> tuple[Array, Array, TurnTerms]:
    """Position and velocity after a horizontal turn at ω with constant climb rate."""
    tt = turn_terms(w, dt)
    vx, vy, vz = v[:, 0], v[:, 1], v[:, 2]
    po = np.empty_like(p)
    vo = np.empty_like(v)
    po[:, 0] = p[:, 0] + tt.s * vx - tt.c * vy
    po[:, 1] = p[:, 1] + tt.c * vx + tt.s * vy
    po[:, 2] = p[:, 2] + dt * vz
    vo[:, 0] = tt.cos * vx - tt.sin * vy
    vo[:, 1] = tt.sin * vx + tt.cos * vy
    vo[:, 2] = vz
    return po, vo, tt


def _turn_jacobian_pv(v: Array, dt: Array, tt: TurnTerms) -> tuple[Array, Array]:
    """∂(p', v')/∂(p, v) (N, 6, 6) and ∂(p', v')/∂ω (N, 6)."""
    N = v.shape[0]
    J = np.zeros((N, 6, 6))
    J[:, 0, 0] = J[:, 1, 1] = J[:, 2, 2] = 1.0
    J[:, 0, 3], J[:, 0, 4] = tt.s, -tt.c
    J[:, 1, 3], J[:, 1, 4] = tt.c, tt.s
    J[:, 2, 5] = dt
    J[:, 3, 3], J[:, 3, 4] = tt.cos, -tt.sin
    J[:, 4, 3], J[:, 4, 4] = tt.sin, tt.cos
    J[:, 5, 5] = 1.0
    vx, vy = v[:, 0], v[:, 1]
    dw = np.zeros((N, 6))
    dw[:, 0] = tt.ds * vx - tt.dc * vy
    dw[:, 1] = tt.dc * vx + tt.ds * vy
    dw[:, 3] = -dt * (tt.sin * vx + tt.cos * vy)
    dw[:, 4] = dt * (tt.cos * vx - tt.sin * vy)
    return J, dw


class CoordinatedTurn:
    """Horizontal coordinated turn with constant climb rate, n = 7: [p, v, ω].

    ω (rad/s) > 0 turns counter-clockwise seen from above (a left turn). The
    EKF predict linearises about the state (Bar-Shalom et al. ch. 11); the
    turn terms switch to their Taylor series for |ωT| < 0.1 so nothing
    divides by ω → 0. Process noise: CV's white acceleration on each axis
    (exact for ω = 0, the usual approximation otherwise) plus a random-walk
    turn rate of density ``q_turn_rad2ps3``, as Stone Soup's ``ConstantTurn``.
    """

    n = 7

    def __init__(self, q_m2ps3: ArrayLike, q_turn_rad2ps3: float) -> None:
        self.q_m2ps3 = _axis_q(q_m2ps3, "q_m2ps3", "CoordinatedTurn")
        self.q_turn_rad2ps3 = _nonneg(q_turn_rad2ps3, "q_turn_rad2ps3", "CoordinatedTurn")

    def f(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, 7, "CoordinatedTurn")
        dt = _check_dt(dt_s, x.shape[0], "CoordinatedTurn")
        po, vo, _ = _turn_motion(x[:, :3], x[:, 3:6], x[:, 6], dt)
        return np.concatenate([po, vo, x[:, 6:7]], axis=1)

    def _jacobian(self, x: Array, dt: Array) -> Array:
        tt = turn_terms(x[:, 6], dt)
        Jpv, dw = _turn_jacobian_pv(x[:, 3:6], dt, tt)
        J = np.zeros((x.shape[0], 7, 7))
        J[:, :6, :6] = Jpv
        J[:, :6, 6] = dw
        J[:, 6, 6] = 1.0
        return J

    def jacobian(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, 7, "CoordinatedTurn")
        return self._jacobian(x, _check_dt(dt_s, x.shape[0], "CoordinatedTurn"))

    def _Q(self, dt: Array) -> Array:
        Q = np.zeros((dt.size, 7, 7))
        Q[:, :6, :6] = _poly_Q(dt, 1, self.q_m2ps3)
        Q[:, 6, 6] = self.q_turn_rad2ps3 * dt
        return Q

    def Q(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, 7, "CoordinatedTurn")
        return self._Q(_check_dt(dt_s, x.shape[0], "CoordinatedTurn"))

    def predict(self, x: Array, P: Array, dt_s: ArrayLike) -> tuple[Array, Array]:
        x, P = _check_xP(x, P, 7, "CoordinatedTurn")
        dt = _check_dt(dt_s, x.shape[0], "CoordinatedTurn")
        po, vo, _ = _turn_motion(x[:, :3], x[:, 3:6], x[:, 6], dt)
        xo = np.concatenate([po, vo, x[:, 6:7]], axis=1)
        return xo, _propagate(self._jacobian(x, dt), P, self._Q(dt))


# -- the IMM's models over the common state [p, v, a, ω] ----------------------------------
#
# Mixing needs one state space, so every IMM model carries all ten components
# and fills the ones its own hypothesis does not estimate with what that
# hypothesis implies, rather than freezing stale values:
#   CV: a = 0, ω = 0;
#   CA: ω = the turn rate its horizontal acceleration implies, (v × a)_z / |v_h|²;
#   CT: a = the centripetal acceleration of the turn, ω ẑ × v.
# So a CT estimate mixed into CA hands it the turn's acceleration, and a CA
# estimate mixed into CT hands it a turn rate: the models agree on what they
# share and the mixing spread term measures real disagreement. The implied
# components are deterministic functions of the state; a small variance
# (``implied_accel_var_m2ps4``, ``implied_turn_var_rad2ps2``) is added each
# step so every covariance stays positive definite.

#: Defaults for the small variance added to implied (not estimated) components.
IMPLIED_ACCEL_VAR_M2PS4 = 1e-2
IMPLIED_TURN_VAR_RAD2PS2 = 1e-6
#: Horizontal speed² floor (m²/s²) in CA's implied turn rate: a hovering target has no turn.
_SPEED2_FLOOR_M2PS2 = 1.0


class _ImmModel:
    n = IMM_N

    def __init__(self, implied_accel_var_m2ps4: float, implied_turn_var_rad2ps2: float) -> None:
        who = type(self).__name__
        self.implied_accel_var_m2ps4 = _positive(
            implied_accel_var_m2ps4, "implied_accel_var_m2ps4", who
        )
        self.implied_turn_var_rad2ps2 = _positive(
            implied_turn_var_rad2ps2, "implied_turn_var_rad2ps2", who
        )

    def _fj(self, x: Array, dt: Array) -> tuple[Array, Array]:
        raise NotImplementedError

    def _Q(self, dt: Array) -> Array:
        raise NotImplementedError

    def f(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, IMM_N, type(self).__name__)
        return self._fj(x, _check_dt(dt_s, x.shape[0], type(self).__name__))[0]

    def jacobian(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, IMM_N, type(self).__name__)
        return self._fj(x, _check_dt(dt_s, x.shape[0], type(self).__name__))[1]

    def Q(self, x: Array, dt_s: ArrayLike) -> Array:
        x, _ = _check_xP(x, None, IMM_N, type(self).__name__)
        return self._Q(_check_dt(dt_s, x.shape[0], type(self).__name__))

    def predict(self, x: Array, P: Array, dt_s: ArrayLike) -> tuple[Array, Array]:
        who = type(self).__name__
        x, P = _check_xP(x, P, IMM_N, who)
        dt = _check_dt(dt_s, x.shape[0], who)
        xo, J = self._fj(x, dt)
        return xo, _propagate(J, P, self._Q(dt))


class ImmConstantVelocity(_ImmModel):
    """CV on the IMM state: p' = p + vT, v' = v, a' = 0, ω' = 0."""

    def __init__(
        self,
        q_m2ps3: ArrayLike,
        implied_accel_var_m2ps4: float = IMPLIED_ACCEL_VAR_M2PS4,
        implied_turn_var_rad2ps2: float = IMPLIED_TURN_VAR_RAD2PS2,
    ) -> None:
        super().__init__(implied_accel_var_m2ps4, implied_turn_var_rad2ps2)
        self.q_m2ps3 = _axis_q(q_m2ps3, "q_m2ps3", "ImmConstantVelocity")

    def _fj(self, x: Array, dt: Array) -> tuple[Array, Array]:
        J = np.zeros((x.shape[0], IMM_N, IMM_N))
        J[:, :6, :6] = _poly_F(dt, 1)
        xo = np.zeros_like(x)
        xo[:, :6] = np.einsum("nij,nj->ni", J[:, :6, :6], x[:, :6])
        return xo, J

    def _Q(self, dt: Array) -> Array:
        Q = np.zeros((dt.size, IMM_N, IMM_N))
        Q[:, :6, :6] = _poly_Q(dt, 1, self.q_m2ps3)
        i = np.arange(6, 9)
        Q[:, i, i] = self.implied_accel_var_m2ps4
        Q[:, 9, 9] = self.implied_turn_var_rad2ps2
        return Q


class ImmConstantAcceleration(_ImmModel):
    """CA on the IMM state: [p, v, a] as :class:`ConstantAcceleration`, ω' = (v' × a')_z / |v'_h|²."""

    def __init__(
        self,
        q_m2ps5: ArrayLike,
        implied_turn_var_rad2ps2: float = IMPLIED_TURN_VAR_RAD2PS2,
    ) -> None:
        super().__init__(IMPLIED_ACCEL_VAR_M2PS4, implied_turn_var_rad2ps2)
        self.q_m2ps5 = _axis_q(q_m2ps5, "q_m2ps5", "ImmConstantAcceleration")

    def _fj(self, x: Array, dt: Array) -> tuple[Array, Array]:
        N = x.shape[0]
        F9 = _poly_F(dt, 2)
        J = np.zeros((N, IMM_N, IMM_N))
        J[:, :9, :9] = F9
        xo = np.empty_like(x)
        xo[:, :9] = np.einsum("nij,nj->ni", F9, x[:, :9])
        vx, vy = xo[:, 3], xo[:, 4]
        ax, ay = xo[:, 6], xo[:, 7]
        h = vx * vx + vy * vy + _SPEED2_FLOOR_M2PS2
        cross = vx * ay - vy * ax
        xo[:, 9] = cross / h
        # ∂ω'/∂(v', a') then through v' = v + aT, a' = a.
        dv = np.stack([ay / h - 2 * cross * vx / h**2, -ax / h - 2 * cross * vy / h**2], axis=1)
        da = np.stack([-vy / h, vx / h], axis=1)
        J[:, 9, 3:5] = dv
        J[:, 9, 6:8] = da + dv * dt[:, None]
        return xo, J

    def _Q(self, dt: Array) -> Array:
        Q = np.zeros((dt.size, IMM_N, IMM_N))
        Q[:, :9, :9] = _poly_Q(dt, 2, self.q_m2ps5)
        Q[:, 9, 9] = self.implied_turn_var_rad2ps2
        return Q


class ImmCoordinatedTurn(_ImmModel):
    """CT on the IMM state: [p, v, ω] as :class:`CoordinatedTurn`, a' = ω ẑ × v'."""

    def __init__(
        self,
        q_m2ps3: ArrayLike,
        q_turn_rad2ps3: float,
        implied_accel_var_m2ps4: float = IMPLIED_ACCEL_VAR_M2PS4,
    ) -> None:
        super().__init__(implied_accel_var_m2ps4, IMPLIED_TURN_VAR_RAD2PS2)
        self.q_m2ps3 = _axis_q(q_m2ps3, "q_m2ps3", "ImmCoordinatedTurn")
        self.q_turn_rad2ps3 = _nonneg(q_turn_rad2ps3, "q_turn_rad2ps3", "ImmCoordinatedTurn")

    def _fj(self, x: Array, dt: Array) -> tuple[Array, Array]:
        N = x.shape[0]
        w = x[:, 9]
        po, vo, tt = _turn_motion(x[:, :3], x[:, 3:6], w, dt)
        xo = np.empty_like(x)
        xo[:, :3], xo[:, 3:6] = po, vo
        xo[:, 6] = -w * vo[:, 1]
        xo[:, 7] = w * vo[:, 0]
        xo[:, 8] = 0.0
        xo[:, 9] = w
        Jpv, dw = _turn_jacobian_pv(x[:, 3:6], dt, tt)
        J = np.zeros((N, IMM_N, IMM_N))
        J[:, :6, :6] = Jpv
        J[:, :6, 9] = dw
        J[:, 9, 9] = 1.0
        # a'x = −ω v'y, a'y = ω v'x, through v'(v, ω).
        J[:, 6, :] = -w[:, None] * J[:, 4, :]
        J[:, 6, 9] -= vo[:, 1]
        J[:, 7, :] = w[:, None] * J[:, 3, :]
        J[:, 7, 9] += vo[:, 0]
        return xo, J

    def _Q(self, dt: Array) -> Array:
        Q = np.zeros((dt.size, IMM_N, IMM_N))
        Q[:, :6, :6] = _poly_Q(dt, 1, self.q_m2ps3)
        i = np.arange(6, 9)
        Q[:, i, i] = self.implied_accel_var_m2ps4
        Q[:, 9, 9] = self.q_turn_rad2ps3 * dt
        return Q


def to_imm_state(
    x: Array,
    P: Array,
    accel_var_m2ps4: float = 100.0,
    turn_var_rad2ps2: float = 0.01,
) -> tuple[Array, Array]:
    """Embed [p, v] (6), [p, v, a] (9) or [p, v, ω] (7) states in the IMM's 10-state.

    Missing components start at zero with the given (deliberately loose) variances.
    """
    x = np.asarray(x, dtype=float)
    P = np.asarray(P, dtype=float)
    if (
        x.ndim != 2
        or x.shape[1] not in (6, 7, 9)
        or P.shape != (x.shape[0], x.shape[1], x.shape[1])
    ):
        raise ValueError(
            f"to_imm_state: x must be (N, 6|7|9) and P (N, n, n) to match; got x {x.shape}, P {P.shape}"
        )
    n = x.shape[1]
    idx = {6: [0, 1, 2, 3, 4, 5], 9: list(range(9)), 7: [0, 1, 2, 3, 4, 5, 9]}[n]
    xo = np.zeros((x.shape[0], IMM_N))
    Po = np.zeros((x.shape[0], IMM_N, IMM_N))
    xo[:, idx] = x
    Po[:, np.array(idx)[:, None], np.array(idx)[None, :]] = P
    missing = [i for i in range(IMM_N) if i not in idx]
    for i in missing:
        Po[:, i, i] = accel_var_m2ps4 if i < 9 else turn_var_rad2ps2
    return xo, Po


# -- IMM ------------------------------------------------------------------------------------


class ImmUpdate(NamedTuple):
    """Result of :meth:`IMM.update`."""

    #: model-conditioned states (N, r, n) and covariances (N, r, n, n)
    x: Array
    P: Array
    #: posterior mode probabilities (N, r)
    mu: Array
    #: log of the measurement's likelihood under the mixture, log Σ_j c̄_j Λ_j (N,)
    log_likelihood: Array
    #: normalised innovation squared per model (N, r)
    nis: Array


class IMM:
    """Interacting multiple model estimator over N tracks × r models (Blom & Bar-Shalom 1988).

    Arrays: model-conditioned states ``x`` (N, r, n), covariances ``P``
    (N, r, n, n), mode probabilities ``mu`` (N, r). One cycle is
    :meth:`predict` (mixing, then each model's own prediction), then
    :meth:`update` (each model's filter update and the mode-probability
    update), and :meth:`combine` for the output estimate (Bar-Shalom et al.
    ch. 11). ``transition[i, j]`` is P(model j next | model i now) for one
    step; it is used as given whatever the interval, so pick it for the
    update rate the tracker runs at.
    """

    def __init__(self, models: Sequence[MotionModel], transition: ArrayLike) -> None:
        self.models = tuple(models)
        if len(self.models) < 2:
            raise ValueError(f"IMM: needs at least two models; got {len(self.models)}")
        ns = {m.n for m in self.models}
        if len(ns) != 1:
            raise ValueError(
                f"IMM: all models must share one state layout for mixing; got state sizes "
                f"{[m.n for m in self.models]} (use ImmConstantVelocity, ImmConstantAcceleration, "
                "ImmCoordinatedTurn)"
            )
        self.n = ns.pop()
        self.r = len(self.models)
        T = np.array(transition, dtype=float)
        if T.shape != (self.r, self.r):
            raise ValueError(
                f"IMM: transition must be ({self.r}, {self.r}) for {self.r} models; got {T.shape}"
            )
        if (
            np.any(~np.isfinite(T))
            or np.any(T < 0)
            or not np.allclose(T.sum(axis=1), 1.0, atol=1e-9)
        ):
            raise ValueError(
                f"IMM: transition must be a Markov matrix (entries ≥ 0, each row summing to 1); "
                f"row sums are {T.sum(axis=1)}"
            )
        self.transition = T

    def _check(self, x: ArrayLike, P: ArrayLike, mu: ArrayLike) -> tuple[Array, Array, Array]:
        x = np.asarray(x, dtype=float)
        P = np.asarray(P, dtype=float)
        mu = np.asarray(mu, dtype=float)
        r, n = self.r, self.n
        if x.ndim != 3 or x.shape[1:] != (r, n):
            raise ValueError(
                f"IMM: x must have shape (N, {r}, {n}) (tracks × models × state); got {x.shape}"
            )
        N = x.shape[0]
        if P.shape != (N, r, n, n):
            raise ValueError(f"IMM: P must have shape {(N, r, n, n)} to match x; got {P.shape}")
        if mu.shape != (N, r):
            raise ValueError(
                f"IMM: mu must have shape {(N, r)} (mode probabilities); got {mu.shape}"
            )
        return x, P, mu

    def initial(
        self, x: ArrayLike, P: ArrayLike, mu: ArrayLike | None = None
    ) -> tuple[Array, Array, Array]:
        """Start every model of each track at the same (x (N, n), P (N, n, n)).

        ``mu`` (r,) or (N, r) defaults to equal probabilities.
        """
        x, P = _check_xP(x, P, self.n, "IMM.initial")
        N = x.shape[0]
        if mu is None:
            mu = np.full(self.r, 1.0 / self.r)
        mu = np.asarray(mu, dtype=float)
        if mu.shape not in ((self.r,), (N, self.r)):
            raise ValueError(
                f"IMM.initial: mu must have shape ({self.r},) or (N, {self.r}); got {mu.shape}"
            )
        mu = np.broadcast_to(mu, (N, self.r))
        if np.any(mu < 0) or not np.allclose(mu.sum(axis=1), 1.0, atol=1e-9):
            raise ValueError(
                "IMM.initial: mu must be probabilities (≥ 0, summing to 1 over models)"
            )
        xs = np.repeat(x[:, None], self.r, axis=1)
        Ps = np.repeat(P[:, None], self.r, axis=1)
        return xs, Ps, mu.copy()

    def mix(self, x: ArrayLike, P: ArrayLike, mu: ArrayLike) -> tuple[Array, Array, Array]:
        """Mixed initial conditions x0 (N, r, n), P0 (N, r, n, n) and predicted mode probabilities (N, r)."""
        x, P, mu = self._check(x, P, mu)
        joint = mu[:, :, None] * self.transition[None]  # (N, i, j)
        cbar = joint.sum(axis=1)
        w = joint / np.maximum(cbar[:, None, :], 1e-300)  # μ_{i|j}
        N, r, n = x.shape
        wt = np.swapaxes(w, 1, 2)  # (N, j, i)
        x0 = wt @ x
        # Σ_i w_ij (P_i + d_ij d_ijᵀ), d_ij = x_i − x0_j, as batched matmuls (einsum is
        # ~10× slower here); the spread is not formed as Σ w x xᵀ − x0 x0ᵀ, which cancels.
        P0 = (wt @ P.reshape(N, r, n * n)).reshape(N, r, n, n)
        d = np.swapaxes(x[:, :, None, :] - x0[:, None, :, :], 1, 2)  # (N, j, i, n)
        P0 += np.swapaxes(d * wt[..., None], 2, 3) @ d
        return x0, _sym(P0), cbar

    def predict(
        self, x: ArrayLike, P: ArrayLike, mu: ArrayLike, dt_s: ArrayLike
    ) -> tuple[Array, Array, Array]:
        """Mix, then predict each model by ``dt_s``; returns (x, P, predicted mode probabilities)."""
        x0, P0, cbar = self.mix(x, P, mu)
        N = x0.shape[0]
        dt = _check_dt(dt_s, N, "IMM.predict")
        xo = np.empty_like(x0)
        Po = np.empty_like(P0)
        for j, model in enumerate(self.models):  # a loop over models, not tracks
            xo[:, j], Po[:, j] = model.predict(x0[:, j], P0[:, j], dt)
        return xo, Po, cbar

    def update(
        self,
        x: ArrayLike,
        P: ArrayLike,
        mu: ArrayLike,
        z: ArrayLike,
        R: ArrayLike,
        radar_enu_m: ArrayLike,
        radar_rot: ArrayLike,
        with_range_rate: bool = False,
        method: str = "ekf",
    ) -> ImmUpdate:
        """Update every model with one AER measurement per track (see :mod:`gbad.tracking.filters`).

        ``mu`` here is the *predicted* mode probability (what :meth:`predict`
        returned). ``method`` is ``"ekf"``, ``"ukf"`` or ``"cmkf"``.
        """
        from gbad.tracking import filters  # filters imports nothing from here; keep it one-way

        x, P, mu = self._check(x, P, mu)
        updaters = {
            "ekf": filters.ekf_update,
            "ukf": filters.ukf_update,
            "cmkf": filters.cmkf_update,
        }
        if method not in updaters:
            raise ValueError(
                f"IMM.update: method must be one of {sorted(updaters)}; got {method!r}"
            )
        N, r, n = x.shape
        m = 4 if with_range_rate else 3
        z = np.asarray(z, dtype=float)
        R = np.asarray(R, dtype=float)
        if z.shape != (N, m):
            raise ValueError(f"IMM.update: z must have shape {(N, m)}; got {z.shape}")
        s = np.asarray(radar_enu_m, dtype=float)
        rot = np.asarray(radar_rot, dtype=float)

        def rep(a: Array, per_row_ndim: int) -> Array:
            # Per-track arrays go to every model; shared ones stay shared.
            if a.ndim == per_row_ndim + 1 and a.shape[0] == N:
                return np.repeat(a, r, axis=0)
            return a

        out = updaters[method](
            x.reshape(N * r, n),
            P.reshape(N * r, n, n),
            np.repeat(z, r, axis=0),
            rep(R, 2),
            rep(s, 1),
            rep(rot, 2),
            with_range_rate,
        )
        nis = out.nis.reshape(N, r)
        mS = out.S.shape[-1]
        _, logdet = np.linalg.slogdet(out.S)
        loglik = -0.5 * (nis + logdet.reshape(N, r) + mS * np.log(2 * np.pi))
        logw = loglik + np.log(np.maximum(mu, 1e-300))
        top = logw.max(axis=1, keepdims=True)
        total = top[:, 0] + np.log(np.exp(logw - top).sum(axis=1))
        mu_post = np.exp(logw - total[:, None])
        return ImmUpdate(out.x.reshape(N, r, n), out.P.reshape(N, r, n, n), mu_post, total, nis)

    def combine(self, x: ArrayLike, P: ArrayLike, mu: ArrayLike) -> tuple[Array, Array]:
        """The mixture's mean (N, n) and covariance (N, n, n), spread of the means included."""
        x, P, mu = self._check(x, P, mu)
        N, r, n = x.shape
        xc = (mu[:, None, :] @ x)[:, 0]
        d = x - xc[:, None, :]
        Pc = (mu[:, None, :] @ P.reshape(N, r, n * n)).reshape(N, n, n)
        Pc += np.swapaxes(d * mu[..., None], 1, 2) @ d
        return xc, _sym(Pc)
