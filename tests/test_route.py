"""Waypoint flight and the truth grid, against textbook kinematics.

Authorities: a level coordinated turn at bank φ has lateral acceleration
g·tan φ and radius v²/(g·tan φ) (any flight-mechanics text, e.g. Anderson,
Introduction to Flight, §6.17); cubic Hermite interpolation reproduces a cubic
exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from gbad.earth.wgs84 import ecef2geodetic, geodetic2ecef, local2geodetic
from gbad.world.route import G0_MPS2, build_route
from gbad.world.truth import Truth, hermite, resample


def test_straight_leg_constant_speed_and_time():
    path = build_route(
        np.array([0.0, 30e3]),
        np.array([0.0, 40e3]),
        np.array([500.0, 500.0]),
        [200.0, None],
        10.0,
        30,
    )
    assert path.s_m[-1] == pytest.approx(50e3)
    assert path.t_end_s == pytest.approx(10.0 + 50e3 / 200.0)
    e, n, u = path.local_at(np.array([10.0 + 125.0]))
    assert (e[0], n[0], u[0]) == pytest.approx((15e3, 20e3, 500.0))


@pytest.mark.parametrize(("speed_mps", "bank_deg"), [(250.0, 60.0), (250.0, 30.0), (50.0, 30.0)])
def test_turn_is_coordinated_at_the_bank_limit(speed_mps, bank_deg):
    # A 90° left turn between two long legs.
    path = build_route(
        np.array([0.0, 100e3, 100e3]),
        np.array([0.0, 0.0, 100e3]),
        np.zeros(3),
        [speed_mps, None, None],
        0.0,
        bank_deg,
    )
    radius = speed_mps**2 / (G0_MPS2 * np.tan(np.radians(bank_deg)))
    t_turn_mid = (100e3 - radius + radius * np.pi / 4) / speed_mps
    # Span a tenth of a radian of the turn: the second difference then reads v²/R
    # to 0.1 %, and the polyline's chords (0.25° each) average out.
    dt = 0.1 * radius / speed_mps
    t = t_turn_mid + np.array([-dt, 0.0, dt])
    e, n, _ = path.local_at(t)
    p = np.column_stack([e, n])
    acc = (p[2] - 2 * p[1] + p[0]) / dt**2
    chord_factor = 2 * (1 - np.cos(0.1)) / 0.1**2
    expected = G0_MPS2 * np.tan(np.radians(bank_deg)) * chord_factor
    assert np.linalg.norm(acc) == pytest.approx(expected, rel=0.002)
    # The arc's centre lies one radius inside the corner on both legs.
    centre = np.array([100e3 - radius, radius])
    assert np.linalg.norm(p[1] - centre) == pytest.approx(radius, abs=0.05)
    assert path.t_end_s == pytest.approx(
        (200e3 - 2 * radius + radius * np.pi / 2) / speed_mps, rel=1e-6
    )


def test_short_legs_shrink_the_turn_instead_of_overshooting():
    path = build_route(
        np.array([0.0, 1000.0, 1000.0, 2000.0]),
        np.array([0.0, 0.0, 500.0, 500.0]),
        np.zeros(4),
        [300.0, None, None, None],
        0.0,
        30.0,
    )
    # The path never leaves the convex hull of the waypoints by more than rounding.
    assert path.east_m.min() >= -1e-6 and path.east_m.max() <= 2000 + 1e-6
    assert path.north_m.min() >= -1e-6 and path.north_m.max() <= 500 + 1e-6


def test_level_route_keeps_constant_altitude_over_long_distance():
    lat0, lon0, alt0 = 37.1, 127.05, 40.0
    path = build_route(
        np.array([150e3, -150e3]),
        np.array([170e3, -100e3]),
        np.full(2, 8000.0),
        [260.0, None],
        0.0,
        60,
    )
    t = np.linspace(path.t_start_s, path.t_end_s, 50)
    e, n, u = path.local_at(t)
    _, _, alt = local2geodetic(e, n, u, lat0, lon0, alt0)
    np.testing.assert_allclose(alt, alt0 + 8000.0, atol=1e-6)


def test_hermite_is_exact_for_cubics():
    rng = np.random.default_rng(1)
    c = rng.normal(size=(4, 3))

    def f(t):
        return c[0] + c[1] * t[:, None] + c[2] * t[:, None] ** 2 + c[3] * t[:, None] ** 3

    def df(t):
        return c[1] + 2 * c[2] * t[:, None] + 3 * c[3] * t[:, None] ** 2

    t_src = np.array([0.0, 0.7, 1.9, 3.0])
    t_q = np.linspace(0, 3, 41)
    pos, vel = resample(t_src, f(t_src), df(t_src), t_q)
    np.testing.assert_allclose(pos, f(t_q), atol=1e-12)
    np.testing.assert_allclose(vel, df(t_q), atol=1e-11)
    p, v = hermite(
        np.array(0.0),
        f(np.array([0.0]))[0],
        df(np.array([0.0]))[0],
        np.array(3.0),
        f(np.array([3.0]))[0],
        df(np.array([3.0]))[0],
        np.array(1.5),
    )
    np.testing.assert_allclose(p, f(np.array([1.5]))[0], atol=1e-12)
    np.testing.assert_allclose(v, df(np.array([1.5]))[0], atol=1e-11)


def test_truth_state_at_follows_a_route_to_centimetres():
    lat0, lon0, alt0 = 37.1, 127.05, 40.0
    path = build_route(
        np.array([20e3, 0.0, -20e3]),
        np.array([0.0, 20e3, 0.0]),
        np.array([3000.0, 3000.0, 3000.0]),
        [250.0, None, None],
        0.0,
        60,
    )
    grid = np.arange(0.0, path.t_end_s + 0.1, 0.1)

    def ecef(t):
        e, n, u = path.local_at(t)
        return np.stack(geodetic2ecef(*local2geodetic(e, n, u, lat0, lon0, alt0)), axis=-1)

    vel = (
        ecef(np.clip(grid + 0.05, 0, path.t_end_s)) - ecef(np.clip(grid - 0.05, 0, path.t_end_s))
    ) / 0.1
    truth = Truth(
        t_grid_s=grid,
        pos_ecef_m=ecef(grid)[None],
        vel_ecef_mps=vel[None],
        t_start_s=np.array([0.0]),
        t_end_s=np.array([path.t_end_s]),
        object_id=np.array([1]),
        threat_id=["a"],
        kind=["aircraft"],
        rcs_m2=np.array([1.0]),
    )
    t = np.random.default_rng(2).uniform(1.0, path.t_end_s - 1.0, 500)
    pos, v, alive = truth.state_at(np.zeros(500, dtype=int), t)
    assert alive.all()
    assert np.max(np.linalg.norm(pos - ecef(t), axis=1)) < 0.05
    assert np.median(np.linalg.norm(v, axis=1)) == pytest.approx(250.0, rel=2e-3)
    _, _, alt = ecef2geodetic(pos[:, 0], pos[:, 1], pos[:, 2])
    np.testing.assert_allclose(alt, alt0 + 3000.0, atol=0.05)
