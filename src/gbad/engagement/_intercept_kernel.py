"""Numba kernel behind `prediction.predict_intercept`: when a launch now first reaches a target.

Private module. The time of flight T is the earliest time at which the interceptor's
nominal along-path distance towards the target's position at T (the speed profile's
table, bilinear in elevation and time) is at least the straight distance to it: found
on the profile's time grid, then refined by 40 halvings of the bracketing step. The
target flies with constant acceleration, or along a tabulated ballistic path (cubic
Hermite between nodes, straight on past the last). Grid points at which a bound shows
the target out of reach (the farthest any elevation's flight gets, against the target
closing at its top speed all the while) are passed over, with a margin that leaves the
first reach the same to the bit (most targets are never reached: they were looked at on
all 601 points). The same steps as the array
search it replaces (written out in `tests/test_interceptor.py` as the slow reference
the tests hold it to), one target at a time, so a call costs microseconds instead of
forty NumPy passes; the results agree to rounding (the C library's ``atan2`` against
NumPy's vectorised one), and on the built-in scenarios to the bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from gbad.earth.atmosphere import G0_MPS2, density_and_speed_of_sound_scalar

#: Halvings of the grid step that brackets the first reach.
BISECTIONS = 40
#: How far short (a fraction of the distance, and metres) a bound must leave a grid point
#: to skip it: orders of magnitude above the rounding of the distances it compares, so a
#: skipped point's computed gap would have been negative too and the first reach, and
#: every time of flight, is the same to the bit.
SKIP_MARGIN_REL = 1e-6
SKIP_MARGIN_M = 1e-3


# Helpers are inlined (``inline="always"``): a compiled call pays an atomic reference
# count on each array it passes, which in these loops cost more than the arithmetic.


@njit(cache=True, inline="always")
def _target_pos(n, t, pos, vel, acc, bal_row, bal_p, bal_v, bal_step, out):
    """Target n's position at t (ENU), into out (3,)."""
    b = bal_row[n]
    if b < 0:
        for c in range(3):
            out[c] = pos[n, c] + vel[n, c] * t + 0.5 * acc[n, c] * t * t
        return
    kmax = bal_p.shape[1] - 1
    u = max(t / bal_step, 0.0)
    i = min(int(u), kmax - 1)
    s = u - i
    if s > 1.0:  # beyond the last node: straight on
        for c in range(3):
            out[c] = bal_p[b, i + 1, c] + bal_v[b, i + 1, c] * (s - 1.0) * bal_step
        return
    s2 = s * s
    s3 = s2 * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = (s3 - 2 * s2 + s) * bal_step
    h01 = -2 * s3 + 3 * s2
    h11 = (s3 - s2) * bal_step
    for c in range(3):
        out[c] = (
            h00 * bal_p[b, i, c]
            + h10 * bal_v[b, i, c]
            + h01 * bal_p[b, i + 1, c]
            + h11 * bal_v[b, i + 1, c]
        )


@njit(cache=True, inline="always")
def _reach(n, t, pos, vel, acc, lau, bal_row, bal_p, bal_v, bal_step, elevs, table, dt, buf):
    """(Nominal distance flown towards target n's position at t, the distance to it)."""
    _target_pos(n, t, pos, vel, acc, bal_row, bal_p, bal_v, bal_step, buf)
    rx = buf[0] - lau[n, 0]
    ry = buf[1] - lau[n, 1]
    rz = buf[2] - lau[n, 2]
    el = math.degrees(math.atan2(rz, math.hypot(rx, ry)))
    n_el = elevs.shape[0]
    el = min(max(el, elevs[0]), elevs[n_el - 1])
    # np.interp(el, elevs, arange(n_el)): the bracketing pair's slope.
    j = 0
    while j < n_el - 2 and elevs[j + 1] <= el:
        j += 1
    u = (el - elevs[j]) / (elevs[j + 1] - elevs[j]) + j
    i = min(int(u), n_el - 2)
    f = u - i
    n_t = table.shape[1]
    w = min(max(t / dt, 0.0), n_t - 1.0)
    k = min(int(w), n_t - 2)
    g = w - k
    dist = (1.0 - f) * ((1.0 - g) * table[i, k] + g * table[i, k + 1]) + f * (
        (1.0 - g) * table[i + 1, k] + g * table[i + 1, k + 1]
    )
    return dist, math.sqrt(rx * rx + ry * ry + rz * rz)


@njit(cache=True, inline="always")
def _gap(n, t, pos, vel, acc, lau, bal_row, bal_p, bal_v, bal_step, elevs, table, dt, buf):
    """Nominal distance flown towards target n's position at t, less the distance to it."""
    dist, rng = _reach(n, t, pos, vel, acc, lau, bal_row, bal_p, bal_v, bal_step, elevs, table,
                       dt, buf)  # fmt: skip
    return dist - rng


@njit(cache=True, inline="always")
def _farthest(t, table, dt):
    """The profile's longest nominal distance at t over every elevation (as `_reach`
    interpolates it in time): no elevation's flight reaches further."""
    n_t = table.shape[1]
    w = min(max(t / dt, 0.0), n_t - 1.0)
    k = min(int(w), n_t - 2)
    g = w - k
    best = -np.inf
    for i in range(table.shape[0]):
        best = max(best, (1.0 - g) * table[i, k] + g * table[i, k + 1])
    return best


