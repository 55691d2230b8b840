"""A weapon-locating radar's slowly varying errors and its fence above the terrain mask.

Outside authorities: Barton's low-angle multipath σ = ρ·θ_bw/√8 at the horizon; the
autocorrelation exp(−|τ|/T) of the wandering processes; refraction bending κ·R/2.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gbad.earth.refraction import effective_earth_radius_m
from gbad.earth.wgs84 import geodetic2enu
from gbad.scenario.loader import load_builtin
from gbad.sensors.looks import measured
from gbad.sensors.radar import RadarModel
from gbad.sensors.radar_errors import (
    MULTIPATH_SIDELOBE,
    WanderingErrors,
    mean_variance_share,
    multipath_sigma_deg,
)
from gbad.sensors.weapon_locating import MASK_CLEARANCE_BEAMS, fence_base_deg


def _wlr() -> RadarModel:
    loaded = load_builtin("counter-battery")
    return RadarModel.from_scenario(loaded.model.radars[0], loaded.model.scenario.origin)


def test_wandering_errors_have_unit_variance_and_their_correlation_time():
    tau = 2.0
    w = WanderingErrors.draw(4000, (tau, tau, tau), np.random.default_rng(1))
    ids = np.arange(1, 4001)
    a = w.at(ids, np.zeros(4000))
    b = w.at(ids, np.full(4000, tau))
    assert a.std() == pytest.approx(1.0, rel=0.05)
    assert np.mean(a * b) == pytest.approx(np.exp(-1.0), abs=0.05)
    # The same look gives the same value, in any order or chunk; no object, no error.
    np.testing.assert_array_equal(w.at(ids[::-1], np.zeros(4000)), a[::-1])
    assert np.all(w.at(np.array([-1, 0]), np.zeros(2)) == 0.0)


def test_what_a_track_cannot_average_away():
    assert mean_variance_share(1e-6, 5.0) == pytest.approx(1.0, abs=1e-4)  # a bias
    assert mean_variance_share(1000.0, 1.0) == pytest.approx(2.0 / 1000.0, rel=0.01)  # white


def test_multipath_follows_bartons_form():
    bw, rho = 1.0, 0.3
    assert multipath_sigma_deg(0.0, bw, rho) == pytest.approx(rho * bw / np.sqrt(8.0))
    # Half a beamwidth up the image is a beamwidth off boresight: the pattern's 1/4.
    assert multipath_sigma_deg(0.5, bw, rho) == pytest.approx(rho * bw / np.sqrt(8.0) / 4.0)
    assert multipath_sigma_deg(5.0, bw, rho) == pytest.approx(
        rho * bw / np.sqrt(8.0) * MULTIPATH_SIDELOBE
    )


def test_a_drawn_radar_reports_its_multipath_and_keeps_its_refraction_residual():
    radar = _wlr()
    kappa = 60e-9  # the day bends 60e-9 /m more than the standard the radar takes off
    drawn = radar.with_drawn_errors(np.random.default_rng(2), 10, kappa / 2.0)
    n = 20000
    t = np.linspace(0.0, 2000.0, n)
    el = np.full(n, 0.3)
    rng_m = np.full(n, 12e3)
    snr = np.full(n, 1e6)  # the thermal noise negligible: what is left is systematic
    out = measured(
        drawn, t, np.full(n, 3), np.full(n, 10.0), el, rng_m, np.zeros(n), snr,
        np.random.default_rng(3),
    )  # fmt: skip
    s_mp = multipath_sigma_deg(0.3, radar.beamwidth_el_deg, radar.multipath_reflection)
    s_el = radar.sigmas(snr[:1])[2][0]
    np.testing.assert_allclose(out["el_sigma_deg"], np.hypot(s_el, s_mp))
    err = out["el_deg"] - el - drawn.bias_el_deg
    # Over a long time the wandering parts average out; the refraction residual stays.
    assert err.mean() == pytest.approx(np.degrees(kappa / 2.0 * 12e3), abs=0.2 * s_mp)
    assert err.std() == pytest.approx(
        np.hypot(radar.sigma_el_deg * radar.accuracy_floor_fraction, s_mp), rel=0.2
    )


def test_the_fence_stands_above_a_hill_and_stays_put_over_flat_ground():
    radar = _wlr()
    r_e = effective_earth_radius_m(-39e-9)

    class Hill:
        """A block 200 m over the antenna 3-4 km north, from due north to 1.2 km east."""

        def height_m(self, lat, lon):
            e, n, _ = geodetic2enu(
                np.asarray(lat), np.asarray(lon), 0.0, radar.lat_deg, radar.lon_deg, 0.0
            )
            inside = (n > 3000.0) & (n < 4000.0) & (e > 0.0) & (e < 1200.0)
            return np.where(inside, radar.alt_m + 200.0, radar.alt_m - 5.0)

    base = fence_base_deg(radar, Hill(), r_e)
    _, n_az = radar.raster_shape
    az = (radar.az_min_deg + (np.arange(n_az) + 0.5) * radar.beamwidth_az_deg) % 360.0
    behind = (az > 2.0) & (az < 15.0)  # columns that look at the hill's near face
    assert np.all(base[~behind & ((az < 355.0) & (az > 25.0))] == radar.el_min_deg)
    rise = 200.0
    mask = np.degrees(np.arctan2(rise, 3000.0 / np.cos(np.radians(az[behind]))))
    assert np.all(base[behind] >= mask - 0.1 + MASK_CLEARANCE_BEAMS * radar.beamwidth_el_deg)
    assert np.all(base[behind] > radar.el_min_deg + 1.0)


def test_issue_13_fence_crossings_by_the_block_equal_frame_by_frame():
    """The weapon-locating radar finds what stands in its fence for a block of frames in
    one array pass; frame by frame (what its loop did before) gives the same objects,
    columns and rows, on the built-in counter-battery truth (its first 100 s of rounds)."""
    from gbad.runworld import drawn_radars, make_ground, world_draw
    from gbad.scenario.loader import load_builtin
    from gbad.sensors.weapon_locating import _FenceCrossings
    from gbad.world.build import build_truth

    loaded = load_builtin("counter-battery")
    model = loaded.model
    world = world_draw(loaded, 3, 0)
    truth = build_truth(model, np.random.default_rng(3), ground=make_ground(loaded), world=world)
    wlr = next(r for r in drawn_radars(loaded, 3, 0, truth.n_objects, world) if r.dwells)
    base = fence_base_deg(wlr, make_ground(loaded), 8.5e6)
    height = wlr.dwells.fence_rows * wlr.beamwidth_el_deg
    frame_s = 1.0 / wlr.dwells.track_rate_hz
    block = _FenceCrossings.of(wlr, truth, base, height, frame_s, 0, 2000)
    n_seen = 0
    for f in range(2000):
        one = _FenceCrossings.of(wlr, truth, base, height, frame_s, f, f + 1)
        for a, b in zip(block.at(f), one.at(f), strict=True):
            np.testing.assert_array_equal(a, b)
        n_seen += len(one.obj)
    assert n_seen > 100  # rounds do cross the fence in these frames


@pytest.mark.parametrize("terrain", [False, True])
def test_issue_13_dwell_looks_by_the_block_equal_frame_by_frame(terrain):
    """The weapon-locating radar's track dwells are looked at for a block of frames at
    once while the same objects hold the same slots (over a DEM, the line of sight
    still frame by frame); frame by frame (the slow path) gives the same answers: the
    same booleans, and the same numbers to the last bit but one (NumPy's matrix product
    rounds a lone row apart from a block of rows)."""
    from gbad.earth.refraction import effective_earth_radius_m
    from gbad.runworld import drawn_radars, make_ground, world_draw
    from gbad.sensors.looks import look_geometry, looks_at, over_horizon
    from gbad.sensors.weapon_locating import _DwellLooks
    from gbad.world.build import build_truth

    loaded = load_builtin("counter-battery")
    world = world_draw(loaded, 3, 0)
    ground = make_ground(loaded)
    truth = build_truth(loaded.model, np.random.default_rng(3), ground=ground, world=world)
    wlr = next(r for r in drawn_radars(loaded, 3, 0, truth.n_objects, world) if r.dwells)
    r_e = effective_earth_radius_m(world.refractivity_gradient_per_m)
    frame_s, dwell_s = 1.0 / wlr.dwells.track_rate_hz, wlr.dwells.track_dwell_s
    if terrain:

        class Ridge:  # a 400-m ridge 6 km north of the radar, across the sector
            spacing_m = 500.0

            def height_m(self, lat, lon):
                _, n, _ = geodetic2enu(
                    np.asarray(lat), np.asarray(lon), 0.0, wlr.lat_deg, wlr.lon_deg, 0.0
                )
                return np.where((n > 5500.0) & (n < 6500.0), 400.0, 100.0)

        ground = Ridge()

    memo = _DwellLooks(
        lambda obj, t: look_geometry(wlr, truth, obj, t),
        lambda in_view, pos: over_horizon(wlr, in_view, pos, ground, r_e),
        not terrain,
        frame_s,
        dwell_s,
        4000,
    )
    rng = np.random.default_rng(0)
    n_seen = n_hidden = 0
    obj, slot = np.array([3]), np.array([0])
    for f in range(0, 4000, 3):
        if rng.random() < 0.1:  # a track opens or drops: other objects, other slots
            n = int(rng.integers(1, 5))
            obj = rng.choice(truth.n_objects, n, replace=False)
            slot = np.sort(rng.choice(8, n, replace=False))
        fast = memo.at(f, obj, slot)
        t = f * frame_s + (np.arange(8) + 0.5)[slot] * dwell_s
        slow = looks_at(wlr, truth, obj, t, ground, r_e)
        for a, b in zip(fast, slow, strict=True):
            if a.dtype == bool:
                np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-9)
        n_seen += int(slow[0].sum())
        n_hidden += int((look_geometry(wlr, truth, obj, t)[0] & ~slow[0]).sum())
    assert n_seen > 200  # many of these looks see their object
    assert (n_hidden > 20) == terrain  # and the ridge hides some


def test_issue_13_looks_measured_together_equal_looks_measured_frame_by_frame():
    """The weapon-locating radar draws each frame's noise as it goes and measures all its
    looks after the loop (`measurement`); frame by frame with `measured` (the slow path)
    gives the same columns bit for bit, wandering errors, false alarms and all."""
    from gbad.sensors.looks import measurement

    drawn = _wlr().with_drawn_errors(np.random.default_rng(2), 10, 1e-8)
    gen = np.random.default_rng(4)
    n = 600
    cols = (
        np.sort(gen.uniform(0.0, 240.0, n)),  # t
        gen.choice([-1, 1, 2, 3, 7], n),  # truth id (-1: a false alarm)
        gen.uniform(0.0, 360.0, n),
        gen.uniform(0.0, 20.0, n),
        gen.uniform(2e3, 30e3, n),
        gen.normal(0.0, 300.0, n),
        gen.exponential(100.0, n),
    )
    frames = list(itertools.pairwise([0, 1, 5, 6, 40, 41, 300, n]))
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    slow = [measured(drawn, *(c[i:j] for c in cols), a) for i, j in frames]
    noise = np.concatenate([b.standard_normal((j - i, 4)) for i, j in frames])
    fast = measurement(drawn, *cols, noise)
    for key, column in fast.items():
        np.testing.assert_array_equal(column, np.concatenate([s[key] for s in slow]), key)
