"""The battery's loop on the default raid: invariants a run must never break, and its outcome."""

from __future__ import annotations

import numpy as np
import pytest

from gbad.api import load_builtin, run_scenario
from gbad.engagement.profiles import INTERCEPTORS
from gbad.scenario.loader import ScenarioError, parse_scenario


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return run_scenario(load_builtin("airbase-defence"), tmp_path_factory.mktemp("ab"))


def _table(run, name):
    import pyarrow.parquet as pq

    return pq.read_table(run.files[name]).to_pandas()


def test_inventory_is_never_exceeded_and_launchers_keep_their_interval(default):
    eng = _table(default, "engagements")
    battery = load_builtin("airbase-defence").model.batteries[0]
    for ln in battery.launchers:
        mine = eng[eng.launcher_id == ln.id].sort_values("launch_t_s")
        assert len(mine) <= ln.missiles * (1 + battery.reloads)
        assert (np.diff(mine.launch_t_s) >= battery.launch_interval_s - 1e-9).all()


def test_no_interceptor_is_launched_at_a_target_assessed_killed(default):
    eng = _table(default, "engagements").sort_values("launch_t_s")
    ka = 2.0  # ControlConfig.kill_assessment_s
    # The station acts on what the radar declared, which may be wrong either way.
    killed = eng[eng.assessed == "kill"].groupby("track_id").end_t_s.min()
    for track, t_kill in killed.items():
        later = eng[(eng.track_id == track) & (eng.launch_t_s > t_kill + ka)]
        assert later.empty, later


def test_every_intercept_lies_inside_the_envelope(default):
    eng = _table(default, "engagements")
    # Every launch had a predicted intercept point (inside the envelope, or no launch).
    assert np.isfinite(eng.predicted_time_of_flight_s).all()
    prof = INTERCEPTORS["cheongung-2"]
    battery = load_builtin("airbase-defence").model.batteries[0]
    pos = {ln.id: (ln.position.east_m, ln.position.north_m) for ln in battery.launchers}
    for _, r in eng[eng.outcome == "kill"].iterrows():
        e0, n0 = pos[r.launcher_id]
        rng = np.hypot(np.hypot(r.end_east_m - e0, r.end_north_m - n0), r.end_up_m)
        assert rng <= prof.max_range_m and r.end_up_m <= prof.max_altitude_m


def test_the_raid_is_engaged_in_threat_order_and_reported(default):
    s = default.summary["engagement"]
    assert s["interceptors_spent"] == sum(s["outcomes"].values()) > 0
    assert s["kills"] >= 1 and s["kills_by_kind"].get("cruise_missile", 0) >= 2
    assert set(s["damage_by_asset"]) == {"airbase", "battery-site"}
    assert s["leakers"] == s["leakers_tasked"] + s["leakers_not_tasked"]
    assert s["first_detection_to_first_launch_s"] > 0
    assert 0 < s["radar_occupancy"]["busy_share_max"] <= 1
    # The first launch goes to a ranked engageable threat of that decision (those ranked
    # above it may be outside the envelope or not yet classified).
    eng = _table(default, "engagements")
    threats = _table(default, "threat_list")
    first = eng.sort_values("launch_t_s").iloc[0]
    at = threats[threats.t_s == threats.t_s[threats.t_s <= first.launch_t_s].max()]
    ranked = at.sort_values("rank")
    ranked = ranked[ranked.kind.isin(["aircraft", "cruise_missile", "uav", "ballistic"])]
    assert first.track_id in ranked.track_id.tolist()


def test_salvo_2_on_a_battery_with_one_missile_is_a_clear_error():
    from importlib import resources

    from gbad.scenario.loader import BUILTIN_PACKAGE

    text = (resources.files(BUILTIN_PACKAGE) / "airbase-defence.toml").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("doctrine = "))
    text = text.replace(line, 'doctrine = "salvo-2"')
    for k in range(1, 5):
        text = text.replace(f'id = "L{k}", position', f'id = "L{k}", position', 1)
    text = text.replace("missiles = 8", "missiles = 0").replace(
        "missiles = 0 },", "missiles = 1 },", 1
    )
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "bad.toml")
    msg = str(info.value)
    assert "batteries[0]" in msg and "'salvo-2' fires two interceptors" in msg


def test_inline_interceptor_speed_override_sets_the_nominal_peak():
    from gbad.engagement.battery import with_peak_speed
    from gbad.engagement.prediction import speed_profile

    faster = with_peak_speed(INTERCEPTORS["cheongung-2"], 1300.0)
    assert np.max(speed_profile(faster).speed_mps) == pytest.approx(1300.0, abs=0.1)
    with pytest.raises(ValueError, match="out of reach"):
        with_peak_speed(INTERCEPTORS["cheongung-2"], 40000.0)


