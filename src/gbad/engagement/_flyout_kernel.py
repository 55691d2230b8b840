"""Numba kernel behind :mod:`gbad.engagement.interceptor`: guided 3-DOF flyout in ECEF.

Private module; the public API and its conventions live in ``interceptor.py``.
Scalar code over one interceptor at a time, in a loop over interceptors (one
thread: see `gbad.locating._kernel`). Gravity (WGS-84 J2), the Coriolis and centrifugal terms, drag
(U.S. Standard Atmosphere 1976, C_D(M)) and thrust along the velocity come from
the world's ballistic kernel (:func:`gbad.world._ballistic_kernel._accel`), so
the interceptor and the threats it meets fly the same Earth and the same air.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from gbad.earth.atmosphere import density_and_speed_of_sound_scalar
from gbad.world._ballistic_kernel import (
    GRAVITY_J2,
    _accel,
    _approx_height_m,
    _hermite,
    geodetic_height_m,
)

# Columns of the per-interceptor parameter matrix.
P_MASS = 0
P_AREA = 1
P_IGNITION = 2  # s after launch
P_BOOST_T = 3  # s
P_BOOST_F = 4  # N
P_BOOST_MDOT = 5  # kg/s
P_SUST_T = 6
P_SUST_F = 7
P_SUST_MDOT = 8
P_ACC_MAX = 9  # m/s², the g limit
P_SIDE_ACC = 10  # m/s², control authority that needs no air (side thrusters / jet vanes)
P_Q_FULL = 11  # Pa, dynamic pressure at which the fins give the full g limit
P_TAU = 12  # s, autopilot lag
P_NAV = 13  # N'
P_HEADING_GAIN = 14  # 1/s, midcourse heading-error gain
P_ACQ_RANGE = 15  # m
P_MAX_TOF = 16  # s
P_MIN_SPEED = 17  # m/s, after burnout
P_GROUND_H = 18  # m above the ellipsoid
P_LOOK_COS = 19  # cosine of the seeker's half-angle field of regard
P_TGT_BALLISTIC = 20  # 1: the midcourse extrapolates the uplinked target under gravity and drag
P_TGT_BETA = 21  # kg/m², the target's ballistic coefficient m/(C_D·A) for that drag
P_IDEAL_SEEKER = 22  # 1: the seeker sees the true line of sight (no noise, radome or filter)
P_ANGLE_NOISE = 23  # rad, 1-σ thermal angle noise at lock-on range (falls as range²)
P_GLINT_M = 24  # m, 1-σ glint (apparent wander of the reflection centre over the target)
P_GLINT_TAU = 25  # s, glint correlation time
P_RADOME = 26  # rad/rad, radome boresight-error slope
P_FILTER_TAU = 27  # s, the guidance filter's time constant (LOS-rate estimate)
P_BLIND_RANGE = 28  # m, inside it the seeker gives no new data; the command is held
N_PARAMS = 29

END_CLOSEST_APPROACH = 0
END_GROUND = 1
END_CANNOT_CLOSE = 2
END_MAX_TOF = 3

# Columns of the per-interceptor float outputs.
O_END_T = 0  # s since launch
O_MISS = 1  # m
O_ACQ_T = 2  # s since launch, NaN if the seeker never acquired
O_PEAK_SPEED = 3
O_PEAK_MACH = 4
O_BURNOUT_SPEED = 5
N_OUT = 6


# Helpers are not inlined: it would save a compiled call's atomic reference count per
# array passed (0.03 s of flyouts a default raid) for 3 s more of first compile.


@njit(cache=True)
def _target_at(t, ts, ps, vs, n, cur, out):
    """Target position/velocity at time t from samples (cubic Hermite; constant velocity outside).

    ``cur`` (length-1 int array) is a cursor into the samples: time only moves
    forward within one flight, so the search is amortised O(1).
    """
    if t <= ts[0] or n == 1:
        for k in range(3):
            out[k] = ps[0, k] + vs[0, k] * (t - ts[0])
            out[3 + k] = vs[0, k]
        return
    if t >= ts[n - 1]:
        for k in range(3):
            out[k] = ps[n - 1, k] + vs[n - 1, k] * (t - ts[n - 1])
            out[3 + k] = vs[n - 1, k]
        return
    i = cur[0]
    if i > n - 2 or ts[i] > t:
        i = 0
    while ts[i + 1] <= t:
        i += 1
    cur[0] = i
    h = ts[i + 1] - ts[i]
    _hermite(ps[i], vs[i], ps[i + 1], vs[i + 1], h, (t - ts[i]) / h, out[:3], out[3:])


@njit(cache=True)
def _table(tab, dt, x):
    """Linear interpolation in an evenly spaced table, extended by its last slope."""
    n = tab.shape[0]
    u = x / dt
    if u <= 0.0:
        return tab[0]
    if u >= n - 1:
        return tab[n - 1] + (u - (n - 1)) * (tab[n - 1] - tab[n - 2])
    i = int(u)
    return tab[i] + (u - i) * (tab[i + 1] - tab[i])


@njit(cache=True)
def _phase(t, prm):
    """(thrust N, mass flow kg/s, end of the current phase s) at flight time t."""
    t_ign = prm[P_IGNITION]
    t_b = t_ign + prm[P_BOOST_T]
    t_s = t_b + prm[P_SUST_T]
    if t < t_ign:
        return 0.0, 0.0, t_ign
    if t < t_b:
        return prm[P_BOOST_F], prm[P_BOOST_MDOT], t_b
    if t < t_s:
        return prm[P_SUST_F], prm[P_SUST_MDOT], t_s
    return 0.0, 0.0, 1e300


@njit(cache=True)
def _mass(t, prm):
    t_ign = prm[P_IGNITION]
    tb = min(max(t - t_ign, 0.0), prm[P_BOOST_T])
    ts = min(max(t - t_ign - prm[P_BOOST_T], 0.0), prm[P_SUST_T])
    return prm[P_MASS] - prm[P_BOOST_MDOT] * tb - prm[P_SUST_MDOT] * ts


@njit(cache=True)
def _deriv(st, s, mass, thrust, prm, cd_row, mach_step, rotating, a_c, a_l0, out):
    """State derivative at s seconds into a step: physics plus the lagged lateral acceleration."""
    ax, ay, az = _accel(
        st[0],
        st[1],
        st[2],
        st[3],
        st[4],
        st[5],
        mass,
        thrust,
        prm[P_AREA],
        cd_row,
        mach_step,
        rotating,
        GRAVITY_J2,
        True,
    )
    # First-order autopilot with the command held over the step: the achieved
    # acceleration is known in closed form, so it needs no state of its own.
    decay = math.exp(-s / prm[P_TAU])
    lx = a_c[0] + (a_l0[0] - a_c[0]) * decay
    ly = a_c[1] + (a_l0[1] - a_c[1]) * decay
    lz = a_c[2] + (a_l0[2] - a_c[2]) * decay
    # Fins and thrusters turn the velocity; they do not speed it up.
    v2 = st[3] * st[3] + st[4] * st[4] + st[5] * st[5]
    if v2 > 0.0:
        dot = (lx * st[3] + ly * st[4] + lz * st[5]) / v2
        lx -= dot * st[3]
        ly -= dot * st[4]
        lz -= dot * st[5]
    out[0] = st[3]
    out[1] = st[4]
    out[2] = st[5]
    out[3] = ax + lx
    out[4] = ay + ly
    out[5] = az + lz


@njit(cache=True)
def _rk4(st, h, t, prm, cd_row, mach_step, rotating, a_c, a_l0, k1, k2, k3, k4, tmp):
    thrust, mdot, _ = _phase(t, prm)
    m0 = _mass(t, prm)
    m_mid = m0 - mdot * 0.5 * h
    m1 = m0 - mdot * h
    _deriv(st, 0.0, m0, thrust, prm, cd_row, mach_step, rotating, a_c, a_l0, k1)
    for k in range(6):
        tmp[k] = st[k] + 0.5 * h * k1[k]
    _deriv(tmp, 0.5 * h, m_mid, thrust, prm, cd_row, mach_step, rotating, a_c, a_l0, k2)
    for k in range(6):
        tmp[k] = st[k] + 0.5 * h * k2[k]
    _deriv(tmp, 0.5 * h, m_mid, thrust, prm, cd_row, mach_step, rotating, a_c, a_l0, k3)
    for k in range(6):
        tmp[k] = st[k] + h * k3[k]
    _deriv(tmp, h, m1, thrust, prm, cd_row, mach_step, rotating, a_c, a_l0, k4)
    for k in range(6):
        st[k] += h / 6.0 * (k1[k] + 2.0 * k2[k] + 2.0 * k3[k] + k4[k])


@njit(cache=True)
def _tgo(t, speed, dist, tgo, nom_s, nom_v, nom_dt):
    """Time to fly `dist` from flight time t at the present speed plus the nominal speed change.

    Distance flown in τ: speed·τ + S(t+τ) − S(t) − v(t)·τ, with S and v the
    nominal along-path distance and speed. Newton from the previous answer.
    """
    s_t = _table(nom_s, nom_dt, t)
    v_t = _table(nom_v, nom_dt, t)
    tau = max(tgo, 0.0)
    for _ in range(4):
        f = speed * tau + _table(nom_s, nom_dt, t + tau) - s_t - v_t * tau - dist
        u = speed + _table(nom_v, nom_dt, t + tau) - v_t
        u = max(u, 0.2 * speed, 50.0)
        tau = max(tau - f / u, 0.0)
    return tau


@njit(cache=True)
def _guidance(
    st, los, est, acc_t, acquired, t, tgo_prev, prm, nom_s, nom_v, nom_dt, g_vec, rho, out
):
    """Commanded lateral acceleration (before limiting) into out; returns the new t_go.

    ``los`` holds the seeker's estimate in homing: unit line of sight (0:3), its
    rotation rate Ω (3:6, rad/s) and the closing speed (6).
    """
    vx, vy, vz = st[3], st[4], st[5]
    speed = math.sqrt(vx * vx + vy * vy + vz * vz)
    tgo = tgo_prev
    if acquired:
        # True proportional navigation on the seeker's line of sight:
        # a = N'·V_c·(Ω × r̂), perpendicular to the LOS.
        k = prm[P_NAV] * los[6]
        out[0] = k * (los[4] * los[2] - los[5] * los[1])
        out[1] = k * (los[5] * los[0] - los[3] * los[2])
        out[2] = k * (los[3] * los[1] - los[4] * los[0])
    else:
        # Midcourse: steer the velocity at the predicted intercept point of the
        # uplinked target (constant velocity, or under gravity and drag for a
        # ballistic one), heading error nulled at a rate set by the heading gain.
        # The time to go is a fixed point of "time to fly to where the target will
        # be then"; against a target faster than the interceptor the plain
        # iteration diverges (its slope is about V_t/V_m), so it is under-relaxed
        # by 1/(1 + V_t/V_m), which makes it contract for any speed ratio.
        vt = math.sqrt(est[3] ** 2 + est[4] ** 2 + est[5] ** 2)
        w = 1.0 / (1.0 + vt / max(speed, 1.0))
        px, py, pz = est[0], est[1], est[2]
        for _ in range(6):
            h2 = 0.5 * tgo * tgo
            px = est[0] + est[3] * tgo + acc_t[0] * h2
            py = est[1] + est[4] * tgo + acc_t[1] * h2
            pz = est[2] + est[5] * tgo + acc_t[2] * h2
            dist = math.sqrt((px - st[0]) ** 2 + (py - st[1]) ** 2 + (pz - st[2]) ** 2)
            tgo = tgo + w * (_tgo(t, speed, dist, tgo, nom_s, nom_v, nom_dt) - tgo)
        h2 = 0.5 * tgo * tgo
        px = est[0] + est[3] * tgo + acc_t[0] * h2
        py = est[1] + est[4] * tgo + acc_t[1] * h2
        pz = est[2] + est[5] * tgo + acc_t[2] * h2
        dx, dy, dz = px - st[0], py - st[1], pz - st[2]
        dn = math.sqrt(dx * dx + dy * dy + dz * dz)
        out[0] = 0.0
        out[1] = 0.0
        out[2] = 0.0
        if dn > 0.0 and speed > 0.0:
            ux, uy, uz = vx / speed, vy / speed, vz / speed
            c = (dx * ux + dy * uy + dz * uz) / dn
            ex = dx / dn - c * ux
            ey = dy / dn - c * uy
            ez = dz / dn - c * uz
            en = math.sqrt(ex * ex + ey * ey + ez * ez)
            if en > 1e-12:
                theta = math.atan2(en, c)
                k = prm[P_HEADING_GAIN] * speed * theta / en
                out[0] = k * ex
                out[1] = k * ey
                out[2] = k * ez
    # The airframe also carries its weight across the velocity, so the path
    # bends only as guidance asks (gravity compensation).
    out[0] -= g_vec[0]
    out[1] -= g_vec[1]
    out[2] -= g_vec[2]
    if speed > 0.0:
        dot = (out[0] * vx + out[1] * vy + out[2] * vz) / (speed * speed)
        out[0] -= dot * vx
        out[1] -= dot * vy
        out[2] -= dot * vz
    # Fins give the g limit only with enough dynamic pressure; side thrusters
    # or jet vanes give a fixed authority that needs no air.
    q = 0.5 * rho * speed * speed
    a_max = max(prm[P_SIDE_ACC], prm[P_ACC_MAX] * min(1.0, q / prm[P_Q_FULL]))
    a = math.sqrt(out[0] * out[0] + out[1] * out[1] + out[2] * out[2])
    if a > a_max:
        f = a_max / a
        out[0] *= f
        out[1] *= f
        out[2] *= f
    return tgo


@njit(cache=True)
def _target_accel(est, prm, cd_row, mach_step, rotating, out):
    """The uplinked target's acceleration for the midcourse extrapolation (ECEF, m/s²).

    Zero for an air target (constant velocity). For a ballistic one: gravity with
    the rotating-frame terms at its estimated state, plus drag −ρ·v·|v|/(2β) with
    the ballistic coefficient β the station gave.
    """
    out[0] = 0.0
    out[1] = 0.0
    out[2] = 0.0
    if prm[P_TGT_BALLISTIC] <= 0.0:
        return
    gx, gy, gz = _accel(
        est[0], est[1], est[2], est[3], est[4], est[5], 1.0, 0.0, 0.0,
        cd_row, mach_step, rotating, GRAVITY_J2, False,
    )  # fmt: skip
    rho, _ = density_and_speed_of_sound_scalar(_approx_height_m(est[0], est[1], est[2]))
    v = math.sqrt(est[3] ** 2 + est[4] ** 2 + est[5] ** 2)
    k = rho * v / (2.0 * prm[P_TGT_BETA])
    out[0] = gx - k * est[3]
    out[1] = gy - k * est[4]
    out[2] = gz - k * est[5]


@njit(cache=True)
def _seeker(st, tg, prm, h, noise, sk, first, los):
    """One look of the seeker: the line of sight it reports, filtered into a LOS rate.

    ``sk`` is the seeker's state: filtered LOS (0:3), its rate (3:6), glint (6:8).
    Errors on the true LOS, in order: the radome bends it away from the body
    (velocity) axis by ``P_RADOME`` × the look angle; thermal noise of 1-σ
    ``P_ANGLE_NOISE`` at lock-on range, falling as range² (SNR ∝ 1/R⁴); glint,
    a Gauss-Markov wander of the reflection centre of 1-σ ``P_GLINT_M`` metres.
    An α-β filter of time constant ``P_FILTER_TAU`` turns the reported LOS into
    a rate. Inside the blind range nothing new is seen and the estimate is held.
    Writes unit LOS (0:3), Ω (3:6) and the closing speed (6) into ``los``.
    """
    rx, ry, rz = tg[0] - st[0], tg[1] - st[1], tg[2] - st[2]
    wx, wy, wz = tg[3] - st[3], tg[4] - st[4], tg[5] - st[5]
    r2 = rx * rx + ry * ry + rz * rz
    r = math.sqrt(r2)
    los[6] = -(rx * wx + ry * wy + rz * wz) / r  # Doppler closing speed
    if prm[P_IDEAL_SEEKER] > 0.0:
        los[0], los[1], los[2] = rx / r, ry / r, rz / r
        los[3] = (ry * wz - rz * wy) / r2
        los[4] = (rz * wx - rx * wz) / r2
        los[5] = (rx * wy - ry * wx) / r2
        return
    ux, uy, uz = rx / r, ry / r, rz / r
    if first:
        # Lock-on: the filter starts on the true LOS and its true rate (the uplink cue).
        sk[0], sk[1], sk[2] = ux, uy, uz
        ox = (ry * wz - rz * wy) / r2
        oy = (rz * wx - rx * wz) / r2
        oz = (rx * wy - ry * wx) / r2
        sk[3] = oy * uz - oz * uy
        sk[4] = oz * ux - ox * uz
        sk[5] = ox * uy - oy * ux
        sk[6] = 0.0
        sk[7] = 0.0
    if r > prm[P_BLIND_RANGE]:
        speed = math.sqrt(st[3] ** 2 + st[4] ** 2 + st[5] ** 2)
        if prm[P_RADOME] != 0.0 and speed > 0.0:
            bx, by, bz = st[3] / speed, st[4] / speed, st[5] / speed
            c = ux * bx + uy * by + uz * bz
            ex, ey, ez = ux - c * bx, uy - c * by, uz - c * bz
            en = math.sqrt(ex * ex + ey * ey + ez * ez)
            if en > 1e-12:
                d = prm[P_RADOME] * math.atan2(en, c)
                cd, sd = math.cos(d), math.sin(d)
                ux, uy, uz = cd * ux + sd * ex / en, cd * uy + sd * ey / en, cd * uz + sd * ez / en
        # Two axes across the LOS.
        if abs(uz) < 0.9:
            ax_, ay_, az_ = -uy, ux, 0.0
        else:
            ax_, ay_, az_ = 0.0, -uz, uy
        an = math.sqrt(ax_ * ax_ + ay_ * ay_ + az_ * az_)
        ax_, ay_, az_ = ax_ / an, ay_ / an, az_ / an
        bx_, by_, bz_ = uy * az_ - uz * ay_, uz * ax_ - ux * az_, ux * ay_ - uy * ax_
        rr = min(r, prm[P_ACQ_RANGE]) / prm[P_ACQ_RANGE]
        s_th = prm[P_ANGLE_NOISE] * rr * rr
        phi = math.exp(-h / prm[P_GLINT_TAU])
        q = math.sqrt(max(1.0 - phi * phi, 0.0))
        sk[6] = phi * sk[6] + q * noise[2]
        sk[7] = phi * sk[7] + q * noise[3]
        e1 = s_th * noise[0] + prm[P_GLINT_M] * sk[6] / r
        e2 = s_th * noise[1] + prm[P_GLINT_M] * sk[7] / r
        mx, my, mz = ux + e1 * ax_ + e2 * bx_, uy + e1 * ay_ + e2 * by_, uz + e1 * az_ + e2 * bz_
        mn = math.sqrt(mx * mx + my * my + mz * mz)
        mx, my, mz = mx / mn, my / mn, mz / mn
        # α-β filter, critically damped-ish (ζ = 0.7) at ω = 1/τ.
        wdt = h / prm[P_FILTER_TAU]
        alpha = min(1.4 * wdt, 0.9)
        beta = min(wdt * wdt, 0.5)
        px, py, pz = sk[0] + sk[3] * h, sk[1] + sk[4] * h, sk[2] + sk[5] * h
        ex, ey, ez = mx - px, my - py, mz - pz
        sk[0], sk[1], sk[2] = px + alpha * ex, py + alpha * ey, pz + alpha * ez
        sk[3] += beta / h * ex
        sk[4] += beta / h * ey
        sk[5] += beta / h * ez
        n = math.sqrt(sk[0] ** 2 + sk[1] ** 2 + sk[2] ** 2)
        sk[0] /= n
        sk[1] /= n
        sk[2] /= n
    # Ω = û × dû/dt (the part of the rate across the LOS).
    los[0], los[1], los[2] = sk[0], sk[1], sk[2]
    los[3] = sk[1] * sk[5] - sk[2] * sk[4]
    los[4] = sk[2] * sk[3] - sk[0] * sk[5]
    los[5] = sk[0] * sk[4] - sk[1] * sk[3]


@njit(cache=True)
def _cpa(prev_m, prev_t, cur_m, cur_t, h, out_m, out_t):
    """Fraction of the step at the closest approach, on Hermite curves of both bodies."""
    lo, hi = 0.0, 1.0
    pm = np.empty(3)
    vm = np.empty(3)
    pt = np.empty(3)
    vt = np.empty(3)
    s = 1.0
    for _ in range(60):
        s = 0.5 * (lo + hi)
        _herm(prev_m, cur_m, h, s, pm, vm)
        _herm(prev_t, cur_t, h, s, pt, vt)
        f = 0.0
        for k in range(3):
            f += (pt[k] - pm[k]) * (vt[k] - vm[k])
        if f < 0.0:
            lo = s
        else:
            hi = s
        if hi - lo < 1e-12:
            break
    s = 0.5 * (lo + hi)
    _herm(prev_m, cur_m, h, s, pm, vm)
    _herm(prev_t, cur_t, h, s, pt, vt)
    for k in range(3):
        out_m[k] = pm[k]
        out_m[3 + k] = vm[k]
        out_t[k] = pt[k]
        out_t[3 + k] = vt[k]
    return s


@njit(cache=True)
def _herm(a, b, h, s, out_p, out_v):
    # The truth kernel's cubic Hermite, on states (position, velocity) a and b.
    _hermite(a[:3], a[3:], b[:3], b[3:], h, s, out_p, out_v)


@njit(cache=True)
def flyout_kernel(
    state0,  # (M, 6) ECEF position and velocity at launch (after ejection)
    t_launch,  # (M,) simulation time of launch
    prm_all,  # (M, N_PARAMS)
    cd_tables,  # (P, G) C_D on a common Mach grid
    prof_index,  # (M,) row of cd_tables / nom_* for each interceptor
    mach_step,
    nom_s,  # (M, Kn) nominal along-path distance against flight time
    nom_v,  # (M, Kn) nominal speed
    nom_dt,
    tgt_t,  # (M, K) target truth sample times (simulation time), increasing
    tgt_x,  # (M, K, 6) ECEF position and velocity
    tgt_n,  # (M,) valid samples
    up_t,  # (M, U) uplink times
    up_x,  # (M, U, 6) uplinked target estimates (ECEF)
    up_n,  # (M,) valid uplinks
    noise,  # (M, S, 4) standard normals for the seeker, one row per step (S >= 1)
    dt,
    rotating,
    record_every,  # record every n-th step (0: none)
    rec_t,  # (M, R) out
    rec_x,  # (M, R, 6) out
    rec_n,  # (M,) out
    end_code,  # (M,) out
    out_f,  # (M, N_OUT) out
    end_m,  # (M, 6) out: interceptor state at the end
    end_tg,  # (M, 6) out: target state at the end
):
    m_all = state0.shape[0]
    for j in range(m_all):
        prm = prm_all[j]
        p_i = prof_index[j]
        cd_row = cd_tables[p_i]
        ns = nom_s[j]
        nv = nom_v[j]
        ts = tgt_t[j]
        xs = tgt_x[j]
        n_t = tgt_n[j]
        st = state0[j].copy()
        prev = st.copy()
        tg = np.empty(6)
        tg_prev = np.empty(6)
        est = np.empty(6)
        acc_t = np.zeros(3)
        los = np.zeros(7)
        sk = np.zeros(8)
        n_noise = noise.shape[1]
        a_c = np.zeros(3)
        a_l = np.zeros(3)
        a_new = np.zeros(3)
        g_vec = np.zeros(3)
        k1 = np.empty(6)
        k2 = np.empty(6)
        k3 = np.empty(6)
        k4 = np.empty(6)
        tmp = np.empty(6)
        cur = np.zeros(1, dtype=np.int64)
        t = 0.0
        t0 = t_launch[j]
        i_up = 0
        tgo = 10.0
        acquired = False
        closing = False
        code = END_MAX_TOF
        miss = 1e300
        acq_t = np.nan
        peak_v = 0.0
        peak_m = 0.0
        burnout_v = np.nan
        t_boost_out = prm[P_IGNITION] + prm[P_BOOST_T]
        t_burnout = t_boost_out + prm[P_SUST_T]
        _target_at(t0, ts, xs[:, 0:3], xs[:, 3:6], n_t, cur, tg)
        n_rec = 0
        if record_every > 0:
            rec_t[j, 0] = t0
            for k in range(6):
                rec_x[j, 0, k] = st[k]
            n_rec = 1
        n_step = 0
        end_t = prm[P_MAX_TOF]
        done = False
        while t < prm[P_MAX_TOF] - 1e-9 and not done:
            _, _, t_phase_end = _phase(t, prm)
            h = min(dt, t_phase_end - t, prm[P_MAX_TOF] - t)
            if h < 1e-9:
                h = min(dt, prm[P_MAX_TOF] - t)
            speed = math.sqrt(st[3] ** 2 + st[4] ** 2 + st[5] ** 2)
            rho, a_snd = density_and_speed_of_sound_scalar(_approx_height_m(st[0], st[1], st[2]))
            if speed > peak_v:
                peak_v = speed
            if speed / a_snd > peak_m:
                peak_m = speed / a_snd
            # Guidance, once per step (the command is held over it).
            if t >= prm[P_IGNITION]:
                if not acquired and t >= t_boost_out:
                    # The seeker switches on once the boost and the turn-over are
                    # over, and locks on inside its range and its field of regard
                    # about the body (velocity) axis; once on, it stays on.
                    rx, ry, rz = tg[0] - st[0], tg[1] - st[1], tg[2] - st[2]
                    d = math.sqrt(rx * rx + ry * ry + rz * rz)
                    if d <= prm[P_ACQ_RANGE] and speed > 0.0:
                        look = (rx * st[3] + ry * st[4] + rz * st[5]) / (d * speed)
                        if look >= prm[P_LOOK_COS]:
                            acquired = True
                            acq_t = t
                            _seeker(
                                st, tg, prm, h, noise[j, min(n_step, n_noise - 1)], sk, True, los
                            )
                elif acquired:
                    _seeker(st, tg, prm, h, noise[j, min(n_step, n_noise - 1)], sk, False, los)
                if not acquired:
                    while i_up + 1 < up_n[j] and up_t[j, i_up + 1] <= t0 + t:
                        i_up += 1
                    age = t0 + t - up_t[j, i_up]
                    for k in range(6):
                        est[k] = up_x[j, i_up, k]
                    _target_accel(est, prm, cd_row, mach_step, rotating, acc_t)
                    for k in range(3):
                        est[k] += est[3 + k] * age + 0.5 * acc_t[k] * age * age
                        est[3 + k] += acc_t[k] * age
                gx, gy, gz = _accel(
                    st[0],
                    st[1],
                    st[2],
                    0.0,
                    0.0,
                    0.0,
                    1.0,
                    0.0,
                    0.0,
                    cd_row,
                    mach_step,
                    rotating,
                    GRAVITY_J2,
                    False,
                )
                g_vec[0] = gx
                g_vec[1] = gy
                g_vec[2] = gz
                tgo = _guidance(
                    st, los, est, acc_t, acquired, t, tgo, prm, ns, nv, nom_dt, g_vec, rho, a_c
                )
            else:
                a_c[0] = 0.0
                a_c[1] = 0.0
                a_c[2] = 0.0
            for k in range(6):
                prev[k] = st[k]
                tg_prev[k] = tg[k]
            _rk4(st, h, t, prm, cd_row, mach_step, rotating, a_c, a_l, k1, k2, k3, k4, tmp)
            decay = math.exp(-h / prm[P_TAU])
            for k in range(3):
                a_new[k] = a_c[k] + (a_l[k] - a_c[k]) * decay
                a_l[k] = a_new[k]
            t += h
            n_step += 1
            if abs(t - t_burnout) < 1e-9:
                burnout_v = math.sqrt(st[3] ** 2 + st[4] ** 2 + st[5] ** 2)
            _target_at(t0 + t, ts, xs[:, 0:3], xs[:, 3:6], n_t, cur, tg)
            if record_every > 0 and n_step % record_every == 0:
                rec_t[j, n_rec] = t0 + t
                for k in range(6):
                    rec_x[j, n_rec, k] = st[k]
                n_rec += 1
            rr = 0.0
            dot = 0.0
            for k in range(3):
                dr = tg[k] - st[k]
                rr += dr * dr
                dot += dr * (tg[3 + k] - st[3 + k])
            dist = math.sqrt(rr)
            # Running minimum: the miss distance of a flight that ends any other way.
            miss = min(miss, dist)
            if dot < 0.0:
                # Before the seeker locks on (and the motor burns out) the range
                # may close and open again with the geometry alone: no end then.
                if acquired or t >= t_burnout:
                    closing = True
            elif closing:
                # The range has stopped closing: the closest approach is in this step.
                s = _cpa(prev, tg_prev, st, tg, h, end_m[j], end_tg[j])
                miss = 0.0
                for k in range(3):
                    miss += (end_tg[j, k] - end_m[j, k]) ** 2
                miss = math.sqrt(miss)
                end_t = t - h + s * h
                code = END_CLOSEST_APPROACH
                done = True
                break
            if t > prm[P_IGNITION] and geodetic_height_m(st[0], st[1], st[2]) < prm[P_GROUND_H]:
                code = END_GROUND
                end_t = t
                for k in range(6):
                    end_m[j, k] = st[k]
                    end_tg[j, k] = tg[k]
                done = True
                break
            if t >= t_burnout:
                v_now = math.sqrt(st[3] ** 2 + st[4] ** 2 + st[5] ** 2)
                if dot >= 0.0 or v_now < prm[P_MIN_SPEED]:
                    code = END_CANNOT_CLOSE
                    end_t = t
                    for k in range(6):
                        end_m[j, k] = st[k]
                        end_tg[j, k] = tg[k]
                    done = True
                    break
        if code == END_MAX_TOF:
            end_t = t
            for k in range(6):
                end_m[j, k] = st[k]
                end_tg[j, k] = tg[k]
        if record_every > 0 and (n_rec == 0 or rec_t[j, n_rec - 1] < t0 + end_t):
            # Close the record on the end point itself.
            rec_t[j, n_rec] = t0 + end_t
            for k in range(6):
                rec_x[j, n_rec, k] = end_m[j, k]
            n_rec += 1
        rec_n[j] = n_rec
        end_code[j] = code
        out_f[j, O_END_T] = end_t
        out_f[j, O_MISS] = miss
        out_f[j, O_ACQ_T] = acq_t
        out_f[j, O_PEAK_SPEED] = peak_v
        out_f[j, O_PEAK_MACH] = peak_m
        out_f[j, O_BURNOUT_SPEED] = burnout_v


@njit(cache=True)
def sample_targets(tq, tgt_t, tgt_x, tgt_n, out):
    """Target states (M, Q, 6) at times tq (M, Q) from samples, as the flyout sees them."""
    for j in range(tq.shape[0]):
        cur = np.zeros(1, dtype=np.int64)
        ps = tgt_x[j, :, 0:3]
        vs = tgt_x[j, :, 3:6]
        for q in range(tq.shape[1]):
            _target_at(tq[j, q], tgt_t[j], ps, vs, tgt_n[j], cur, out[j, q])
