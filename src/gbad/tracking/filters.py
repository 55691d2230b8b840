"""Batched Kalman filters for radar tracking: the KF and EKF here, with what every filter
shares (measurements, checks, Joseph form, the range-rate stage); the UKF in
:mod:`gbad.tracking.unscented`, the converted-measurement KF in
:mod:`gbad.tracking.converted`, the compiled CV EKF's kernel in `_ekf_kernel`. The
conventions below hold for all of them.

Arrays first: N tracks at once, states ``x`` (N, n) and covariances ``P``
(N, n, n); every state layout starts [p(3), v(3), …] in the tracking frame
(the scenario's true ENU frame about its origin: x east, y north, z up,
metres). Inputs are never modified; every function returns new arrays.

Measurements
------------
A radar at ``radar_enu_m`` (3,) in the tracking frame, whose own local ENU
axes are ``radar_rot`` (3, 3) times the tracking frame's (see
:func:`radar_geometry`), measures each target in its own AER. The vector is
in the detection files' column order and units::

    z = [range_m, az_deg, el_deg]               (m = 3)
    z = [range_m, az_deg, el_deg, range_rate_mps] (m = 4, with_range_rate=True)

with d = radar_rot·(p − radar_enu_m): range = |d|, az = atan2(d_e, d_n) in
degrees clockwise from north, [0, 360); el = atan2(d_u, |d_h|) in degrees;
range rate = (p − radar_enu_m)·v / range, positive when opening. The
transform is rigid and exact — no flat-earth step. Angles stay in degrees
everywhere (``R`` in deg² for the angle rows, Jacobians per degree): the
Kalman update is invariant to that scaling, and nothing converts in the hot
path. Azimuth residuals are wrapped to (−180, 180].
``radar_enu_m`` may also be (N, 3) and ``radar_rot`` (N, 3, 3), one per row,
and ``R`` (m, m) or (N, m, m).

Numerical safety
----------------
Linear/EKF/CMKF updates use the Joseph form (I − KH)P(I − KH)ᵀ + KRKᵀ, which
stays positive semidefinite whatever the rounding in K (Bucy & Joseph 1968;
Bar-Shalom et al. 2001, ch. 5), and every returned covariance is
symmetrised. The UKF uses P − KSKᵀ (it has no H) and is symmetrised too.

Range rate
----------
Range rate u(p)·v is bilinear in the line-of-sight direction and the
velocity, so a first-order EKF misjudges it when velocity is poorly known (a
new track): the cross term ∂ρ̇/∂p = v_⊥/range is taken as exact and the
update is badly over-confident (average NEES 66 against 6 after the first
update of a track with 300 m/s velocity uncertainty). With
``with_range_rate=True`` the EKF, UKF and CMKF therefore update
*sequentially*: first with the position part (range, az, el) by their own
method, then with range rate as a scalar Gaussian second-order update
(Bar-Shalom et al. ch. 10, the "second-order EKF") linearised at the
position-updated state, whose bias ½·tr(M P) and extra variance
½·tr(M P M P) (M the range-rate Hessian over [p, v]) are exact for the
bilinear part, so range rate is used from the first update with no
threshold to tune. The noises of range rate and of the AER part must be
independent (zero cross terms in ``R``), as they are in the detection files.
``range_rate_method="joint"`` gives the one-shot joint update (Stone Soup's
``ExtendedKalmanUpdater``/``UnscentedKalmanUpdater``), for comparison.
``tests/test_filters.py`` shows the NEES of each. The innovation, S and NIS
returned are always the joint ones of the prior (what gating needs).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gbad.earth.wgs84 import enu_rotation, geodetic2enu
from gbad.tracking._ekf_kernel import _cv_ekf_serial

Array = NDArray[np.float64]

DEG = 180.0 / np.pi  # degrees per radian
RAD = np.pi / 180.0
#: |d_h|/range floor for the azimuth Jacobian straight overhead (azimuth is undefined there).
_HORIZ_FLOOR = 1e-9


class KalmanUpdate(NamedTuple):
    """An update's result, with what gating and association need.

    ``innovation`` (N, m) and ``S`` (N, m, m) are those of the *prior*
    (predicted) state, in measurement units (Cartesian metres for the CMKF's
    converted position rows); ``nis`` (N,) is innovationᵀ S⁻¹ innovation,
    χ² with m degrees of freedom for a consistent filter.
    """

    x: Array
    P: Array
    innovation: Array
    S: Array
    nis: Array


# -- small helpers --------------------------------------------------------------------------


def _sym(P: Array) -> Array:
    return 0.5 * (P + np.swapaxes(P, -1, -2))


def _T(a: Array) -> Array:
    return np.swapaxes(a, -1, -2)


def wrap_deg(angle_deg: ArrayLike) -> Array:
    """Angles folded into (−180, 180] degrees."""
    a = np.asarray(angle_deg, dtype=float)
    return 180.0 - np.mod(180.0 - a, 360.0)


def _check_state(x: ArrayLike, P: ArrayLike, who: str, min_n: int = 6) -> tuple[Array, Array]:
    x = np.asarray(x, dtype=float)
    P = np.asarray(P, dtype=float)
    if x.ndim != 2 or x.shape[1] < min_n:
        raise ValueError(
            f"{who}: x must have shape (N, n) with n ≥ {min_n} (state rows [p(3), v(3), …]); got {x.shape}"
        )
    N, n = x.shape
    if P.shape != (N, n, n):
        raise ValueError(
            f"{who}: P must have shape (N, n, n) = {(N, n, n)} to match x; got {P.shape}"
        )
    return x, P


def _check_radar(
    radar_enu_m: ArrayLike, radar_rot: ArrayLike, N: int, who: str
) -> tuple[Array, Array]:
    s = np.asarray(radar_enu_m, dtype=float)
    rot = np.asarray(radar_rot, dtype=float)
    if s.shape not in ((3,), (N, 3)):
        raise ValueError(
            f"{who}: radar_enu_m must have shape (3,) or (N, 3) = ({N}, 3); got {s.shape}"
        )
    if rot.shape not in ((3, 3), (N, 3, 3)):
        raise ValueError(
            f"{who}: radar_rot must have shape (3, 3) or (N, 3, 3) = ({N}, 3, 3); got {rot.shape}"
        )
    return s, rot


def _check_meas(
    z: ArrayLike, R: ArrayLike, N: int, with_range_rate: bool, who: str
) -> tuple[Array, Array]:
    m = 4 if with_range_rate else 3
    z = np.asarray(z, dtype=float)
    R = np.asarray(R, dtype=float)
    if z.shape != (N, m):
        what = (
            "[range_m, az_deg, el_deg, range_rate_mps]"
            if with_range_rate
            else "[range_m, az_deg, el_deg]"
        )
        raise ValueError(
            f"{who}: z must have shape (N, {m}) = ({N}, {m}), rows {what} "
            f"(with_range_rate={with_range_rate}); got {z.shape}"
        )
    if not np.all(np.isfinite(z)):
        raise ValueError(
            f"{who}: z has non-finite values (rows {np.flatnonzero(~np.isfinite(z).all(1))[:5]})"
        )
    if R.shape == (m, m):
        R = np.broadcast_to(R, (N, m, m))
    elif R.shape != (N, m, m):
        raise ValueError(
            f"{who}: R must have shape ({m}, {m}) or (N, {m}, {m}) = ({N}, {m}, {m}); got {R.shape}"
        )
    return z, R


def _rotate(rot: Array, vec: Array) -> Array:
    """rot @ vec over broadcast leading axes."""
    if rot.ndim == 2:
        return vec @ rot.T
    # Per-row rotations, written out: einsum/matmul are slow on 3-vectors.
    return np.stack(
        [
            rot[..., 0, 0] * vec[..., 0]
            + rot[..., 0, 1] * vec[..., 1]
            + rot[..., 0, 2] * vec[..., 2],
            rot[..., 1, 0] * vec[..., 0]
            + rot[..., 1, 1] * vec[..., 1]
            + rot[..., 1, 2] * vec[..., 2],
            rot[..., 2, 0] * vec[..., 0]
            + rot[..., 2, 1] * vec[..., 1]
            + rot[..., 2, 2] * vec[..., 2],
        ],
        axis=-1,
    )


def _solve_spd(S: Array, B: Array) -> Array:
    """S⁻¹ B for a batch of SPD matrices S (N, m, m), B (N, m, k).

    For m ≤ 4 (innovation covariances) and batches of 32 or more, a Cholesky
    factorisation written out over the batch: LAPACK's per-matrix call
    overhead makes ``np.linalg.solve`` ~3× slower on 1000 3×3 systems.
    Matrices that are not positive definite go to ``np.linalg.solve``.
    """
    m = S.shape[-1]
    if m > 4 or S.ndim != 3 or S.shape[0] < 32:
        return np.linalg.solve(S, B)
    L = [[None] * m for _ in range(m)]
    for j in range(m):
        acc = S[:, j, j].copy()
        for t in range(j):
            acc -= L[j][t] * L[j][t]
        if not np.all(acc > 0):
            return np.linalg.solve(S, B)
        L[j][j] = np.sqrt(acc)
        for i in range(j + 1, m):
            acc = S[:, i, j].copy()
            for t in range(j):
                acc -= L[i][t] * L[j][t]
            L[i][j] = acc / L[j][j]
    y: list[Array] = []
    for i in range(m):
        acc = B[:, i, :].copy()
        for t in range(i):
            acc -= L[i][t][:, None] * y[t]
        y.append(acc / L[i][i][:, None])
    out = np.empty(B.shape)
    for i in range(m - 1, -1, -1):
        acc = y[i]
        for t in range(i + 1, m):
            acc = acc - L[t][i][:, None] * out[:, t, :]
        out[:, i, :] = acc / L[i][i][:, None]
    return out


# -- geometry -------------------------------------------------------------------------------


def radar_geometry(
    radar_lat_deg: float,
    radar_lon_deg: float,
    radar_alt_m: float,
    origin_lat_deg: float,
    origin_lon_deg: float,
    origin_alt_m: float,
) -> tuple[Array, Array]:
    """A radar's position (3,) in the tracking frame and the rotation (3, 3) into its own ENU axes.

    radar_rot = E(radar) · E(origin)ᵀ with E(lat, lon) the ECEF → local ENU
    rotation (:func:`gbad.earth.wgs84.enu_rotation`): tracking-frame vector →
    ECEF → radar-local ENU.
    """
    e, n, u = geodetic2enu(
        radar_lat_deg, radar_lon_deg, radar_alt_m, origin_lat_deg, origin_lon_deg, origin_alt_m
    )
    enu = np.array([float(e), float(n), float(u)])
    rot = (
        enu_rotation(radar_lat_deg, radar_lon_deg) @ enu_rotation(origin_lat_deg, origin_lon_deg).T
    )
    return enu, rot


def _aer_core(p: Array, v: Array | None, s: Array, rot: Array) -> tuple[Array, ...]:
    """Range, az (deg, [0, 360)), el (deg), range rate (or None) and the geometry, over leading axes."""
    diff = p - s
    d = _rotate(rot, diff)
    horiz = np.hypot(d[..., 0], d[..., 1])
    rng = np.sqrt(horiz * horiz + d[..., 2] * d[..., 2])
    az = np.mod(np.degrees(np.arctan2(d[..., 0], d[..., 1])), 360.0)
    az = np.where(az >= 360.0, az - 360.0, az)
    el = np.degrees(np.arctan2(d[..., 2], horiz))
    rr = None
    if v is not None:
        # The rotation preserves dot products: no need to rotate v.
        rr = np.sum(diff * v, axis=-1) / rng
    return rng, az, el, rr, diff, d, horiz


def aer_measure(
    x: ArrayLike, radar_enu_m: ArrayLike, radar_rot: ArrayLike, with_range_rate: bool = False
) -> Array:
    """Predicted measurements (N, 3|4): [range_m, az_deg, el_deg(, range_rate_mps)] of states (N, n)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] < (6 if with_range_rate else 3):
        raise ValueError(
            f"aer_measure: x must have shape (N, n) with n ≥ 6 ([p, v, …]); got {x.shape}"
        )
    s, rot = _check_radar(radar_enu_m, radar_rot, x.shape[0], "aer_measure")
    rng, az, el, rr, *_ = _aer_core(x[:, :3], x[:, 3:6] if with_range_rate else None, s, rot)
    cols = [rng, az, el] + ([rr] if with_range_rate else [])
    return np.stack(cols, axis=-1)


