"""The world's variability: what a run draws, and what each draw does to a flight.

Outside authorities: Didion's lag rule for crosswind drift (McCoy, *Modern Exterior
Ballistics*, ch. 5: z = w·(t − x/(V₀·cos θ₀)) for a point mass in a uniform
crosswind); the identity of a density factor and a drag factor in ρ·C_D·A; the
statistics the draws are documented to have.
"""

from __future__ import annotations

import numpy as np
import pytest

from gbad.earth.wgs84 import ecef2enu, enu_rotation
from gbad.scenario.loader import load_builtin
from gbad.scenario.schema import Variability
from gbad.world.ballistic import Air, fly
from gbad.world.munitions import MUNITIONS
from gbad.world.variability import (
    WIND_LAYERS_AGL_M,
    MappedGround,
    TerrainError,
    WorldSigma,
    draw_world,
    wind_sigma_mps,
)

LAT, LON, ALT = 37.5, 127.0, 0.0


def _east_wind(speed_mps: float) -> Air:
    east = enu_rotation(LAT, LON)[0]
    return Air(np.array([0.0]), (speed_mps * east)[None, :])


def _impact_enu(flight) -> np.ndarray:
    return np.array(ecef2enu(*flight.impact_ecef_m[0], LAT, LON, ALT))


def test_a_crosswind_drifts_a_shell_by_didions_lag_rule():
    p = MUNITIONS["155mm-he"]
    v0, qe = p.charges_mps[3], 10.0
    calm = fly(p, LAT, LON, ALT, qe, 0.0, v0, rotating=False)
    windy = fly(p, LAT, LON, ALT, qe, 0.0, v0, rotating=False, air=_east_wind(10.0))
    drift = _impact_enu(windy)[0] - _impact_enu(calm)[0]
    x = _impact_enu(calm)[1]
    t = calm.impact_t_s[0]
    lag = 10.0 * (t - x / (v0 * np.cos(np.radians(qe))))
    assert drift > 0.0  # downwind
    assert drift == pytest.approx(lag, rel=0.05)


def test_denser_air_is_more_drag_exactly():
    p = MUNITIONS["120mm-mortar"]
    air = Air(np.zeros(1), np.zeros((1, 3)), density_factor=1.07)
    a = fly(p, LAT, LON, ALT, 50.0, 0.0, p.top_charge_mps, air=air)
    b = fly(p, LAT, LON, ALT, 50.0, 0.0, p.top_charge_mps, drag_factor=1.07)
    np.testing.assert_allclose(a.impact_ecef_m, b.impact_ecef_m, atol=1e-6)
    calm = fly(p, LAT, LON, ALT, 50.0, 0.0, p.top_charge_mps)
    assert a.ground_range_m()[0] < calm.ground_range_m()[0]


def test_a_longer_burn_at_the_same_impulse_gives_about_the_same_burnout_speed():
    p = MUNITIONS["122mm-rocket"]
    base = fly(p, LAT, LON, ALT, 40.0, 0.0, p.top_charge_mps)
    slow = fly(p, LAT, LON, ALT, 40.0, 0.0, p.top_charge_mps, burn_factor=1.1)
    more = fly(p, LAT, LON, ALT, 40.0, 0.0, p.top_charge_mps, impulse_factor=1.02)

    def speed_at(f, t):
        n = f.n_samples[0]
        i = int(np.searchsorted(f.t_s[0, :n], t))
        return np.linalg.norm(f.vel_ecef_mps[0, i])

    v_bo = speed_at(base, p.burn_time_s)
    # Same impulse, 10 % longer: gravity and drag take a little more of it.
    assert speed_at(slow, 1.1 * p.burn_time_s) == pytest.approx(v_bo, rel=0.02)
    assert speed_at(slow, 1.1 * p.burn_time_s) < v_bo
    assert more.ground_range_m()[0] > base.ground_range_m()[0]


def test_ideal_draws_nothing_and_the_estimators_know_only_sigma():
    loaded = load_builtin("counter-battery")
    ideal = loaded.model.model_copy(
        update={"variability": loaded.model.variability.model_copy(update={"ideal": True})}
    )
    w = draw_world(ideal, np.random.default_rng(1))
    assert w.terrain_error is None and np.all(w.air.wind_ecef_mps == 0.0)
    assert w.air.density_factor == 1.0 and w.air.sound_factor == 1.0
    for factors in (w.drag_factor, w.impulse_factor, w.burn_factor):
        assert all(np.all(v == 1.0) for v in factors.values())
    assert w.refractivity_gradient_per_m == ideal.scenario.refractivity_gradient_per_m
    s = WorldSigma(ideal.variability, 0.0)
    assert s.terrain_m == 0.0 and s.impulse_frac == 0.0 and np.all(s.wind_mps([0, 5e3]) == 0)


