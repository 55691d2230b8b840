"""The tracker end to end on simulated detections.

Authorities: the truth the detections were simulated from (scoring compares on
purpose); a Kalman filter's error must be well below the raw measurement
error it averages; the tracker must not depend on `truth_id` at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gbad.scenario.loader import LoadedScenario, load_builtin, parse_scenario
from gbad.sensors.detection_file import from_columns
from gbad.sim import radar_models, score_tracks, simulate, track, truth_table

AIR_KINDS = {"aircraft", "cruise_missile", "uav", "ballistic_missile"}


@pytest.fixture(scope="module")
def default_run():
    loaded = load_builtin("airbase-defence")
    truth, det_cols, _, _ = simulate(loaded)
    det = from_columns(det_cols, radar_models(loaded), "sim").for_air_tracker(radar_models(loaded))[
        0
    ]
    result = track(loaded, det)
    rows = truth_table(truth, loaded)
    air = score_tracks(loaded, rows, result, det, truth)
    return loaded, truth, det_cols, det, result, rows, air


def test_every_air_threat_gets_a_confirmed_track_that_holds_it(default_run):
    """Each air object has confirmed tracks (by their majority detections) which, from the
    first confirmation on, hold it for at least 95 % of the time it could be held."""
    loaded, truth, _, det, result, _, air = default_run
    kinds = np.array(truth.kind, dtype=object)
    air_ids = truth.object_id[np.isin(kinds, list(AIR_KINDS))]
    assert air["objects_never_held"] == []
    from gbad.analysis.scoring import track_truth_ids

    owner = track_truth_ids(result.rows["track_id"], result.detection_index, det.truth_id)
    rows = result.rows
    confirmed = rows["status"] == "confirmed"
    for oid in air_ids:
        mine = [t for t, o in owner.items() if o == oid]
        t_upd = np.sort(rows["t_s"][confirmed & np.isin(rows["track_id"], mine)])
        assert t_upd.size, f"object {oid} ({kinds[oid - 1]}) has no confirmed track"
        coast = loaded.model.tracker.max_coast_s
        t_det = np.sort(det.t_s[det.truth_id == oid])
        t_det = t_det[t_det >= t_upd[0]]
        # Time the object could be held: its detections no further apart than the coast
        # limit (a target no radar sees for longer cannot be held, only re-acquired).
        det_gaps = np.diff(t_det)
        holdable = np.sum(det_gaps[det_gaps <= coast])
        gaps = np.diff(t_upd)
        share = np.sum(gaps[gaps <= coast]) / holdable
        assert share > 0.95, f"object {oid} ({kinds[oid - 1]}) held {share:.0%}"


def test_tracks_beat_the_raw_detections(default_run):
    air = default_run[-1]
    assert air["track_rmse_at_updates_m"] < 0.7 * air["detection_rmse_at_updates_m"]
    assert air["false_tracks"] <= 5


def test_the_tracker_never_reads_truth_ids(default_run):
    loaded, _, det_cols, _, result, _, _ = default_run
    blind = dict(det_cols)
    blind["truth_id"] = np.random.default_rng(0).permutation(det_cols["truth_id"])
    again = track(
        loaded,
        from_columns(blind, radar_models(loaded), "blind").for_air_tracker(radar_models(loaded))[0],
    )
    for key in ("t_s", "track_id", "east_m", "status"):
        np.testing.assert_array_equal(result.rows[key], again.rows[key])


SINGLE = """
[scenario]
name = "one-target"
origin = {{ lat_deg = 37.0, lon_deg = 127.0, alt_m = 0.0 }}
duration_s = {duration}
seed = 5

[tracker]
filter = "{filt}"
association = "{assoc}"

[[radars]]
id = "r"
role = "multifunction"
position = {{ east_m = 0.0, north_m = 0.0, up_m = 10.0 }}
frequency_hz = 9e9
reference = {{ range_m = 60e3, rcs_m2 = 1.0, pd = 0.9, pfa = {pfa} }}
scan = {{ kind = "electronic", period_s = 1.0 }}
coverage = {{ range_max_m = 150e3, el_max_deg = 60 }}
accuracy = {{ range_m = 20.0, az_deg = 0.2, el_deg = 0.2 }}
beamwidth_az_deg = 2.0
beamwidth_el_deg = 2.0
"""

TARGET = """
[[threats]]
id = "{tid}"
kind = "aircraft"
route = [ {{ east_m = {e0}, north_m = {n0}, up_m = 5000.0, speed_mps = 250.0 }},
          {{ east_m = {e1}, north_m = {n1}, up_m = 5000.0 }} ]