def _jacobian_core(x: Array, s: Array, rot: Array, with_range_rate: bool) -> tuple[Array, Array]:
    N, n = x.shape
    v = x[:, 3:6] if with_range_rate else None
    rng, az, el, rr, diff, d, horiz = _aer_core(x[:, :3], v, s, rot)
    horiz = np.maximum(horiz, _HORIZ_FLOOR * rng)
    m = 4 if with_range_rate else 3
    H = np.zeros((N, m, n))
    u = diff / rng[:, None]
    H[:, 0, :3] = u
    # Angle gradients in the radar's axes (deg per metre), then back through the rotation.
    h2 = horiz * horiz
    g_az = np.stack([d[:, 1] / h2, -d[:, 0] / h2, np.zeros(N)], axis=-1) * DEG
    r2h = rng * rng * horiz
    g_el = (
        np.stack([-d[:, 0] * d[:, 2] / r2h, -d[:, 1] * d[:, 2] / r2h, horiz / (rng * rng)], axis=-1)
        * DEG
    )
    # Row vectors times rot: rot's transpose applied to each gradient.
    rot_t = rot.T if rot.ndim == 2 else np.swapaxes(rot, -1, -2)
    H[:, 1, :3] = _rotate(rot_t, g_az)
    H[:, 2, :3] = _rotate(rot_t, g_el)
    z = np.stack([rng, az, el] + ([rr] if with_range_rate else []), axis=-1)
    if with_range_rate:
        H[:, 3, :3] = (x[:, 3:6] - rr[:, None] * u) / rng[:, None]
        H[:, 3, 3:6] = u
    return z, H


