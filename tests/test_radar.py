"""Radar looks end to end: geometry conventions, noise honesty, Pd, false alarms.

Authorities: detections minus truth divided by the reported σ must be a
standard normal (mean 0, variance 1; bounds from the sampling distributions
of the mean and variance); the empirical detection rate must match the
Swerling model's Pd within 3 binomial σ; false alarms are Poisson with mean
Pfa × cells per scan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gbad.scenario.loader import LoadedScenario, parse_scenario
from gbad.sensors.detection import pd_from_snr
from gbad.sensors.radar import RadarModel, simulate_radar
from gbad.sim import make_ground, simulate
from gbad.world.build import build_truth

HEADER = """
[scenario]
name = "radar-test"
origin = {{ lat_deg = 37.0, lon_deg = 127.0, alt_m = 50.0 }}
duration_s = {duration}
seed = 11

# The standard atmosphere of the day, every day: these tests check the radar's physics.
[variability]
ideal = true
"""

RADAR = """
[[radars]]
id = "r"
role = "surveillance"
position = {{ east_m = 0.0, north_m = 0.0, up_m = 10.0 }}
frequency_hz = 3e9
reference = {{ range_m = {ref_range}, rcs_m2 = 1.0, pd = 0.9, pfa = {pfa} }}
swerling = {swerling}
pulses = {pulses}
scan = {{ kind = "{scan}", period_s = {period} }}
coverage = {{ az_min_deg = 0, az_max_deg = 360, el_min_deg = -2, el_max_deg = 80, range_max_m = 200e3 }}
accuracy = {{ range_m = 20.0, az_deg = 0.2, el_deg = 0.3, range_rate_mps = 2.0 }}
"""


def _threat(
    tid: str, east: float, north: float, up: float, de: float, dn: float, speed: float
) -> str:
    return f"""
[[threats]]
id = "{tid}"
kind = "aircraft"
rcs_m2 = 1.0
route = [ {{ east_m = {east}, north_m = {north}, up_m = {up}, t_s = 0.0, speed_mps = {speed} }},
          {{ east_m = {east + de}, north_m = {north + dn}, up_m = {up} }} ]
