"""The front door exports what it promises, and a scripted run matches the CLI's."""

import numpy as np

import gbad.api as api


def test_every_exported_name_exists():
    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_scripted_simulation_is_deterministic_and_complete():
    loaded = api.load_builtin("airbase-defence")
    truth, det, summary, _ = api.simulate(loaded)
    _, det2, _, _ = api.simulate(loaded)
    np.testing.assert_array_equal(det["t_s"], det2["t_s"])
    assert summary["simulated"] is True
    # Every threat of the default raid is seen by some radar, and each salvo round too.
    for tid, t in summary["threats"].items():
        assert t["objects_detected"] == t["objects"], tid
    # The weapon-locating radar sees every shell, mortar bomb and rocket; the detections of
    # the air picture come from the other two.
    wlr = summary["radars"]["wlr"]["objects_detected_by_kind"]
    assert wlr.get("shell") == 6 and wlr.get("mortar") == 4 and wlr.get("rocket") == 40
    assert truth.n_objects == 62