def aer_jacobian(
    x: ArrayLike, radar_enu_m: ArrayLike, radar_rot: ArrayLike, with_range_rate: bool = False
) -> Array:
    """∂z/∂x (N, 3|4, n) of :func:`aer_measure`, analytic; angle rows in degrees per unit state."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] < 6:
        raise ValueError(
            f"aer_jacobian: x must have shape (N, n) with n ≥ 6 ([p, v, …]); got {x.shape}"
        )
    s, rot = _check_radar(radar_enu_m, radar_rot, x.shape[0], "aer_jacobian")
    return _jacobian_core(x, s, rot, with_range_rate)[1]


def aer_noise_covariance(
    range_sigma_m: ArrayLike,
    az_sigma_deg: ArrayLike,
    el_sigma_deg: ArrayLike,
    range_rate_sigma_mps: ArrayLike | None = None,
) -> Array:
    """Diagonal R (N, 3|4, 3|4) from the detection files' per-detection 1-σ columns."""
    cols = [range_sigma_m, az_sigma_deg, el_sigma_deg]
    if range_rate_sigma_mps is not None:
        cols.append(range_rate_sigma_mps)
    sig = np.stack(
        np.broadcast_arrays(*[np.atleast_1d(np.asarray(c, dtype=float)) for c in cols]), axis=-1
    )
    if not np.all(np.isfinite(sig)) or np.any(sig <= 0):
        raise ValueError(
            "aer_noise_covariance: every σ must be finite and > 0 "
            "(a radar without range rate has NaN there: leave it out)"
        )
    m = sig.shape[-1]
    R = np.zeros((sig.shape[0], m, m))
    R[:, np.arange(m), np.arange(m)] = sig**2
    return R


