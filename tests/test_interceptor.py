"""Cheongung-class interceptor: profiles, guided flyout, intercept prediction, kill assessment.

Authorities: docs/references.md "Cheongung" (about Mach 4.5, 40 km max range, Block II
intercepts up to ~20 km altitude) and "Proportional navigation" (Zarchan: PN
against a non-manoeuvring target with a first-order lag and enough time to go
has zero miss in the limit; any miss left is integration error, so a physical
tolerance of 1 m is generous).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from gbad.engagement.interceptor import fly_interceptors
from gbad.engagement.prediction import predict_intercept
from gbad.engagement.profiles import (
    CHEONGUNG_1,
    CHEONGUNG_2,
    INTERCEPTORS,
    draw_kills,
    interceptor_profile,
    kill_probability,
)
from gbad.engagement.targets import (
    TargetSamples,
    Uplink,
    constant_velocity_target,
    weaving_target,
)

G0 = 9.80665

#: The guidance law's own efficiency is tested with a perfect seeker (no angle noise, glint,
#: radome error or filter lag); tests/test_endgame.py flies the real seeker.
fly_ideal = functools.partial(fly_interceptors, ideal_seeker=True)

# A 250 m/s aircraft at 5 km, 25 km out and inbound; the same aircraft crossing
# 20 km out; a 200 m/s target 28 km out at 3 km passing 8 km abeam.
NON_MANOEUVRING_POS = np.array(
    [[25_000.0, 0.0, 5_000.0], [5_000.0, 20_000.0, 5_000.0], [28_000.0, 8_000.0, 3_000.0]]
)
NON_MANOEUVRING_VEL = np.array([[-250.0, 0.0, 0.0], [0.0, -250.0, 0.0], [-200.0, 0.0, 0.0]])


def test_profiles_are_the_scenario_names_and_nominal() -> None:
    assert set(INTERCEPTORS) == {"cheongung-1", "cheongung-2"}
    for name, p in INTERCEPTORS.items():
        assert p.name == name
        assert "docs/references.md" in p.source and "[nominal]" in p.source
        assert 3.0 <= p.nav_constant <= 5.0
        assert p.max_range_m == 40_000.0 and p.max_altitude_m == 20_000.0
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.mass_kg = 1.0  # type: ignore[misc]
    assert CHEONGUNG_2.lethality == "hit_to_kill"
    assert CHEONGUNG_1.lethality == "carleton"


@pytest.mark.parametrize("name", ["cheongung-1", "cheongung-2"])
def test_speed_peaks_near_mach_4_5(name: str) -> None:
    f = constant_velocity_target(NON_MANOEUVRING_POS, NON_MANOEUVRING_VEL)
    r = fly_ideal(name, [0.0, 0.0, 0.0], 0.0, f)
    # docs/references.md: "about Mach 4.5"; the motor was calibrated to it.
    assert np.all(np.abs(r.peak_mach - 4.5) < 0.45), r.peak_mach


def test_pn_hits_non_manoeuvring_targets_noise_free() -> None:
    f = constant_velocity_target(NON_MANOEUVRING_POS, NON_MANOEUVRING_VEL)
    r = fly_ideal("cheongung-2", [0.0, 0.0, 0.0], 2.0, f)
    assert np.all(r.end_reason == "closest_approach")
    assert np.all(np.isfinite(r.seeker_acquired_t_s)), "terminal homing never started"
    assert np.all(r.miss_distance_m < 1.0), r.miss_distance_m
    # The end point is the interceptor at the closest approach, next to the target.
    gap = np.linalg.norm(r.target_end_pos_enu_m - r.end_pos_enu_m, axis=1)
    np.testing.assert_allclose(gap, r.miss_distance_m, atol=1e-6)
    # The target there is where its straight line puts it at the end time.
    expect = NON_MANOEUVRING_POS + NON_MANOEUVRING_VEL * r.end_t_s[:, None]
    np.testing.assert_allclose(r.target_end_pos_enu_m, expect, atol=1e-3)


def test_sampled_truth_flies_like_the_callable() -> None:
    f = constant_velocity_target(NON_MANOEUVRING_POS[:1], NON_MANOEUVRING_VEL[:1])
    t = np.arange(0.0, 70.0, 0.5)
    pos, vel = f(t[None, :])
    a = fly_ideal("cheongung-2", [0.0, 0.0, 0.0], 1.0, f)
    b = fly_ideal("cheongung-2", [0.0, 0.0, 0.0], 1.0, TargetSamples(t, pos[0], vel[0]))
    # Hermite samples are exact for a straight line: the same flight to a millimetre.
    np.testing.assert_allclose(b.end_pos_enu_m, a.end_pos_enu_m, atol=1e-3)
    assert b.miss_distance_m[0] < 1.0


def _weave_monte_carlo(profile: str, n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(20240611)
    phase = rng.uniform(0.0, 2.0 * np.pi, n)
    f = weaving_target([25_000.0, 3_000.0, 5_000.0], [-300.0, 0.0, 0.0], 6.0 * G0, 3.0, phase)
    r = fly_ideal(
        profile,
        [0.0, 0.0, 0.0],
        0.0,
        f,
        uplink=Uplink(rate_hz=1.0, position_sigma_m=20.0, velocity_sigma_mps=5.0),
        rng=rng,
    )
    assert np.all(r.end_reason == "closest_approach")
    return r.miss_distance_m


def test_weaving_target_monte_carlo_cheongung_2() -> None:
    # 6 g horizontal weave, 3 s period, random phase; 1 Hz uplink with noise.
    # Measured (docs/engagement.md): median 0.52 m, 90th percentile 0.76 m.
    miss = _weave_monte_carlo("cheongung-2")
    r_l = CHEONGUNG_2.lethal_radius_m
    assert np.median(miss) < r_l
    assert np.mean(miss < r_l) >= 0.95
    assert np.percentile(miss, 90) < 1.5 * r_l


def test_weaving_target_monte_carlo_cheongung_1() -> None:
    # The slower Block I autopilot misses by metres, well inside its fragment radius.
    miss = _weave_monte_carlo("cheongung-1")
    assert np.median(miss) < 0.5 * CHEONGUNG_1.lethal_radius_m
    assert np.all(miss < CHEONGUNG_1.lethal_radius_m)


def test_launches_inside_the_envelope_intercept_inside_it() -> None:
    rng = np.random.default_rng(7)
    n = 400
    rng_h = rng.uniform(5e3, 70e3, n)
    az = rng.uniform(0.0, 2.0 * np.pi, n)
    alt = rng.uniform(50.0, 26e3, n)
    pos = np.stack([rng_h * np.sin(az), rng_h * np.cos(az), alt], axis=-1)
    hd = rng.uniform(0.0, 2.0 * np.pi, n)
    spd = rng.uniform(150.0, 700.0, n)
    vel = np.stack([spd * np.sin(hd), spd * np.cos(hd), rng.uniform(-30.0, 30.0, n)], axis=-1)
    pred = predict_intercept("cheongung-2", [0.0, 0.0, 0.0], pos, vel, margin_m=500.0)
    ins = pred.inside
    assert 50 < ins.sum() < n  # a real test: many shots, some refused
    assert set(pred.why_outside[~ins]) <= {
        "no intercept within the max time of flight 60 s",
        "beyond max range 40000 m",
        "above max altitude 20000 m",
        "below the ground",
        "arrives slower than 300 m/s",
        "inside min range 1000 m",
        "the seeker would not see it at lock-on (look angle)",
        "too little time to home after lock-on",
        "the end game needs more g than it has",
    }
    f = constant_velocity_target(pos[ins], vel[ins])
    r = fly_ideal(
        "cheongung-2", [0.0, 0.0, 0.0], 0.0, f, uplink=Uplink(1.0, 20.0, 5.0), rng=rng
    )
    assert np.all(r.end_reason == "closest_approach")
    assert np.all(r.miss_distance_m < CHEONGUNG_2.lethal_radius_m)
    assert np.all(r.end_range_m <= CHEONGUNG_2.max_range_m)
    assert np.all(r.end_height_m <= CHEONGUNG_2.max_altitude_m)
    # The prediction is a good one: time of flight within 2 s for nine in ten.
    err = np.abs(r.time_of_flight_s - pred.time_of_flight_s[ins])
    assert np.percentile(err, 90) < 2.0


def test_predict_intercept_geometry() -> None:
    pos = np.array([[30_000.0, 0.0, 5_000.0], [44_000.0, 0.0, 16_000.0], [10_000.0, 0.0, 30_000.0]])
    vel = np.array([[-300.0, 0.0, 0.0], [-100.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    acc = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    p = predict_intercept(CHEONGUNG_2, [0.0, 0.0, 0.0], pos, vel, acc)
    # The PIP is the target extrapolated by the time of flight.
    np.testing.assert_allclose(p.pip_enu_m, pos + vel * p.time_of_flight_s[:, None], atol=1e-6)
    assert p.inside[0] and p.why_outside[0] == ""
    assert not p.inside[1] and "max range" in p.why_outside[1]
    assert not p.inside[2] and "altitude" in p.why_outside[2]
    # Average speed ≈ range / time, and the PIP's time agrees with a flight to it.
    np.testing.assert_allclose(p.average_speed_mps, p.range_m / p.time_of_flight_s)
    r = fly_ideal(
        "cheongung-2", [0.0, 0.0, 0.0], 0.0, constant_velocity_target(pos[:1], vel[:1])
    )
    assert abs(r.time_of_flight_s[0] - p.time_of_flight_s[0]) < 1.5


def test_kill_probability_models() -> None:
    # Hit-to-kill: flat pk_max inside the lethal radius, Gaussian fall-off beyond.
    d = np.array([0.0, 1.0, 2.0, 5.0])
    pk = kill_probability("cheongung-2", d)
    np.testing.assert_allclose(pk[:2], 0.95)
    np.testing.assert_allclose(pk[2], 0.95 * np.exp(-0.5))
    assert pk[3] < 1e-3
    # Carleton: pk_max·exp(−(d/R)²), so pk_max/e at the lethal radius.
    pk1 = kill_probability("cheongung-1", [0.0, 12.0, 36.0])
    np.testing.assert_allclose(pk1, 0.9 * np.exp([0.0, -1.0, -9.0]))
    both = kill_probability(["cheongung-1", "cheongung-2"], [12.0, 12.0])
    assert both[0] > 0.3 > both[1]
    # Draws: seeded, and their frequency matches the probability.
    kills = draw_kills(np.full(20_000, 0.3), np.random.default_rng(1))
    assert np.array_equal(kills, draw_kills(np.full(20_000, 0.3), np.random.default_rng(1)))
    assert abs(kills.mean() - 0.3) < 0.015  # 4.6 σ of a binomial mean


def test_deterministic_given_the_seed_and_inputs_untouched() -> None:
    pos = NON_MANOEUVRING_POS.copy()
    vel = NON_MANOEUVRING_VEL.copy()
    launcher = np.zeros((3, 3))
    up = Uplink(rate_hz=2.0, position_sigma_m=30.0, velocity_sigma_mps=5.0)
    f = constant_velocity_target(pos, vel)
    a = fly_ideal("cheongung-1", launcher, 0.0, f, uplink=up, rng=np.random.default_rng(3))
    b = fly_ideal("cheongung-1", launcher, 0.0, f, uplink=up, rng=np.random.default_rng(3))
    assert np.array_equal(a.end_pos_enu_m, b.end_pos_enu_m)
    assert np.array_equal(pos, NON_MANOEUVRING_POS) and np.all(launcher == 0.0)
    assert np.all(a.miss_distance_m < 1.0)


def test_record_holds_the_path() -> None:
    f = constant_velocity_target(NON_MANOEUVRING_POS[:1], NON_MANOEUVRING_VEL[:1])
    r = fly_ideal("cheongung-2", [100.0, 0.0, 0.0], 0.0, f, record=True, record_every=5)
    n = r.n_samples[0]
    assert r.t_s[0, 0] == 0.0 and np.isclose(r.t_s[0, n - 1], r.end_t_s[0])
    np.testing.assert_allclose(r.pos_enu_m[0, 0], [100.0, 0.0, 0.0], atol=1e-6)
    # Cold launch: up the local vertical at the ejection speed. 100 m east of the
    # origin that vertical leans east by 100 m / R = 16 µrad: 0.4 mm/s of 25 m/s.
    v0 = r.vel_enu_mps[0, 0]
    np.testing.assert_allclose(v0, [25.0 * 100.0 / 6.378e6, 0.0, 25.0], atol=2e-5)
    np.testing.assert_allclose(r.pos_enu_m[0, n - 1], r.end_pos_enu_m[0], atol=1e-6)


def test_bad_input_messages() -> None:
    f = constant_velocity_target(NON_MANOEUVRING_POS, NON_MANOEUVRING_VEL)
    with pytest.raises(
        ValueError, match=r"unknown interceptor profile 'cheongung-3'.*did you mean"
    ):
        interceptor_profile("cheongung-3")
    with pytest.raises(ValueError, match="unknown interceptor profile"):
        fly_ideal("patriot", [0.0, 0.0, 0.0], 0.0, f)
    with pytest.raises(ValueError, match="launch_t_s must be >= 0"):
        fly_ideal("cheongung-2", [0.0, 0.0, 0.0], -1.0, f)
    with pytest.raises(ValueError, match=r"target callable failed on times of shape \(2, "):
        fly_ideal("cheongung-2", np.zeros((2, 3)), 0.0, f)
    with pytest.raises(ValueError, match="shapes do not match"):
        fly_ideal(["cheongung-2"] * 2, np.zeros((3, 3)), 0.0, f)
    with pytest.raises(ValueError, match="shapes do not match"):
        fly_ideal("cheongung-2", [0.0, 0.0, 0.0], [0.0, 1.0], f)
    with pytest.raises(ValueError, match=r"launcher_enu_m must have shape \(3,\)"):
        fly_ideal("cheongung-2", [0.0, 0.0], 0.0, f)
    with pytest.raises(ValueError, match="to match t_s"):
        TargetSamples(np.arange(4.0), np.zeros((5, 3)), np.zeros((4, 3))).arrays()
    with pytest.raises(ValueError, match="strictly increasing"):
        TargetSamples([0.0, 2.0, 1.0], np.zeros((3, 3)), np.zeros((3, 3))).arrays()
    late = TargetSamples([5.0, 6.0], np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="must cover the launch"):
        fly_ideal("cheongung-2", [0.0, 0.0, 0.0], 0.0, late)
    with pytest.raises(ValueError, match=r"needs a numpy\.random\.Generator"):
        fly_ideal("cheongung-2", [0.0, 0.0, 0.0], 0.0, f, uplink=Uplink(1.0, 10.0, 0.0))
    with pytest.raises(ValueError, match="rate_hz must be > 0"):
        Uplink(rate_hz=0.0)
    with pytest.raises(ValueError, match="dt_s must be"):
        fly_ideal("cheongung-2", [0.0, 0.0, 0.0], 0.0, f, dt_s=-0.01)
    with pytest.raises(ValueError, match="miss_distance_m must be >= 0"):
        kill_probability("cheongung-2", [-1.0])
    with pytest.raises(ValueError, match="boost_time_s must be a finite number > 0"):
        dataclasses.replace(CHEONGUNG_2, boost_time_s=-3.0)
    with pytest.raises(ValueError, match="shapes do not match"):
        predict_intercept("cheongung-2", np.zeros((2, 3)), np.zeros((3, 3)), np.zeros((3, 3)))


def test_issue_13_the_compiled_reach_times_equal_the_array_reference() -> None:
    """`predict_intercept`'s compiled first-reach search gives the array version's times
    of flight (the slow path it replaces, 40 NumPy passes a call): the same targets
    found, the same times to 1 ns, over crossing, diving, climbing, accelerating and
    ballistic targets, near and beyond reach."""
    from gbad.engagement._intercept_kernel import BISECTIONS
    from gbad.engagement.prediction import (
        BALLISTIC_STEP_S,
        NOMINAL_DT_S,
        _hermite_at,
        ballistic_path,
        speed_profile,
    )

    def reach_times_reference(sp, t_max, lau, target_at):
        """The array search predict_intercept made before: the gap on the whole grid for
        every target at once, then 40 halvings, each a NumPy pass over every target."""

        def gap(t):
            rel = target_at(t)[0] - (lau[:, None] if t.ndim == 2 else lau)
            el = np.degrees(np.arctan2(rel[..., 2], np.hypot(rel[..., 0], rel[..., 1])))
            return sp.distance_at(el, t) - np.linalg.norm(rel, axis=-1)

        grid = np.arange(0.0, t_max + 0.5 * NOMINAL_DT_S, NOMINAL_DT_S)
        reached = gap(np.broadcast_to(grid, (len(lau), grid.size)).copy()) >= 0.0
        found = reached.any(axis=1)
        k = np.maximum(np.where(found, np.argmax(reached, axis=1), 1), 1)
        lo, hi = grid[k - 1], grid[k]
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            ok = gap(mid) >= 0.0
            hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
        return np.where(found, hi, np.nan), found

    rng = np.random.default_rng(7)
    n = 400
    pos = np.column_stack(
        [rng.uniform(-80e3, 80e3, n), rng.uniform(-80e3, 80e3, n), rng.uniform(10.0, 30e3, n)]
    )
    vel = rng.normal(0.0, 300.0, (n, 3))
    acc = np.where(rng.random((n, 1)) < 0.3, rng.normal(0.0, 30.0, (n, 3)), 0.0)
    lau = np.column_stack([rng.uniform(-2e3, 2e3, (n, 2)), np.zeros(n)])
    beta = np.where(rng.random(n) < 0.3, rng.uniform(500.0, 5e4, n), np.inf)
    for name in INTERCEPTORS:
        p = INTERCEPTORS[name]
        pred = predict_intercept(name, lau, pos, vel, acc, target_beta_kg_m2=beta)
        bal = np.flatnonzero(np.isfinite(beta))
        _, bal_p, bal_v = ballistic_path(pos[bal], vel[bal], beta[bal], p.max_time_of_flight_s)

        def target_at(t, bal=bal, bal_p=bal_p, bal_v=bal_v):
            tt = t[..., None]
            two = t.ndim == 2
            p0, v0, a0 = (x[:, None] if two else x for x in (pos, vel, acc))
            tp = p0 + v0 * tt + 0.5 * a0 * tt * tt
            tv = v0 + a0 * tt
            tp[bal], tv[bal] = _hermite_at(bal_p, bal_v, BALLISTIC_STEP_S, t[bal])
            return tp, tv

        tof, found = reach_times_reference(
            speed_profile(p), p.max_time_of_flight_s, lau, target_at
        )
        np.testing.assert_array_equal(np.isfinite(pred.time_of_flight_s), found)
        np.testing.assert_allclose(pred.time_of_flight_s[found], tof[found], rtol=0, atol=1e-9)
        assert 50 < found.sum() < n  # both outcomes occur


def test_issue_13_passing_over_unreachable_grid_points_changes_no_time_of_flight() -> None:
    """`reach_times` skips grid points a bound proves out of reach: every time of flight is
    the one of looking at every point, bit for bit, on targets placed around the edge of
    the envelope (where the bound is tightest), accelerating or not, ballistic or not."""
    from gbad.engagement._intercept_kernel import reach_times
    from gbad.engagement.prediction import (
        BALLISTIC_STEP_S,
        NOMINAL_DT_S,
        ballistic_path,
        speed_profile,
    )

    rng = np.random.default_rng(11)
    n = 3000
    for name in INTERCEPTORS:
        p = INTERCEPTORS[name]
        sp = speed_profile(p)
        reach_m = float(np.max(sp.distance_m))
        # Ranges from well inside to well beyond what the interceptor can fly.
        bearing = rng.uniform(0.0, 2.0 * np.pi, n)
        ground = rng.uniform(0.2, 2.5, n) * reach_m
        pos = np.column_stack(
            [ground * np.cos(bearing), ground * np.sin(bearing), rng.uniform(50.0, 25e3, n)]
        )
        vel = rng.normal(0.0, 400.0, (n, 3))
        acc = np.where(rng.random((n, 1)) < 0.3, rng.normal(0.0, 40.0, (n, 3)), 0.0)
        lau = np.column_stack([rng.uniform(-2e3, 2e3, (n, 2)), np.zeros(n)])
        bal = np.flatnonzero(rng.random(n) < 0.05)
        _, bal_p, bal_v = ballistic_path(
            pos[bal], vel[bal], rng.uniform(500.0, 5e4, bal.size), p.max_time_of_flight_s
        )
        bal_row = np.full(n, -1, dtype=np.int64)
        bal_row[bal] = np.arange(bal.size)
        grid = np.arange(0.0, p.max_time_of_flight_s + 0.5 * NOMINAL_DT_S, NOMINAL_DT_S)
        args = (pos, vel, acc, lau, bal_row, bal_p, bal_v, BALLISTIC_STEP_S, grid,
                sp.elevation_deg, np.ascontiguousarray(sp.distance_m), sp.dt_s)  # fmt: skip
        every, skipped = np.empty(n), np.empty(n)
        reach_times(*args, every, False)
        reach_times(*args, skipped, True)
        np.testing.assert_array_equal(skipped, every)
        found = np.isfinite(every)
        assert 0.1 * n < found.sum() < 0.9 * n  # both outcomes, plenty of each
