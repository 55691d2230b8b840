"""Detection files: our own round-trip, and every malformed kind rejected with a located message."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gbad.scenario.loader import load_builtin
from gbad.sensors.detection_file import DetectionFileError, from_columns, read_detections
from gbad.sensors.radar import RadarModel
from gbad.sim import simulate

LOADED = load_builtin("airbase-defence")
RADARS = [RadarModel.from_scenario(r, LOADED.model.scenario.origin) for r in LOADED.model.radars]


@pytest.fixture(scope="module")
def detections():
    _, det, _, _ = simulate(LOADED)
    return det


def _write(path, columns):
    arrays = {
        k: pa.array(list(v), type=pa.string()) if np.asarray(v).dtype == object else pa.array(v)
        for k, v in columns.items()
    }
    pq.write_table(pa.table(arrays), path)
    return path


def test_round_trip_of_our_own_file(tmp_path, detections):
    path = _write(tmp_path / "d.parquet", detections)
    det = read_detections(path, RADARS)
    assert len(det) == len(detections["t_s"])
    assert np.all(np.diff(det.t_s) >= 0)
    np.testing.assert_array_equal(np.sort(det.range_m), np.sort(detections["range_m"]))


def test_minimal_file_takes_sigmas_from_the_scenario(tmp_path):
    cols = {
        "t_s": np.array([0.0, 1.0]),
        "radar_id": np.array(["mfr", "lrsr"], dtype=object),
        "range_m": np.array([10e3, 20e3]),
        "az_deg": np.array([10.0, 20.0]),
        "el_deg": np.array([1.0, 2.0]),
    }
    det = read_detections(_write(tmp_path / "m.parquet", cols), RADARS)
    # At the reference SNR: the reference σ with the fixed 10 % floor in quadrature.
    np.testing.assert_allclose(det.range_sigma_m, np.array([10.0, 60.0]) * np.sqrt(1.01))
    assert np.isnan(det.range_rate_mps).all()
    assert det.truth_id.tolist() == [-1, -1]


def _bad(detections, mutate):
    cols = {k: np.array(v, copy=True) for k, v in detections.items()}
    mutate(cols)
    with pytest.raises(DetectionFileError) as info:
        from_columns(cols, RADARS, "plots.parquet")
    return str(info.value)


CASES = [
    ("missing column", lambda c: c.pop("az_deg"), ["missing required column 'az_deg'"]),
    (
        "misnamed column",
        lambda c: c.update(azimuth_deg=c.pop("az_deg")),
        ["missing required column 'az_deg'"],
    ),
    (
        "misspelt optional column",
        lambda c: c.update(snr_dB=c.pop("snr_db")),
        ["column 'snr_dB' is not in the schema; did you mean 'snr_db'?"],
    ),
    (
        "wrong type",
        lambda c: c.update(range_m=c["range_m"].astype(str).astype(object)),
        ["column 'range_m' has type object; it must be numeric"],
    ),
    ("NaN", lambda c: c["el_deg"].__setitem__(3, np.nan), ["column 'el_deg': row 3 not finite"]),
    ("infinite", lambda c: c["t_s"].__setitem__(5, np.inf), ["column 't_s': row 5 not finite"]),
    (
        "azimuth out of domain",
        lambda c: c["az_deg"].__setitem__(7, 360.0),
        ["column 'az_deg': row 7 must be in [0, 360)", "got 360.0"],
    ),
    (
        "elevation out of domain",
        lambda c: c["el_deg"].__setitem__(2, 95.0),
        ["column 'el_deg': row 2 must be in [-90, 90]"],
    ),
    (
        "negative range",
        lambda c: c["range_m"].__setitem__(4, -5.0),
        ["column 'range_m': row 4 must be in [1, 2e+06] metres"],
    ),
    (
        "zero sigma",
        lambda c: c["az_sigma_deg"].__setitem__(1, 0.0),
        ["column 'az_sigma_deg': row 1 must be in (0, 90]"],
    ),
    # issue 12: numbers that overflowed the filters or the tracker's time line
    (
        "range past any radar",
        lambda c: c["range_m"].__setitem__(4, 1e300),
        ["column 'range_m': row 4 must be in [1, 2e+06] metres", "got 1e+300"],
    ),
    (
        "inside the blind range",
        lambda c: c["range_m"].__setitem__(6, 1e-300),
        ["column 'range_m': row 6 must be in [1, 2e+06] metres"],
    ),
    (
        "huge sigma",
        lambda c: c["el_sigma_deg"].__setitem__(2, 1e300),
        ["column 'el_sigma_deg': row 2 must be in (0, 90]"],
    ),
    (
        "range rate faster than anything",
        lambda c: c["range_rate_mps"].__setitem__(3, -1e9),
        ["column 'range_rate_mps': row 3 must be within ±20000 m/s"],
    ),
    (
        "times from another age",
        lambda c: c["t_s"].__setitem__(slice(None), c["t_s"] * 1e12),
        ["column 't_s': rows", "must be within ±3e+07 s"],
    ),
    (
        "a recording too long for one file",
        lambda c: c["t_s"].__setitem__(slice(None), c["t_s"] * 5e4),
        ["column 't_s': the rows span", "the tracker takes at most 5,000,000 scans"],
    ),
    (
        "unknown radar",
        lambda c: c["radar_id"].__setitem__(0, "tpq-99"),
        ["row 0 name radar(s) ['tpq-99']", "its radars: mfr, lrsr, wlr"],
    ),
    (
        "float truth ids",
        lambda c: c.update(truth_id=c["truth_id"].astype(float)),
        ["column 'truth_id' must be integer"],
    ),
]


@pytest.mark.parametrize(("mutate", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_detections(detections, mutate, fragments):
    message = _bad(detections, mutate)
    assert message.startswith("plots.parquet: invalid detection file")
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_a_radar_going_back_in_time(detections):
    def swap(c):
        rows = np.flatnonzero(c["radar_id"] == "mfr")[10:12]
        c["t_s"][rows] = c["t_s"][rows[::-1]] + np.array([0.0, -0.5])

    message = _bad(detections, swap)
    assert "radar 'mfr' goes back in time at row" in message
    assert "np.float64" not in message  # the times as numbers (issue 12)


def test_radars_may_interleave_out_of_order(detections):
    # Two radars' rows out of order with each other is fine: the tracker sorts them.
    cols = {k: np.array(v, copy=True) for k, v in detections.items()}
    order = np.argsort(cols["radar_id"].astype(str), kind="stable")
    det = from_columns({k: v[order] for k, v in cols.items()}, RADARS, "x")
    assert np.all(np.diff(det.t_s) >= 0)


def test_unreadable_files(tmp_path):
    with pytest.raises(DetectionFileError, match="no such file"):
        read_detections(tmp_path / "none.parquet", RADARS)
    junk = tmp_path / "junk.parquet"
    junk.write_text("t_s,range_m\n1,2\n")
    with pytest.raises(DetectionFileError, match="not a readable Parquet file"):
        read_detections(junk, RADARS)


_columns = st.sampled_from(["t_s", "range_m", "az_deg", "el_deg", "range_rate_mps", "snr_db"])
_values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**6), 10**6))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_columns, st.integers(0, 49), _values), min_size=1, max_size=5))
def test_random_corruption_gives_only_file_errors(detections, edits):
    cols = {k: np.array(v[:50], copy=True) for k, v in detections.items()}
    for col, row, value in edits:
        cols[col][row] = value
    try:
        det = from_columns(cols, RADARS, "fuzz.parquet")
    except DetectionFileError as exc:
        assert str(exc).startswith("fuzz.parquet: invalid detection file")
    else:
        assert np.all(np.isfinite(det.range_m)) and np.all(det.range_m > 0)


def _dwell_file():
    """Two MFR search plots, one MFR track dwell, one weapon-locating dwell."""
    return {
        "t_s": np.array([0.0, 0.5, 0.6, 0.7]),
        "radar_id": np.array(["mfr", "mfr", "wlr", "mfr"], dtype=object),
        "range_m": np.array([10e3, 11e3, 12e3, 13e3]),
        "az_deg": np.array([10.0, 11.0, 12.0, 13.0]),
        "el_deg": np.array([1.0, 2.0, 3.0, 4.0]),
        "dwell_track_id": np.array([-1, 7, 3, -1], dtype=np.int64),
        "truth_id": np.array([1, 1, 2, -1], dtype=np.int64),
    }


def test_mfr_dwells_go_to_the_tracker_on_a_track_channel_and_wlr_dwells_to_the_locator():
    det = from_columns(_dwell_file(), RADARS, "dwells")
    air, radars = det.for_air_tracker(RADARS)
    assert len(air) == 3 and len(radars) == len(RADARS) + 1
    channel = radars[-1]
    assert channel.scan_kind == "dwell" and channel.channel_of == "mfr"
    # The dwell moves to the channel; search plots stay on the radar itself.
    assert air.radar_index.tolist() == [0, len(RADARS), 0]
    assert det.for_locator(RADARS).range_m.tolist() == [12e3]
    # Columns come back under the radar's own id, in time order.
    cols = air.to_columns(radars)
    assert cols["radar_id"].tolist() == ["mfr", "mfr", "mfr"]
    assert cols["dwell_track_id"].tolist() == [-1, 7, -1]
    both = air.concat(det.for_locator(RADARS))
    assert len(both) == 4 and both.dwell_track_id.tolist() == [-1, 7, -1, 3]


def test_a_radar_with_dwells_but_no_channel_is_named():
    det = from_columns(_dwell_file(), RADARS, "dwells")
    with pytest.raises(ValueError, match="radar 'mfr' has track dwells but no channel"):
        det.for_air_tracker(RADARS, channels=[])


@given(st.lists(st.floats(0.0, 600.0, allow_nan=False), min_size=1, max_size=30))
@settings(max_examples=40, deadline=None)
def test_columns_round_trip_through_validation(times):
    n = len(times)
    cols = {
        "t_s": np.array(times),
        "radar_id": np.array(["lrsr"] * n, dtype=object),
        "range_m": np.linspace(5e3, 9e3, n),
        "az_deg": np.linspace(0.0, 359.0, n),
        "el_deg": np.linspace(-1.0, 5.0, n),
    }
    cols["t_s"].sort()
    det = from_columns(cols, RADARS, "round trip")
    back = from_columns(det.to_columns(RADARS), RADARS, "again")
    for f in ("t_s", "range_m", "az_deg", "el_deg", "range_sigma_m", "radar_index"):
        np.testing.assert_array_equal(getattr(back, f), getattr(det, f))


def test_a_recording_with_only_the_required_columns_tracks(tmp_path, detections):
    """Issue 12: optional columns are optional. Without `range_rate_mps` the tracker uses
    none (it failed with a non-finite innovation, blamed on the scenario)."""
    from gbad.cli import main

    keep = ("t_s", "radar_id", "range_m", "az_deg", "el_deg")
    path = _write(tmp_path / "d.parquet", {k: detections[k] for k in keep})
    det = read_detections(path, RADARS)
    assert np.all(np.isnan(det.range_rate_mps)) and np.all(np.isnan(det.range_rate_sigma_mps))
    code = main(
        ["track", str(path), "--scenario", "airbase-defence", "--out", str(tmp_path / "o")]
    )
    assert code == 0
    rows = pq.read_table(tmp_path / "o" / "tracks.parquet").to_pandas()
    assert (rows.status == "confirmed").sum() > 100


def test_issue_12_a_track_number_past_2_to_the_40_is_refused(detections):
    """The locator keys a track by radar·2⁴⁰ + its number: a number that large would give
    its locates to another radar."""
    cols = {k: np.asarray(v) for k, v in detections.items()}
    cols["dwell_track_id"] = np.where(cols["dwell_track_id"] >= 0, 1 << 40, -1)
    with pytest.raises(DetectionFileError, match=r"'dwell_track_id'.*must be in \[-1, 2\^40\)"):
        from_columns(cols, RADARS, "d.parquet")


def test_issue_12_a_weapon_locating_radar_with_nothing_to_see():
    """No threats at all: the radar's fence false alarms are its only detections."""
    from dataclasses import replace as dc_replace

    loaded = load_builtin("counter-battery")
    empty = dc_replace(loaded, model=loaded.model.model_copy(update={"threats": []}))
    _, det, _, _ = simulate(empty)
    assert len(det["t_s"]) > 0 and np.all(det["truth_id"] == -1)
