"""The locator: noise-free truth, Zarchan & Musoff's falling object, CEP, degenerate input.

Authorities: the truth's own point-mass flight (`gbad.world.ballistic.fly`, itself
checked against py-ballisticcalc and Kepler) for noise-free locates; Zarchan &
Musoff, *Fundamentals of Kalman Filtering*, ch. 7 (object falling from 200,000 ft at
6,000 ft/s, β = 500 lb/ft², ρ = 0.0034·exp(−h/22,000) slug/ft³, altitude measured
every 0.1 s with σ = 1,000 ft) for ballistic-coefficient estimation; the χ²
distribution for NEES; a Monte Carlo for the CEP of an elliptical Gaussian.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gbad.earth.wgs84 import ecef2enu, enu2ecef, enu_rotation, geodetic2ecef
from gbad.locating.claims import ground_point_cov
from gbad.locating.dynamics import WORLD_FLAT, World, propagate
from gbad.locating.fit import Model, Observations, fit, information
from gbad.locating.locate import (
    LEVEL_FLIGHT,
    WEAPON_CLASSES,
    Locates,
    cep_m,
    initial_theta,
    locate,
    observations,
)
from gbad.locating.screen import level_flight
from gbad.scenario.schema import LocatorConfig
from gbad.world.ballistic import fly
from gbad.world.munitions import MUNITIONS
from gbad.world.truth import resample

ORIGIN = (37.1, 127.05, 40.0)


def _dwells(
    name, el_q_deg, speed, t0, t1, sigma_scale=0.0, seed=0, n_rounds=1, radar_sigma=1.0,
    bias=(0.0, 0.0, 0.0),
):  # fmt: skip
    """A round fired 15 km north of a radar at the origin, seen every 0.05 s in [t0, t1);
    ``bias``: the radar's (range m, azimuth deg, elevation deg) bias on every look, or
    one such row per round."""
    p = MUNITIONS[name]
    lat0 = ORIGIN[0] + 15000 / 111000
    f = fly(p, [lat0], [ORIGIN[1]], [ORIGIN[2]], [el_q_deg], [180.0], [speed], ground=ORIGIN[2])
    n = f.n_samples[0]
    t, pos, vel = f.t_s[0, :n], f.pos_ecef_m[0, :n], f.vel_ecef_mps[0, :n]
    tt = np.arange(t0, t1, 0.05)
    p_t, v_t = resample(t, pos, vel, tt)
    obs, positions = _measured(tt, p_t, v_t, sigma_scale, seed, n_rounds, radar_sigma, bias)
    poo = np.array(ecef2enu(*pos[0], *ORIGIN))
    poi = np.array(ecef2enu(*pos[-1], *ORIGIN))
    _dwells.truth = (t, pos, vel)
    return obs, positions, poo, poi


def _measured(tt, p_t, v_t, sigma_scale, seed, n_rounds=1, radar_sigma=1.0, bias=(0.0, 0.0, 0.0)):
    """Observations of ECEF states (p_t, v_t) at times tt by the radar at the origin."""
    radar = np.array(geodetic2ecef(ORIGIN[0], ORIGIN[1], ORIGIN[2] + 4.0))
    rot = enu_rotation(ORIGIN[0], ORIGIN[1])
    rel = p_t - radar
    loc = rel @ rot.T
    rng_m = np.linalg.norm(rel, axis=1)
    az = np.degrees(np.arctan2(loc[:, 0], loc[:, 1])) % 360
    el = np.degrees(np.arctan2(loc[:, 2], np.hypot(loc[:, 0], loc[:, 1])))
    rr = np.sum(rel * v_t, axis=1) / rng_m
    sig = np.array([5.0, 0.05, 0.05, 0.5]) * radar_sigma
    noise = np.random.default_rng(seed).standard_normal((n_rounds, len(tt), 4)) * sigma_scale
    k = len(tt)
    group = np.repeat(np.arange(n_rounds), k)
    meas = np.stack([rng_m, az, el, rr], axis=-1)[None] + noise * sig
    b = np.asarray(bias, dtype=float)
    meas[..., :3] += b[:, None, :] if b.ndim == 2 else b  # one bias per round, or for all
    return observations(
        group,
        n_rounds,
        np.tile(tt, n_rounds),
        meas[..., 0].ravel(),
        meas[..., 1].ravel() % 360,
        meas[..., 2].ravel(),
        meas[..., 3].ravel(),
        np.tile(sig, (n_rounds * k, 1)),
        np.tile(radar, (n_rounds * k, 1)),
        np.tile(rot, (n_rounds * k, 1, 1)),
    )


@pytest.mark.parametrize(
    ("name", "el_q", "cls"),
    [("155mm-he", 35.0, "artillery"), ("120mm-mortar", 60.0, "mortar"), ("122mm-rocket", 35.0, "rocket")],
)  # fmt: skip
def test_noise_free_dwells_give_poo_and_poi_within_1_m(name, el_q, cls):
    obs, pos, poo, poi = _dwells(name, el_q, MUNITIONS[name].top_charge_mps, 1.0, 4.0)
    got = locate(obs, pos, World(), ORIGIN[2], origin=ORIGIN)
    assert got.located[0], got.reason[0]
    assert got.weapon_class[0] == cls
    assert np.linalg.norm(got.poo_enu_m[0] - poo) < 1.0
    assert np.linalg.norm(got.poi_enu_m[0] - poi) < 1.0


def test_zarchan_falling_object_ballistic_coefficient():
    g = 32.2  # Zarchan's units: ft, s, slug
    world = World(
        WORLD_FLAT, flat_g_mps2=g, flat_rho0=0.0034, flat_scale_height_m=22000.0, dt_s=0.01
    )
    beta_true = 500.0
    model = Model(np.ones((1, 2)), kappa_nominal=g / 800.0, kappa_prior_sigma=10.0)
    t = np.arange(0.1, 30.0 + 1e-9, 0.1)
    x0 = np.array([[0, 0, 200000.0, 0, 0, -6000.0]])
    truth = propagate(x0, np.array([g / beta_true]), np.array([0.0]), t[None], np.ones((1, 2)),
                      np.zeros(1, int), world)[0]  # fmt: skip
    runs, k = 200, len(t)
    rng = np.random.default_rng(1)
    z = np.zeros((runs, k, 4))
    z[..., 0] = truth[:, 2] + 1000.0 * rng.standard_normal((runs, k))
    sig = np.full((runs, k, 4), np.nan)
    sig[..., 0] = 1000.0
    obs = Observations(np.tile(t, (runs, 1)), z, sig, np.zeros((runs, k, 3)),
                       np.tile(np.eye(3), (runs, k, 1, 1)), np.zeros(runs))  # fmt: skip
    # Zarchan's initial guesses: 200,025 ft, -6,150 ft/s, beta 800 lb/ft^2.
    theta0 = np.tile([0, 0, 200025.0, 0, 0, -6150.0, 1.0], (runs, 1))
    res = fit(theta0, obs, model, world, free=np.array([0, 0, 1, 0, 0, 1, 1], bool))
    assert res.converged.all()
    beta = g / (model.kappa_nominal * res.theta[:, 6])
    sigma_beta = beta * np.sqrt(res.cov[:, 6, 6]) / res.theta[:, 6]
    # The estimate is unbiased (to 3 standard errors) and its spread is the one claimed.
    assert abs(beta.mean() - beta_true) < 3 * beta.std() / np.sqrt(runs)
    assert 0.8 < beta.std() / np.median(sigma_beta) < 1.2
    e = res.theta[:, [2, 5, 6]] - np.array([200000.0, -6000.0, 800.0 / beta_true])
    cov = res.cov[:, [2, 5, 6]][:, :, [2, 5, 6]]
    nees = np.einsum("mi,mij,mj->m", e, np.linalg.inv(cov), e)
    # Mean NEES of 200 runs, 3 dof: inside the two-sided 99 % band of chi2(600)/200.
    assert 2.44 < nees.mean() < 3.61


def test_cep_of_a_circular_gaussian_and_of_an_ellipse():
    assert cep_m(np.diag([4.0, 4.0])) == pytest.approx(1.17741 * 2.0, rel=1e-4)
    cov = np.array([[100.0, 30.0], [30.0, 16.0]])
    x = np.random.default_rng(3).multivariate_normal([0, 0], cov, 400_000)
    mc = np.median(np.hypot(x[:, 0], x[:, 1]))
    assert cep_m(cov) == pytest.approx(mc, rel=5e-3)


def cep_m_reference(cov2):
    """`cep_m` as it was: the same quadrature in NumPy passes over every ellipse and angle
    at once, sixty bisection halvings from [0, 3σ1] (to the last bits of the radius)."""
    from gbad.locating.cep import _COS2, _SIN2, _axes

    shape, bad, s1, s2 = _axes(cov2)
    q = _COS2[None] / s1[:, None] ** 2 + _SIN2[None] / s2[:, None] ** 2
    lo = np.zeros(len(s1))
    hi = 3.0 * s1
    for _ in range(60):
        r = 0.5 * (lo + hi)
        p = np.mean(-np.expm1(-0.5 * r[:, None] ** 2 * q) / (s1 * s2)[:, None] / q, axis=1)
        lo = np.where(p < 0.5, r, lo)
        hi = np.where(p < 0.5, hi, r)
    out = 0.5 * (lo + hi)
    out[bad] = np.nan
    return out.reshape(shape)


def test_issue_13_the_compiled_cep_is_the_numpy_passes_to_rounding():
    """`cep_m`'s kernel (one ellipse at a time) against the NumPy reference it replaced, on
    ellipses from round to 10⁶:1 and sizes from a millimetre to 10 km; NaN stays NaN."""
    rng = np.random.default_rng(13)
    n = 500
    s1 = 10.0 ** rng.uniform(-3, 4, n)
    s2 = s1 * 10.0 ** rng.uniform(-6, 0, n)
    ang = rng.uniform(0, np.pi, n)
    c, s = np.cos(ang), np.sin(ang)
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    cov = rot @ (np.stack([s1**2, s2**2], -1)[..., None] * np.eye(2)) @ rot.transpose(0, 2, 1)
    cov[7, 0, 1] = np.nan
    fast, slow = cep_m(cov), cep_m_reference(cov)
    assert np.isnan(fast[7]) and np.isnan(slow[7])
    np.testing.assert_allclose(fast, slow, rtol=1e-13)
    assert cep_m(np.diag([4.0, 4.0])).shape == ()


def test_too_noisy_track_is_not_located_with_its_reason():
    # A radar 100 times worse than the nominal one, honest about it: the fit is fine,
    # the point is not, and no wild point is given.
    obs, pos, _, _ = _dwells(
        "155mm-he", 35.0, 684.0, 1.0, 4.0, sigma_scale=1.0, seed=2, radar_sigma=100.0
    )
    limit = LocatorConfig(max_poo_cep_m=500.0)
    got = locate(obs, pos, World(), ORIGIN[2], limit, origin=ORIGIN)
    assert not got.located[0]
    assert got.reason[0] == "too uncertain: point of origin CEP above the limit"
    assert got.poo_cep_m[0] > 500.0


def test_too_short_track_is_not_located_with_its_reason():
    obs, pos, _, _ = _dwells("155mm-he", 35.0, 684.0, 1.0, 1.3)
    got = locate(obs, pos, World(), ORIGIN[2], origin=ORIGIN)
    assert not got.located[0]
    assert got.reason[0] == "track too short"


class _NoGroundHere:
    """A DEM with no data anywhere: nothing can land on it."""

    min_height_m = 0.0

    def height_m(self, lat_deg, lon_deg):
        return np.full(np.shape(lat_deg), np.nan)


def test_trajectory_that_never_meets_the_dem_is_not_located():
    obs, pos, _, _ = _dwells("155mm-he", 35.0, 684.0, 1.0, 4.0)
    got = locate(
        obs, pos, World(), _NoGroundHere(), LocatorConfig(max_flight_s=80.0), origin=ORIGIN
    )
    assert not got.located[0]
    assert "meets no ground" in got.reason[0]
    assert np.isnan(got.poo_cep_m[0]) or not got.located[0]


def test_poo_cep_near_the_cramer_rao_bound_and_honest_over_200_rounds():
    obs, pos, poo, _ = _dwells("155mm-he", 35.0, 684.0, 1.0, 4.0, sigma_scale=1.0, seed=5,
                               n_rounds=200)  # fmt: skip
    artillery = WEAPON_CLASSES[1]
    got = locate(obs, pos, World(), ORIGIN[2], origin=ORIGIN, classes=(artillery,))
    assert got.located.all()
    err = np.hypot(*(got.poo_enu_m[:, :2] - poo[:2]).T)
    # The claimed CEP is honest: half the rounds fall inside their own circle.
    inside = np.mean(err <= got.poo_cep_m)
    assert 0.4 <= inside <= 0.6
    # The bound: Fisher information at the true state, carried to the true launch point.
    t, p_t, v_t = _dwells.truth
    model = artillery.model()
    x_ref, v_ref = resample(t, p_t, v_t, obs.t_ref_s[:1])
    theta = np.tile(np.concatenate([x_ref[0], v_ref[0], [1.0]]), (len(obs), 1))
    bound = np.linalg.inv(information(theta, obs, model, World()))
    launch = np.tile(np.concatenate([p_t[0], v_t[0]]), (len(obs), 1))
    cov = ground_point_cov(theta, bound, model, World(), obs.t_ref_s, np.zeros(len(obs)), launch)
    rot = enu_rotation(ORIGIN[0], ORIGIN[1])
    bound_cep = cep_m((rot @ cov @ rot.T)[:, :2, :2])
    ratio = np.median(err) / np.median(bound_cep)
    assert ratio < 1.2, ratio


def test_dwells_on_a_radar_that_is_not_weapon_locating_is_a_clear_error():
    from importlib import resources

    from gbad.scenario.loader import BUILTIN_PACKAGE, ScenarioError, parse_scenario

    text = (resources.files(BUILTIN_PACKAGE) / "airbase-defence.toml").read_text()
    old = "beamwidth_el_deg = 2.5\n"
    assert old in text
    bad = text.replace(old, old + "dwells = { track_rate_hz = 20.0 }\n", 1)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(bad, "bad.toml")
    msg = str(info.value)
    assert 'radars[1] (id "lrsr")' in msg and "belongs to a weapon_locating radar" in msg


def test_float_dwell_track_id_column_is_a_clear_error():
    from gbad.scenario.loader import load_builtin
    from gbad.sensors.detection_file import DetectionFileError, from_columns
    from gbad.sim import radar_models

    cols = {
        "t_s": np.array([0.0]),
        "radar_id": np.array(["wlr"], dtype=object),
        "range_m": np.array([10e3]),
        "az_deg": np.array([10.0]),
        "el_deg": np.array([1.0]),
        "dwell_track_id": np.array([1.5]),
    }
    with pytest.raises(DetectionFileError) as info:
        from_columns(cols, radar_models(load_builtin("airbase-defence")), "d.parquet")
    assert "'dwell_track_id' must be integer (-1 for a search detection)" in str(info.value)


def _counter_battery(ideal: bool):
    from dataclasses import replace

    from gbad.api import load_builtin

    loaded = load_builtin("counter-battery")
    v = loaded.model.variability.model_copy(update={"ideal": ideal})
    return replace(loaded, model=loaded.model.model_copy(update={"variability": v}))


@pytest.fixture(scope="module")
def counter_battery(tmp_path_factory):
    """The built-in counter-battery scenario in the ideal world: the locator's efficiency."""
    from gbad.api import run_scenario

    return run_scenario(_counter_battery(ideal=True), tmp_path_factory.mktemp("cb"))


