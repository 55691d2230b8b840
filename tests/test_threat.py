"""Threat evaluation: closed-form CPA and arrival times on straight and ballistic paths."""

from __future__ import annotations

import numpy as np
import pytest

from gbad.engagement.threat import Assets, classify_kind, evaluate

ASSETS = Assets(("base", "site"), np.array([[0.0, 0.0, 0.0], [5000.0, 0.0, 0.0]]),
                np.array([1000.0, 300.0]), np.array([10.0, 5.0]))  # fmt: skip


def test_incoming_track_arrives_when_the_closed_form_says():
    pos = np.array([[0.0, 30000.0, 100.0]])
    vel = np.array([[0.0, -250.0, 0.0]])
    tp = evaluate(pos, vel, ASSETS)
    # Enters the base's 1 km circle after (30 km - 1 km) / 250 m/s = 116 s (0.5 s grid).
    assert tp.time_to_asset_s[0, 0] == pytest.approx(116.0, abs=0.5)
    assert tp.cpa_m[0, 0] == pytest.approx(0.0, abs=1.0)
    assert tp.t_cpa_s[0, 0] == pytest.approx(120.0, abs=0.5)
    # The site, 5 km east, is passed at 5 km: CPA when the track is abeam.
    assert tp.cpa_m[0, 1] == pytest.approx(5000.0, abs=1.0)
    assert np.isinf(tp.time_to_asset_s[0, 1])
    assert tp.kind[0] == "cruise_missile"


def test_receding_track_is_least_threatening():
    pos = np.array([[0.0, 30000.0, 3000.0], [0.0, 20000.0, 3000.0], [0.0, 10000.0, 3000.0]])
    vel = np.array([[0.0, -250.0, 0.0], [0.0, 250.0, 0.0], [0.0, -250.0, 0.0]])
    tp = evaluate(pos, vel, ASSETS)
    assert tp.order.tolist() == [2, 0, 1]
    assert np.isinf(tp.time_to_asset_s[1]).all()
    assert tp.t_cpa_s[1, 0] == 0.0


def test_ballistic_track_falls_on_the_closed_form_point():
    # Level start 1 km up at 300 m/s: lands after sqrt(2h/g) = 14.28 s, 4,284 m on.
    pos = np.array([[-4284.0, 0.0, 1000.0]])
    vel = np.array([[300.0, 0.0, -200.0]])
    tp = evaluate(pos, vel, ASSETS)
    assert tp.kind[0] == "artillery"
    t_land = (-200.0 + np.sqrt(200.0**2 + 2 * 9.80665 * 1000.0)) / 9.80665
    x_land = -4284.0 + 300.0 * t_land
    assert tp.cpa_m[0, 0] == pytest.approx(abs(x_land), abs=200.0)


def test_kinds_from_kinematics():
    pos = np.array([[0, 0, 3000.0], [0, 0, 100.0], [0, 0, 500.0], [0, 0, 20000.0], [0, 0, 2e3]])
    vel = np.array([[250.0, 0, 0], [270.0, 0, 0], [40.0, 0, 0], [800.0, 0, -1200.0],
                    [400.0, 0, 300.0]])  # fmt: skip
    assert classify_kind(pos, vel).tolist() == [
        "aircraft", "cruise_missile", "uav", "ballistic", "artillery"
    ]  # fmt: skip


def test_an_aircraft_threatens_from_stand_off_and_not_once_it_turns_away():
    from gbad.engagement.threat import STANDOFF_M

    # Inbound at 3 km, heading to pass 8 km east of the base: inside an aircraft's
    # stand-off reach (1 km + 15 km), far outside a cruise missile's (1 km).
    pos = np.array([[8000.0, 40000.0, 3000.0]])
    vel = np.array([[0.0, -250.0, 0.0]])
    kind = np.array(["aircraft"], dtype=object)
    tp = evaluate(pos, vel, ASSETS, kind=kind)
    reach = 1000.0 + STANDOFF_M["aircraft"]
    arrive = (40000.0 - np.sqrt(reach**2 - 8000.0**2)) / 250.0
    assert tp.time_to_asset_s[0, 0] == pytest.approx(arrive, abs=0.5)
    assert tp.value[0] > 0.5 * 10.0 / (1.0 + arrive / 60.0)
    cm = evaluate(pos, vel, ASSETS, kind=np.array(["cruise_missile"], dtype=object))
    assert cm.value[0] < 0.05 * tp.value[0]
    # The same aircraft opening from the base, outside its reach: no threat at all.
    away = evaluate(np.array([[8000.0, 20000.0, 3000.0]]), -vel, ASSETS, kind=kind)
    assert away.value[0] == 0.0


