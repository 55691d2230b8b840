"""The locator's analytic sensitivities (`gbad.locating._tangent`) against central differences.

The tangent-linear flight must give `propagate`'s states to the bit (the fit's lazy
Jacobian relies on it) and derivatives that central differences of the flown states
confirm. Over a smooth drag law the differences converge, so the tolerance is tight;
with a class's real C_D(M) table, piecewise linear in Mach, a difference quotient
straddles the table's kinks and the agreement is looser.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gbad.earth.wgs84 import enu_rotation, geodetic2ecef
from gbad.locating.dynamics import (
    WORLD_FLAT,
    World,
    propagate,
    propagate_with_sensitivity,
)
from gbad.locating.fit import Model, residuals, residuals_and_jacobian
from gbad.locating.locate import WEAPON_CLASSES, initial_theta
from gbad.world.munitions import MUNITIONS
from test_locating import _dwells  # the shared synthetic radar

ORIGIN = (37.1, 127.05, 40.0)


def _state(world: World, speed_mps: float, el_deg: float, t_up_s: float) -> np.ndarray:
    """A round climbing north at ``el_deg`` after ``t_up_s`` of flight, 2 km up."""
    el = np.radians(el_deg)
    v_enu = speed_mps * np.array([0.0, np.cos(el), np.sin(el)])
    if world.kind == WORLD_FLAT:
        return np.array([0.0, 3000.0 + 100 * t_up_s, 2000.0, *v_enu])
    rot = enu_rotation(*ORIGIN[:2])
    pos = np.array(geodetic2ecef(ORIGIN[0] + 0.03, ORIGIN[1], 2000.0))
    return np.concatenate([pos, rot.T @ v_enu])


def _theta(model: Model, x0: np.ndarray, t_ref: float, burnout_s: float) -> np.ndarray:
    theta = np.zeros((1, model.n_params))
    theta[0, :6] = x0
    theta[0, 6] = 1.05
    if model.powered:
        theta[0, 7] = burnout_s
        theta[0, 8] = 0.98
    return theta


def _flown(theta, model, world, t_ref, t_out, air):
    return propagate(
        theta[:, :6],
        model.kappa_nominal * theta[:, 6],
        np.full(len(theta), t_ref),
        np.broadcast_to(t_out, (len(theta), len(t_out))),
        model.cd_tables,
        np.zeros(len(theta), dtype=np.int64),
        world,
        model.motor_of(theta),
        air=air,
    )


CASES = [
    # (class, world kind, burnout relative to θ's time, air)
    (1, 0, 0.0, None),
    (0, WORLD_FLAT, 0.0, None),
    (2, 0, 0.7, np.array([3.0, -4.0, 1.0, 1.02, 0.99])),  # θ during the boost, in wind
    (2, 0, -1.2, None),  # θ after burnout: the flight back crosses it and the ignition
    (2, WORLD_FLAT, 0.7, None),
]


@pytest.mark.parametrize(("cls", "kind", "burnout_rel_s", "air"), CASES)
def test_sensitivity_matches_central_differences_over_a_smooth_drag_law(
    cls, kind, burnout_rel_s, air
):
    world = replace(World(kind=kind), dt_s=0.1)
    model = WEAPON_CLASSES[cls].model()
    # A smooth C_D: the difference quotients converge, so any error is the kernel's.
    model = replace(model, cd_tables=np.full_like(model.cd_tables, 0.3))
    t_ref = 10.0
    # A rocket fast enough that its flight back through the boost never stalls (the
    # thrust follows the air velocity, whose direction is singular at rest).
    speed = 900.0 if model.powered else 300.0
    theta = _theta(model, _state(world, speed, 40.0, 0.0), t_ref, t_ref + burnout_rel_s)
    # Outputs either side of θ's time, unsorted, one missing; none within 50 ms of a
    # motor switch, where a difference quotient straddles the thrust's jump.
    t_out = np.array([12.3, 7.5, np.nan, 10.0, 13.95, 9.4, 11.05, 6.5])
    states, sens = propagate_with_sensitivity(
        theta[:, :6],
        model.kappa_nominal * theta[:, 6],
        np.array([t_ref]),
        t_out[None],
        model.cd_tables,
        np.zeros(1, dtype=np.int64),
        world,
        model.physical_sensitivity(theta),
        model.motor_of(theta),
        air,
    )
    np.testing.assert_array_equal(states, _flown(theta, model, world, t_ref, t_out, air))
    assert np.isnan(sens[0, 2]).all() and np.isfinite(np.delete(sens[0], 2, axis=0)).all()
    steps = np.array([0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 1e-4, 1e-4, 1e-5])
    for q in range(model.n_params):
        up, down = theta.copy(), theta.copy()
        up[0, q] += steps[q]
        down[0, q] -= steps[q]
        fd = (_flown(up, model, world, t_ref, t_out, air) - _flown(down, model, world, t_ref,
              t_out, air)) / (2 * steps[q])  # fmt: skip
        got = np.delete(sens[0, :, :, q], 2, axis=0)
        want = np.delete(fd[0], 2, axis=0)
        # Position rows in m per unit of θ, velocity rows in m/s per unit of θ. A motor
        # switch moved by θ moves the steps after it, an O(h⁴) effect the continuous
        # saltation leaves out: the parameters' columns agree a little less closely.
        scale = np.abs(want).max(axis=0) + 1e-9
        rel = 2e-5 if q < 7 else 1e-4
        assert np.all(np.abs(got - want) <= rel * scale + 1e-7), (q, got - want)


@pytest.mark.parametrize("cls", [0, 1, 2])
def test_fit_jacobian_matches_central_differences_with_the_real_drag_tables(cls):
    """The residuals' Jacobian (whitened range, azimuth, elevation and range rate, the
    priors and a rocket's launch rows) against central differences of `residuals`,
    with each class's own C_D(M) table."""
    name = ("120mm-mortar", "155mm-he", "122mm-rocket")[cls]
    obs, pos, _, _ = _dwells(name, 45.0, MUNITIONS[name].top_charge_mps, 3.0, 6.0, 1.0,
                             seed=2, n_rounds=3)  # fmt: skip
    model = WEAPON_CLASSES[cls].model()
    theta = initial_theta(obs, model, pos)
    if model.powered:
        theta[:, 7] = np.nanmin(obs.t_s, axis=1) - 1.0
    world = World()
    ground = 40.0

    def gh(p):
        return np.full(p.shape[:-1], ground)

    r, jac, _ = residuals_and_jacobian(theta, obs, model, world, gh)
    r0, _ = residuals(theta, obs, model, world, gh)
    np.testing.assert_array_equal(r, r0)
    steps = np.array([0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 1e-4, 1e-5, 1e-5])
    for q in range(model.n_params):
        if q == 7:
            continue  # the burnout's column is itself a forward difference
        up, down = theta.copy(), theta.copy()
        up[:, q] += steps[q]
        down[:, q] -= steps[q]
        fd = (residuals(up, obs, model, world, gh)[0] - residuals(down, obs, model, world,
              gh)[0]) / (2 * steps[q])  # fmt: skip
        scale = np.abs(fd).max() + 1e-12
        assert np.abs(jac[..., q] - fd).max() <= 2e-3 * scale, q
