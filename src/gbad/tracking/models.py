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

from math import factorial
from typing import NamedTuple, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]



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
