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


def test_issue_12_a_scenario_without_radars_runs_to_an_empty_air_picture(tmp_path):
    """Truth alone (no radars): the run failed with "<simulated detections>: invalid
    detection file ... 'truth_id' must be integer", the empty table having lost its types."""
    import re
    from pathlib import Path

    import pandas as pd

    from gbad.scenario.loader import LoadedScenario, parse_scenario

    text = (Path(api.__file__).parent / "scenario/builtin/counter-battery.toml").read_text()
    text = re.sub(r"\n\[\[radars\]\].*?(?=\n\[\[threats)", "\n", text, flags=re.S)
    text = text.replace("duration_s = 240.0", "duration_s = 20.0")
    assert "[[radars]]" not in text
    loaded = LoadedScenario(parse_scenario(text, "no-radars.toml"), "no-radars.toml", tmp_path)
    result = api.run_scenario(loaded, tmp_path / "out")
    det = pd.read_parquet(result.files["detections"])
    assert len(det) == 0 and det["truth_id"].dtype == np.int64
    assert len(pd.read_parquet(result.files["truth"])) > 0