# -- consistency measures -------------------------------------------------------------------


def nees(x: ArrayLike, P: ArrayLike, x_true: ArrayLike) -> Array:
    """Normalised estimation error squared (N,): (x − x_true)ᵀ P⁻¹ (x − x_true)."""
    x, P = _check_state(x, P, "nees", min_n=1)
    e = x - np.asarray(x_true, dtype=float)
    if e.shape != x.shape:
        raise ValueError(f"nees: x_true must have the shape of x {x.shape}; got {np.shape(x_true)}")
    return np.einsum("ni,ni->n", e, _solve_spd(P, e[..., None])[..., 0])


def nis(innovation: ArrayLike, S: ArrayLike) -> Array:
    """Normalised innovation squared (N,): νᵀ S⁻¹ ν."""
    nu = np.asarray(innovation, dtype=float)
    S = np.asarray(S, dtype=float)
    if nu.ndim != 2 or S.shape != (nu.shape[0], nu.shape[1], nu.shape[1]):
        raise ValueError(
            f"nis: innovation must be (N, m) and S (N, m, m) to match; got {nu.shape} and {S.shape}"
        )
    return np.einsum("ni,ni->n", nu, _solve_spd(S, nu[..., None])[..., 0])


def innovation_log_likelihood(nis_value: ArrayLike, S: ArrayLike) -> Array:
    """log N(ν; 0, S) (N,) from the NIS and S of a :class:`KalmanUpdate`."""
    S = np.asarray(S, dtype=float)
    _, logdet = np.linalg.slogdet(S)
    return -0.5 * (np.asarray(nis_value, dtype=float) + logdet + S.shape[-1] * np.log(2 * np.pi))