def test_kind_memory_counts_an_update_once_and_no_slow_track_is_a_round():
    from gbad.engagement.threat import ROUND_MIN_SAMPLES, KindMemory

    mem = KindMemory()
    ids = np.array([1, 2])
    pos = np.array([[20e3, 0.0, 3000.0], [10e3, 0.0, 1000.0]])
    vel = np.array([[-200.0, 0.0, -50.0], [-50.0, 0.0, -5.0]])  # a falling round, a UAV
    acc = np.array([-9.0, -12.0])
    # The same update seen at many decisions is one sample: no verdict yet.
    for _ in range(3 * ROUND_MIN_SAMPLES):
        kind = mem.update(ids, pos, vel, acc, np.array([5.0, 5.0]))
    assert mem.n[1] == 1 and kind[0] != "artillery"
    for k in range(ROUND_MIN_SAMPLES):
        kind = mem.update(ids, pos, vel, acc, np.array([6.0 + k, 6.0 + k]))
    assert kind[0] == "artillery"
    # A 50 m/s track whose settling filter shows a fall is a UAV, not a round.
    assert kind[1] == "uav"


def test_issue_13_the_compiled_closest_approach_equals_the_array_search():
    """`threat.evaluate`'s compiled closest-approach search gives what the array search it
    replaced gives (the slow path, written out here): the same samples and distances to
    the bit, over crossing, receding, landing and already-inside tracks."""
    from gbad.engagement._threat_kernel import closest_approach

    rng = np.random.default_rng(11)
    n, n_a = 300, 3
    pos = np.column_stack([rng.uniform(-60e3, 60e3, (n, 2)), rng.uniform(0.0, 15e3, n)])
    vel = rng.normal(0.0, 250.0, (n, 3))
    ballistic = rng.random(n) < 0.4
    ballistic[:5], pos[:5, 2], vel[:5, 2] = True, -10.0, -50.0  # on the ground already
    acc = np.zeros((n, 3))
    acc[ballistic, 2] = -9.80665
    assets = rng.uniform(-5e3, 5e3, (n_a, 2))
    reach = rng.uniform(500.0, 20e3, (n, n_a))
    t = np.linspace(0.0, 600.0, 1201)
    # The array search, as threat.evaluate did it before.
    path = (
        pos[:, None, :]
        + vel[:, None, :] * t[None, :, None]
        + 0.5 * acc[:, None, :] * t[None, :, None] ** 2
    )
    landed = ballistic[:, None] & (path[..., 2] < 0.0)
    d = np.linalg.norm(path[:, :, None, :2] - assets[None, None, :, :2], axis=-1)
    d = np.where(landed[..., None], np.inf, d)
    k_slow = np.argmin(d, axis=1)
    cpa_slow = np.take_along_axis(d, k_slow[:, None, :], axis=1)[:, 0, :]
    inside = d <= reach[:, None, :]
    first_slow = np.where(inside.any(axis=1), np.argmax(inside, axis=1), -1)

    k = np.zeros((n, n_a), dtype=np.int64)
    cpa = np.zeros((n, n_a))
    first = np.zeros((n, n_a), dtype=np.int64)
    closest_approach(pos, vel, acc, ballistic, t, assets, reach, k, cpa, first)
    np.testing.assert_array_equal(k, k_slow)
    np.testing.assert_array_equal(cpa, cpa_slow)
    np.testing.assert_array_equal(first, first_slow)
    assert (first == 0).any() and (first > 0).any() and (first < 0).any()
    assert np.isinf(cpa[:5]).all()  # landed before the first sample