def test_report_lists_every_interceptor(default):
    page = default.files["report"].read_text()
    # The plan view draws the interceptors' flown paths, by outcome.
    assert '"name":"interceptor path: kill"' in page
    # ... and each radar's coverage outline (tests/test_coverage.py checks its place).
    for radar in ("mfr", "lrsr", "wlr"):
        assert f'"name":"{radar} coverage"' in page
    assert "radar coverage: Pd \\u2265 0.5<br>cruise missile 100 m above ground" in page
    assert "<h2>Battery</h2>" in page
    n = default.summary["engagement"]["interceptors_spent"]
    section = page.split("<h2>Battery</h2>")[1].split("<h2>")[0]
    assert section.count("<tr><td>") == n


def test_radar_occupancy_is_recorded_over_time_and_adds_up(default):
    occ = _table(default, "radar_occupancy")
    assert len(occ) > 100 and occ.t_s.is_monotonic_increasing
    total = occ.search_share + occ.track_share + occ.uplink_share
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    assert (occ.search_share >= 0.3 - 1e-9).all()


def test_the_srbm_is_engaged_by_a_ripple_and_no_round_is_engaged(default):
    eng = _table(default, "engagements")
    objects = _table(default, "objects")
    kind = dict(zip(objects.object_id, objects.kind, strict=True))
    srbm = eng[eng.truth_id.map(kind) == "ballistic_missile"]
    # The default doctrine ripples two rounds at a ballistic missile, one launch interval apart.
    assert len(srbm) >= 2
    first_two = srbm.sort_values("launch_t_s").launch_t_s.to_numpy()[:2]
    assert first_two[1] - first_two[0] <= 2.0 * 2.0 + 1e-9
    # Intercepts in the Block II band (docs/references.md: about 15-20 km).
    assert ((srbm.end_up_m > 10e3) & (srbm.end_up_m < 20e3)).all()
    # Cheongung is not a counter-rocket system: no interceptor at a round without the opt-in.
    assert not eng.truth_id.map(kind).isin(["shell", "mortar", "rocket"]).any()
    s = default.summary["engagement"]
    # Every round that lands on an asset is left to counter-artillery (the wind and the
    # lots of the day carry some off their aim points).
    rounds = objects.kind.isin(["shell", "mortar", "rocket"])
    assert (
        s["leakers_by_kind"].get("shell", 0)
        + s["leakers_by_kind"].get("mortar", 0)
        + s["leakers_by_kind"].get("rocket", 0)
        == s["leakers_not_tasked"]
    )
    assert 0.6 * rounds.sum() <= s["leakers_not_tasked"] <= rounds.sum()
    assert "srbm-1" not in s["leak_reason_by_threat"]


def test_misses_are_metres_not_micrometres_and_outcomes_add_up(default):
    eng = _table(default, "engagements")
    hit = eng[eng.end_reason == "closest_approach"]
    assert hit.miss_distance_m.median() > 0.1  # a real seeker, not the true LOS
    s = default.summary["engagement"]
    assert s["misses"] + s["outcomes"].get("kill", 0) + s["outcomes"].get("aborted", 0) == len(eng)
    wrong = ((eng.assessed == "kill") & (eng.outcome == "miss")).sum()
    assert s["false_kill_declarations"] == wrong
    assert s["interceptors_per_kill"] == pytest.approx(len(eng) / s["kills"])


def test_issue_13_confirmation_times_looked_up_as_arrays_equal_the_dict():
    """The engagement loop looks up when tracks were first confirmed as arrays; the dict
    lookup it replaces (the slow path) gives the same times, unconfirmed tracks inf."""
    from gbad.engagement.control import _confirmed_at

    rng = np.random.default_rng(3)
    first = {int(k): float(t) for k, t in zip(rng.choice(500, 120, replace=False),
                                              rng.uniform(0.0, 600.0, 120), strict=True)}  # fmt: skip
    ids = rng.integers(0, 520, 1000)
    want = np.array([first.get(int(k), np.inf) for k in ids])
    np.testing.assert_array_equal(_confirmed_at(first, ids), want)
    np.testing.assert_array_equal(_confirmed_at(first, ids.astype(float)), want)
    np.testing.assert_array_equal(_confirmed_at({}, ids[:5]), np.full(5, np.inf))
    assert _confirmed_at(first, ids[:0]).shape == (0,)


def _track_table(rows):
    """The slow reference: every row sorted by (track, time) anew, as the station did."""
    order = np.lexsort((rows["t_s"], rows["track_id"]))
    return {k: np.asarray(v)[order] for k, v in rows.items()}


