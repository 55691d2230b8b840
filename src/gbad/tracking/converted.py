"""The converted-measurement Kalman filter on AER measurements (batched, as
:mod:`gbad.tracking.filters`, whose conventions it follows): Mo et al.'s unbiased,
measurement-conditioned conversion of a detection to a position and its covariance."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gbad.tracking.filters import (
    _T,
    RAD,
    Array,
    KalmanUpdate,
    _aer_core,
    _check_meas,
    _check_radar,
    _check_rr_independent,
    _check_state,
    _joseph_update,
    _range_rate_second_order,
    _range_rate_update,
    _solve_spd,
    _sym,
)


def _unit_vector(az: Array, el: Array) -> Array:
    """(cos el sin az, cos el cos az, sin el), (N, 3); angles in radians."""
    ce = np.cos(el)
    return np.stack([ce * np.sin(az), ce * np.cos(az), np.sin(el)], axis=-1)


def _moment_excess(az: Array, el: Array, var_az: Array, var_el: Array) -> Array:
    """E[g̃ g̃ᵀ] − g gᵀ (N, 3, 3) for the unit vector g̃ of angles Gaussian about (az, el).

    From E[cos kθ̃] = e^{−k²σ²/2} cos kθ (and sin) with a = 1 − e^{−2σ²} = E[1 − cos 2w]:
    E[cos² el~] = cos² el − ½a cos 2el, E[sin² az~] = sin² az + ½a cos 2az, …
    Written in the small quantities a and expm1(·) so that nothing cancels:
    the covariances are O(σ²) differences of O(1) moments.
    """
    a_az, a_el = -np.expm1(-2 * var_az), -np.expm1(-2 * var_el)
    c2a, c2e = np.cos(2 * az), np.cos(2 * el)
    sa, ca, se, ce = np.sin(az), np.cos(az), np.sin(el), np.cos(el)
    ce2, sa2, ca2 = ce * ce, sa * sa, ca * ca
    eps = np.empty((*az.shape, 3, 3))
    eps[..., 0, 0] = (
        0.5 * a_az * c2a * ce2 - 0.5 * a_el * c2e * sa2 - 0.25 * a_az * a_el * c2a * c2e
    )
    eps[..., 1, 1] = (
        -0.5 * a_az * c2a * ce2 - 0.5 * a_el * c2e * ca2 + 0.25 * a_az * a_el * c2a * c2e
    )
    eps[..., 2, 2] = 0.5 * a_el * c2e
    eps[..., 0, 1] = eps[..., 1, 0] = sa * ca * (-a_az * ce2 - 0.5 * a_el * c2e * (1 - a_az))
    cross = se * ce * np.expm1(-2 * var_el - 0.5 * var_az)
    eps[..., 0, 2] = eps[..., 2, 0] = cross * sa
    eps[..., 1, 2] = eps[..., 2, 1] = cross * ca
    return eps


def converted_measurement(
    z: ArrayLike,
    R: ArrayLike,
    radar_enu_m: ArrayLike,
    radar_rot: ArrayLike,
    about_enu_m: ArrayLike | None = None,
) -> tuple[Array, Array]:
    """Unbiased converted position (N, 3) in the tracking frame and its covariance (N, 3, 3).

    The multiplicative debiasing of Mo, Song, Zhou, Sun & Bar-Shalom
    ("Unbiased converted measurements for tracking", IEEE TAES 34(3), 1998),
    in 3-D: with λ = e^{−σ²/2} per angle (σ in radians),
    east = r cos el sin az / (λ_az λ_el), north = r cos el cos az / (λ_az λ_el),
    up = r sin el / λ_el, so E[converted | true] = true exactly for Gaussian
    angle noise. The covariance is exact, by the moments
    E[cos kθ̃] = λ^{k²} cos kθ:

    - ``about_enu_m`` given (N, 3) or (3,), the covariance of the conversion
      given the true point is there — in the CMKF, the predicted position, so
      that R does not correlate with this measurement's own noise (Duan, Han &
      Li, "Comments on 'Unbiased converted measurements for tracking'", IEEE
      TAES 40(4), 2004; Bordonaro, Willett & Bar-Shalom, "Decorrelated unbiased
      converted measurement Kalman filter", IEEE TAES 50(2), 2014);
    - otherwise the covariance of the true point given the measurement (Mo et
      al.'s measurement-conditioned form), for starting tracks.

    ``R`` (3|4 columns) must be diagonal over range, az, el.
    """
    who = "converted_measurement"
    z = np.asarray(z, dtype=float)
    if z.ndim != 2 or z.shape[1] not in (3, 4):
        raise ValueError(
            f"{who}: z must have shape (N, 3|4), rows [range_m, az_deg, el_deg, …]; got {z.shape}"
        )
    N = z.shape[0]
    z, R = _check_meas(z, R, N, z.shape[1] == 4, who)
    s, rot = _check_radar(radar_enu_m, radar_rot, N, who)
    Ra = R[:, :3, :3]
    if np.any(Ra[:, [0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1]] != 0):
        raise ValueError(f"{who}: R must be diagonal over range, az, el (independent noises)")
    var_r = Ra[:, 0, 0]
    var_az = Ra[:, 1, 1] * RAD * RAD
    var_el = Ra[:, 2, 2] * RAD * RAD
    # Debiasing factors d = 1/(λ_az λ_el), 1/(λ_az λ_el), 1/λ_el, as d = e^α.
    alpha = np.stack([0.5 * (var_az + var_el), 0.5 * (var_az + var_el), 0.5 * var_el], axis=-1)
    r, az, el = z[:, 0], z[:, 1] * RAD, z[:, 2] * RAD
    g = _unit_vector(az, el)
    conv = np.exp(alpha) * (r[:, None] * g)
    a_i, a_j = alpha[:, :, None], alpha[:, None, :]
    if about_enu_m is not None:
        # Cov(d∘r̃g̃ | truth) = (r² + σr²)(d dᵀ∘E[g̃g̃ᵀ]) − r² g gᵀ = r²Δ + σr²(g gᵀ + Δ),
        # Δ = d dᵀ∘E[g̃g̃ᵀ] − g gᵀ = κ∘g gᵀ + (1 + κ)∘ε, κ = d dᵀ − 1.
        about = np.broadcast_to(np.asarray(about_enu_m, dtype=float), (N, 3))
        rb, azb, elb, *_ = _aer_core(about, None, s, rot)
        gb = _unit_vector(azb * RAD, elb * RAD)
        ggt = gb[:, :, None] * gb[:, None, :]
        kappa = np.expm1(a_i + a_j)
        delta = kappa * ggt + (1 + kappa) * _moment_excess(azb * RAD, elb * RAD, var_az, var_el)
        cov = (rb**2)[:, None, None] * delta + var_r[:, None, None] * (ggt + delta)
    else:
        # Cov(truth | z) = x_u x_uᵀ − x_u mᵀ − m x_uᵀ + E[x xᵀ | z], m = E[x | z] = r̃ g/d:
        # r̃²(g gᵀ∘τ + ε) + σr²(g gᵀ + ε), τ = d_i d_j − d_i/d_j − d_j/d_i + 1.
        ggt = g[:, :, None] * g[:, None, :]
        tau = np.expm1(a_i + a_j) - np.expm1(a_i - a_j) - np.expm1(a_j - a_i)
        eps = _moment_excess(az, el, var_az, var_el)
        cov = (r**2)[:, None, None] * (ggt * tau + eps) + var_r[:, None, None] * (ggt + eps)
    rot_b = np.broadcast_to(rot, (N, 3, 3))
    pos = s + np.einsum("nji,nj->ni", rot_b, conv)
    cov_t = _T(rot_b) @ cov @ rot_b
    return pos, _sym(cov_t)


def cmkf_update(
    x: ArrayLike,
    P: ArrayLike,
    z: ArrayLike,
    R: ArrayLike,
    radar_enu_m: ArrayLike,
    radar_rot: ArrayLike,
    with_range_rate: bool = False,
) -> KalmanUpdate:
    """Converted-measurement Kalman update: unbiased AER → ENU conversion, then a linear update.

    The converted covariance is evaluated at the predicted position (see
    :func:`converted_measurement`). The returned innovation and S are the
    Cartesian position's (metres), plus the second-order range-rate row
    when ``with_range_rate``, which is then applied sequentially as in
    :func:`ekf_update`.
    """
    who = "cmkf_update"
    x, P = _check_state(x, P, who)
    N, n = x.shape
    s, rot = _check_radar(radar_enu_m, radar_rot, N, who)
    z, R = _check_meas(z, R, N, with_range_rate, who)
    pos, Rc = converted_measurement(z[:, :3], R[:, :3, :3], s, rot, about_enu_m=x[:, :3])
    H = np.zeros((N, 3, n))
    H[:, :, :3] = np.eye(3)
    nu = pos - x[:, :3]
    S = _sym(P[:, :3, :3] + Rc)
    if not with_range_rate:
        xo, Po, S, nis_v = _joseph_update(x, P, nu, H, Rc, S)
        return KalmanUpdate(xo, Po, nu, S, nis_v)
    _check_rr_independent(R, who)
    h, grad, bias, extra = _range_rate_second_order(x, P, s)
    Hf = np.concatenate([H, grad[:, None, :]], axis=1)
    S4 = Hf @ P @ _T(Hf)
    S4[:, :3, :3] += Rc
    S4[:, 3, 3] += R[:, 3, 3] + extra
    S4 = _sym(S4)
    nu4 = np.concatenate([nu, (z[:, 3] - h - bias)[:, None]], axis=1)
    nis_v = np.einsum("ni,ni->n", nu4, _solve_spd(S4, nu4[..., None])[..., 0])
    x1, P1, _, _ = _joseph_update(x, P, nu, H, Rc, S)
    xo, Po = _range_rate_update(x1, P1, z[:, 3], R[:, 3, 3], s)
    return KalmanUpdate(xo, Po, nu4, S4, nis_v)