# -- linear Kalman filter -------------------------------------------------------------------


def kf_predict(x: ArrayLike, P: ArrayLike, F: ArrayLike, Q: ArrayLike) -> tuple[Array, Array]:
    """x' = F x, P' = F P Fᵀ + Q; F and Q (n, n) or (N, n, n)."""
    x, P = _check_state(x, P, "kf_predict", min_n=1)
    N, n = x.shape
    F = np.asarray(F, dtype=float)
    Q = np.asarray(Q, dtype=float)
    for name, a in (("F", F), ("Q", Q)):
        if a.shape not in ((n, n), (N, n, n)):
            raise ValueError(
                f"kf_predict: {name} must have shape ({n}, {n}) or ({N}, {n}, {n}); got {a.shape}"
            )
    return np.einsum("...ij,...j->...i", F, x), _sym(F @ P @ _T(F) + Q)


def _joseph_update(
    x: Array, P: Array, nu: Array, H: Array, R: Array, S: Array | None = None
) -> tuple[Array, Array, Array, Array]:
    """Kalman update with a given innovation; returns x, P, S, NIS.

    The Joseph form A P Aᵀ + K R Kᵀ, A = I − KH, is evaluated as
    X = P − K(HP), X − (XHᵀ)Kᵀ: the same expression, in (n × m)-sized
    products instead of n × n ones.
    """
    HP = H @ P
    if S is None:
        S = _sym(HP @ _T(H) + R)
    sol = _solve_spd(S, np.concatenate([HP, nu[..., None]], axis=-1))
    K = _T(sol[..., :-1])
    nis_v = np.einsum("ni,ni->n", nu, sol[..., -1])
    xo = x + np.einsum("nij,nj->ni", K, nu)
    Kt = sol[..., :-1]
    X = P - K @ HP
    Po = X - (X @ _T(H)) @ Kt + K @ (R @ Kt)
    return xo, _sym(Po), S, nis_v


def kf_update(x: ArrayLike, P: ArrayLike, z: ArrayLike, H: ArrayLike, R: ArrayLike) -> KalmanUpdate:
    """Linear Kalman update (Joseph form) with z (N, m), H (m, n) or (N, m, n), R (m, m) or (N, m, m)."""
    x, P = _check_state(x, P, "kf_update", min_n=1)
    N, n = x.shape
    z = np.asarray(z, dtype=float)
    if z.ndim != 2 or z.shape[0] != N:
        raise ValueError(f"kf_update: z must have shape (N, m) with N = {N}; got {z.shape}")
    m = z.shape[1]
    H = np.asarray(H, dtype=float)
    R = np.asarray(R, dtype=float)
    if H.shape not in ((m, n), (N, m, n)):
        raise ValueError(
            f"kf_update: H must have shape ({m}, {n}) or ({N}, {m}, {n}); got {H.shape}"
        )
    if R.shape not in ((m, m), (N, m, m)):
        raise ValueError(
            f"kf_update: R must have shape ({m}, {m}) or ({N}, {m}, {m}); got {R.shape}"
        )
    H = np.broadcast_to(H, (N, m, n))
    R = np.broadcast_to(R, (N, m, m))
    nu = z - np.einsum("nij,nj->ni", H, x)
    xo, Po, S, nis_v = _joseph_update(x, P, nu, H, R)
    return KalmanUpdate(xo, Po, nu, S, nis_v)


# -- range rate, second order ---------------------------------------------------------------