def test_wind_lots_and_refraction_have_their_documented_statistics():
    loaded = load_builtin("counter-battery")
    cfg = loaded.model.variability
    o = loaded.model.scenario.origin
    east = enu_rotation(o.lat_deg, o.lon_deg)[0]
    draws = [draw_world(loaded.model, np.random.default_rng(s)) for s in range(600)]
    w_e = np.array([d.air.wind_ecef_mps @ east for d in draws])  # (600, L)
    sig = wind_sigma_mps(cfg, WIND_LAYERS_AGL_M)
    np.testing.assert_allclose(w_e.std(axis=0), sig, rtol=0.12)
    # Neighbouring layers turn together: exp(−Δh/L).
    i, j = 4, 5  # 1000 m and 1500 m
    want = np.exp(-(WIND_LAYERS_AGL_M[j] - WIND_LAYERS_AGL_M[i]) / cfg.wind_correlation_m)
    assert np.corrcoef(w_e[:, i], w_e[:, j])[0, 1] == pytest.approx(want, abs=0.08)
    rho = np.array([d.air.density_factor for d in draws])
    assert rho.std() == pytest.approx(cfg.density_sigma_frac, rel=0.12)
    # A threat's rounds share their lot: drag spread √(lot² + round²), rounds correlated.
    drag = np.array([d.drag_factor["gun-a"] for d in draws])  # (600, 8)
    total = np.hypot(cfg.drag_lot_sigma_frac, cfg.drag_round_sigma_frac)
    assert drag[:, 0].std() == pytest.approx(total, rel=0.12)
    lot_share = cfg.drag_lot_sigma_frac**2 / total**2
    assert np.corrcoef(drag[:, 0], drag[:, 1])[0, 1] == pytest.approx(lot_share, abs=0.08)
    grad = np.array([d.refractivity_gradient_per_m for d in draws])
    assert grad.mean() == pytest.approx(loaded.model.scenario.refractivity_gradient_per_m, abs=5e-9)
    assert grad.std() == pytest.approx(cfg.refractivity_sigma_per_m, rel=0.12)


def test_the_locators_map_error_is_a_smooth_field_of_its_sigma():
    rng = np.random.default_rng(3)
    sigma, corr = 10.0, 1000.0
    fields = [TerrainError.draw((LAT, LON, ALT), sigma, corr, rng) for _ in range(300)]
    d_lat = 1000.0 / 111_000.0  # about one correlation length north
    here = np.array([f.at(LAT, LON) for f in fields])
    there = np.array([f.at(LAT + d_lat, LON) for f in fields])
    assert here.std() == pytest.approx(sigma, rel=0.12)
    assert np.corrcoef(here, there)[0, 1] == pytest.approx(np.exp(-0.5), abs=0.1)

    class Flat:
        def height_m(self, lat, lon):
            return np.full(np.shape(lat), 100.0)

    mapped = MappedGround(Flat(), fields[0])
    lat = np.array([LAT, LAT + 0.05])
    np.testing.assert_allclose(
        mapped.height_m(lat, np.full(2, LON)), 100.0 + fields[0].at(lat, np.full(2, LON))
    )
    assert mapped.min_height_m <= 100.0 - 5 * sigma


def test_a_bad_variability_key_names_itself():
    from gbad.scenario.loader import ScenarioError, parse_scenario

    text = """
[scenario]
name = "v"
origin = { lat_deg = 37.0, lon_deg = 127.0, alt_m = 0.0 }
duration_s = 10.0

[variability]
wind_sigma_mps = -1.0
"""
    with pytest.raises(ScenarioError, match=r"variability.*wind_sigma_mps"):
        parse_scenario(text, "bad.toml")
    with pytest.raises(ScenarioError, match=r"did you mean 'terrain_sigma_m'"):
        parse_scenario(text.replace("wind_sigma_mps = -1.0", "terain_sigma_m = 3.0"), "b.toml")
    assert Variability().ideal is False


def test_the_locator_meets_its_mapped_ground_as_a_dem_search_would():
    """Over flat ground the map's smooth error is met level floor by level floor
    (`to_ground`'s fast path); the general DEM search along the sampled path agrees."""
    from gbad.earth.terrain import FlatGround
    from gbad.locating.dynamics import World, to_ground
    from gbad.locating.locate import WEAPON_CLASSES

    p = MUNITIONS["155mm-he"]
    f = fly(p, LAT, LON, ALT, 30.0, 20.0, p.top_charge_mps)
    n = int(f.n_samples[0])
    mid = n // 2
    x0 = np.concatenate([f.pos_ecef_m[0, mid], f.vel_ecef_mps[0, mid]])[None]
    model = WEAPON_CLASSES[1].model()
    error = TerrainError.draw((LAT, LON, ALT), 10.0, 1000.0, np.random.default_rng(4))
    fast = MappedGround(FlatGround(ALT), error)
    assert fast.flat_base_m == ALT

    class Dem:  # the same heights, without the flat base: the sampled search
        min_height_m = fast.min_height_m

        def height_m(self, lat, lon):
            return fast.height_m(lat, lon)

    for direction in (1.0, -1.0):
        args = (x0, np.array([model.kappa_nominal]), np.array([f.t_s[0, mid]]),
                np.array([direction]), model.cd_tables, np.zeros(1, dtype=np.int64), World())  # fmt: skip
        a = to_ground(*args, fast)
        b = to_ground(*args, Dem())
        assert a.status[0] == b.status[0] == 0
        np.testing.assert_allclose(a.state[0, :3], b.state[0, :3], atol=0.05)
