"""Numba kernels: a projectile's state and its sensitivity to the fit's unknowns, flown together.

Private module; :mod:`gbad.locating.dynamics` is the public face. The state is flown
by `gbad.locating._kernel`'s own step, so it is the same to the bit as
`propagate_kernel`'s; beside it the tangent-linear RK4 carries S = ∂state/∂θ, each
stage's tangent being A·S + B with A = ∂f/∂state and B = ∂f/∂(parameters), all
analytic: J2 gravity, the Earth's rotation, drag through the air's density and speed
of sound (US 1976, their slopes in height), the C_D(M) table's slope and thrust.

The unknowns θ are the initial state (columns 0–5, S starts as the identity there)
and parameters the caller maps onto the flight's physical ones through ``dphys``
(5, P) per trajectory: rows drag factor κ, ignition time, burnout time, thrust and
mass flow (both per burnout mass). A motor switch that moves with θ adds the
saltation (f⁻ − f⁺)·∂τ/∂θ when the flight passes it (the sign of the direction of
flight).

This replaces finite differences of ten trajectories by one flight of about three
trajectories' cost, and its derivatives are those of the model rather than of a
difference quotient.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from gbad.earth.atmosphere import density_and_speed_of_sound_slopes_scalar
from gbad.earth.wgs84 import GM_M3PS2, J2, OMEGA_EARTH_RADPS, WGS84_A_M, WGS84_B_M, WGS84_E2
from gbad.locating._kernel import (
    DIVERGED_MPS,
    WORLD_WGS84,
    _acc,
    _hermite_into,
    _next_step,
)

#: Rows of ``dphys``: what each unknown moves.
PHYS_KAPPA = 0
PHYS_IGNITION = 1
PHYS_BURNOUT = 2
PHYS_THRUST = 3
PHYS_MASS_FLOW = 4
N_PHYS = 5


@njit(cache=True)
def _gravity_jac(x, y, z, jac):
    """J2 gravity's factors (F, G: a = (F·x, F·y, G·z), as `_accel_air` has them) and the
    gradient of gravity with the centrifugal term (into jac[:, 0:3])."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    f = -GM_M3PS2 / (r2 * r)
    zr2 = z * z / r2
    k = 1.5 * J2 * WGS84_A_M * WGS84_A_M / r2
    fxy = f * (1.0 + k * (1.0 - 5.0 * zr2))
    fz = f * (1.0 + k * (3.0 - 5.0 * zr2))
    for i in range(3):
        ri = x if i == 0 else (y if i == 1 else z)
        df = -3.0 * f * ri / r2
        dk = -2.0 * k * ri / r2
        dzeta = -2.0 * zr2 * ri / r2 + (2.0 * z / r2 if i == 2 else 0.0)
        dfxy = df * (1.0 + k * (1.0 - 5.0 * zr2)) + f * (dk * (1.0 - 5.0 * zr2) - 5.0 * k * dzeta)
        dfz = df * (1.0 + k * (3.0 - 5.0 * zr2)) + f * (dk * (3.0 - 5.0 * zr2) - 5.0 * k * dzeta)
        jac[0, i] = dfxy * x
        jac[1, i] = dfxy * y
        jac[2, i] = dfz * z
    w2 = OMEGA_EARTH_RADPS * OMEGA_EARTH_RADPS
    jac[0, 0] += fxy + w2
    jac[1, 1] += fxy + w2
    jac[2, 2] += fz
    return fxy, fz


