"""Numba kernel behind :mod:`gbad.world.ballistic`: fixed-step RK4 point-mass flight in ECEF.

Private module; the public API and its conventions live in ``ballistic.py``.
Everything here is scalar code over one object at a time, in a loop over objects
(one thread: see `gbad.locating._kernel`), so one call flies many rounds of different
profiles.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from gbad.earth.atmosphere import density_and_speed_of_sound_scalar
from gbad.earth.wgs84 import GM_M3PS2, J2, OMEGA_EARTH_RADPS, WGS84_A_M, WGS84_B_M, WGS84_E2

GRAVITY_J2 = 0
GRAVITY_POINT = 1

_EP2 = WGS84_E2 / (1.0 - WGS84_E2)


@njit(cache=True)
def geodetic_height_m(x: float, y: float, z: float) -> float:
    """Height above the WGS-84 ellipsoid of one ECEF point (Bowring, as in wgs84.py)."""
    p = math.hypot(x, y)
    beta = math.atan2(z * WGS84_A_M, p * WGS84_B_M)
    lat = 0.0
    for _ in range(3):
        sb = math.sin(beta)
        cb = math.cos(beta)
        lat = math.atan2(
            z + _EP2 * WGS84_B_M * sb * sb * sb, p - WGS84_E2 * WGS84_A_M * cb * cb * cb
        )
        beta = math.atan2(WGS84_B_M / WGS84_A_M * math.sin(lat), math.cos(lat))
    sl = math.sin(lat)
    n = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * sl * sl)
    return p * math.cos(lat) + z * sl - WGS84_A_M * WGS84_A_M / n


@njit(cache=True)
def _approx_height_m(x: float, y: float, z: float) -> float:
    # Radial height above the ellipsoid: within ~1e-5·h of the geodetic height,
    # which is far below what the air density can tell apart, at a fraction of
    # the cost of the iteration above (this runs four times a step).
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    cos2 = (x * x + y * y) / r2
    return r - WGS84_B_M / math.sqrt(1.0 - WGS84_E2 * cos2)


#: The calm, standard air of the model's own world (no wind, scales of one): the
#: arguments `_accel` passes for kernels that fly in it.
_CALM_H = np.zeros(1)
_CALM_W = np.zeros((1, 3))


# `_wind_at` and `_accel_air` are inlined (``inline="always"``) into `_rk4_step`: a
# compiled call pays an atomic reference count on each array it passes, and the step made
# four calls with three arrays each (an eighth of the locator's flights). The step itself
# is not: inlined into every kernel that steps, it saved as much again for ten seconds
# more of a first run's compiling. The arithmetic is unchanged.


@njit(cache=True, inline="always")
def _wind_at(h, wind_h, wind_row):
    """Wind (ECEF, m/s) at height h from a table of layers: linear between them, held
    outside (a few layers, so a scan beats a bisection)."""
    n = wind_h.shape[0]
    if n == 1 or h <= wind_h[0]:
        return wind_row[0, 0], wind_row[0, 1], wind_row[0, 2]
    if h >= wind_h[n - 1]:
        return wind_row[n - 1, 0], wind_row[n - 1, 1], wind_row[n - 1, 2]
    i = 0
    while wind_h[i + 1] < h:
        i += 1
    f = (h - wind_h[i]) / (wind_h[i + 1] - wind_h[i])
    return (
        wind_row[i, 0] + f * (wind_row[i + 1, 0] - wind_row[i, 0]),
        wind_row[i, 1] + f * (wind_row[i + 1, 1] - wind_row[i, 1]),
        wind_row[i, 2] + f * (wind_row[i + 1, 2] - wind_row[i, 2]),
    )


@njit(cache=True)
def _accel(
    x, y, z, vx, vy, vz, mass, thrust, area, cd_row, mach_step, rotating, gravity_mode, drag_on
):
    """Acceleration (ECEF) in calm, standard air: `_accel_air` without weather."""
    return _accel_air(
        x, y, z, vx, vy, vz, mass, thrust, area, cd_row, mach_step, rotating, gravity_mode,
        drag_on, _CALM_H, _CALM_W, 1.0, 1.0,
    )  # fmt: skip


@njit(cache=True, inline="always")
def _accel_air(
    x,
    y,
    z,
    vx,
    vy,
    vz,
    mass,
    thrust,
    area,
    cd_row,
    mach_step,
    rotating,
    gravity_mode,
    drag_on,
    wind_h,
    wind_row,
    rho_k,
    snd_k,
):
    """Gravity, drag and thrust (ECEF, m/s²) of a point mass in the air of the day.

    The air moves with the wind (``wind_row`` at heights ``wind_h``, ECEF m/s, on top
    of the Earth's rotation); its density is the US 1976 value times ``rho_k`` and its
    speed of sound times ``snd_k``. Drag acts against the velocity through the air,
    and so does the thrust of a finned round, which weathercocks into the wind.
    """
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    f = -GM_M3PS2 / (r2 * r)
    if gravity_mode == GRAVITY_J2:
        zr2 = z * z / r2
        k = 1.5 * J2 * WGS84_A_M * WGS84_A_M / r2
        fxy = f * (1.0 + k * (1.0 - 5.0 * zr2))
        ax = fxy * x
        ay = fxy * y
        az = f * (1.0 + k * (3.0 - 5.0 * zr2)) * z
    else:
        ax = f * x
        ay = f * y
        az = f * z
    if rotating:
        w = OMEGA_EARTH_RADPS
        # Coriolis −2Ω×v and centrifugal −Ω×(Ω×r) with Ω = (0, 0, ω).
        ax += 2.0 * w * vy + w * w * x
        ay += -2.0 * w * vx + w * w * y
    h = _approx_height_m(x, y, z)
    wx, wy, wz = _wind_at(h, wind_h, wind_row)
    ux = vx - wx
    uy = vy - wy
    uz = vz - wz
    speed = math.sqrt(ux * ux + uy * uy + uz * uz)
    if speed > 0.0:
        s = 0.0
        if thrust > 0.0:
            s = thrust / (mass * speed)
        if drag_on:
            rho, a_snd = density_and_speed_of_sound_scalar(h)
            rho *= rho_k
            u = speed / (a_snd * snd_k * mach_step)
            n = cd_row.shape[0]
            if u >= n - 1:
                cd = cd_row[n - 1]
            else:
                i = int(u)
                fr = u - i
                cd = cd_row[i] + fr * (cd_row[i + 1] - cd_row[i])
            s -= 0.5 * rho * cd * area * speed / mass
        ax += s * ux
        ay += s * uy
        az += s * uz
    return ax, ay, az


@njit(cache=True)
def _rk4_step(
    st,
    h,
    m_start,
    m_end,
    thrust,
    area,
    cd_row,
    mach_step,
    rotating,
    gravity_mode,
    drag_on,
    wind_h,
    wind_row,
    rho_k,
    snd_k,
):
    # Mass is linear in time within a step (it is piecewise linear overall and
    # burnout always falls on a step boundary), so the midpoint mass is exact.
    m_mid = 0.5 * (m_start + m_end)
    x, y, z, vx, vy, vz = st[0], st[1], st[2], st[3], st[4], st[5]
    a1x, a1y, a1z = _accel_air(
        x,
        y,
        z,
        vx,
        vy,
        vz,
        m_start,
        thrust,
        area,
        cd_row,
        mach_step,
        rotating,
        gravity_mode,
        drag_on,
        wind_h,
        wind_row,
        rho_k,
        snd_k,
    )
    hh = 0.5 * h
    x2, y2, z2 = x + hh * vx, y + hh * vy, z + hh * vz
    vx2, vy2, vz2 = vx + hh * a1x, vy + hh * a1y, vz + hh * a1z
    a2x, a2y, a2z = _accel_air(
        x2,
        y2,
        z2,
        vx2,
        vy2,
        vz2,
        m_mid,
        thrust,
        area,
        cd_row,
        mach_step,
        rotating,
        gravity_mode,
        drag_on,
        wind_h,
        wind_row,
        rho_k,
        snd_k,
    )
    x3, y3, z3 = x + hh * vx2, y + hh * vy2, z + hh * vz2
    vx3, vy3, vz3 = vx + hh * a2x, vy + hh * a2y, vz + hh * a2z
    a3x, a3y, a3z = _accel_air(
        x3,
        y3,
        z3,
        vx3,
        vy3,
        vz3,
        m_mid,
        thrust,
        area,
        cd_row,
        mach_step,
        rotating,
        gravity_mode,
        drag_on,
        wind_h,
        wind_row,
        rho_k,
        snd_k,
    )
    x4, y4, z4 = x + h * vx3, y + h * vy3, z + h * vz3
    vx4, vy4, vz4 = vx + h * a3x, vy + h * a3y, vz + h * a3z
    a4x, a4y, a4z = _accel_air(
        x4,
        y4,
        z4,
        vx4,
        vy4,
        vz4,
        m_end,
        thrust,
        area,
        cd_row,
        mach_step,
        rotating,
        gravity_mode,
        drag_on,
        wind_h,
        wind_row,
        rho_k,
        snd_k,
    )
    h6 = h / 6.0
    st[0] = x + h6 * (vx + 2.0 * vx2 + 2.0 * vx3 + vx4)
    st[1] = y + h6 * (vy + 2.0 * vy2 + 2.0 * vy3 + vy4)
    st[2] = z + h6 * (vz + 2.0 * vz2 + 2.0 * vz3 + vz4)
    st[3] = vx + h6 * (a1x + 2.0 * a2x + 2.0 * a3x + a4x)
    st[4] = vy + h6 * (a1y + 2.0 * a2y + 2.0 * a3y + a4y)
    st[5] = vz + h6 * (a1z + 2.0 * a2z + 2.0 * a3z + a4z)


@njit(cache=True)
def _hermite(p0, v0, p1, v1, h, s, out_p, out_v):
    s2 = s * s
    s3 = s2 * s
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = s3 - 2.0 * s2 + s
    h01 = -2.0 * s3 + 3.0 * s2
    h11 = s3 - s2
    d00 = (6.0 * s2 - 6.0 * s) / h
    d10 = 3.0 * s2 - 4.0 * s + 1.0
    d01 = (-6.0 * s2 + 6.0 * s) / h
    d11 = 3.0 * s2 - 2.0 * s
    for k in range(3):
        out_p[k] = h00 * p0[k] + h10 * h * v0[k] + h01 * p1[k] + h11 * h * v1[k]
        out_v[k] = d00 * p0[k] + d10 * v0[k] + d01 * p1[k] + d11 * v1[k]


@njit(cache=True)
def _gap(p, mode, floor_m, pt, nrm):
    """Positive before the crossing, negative after: height above `floor_m` (mode 0,
    a descent through it) or distance short of the plane (pt, nrm) (mode 1)."""
    if mode == 0:
        return geodetic_height_m(p[0], p[1], p[2]) - floor_m
    g = 0.0
    for k in range(3):
        g -= (p[k] - pt[k]) * nrm[k]
    return g


@njit(cache=True)
def _refine(prev, cur, h, mode, floor_m, pt, nrm, out_p, out_v):
    """Fraction s in [0, 1] of the step where the Hermite path makes the crossing of `_gap`."""
    p0 = prev[0:3]
    v0 = prev[3:6]
    p1 = cur[0:3]
    v1 = cur[3:6]
    lo, hi = 0.0, 1.0
    g_lo = _gap(p0, mode, floor_m, pt, nrm)
    g_hi = _gap(p1, mode, floor_m, pt, nrm)
    s = 1.0
    side = 0
    # Illinois regula falsi: bracketed, superlinear, and the bracket never
    # leaves the step, so the answer is always the first crossing in it.
    for _ in range(60):
        if g_lo == g_hi:
            s = 0.5 * (lo + hi)
        else:
            s = (lo * g_hi - hi * g_lo) / (g_hi - g_lo)
        _hermite(p0, v0, p1, v1, h, s, out_p, out_v)
        g = _gap(out_p, mode, floor_m, pt, nrm)
        if abs(g) < 1e-7 or hi - lo < 1e-13:
            break
        if g > 0.0:
            lo, g_lo = s, g
            if side == 1:
                g_hi *= 0.5
            side = 1
        else:
            hi, g_hi = s, g
            if side == -1:
                g_lo *= 0.5
            side = -1
    return s


@njit(cache=True)
def _refine_crossing(prev, cur, h, floor_m, out_p, out_v):
    """Fraction s in [0, 1] of the step where the Hermite path descends through floor_m."""
    unused = prev[0:3]
    return _refine(prev, cur, h, 0, floor_m, unused, unused, out_p, out_v)


@njit(cache=True)
def _refine_plane(prev, cur, h, pt, nrm, out_p, out_v):
    """Fraction s in [0, 1] of the step where the Hermite path crosses the plane (pt, nrm)."""
    return _refine(prev, cur, h, 1, 0.0, pt, nrm, out_p, out_v)


@njit(cache=True)
def fly_kernel(
    state0,  # (M, 6) ECEF position and velocity at t = 0
    mass0,  # (M,)
    propellant,  # (M,)
    thrust,  # (M,)
    burn_time,  # (M,)
    area,  # (M,)
    cd_tables,  # (P, G) C_D on the common Mach grid
    cd_index,  # (M,) row of cd_tables for each object
    mach_step,  # grid spacing of cd_tables
    dt_burn,  # (M,) step while the motor burns (burn_time is a whole number of them)
    dt_coast,  # (M,) step afterwards
    max_time,  # (M,) stop after this flight time
    floor_m,  # (M,) stop surface: height above the ellipsoid
    plane_mode,  # bool: also stop on crossing the plane (plane_pt, plane_n) forwards
    plane_pt,  # (M, 3) a point of each object's plane (ECEF)
    plane_n,  # (M, 3) its normal (the direction the object crosses it in)
    rotating,
    gravity_mode,
    drag_on,
    wind_h,  # (L,) heights of the wind layers (m above the ellipsoid), ascending
    wind,  # (M, L, 3) each object's wind at those heights (ECEF, m/s)
    air,  # (M, 2) each object's density and speed-of-sound factors on US 1976
    record,  # bool: fill rec_t and rec_state
    rec_t,  # (M, K)
    rec_state,  # (M, K, 6), K >= max n_steps + 1 when record
    n_steps,  # out (M,) int: steps taken
    event,  # out (M,) int: 0 none (max_time), 1 descended through floor_m, 2 crossed the plane
    impact_t,  # out (M,) time of the event
    impact_state,  # out (M, 6) position and velocity at the event
    apogee_h,  # out (M,) highest geodetic height among the steps
    apogee_t,  # out (M,)
):
    m_obj = state0.shape[0]
    for j in range(m_obj):
        st = state0[j].copy()
        prev = st.copy()
        tb = burn_time[j]
        # Burnout falls on a step boundary: thrust and mass flow switch off on a
        # node, so RK4 keeps its order across the discontinuity.
        n_burn = 0
        hb = 0.0
        if tb > 0.0:
            n_burn = math.ceil(tb / dt_burn[j] - 1e-9)
            hb = tb / n_burn
        mdot = propellant[j] / tb if tb > 0.0 else 0.0
        hc = dt_coast[j]
        cd_row = cd_tables[cd_index[j]]
        a_j = area[j]
        fl = floor_m[j]
        h_prev = geodetic_height_m(st[0], st[1], st[2])
        apogee_h[j] = h_prev
        apogee_t[j] = 0.0
        event[j] = 0
        impact_t[j] = np.nan
        g_prev = 0.0
        if plane_mode:
            for k in range(3):
                g_prev += (st[k] - plane_pt[j, k]) * plane_n[j, k]
        for k in range(6):
            impact_state[j, k] = np.nan
        if record:
            rec_t[j, 0] = 0.0
            for k in range(6):
                rec_state[j, 0, k] = st[k]
        t = 0.0
        n = 0
        while t < max_time[j]:
            for k in range(6):
                prev[k] = st[k]
            if n < n_burn:
                h_step = hb
                t_next = (n + 1) * hb
                m_a = mass0[j] - mdot * (n * hb)
                m_b = mass0[j] - mdot * t_next
                f_thrust = thrust[j]
            else:
                h_step = hc
                t_next = tb + (n + 1 - n_burn) * hc
                m_a = mass0[j] - propellant[j]
                m_b = m_a
                f_thrust = 0.0
            _rk4_step(
                st,
                h_step,
                m_a,
                m_b,
                f_thrust,
                a_j,
                cd_row,
                mach_step,
                rotating,
                gravity_mode,
                drag_on,
                wind_h,
                wind[j],
                air[j, 0],
                air[j, 1],
            )
            n += 1
            t = t_next
            if record:
                rec_t[j, n] = t
                for k in range(6):
                    rec_state[j, n, k] = st[k]
            h_now = geodetic_height_m(st[0], st[1], st[2])
            if h_now > apogee_h[j]:
                apogee_h[j] = h_now
                apogee_t[j] = t
            if plane_mode:
                g_now = 0.0
                for k in range(3):
                    g_now += (st[k] - plane_pt[j, k]) * plane_n[j, k]
                if g_prev < 0.0 <= g_now:
                    p_out = np.empty(3)
                    v_out = np.empty(3)
                    s = _refine_plane(prev, st, h_step, plane_pt[j], plane_n[j], p_out, v_out)
                    event[j] = 2
                    impact_t[j] = t - h_step + s * h_step
                    for k in range(3):
                        impact_state[j, k] = p_out[k]
                        impact_state[j, 3 + k] = v_out[k]
                    break
                g_prev = g_now
            if h_prev >= fl and h_now < fl:
                p_out = np.empty(3)
                v_out = np.empty(3)
                s = _refine_crossing(prev, st, h_step, fl, p_out, v_out)
                event[j] = 1
                impact_t[j] = t - h_step + s * h_step
                for k in range(3):
                    impact_state[j, k] = p_out[k]
                    impact_state[j, 3 + k] = v_out[k]
                break
            # Never above the surface and now well below it (launched under
            # it and never climbed out): nothing left to find.
            if h_now < fl - 1000.0 and h_now < h_prev:
                break
            h_prev = h_now
        n_steps[j] = n
