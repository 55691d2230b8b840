"""The closed loop of air picture and battery: a stepped tracker that is the batch tracker,
track dwells that follow the booking, and a destroyed object that reflects no more."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gbad.api import load_builtin
from gbad.engagement.mfr import MfrBudget, dwell_times
from gbad.sensors.detection_file import from_columns
from gbad.sensors.radar import TRACK_DWELL_WINDOW_S
from gbad.sim import fight, radar_models, simulate
from gbad.tracking.tracker import Tracker, TrackerSession


def _raid(duration_s: float, **battery):
    loaded = load_builtin("airbase-defence")
    m = loaded.model
    bats = [b.model_copy(update=battery) for b in m.batteries]
    hdr = m.scenario.model_copy(update={"duration_s": duration_s})
    return dataclasses.replace(
        loaded, model=m.model_copy(update={"scenario": hdr, "batteries": bats})
    )


@pytest.fixture(scope="module")
def raid():
    loaded = _raid(420.0)
    truth, cols, summary, _ = simulate(loaded)
    det = from_columns(cols, radar_models(loaded), "sim")
    return loaded, truth, det, fight(loaded, truth, det, summary["seed"], 0)


def test_a_session_stepped_second_by_second_is_the_batch_tracker(raid):
    loaded, _, det, _ = raid
    radars = radar_models(loaded)
    air, _ = det.for_air_tracker(radars)
    hdr, cfg = loaded.model.scenario, loaded.model.tracker

    def tracker():
        return Tracker(radars, hdr.origin, cfg, hdr.refractivity_gradient_per_m)

    batch = tracker().run(air)
    session = TrackerSession(tracker(), air)
    for t in np.arange(0.0, hdr.duration_s, 1.0):
        session.advance(float(t))
        assert np.all(session.rows_view()["t_s"] <= t + 1e-9)  # nothing from the future
    stepped, kept = session.finish()
    assert len(kept) == len(air)
    np.testing.assert_array_equal(stepped.rows["track_id"], batch.rows["track_id"])
    np.testing.assert_array_equal(stepped.rows["t_s"], batch.rows["t_s"])
    np.testing.assert_allclose(stepped.rows["east_m"], batch.rows["east_m"], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(stepped.detection_index, batch.detection_index)


def test_issue_13_the_compiled_range_rate_passes_are_the_general_path(raid):
    """The raid's air picture (multifunction radar scans and track dwells with range rate,
    the surveillance radar without) from the compiled passes (`scanrr`, `scanpass`) and
    from the NumPy/scipy path: the same tracks, statuses, updates and detections, states
    to rounding."""
    *_, loop = raid
    loaded = _raid(420.0)
    hdr, cfg = loaded.model.scenario, loaded.model.tracker

    def run(compiled: bool):
        tr = Tracker(loop.air_radars, hdr.origin, cfg, hdr.refractivity_gradient_per_m)
        tr._compiled = compiled
        return tr.run(loop.det_air)

    fast, slow = run(True), run(False)
    on_channel = loop.det_air.radar_index[np.maximum(fast.detection_index, 0)] == len(
        loop.air_radars
    ) - 1
    assert on_channel.sum() > 100  # track dwells among the updates
    assert fast.n_updates == slow.n_updates and fast.n_confirmed == slow.n_confirmed
    for key in ("t_s", "track_id", "status", "hits"):
        np.testing.assert_array_equal(fast.rows[key], slow.rows[key])
    np.testing.assert_array_equal(fast.detection_index, slow.detection_index)
    for key in ("east_m", "north_m", "up_m", "v_east_mps", "v_up_mps", "cov_ee_m2", "cov_uu_m2"):
        np.testing.assert_allclose(fast.rows[key], slow.rows[key], rtol=1e-9, atol=1e-6)


def test_track_dwells_update_held_tracks_and_start_none(raid):
    *_, loop = raid
    n_radars = len(loop.air_radars) - 1
    channel = loop.air_radars[-1]
    assert channel.scan_kind == "dwell" and channel.channel_of == "mfr"
    rows, idx = loop.tracked.rows, loop.tracked.detection_index
    on_channel = (idx >= 0) & (loop.det_air.radar_index[np.maximum(idx, 0)] >= n_radars)
    assert on_channel.sum() > 100  # the dwells are tracked
    # Each track's first row (rows are in time order): never a track dwell.
    _, starts = np.unique(rows["track_id"], return_index=True)
    assert not on_channel[starts].any()


def test_a_destroyed_object_reflects_no_more(raid):
    *_, loop = raid
    killed = loop.engaged.killed_at
    assert killed  # the raid loses objects
    det = loop.det_air
    for obj, t_kill in killed.items():
        # Echoes end at the kill, up to the one decision in which a short flight can
        # end before the station learns of it (module doc of gbad.engagement.control).
        later = det.t_s[(det.truth_id == obj)]
        assert later.max() <= t_kill + 1.0, obj


def test_engaged_tracks_update_at_the_booked_rate(raid):
    *_, loop = raid
    eng, rows = loop.engaged.engagements, loop.tracked.rows
    dwells = loop.engaged.dwells
    checked = 0
    for k, t0, t1 in zip(eng["track_id"], eng["launch_t_s"], eng["end_t_s"], strict=True):
        booked = dwells["rate_hz"][(dwells["track_id"] == k) & (dwells["t_s"] >= t0)
                                   & (dwells["t_s"] <= t1)]  # fmt: skip
        mine = (
            (loop.det_air.dwell_track_id == k) & (loop.det_air.t_s >= t0) & (loop.det_air.t_s <= t1)
        )
        # Where the booking asks >= 3 Hz and the radar can see the target (it detected
        # most of the dwells: a cruise missile below the MFR's horizon it cannot).
        if not booked.size or np.median(booked) < 3.0 or mine.sum() < 0.5 * booked.size:
            continue
        t = np.unique(
            rows["t_s"][(rows["track_id"] == k) & (rows["t_s"] >= t0) & (rows["t_s"] <= t1)]
        )
        assert np.median(np.diff(t)) <= 0.35, k
        checked += 1
    assert checked >= 3  # the SRBM's ripple and the UAVs at least


def test_radar_occupancy_and_the_detections_agree(raid):
    *_, loop = raid
    occ, det = loop.engaged.occupancy, loop.det_air
    dwell = det.dwell_track_id >= 0
    frame = np.floor(det.t_s[dwell]).astype(int)
    seen = np.bincount(frame, minlength=len(occ["t_s"]))[: len(occ["t_s"])]
    assert np.all(seen <= occ["track_dwells"])  # every dwell detection was booked
    assert seen.sum() >= 0.3 * occ["track_dwells"].sum()  # and most that could see, saw
    # The time booked for tracks pays for the dwells booked (over the run: a 0.5 Hz
    # track's dwell falls in every other one-second frame).
    spent = occ["track_dwells"].sum() * MfrBudget().track_dwell_s
    assert occ["track_share"].sum() >= 0.95 * spent


def test_more_targets_than_channels_queue_and_never_overlap(tmp_path):
    loaded = _raid(420.0, fire_control_channels=2)
    truth, cols, summary, _ = simulate(loaded)
    det = from_columns(cols, radar_models(loaded), "sim")
    loop = fight(loaded, truth, det, summary["seed"], 0)
    assert len(loop.engaged.queued["t_s"]) > 0
    eng = loop.engaged.engagements
    for t in np.arange(0.0, 420.0, 0.5):
        guiding = np.sum((eng["launch_t_s"] <= t) & (eng["end_t_s"] > t))
        assert guiding <= 2, t


def test_dwells_keep_to_each_rate_grid_one_per_tracker_window():
    rates = np.array([0.5, 1.0, 2.0, 4.0, 0.0])
    idx, t = [], []
    for t0 in np.arange(0.0, 20.0, 1.0):
        i, ti = dwell_times(float(t0), 1.0, rates)
        idx.append(i)
        t.append(ti)
    idx, t = np.concatenate(idx), np.concatenate(t)
    assert np.bincount(idx, minlength=5).tolist() == [10, 20, 40, 80, 0]
    for i in range(4):
        win = np.floor(t[idx == i] / TRACK_DWELL_WINDOW_S)
        assert np.unique(win).size == win.size


def test_a_revisit_faster_than_the_tracker_window_is_refused():
    with pytest.raises(ValueError, match="must be <= 4 Hz"):
        MfrBudget(engaged_rate_hz=5.0)


def test_issue_13_a_tracks_commonest_object_by_integer_keys_is_the_row_sort():
    """`sim._commonest` counts (track, object) pairs by one integer key; the reference
    counts rows with `np.unique(axis=0)`: the same object per track, ties to the highest
    object, false alarms (-1) included."""
    from gbad.sim import _commonest

    def reference(k, obj, track_ids):
        pairs, counts = np.unique(np.column_stack([k, obj]), axis=0, return_counts=True)
        pairs = pairs[np.lexsort((counts, pairs[:, 0]))]
        last = np.r_[pairs[1:, 0] != pairs[:-1, 0], True]
        best = dict(zip(pairs[last, 0].tolist(), pairs[last, 1].tolist(), strict=True))
        return np.array([best.get(t, -1) for t in track_ids.tolist()], dtype=np.int64)

    rng = np.random.default_rng(13)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        k = rng.integers(0, 12, n)
        obj = rng.integers(-1, int(rng.integers(1, 40)), n)
        ids = rng.permutation(15)[: int(rng.integers(1, 15))]
        np.testing.assert_array_equal(_commonest(k, obj, ids), reference(k, obj, ids))
    assert (_commonest(np.zeros(0, int), np.zeros(0, int), np.arange(3)) == -1).all()