@njit(cache=True)
def _height_grad(x, y, z, out):
    """The radial height the truth looks its air up at (`_approx_height_m`, the same
    arithmetic), and its gradient (into out)."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    cos2 = (x * x + y * y) / r2
    q = 1.0 - WGS84_E2 * cos2
    # h = r − b/√q, so ∂h/∂cos² = −b·e²/(2·q^1.5).
    dh_dc = -0.5 * WGS84_B_M * WGS84_E2 / (q * math.sqrt(q))
    out[0] = x / r + dh_dc * 2.0 * x * (1.0 - cos2) / r2
    out[1] = y / r + dh_dc * 2.0 * y * (1.0 - cos2) / r2
    out[2] = z / r - dh_dc * 2.0 * cos2 * z / r2
    return r - WGS84_B_M / math.sqrt(q)


@njit(cache=True)
def _accel_jac(st, m_rel, thrust, kappa, cd_row, mach_step, world, flat, air, acc, jac, dpar, grad):
    """Acceleration of ``st`` (into acc) and its partials: jac (3, 6) in the state, dpar
    (3, 3) in (κ, mass relative to burnout, thrust per burnout mass).

    The acceleration is `_kernel._acc`'s, operation for operation (the flat world's
    textbook air, or the truth's `_accel_air` in one layer of wind), so that a flight
    stepped from it is `propagate_kernel`'s to the bit."""
    for i in range(3):
        for j in range(6):
            jac[i, j] = 0.0
        for j in range(3):
            dpar[i, j] = 0.0
    x, y, z, vx, vy, vz = st[0], st[1], st[2], st[3], st[4], st[5]
    if world == WORLD_WGS84:
        fxy, fz = _gravity_jac(x, y, z, jac)
        w = OMEGA_EARTH_RADPS
        ax = fxy * x + (2.0 * w * vy + w * w * x)
        ay = fxy * y + (-2.0 * w * vx + w * w * y)
        az = fz * z
        jac[0, 4] += 2.0 * w
        jac[1, 3] -= 2.0 * w
        h = _height_grad(x, y, z, grad)
        u0, u1, u2 = vx - air[0], vy - air[1], vz - air[2]
    else:
        ax, ay, az = 0.0, 0.0, 0.0
        h = z
        grad[0], grad[1], grad[2] = 0.0, 0.0, 1.0
        u0, u1, u2 = vx, vy, vz
    speed = math.sqrt(u0 * u0 + u1 * u1 + u2 * u2)
    if world == WORLD_WGS84:
        if speed > 0.0:
            s_thr = thrust / (m_rel * speed) if thrust > 0.0 else 0.0
            rho, snd, drho, dsnd = density_and_speed_of_sound_slopes_scalar(h)
            rho *= air[3]
            drho *= air[3]
            mach = speed / (snd * air[4] * mach_step)
            dsnd *= air[4]
            snd *= air[4]
            n = cd_row.shape[0]
            if mach >= n - 1:
                cd = cd_row[n - 1]
                slope = 0.0
            else:
                i = int(mach)
                slope = cd_row[i + 1] - cd_row[i]
                cd = cd_row[i] + (mach - i) * slope
            s = s_thr - 0.5 * rho * cd * kappa * speed / m_rel
            dcd_ds = slope / (snd * mach_step)  # through the Mach number
            dcd_dh = -slope * mach / snd * dsnd
            ax += s * u0
            ay += s * u1
            az += s * u2
    else:
        rho = flat[1] * math.exp(-z / flat[2])
        s = -0.5 * rho * kappa * speed / m_rel
        s_thr = 0.0
        if thrust > 0.0 and speed > 0.0:
            s_thr = thrust / (m_rel * speed)
            s += s_thr
        ax, ay, az = s * vx, s * vy, s * vz - flat[0]
        drho = -rho / flat[2]
        cd = 1.0
        dcd_ds = 0.0
        dcd_dh = 0.0
    acc[0], acc[1], acc[2] = ax, ay, az
    if speed <= 0.0:
        return
    # Drag −D·s·u with D = ½ρ·cd·κ/m; thrust T/m along û (a finned round weathercocks).
    d_coef = 0.5 * rho * cd * kappa / m_rel
    dd_dh = 0.5 * kappa / m_rel * (drho * cd + rho * dcd_dh)
    dd_ds = 0.5 * rho * kappa / m_rel * dcd_ds
    for i in range(3):
        ui = u0 if i == 0 else (u1 if i == 1 else u2)
        for j in range(3):
            uj = u0 if j == 0 else (u1 if j == 1 else u2)
            eye = 1.0 if i == j else 0.0
            # ∂(−D·s·u_i)/∂v_j, D a function of s, and ∂(T/m·û_i)/∂v_j.
            jac[i, 3 + j] += (
                -d_coef * (speed * eye + ui * uj / speed)
                - ui * dd_ds * uj
                + s_thr * (eye - ui * uj / (speed * speed))
            )
            jac[i, j] -= speed * ui * dd_dh * grad[j]
        dpar[i, 0] = -0.5 * rho * cd * speed * ui / m_rel
        dpar[i, 1] = -(s_thr - d_coef * speed) * ui / m_rel
        dpar[i, 2] = ui / (m_rel * speed) if thrust > 0.0 else 0.0