def _range_rate_second_order(x: Array, P: Array, s: Array) -> tuple[Array, Array, Array, Array]:
    """Range rate h, its gradient (N, n), bias ½tr(MP) and extra variance ½tr(MPMP).

    In the tracking frame (rotations preserve range rate), with u the unit
    line of sight, ρ̇ = u·v and w = v − ρ̇u, the Hessian over [p, v] is
    M_pp = −(u wᵀ + w uᵀ + ρ̇(I − uuᵀ))/r², M_pv = (I − uuᵀ)/r, M_vv = 0.
    """
    N, n = x.shape
    diff = x[:, :3] - s
    r = np.sqrt(np.sum(diff * diff, axis=1))
    u = diff / r[:, None]
    v = x[:, 3:6]
    h = np.sum(u * v, axis=1)
    w = v - h[:, None] * u
    grad = np.zeros((N, n))
    grad[:, :3] = w / r[:, None]
    grad[:, 3:6] = u
    proj = np.eye(3) - u[:, :, None] * u[:, None, :]
    M = np.zeros((N, 6, 6))
    M[:, :3, :3] = (
        -(u[:, :, None] * w[:, None, :] + w[:, :, None] * u[:, None, :] + h[:, None, None] * proj)
        / (r * r)[:, None, None]
    )
    M[:, :3, 3:] = M[:, 3:, :3] = proj / r[:, None, None]
    MP = M @ P[:, :6, :6]
    bias = 0.5 * np.trace(MP, axis1=1, axis2=2)
    extra = 0.5 * np.einsum("nij,nji->n", MP, MP)
    return h, grad, bias, extra


def _range_rate_update(
    x: Array, P: Array, z_rr: Array, var_rr: Array, s: Array
) -> tuple[Array, Array]:
    """Scalar second-order range-rate update, Joseph form with the effective variance."""
    h, grad, bias, extra = _range_rate_second_order(x, P, s)
    H = grad[:, None, :]
    R_eff = (var_rr + extra)[:, None, None]
    nu = (z_rr - h - bias)[:, None]
    xo, Po, _, _ = _joseph_update(x, P, nu, H, R_eff)
    return xo, Po


def _check_rr_independent(R: Array, who: str) -> None:
    if np.any(R[:, 3, :3] != 0) or np.any(R[:, :3, 3] != 0):
        raise ValueError(
            f"{who}: the sequential range-rate update needs range-rate noise independent of the "
            "range/az/el noise (R[:, 3, :3] = 0); use range_rate_method='joint' or the UKF otherwise"
        )


def _joint_gating(
    x: Array, P: Array, z: Array, R: Array, s: Array, rot: Array, with_range_rate: bool
) -> tuple[Array, Array, Array, Array]:
    """Predicted measurement, H, innovation and S at the prior (second-order range-rate row)."""
    zhat, H = _jacobian_core(x, s, rot, with_range_rate)
    S = H @ P @ _T(H) + R
    if with_range_rate:
        _, _, bias, extra = _range_rate_second_order(x, P, s)
        zhat[:, 3] += bias
        S[:, 3, 3] += extra
    nu = z - zhat
    nu[:, 1] = wrap_deg(nu[:, 1])
    return zhat, H, nu, _sym(S)


class Innovation(NamedTuple):
    """Innovation (N, m), its covariance S (N, m, m) and NIS (N,) of a predicted state."""

    innovation: Array
    S: Array
    nis: Array


def aer_innovation(
    x: ArrayLike,
    P: ArrayLike,
    z: ArrayLike,
    R: ArrayLike,
    radar_enu_m: ArrayLike,
    radar_rot: ArrayLike,
    with_range_rate: bool = False,
) -> Innovation:
    """What gating needs, without updating: ν, S and νᵀS⁻¹ν of AER measurements.

    Linearised as :func:`ekf_update`, with the range-rate row's second-order
    bias and variance; the same values ``ekf_update`` returns. ``z`` (N, m)
    pairs row by row with ``x``; to score every track against every
    detection, repeat the rows.
    """
    who = "aer_innovation"
    x, P = _check_state(x, P, who)
    N = x.shape[0]
    s, rot = _check_radar(radar_enu_m, radar_rot, N, who)
    z, R = _check_meas(z, R, N, with_range_rate, who)
    _, _, nu, S = _joint_gating(x, P, z, R, s, rot, with_range_rate)
    return Innovation(nu, S, np.einsum("ni,ni->n", nu, _solve_spd(S, nu[..., None])[..., 0]))


# -- EKF ------------------------------------------------------------------------------------


