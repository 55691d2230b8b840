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


# Inlined by Numba (into `_tangent_step`, itself inlined into the kernel): a call pays an
# atomic reference count on each array it passes, which cost more than the arithmetic.
@njit(cache=True, inline="always")
def _accel_jac(st, m_rel, thrust, kappa, cd_row, mach_step, world, flat, air, acc, jac, dpar):
    """Acceleration of ``st`` (into acc) and its partials: jac (3, 6) in the state, dpar
    (3, 3) in (κ, mass relative to burnout, thrust per burnout mass), every entry written.

    The acceleration is `_kernel._acc`'s, operation for operation (the flat world's
    textbook air, or the truth's `_accel_air` in one layer of wind), so that a flight
    stepped from it is `propagate_kernel`'s to the bit. The partials are the same
    mathematics in fewer operations (reciprocals for quotients, common factors drawn
    out), so they agree with a term-by-term derivation to rounding only."""
    x, y, z, vx, vy, vz = st[0], st[1], st[2], st[3], st[4], st[5]
    if world == WORLD_WGS84:
        # Gravity as `_accel_air` has it: a = (F·x, F·y, G·z) with F, G of f, k, ζ = z²/r².
        r2 = x * x + y * y + z * z
        r = math.sqrt(r2)
        f = -GM_M3PS2 / (r2 * r)
        zr2 = z * z / r2
        k = 1.5 * J2 * WGS84_A_M * WGS84_A_M / r2
        fxy = f * (1.0 + k * (1.0 - 5.0 * zr2))
        fz = f * (1.0 + k * (3.0 - 5.0 * zr2))
        w = OMEGA_EARTH_RADPS
        ax = fxy * x + (2.0 * w * vy + w * w * x)
        ay = fxy * y + (-2.0 * w * vx + w * w * y)
        az = fz * z
        # Its gradient: ∂f/∂r_i = −3f·r_i/r², ∂k/∂r_i = −2k·r_i/r², ∂ζ/∂r_i = −2ζ·r_i/r²
        # (+ 2z/r² for r_i = z) gather into ∂F/∂r_i = c_F·r_i/r², ∂G/∂r_i = c_G·r_i/r²,
        # each with −10fk·z/r² more for r_i = z; centrifugal ω² on the diagonal.
        e = 1.0 / r2
        ex, ey, ez = x * e, y * e, z * e
        c_f = f * (-3.0 - 5.0 * k + 35.0 * k * zr2)
        c_g = f * (-3.0 - 15.0 * k + 35.0 * k * zr2)
        c_zz = 10.0 * f * k
        w2 = w * w
        j00, j01, j02 = c_f * ex * x + (fxy + w2), c_f * ey * x, (c_f - c_zz) * ez * x
        j10, j11, j12 = c_f * ex * y, c_f * ey * y + (fxy + w2), (c_f - c_zz) * ez * y
        j20, j21, j22 = c_g * ex * z, c_g * ey * z, (c_g - c_zz) * ez * z + fz
        cor = 2.0 * w
        # The radial height the truth looks its air up at (`_approx_height_m`, the same
        # arithmetic), h = r − b/√q with q = 1 − e²·cos²; ∂h/∂cos² = −b·e²/(2·q^1.5).
        cos2 = (x * x + y * y) / r2
        q = 1.0 - WGS84_E2 * cos2
        b_q = WGS84_B_M / math.sqrt(q)
        h = r - b_q
        dh_dc = -0.5 * WGS84_E2 * b_q / q
        inv_r = r * e
        g_xy = inv_r + dh_dc * 2.0 * (1.0 - cos2) * e
        g0, g1, g2 = x * g_xy, y * g_xy, z * (inv_r - dh_dc * 2.0 * cos2 * e)
        u0, u1, u2 = vx - air[0], vy - air[1], vz - air[2]
    else:
        ax, ay, az = 0.0, 0.0, 0.0
        j00 = j01 = j02 = j10 = j11 = j12 = j20 = j21 = j22 = 0.0
        cor = 0.0
        h = z
        g0, g1, g2 = 0.0, 0.0, 1.0
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
            n = cd_row.shape[0]
            if mach >= n - 1:
                cd = cd_row[n - 1]
                slope = 0.0
            else:
                i = int(mach)
                slope = cd_row[i + 1] - cd_row[i]
                cd = cd_row[i] + (mach - i) * slope
            s = s_thr - 0.5 * rho * cd * kappa * speed / m_rel
            # C_D through the Mach number: ∂M/∂s = 1/(a·step) = M/s, ∂M/∂h = −M·a'/a.
            m_s = mach / speed
            dcd_ds = slope * m_s
            dcd_dh = -slope * mach * (m_s * mach_step) * dsnd
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
    jac[0, 0], jac[0, 1], jac[0, 2] = j00, j01, j02
    jac[1, 0], jac[1, 1], jac[1, 2] = j10, j11, j12
    jac[2, 0], jac[2, 1], jac[2, 2] = j20, j21, j22
    if speed <= 0.0:
        for i in range(3):
            for j in range(3):
                jac[i, 3 + j] = 0.0
                dpar[i, j] = 0.0
        jac[0, 4] = cor
        jac[1, 3] = -cor
        return
    # Drag −D·s·u with D = ½ρ·cd·κ/m, D of s (C_D's Mach) and of the height (ρ, a);
    # thrust T/m along û (a finned round weathercocks): s_thr = T/(m·s).
    inv_s = 1.0 / speed
    inv_m = 1.0 / m_rel
    d_coef = 0.5 * rho * cd * kappa * inv_m
    dd_dh = 0.5 * kappa * inv_m * (drho * cd + rho * dcd_dh)
    dd_ds = 0.5 * rho * kappa * inv_m * dcd_ds
    # ∂a_i/∂v_j = (s_thr − D·s)·δ_ij − (D/s + dD/ds + s_thr/s²)·u_i·u_j, and Coriolis.
    c_diag = s_thr - d_coef * speed
    c_uu = -(d_coef + s_thr * inv_s) * inv_s - dd_ds
    q0, q1, q2 = c_uu * u0, c_uu * u1, c_uu * u2
    jac[0, 3] = q0 * u0 + c_diag
    jac[0, 4] = q0 * u1 + cor
    jac[0, 5] = q0 * u2
    jac[1, 3] = q1 * u0 - cor
    jac[1, 4] = q1 * u1 + c_diag
    jac[1, 5] = q1 * u2
    jac[2, 3] = q2 * u0
    jac[2, 4] = q2 * u1
    jac[2, 5] = q2 * u2 + c_diag
    # ∂a_i/∂r_j: −s·u_i·dD/dh·∂h/∂r_j.
    c_h = speed * dd_dh
    for i in range(3):
        ui = u0 if i == 0 else (u1 if i == 1 else u2)
        c = c_h * ui
        jac[i, 0] -= c * g0
        jac[i, 1] -= c * g1
        jac[i, 2] -= c * g2
    # ∂a/∂κ = −½ρ·cd·s·u/m; ∂a/∂m = −(s_thr − D·s)·u/m; ∂a/∂T = û/m (burning only).
    dp0 = -0.5 * rho * cd * speed * inv_m
    dp1 = -c_diag * inv_m
    dp2 = inv_m * inv_s if thrust > 0.0 else 0.0
    dpar[0, 0], dpar[0, 1], dpar[0, 2] = dp0 * u0, dp1 * u0, dp2 * u0
    dpar[1, 0], dpar[1, 1], dpar[1, 2] = dp0 * u1, dp1 * u1, dp2 * u1
    dpar[2, 0], dpar[2, 1], dpar[2, 2] = dp0 * u2, dp1 * u2, dp2 * u2