"""


def _loaded(text: str) -> LoadedScenario:
    return LoadedScenario(parse_scenario(text, "t.toml"), "t.toml", Path("."))


@pytest.mark.parametrize(
    ("filt", "assoc"),
    [("ekf", "gnn"), ("ukf", "gnn"), ("cmkf", "gnn"), ("imm", "gnn"), ("ekf", "jpda")],
)
def test_single_target_is_confirmed_quickly_and_tracked_accurately(filt, assoc):
    text = SINGLE.format(duration=120.0, filt=filt, assoc=assoc, pfa=1e-8) + TARGET.format(
        tid="a", e0=40e3, n0=20e3, e1=-20e3, n1=20e3
    )
    loaded = _loaded(text)
    truth, det_cols, _, _ = simulate(loaded)
    det = from_columns(det_cols, radar_models(loaded), "sim")
    result = track(loaded, det)
    air = score_tracks(loaded, truth_table(truth, loaded), result, det, truth)
    assert air["tracks_confirmed"] == 1
    assert air["time_to_confirmed_track_median_s"] <= 4.0
    # A detection at 30–45 km has a cross-range σ of tens of metres; the track averages it.
    assert air["track_rmse_at_updates_m"] < 0.5 * air["detection_rmse_at_updates_m"]
    assert air["id_switches"] == 0


def test_clutter_alone_confirms_nothing():
    # Pfa 1e-6 over this radar's cells: about 5 false alarms a second, 1,600 in all.
    loaded = _loaded(SINGLE.format(duration=300.0, filt="ekf", assoc="gnn", pfa=1e-6))
    _, det_cols, _, _ = simulate(loaded)
    det = from_columns(det_cols, radar_models(loaded), "sim")
    assert len(det) > 1_000
    result = track(loaded, det)
    # Confirmation needs 3 detections in 5 looks inside one shrinking gate.
    assert result.n_confirmed == 0


def test_two_radars_fuse_into_one_track():
    text = SINGLE.format(duration=120.0, filt="ekf", assoc="gnn", pfa=1e-8) + TARGET.format(
        tid="a", e0=40e3, n0=20e3, e1=-20e3, n1=20e3
    )
    second = (
        SINGLE.split("[[radars]]")[1]
        .replace('id = "r"', 'id = "r2"')
        .replace("east_m = 0.0, north_m = 0.0", "east_m = 20000.0, north_m = -5000.0")
        .replace("period_s = 1.0", "period_s = 1.7")
    )
    loaded = _loaded(text + "\n[[radars]]" + second.format(pfa=1e-8, filt="ekf", assoc="gnn"))
    truth, det_cols, _, _ = simulate(loaded)
    det = from_columns(det_cols, radar_models(loaded), "sim")
    assert set(det_cols["radar_id"]) == {"r", "r2"}
    result = track(loaded, det)
    air = score_tracks(loaded, truth_table(truth, loaded), result, det, truth)
    assert air["tracks_confirmed"] == 1
    assert air["id_switches"] == 0
    assert air["track_rmse_at_updates_m"] < 0.5 * air["detection_rmse_at_updates_m"]


def test_no_detections_gives_no_tracks_with_the_full_schema():
    loaded = load_builtin("airbase-defence")
    empty = {
        "t_s": np.zeros(0),
        "radar_id": np.zeros(0, dtype=object),
        "range_m": np.zeros(0),
        "az_deg": np.zeros(0),
        "el_deg": np.zeros(0),
    }
    result = track(loaded, from_columns(empty, radar_models(loaded), "empty"))
    assert result.n_tracks == 0
    assert {"t_s", "track_id", "status", "east_m", "cov_uu_m2"} <= set(result.rows)
    assert all(len(v) == 0 for v in result.rows.values())


def test_thread_choice_follows_the_cheaper_way_and_probes_less_when_sure():
    """`_Threads` (fed made-up costs, no clock): each way tried, then the cheaper one,
    the other tried again after PROBE scans, twice as late each time the probe confirms,
    at once PROBE_MAX late when the probe was far off, and back to PROBE on a change."""
    from gbad.tracking.buffers import _Threads

    assert _Threads(1).pick() == 1
    th = _Threads(2)
    big = 10_000
    cost = {1: 1.0, 2: 0.5}

    def scan() -> int:
        way = th.pick()
        th.record(way, cost[way] * big, big)
        return way

    assert [scan(), scan(), scan(), scan()] == [1, 1, 2, 2]  # the first of each untimed
    ways = [scan() for _ in range(th.PROBE + 1)]
    assert ways[: th.PROBE] == [2] * th.PROBE and ways[th.PROBE] == 1  # a probe of serial
    ways = [scan() for _ in range(2 * th.PROBE + 1)]
    assert ways.count(1) == 1 and ways[-1] == 1  # next probe twice as late
    cost[2] = 50.0  # the pool turns slow: serial after one scan, the probe due in PROBE
    assert scan() == 2 and th.best == 1
    ways = [scan() for _ in range(th.PROBE + 1)]
    assert ways[: th.PROBE] == [1] * th.PROBE and ways[th.PROBE] == 2
    assert th.wait == th.PROBE_MAX  # that probe was far off: the next is PROBE_MAX away
    th.record(2, 0.0, 10)  # a small scan teaches nothing
    assert th.cost[2] > cost[1]


def test_threads_change_nothing_end_to_end(monkeypatch):
    """The default scenario's tracks with the compiled passes forced onto two threads (even
    for its small scans) equal the serial ones bit for bit."""
    from gbad.tracking import scangate, tracker

    loaded = load_builtin("airbase-defence")
    _, det_cols, _, _ = simulate(loaded)
    det = from_columns(det_cols, radar_models(loaded), "sim")
    serial = track(loaded, det)
    monkeypatch.setattr(scangate, "PARALLEL_MIN", 1)
    monkeypatch.setattr(tracker._Threads, "pick", lambda self: 2)
    threaded = track(loaded, det)
    for name, col in serial.rows.items():
        np.testing.assert_array_equal(col, threaded.rows[name])
    np.testing.assert_array_equal(serial.detection_index, threaded.detection_index)


def test_issue_12_the_general_path_in_small_chunks_gives_the_same_tracks(
    default_run, monkeypatch
):
    """The general path gates a batch's tracks in chunks (`PAIR_CHUNK` candidate pairs at
    once): chunks of a few tracks give the default raid's tracks bit for bit."""
    from gbad.tracking import tracker

    loaded, _, _, det, result, _, _ = default_run
    monkeypatch.setattr(tracker, "PAIR_CHUNK", 50)
    again = track(loaded, det)
    assert set(again.rows) == set(result.rows)
    for k, v in result.rows.items():
        np.testing.assert_array_equal(again.rows[k], v, err_msg=k)


def _peak_bytes(loaded, det) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        track(loaded, det)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_issue_12_duplicated_detections_cost_memory_in_proportion(monkeypatch):
    """Every detection of a recording repeated k times, all in one resolution cell: each
    track gated all k, pairs (and memory) growing with k². With a batch's candidates
    taken a chunk of tracks at a time (here chunks of 4,096 pairs, so that small files
    show it), four times the copies cost under five times the memory (the general path:
    the UKF). Before, 12.9 times."""
    from gbad.tracking import tracker

    text = SINGLE.format(duration=60.0, filt="ukf", assoc="gnn", pfa=1e-8) + TARGET.format(
        tid="a", e0=40e3, n0=20e3, e1=-20e3, n1=20e3
    )
    loaded = _loaded(text)
    _, det_cols, _, _ = simulate(loaded)
    monkeypatch.setattr(tracker, "PAIR_CHUNK", 4096)
    peaks = []
    for k in (1, 80, 320):  # the first warms what is loaded once
        cols = {c: np.repeat(np.asarray(v), k) for c, v in det_cols.items()}
        det = from_columns(cols, radar_models(loaded), "sim")
        peaks.append(_peak_bytes(loaded, det))
    assert peaks[2] < 5.0 * peaks[1], peaks
