"""The interacting multiple model over CV, CA and coordinated turn (batched, as
:mod:`gbad.tracking.models`, whose motion models it mixes on one common state).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from gbad.tracking.models import (
    Array,
    MotionModel,
    _axis_q,
    _check_dt,
    _check_xP,
    _nonneg,
    _poly_F,
    _poly_Q,
    _positive,
    _propagate,
    _sym,
    _turn_jacobian_pv,
    _turn_motion,
)

#: Components of the IMM's common state [p, v, a, ω].
IMM_N = 10


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
        # the filters import nothing from here; keep it one-way
        from gbad.tracking import converted, filters, unscented

        x, P, mu = self._check(x, P, mu)
        updaters = {
            "ekf": filters.ekf_update,
            "ukf": unscented.ukf_update,
            "cmkf": converted.cmkf_update,
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