@njit(cache=True, inline="always")
def _tangent_step(st, sens, t, h, kappa, motor, cd_row, mach_step, world, flat, air, dphys, ws):
    """One RK4 step of the state (`_kernel._rk4`'s, to the bit) and of S beside it:
    S ← S + h/6·(K1 + 2K2 + 2K3 + K4). ``ws``: scratch (stage state, acceleration, the
    state's k, and each stage's jac (4, 3, 6) and dpar (4, 3, 3))."""
    y, acc, kst, jac, dpar = ws
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
    # The state's four stages first: they do not depend on S, and leave each stage's
    # Jacobians (jac, dpar: (4, 3, 6), (4, 3, 3)) for S's columns to be flown after.
    for stage in range(4):
        c = 0.0 if stage == 0 else (0.5 if stage < 3 else 1.0)
        for i in range(6):
            y[i] = st[i]
            if stage > 0:
                y[i] = st[i] + c * h * kst[stage - 1, i]
        if world == WORLD_WGS84:
            m_rel = m_a if stage == 0 else (0.5 * (m_a + m_b) if stage < 3 else m_b)
        else:
            m_rel = 1.0 + motor[3] * (motor[1] - (t + c * h)) if on else 1.0
        _accel_jac(
            y, m_rel, thrust, kappa, cd_row, mach_step, world, flat, air, acc, jac[stage],
            dpar[stage],
        )  # fmt: skip
        for i in range(3):
            kst[stage, i] = y[3 + i]
            kst[stage, 3 + i] = acc[i]
    h6 = h / 6.0
    for i in range(6):
        if world == WORLD_WGS84:
            st[i] = st[i] + h6 * (kst[0, i] + 2.0 * kst[1, i] + 2.0 * kst[2, i] + kst[3, i])
        else:
            st[i] += h / 6.0 * (kst[0, i] + 2.0 * kst[1, i] + 2.0 * kst[2, i] + kst[3, i])
    # Then S a column at a time, its four stages in registers. A stage's tangent is
    # T = S + c·h·K_prev, and K's position rows are T's velocity rows, so K_prev's are
    # the previous T's. Sums as the full K's would have them: K1 + 2K2 + 2K3 + K4.
    hh = 0.5 * h
    # The time to burnout at each stage (the mass's lever on the mass flow).
    tb0 = motor[1] - t
    tb1 = motor[1] - (t + hh)
    tb3 = motor[1] - (t + h)
    dmb = dmf = 0.0
    dm = dth = 0.0
    for j in range(p):
        s0, s1, s2 = sens[0, j], sens[1, j], sens[2, j]
        s3, s4, s5 = sens[3, j], sens[4, j], sens[5, j]
        dk = dphys[PHYS_KAPPA, j]
        if on:
            dmb = motor[3] * dphys[PHYS_BURNOUT, j]
            dmf = dphys[PHYS_MASS_FLOW, j]
            dth = dphys[PHYS_THRUST, j]
        # T's velocity rows (= K's position rows) and K's velocity rows, of the stage before.
        v0, v1, v2 = s3, s4, s5
        p0, p1, p2 = s0, s1, s2
        k0 = k1 = k2 = 0.0
        sp0 = sp1 = sp2 = sv0 = sv1 = sv2 = 0.0
        for stage in range(4):
            if stage > 0:
                ch = hh if stage < 3 else h
                p0, p1, p2 = s0 + ch * v0, s1 + ch * v1, s2 + ch * v2
                v0, v1, v2 = s3 + ch * k0, s4 + ch * k1, s5 + ch * k2
            a0 = dpar[stage, 0, 0] * dk
            a1 = dpar[stage, 1, 0] * dk
            a2 = dpar[stage, 2, 0] * dk
            if on:
                # Off, the mass and thrust do not move with θ (their terms are nil).
                dm = dmb + (tb0 if stage == 0 else (tb1 if stage < 3 else tb3)) * dmf
                a0 = a0 + dpar[stage, 0, 1] * dm + dpar[stage, 0, 2] * dth
                a1 = a1 + dpar[stage, 1, 1] * dm + dpar[stage, 1, 2] * dth
                a2 = a2 + dpar[stage, 2, 1] * dm + dpar[stage, 2, 2] * dth
            k0 = (
                a0 + jac[stage, 0, 0] * p0 + jac[stage, 0, 1] * p1 + jac[stage, 0, 2] * p2
                + jac[stage, 0, 3] * v0 + jac[stage, 0, 4] * v1 + jac[stage, 0, 5] * v2
            )  # fmt: skip
            k1 = (
                a1 + jac[stage, 1, 0] * p0 + jac[stage, 1, 1] * p1 + jac[stage, 1, 2] * p2
                + jac[stage, 1, 3] * v0 + jac[stage, 1, 4] * v1 + jac[stage, 1, 5] * v2
            )  # fmt: skip
            k2 = (
                a2 + jac[stage, 2, 0] * p0 + jac[stage, 2, 1] * p1 + jac[stage, 2, 2] * p2
                + jac[stage, 2, 3] * v0 + jac[stage, 2, 4] * v1 + jac[stage, 2, 5] * v2
            )  # fmt: skip
            if stage == 0:
                sp0, sp1, sp2, sv0, sv1, sv2 = v0, v1, v2, k0, k1, k2
            elif stage < 3:
                sp0, sp1, sp2 = sp0 + 2.0 * v0, sp1 + 2.0 * v1, sp2 + 2.0 * v2
                sv0, sv1, sv2 = sv0 + 2.0 * k0, sv1 + 2.0 * k1, sv2 + 2.0 * k2
        sens[0, j] = s0 + h6 * (sp0 + v0)
        sens[1, j] = s1 + h6 * (sp1 + v1)
        sens[2, j] = s2 + h6 * (sp2 + v2)
        sens[3, j] = s3 + h6 * (sv0 + k0)
        sens[4, j] = s4 + h6 * (sv1 + k1)
        sens[5, j] = s5 + h6 * (sv2 + k2)


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


# Inlined, as `_accel_jac` is: it runs at most outputs, and passes three arrays.
@njit(cache=True, inline="always")
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
            np.empty((4, 3, 6)),
            np.empty((4, 3, 3)),
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
                for i in range(6):
                    prev[i] = st[i]
                    for q in range(p):
                        sens_prev[i, q] = sens[i, q]
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
                # Only a step that ends on a switch can jump (`_saltation`'s own test, first).
                if abs(t_new - motor[j, 0]) <= 1e-12 or abs(t_new - motor[j, 1]) <= 1e-12:
                    _saltation(
                        st, sens, t, t_new, direction, kappa[j], motor[j], cd_row, mach_step,
                        world, flat, air[j], dphys[j],
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