"""


def _scenario(
    threats: str,
    duration=300.0,
    ref_range=100e3,
    pfa=1e-6,
    swerling=1,
    pulses=1,
    scan="rotating",
    period=1.0,
) -> LoadedScenario:
    text = (
        HEADER.format(duration=duration)
        + RADAR.format(
            ref_range=ref_range, pfa=pfa, swerling=swerling, pulses=pulses, scan=scan, period=period
        )
        + threats
    )
    from pathlib import Path

    return LoadedScenario(parse_scenario(text, "radar-test.toml"), "radar-test.toml", Path("."))


def _run(loaded: LoadedScenario):
    truth, det, _, _ = simulate(loaded)
    return truth, det


@pytest.mark.parametrize("scan", ["rotating", "sector", "electronic"])
def test_noise_is_honest_and_unbiased(scan):
    # Eight targets all round the radar, 20–60 km out, flying in assorted directions.
    threats = "".join(
        _threat(
            f"t{i}",
            40e3 * np.sin(a) + 5e3 * i,
            40e3 * np.cos(a),
            2000.0 + 500 * i,
            3e4 * np.cos(3 * a),
            3e4 * np.sin(3 * a),
            200.0,
        )
        for i, a in enumerate(np.radians(np.arange(0, 360, 45)))
    )
    loaded = _scenario(threats, duration=150.0, ref_range=300e3, scan=scan, period=0.5)
    truth, det = _run(loaded)
    real = det["truth_id"] >= 0
    assert real.sum() > 2000
    radar = RadarModel.from_scenario(loaded.model.radars[0], loaded.model.scenario.origin)
    pos, vel, alive = truth.state_at(det["truth_id"][real] - 1, det["t_s"][real])
    assert alive.all()
    az, el, rng_m, rr = radar.aer(pos, vel)
    d_az = (det["az_deg"][real] - az + 180.0) % 360.0 - 180.0
    z = {
        "range": (det["range_m"][real] - rng_m) / det["range_sigma_m"][real],
        "az": d_az / det["az_sigma_deg"][real],
        "el": (det["el_deg"][real] - el) / det["el_sigma_deg"][real],
        "range_rate": (det["range_rate_mps"][real] - rr) / det["range_rate_sigma_mps"][real],
    }
    n = real.sum()
    for name, values in z.items():
        # Mean of n standard normals: σ = 1/√n, allow 4σ. Sample variance: σ ≈ √(2/n).
        assert abs(values.mean()) < 4 / np.sqrt(n), name
        assert abs(values.var() - 1.0) < 4 * np.sqrt(2 / n), name


def test_azimuth_convention_east_is_ninety():
    # A target due east of the radar, one due north, each flying straight away: bearings 90
    # and 0 (clockwise from north).
    threats = _threat("east", 30e3, 0.0, 3000.0, 100.0, 0.0, 1.0) + _threat(
        "north", 0.0, 30e3, 3000.0, 0.0, 100.0, 1.0
    )
    _, det = _run(_scenario(threats, duration=60.0, ref_range=300e3))
    for tid, expected in ((1, 90.0), (2, 0.0)):
        az = det["az_deg"][det["truth_id"] == tid]
        assert az.size > 30
        mean = np.degrees(np.angle(np.mean(np.exp(1j * np.radians(az)))))
        assert (mean - expected + 180) % 360 - 180 == pytest.approx(0.0, abs=0.05)


def test_range_rate_is_positive_when_opening():
    threats = _threat("out", 0.0, 20e3, 3000.0, 0.0, 40e3, 250.0) + _threat(
        "in", 0.0, -60e3, 3000.0, 0.0, 40e3, 250.0
    )
    _, det = _run(_scenario(threats, duration=60.0, ref_range=300e3))
    assert np.median(det["range_rate_mps"][det["truth_id"] == 1]) == pytest.approx(250.0, rel=0.01)
    assert np.median(det["range_rate_mps"][det["truth_id"] == 2]) == pytest.approx(-250.0, rel=0.01)


@pytest.mark.parametrize(("swerling", "pulses"), [(0, 1), (1, 1), (3, 4)])
def test_empirical_pd_matches_the_model(swerling, pulses):
    # A near-hovering target at 100 km: 12,000 looks of an electronic frame at constant SNR.
    threats = _threat("hover", 0.0, 100e3, 3000.0, 10.0, 0.0, 0.001)
    loaded = _scenario(
        threats,
        duration=1200.0,
        ref_range=90e3,
        swerling=swerling,
        pulses=pulses,
        scan="electronic",
        period=0.1,
        pfa=1e-9,
    )
    model = loaded.model
    radar = RadarModel.from_scenario(model.radars[0], model.scenario.origin)
    truth = build_truth(model, np.random.default_rng(0))
    det = simulate_radar(radar, truth, np.random.default_rng(5), make_ground(loaded))
    looks = int(np.ceil(1200.0 / 0.1))
    hits = int((det["truth_id"] == 1).sum())
    pos, vel, _ = truth.state_at(np.zeros(1, dtype=int), np.array([600.0]))
    _, _, rng_m, _ = radar.aer(pos, vel)
    pd = float(pd_from_snr(radar.snr_constant / rng_m[0] ** 4, radar.pfa, pulses, swerling))
    sigma = np.sqrt(pd * (1 - pd) / looks)
    assert 0.3 < pd < 0.95
    assert abs(hits / looks - pd) < 3 * sigma


def test_false_alarms_are_poisson_in_coverage():
    loaded = _scenario("", duration=400.0, pfa=1e-5, scan="electronic", period=0.5)
    radar = RadarModel.from_scenario(loaded.model.radars[0], loaded.model.scenario.origin)
    _, det = _run(loaded)
    scans = 800
    expected = radar.pfa * radar.n_cells * scans
    assert (det["truth_id"] == -1).all()
    assert abs(len(det["t_s"]) - expected) < 4 * np.sqrt(expected)
    assert det["range_m"].max() <= 200e3 and det["el_deg"].min() >= -2.0
    assert np.all(np.diff(det["t_s"]) >= 0)


def test_no_false_alarm_falls_inside_the_first_metre():
    """A radar with no blind range given draws its false alarms' ranges from 0: the ones
    inside a metre (one in range_max_m / 1 m) are reported at 1 m, the detection file's
    least range, and the run's files are written (a default-raid laydown's run met one)."""
    from gbad.sensors.looks import MIN_RANGE_M

    text = RADAR.format(ref_range=100e3, pfa=1e-3, swerling=1, pulses=1, scan="electronic", period=0.5)
    text = text.replace("range_max_m = 200e3", "range_max_m = 40.0")
    loaded = LoadedScenario(parse_scenario(HEADER.format(duration=20.0) + text, "fa.toml"), "fa.toml",
                            Path("."))  # fmt: skip
    _, det = _run(loaded)
    assert len(det["range_m"]) > 20 and det["range_m"].min() == MIN_RANGE_M


def test_targets_beyond_the_horizon_are_not_seen():
    # 4/3-earth horizon for a 10 m mast and a 100 m target: √(2kRh) terms ≈ 13 km + 41.2 km.
    threats = _threat("low-far", 0.0, 60e3, 100.0, 1.0, 0.0, 0.01) + _threat(
        "low-near", 0.0, 45e3, 100.0, 1.0, 0.0, 0.01
    )
    _, det = _run(_scenario(threats, duration=60.0, ref_range=300e3))
    assert (det["truth_id"] == 1).sum() == 0
    assert (det["truth_id"] == 2).sum() > 40


def test_same_seed_same_detections():
    threats = _threat("a", 10e3, 30e3, 3000.0, 5e3, -5e3, 200.0)
    loaded = _scenario(threats, duration=60.0)
    _, d1 = _run(loaded)
    _, d2 = _run(loaded)
    for k in d1:
        np.testing.assert_array_equal(d1[k], d2[k])


def test_terrain_from_a_dem_masks_a_target(tmp_path):
    """A 1,000 m ridge 20 km north hides a 500 m target 40 km north; without the DEM it is seen."""
    import rasterio
    from affine import Affine

    step = 0.001
    lat = np.arange(37.6, 36.9, -step)
    lon = np.arange(126.8, 127.2, step)
    heights = np.full((lat.size, lon.size), 50.0, dtype=np.float32)
    ridge_lat = 37.0 + 20e3 / 111_000.0
    heights[np.abs(lat - ridge_lat) < 0.002, :] = 1000.0
    dem = tmp_path / "ridge.tif"
    transform = Affine(step, 0.0, lon[0] - step / 2, 0.0, -step, lat[0] + step / 2)
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        height=lat.size,
        width=lon.size,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
    ) as f:
        f.write(heights, 1)
    threats = _threat("behind", 0.0, 40e3, 500.0, 0.0, 100.0, 1.0)
    flat = _scenario(threats, duration=60.0, ref_range=300e3)
    _, det_flat = _run(flat)
    assert (det_flat["truth_id"] == 1).sum() > 40
    text = tmp_path / "s.toml"
    from gbad.scenario.loader import load_scenario

    body = HEADER.format(duration=60.0).replace("seed = 11", 'seed = 11\ndem = "ridge.tif"')
    body += RADAR.format(
        ref_range=300e3, pfa=1e-6, swerling=1, pulses=1, scan="rotating", period=1.0
    )
    text.write_text(body + threats)
    _, det_dem = _run(load_scenario(text))
    assert (det_dem["truth_id"] == 1).sum() == 0


def test_registration_bias_shifts_every_measurement():
    threats = _threat("east", 30e3, 0.0, 3000.0, 100.0, 0.0, 1.0)
    loaded = _scenario(threats, duration=60.0, ref_range=300e3)
    text = HEADER.format(duration=60.0) + RADAR.format(
        ref_range=300e3, pfa=1e-6, swerling=1, pulses=1, scan="rotating", period=1.0
    ).replace(
        'role = "surveillance"', 'role = "surveillance"\nbias = { range_m = 50.0, az_deg = 0.5 }'
    )
    from pathlib import Path

    biased = LoadedScenario(parse_scenario(text + threats, "b.toml"), "b.toml", Path("."))
    _, d0 = _run(loaded)
    _, d1 = _run(biased)
    real = d0["truth_id"] == 1
    np.testing.assert_array_equal(real, d1["truth_id"] == 1)
    assert np.mean(d1["range_m"][real] - d0["range_m"][real]) == pytest.approx(50.0, abs=1e-6)
    assert np.mean(d1["az_deg"][real] - d0["az_deg"][real]) == pytest.approx(0.5, abs=1e-9)


def test_a_run_draws_the_radars_systematic_errors_from_their_sigma():
    from gbad.api import load_builtin

    loaded = load_builtin("counter-battery")
    spec = loaded.model.radars[0]
    o = loaded.model.scenario.origin
    plain = RadarModel.from_scenario(spec, o)
    # A weapon-locating radar has nominal systematic errors unless the scenario says.
    np.testing.assert_allclose(plain.bias_sigma, [3.0, 1e-3, 0.3e-3, 4.0], rtol=1e-12)
    perfect = plain.perfect()
    assert perfect.with_drawn_errors(np.random.default_rng(1)) is perfect  # no σ: as it stands
    sig = spec.bias_sigma.model_copy(
        update={"range_m": 3.0, "az_deg": 0.06, "el_deg": 0.06, "survey_m": 5.0}
    )
    model = RadarModel.from_scenario(spec.model_copy(update={"bias_sigma": sig}), o)
    drawn = [model.with_drawn_errors(np.random.default_rng(s)) for s in range(400)]
    rng_b = np.array([d.bias_range_m for d in drawn])
    az_b = np.array([d.bias_az_deg for d in drawn])
    moved = np.array([(d.ecef_m - model.ecef_m) @ model.enu_rot.T for d in drawn])
    assert np.std(rng_b) == pytest.approx(3.0, rel=0.15)
    assert np.std(az_b) == pytest.approx(0.06, rel=0.15)
    assert np.std(moved[:, :2]) == pytest.approx(5.0, rel=0.15)
    np.testing.assert_allclose(moved[:, 2], 0.0, atol=1e-6)  # survey error is horizontal


def test_a_negative_bias_sigma_is_refused_with_its_key():
    from pathlib import Path

    from gbad.scenario.loader import ScenarioError

    text = (
        Path(__file__).parents[1] / "src/gbad/scenario/builtin/counter-battery.toml"
    ).read_text()
    bad = text.replace(
        'role = "weapon_locating"', 'role = "weapon_locating"\nbias_sigma = { az_deg = -1.0 }', 1
    )
    with pytest.raises(ScenarioError, match=r"bias_sigma.*az_deg"):
        parse_scenario(bad, "bad.toml")


def test_issue_12_a_target_flown_through_the_radar_saturates_at_200_db():
    """A target half a metre from the radar (a route through its position): its SNR has
    no upper bound, and the run failed with "<simulated detections>: invalid detection file ...
    snr_db must be in [-200, 200] dB". The receiver saturates: the column is clipped."""
    from gbad.sensors.detection_file import from_columns
    from gbad.sim import radar_models

    loaded = _scenario(_threat("over", 0.5, 0.0, 10.0, 3.0, 0.0, 0.1), duration=30.0)
    _, det = _run(loaded)
    assert det["snr_db"].max() == pytest.approx(200.0)
    from_columns(det, radar_models(loaded), "sim")  # a valid detection file