@pytest.fixture(scope="module")
def counter_battery_real(tmp_path_factory):
    """The same with the world's variability and the radar's errors drawn (the default)."""
    from gbad.api import run_scenario

    return run_scenario(_counter_battery(ideal=False), tmp_path_factory.mktemp("cbr"))


def test_in_the_real_world_rounds_are_located_to_a_fielded_radars_accuracy(
    counter_battery_real,
):
    """One run of the default world: its errors are shared by every round of a battery
    (one wind, one lot, one north alignment), so the honest figures are the Monte Carlo
    study's (docs/locating.md); a single run must still look like a fielded radar's."""
    s = counter_battery_real.summary["locating"]
    assert s["rounds_located"] >= 0.85 * s["rounds"]
    assert s["false_locates"] == 0
    assert s["classification_accuracy"] >= 0.8
    for kind, row in s["by_class"].items():
        # Never the micrometres of a perfect world; never worse than a fielded radar.
        assert 2e-4 < row["poo_error_share_of_range_median"] < 0.01, kind
        assert row["poi_error_median_m"] > 10.0, kind
    # The bound with the systematic errors is the yardstick now, not the ideal one.
    assert s["poo_cep_over_crlb_cep"] > 3.0
    assert 0.3 < s["poo_cep_over_crlb_bias_cep"] < 3.0