@njit(cache=True)
def _tangent_step(st, sens, t, h, kappa, motor, cd_row, mach_step, world, flat, air, dphys, ws):
    """One RK4 step of the state (`_kernel._rk4`'s, to the bit) and of S beside it:
    S ← S + h/6·(K1 + 2K2 + 2K3 + K4). ``ws``: scratch."""
    y, acc, kst, kk, jac, dpar, grad, tan = ws
    p = sens.shape[1]
    on = motor[0] <= t + 0.5 * h < motor[1]
    if on:
        # As `_rk4` has them: the truth's step takes the ends' masses and their mean.
        m_a = 1.0 + motor[3] * (motor[1] - t)
        m_b = 1.0 + motor[3] * (motor[1] - t - h)
        thrust = motor[2]
    else:
        m_a = 1.0
        m_b = 1.0
        thrust = 0.0
    for stage in range(4):
        c = 0.0 if stage == 0 else (0.5 if stage < 3 else 1.0)
        for i in range(6):
            y[i] = st[i]
            for j in range(p):
                tan[i, j] = sens[i, j]
            if stage > 0:
                y[i] = st[i] + c * h * kst[stage - 1, i]
                for j in range(p):
                    tan[i, j] += c * h * kk[stage - 1, i, j]
        t_s = t + c * h
        if world == WORLD_WGS84:
            m_rel = m_a if stage == 0 else (0.5 * (m_a + m_b) if stage < 3 else m_b)
        else:
            m_rel = 1.0 + motor[3] * (motor[1] - t_s) if on else 1.0
        _accel_jac(
            y, m_rel, thrust, kappa, cd_row, mach_step, world, flat, air, acc, jac, dpar, grad
        )
        for i in range(3):
            kst[stage, i] = y[3 + i]
            kst[stage, 3 + i] = acc[i]
        for j in range(p):
            dm = 0.0
            dth = 0.0
            if on:
                dm = motor[3] * dphys[PHYS_BURNOUT, j] + (motor[1] - t_s) * dphys[PHYS_MASS_FLOW, j]
                dth = dphys[PHYS_THRUST, j]
            for i in range(3):
                kk[stage, i, j] = tan[3 + i, j]
                a = dpar[i, 0] * dphys[PHYS_KAPPA, j] + dpar[i, 1] * dm + dpar[i, 2] * dth
                for q in range(6):
                    a += jac[i, q] * tan[q, j]
                kk[stage, 3 + i, j] = a
    h6 = h / 6.0
    for i in range(6):
        if world == WORLD_WGS84:
            st[i] = st[i] + h6 * (kst[0, i] + 2.0 * kst[1, i] + 2.0 * kst[2, i] + kst[3, i])
        else:
            st[i] += h / 6.0 * (kst[0, i] + 2.0 * kst[1, i] + 2.0 * kst[2, i] + kst[3, i])
        for j in range(p):
            sens[i, j] += h6 * (kk[0, i, j] + 2.0 * kk[1, i, j] + 2.0 * kk[2, i, j] + kk[3, i, j])


@njit(cache=True)
def _saltation(st, sens, t_prev, t, direction, kappa, motor, cd_row, mach_step, world, flat,
               air, dphys):  # fmt: skip
    """Where the flight has just reached a motor switch that moves with θ, S's velocity
    rows jump by direction·(a⁻ − a⁺)·∂τ/∂θ (a⁻ before the switch in time, a⁺ after)."""
    p = sens.shape[1]
    for sw in range(2):
        tau = motor[sw]
        if not math.isfinite(tau) or abs(t - tau) > 1e-12 or abs(t_prev - tau) <= 1e-12:
            continue
        # Ignition: off before, on after; burnout: on before, off after.
        a_on = _acc(st, tau, kappa, motor, True, cd_row, mach_step, world, flat, air)
        a_off = _acc(st, tau, kappa, motor, False, cd_row, mach_step, world, flat, air)
        row = PHYS_IGNITION if sw == 0 else PHYS_BURNOUT
        sign = direction if sw == 1 else -direction
        for i in range(3):
            jump = sign * (a_on[i] - a_off[i])
            for j in range(p):
                sens[3 + i, j] += jump * dphys[row, j]


@njit(cache=True)
def _hermite_tangent(sp, sq, h, s, out):
    """`_hermite_into`'s cubic Hermite, applied to each column of S (into out, (6, P))."""
    s2 = s * s
    s3 = s2 * s
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = (s3 - 2.0 * s2 + s) * h
    h01 = -2.0 * s3 + 3.0 * s2
    h11 = (s3 - s2) * h
    d00 = (6.0 * s2 - 6.0 * s) / h
    d10 = 3.0 * s2 - 4.0 * s + 1.0
    d01 = (-6.0 * s2 + 6.0 * s) / h
    d11 = 3.0 * s2 - 2.0 * s
    for i in range(3):
        for j in range(sp.shape[1]):
            p0, v0, p1, v1 = sp[i, j], sp[3 + i, j], sq[i, j], sq[3 + i, j]
            out[i, j] = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
            out[3 + i, j] = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1


