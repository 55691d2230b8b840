"""The weapon-locating radar's compiled frame loop against its Python reference loop."""

from __future__ import annotations

import numpy as np
import pytest

from gbad.earth.refraction import effective_earth_radius_m
from gbad.runworld import drawn_radars, make_ground, world_draw
from gbad.scenario.loader import load_builtin
from gbad.sensors import _wlr_kernel
from gbad.sensors.detection import LookDraw, _draw
from gbad.sensors.weapon_locating import simulate_weapon_locating
from gbad.world.build import build_truth


@pytest.fixture(scope="module")
def counter_battery_wlr():
    """The counter-battery scenario's truth and its weapon-locating radar, as a run has
    them (seed 7, run 0), and the seed of the radar's stream."""
    loaded = load_builtin("counter-battery")
    model = loaded.model
    seed = model.scenario.seed
    streams = np.random.SeedSequence(seed, spawn_key=(0,)).spawn(1 + len(model.radars))
    ground = make_ground(loaded)
    world = world_draw(loaded, seed, 0)
    truth = build_truth(model, np.random.default_rng(streams[0]), ground=ground, world=world)
    radars = drawn_radars(loaded, seed, 0, truth.n_objects, world)
    i = next(i for i, r in enumerate(model.radars) if r.role == "weapon_locating")
    radius_m = effective_earth_radius_m(world.refractivity_gradient_per_m)
    return truth, radars[i], ground, radius_m, streams[1 + i]


@pytest.mark.parametrize("swerling", [0, 1, 3])
def test_numbas_generator_draws_what_numpys_does(swerling):
    """The compiled loop leans on this: Numba's Generator methods (gamma, Poisson)
    draw the same numbers from the same stream as NumPy's, in the same order."""
    snr = np.geomspace(0.01, 100.0, 200)
    look = LookDraw(1e-6, 8, swerling)
    a, b = np.random.default_rng(42), np.random.default_rng(42)
    want_det, want_energy = _draw(snr, look.n_pulses, look.shape_k, look.threshold, a)
    det, energy = np.empty(len(snr), np.bool_), np.empty(len(snr))
    _wlr_kernel._draw_looks(b, snr, look.n_pulses, look.shape_k or 0.0, look.threshold, det,
                            energy)  # fmt: skip
    np.testing.assert_array_equal(det, want_det)
    np.testing.assert_array_equal(energy, want_energy)
    assert a.random() == b.random()  # the stream left where NumPy leaves it


def test_the_compiled_frame_loop_is_the_python_loop(counter_battery_wlr):
    """Same looks detected at the same times, the same radar tracks and occupancy, the
    stream left at the same place; measurements equal to the last bits (the C library's
    and NumPy's transcendental functions may round apart by an ulp)."""
    truth, radar, ground, radius_m, stream = counter_battery_wlr
    runs = {}
    for compiled in (False, True):
        rng = np.random.default_rng(stream)
        det, occ = simulate_weapon_locating(radar, truth, rng, ground, radius_m, compiled=compiled)
        runs[compiled] = (det, occ, rng.random())
    (ref, ref_occ, ref_next), (det, occ, nxt) = runs[False], runs[True]
    assert len(ref["t_s"]) > 1000
    assert nxt == ref_next
    for key in ("t_s", "truth_id", "dwell_track_id"):
        np.testing.assert_array_equal(det[key], ref[key], err_msg=key)
    for key in ref_occ:
        np.testing.assert_array_equal(occ[key], ref_occ[key], err_msg=key)
    tolerance = {"range_m": 1e-6, "az_deg": 1e-9, "el_deg": 1e-9, "range_rate_mps": 1e-6,
                 "snr_db": 1e-9}  # fmt: skip
    for key, atol in tolerance.items():
        np.testing.assert_allclose(det[key], ref[key], rtol=0, atol=atol, err_msg=key)


def test_the_compiled_loop_refuses_a_ground_that_is_not_flat(counter_battery_wlr):
    truth, radar, _, radius_m, stream = counter_battery_wlr

    class Hills:
        def height_m(self, lat_deg, lon_deg):
            return np.zeros(np.broadcast(lat_deg, lon_deg).shape)

    with pytest.raises(ValueError, match="needs a flat ground; give compiled=False"):
        simulate_weapon_locating(
            radar, truth, np.random.default_rng(stream), Hills(), radius_m, compiled=True
        )