def test_counter_battery_scenario_locates_every_round_and_no_aircraft(counter_battery):
    s = counter_battery.summary["locating"]
    assert s["rounds_located"] == s["rounds"] == 94
    assert s["false_locates"] == 0
    assert s["missed_warnings"] == 0 and s["false_alerts"] == 0
    # A perfect world: far better than any fielded radar (the default world is not).
    assert s["poo_error_share_of_range_median"] < 0.001
    # Efficiency: each locate's error against its own Cramér–Rao bound, in aggregate.
    assert s["poo_with_crlb"] == s["rounds"]
    assert s["classification_accuracy"] >= 0.95
    assert 0.6 < s["poo_cep_over_crlb_cep"] < 1.2
    # Honest claims: a χ²(2) NEES has median 1.39.
    assert 0.9 < s["poo_nees_median"] < 2.0


def test_a_40_round_salvo_does_not_collapse_the_radar(counter_battery):
    import pyarrow.parquet as pq

    loc = pq.read_table(counter_battery.files["locates"]).to_pandas()
    objects = pq.read_table(counter_battery.files["objects"]).to_pandas()
    rockets = set(objects.loc[objects.kind == "rocket", "object_id"])
    final = loc[loc.final & loc.located]
    assert rockets <= set(final.truth_id)
    assert (final.loc[final.truth_id.isin(rockets), "poo_cep_m"] < 50).all()


def test_salvo_keeps_the_fence_alive_and_shares_the_time(counter_battery):
    line = counter_battery.summary["radars"]["wlr"]["time_line"]
    dwells = load_dwells()
    # Track dwells never take more than their share; the fence keeps turning.
    assert line["track_share_max"] <= 1.0 - dwells.search_share_min + 1e-9
    assert line["open_tracks_max"] >= 8  # the salvo really loads it
    assert line["fence_revisit_s_max"] <= line["fence_revisit_s_min"] / dwells.search_share_min


def load_dwells():
    from gbad.api import load_builtin

    return load_builtin("counter-battery").model.radars[0].dwells