@njit(cache=True)
def reach_times(
    pos,  # (N, 3) target position now (ENU, m)
    vel,  # (N, 3)
    acc,  # (N, 3)
    lau,  # (N, 3) launcher
    bal_row,  # (N,) row of the target's ballistic path in bal_p, or -1
    bal_p,  # (B, K, 3) ballistic paths' nodes, every bal_step from now
    bal_v,  # (B, K, 3)
    bal_step,
    grid,  # (G,) the profile's time grid (s), from 0
    elevs,  # (E,) the profile's path elevations (deg), ascending
    table,  # (E, T) along-path distance (m) every dt
    dt,
    tof,  # (N,) out: time of flight, NaN where the grid holds no reach
    skip=True,  # False: every grid point looked at (the reference the tests hold it to)
):
    buf = np.empty(3)
    n_grid = grid.shape[0]
    farthest = np.empty(n_grid)
    for j in range(n_grid):
        farthest[j] = _farthest(grid[j], table, dt)
    for n in range(pos.shape[0]):
        # A bound on the target's speed over the grid, where its motion is a formula:
        # grid points it certainly cannot be reached at are not looked at (`SKIP_MARGIN`).
        top = -1.0
        if skip and bal_row[n] < 0:
            top = math.sqrt(vel[n, 0] ** 2 + vel[n, 1] ** 2 + vel[n, 2] ** 2) + grid[
                n_grid - 1
            ] * math.sqrt(acc[n, 0] ** 2 + acc[n, 1] ** 2 + acc[n, 2] ** 2)
        k = -1
        j = 0
        while j < n_grid:
            dist, rng = _reach(n, grid[j], pos, vel, acc, lau, bal_row, bal_p, bal_v, bal_step,
                               elevs, table, dt, buf)  # fmt: skip
            if dist - rng >= 0.0:
                k = j
                break
            j += 1
            if top >= 0.0:
                # Skipped: every point where even the farthest elevation's flight, and the
                # target closing at its top speed all the while, fall short by the margin.
                far = rng - SKIP_MARGIN_REL * rng - SKIP_MARGIN_M
                t_j = grid[j - 1]
                while j < n_grid and farthest[j] + top * (grid[j] - t_j) < far:
                    j += 1
        if k < 0:
            tof[n] = np.nan
            continue
        k = max(k, 1)
        lo = grid[k - 1]
        hi = grid[k]
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            if _gap(n, mid, pos, vel, acc, lau, bal_row, bal_p, bal_v, bal_step, elevs, table,
                    dt, buf) >= 0.0:  # fmt: skip
                hi = mid
            else:
                lo = mid
        tof[n] = hi


@njit(cache=True)
def speed_profile_kernel(sin_el, n_steps, every, h, motor, cd_mach, cd_tab, out_s, out_v):
    """`prediction.speed_profile`'s flight, every nominal elevation at once: semi-implicit
    Euler at ``h`` s, along-path distance and speed kept every ``every`` steps into
    ``out_s`` and ``out_v`` (rows: samples, columns: elevations; row 0 the start).

    ``motor``: eject speed, ignition delay, boost end, sustain end, mass, boost thrust,
    boost mass flow, sustain thrust, mass after boost, sustain mass flow, burnout mass,
    reference area (m²). The same arithmetic, element by element, as the array loop it
    replaces; the atmosphere from the C library's ``pow`` and ``exp`` rounds apart from
    NumPy's in the last bit."""
    eject, t_ign, t_b, t_s_end, mass, f_b, mdot_b = (motor[0], motor[1], motor[2], motor[3],
                                                    motor[4], motor[5], motor[6])  # fmt: skip
    f_s, m_after_boost, mdot_s, m_burnout, area = motor[7], motor[8], motor[9], motor[10], motor[11]
    n_el = sin_el.shape[0]
    for j in range(n_el):
        s = 0.0
        v = eject
        alt = 0.0
        out_s[0, j] = s
        out_v[0, j] = v
        row = 1
        for i in range(n_steps):
            t = i * h
            if t < t_ign:
                f, m, sin_g = 0.0, mass, 1.0
            else:
                if t < t_b:
                    f, m = f_b, mass - mdot_b * (t - t_ign)
                elif t < t_s_end:
                    f, m = f_s, m_after_boost - mdot_s * (t - t_b)
                else:
                    f, m = 0.0, m_burnout
                sin_g = sin_el[j]
            rho, a_snd = density_and_speed_of_sound_scalar(alt)
            cd = np.interp(v / a_snd, cd_mach, cd_tab)
            drag = 0.5 * rho * v * v * cd * area
            v = max(v + h * ((f - drag) / m - G0_MPS2 * sin_g), 1.0)
            s = s + h * v
            alt = alt + h * v * sin_g
            if (i + 1) % every == 0:
                out_s[row, j] = s
                out_v[row, j] = v
                row += 1
