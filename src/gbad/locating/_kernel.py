"""Numba kernels behind the locator: a projectile's state carried to given times or to a floor.

Private module; :mod:`gbad.locating.dynamics` is the public face. One trajectory per
iteration; each call carries many trajectories at once (every track of a batch, and
the fit's candidate steps). On one thread: threads cost
three times the compile and, between short kernels, more CPU than they save (a run
uses the machine's cores better as whole processes, `docs/performance.md`).

A trajectory is a state (position, velocity) at time ``t0``, a drag factor
``kappa`` = A/m (m²/kg; for a rocket, over its burnout mass), an optional
motor (thrust on from ``t_ignition`` to ``t_burnout`` with a linear mass flow)
and the air it flies in, ``air`` = (wind east-north-up as ECEF x, y, z in m/s,
uniform with height; density factor; speed-of-sound factor): the estimator flies
calm standard air, and departures from it only to measure what they would do.
Integration is fixed-step RK4, forwards or backwards in time, with the step cut
so that it lands on every requested output time and on the motor's switch
times (`gbad.locating._tangent` flies the same steps with the sensitivities).

Worlds:
- ``WORLD_WGS84``: ECEF on the rotating Earth, J2 gravity, US 1976 air, C_D(M)
  from a table — the model :mod:`gbad.world.ballistic` flies the truth with;
- ``WORLD_FLAT``: z up, uniform gravity ``flat_g``, exponential air
  ``rho0·exp(−z/scale_h)``, C_D = 1 (so kappa is C_D·A/m) — the textbook setting
  (Zarchan & Musoff's falling object).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from gbad.world._ballistic_kernel import (
    GRAVITY_J2,
    _accel_air,
    _approx_height_m,
    _hermite,
    _rk4_step,
    geodetic_height_m,
)

#: One wind layer: the locator's wind, when it has one, is uniform with height.
_ONE_LAYER_H = np.zeros(1)

WORLD_WGS84 = 0
WORLD_FLAT = 1

#: Beyond this speed (m/s) a trajectory has diverged (drag run backwards blows up).
DIVERGED_MPS = 20_000.0

STATUS_OK = 0
STATUS_NO_CROSSING = 1
STATUS_DIVERGED = 2

# The step's helpers are inlined by Numba (``inline="always"``): a compiled call pays an
# atomic reference count on each array it passes, and the RK4 step passed eight, four
# times a step (a quarter of a plain flight's time). The arithmetic is unchanged.


@njit(cache=True, inline="always")
def _acc(st, t, kappa, motor, on, cd_row, mach_step, world, flat, air):
    # Relative mass m(t)/m_burnout: above 1 while the motor burns.
    thrust = 0.0
    m_rel = 1.0
    if on:
        thrust = motor[2]
        m_rel = 1.0 + motor[3] * (motor[1] - t)
    if world == WORLD_WGS84:
        return _accel_air(
            st[0],
            st[1],
            st[2],
            st[3],
            st[4],
            st[5],
            m_rel,
            thrust,
            kappa,
            cd_row,
            mach_step,
            True,
            GRAVITY_J2,
            True,
            _ONE_LAYER_H,
            air[0:3].reshape((1, 3)),
            air[3],
            air[4],
        )
    speed = math.sqrt(st[3] * st[3] + st[4] * st[4] + st[5] * st[5])
    rho = flat[1] * math.exp(-st[2] / flat[2])
    s = -0.5 * rho * kappa * speed / m_rel
    if thrust > 0.0 and speed > 0.0:
        s += thrust / (m_rel * speed)
    return s * st[3], s * st[4], s * st[5] - flat[0]


@njit(cache=True, inline="always")
def _rk4(st, t, h, kappa, motor, cd_row, mach_step, world, flat, air, wind_row, k_buf, tmp):
    # Callers end steps on the motor's switch times, so the step's midpoint
    # tells the one phase (burning or not) that all four stages see.
    tm = t + 0.5 * h
    on = motor[0] <= tm < motor[1]
    if world == WORLD_WGS84:
        # The truth's own unrolled step; masses relative to burnout, linear in the step.
        if on:
            m_a = 1.0 + motor[3] * (motor[1] - t)
            m_b = 1.0 + motor[3] * (motor[1] - t - h)
            thrust = motor[2]
        else:
            m_a = 1.0
            m_b = 1.0
            thrust = 0.0
        _rk4_step(
            st, h, m_a, m_b, thrust, kappa, cd_row, mach_step, True, GRAVITY_J2, True,
            _ONE_LAYER_H, wind_row, air[3], air[4],
        )  # fmt: skip
        return
    for stage in range(4):
        if stage == 0:
            c = 0.0
        elif stage < 3:
            c = 0.5
        else:
            c = 1.0
        for i in range(6):
            tmp[i] = st[i] + (c * h * k_buf[stage - 1, i] if stage > 0 else 0.0)
        ax, ay, az = _acc(tmp, t + c * h, kappa, motor, on, cd_row, mach_step, world, flat, air)
        k_buf[stage, 0] = tmp[3]
        k_buf[stage, 1] = tmp[4]
        k_buf[stage, 2] = tmp[5]
        k_buf[stage, 3] = ax
        k_buf[stage, 4] = ay
        k_buf[stage, 5] = az
    for i in range(6):
        st[i] += h / 6.0 * (k_buf[0, i] + 2.0 * k_buf[1, i] + 2.0 * k_buf[2, i] + k_buf[3, i])


@njit(cache=True, inline="always")
def _next_step(t, target, dt, direction, motor):
    """Step from t towards target (signed), no longer than dt, ending on motor switches."""
    h = target - t
    if abs(h) > dt:
        h = direction * dt
    for k in range(2):
        b = motor[k]
        if math.isfinite(b) and (b - t) * direction > 1e-12 and (t + h - b) * direction > 1e-12:
            h = b - t
    return h


#: The radial height (`_approx_height_m`) is within 5.7e-6·|h| of the geodetic one (a
#: dense check from −2 to 150 km at every latitude); twice that, and a millimetre, is
#: the band outside which its side of a floor is the geodetic height's.
_APPROX_HEIGHT_REL = 1.2e-5
_APPROX_HEIGHT_ABS_M = 1e-3


@njit(cache=True, inline="always")
def _sign(h, floor_m):
    # +1 at or above the floor, −1 below, 0 for NaN (neither, as both comparisons say).
    if h >= floor_m:
        return 1
    if h < floor_m:
        return -1
    return 0


@njit(cache=True, inline="always")
def _side(x, y, z, floor_m):
    """`_sign` of the geodetic height of (x, y, z) against ``floor_m``: the radial
    height's where it is clear, the geodetic iteration (a dozen trigonometric calls)
    only near the floor."""
    ha = _approx_height_m(x, y, z)
    if abs(ha - floor_m) > _APPROX_HEIGHT_REL * (abs(ha) + abs(floor_m)) + _APPROX_HEIGHT_ABS_M:
        return 1 if ha >= floor_m else -1
    return _sign(geodetic_height_m(x, y, z), floor_m)


@njit(cache=True, inline="always")
def _side_of_floor(st, world, floor_m):
    if world == WORLD_WGS84:
        return _side(st[0], st[1], st[2], floor_m)
    return _sign(st[2], floor_m)


@njit(cache=True)
def propagate_kernel(
    x0,  # (M, 6) state at t0
    kappa,  # (M,)
    t0,  # (M,)
    t_out,  # (M, K) output times, ascending, NaN padding at the end
    motor,  # (M, 4) t_ignition, t_burnout, thrust / burnout mass, mass flow / burnout mass
    cd_tables,  # (P, G)
    cd_index,  # (M,)
    mach_step,
    world,
    flat,  # (3,) g, rho0, scale height (WORLD_FLAT only)
    air,  # (M, 5) wind (ECEF), density and sound-speed factors (WORLD_WGS84 only)
    dt,
    out,  # (M, K, 6) out: states at t_out; NaN where padded or diverged
):
    m_traj, k_out = t_out.shape
    for j in range(m_traj):
        k_buf = np.empty((4, 6))
        tmp = np.empty(6)
        cd_row = cd_tables[cd_index[j]]
        # The wind as the truth's kernel takes it (one layer), shaped once a trajectory.
        wind_row = air[j, 0:3].reshape((1, 3))
        n_valid = 0
        while n_valid < k_out and not math.isnan(t_out[j, n_valid]):
            n_valid += 1
        for k in range(n_valid, k_out):
            for i in range(6):
                out[j, k, i] = np.nan
        split = 0
        while split < n_valid and t_out[j, split] < t0[j]:
            split += 1
        prev = np.empty(6)
        for direction in (1.0, -1.0):
            st = x0[j].copy()
            t = t0[j]
            if direction > 0:
                k, k_to, k_inc = split, n_valid, 1
            else:
                k, k_to, k_inc = split - 1, -1, -1
            # Outputs at t0 itself need no step.
            while k != k_to and abs(t_out[j, k] - t) <= 1e-12:
                for i in range(6):
                    out[j, k, i] = st[i]
                k += k_inc
            while k != k_to:
                # Whole steps (cut only on the motor's switches); outputs inside a
                # step come from the cubic Hermite through its two end states.
                for i in range(6):
                    prev[i] = st[i]
                h = _next_step(t, t + direction * dt, dt, direction, motor[j])
                _rk4(
                    st, t, h, kappa[j], motor[j], cd_row, mach_step, world, flat, air[j],
                    wind_row, k_buf, tmp,
                )  # fmt: skip
                t_new = t + h
                v2 = st[3] * st[3] + st[4] * st[4] + st[5] * st[5]
                if not v2 < DIVERGED_MPS * DIVERGED_MPS:
                    while k != k_to:
                        for i in range(6):
                            out[j, k, i] = np.nan
                        k += k_inc
                    break
                while k != k_to and (t_new - t_out[j, k]) * direction >= -1e-12:
                    _hermite_into(prev, st, h, (t_out[j, k] - t) / h, tmp)
                    for i in range(6):
                        out[j, k, i] = tmp[i]
                    k += k_inc
                t = t_new


@njit(cache=True)
def floor_kernel(
    x0,  # (M, 6)
    kappa,  # (M,)
    t0,  # (M,)
    direction,  # (M,) +1 forwards (impact), -1 backwards (launch)
    motor,  # (M, 4)
    floor_m,  # (M,) stop when the height drops below this
    max_time_s,  # (M,) give up after this much flight from t0
    cd_tables,
    cd_index,
    mach_step,
    world,
    flat,
    air,  # (M, 5)
    dt,
    record,  # bool: keep the samples (a terrain search needs them); else S may be 1
    rec_t,  # (M, S) out: the samples, for a terrain search between them
    rec_state,  # (M, S, 6) out
    n_rec,  # (M,) out
    cross_t,  # (M,) out: time of the floor crossing
    cross_state,  # (M, 6) out
    status,  # (M,) out: STATUS_*
):
    m_traj, n_samples = rec_t.shape
    for j in range(m_traj):
        k_buf = np.empty((4, 6))
        tmp = np.empty(6)
        prev = np.empty(6)
        cd_row = cd_tables[cd_index[j]]
        # The wind as the truth's kernel takes it (one layer), shaped once a trajectory.
        wind_row = air[j, 0:3].reshape((1, 3))
        st = x0[j].copy()
        t = t0[j]
        d = direction[j]
        rec_t[j, 0] = t
        for i in range(6):
            rec_state[j, 0, i] = st[i]
            cross_state[j, i] = np.nan
        cross_t[j] = np.nan
        n = 1
        status[j] = STATUS_NO_CROSSING
        side_prev = _side_of_floor(st, world, floor_m[j])
        t_end = t + d * max_time_s[j]
        # A state that starts below the floor is under every ground it is flown to (a
        # wrong class's fit): it meets none, and is not flown for max_time_s to find so.
        if side_prev < 0:
            t_end = t
        while (t_end - t) * d > 1e-12 and (n < n_samples or not record):
            for i in range(6):
                prev[i] = st[i]
            h = _next_step(t, t_end, dt, d, motor[j])
            _rk4(
                st, t, h, kappa[j], motor[j], cd_row, mach_step, world, flat, air[j], wind_row,
                k_buf, tmp,
            )  # fmt: skip
            t += h
            v2 = st[3] * st[3] + st[4] * st[4] + st[5] * st[5]
            if not v2 < DIVERGED_MPS * DIVERGED_MPS:
                status[j] = STATUS_DIVERGED
                break
            if record:
                rec_t[j, n] = t
                for i in range(6):
                    rec_state[j, n, i] = st[i]
            n += 1
            side_now = _side_of_floor(st, world, floor_m[j])
            if side_prev > 0 and side_now < 0:
                # The crossing between the two samples, on their cubic Hermite curve.
                lo = 0.0
                hi = 1.0
                for _ in range(50):
                    s = 0.5 * (lo + hi)
                    _hermite_into(prev, st, h, s, tmp)
                    if _side_of_floor(tmp, world, floor_m[j]) > 0:
                        lo = s
                    else:
                        hi = s
                s = 0.5 * (lo + hi)
                _hermite_into(prev, st, h, s, tmp)
                cross_t[j] = t - h + s * h
                for i in range(6):
                    cross_state[j, i] = tmp[i]
                status[j] = STATUS_OK
                break
            side_prev = side_now
        n_rec[j] = n


@njit(cache=True)
def sample_crossing_kernel(
    rec_t,  # (M, S) samples of each trajectory (floor_kernel's record), in flight order
    rec_state,  # (M, S, 6)
    n_rec,  # (M,)
    floor_m,  # (M,) the level to cross, per trajectory
    cross_t,  # (M,) out
    cross_state,  # (M, 6) out
    status,  # (M,) out: STATUS_OK or STATUS_NO_CROSSING
):
    """The last descent through ``floor_m`` along recorded samples (a ballistic path's
    only one), refined on the cubic Hermite between the two samples that bracket it
    (as `floor_kernel` does)."""
    m_traj = rec_t.shape[0]
    for j in range(m_traj):
        tmp = np.empty(6)
        status[j] = STATUS_NO_CROSSING
        cross_t[j] = np.nan
        for i in range(6):
            cross_state[j, i] = np.nan
        # From the end: the samples stop just past the lowest level sought, and a
        # ballistic path descends through each level once, so the bracket is near.
        n = n_rec[j]
        if n < 2:
            continue
        st = rec_state[j, n - 1]
        side_next = _side(st[0], st[1], st[2], floor_m[j])
        for k in range(n - 1, 0, -1):
            prev = rec_state[j, k - 1]
            side_here = _side(prev[0], prev[1], prev[2], floor_m[j])
            if side_here > 0 and side_next < 0:
                st = rec_state[j, k]
                h = rec_t[j, k] - rec_t[j, k - 1]
                lo = 0.0
                hi = 1.0
                for _ in range(50):
                    sm = 0.5 * (lo + hi)
                    _hermite_into(prev, st, h, sm, tmp)
                    if _side(tmp[0], tmp[1], tmp[2], floor_m[j]) > 0:
                        lo = sm
                    else:
                        hi = sm
                sm = 0.5 * (lo + hi)
                _hermite_into(prev, st, h, sm, tmp)
                cross_t[j] = rec_t[j, k - 1] + sm * h
                for i in range(6):
                    cross_state[j, i] = tmp[i]
                status[j] = STATUS_OK
                break
            side_next = side_here


@njit(cache=True, inline="always")
def _hermite_into(p, q, h, s, out):
    """State at s (0..1) of the step from state p to q: the truth kernel's cubic Hermite."""
    _hermite(p[:3], p[3:], q[:3], q[3:], h, s, out[:3], out[3:])