def test_issue_12_a_looks_sigma_stays_within_what_a_detection_file_may_hold():
    """A weak echo of a radar given a coarse accuracy had σ_el of 1.3e10°, refused by
    the run's own detection-file check (found by `scripts/fuzz.py`): a look's σ stops at
    `SIGMA_MAX`, as the file's bound."""
    from gbad.sensors.radar import SIGMA_MAX

    loaded = _scenario(_threat("a", 30e3, 0.0, 3000.0, -1e3, 0.0, 200.0), duration=10.0)
    origin = loaded.model.scenario.origin
    radar = RadarModel.from_scenario(loaded.model.radars[0], origin)
    s_r, s_az, s_el, s_rr = radar.sigmas(np.array([1e-30, 1.0, 1e6]))
    assert s_az[0] == SIGMA_MAX["az_sigma_deg"] and s_el[0] == SIGMA_MAX["el_sigma_deg"]
    assert s_r[0] == SIGMA_MAX["range_sigma_m"] and s_rr[0] == SIGMA_MAX["range_rate_sigma_mps"]
    assert s_el[2] < 1.0  # a strong echo untouched
    # and its range rate stays in the band the file allows (10,000 fuzzed cases found one
    # at -21 km/s: a coarse radar's noise on a weak echo)
    from gbad.sensors.looks import MAX_RANGE_RATE_MPS, measured

    n = 200
    cols = measured(
        radar, np.zeros(n), np.zeros(n, dtype=np.int64), np.full(n, 45.0), np.full(n, 5.0),
        np.full(n, 2e4), np.full(n, -1.99e4), np.full(n, 1e-30), np.random.default_rng(1),
    )  # fmt: skip
    assert np.abs(cols["range_rate_mps"]).max() <= MAX_RANGE_RATE_MPS
    assert np.any(cols["range_rate_mps"] == -MAX_RANGE_RATE_MPS)