@njit(cache=True)
def propagate_tangent_kernel(
    x0,  # (M, 6)
    kappa,  # (M,)
    t0,  # (M,)
    t_out,  # (M, K) ascending, NaN padding at the end
    motor,  # (M, 4)
    cd_tables,
    cd_index,
    mach_step,
    world,
    flat,
    air,  # (M, 5)
    dt,
    slot,  # (M, K) the column of out each time's state goes to
    dphys,  # (M, N_PHYS, P): ∂(κ, ignition, burnout, thrust, mass flow)/∂θ
    out,  # (M, K, 6) out: states, as `propagate_kernel` gives them
    sens_out,  # (M, K, 6, P) out: ∂state/∂θ at the output times (held fixed)
):
    m_traj, k_out = t_out.shape
    p = dphys.shape[2]
    for j in range(m_traj):
        tmp = np.empty(6)
        ws = (
            np.empty(6),
            np.empty(3),
            np.empty((4, 6)),
            np.empty((4, 6, p)),
            np.empty((3, 6)),
            np.empty((3, 3)),
            np.empty(3),
            np.empty((6, p)),
        )
        sens = np.empty((6, p))
        sens_prev = np.empty((6, p))
        cd_row = cd_tables[cd_index[j]]
        n_valid = 0
        while n_valid < k_out and not math.isnan(t_out[j, n_valid]):
            n_valid += 1
        for k in range(n_valid, k_out):
            out[j, slot[j, k], :] = np.nan
            sens_out[j, slot[j, k], :, :] = np.nan
        split = 0
        while split < n_valid and t_out[j, split] < t0[j]:
            split += 1
        prev = np.empty(6)
        for direction in (1.0, -1.0):
            st = x0[j].copy()
            sens[:, :] = 0.0
            for i in range(6):
                if i < p:
                    sens[i, i] = 1.0
            t = t0[j]
            if direction > 0:
                k, k_to, k_inc = split, n_valid, 1
            else:
                k, k_to, k_inc = split - 1, -1, -1
            while k != k_to and abs(t_out[j, k] - t) <= 1e-12:
                out[j, slot[j, k], :] = st
                sens_out[j, slot[j, k], :, :] = sens
                k += k_inc
            while k != k_to:
                prev[:] = st
                sens_prev[:, :] = sens
                h = _next_step(t, t + direction * dt, dt, direction, motor[j])
                _tangent_step(
                    st, sens, t, h, kappa[j], motor[j], cd_row, mach_step, world, flat, air[j],
                    dphys[j], ws,
                )  # fmt: skip
                t_new = t + h
                v2 = st[3] * st[3] + st[4] * st[4] + st[5] * st[5]
                if not v2 < DIVERGED_MPS * DIVERGED_MPS:
                    while k != k_to:
                        out[j, slot[j, k], :] = np.nan
                        sens_out[j, slot[j, k], :, :] = np.nan
                        k += k_inc
                    break
                while k != k_to and (t_new - t_out[j, k]) * direction >= -1e-12:
                    s = (t_out[j, k] - t) / h
                    _hermite_into(prev, st, h, s, tmp)
                    out[j, slot[j, k], :] = tmp
                    _hermite_tangent(sens_prev, sens, h, s, sens_out[j, slot[j, k]])
                    k += k_inc
                _saltation(
                    st, sens, t, t_new, direction, kappa[j], motor[j], cd_row, mach_step, world,
                    flat, air[j], dphys[j],
                )  # fmt: skip
                t = t_new


@njit(cache=True)
def state_rate_kernel(states, t, side, kappa, motor, cd_tables, cd_index, mach_step, world, flat,
                      air, out):  # fmt: skip
    """d(state)/dt (M, 6) of ``states`` at times ``t``, the motor's phase taken just
    after ``t`` (side +1) or just before (−1): the time derivative an output at a moving
    time needs, on the side the flight reached it from."""
    for j in range(states.shape[0]):
        m = motor[j]
        tm = t[j] + side[j] * 1e-9
        on = m[0] <= tm < m[1]
        a = _acc(states[j], t[j], kappa[j], m, on, cd_tables[cd_index[j]], mach_step, world,
                 flat, air[j])  # fmt: skip
        for i in range(3):
            out[j, i] = states[j, 3 + i]
            out[j, 3 + i] = a[i]