def test_gbad_track_locates_a_detection_file(counter_battery, tmp_path):
    import json

    from gbad.cli import main

    builtin = Path(__file__).parents[1] / "src/gbad/scenario/builtin/counter-battery.toml"
    scenario = tmp_path / "counter-battery-ideal.toml"
    scenario.write_text(builtin.read_text() + "\n[variability]\nideal = true\n")
    code = main(
        [
            "track",
            str(counter_battery.files["detections"]),
            "--scenario",
            str(scenario),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    got = json.loads((tmp_path / "out" / "summary.json").read_text())["locator"]
    want = counter_battery.summary["locating"]
    assert got["tracks_located"] == want["tracks_located"]
    assert (tmp_path / "out" / "locates.parquet").is_file()
    assert (tmp_path / "out" / "alerts.parquet").is_file()


def test_report_shows_the_locates_and_the_confusion_matrix(counter_battery):
    page = counter_battery.files["report"].read_text()
    assert "<h2>Weapon locating</h2>" in page
    assert 'aria-label="points of origin and impact"' in page
    assert "Classification (rows: truth, columns: locator)" in page
    # One origin marker per final locate.
    n = counter_battery.summary["locating"]["tracks_located"]
    assert page.count('<path d="M') == 2 * n


def test_95_percent_ellipse_of_a_known_covariance():
    from gbad.locating.locator import ellipse95

    # 100 m east-west by 20 m north-south, rotated to run north-east (45°).
    c, s_ = np.cos(np.pi / 4), np.sin(np.pi / 4)
    r = np.array([[c, -s_], [s_, c]])
    cov = r @ np.diag([100.0**2, 20.0**2]) @ r.T
    major, minor, az = ellipse95(cov[None])
    assert major[0] == pytest.approx(100.0 * 2.4477, rel=1e-4)
    assert minor[0] == pytest.approx(20.0 * 2.4477, rel=1e-4)
    assert az[0] == pytest.approx(45.0, abs=1e-6)


def test_figures_per_kind_of_round_and_alerts_sounding_after_their_latency(counter_battery):
    import pyarrow.parquet as pq

    s = counter_battery.summary["locating"]
    per = s["by_class"]
    objects = pq.read_table(counter_battery.files["objects"]).to_pandas()
    kinds = objects.kind[objects.kind.isin(["shell", "mortar", "rocket"])].value_counts()
    assert set(per) == set(kinds.index)
    for kind, row in per.items():
        assert row["rounds"] == kinds[kind] == row["located"]
        assert row["poo_error_share_of_range_p90"] >= row["poo_error_share_of_range_median"]
        assert 0.0 <= row["poo_share_inside_own_cep"] <= 1.0
    assert sum(r["warnings_given"] for r in per.values()) == s["warnings_given"]
    assert sum(r["missed_warnings"] for r in per.values()) == s["missed_warnings"]
    # The alert sounds the locator's latency after the solution that raised it, and the
    # warning time counts from then.
    alerts = pq.read_table(counter_battery.files["alerts"]).to_pandas()
    latency = counter_battery_latency()
    assert latency > 0
    np.testing.assert_allclose(alerts.t_s - alerts.solution_t_s, latency)
    np.testing.assert_allclose(alerts.warning_s, alerts.predicted_impact_t_s - alerts.t_s)
    page = counter_battery.files["report"].read_text()
    assert "<h3>Per kind of round</h3>" in page


def counter_battery_latency() -> float:
    from gbad.api import load_builtin

    return load_builtin("counter-battery").model.locator.alert_latency_s


def test_relocating_after_a_kill_is_a_full_rerun_on_what_is_left(counter_battery):
    from gbad.api import load_builtin
    from gbad.locating.locator import relocate, run_locator
    from gbad.sensors.detection_file import read_detections
    from gbad.sim import make_ground, radar_models

    loaded = load_builtin("counter-battery")
    m = loaded.model
    radars = radar_models(loaded)
    det = read_detections(counter_battery.files["detections"], radars).for_locator(radars)
    args = (radars, m.scenario.origin, m.locator, make_ground(loaded), m.assets)
    prev = run_locator(det, *args)
    # Two tracks lose their last 40 % (their objects destroyed part-way), one all of it.
    kept = np.ones(len(det), dtype=bool)
    tracks, counts = np.unique(det.dwell_track_id, return_counts=True)
    tracks = tracks[counts >= 20]  # long enough that losing 40 % leaves some
    for k, share in zip(tracks[[3, 10, 20]], (0.4, 0.4, 1.0), strict=True):
        rows = np.flatnonzero(det.dwell_track_id == k)
        kept[rows[int(len(rows) * (1 - share)) :]] = False
    full = run_locator(det.take(np.flatnonzero(kept)), *args)
    again = relocate(prev, det, kept, *args)
    assert again.n_tracks == full.n_tracks == prev.n_tracks - 1
    assert set(again.locates) == set(full.locates)
    for c, v in full.locates.items():
        if v.dtype == object:
            assert again.locates[c].tolist() == v.tolist(), c
        else:
            np.testing.assert_allclose(again.locates[c], v, rtol=1e-9, atol=1e-9, err_msg=c)
    assert [r.tolist() for r in again.detection_rows] == [r.tolist() for r in full.detection_rows]
    np.testing.assert_allclose(again.alerts["t_s"], full.alerts["t_s"])


@pytest.mark.parametrize(
    ("name", "el_q"), [("155mm-he", 35.0), ("120mm-mortar", 60.0), ("122mm-rocket", 35.0)]
)
def test_a_radar_bias_moves_the_poo_as_the_geometry_says(name, el_q):
    """The error budget's sensitivities: an azimuth bias δ moves the point of origin by
    range × δ across the line of sight; an elevation bias by range × δ × cot γ along it
    (γ the flight-path angle at launch: the track seen higher meets the ground earlier)."""
    speed = MUNITIONS[name].top_charge_mps
    delta = 1e-3  # rad
    _, _, poo, _ = _dwells(name, el_q, speed, 1.0, 4.0)
    _, pos, vel = _dwells.truth
    v0 = np.array(ecef2enu(*(pos[0] + vel[0]), *ORIGIN)) - poo  # launch velocity, ENU
    gamma = np.arctan2(v0[2], np.hypot(v0[0], v0[1]))
    radar = np.array(ecef2enu(*geodetic2ecef(ORIGIN[0], ORIGIN[1], ORIGIN[2] + 4.0), *ORIGIN))
    los = (poo - radar)[:2]
    rng_h = np.linalg.norm(los)
    cases = [((0.0, np.degrees(delta), 0.0), rng_h * delta, False)]
    # A rocket seen in its boost is another matter: its fit takes an elevation bias into
    # its launch angle and motor (measured: the POO moves by centimetres), so only the
    # azimuth sensitivity holds for it. Noted for issue 11's error budget.
    if name != "122mm-rocket":
        cases.append(((0.0, 0.0, np.degrees(delta)), rng_h * delta / np.tan(gamma), True))
    for which, want, along in cases:
        obs, p, _, _ = _dwells(name, el_q, speed, 1.0, 4.0, bias=which)
        got = locate(obs, p, World(), ORIGIN[2], origin=ORIGIN)
        assert got.located[0], got.reason[0]
        shift = (got.poo_enu_m[0] - poo)[:2]
        u = los / rng_h
        moved = abs(shift @ u) if along else abs(shift[0] * u[1] - shift[1] * u[0])
        tol = 0.10 if along else 0.05
        assert moved == pytest.approx(want, rel=tol), (which, moved, want)


@pytest.mark.parametrize(
    ("name", "el_q"), [("155mm-he", 35.0), ("120mm-mortar", 60.0), ("122mm-rocket", 35.0)]
)
def test_a_map_height_error_moves_the_poo_by_dh_cot_gamma(name, el_q):
    """The error budget's terrain term: a map Δh too high meets the trajectory traced back
    Δh·cot γ short of the true firing point (γ the flight-path angle at launch). A
    rocket first seen after burnout has its launch pinned to the map, and it slides the
    same way along its boost (one seen burning is placed by its motor, not the map)."""
    dh = 10.0
    t0 = 2.5 if name == "122mm-rocket" else 1.0
    obs, pos, poo, _ = _dwells(name, el_q, MUNITIONS[name].top_charge_mps, t0, t0 + 3.0)
    _, p_t, v_t = _dwells.truth
    # γ where the path crosses the middle of the slice Δh: a rocket's boost still curves.
    up = np.array([ecef2enu(*p, *ORIGIN)[2] for p in p_t[:400]]) - poo[2]
    i = int(np.argmax(up >= dh / 2))
    v0 = np.array(ecef2enu(*(p_t[i] + v_t[i]), *ORIGIN)) - np.array(ecef2enu(*p_t[i], *ORIGIN))
    gamma = np.arctan2(v0[2], np.hypot(v0[0], v0[1]))
    at = locate(obs, pos, World(), ORIGIN[2], origin=ORIGIN)
    high = locate(obs, pos, World(), ORIGIN[2] + dh, origin=ORIGIN)
    assert at.located[0] and high.located[0]
    shift = (high.poo_enu_m[0] - at.poo_enu_m[0])[:2]
    ahead = v0[:2] / np.linalg.norm(v0[:2])
    # The rocket's launch also answers to its tube-exit speed, which a launch 10 m up
    # the boost no longer has: it slides a little further (measured 1.10x).
    tol = 0.15 if name == "122mm-rocket" else 0.10
    assert shift @ ahead == pytest.approx(dh / np.tan(gamma), rel=tol)


@pytest.mark.parametrize(
    ("name", "el_q", "cls"), [("155mm-he", 35.0, 1), ("120mm-mortar", 60.0, 0), ("122mm-rocket", 35.0, 2)]
)  # fmt: skip
def test_claimed_ceps_stay_honest_when_the_radar_has_systematic_errors(name, el_q, cls):
    """Each round seen by a radar with its own drawn range, north-alignment and tilt
    errors (3 m, 1 mrad, 1 mrad, 1σ): told only those σ, the locator's claims take them
    in (consider covariance) and stay honest; blind to them, they would not."""
    n = 200
    sigma = np.array([3.0, 1e-3, 1e-3])  # m, rad, rad
    drawn = np.random.default_rng(11).standard_normal((n, 3)) * sigma
    bias = np.column_stack([drawn[:, 0], np.degrees(drawn[:, 1]), np.degrees(drawn[:, 2])])
    speed = MUNITIONS[name].top_charge_mps
    obs, pos, poo, _ = _dwells(
        name, el_q, speed, 1.0, 4.0, sigma_scale=1.0, seed=5, n_rounds=n, bias=bias
    )
    one = (WEAPON_CLASSES[cls],)
    blind = locate(obs, pos, World(), ORIGIN[2], origin=ORIGIN, classes=one)
    told = locate(
        obs, pos, World(), ORIGIN[2], origin=ORIGIN, classes=one,
        bias_sigma=np.tile([*sigma, 0.0], (n, 1)),
    )  # fmt: skip
    ok = told.located
    assert ok.mean() >= 0.95
    # The fits are the same; only the claims differ.
    np.testing.assert_allclose(told.poo_enu_m[ok], blind.poo_enu_m[ok])
    err = np.hypot(*(told.poo_enu_m[ok, :2] - poo[:2]).T)
    assert np.mean(err <= blind.poo_cep_m[ok]) < 0.3
    assert 0.35 <= np.mean(err <= told.poo_cep_m[ok]) <= 0.65
    d = (told.poo_enu_m[ok, :2] - poo[:2])[:, :, None]
    nees = (np.swapaxes(d, 1, 2) @ np.linalg.inv(told.poo_cov_enu_m2[ok, :2, :2]) @ d).ravel()
    assert 1.5 <= nees.mean() <= 3.0, nees.mean()


def test_the_point_of_origin_claim_takes_in_the_classes_it_could_be():
    from types import SimpleNamespace

    from gbad.locating.locate import _class_spread

    poo = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    cov = np.tile(np.eye(3), (2, 1, 1))
    here = [
        SimpleNamespace(poo=np.zeros((2, 6))),  # the winner
        SimpleNamespace(poo=np.array([[100.0, 0, 0, 0, 0, 0], [100.0, 0, 0, 0, 0, 0]])),
        SimpleNamespace(poo=np.full((2, 6), np.nan)),  # no ground met
    ]
    # Track 0: the second class explains it nearly as well (cost 2 more); track 1: not at all.
    costs = np.array([[10.0, 12.0, np.inf], [10.0, 60.0, np.inf]])
    _class_spread(costs, here, poo, cov)
    w = np.exp(-1.0) / (1.0 + np.exp(-1.0))
    assert cov[0, 0, 0] == pytest.approx(1.0 + w * 100.0**2)
    assert cov[0, 1, 1] == 1.0 and cov[1, 0, 0] == pytest.approx(1.0, abs=1e-6)


def test_issue_12_the_locator_reports_its_progress(counter_battery):
    """Long locating work shows progress: the share of solutions done, rising to 1."""
    from gbad.api import load_builtin
    from gbad.locating.locator import run_locator
    from gbad.sensors.detection_file import read_detections
    from gbad.sim import make_ground, radar_models

    loaded = load_builtin("counter-battery")
    m = loaded.model
    radars = radar_models(loaded)
    det = read_detections(counter_battery.files["detections"], radars).for_locator(radars)
    seen: list[float] = []
    run_locator(
        det, radars, m.scenario.origin, m.locator, make_ground(loaded), m.assets,
        progress=seen.append,
    )  # fmt: skip
    assert len(seen) >= 2 and seen[-1] == pytest.approx(1.0)
    assert np.all(np.diff(seen) >= 0)


def test_issue_12_a_track_number_reused_after_ten_minutes_is_no_round_and_costs_nothing(
    counter_battery,
):
    """A recording that reuses the radar's track numbers (the same dwells again, 600 s
    later) made each track's growing solutions grow with its length squared: gigabytes
    from 50k detections. A track longer than any flight (`max_flight_s`) is not solved:
    its one final row says why, and the other tracks are located as before."""
    from dataclasses import replace

    from gbad.api import load_builtin
    from gbad.locating.locator import BATCH_CELLS, TOO_LONG, _batches, run_locator
    from gbad.sensors.detection_file import read_detections
    from gbad.sim import make_ground, radar_models

    loaded = load_builtin("counter-battery")
    m = loaded.model
    radars = radar_models(loaded)
    det = read_detections(counter_battery.files["detections"], radars).for_locator(radars)
    args = (radars, m.scenario.origin, m.locator, make_ground(loaded), m.assets)
    alone = run_locator(det, *args)
    # The second copy reuses the first tracks' numbers; its other tracks get new ones.
    ids = np.unique(det.dwell_track_id)
    reused = ids[:5]
    later_ids = np.where(
        np.isin(det.dwell_track_id, reused), det.dwell_track_id, det.dwell_track_id + 10**6
    )
    later = replace(det, t_s=det.t_s + 600.0, dwell_track_id=later_ids)
    both = run_locator(det.concat(later), *args)
    loc = both.locates
    mine = np.isin(loc["track_id"], reused)
    assert np.all(loc["final"][mine]) and mine.sum() == len(reused)
    assert set(loc["reason"][mine]) == {TOO_LONG}
    assert not loc["located"][mine].any()
    # Every other track: its rows as alone (the copy's, the same again 600 s later).
    first = ~mine & (loc["track_id"] < 10**6)
    kept = ~np.isin(alone.locates["track_id"], reused)
    np.testing.assert_array_equal(loc["located"][first], alone.locates["located"][kept])
    np.testing.assert_allclose(
        loc["poo_east_m"][first], alone.locates["poo_east_m"][kept], rtol=0, atol=1e-6
    )
    # A batch never pads more than BATCH_CELLS detections, whatever a track's length.
    n_in = np.array([5, 40_000, 7, 7, 300, 300], dtype=np.int64)
    parts = _batches(np.arange(6), n_in)
    assert np.concatenate(parts).tolist() == list(range(6))
    assert all(len(p) == 1 or len(p) * n_in[p].max() <= BATCH_CELLS for p in parts)


def _level_flight(speed_mps, height_m, heading_deg, t1, seed, n_tracks):
    """Drones or aircraft flying level through the fence 6 km north-east, seen every
    0.05 s for ``t1`` s, with the radar's noise."""
    tt = np.arange(0.0, t1, 0.05)
    h = np.radians(heading_deg)
    east = 4000.0 + speed_mps * np.sin(h) * tt
    north = 4500.0 + speed_mps * np.cos(h) * tt
    p_t = np.column_stack(enu2ecef(east, north, np.full(tt.size, height_m), *ORIGIN))
    v_t = np.gradient(p_t, tt, axis=0)
    return _measured(tt, p_t, v_t, 1.0, seed, n_tracks)


def test_issue_13_the_level_flight_screen_stands_for_the_full_fit():
    """The screen calls a track level flight without a fit only where the full fit (the
    slow path it saves) calls it so too, and never passes a round."""
    cfg = LocatorConfig()
    for speed, height, heading in ((50.0, 300.0, 90.0), (200.0, 150.0, 200.0)):
        for t1 in (1.5, 2.5, 4.0):
            obs, pos = _level_flight(speed, height, heading, t1, seed=int(speed + t1), n_tracks=6)
            fast = locate(obs, pos, World(), ORIGIN[2], cfg, origin=ORIGIN)
            slow = locate(obs, pos, World(), ORIGIN[2], cfg, origin=ORIGIN, screen=False)
            screened = level_flight(obs, pos, World(), cfg.min_flight_path_deg, cfg.max_chi2_dof)
            assert (slow.reason[screened] == LEVEL_FLIGHT).all(), (speed, t1, slow.reason)
            assert (fast.reason[screened] == LEVEL_FLIGHT).all()
            # Unscreened tracks go through the same fit as before.
            np.testing.assert_array_equal(fast.reason[~screened], slow.reason[~screened])
            if t1 == 4.0:  # a four-second track of level flight is mostly plain to see
                assert screened.sum() >= 4, (speed, height)
    # Rounds the full fit locates, lowest charges and flattest fire among them. (A
    # 155-mm shell at its lowest charge and 10° is level flight to the fit too.)
    rounds = (("120mm-mortar", 45.0, 0), ("155mm-he", 20.0, 0), ("155mm-he", 10.0, -1),
              ("122mm-rocket", 15.0, 0))  # fmt: skip
    for name, el_q, charge in rounds:
        for t0, t1 in ((0.5, 2.0), (1.0, 4.0), (3.0, 7.0)):
            obs, pos, _, _ = _dwells(name, el_q, MUNITIONS[name].charges_mps[charge], t0, t1,
                                     1.0, seed=3, n_rounds=8)  # fmt: skip
            screened = level_flight(obs, pos, World(), cfg.min_flight_path_deg, cfg.max_chi2_dof)
            assert not screened.any(), (name, el_q, t0)


def test_issue_13_the_fit_flies_jacobians_only_for_the_steps_it_takes():
    """The lazy Jacobian (flown only for steps taken, reusing the step's own flight as
    its nominal) gives the eager one's fit bit for bit, and so does the default (eager
    for the unpowered, lazy for rockets), rockets included, whose rejected steps fly
    furthest."""
    obs, pos, _, _ = _dwells("122mm-rocket", 35.0, 50.0, 0.5, 3.0, 1.0, seed=5, n_rounds=6)
    model = WEAPON_CLASSES[2].model()
    theta0 = initial_theta(obs, model, pos)
    theta0[:, 7] = np.nanmin(obs.t_s, axis=1) + 1.0
    for m in (model, WEAPON_CLASSES[0].model()):
        start = theta0[:, : m.n_params]
        lazy = fit(start, obs, m, World(), max_iter=15, eager_jacobian=False)
        eager = fit(start, obs, m, World(), max_iter=15, eager_jacobian=True)
        default = fit(start, obs, m, World(), max_iter=15)
        for f in ("theta", "cov", "chi2", "converged", "iterations"):
            np.testing.assert_array_equal(getattr(lazy, f), getattr(eager, f), err_msg=f)
            np.testing.assert_array_equal(getattr(default, f), getattr(eager, f), err_msg=f)


def test_issue_13_a_state_under_the_ground_is_not_flown_to_find_no_crossing():
    """A wrong class's fit can put a track's reference state under the ground, with a
    negative drag factor. `to_ground` answers "no crossing" at once instead of flying it
    for the whole time limit: the slow reference, the same state flown densely over
    that limit, never comes back up through the floor either."""
    from gbad.locating.dynamics import to_ground

    model = WEAPON_CLASSES[1].model()
    floor_m = ORIGIN[2]
    # Below the floor, falling in the direction flown (as seen in the default raid).
    enu = np.array([[0.0, 15_000.0, -150.0], [3_000.0, 9_000.0, -2_000.0]])
    heading = np.array([[0.3, -0.5, -0.8], [0.0, 0.6, -0.8]])
    m = 8
    x0 = np.zeros((m, 6))
    kappa = np.zeros(m)
    direction = np.zeros(m)
    for i in range(m):
        e, n, u = enu[i % 2]
        x0[i, :3] = enu2ecef(e, n, u + floor_m, *ORIGIN)
        d = -1.0 if i % 4 < 2 else 1.0
        vel_enu = d * heading[i % 2] * (150.0 + 250.0 * (i // 4))
        x0[i, 3:] = enu_rotation(*ORIGIN[:2]).T @ vel_enu
        kappa[i] = (-1.0 if i % 2 else 1.0) * 0.005
        direction[i] = d
    t0 = np.full(m, 100.0)
    max_time_s = 300.0
    got = to_ground(x0, kappa, t0, direction, model.cd_tables, np.zeros(m, dtype=np.int64),
                    World(), floor_m, max_time_s)  # fmt: skip
    assert (got.status == 1).all() and np.isnan(got.t_s).all()
    t_out = t0[:, None] + direction[:, None] * np.linspace(0.0, max_time_s, 3001)[None, :]
    path = propagate(x0, kappa, t0, t_out, model.cd_tables, np.zeros(m, dtype=np.int64), World())
    height = World().height_m(path[..., :3])
    assert np.all(np.where(np.isfinite(height), height, -np.inf) < floor_m)
    # A state above the floor is flown as before and meets it.
    x_up = x0.copy()
    x_up[:, :3] = [enu2ecef(0.0, 15_000.0, 500.0 + floor_m, *ORIGIN)] * m
    x_up[:, 3:] = enu_rotation(*ORIGIN[:2]).T @ np.array([0.0, -200.0, -50.0])
    ok = to_ground(x_up, np.abs(kappa), t0, np.ones(m), model.cd_tables,
                   np.zeros(m, dtype=np.int64), World(), floor_m, max_time_s)  # fmt: skip
    assert (ok.status == 0).all()


def test_issue_13_coarser_steps_to_the_ground_and_for_the_claims_agree_with_the_finer():
    """The flights to the ground take `GROUND_DT_S` (0.2 s) over level ground and the
    consider terms' flights `SENSITIVITY_DT_S` (0.5 s), where the truth steps 0.1 s: held
    to the finer steps they replace, on fits of a mortar bomb, a shell and a rocket,
    the points of origin and impact agree within 5 cm and their covariances within 1 %."""
    import gbad.locating.claims as claims
    import gbad.locating.locate as loc_module
    from gbad.scenario.schema import Variability
    from gbad.world.variability import WorldSigma

    sigma = WorldSigma(Variability(), ORIGIN[2])  # the nominal world's σ: consider terms on
    assert not sigma.ideal
    assert loc_module.GROUND_DT_S == 0.2 and claims.SENSITIVITY_DT_S == 0.5
    for c, (name, el_q, speed) in enumerate((("120mm-mortar", 45.0, 250.0),
                                             ("155mm-he", 30.0, 560.0),
                                             ("122mm-rocket", 20.0, 50.0))):  # fmt: skip
        obs, pos, _, _ = _dwells(name, el_q, speed, 2.0, 5.0, 1.0, seed=11, n_rounds=4)
        coarse = locate(obs, pos, World(), ORIGIN[2], LocatorConfig(), origin=ORIGIN,
                        classes=(WEAPON_CLASSES[c],), world_sigma=sigma)  # fmt: skip
        saved = (loc_module.GROUND_DT_S, claims.SENSITIVITY_DT_S)
        loc_module.GROUND_DT_S, claims.SENSITIVITY_DT_S = 0.1, 0.25
        try:
            fine = locate(obs, pos, World(), ORIGIN[2], LocatorConfig(), origin=ORIGIN,
                          classes=(WEAPON_CLASSES[c],), world_sigma=sigma)  # fmt: skip
        finally:
            loc_module.GROUND_DT_S, claims.SENSITIVITY_DT_S = saved
        assert coarse.located.any(), name
        np.testing.assert_array_equal(coarse.located, fine.located)
        # (not the same flights: the steps did change)
        assert not np.array_equal(coarse.poi_enu_m, fine.poi_enu_m), name
        for key in ("poo_enu_m", "poi_enu_m"):
            np.testing.assert_allclose(getattr(coarse, key), getattr(fine, key), rtol=0, atol=0.05)
        for key in ("poo_cov_enu_m2", "poi_cov_enu_m2"):
            a, b = getattr(coarse, key)[:, :2, :2], getattr(fine, key)[:, :2, :2]
            scale = np.abs(b).max(axis=(1, 2), keepdims=True)
            assert np.nanmax(np.abs(a - b) / scale) < 0.01, (name, key)


def test_issue_13_the_ground_gradient_in_one_call_is_the_axis_by_axis_one():
    """The launch height's gradient over a mapped ground takes its six displaced copies of
    each position in one call of the map: the same numbers, bit for bit, as the slow
    reference, an axis at a time."""
    from gbad.earth.terrain import FlatGround
    from gbad.locating.fit import _GROUND_GRAD_STEP_M, _above_ground, _above_ground_gradient
    from gbad.locating.locate import ground_height_fn
    from gbad.world.variability import MappedGround, TerrainError

    error = TerrainError.draw(ORIGIN, 8.0, 3000.0, np.random.default_rng(4))
    gh = ground_height_fn(World(), MappedGround(FlatGround(ORIGIN[2]), error))
    rng = np.random.default_rng(5)
    pos = np.array([enu2ecef(*xyz, *ORIGIN) for xyz in rng.uniform([-9e3, -9e3, 0.0],
                                                                   [9e3, 9e3, 300.0], (40, 3))])  # fmt: skip
    got = _above_ground_gradient(pos, World(), gh)
    want = np.empty_like(got)
    for axis in range(3):
        step = np.zeros(3)
        step[axis] = _GROUND_GRAD_STEP_M
        up = _above_ground(pos + step, World(), gh)
        down = _above_ground(pos - step, World(), gh)
        want[:, axis] = (up - down) / (2.0 * _GROUND_GRAD_STEP_M)
    np.testing.assert_array_equal(got, want)
    assert np.abs(got - _above_ground_gradient(pos, World(), ground_height_fn(World(), ORIGIN[2]))).max() > 1e-4


def test_issue_13_the_fits_gram_matrix_is_einsums_to_rounding():
    """JᵀJ by BLAS's batched product (`fit._gram`) is the `np.einsum` sum it replaced, to
    the rounding of a sum of a few hundred products, and exactly symmetric."""
    from gbad.locating.fit import _gram

    rng = np.random.default_rng(13)
    for m, r, f in ((1, 9, 6), (7, 240, 9), (40, 801, 7)):
        jac = rng.normal(size=(m, r, f)) * rng.uniform(0.01, 100.0, size=(1, 1, f))
        slow = np.einsum("mri,mrj->mij", jac, jac)
        fast = _gram(jac)
        scale = np.sqrt(np.einsum("mii->mi", slow))
        np.testing.assert_allclose(fast / scale[:, :, None] / scale[:, None, :],
                                   slow / scale[:, :, None] / scale[:, None, :], rtol=0, atol=1e-13)
        np.testing.assert_array_equal(fast, fast.transpose(0, 2, 1))


def test_issue_13_a_hopeless_class_gives_up_without_changing_the_answer(monkeypatch):
    """Shell hypotheses fitted to a rocket's boost (10⁵ χ² per degree of freedom) give up
    after `GIVE_UP_ITER` iterations once the rocket's fit explains the track: every output
    is the slow reference's (no give-up) to the bit, in a third of the shells' iterations."""
    from gbad.locating import locate as locate_module

    iterations: list[int] = []
    plain_fit = locate_module.fit

    def counted(*args, **kwargs):
        res = plain_fit(*args, **kwargs)
        iterations.append(int(res.iterations.sum()))
        return res

    monkeypatch.setattr(locate_module, "fit", counted)
    speed = MUNITIONS["122mm-rocket"].charges_mps[0]
    for t0, t1 in ((0.3, 1.8), (0.8, 3.0)):
        obs, pos, _, _ = _dwells("122mm-rocket", 35.0, speed, t0, t1, 1.0, seed=4, n_rounds=6,
                                 radar_sigma=0.2)  # fmt: skip
        iterations.clear()
        fast = locate(obs, pos, World(), ORIGIN[2], LocatorConfig(), origin=ORIGIN)
        fast_iters = list(iterations)
        monkeypatch.setattr(locate_module, "HOPELESS_FACTOR", np.inf)
        iterations.clear()
        slow = locate(obs, pos, World(), ORIGIN[2], LocatorConfig(), origin=ORIGIN)
        monkeypatch.setattr(locate_module, "HOPELESS_FACTOR", 1e4)
        # Only the hopeless classes' own costs (inf now) and states (where they gave up,
        # a later prefix's warm start) differ.
        for f in Locates.__dataclass_fields__:
            if f not in ("class_costs", "class_theta"):
                np.testing.assert_array_equal(getattr(fast, f), getattr(slow, f), err_msg=f)
        assert (fast.weapon_class == "rocket").sum() >= 5
        # The shells' fits (the unpowered classes, fitted after the rocket's) gave up.
        assert iterations[0] == fast_iters[0]
        assert sum(fast_iters[1:]) * 2 <= sum(iterations[1:]), (fast_iters, iterations)


def test_issue_13_the_floor_test_by_radial_height_is_the_geodetic_ones():
    """The ground searches tell a state's side of a floor by the cheap radial height, and
    by the geodetic iteration only within its error band of the floor: the side is the
    geodetic height's everywhere (from 2 km below the ellipsoid to 150 km up, floors at
    the point's height ± a few mm to km), and NaN is on neither side."""
    from gbad.locating._kernel import _side
    from gbad.world._ballistic_kernel import geodetic_height_m

    rng = np.random.default_rng(13)
    n = 20_000
    lat, lon = rng.uniform(-90, 90, n), rng.uniform(-180, 180, n)
    h = rng.uniform(-2_000.0, 150_000.0, n)
    x, y, z = geodetic2ecef(lat, lon, h)
    offsets = np.concatenate([[0.0], 10.0 ** np.arange(-3, 4)])
    for i in range(n):
        exact = geodetic_height_m(x[i], y[i], z[i])
        for d in offsets[rng.integers(0, len(offsets), 2)] * rng.choice([-1.0, 1.0], 2):
            floor = exact + d
            assert _side(x[i], y[i], z[i], floor) == (1 if exact >= floor else -1), (h[i], d)
    assert _side(np.nan, 0.0, 0.0, 0.0) == 0