def ekf_update(
    x: ArrayLike,
    P: ArrayLike,
    z: ArrayLike,
    R: ArrayLike,
    radar_enu_m: ArrayLike,
    radar_rot: ArrayLike,
    with_range_rate: bool = False,
    range_rate_method: str = "sequential",
) -> KalmanUpdate:
    """Extended Kalman update with AER measurements (see the module notes for conventions).

    ``range_rate_method``: ``"sequential"`` (default: position part, then a
    second-order range-rate update) or ``"joint"`` (plain first-order joint
    update over all four, as Stone Soup's ``ExtendedKalmanUpdater``).
    """
    who = "ekf_update"
    x, P = _check_state(x, P, who)
    N = x.shape[0]
    s, rot = _check_radar(radar_enu_m, radar_rot, N, who)
    z, R = _check_meas(z, R, N, with_range_rate, who)
    if range_rate_method not in ("sequential", "joint"):
        raise ValueError(
            f"{who}: range_rate_method must be 'sequential' or 'joint'; got {range_rate_method!r}"
        )
    if not with_range_rate or range_rate_method == "joint":
        zhat, H = _jacobian_core(x, s, rot, with_range_rate)
        nu = z - zhat
        nu[:, 1] = wrap_deg(nu[:, 1])
        xo, Po, S, nis_v = _joseph_update(x, P, nu, H, R)
        return KalmanUpdate(xo, Po, nu, S, nis_v)
    _check_rr_independent(R, who)
    _, H, nu, S = _joint_gating(x, P, z, R, s, rot, True)
    nis_v = np.einsum("ni,ni->n", nu, _solve_spd(S, nu[..., None])[..., 0])
    x1, P1, _, _ = _joseph_update(x, P, nu[:, :3], H[:, :3], R[:, :3, :3], S[:, :3, :3])
    xo, Po = _range_rate_update(x1, P1, z[:, 3], R[:, 3, 3], s)
    return KalmanUpdate(xo, Po, nu, S, nis_v)


def ekf_cv_predict_update(
    x: ArrayLike,
    P: ArrayLike,
    dt_s: ArrayLike,
    q_m2ps3: ArrayLike,
    z: ArrayLike,
    R: ArrayLike,
    radar_enu_m: ArrayLike,
    radar_rot: ArrayLike,
    with_range_rate: bool = False,
) -> KalmanUpdate:
    """Compiled CV predict by ``dt_s`` then EKF update: the tracker's hot path, n = 6.

    Same result as ``ConstantVelocity(q_m2ps3).predict`` followed by
    :func:`ekf_update` (sequential range rate), to rounding; innovation and S
    are those of the predicted state.
    """
    who = "ekf_cv_predict_update"
    x, P = _check_state(x, P, who)
    N, n = x.shape
    if n != 6:
        raise ValueError(f"{who}: the compiled path is for the 6-state CV model; got n = {n}")
    dt = np.asarray(dt_s, dtype=float)
    if dt.shape not in ((), (N,)) or not np.all(np.isfinite(dt)) or np.any(dt < 0):
        raise ValueError(f"{who}: dt_s must be a scalar or (N,) = ({N},), finite and ≥ 0 s")
    q = np.asarray(q_m2ps3, dtype=float)
    q = np.full(3, float(q)) if q.ndim == 0 else q
    if q.shape != (3,) or not np.all(np.isfinite(q)) or np.any(q < 0):
        raise ValueError(
            f"{who}: q_m2ps3 must be a value ≥ 0 or three (east, north, up); got {q_m2ps3!r}"
        )
    s, rot = _check_radar(radar_enu_m, radar_rot, N, who)
    R_arg = R
    z, R = _check_meas(z, R, N, with_range_rate, who)
    if with_range_rate:
        _check_rr_independent(np.asarray(R_arg, dtype=float).reshape(-1, 4, 4), who)
    m = z.shape[1]
    xo = np.empty((N, 6))
    Po = np.empty((N, 6, 6))
    nu = np.empty((N, m))
    S = np.empty((N, m, m))
    nis_v = np.empty(N)
    if N:
        # Shared arguments travel with a leading dimension of 1, not copied per row.
        R_in = np.asarray(R_arg, dtype=float)

        def arg(a: Array) -> Array:
            # C-contiguous and writeable, so one compiled signature serves every caller.
            return np.require(a, dtype=np.float64, requirements=["C", "W"])

        _cv_ekf_serial(
            arg(x),
            arg(P),
            arg(dt.reshape(-1)),
            arg(q),
            arg(z),
            arg(R_in.reshape((-1, m, m))),
            arg(s.reshape(-1, 3)),
            arg(rot.reshape(-1, 3, 3)),
            bool(with_range_rate),
            xo,
            Po,
            nu,
            S,
            nis_v,
        )
    return KalmanUpdate(xo, Po, nu, S, nis_v)
