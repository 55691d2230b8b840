"""What an interceptor flies against: target truth as samples or a callable, and the uplink."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

TargetFn = Callable[[Array], tuple[ArrayLike, ArrayLike]]


@dataclass(frozen=True)
class TargetSamples:
    """A target's sampled state in the scenario ENU frame: truth, or a track's estimates.

    ``t_s`` is (K,) (shared) or (M, K), strictly increasing along K;
    ``pos_enu_m`` and ``vel_enu_mps`` are (K, 3) (one target for every
    interceptor) or (M, K, 3). Between samples the state is a cubic Hermite
    curve (exact for constant acceleration); outside them the nearest sample
    is extrapolated at constant velocity.
    """

    t_s: ArrayLike
    pos_enu_m: ArrayLike
    vel_enu_mps: ArrayLike

    def arrays(self) -> tuple[Array, Array, Array]:
        """Validated (t (M|1, K), pos (M|1, K, 3), vel (M|1, K, 3)) copies."""
        t = np.asarray(self.t_s, dtype=float)
        p = np.asarray(self.pos_enu_m, dtype=float)
        v = np.asarray(self.vel_enu_mps, dtype=float)
        if t.ndim == 1:
            t = t[None, :]
        if p.ndim == 2:
            p = p[None]
        if v.ndim == 2:
            v = v[None]
        if t.ndim != 2 or t.shape[1] < 1:
            raise ValueError(f"target t_s must have shape (K,) or (M, K), got {np.shape(self.t_s)}")
        k = t.shape[1]
        for name, a, raw in (
            ("pos_enu_m", p, self.pos_enu_m),
            ("vel_enu_mps", v, self.vel_enu_mps),
        ):
            if a.ndim != 3 or a.shape[1:] != (k, 3):
                raise ValueError(
                    f"target {name} must have shape ({k}, 3) or (M, {k}, 3) to match t_s "
                    f"{np.shape(self.t_s)}, got {np.shape(raw)}"
                )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p)) and np.all(np.isfinite(v))):
            raise ValueError("target samples must be finite")
        if k > 1 and np.any(np.diff(t, axis=1) <= 0.0):
            raise ValueError("target t_s must be strictly increasing along the sample axis")
        return t.copy(), p.copy(), v.copy()


def constant_velocity_target(pos_enu_m: ArrayLike, vel_enu_mps: ArrayLike, t0_s: ArrayLike = 0.0):
    """A straight, non-manoeuvring target: ``f(t_s) -> (pos, vel)``, each (..., 3) in ENU.

    ``pos_enu_m`` (N, 3) or (3,) is the position at ``t0_s``; ``f`` takes times of
    shape (N, K) (or broadcastable) and returns (N, K, 3) arrays.
    """
    p0 = np.array(pos_enu_m, dtype=float)
    v0 = np.array(vel_enu_mps, dtype=float)
    t0 = np.array(t0_s, dtype=float)
    _check_vec3("pos_enu_m", p0)
    _check_vec3("vel_enu_mps", v0)

    def f(t_s: Array) -> tuple[Array, Array]:
        t = np.asarray(t_s, dtype=float)
        dt = (t - (t0[..., None] if t0.ndim else t0))[..., None]
        pos = p0[..., None, :] + v0[..., None, :] * dt
        vel = np.broadcast_to(v0[..., None, :], pos.shape).copy()
        return pos, vel

    return f


def weaving_target(
    pos_enu_m: ArrayLike,
    vel_enu_mps: ArrayLike,
    accel_mps2: ArrayLike,
    period_s: ArrayLike,
    phase_rad: ArrayLike = 0.0,
    t0_s: ArrayLike = 0.0,
):
    """A target weaving in the horizontal plane: ``f(t_s) -> (pos, vel)`` in ENU.

    Its mean velocity is ``vel_enu_mps``; across it, horizontally, it carries the
    sinusoidal acceleration a·sin(ωt' + φ), t' = t − t0, ω = 2π/period, so
    its lateral offset is −(a/ω²)(sin(ωt' + φ) − sin φ) and its lateral velocity
    −(a/ω)·cos(ωt' + φ). The mean velocity must not be vertical. All
    arguments broadcast over N targets.
    """
    p0 = np.array(pos_enu_m, dtype=float)
    v0 = np.array(vel_enu_mps, dtype=float)
    _check_vec3("pos_enu_m", p0)
    _check_vec3("vel_enu_mps", v0)
    acc = np.array(accel_mps2, dtype=float)
    per = np.array(period_s, dtype=float)
    phi = np.array(phase_rad, dtype=float)
    t0 = np.array(t0_s, dtype=float)
    if np.any(~(per > 0.0)):
        raise ValueError("period_s must be > 0")
    side = np.stack([-v0[..., 1], v0[..., 0], np.zeros_like(v0[..., 0])], axis=-1)
    norm = np.linalg.norm(side, axis=-1, keepdims=True)
    if np.any(norm == 0.0):
        raise ValueError("a weaving target needs a horizontal mean velocity")
    side = side / norm
    w = 2.0 * np.pi / per

    def f(t_s: Array) -> tuple[Array, Array]:
        t = np.asarray(t_s, dtype=float)
        tt = t - (t0[..., None] if t0.ndim else t0)
        ww = w[..., None] if w.ndim else w
        aa = acc[..., None] if acc.ndim else acc
        ph = phi[..., None] if phi.ndim else phi
        off = -(aa / ww**2) * (np.sin(ww * tt + ph) - np.sin(ph))
        lat_v = -(aa / ww) * np.cos(ww * tt + ph)
        pos = (
            p0[..., None, :]
            + v0[..., None, :] * tt[..., None]
            + side[..., None, :] * off[..., None]
        )
        vel = v0[..., None, :] + side[..., None, :] * lat_v[..., None]
        return pos, vel

    return f


def _check_vec3(name: str, a: Array) -> None:
    if a.ndim not in (1, 2) or a.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (3,) or (N, 3), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")


@dataclass(frozen=True)
class Uplink:
    """Midcourse target data the launcher sends the interceptor: truth plus Gaussian noise.

    The first message goes at launch, then one every 1/``rate_hz`` s; each is
    the target's true position and velocity at that moment plus independent
    zero-mean Gaussian errors of the given 1-σ per axis (drawn from the
    Generator passed to :func:`fly_interceptors`).
    """

    rate_hz: float = 1.0
    position_sigma_m: float = 0.0
    velocity_sigma_mps: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate_hz) and self.rate_hz > 0.0):
            raise ValueError(f"Uplink.rate_hz must be > 0, got {self.rate_hz}")
        for name in ("position_sigma_m", "velocity_sigma_mps"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0.0):
                raise ValueError(f"Uplink.{name} must be >= 0, got {v}")