def test_issue_13_rows_merged_as_they_come_keep_the_full_sorts_order():
    """The station's track table, kept in order by merging each decision's new rows, is
    the full stable sort by (track, time) of every row so far, ties (equal track and time)
    in the order written."""
    from gbad.engagement.control import _RowOrder

    rng = np.random.default_rng(13)
    for _ in range(30):
        n = int(rng.integers(1, 400))
        track = rng.integers(0, 12, n)
        t = np.round(np.cumsum(rng.exponential(0.3, n)) + rng.normal(0, 0.5, n), 1)
        rows = {"track_id": track, "t_s": t, "row": np.arange(n)}
        kept = _RowOrder()
        cut = 0
        while cut < n:
            cut = min(n, cut + int(rng.integers(0, 40)))
            seen = {k: v[:cut] for k, v in rows.items()}
            order = kept.extend(seen["track_id"], seen["t_s"])
            np.testing.assert_array_equal(order, _track_table(seen)["row"])


def _picture_reference(tab, first_confirm, t):
    """The station's picture as it was computed from the whole sorted table (the slow
    reference `control._picture` is held to)."""
    from gbad.engagement import control as c

    tid = tab["track_id"]
    before = tab["t_s"] <= t
    if not np.any(before):
        z = np.zeros((0, 3))
        return np.zeros(0, dtype=np.int64), z, z, np.zeros(0), np.zeros(0), np.zeros(0)
    idx = np.flatnonzero(before)
    last = idx[np.r_[tid[idx][1:] != tid[idx][:-1], True]]
    confirmed_at = c._confirmed_at(first_confirm, tid[last])
    ok = (tab["status"][last] != c.DELETED) & (t - tab["t_s"][last] <= c.STALE_TRACK_S)
    ok &= confirmed_at <= t
    last, confirmed_at = last[ok], confirmed_at[ok]
    pos = np.column_stack([tab["east_m"][last], tab["north_m"][last], tab["up_m"][last]])
    vel = np.column_stack([tab["v_east_mps"][last], tab["v_north_mps"][last], tab["v_up_mps"][last]])
    key = tid.astype(float) * 1e7 + tab["t_s"]
    back = np.searchsorted(key, tid[last] * 1e7 + tab["t_s"][last] - c.ACC_WINDOW_S, side="right")
    back = np.clip(back, 0, len(key) - 1)
    same = (tid[back] == tid[last]) & (tab["t_s"][last] - tab["t_s"][back] > 1.0)
    same &= tab["t_s"][back] >= confirmed_at + c.VELOCITY_SETTLE_S
    span = np.where(same, tab["t_s"][last] - tab["t_s"][back], np.nan)
    sharp = tab["cov_uu_m2"][last] <= c.ACC_MAX_SIGMA_UP_M**2
    acc_up = np.where(sharp, (tab["v_up_mps"][last] - tab["v_up_mps"][back]) / span, np.nan)
    vel_back = np.column_stack([tab["v_east_mps"][back], tab["v_north_mps"][back], tab["v_up_mps"][back]])
    acc_along = (np.linalg.norm(vel, axis=1) - np.linalg.norm(vel_back, axis=1)) / span
    dt = t - tab["t_s"][last]
    return tid[last].astype(np.int64), pos + vel * dt[:, None], vel, acc_up, acc_along, tab["t_s"][last]


def test_issue_13_the_picture_from_the_rows_kept_in_order_is_the_sorted_tables():
    """The station's picture read through the kept (track, time) order, gathering only the
    rows it reads, equals the picture of the whole table sorted anew, as rows arrive and
    decisions pass (stale, deleted, unconfirmed and young tracks among them)."""
    from gbad.engagement.control import CONFIRMED, DELETED, _picture, _RowOrder

    rng = np.random.default_rng(13)
    for _ in range(20):
        n = 300
        rows = {
            "track_id": rng.integers(1, 15, n),
            "t_s": np.round(np.sort(rng.uniform(0.0, 60.0, n)) + rng.normal(0.0, 0.3, n), 2),
            "status": rng.choice([CONFIRMED, CONFIRMED, CONFIRMED, DELETED, 0], n),
            "cov_uu_m2": rng.uniform(0.0, 400.0, n),
        }
        for col in ("east_m", "north_m", "up_m", "v_east_mps", "v_north_mps", "v_up_mps"):
            rows[col] = rng.normal(0.0, 300.0, n)
        first = {int(k): float(rng.uniform(0.0, 30.0)) for k in rng.integers(1, 15, 10)}
        kept = _RowOrder()
        seen = 0
        for t in np.arange(0.0, 64.0, 1.0):
            seen = int(np.searchsorted(np.sort(rows["t_s"]), t, side="right"))
            now = {k: v[:seen] for k, v in rows.items()}
            kept.extend(now["track_id"], now["t_s"])
            got = _picture(now, kept, first, float(t))
            want = _picture_reference(_track_table(now), first, float(t))
            for a, b in zip(got, want, strict=True):
                np.testing.assert_array_equal(a, b)
