"""The compiled scan passes (`gbad.tracking.scanpass`) against the NumPy/scipy path they
replace: the pre-gate and gate (`association.candidate_pairs`, `fastpath.cv_gate`), GNN
(`association.gnn_assign`, which the brute-force tests in test_association.py hold to the
optimum), the EKF update (`ConstantVelocity.predict` + `filters.ekf_update`, and the
generic compiled kernel), initiation (`estimators.initial_state`), the order of the rows
(`np.lexsort`), the look test (`RadarModel.phase` / `.in_coverage`) and the
line-of-sight shortcut (`terrain.line_of_sight`); and the tracker end to end, compiled
against its general path.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from gbad.earth.refraction import effective_earth_radius_m
from gbad.earth.terrain import FlatGround, line_of_sight
from gbad.earth.wgs84 import enu2geodetic
from gbad.scenario.loader import LoadedScenario, parse_scenario
from gbad.sensors.detection_file import from_columns
from gbad.sim import radar_models, simulate
from gbad.tracking import (
    association,
    fastpath,
    filters,
    models,
    scanassign,
    scangate,
    scanpass,
)
from gbad.tracking.buffers import RadarGeometry, _Rows, _Tracks
from gbad.tracking.estimators import initial_state, predict_signed
from gbad.tracking.status import CONFIRMED, DELETED, TENTATIVE
from gbad.tracking.tracker import Tracker

Q = np.array([100.0, 100.0, 100.0])
GATE = association.gate_threshold(3, 0.9997)
K_SEARCH = float(np.sqrt(GATE)) + 1.0


def _geometry():
    enu, rot = filters.radar_geometry(37.2, 127.1, 80.0, 37.0, 127.0, 40.0)
    return np.asarray(enu), np.ascontiguousarray(rot)


def _scene(seed: int, n_trk: int = 300, n_det: int = 400):
    """Tracks and detections of one scan: most detections near a track, some clutter,
    several tracks crowded together (conflict clusters)."""
    rng = np.random.default_rng(seed)
    enu, rot = _geometry()
    cap = n_trk + 50
    tracks = _Tracks(6, capacity=cap)
    pos = np.column_stack([rng.uniform(-40e3, 40e3, (n_trk, 2)), rng.uniform(500.0, 9e3, n_trk)])
    pos[: n_trk // 5] = pos[0] + rng.normal(0, 300.0, (n_trk // 5, 3))  # a dense raid
    x = np.column_stack([pos, rng.normal(0, 150.0, (n_trk, 3))])
    A = rng.normal(size=(n_trk, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) * 400.0 + np.eye(6) * 50.0
    tracks.add(x, P, rng.uniform(-1.0, 0.0, n_trk), {})
    tracks.status[:n_trk] = rng.choice([0, 1, 1, 1], n_trk).astype(np.int8)
    tracks.hits[:n_trk] = rng.integers(1, 4, n_trk)
    tracks.status[rng.choice(n_trk, n_trk // 10, replace=False)] = DELETED
    # detections: true positions of some tracks, plus clutter
    src = rng.choice(n_trk, min(n_det, n_trk) * 3 // 4, replace=False)
    t_det = rng.uniform(0.0, 1.0, n_det)
    truth = np.vstack(
        [
            x[src, :3] + x[src, 3:] * (t_det[: src.size] - tracks.t_s[src])[:, None],
            pos[rng.integers(0, n_trk, n_det - src.size)]
            + rng.normal(0, 3e3, (n_det - src.size, 3)),
        ]
    )
    z = filters.aer_measure(np.column_stack([truth, np.zeros_like(truth)]), enu, rot, False)
    sig = np.column_stack(
        [
            rng.uniform(10.0, 40.0, n_det),
            rng.uniform(0.05, 0.4, n_det),
            rng.uniform(0.05, 0.4, n_det),
        ]
    )
    z = z + rng.normal(size=z.shape) * sig
    z[:, 1] %= 360.0
    z_all = np.column_stack([z, np.full(n_det, np.nan)])
    R_all = np.zeros((n_det, 4, 4))
    R_all[:, [0, 1, 2, 3], [0, 1, 2, 3]] = np.column_stack([sig**2, np.ones(n_det)])
    return tracks, z_all, R_all, sig, t_det, enu, rot


def _det_rows(z_all, sig):
    """The scene's detections as the scan reads them (its R is diag(sig²), as R_all)."""
    return scangate.detection_rows(
        np.arange(len(sig)), z_all[:, 0].copy(), z_all[:, 1].copy(), z_all[:, 2].copy(),
        sig[:, 0].copy(), sig[:, 1].copy(), sig[:, 2].copy(),
    )  # fmt: skip


def _gate_args(tracks, z_all, R_all, sig, t_det, enu, rot, max_speed=3500.0):
    rows = np.arange(len(t_det))
    return (
        tracks.x, tracks.P, tracks.t_s, tracks.status, tracks.hits, tracks.size, rows,
        _det_rows(z_all, sig), t_det, enu, rot, Q, 100.0, K_SEARCH, GATE, max_speed,
    )  # fmt: skip


def _numpy_gate(tracks, z_all, R_all, sig, t_det, enu, rot, max_speed=3500.0):
    """The tracker's NumPy path: search spheres, candidate_pairs, cv_gate, speed check."""
    active = tracks.active()
    geo_pos = (
        enu
        + np.column_stack(
            [
                z_all[:, 0] * np.cos(np.radians(z_all[:, 2])) * np.sin(np.radians(z_all[:, 1])),
                z_all[:, 0] * np.cos(np.radians(z_all[:, 2])) * np.cos(np.radians(z_all[:, 1])),
                z_all[:, 0] * np.sin(np.radians(z_all[:, 2])),
            ]
        )
        @ rot
    )
    dt = t_det.mean() - tracks.t_s[active]
    x, P = tracks.x[active], tracks.P[active]
    pos = x[:, :3] + x[:, 3:6] * dt[:, None]
    var = (
        np.trace(P[:, :3, :3], axis1=1, axis2=2)
        + dt**2 * np.trace(P[:, 3:6, 3:6], axis1=1, axis2=2)
        + 100.0 * np.abs(dt) ** 3
    )
    sigma_rad = np.radians(np.maximum(sig[:, 1], sig[:, 2]))
    spread = 3.0 * z_all[:, 0] * sigma_rad + 3.0 * sig[:, 0]
    reach = np.sqrt(GATE) * (z_all[:, 0] * sigma_rad + sig[:, 0])
    speed = np.linalg.norm(x[:, 3:6], axis=1)
    radius = K_SEARCH * np.sqrt(var) + speed * np.ptp(t_det)
    ti, dj = association.candidate_pairs(pos, radius, geo_pos, reach)
    rows = active[ti]
    _, _, d2, logdet = fastpath.cv_gate(
        tracks.x[rows], tracks.P[rows], t_det[dj] - tracks.t_s[rows], Q,
        z_all[dj, :3], R_all[dj, :3, :3], enu, rot,
    )  # fmt: skip
    ok = d2 <= GATE
    young = tracks.hits[rows] == 1
    hop = np.linalg.norm(geo_pos[dj] - tracks.x[rows, :3], axis=1)
    ok &= ~young | (hop <= max_speed * np.abs(t_det[dj] - tracks.t_s[rows]) + 2.0 * spread[dj])
    return rows[ok], dj[ok], (d2 + logdet)[ok]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gate_scan_equals_the_numpy_pregate_and_gate(seed):
    scene = _scene(seed)
    pt, pd, pc, gated, lin = scangate.gate_scan(*_gate_args(*scene))
    rows, dj, cost = _numpy_gate(*scene)
    assert rows.size > 100
    np.testing.assert_array_equal(pt, rows)
    np.testing.assert_array_equal(pd, dj)
    np.testing.assert_allclose(pc, cost, rtol=1e-12, atol=1e-12)
    expect = np.zeros(len(scene[4]), bool)
    expect[dj] = True
    np.testing.assert_array_equal(gated, expect)
    # Each pair's linearisation: L Lᵀ = H P Hᵀ + R at the prediction, and |w|² + ln|S| the cost.
    tracks, _, R_all, _, t_det, _, _ = scene
    _, Pp = predict_signed(
        models.ConstantVelocity(Q), tracks.x[pt], tracks.P[pt], t_det[pd] - tracks.t_s[pt]
    )
    H = lin[:, :9].reshape(-1, 3, 3)
    i00, l10, l20, i11, l21, i22 = lin[:, 9:15].T
    L = np.zeros((pt.size, 3, 3))
    L[:, 0, 0], L[:, 1, 1], L[:, 2, 2] = 1.0 / i00, 1.0 / i11, 1.0 / i22
    L[:, 1, 0], L[:, 2, 0], L[:, 2, 1] = l10, l20, l21
    S = H @ Pp[:, :3, :3] @ np.swapaxes(H, 1, 2) + R_all[pd, :3, :3]
    np.testing.assert_allclose(L @ np.swapaxes(L, 1, 2), S, rtol=1e-9, atol=1e-12)
    d2 = np.sum(lin[:, 15:] ** 2, axis=1)
    np.testing.assert_allclose(d2 - 2.0 * np.log(i00 * i11 * i22), pc, rtol=1e-12, atol=1e-12)
    assert np.all(d2 <= GATE)


def test_gate_scan_speed_check_of_one_detection_tracks():
    scene = _scene(4)
    scene[0].hits[: scene[0].size] = 1
    pt, pd, *_ = scangate.gate_scan(*_gate_args(*scene, max_speed=50.0))
    rows, dj, _ = _numpy_gate(*scene, max_speed=50.0)
    full, _, _ = _numpy_gate(*scene)
    assert rows.size < full.size
    np.testing.assert_array_equal(pt, rows)
    np.testing.assert_array_equal(pd, dj)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gate_scan_on_threads_equals_serial(seed):
    """The threaded track loop (per-track slots, compacted in track order) gives the serial
    pairs bit for bit, tracks with more pairs than slots included (the raid)."""
    rng = np.random.default_rng(100 + seed)
    scene = _scene(seed, n_trk=int(rng.integers(300, 600)), n_det=int(rng.integers(300, 700)))
    want = scangate.gate_scan(*_gate_args(*scene), 1)
    assert np.bincount(want[0]).max() > scangate.SLOT  # the overflow path is exercised
    for n_threads in (2, 3):
        got = scangate.gate_scan(*_gate_args(*scene), n_threads)
        for a, b in zip(want, got, strict=True):
            np.testing.assert_array_equal(a, b)
    young = _scene(seed)
    young[0].hits[: young[0].size] = 1  # the speed check too
    want = scangate.gate_scan(*_gate_args(*young, max_speed=50.0), 1)
    got = scangate.gate_scan(*_gate_args(*young, max_speed=50.0), 2)
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_gate_scan_on_threads_small_and_empty():
    """Fewer tracks than threads' blocks, and no active track at all: still the serial
    answer."""
    scene = _scene(7, n_trk=5, n_det=9)
    want = scangate.gate_scan(*_gate_args(*scene), 1)
    assert want[0].size > 0
    got = scangate.gate_scan(*_gate_args(*scene), 8)
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)
    scene[0].status[:] = DELETED
    pt, _, _, gated, _ = scangate.gate_scan(*_gate_args(*scene), 2)
    assert pt.size == 0 and not gated.any()


@pytest.mark.parametrize("seed", range(6))
def test_assign_stage_equals_gnn_assign_with_conflict_clusters(seed):
    """Each stage against `association.gnn_assign` (scipy on the conflicts), with conflicts
    (solved by the compiled `lsa`) in both; then both stages, the second on what the first
    left."""
    rng = np.random.default_rng(seed)
    n_rows, k = 60, 70
    status = rng.choice([0, 1], n_rows).astype(np.int8)
    # dense blocks of crossing tracks plus sparse pairs
    mask = rng.random((n_rows, k)) < 0.03
    mask[:8, :6] = rng.random((8, 6)) < 0.7
    mask[20:23, 30:36] = True
    mask[40:47, 50:53] = True
    ti, dj = np.nonzero(mask)
    cost = rng.normal(0.0, 3.0, ti.size)
    taken = np.zeros(k, bool)
    taken[rng.choice(k, 5, replace=False)] = True

    def expect(confirmed, taken):
        sel = ((status[ti] == CONFIRMED) == confirmed) & ~taken[dj]
        c = cost[sel]
        return association.gnn_assign(ti[sel], dj[sel], c, n_rows, k, 0.5 * (c.max() + 1.0))

    def pairs(chosen):
        order = np.argsort(ti[chosen], kind="stable")
        return ti[chosen][order], dj[chosen][order]

    for confirmed in (True, False):
        chosen = np.empty(ti.size, np.int64)
        n = scanassign.assign_stage(ti, dj, cost, status, confirmed, taken, n_rows, chosen, 0)
        et, ed = expect(confirmed, taken)
        at, ad = pairs(chosen[:n])
        np.testing.assert_array_equal(at, et)
        np.testing.assert_array_equal(ad, ed)
    both = scanassign.assign(ti, dj, cost, status, n_rows, k)
    t1, d1 = expect(True, np.zeros(k, bool))
    left = np.zeros(k, bool)
    left[d1] = True
    t2, d2 = expect(False, left)
    at, ad = pairs(both)
    order = np.argsort(np.concatenate([t1, t2]), kind="stable")
    np.testing.assert_array_equal(at, np.concatenate([t1, t2])[order])
    np.testing.assert_array_equal(ad, np.concatenate([d1, d2])[order])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["normal", "integers", "zeros"]),
)
def test_lsa_is_optimal_as_scipy(n_r, n_c, seed, kind):
    """The compiled assignment reaches scipy's optimum on any rectangular matrix (ties
    included: small integer costs, all zeros), assigning min(n_r, n_c) rows, each column
    once."""
    rng = np.random.default_rng(seed)
    cost = {
        "normal": lambda: rng.normal(0.0, 3.0, (n_r, n_c)),
        "integers": lambda: rng.integers(-3, 3, (n_r, n_c)).astype(float),
        "zeros": lambda: np.zeros((n_r, n_c)),
    }[kind]()
    col = scanassign.lsa(cost)
    rows = np.flatnonzero(col >= 0)
    assert rows.size == min(n_r, n_c)
    assert np.unique(col[rows]).size == rows.size
    r, c = linear_sum_assignment(cost)
    assert cost[rows, col[rows]].sum() == pytest.approx(cost[r, c].sum(), abs=1e-9)
    if kind == "normal":  # a unique optimum: the same assignment
        np.testing.assert_array_equal(col[r], c)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cv_pos_update_equals_predict_and_ekf_update(seed):
    """The scan's linearise-in-the-gate, update-from-it kernels against the general NumPy
    path (`predict_signed` + `filters.ekf_update`, Joseph form) and the generic compiled
    kernel, on random SPD covariances, signed steps and full (non-diagonal) R."""
    rng = np.random.default_rng(seed)
    enu, rot = _geometry()
    n = 400
    x = np.column_stack(
        [rng.uniform(-90e3, 90e3, (n, 2)), rng.uniform(50.0, 12e3, n), rng.normal(0, 200, (n, 3))]
    )
    A = rng.normal(size=(n, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) * rng.uniform(10.0, 2000.0, (n, 1, 1)) + np.eye(6) * 5.0
    dt = rng.uniform(-1.5, 3.0, n)
    B = rng.normal(size=(n, 3, 3)) * np.array([15.0, 0.1, 0.1])[:, None]
    R3 = B @ np.swapaxes(B, 1, 2) + np.diag([100.0, 0.01, 0.01])
    xp, Pp = predict_signed(models.ConstantVelocity(Q), x, P, dt)
    z = filters.aer_measure(xp, enu, rot, False) + rng.normal(size=(n, 3)) * [30.0, 0.3, 0.3]
    z[:, 1] %= 360.0
    want = filters.ekf_update(xp, Pp, z, R3, enu, rot, False)
    fwd = dt >= 0
    generic = filters.ekf_cv_predict_update(x[fwd], P[fwd], dt[fwd], Q, z[fwd], R3[fwd], enu, rot)
    z_all = np.column_stack([z, np.zeros(n)])
    R_all = np.zeros((n, 4, 4))
    R_all[:, :3, :3] = R3
    xo, Po = x.copy(), P.copy()
    for i in range(n):
        scanpass.cv_pos_update(xo, Po, i, dt[i], Q, z_all, R_all, i, enu, rot)
    np.testing.assert_allclose(xo, want.x, rtol=1e-10, atol=1e-7)
    np.testing.assert_allclose(Po, want.P, rtol=1e-8, atol=1e-7)
    np.testing.assert_array_equal(Po, np.swapaxes(Po, 1, 2))
    np.testing.assert_allclose(xo[fwd], generic.x, rtol=1e-10, atol=1e-7)
    np.testing.assert_allclose(Po[fwd], generic.P, rtol=1e-8, atol=1e-7)
    assert np.all(np.linalg.eigvalsh(Po) > 0)


def test_update_predicts_as_the_gate():
    """The update's prediction (`_predict_full`) has the gate's (`_predict_pos`) state and
    position block bit for bit, so the linearisation the gate made is of the state the
    update corrects."""
    rng = np.random.default_rng(12)
    n = 300
    x = rng.normal(size=(n, 6)) * 1e3
    A = rng.normal(size=(n, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) * 50.0
    for i, t in enumerate(rng.uniform(-2.0, 3.0, n)):
        xa, Pa, xb, Pb = np.empty(6), np.empty((6, 6)), np.empty(6), np.empty((6, 6))
        scangate.predict_pos(x[i], P[i], t, Q * [1.0, 0.5, 0.25], xa, Pa)
        scanpass._predict_full(x, P, i, t, Q * [1.0, 0.5, 0.25], xb, Pb)
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(Pa[:3, :3], Pb[:3, :3])


def _scan(tracks, z_all, R_all, sig, t_det, enu, rot, last_hit, out, n_threads=1):
    """One scan through the compiled passes: gate, assign, apply. Returns the chosen
    (track, detection) pairs, the rows written and the tracks added."""
    pt, pd, pc, gated, lin = scangate.gate_scan(
        *_gate_args(tracks, z_all, R_all, sig, t_det, enu, rot), n_threads
    )
    ap = scanassign.assign(pt, pd, pc, tracks.status, tracks.size, len(t_det))
    tracks.reserve(len(t_det))  # room for the new tracks
    out.reserve(2 * len(t_det))
    n, added = scanpass.apply_scan(
        ap, pt, pd, lin, gated, tracks.x, tracks.P, tracks.t_s, tracks.status, tracks.hits,
        tracks.looks, tracks.misses, last_hit, tracks.size, 0, np.arange(len(t_det)), t_det,
        _det_rows(z_all, sig), enu, rot, Q, 3, 200.0**2, out.f, out.i, out.n, n_threads,
    )  # fmt: skip
    return pt[ap], pd[ap], n, added


def test_apply_scan_updates_equal_predict_and_ekf_update():
    tracks, z_all, R_all, sig, t_det, enu, rot = _scene(5)
    t_det = np.sort(t_det)  # a scan's detections come in time order
    t_det[10:14] = t_det[10]  # and some at one instant (one beam position)
    x0, P0, t0 = tracks.x.copy(), tracks.P.copy(), tracks.t_s.copy()
    hits0, status0, size0 = tracks.hits.copy(), tracks.status.copy(), tracks.size
    last_hit = np.full((tracks.capacity + len(t_det), 1), -np.inf)
    out = _Rows()
    at, ad, out.n, added = _scan(tracks, z_all, R_all, sig, t_det, enu, rot, last_hit, out)
    assert at.size > 100 and added > 0 and tracks.size == size0
    xp, Pp = predict_signed(models.ConstantVelocity(Q), x0[at], P0[at], t_det[ad] - t0[at])
    want = filters.ekf_update(xp, Pp, z_all[ad, :3], R_all[ad, :3, :3], enu, rot, False)
    np.testing.assert_allclose(tracks.x[at], want.x, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(tracks.P[at], want.P, rtol=1e-7, atol=1e-6)
    np.testing.assert_array_equal(tracks.hits[at], hits0[at] + 1)
    np.testing.assert_array_equal(last_hit[at, 0], t_det[ad])
    promote = (status0[at] == TENTATIVE) & (hits0[at] + 1 >= 3)
    assert promote.any()
    assert out.n == at.size + promote.sum() + added
    assert np.all(tracks.status[at[promote]] == CONFIRMED)
    # written in the table's order: time, then track id, a promotion after its update
    t_row, id_row, st_row = out.f[0, : out.n], out.i[0, : out.n], out.i[1, : out.n]
    assert scanpass.rows_sorted(t_row, id_row)
    promo = np.flatnonzero(out.i[3, : out.n] == -1)
    np.testing.assert_array_equal(np.sort(id_row[promo]), np.sort(at[promote] + 1))
    assert np.all(st_row[promo] == CONFIRMED)
    np.testing.assert_array_equal(id_row[promo - 1], id_row[promo])
    order = np.lexsort((id_row, t_row))
    np.testing.assert_array_equal(order, np.arange(out.n))


@pytest.mark.parametrize("seed", [0, 1])
def test_scan_on_threads_equals_serial(seed):
    """Gate and updates on several threads, then the serial pass: the same tracks and rows,
    bit for bit, with new tracks and promotions in the same scan."""
    results = []
    for n_threads in (1, 2, 3):
        tracks, z_all, R_all, sig, t_det, enu, rot = _scene(seed, n_trk=500, n_det=520)
        t_det = np.sort(t_det)
        last_hit = np.full((tracks.capacity + len(t_det), 1), -np.inf)
        out = _Rows()
        at, _, out.n, added = _scan(
            tracks, z_all, R_all, sig, t_det, enu, rot, last_hit, out, n_threads
        )
        assert at.size > 200 and added > 0
        n = tracks.size + added
        results.append(
            (tracks.x[:n], tracks.P[:n], tracks.t_s[:n], tracks.status[:n], tracks.hits[:n],
             last_hit[:n], out.f[:, : out.n], out.i[:, : out.n])
        )  # fmt: skip
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_apply_scan_initiates_as_initial_state():
    _, z_all, R_all, sig, t_det, enu, rot = _scene(6)
    tracks = _Tracks(6, capacity=len(t_det))
    last_hit = np.zeros((tracks.capacity, 2))
    new = np.arange(0, len(t_det), 3)
    gated = np.ones(len(t_det), bool)
    gated[new] = False
    out = _Rows()
    out.reserve(new.size)
    empty = np.empty(0, np.int64)
    out.n, added = scanpass.apply_scan(
        empty, empty, empty, np.empty((0, scangate.LIN)), gated, tracks.x, tracks.P,
        tracks.t_s, tracks.status, tracks.hits, tracks.looks, tracks.misses, last_hit, 0, 1,
        np.arange(len(t_det)), t_det, _det_rows(z_all, sig), enu, rot, Q, 3, 200.0**2, out.f,
        out.i, out.n,
    )  # fmt: skip
    assert added == new.size
    geo = RadarGeometry(None, enu, rot)  # type: ignore[arg-type]
    x, P = initial_state(6, z_all[new], R_all[new], geo, False, 200.0)
    np.testing.assert_allclose(tracks.x[: new.size], x, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(tracks.P[: new.size], P, rtol=1e-9, atol=1e-6)
    assert np.all(last_hit[: new.size, 0] == -np.inf)
    np.testing.assert_array_equal(last_hit[: new.size, 1], t_det[new])
    assert out.n == new.size
    # new tracks take rows in detection order
    np.testing.assert_array_equal(tracks.t_s[: new.size], t_det[new])


def test_scanrr_initiates_as_initial_state_with_range_rate():
    """A new track of a radar with range rate (`scanrr.apply_scan`): the converted position
    and the velocity along the line of sight from the range rate, as `initial_state`."""
    from gbad.tracking import scanrr

    _, z_all, R_all, sig, t_det, enu, rot = _scene(8)
    rng = np.random.default_rng(8)
    z_all[:, 3] = rng.normal(0.0, 200.0, len(t_det))
    R_all[:, 3, 3] = rng.uniform(0.5, 4.0, len(t_det)) ** 2
    tracks = _Tracks(6, capacity=len(t_det))
    last_hit = np.zeros((tracks.capacity, 2))
    out = _Rows()
    out.reserve(len(t_det))
    empty = np.empty(0, np.int64)
    out.n, added = scanrr.apply_scan(
        empty, empty, empty, np.zeros(len(t_det), bool), tracks.x, tracks.P, tracks.t_s,
        tracks.status, tracks.hits, tracks.looks, tracks.misses, last_hit, 0, 1,
        np.arange(len(t_det)), t_det, _det_rows(z_all, sig), z_all, R_all, enu, rot, Q, 3,
        200.0**2, True, out.f, out.i, out.n,
    )  # fmt: skip
    assert added == len(t_det) == out.n
    geo = RadarGeometry(None, enu, rot)  # type: ignore[arg-type]
    x, P = initial_state(6, z_all, R_all, geo, True, 200.0)
    np.testing.assert_allclose(tracks.x[:added], x, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(tracks.P[:added], P, rtol=1e-9, atol=1e-6)
    # the velocity lies along the line of sight, at the measured range rate
    los = tracks.x[:added, :3] - enu
    u = los / np.linalg.norm(los, axis=1, keepdims=True)
    np.testing.assert_allclose(np.sum(tracks.x[:added, 3:] * u, axis=1), z_all[:, 3], atol=1e-9)


@pytest.mark.parametrize("presorted", [True, False])
def test_rows_finish_equals_a_stable_lexsort(presorted):
    """Rows already in order are kept as they are; others are sorted stably, as before."""
    rng = np.random.default_rng(3)
    n = 500
    t = np.round(rng.uniform(0.0, 5.0, n), 1)
    tid = rng.integers(1, 40, n)
    if presorted:
        keep = np.lexsort((tid, t))
        t, tid = t[keep], tid[keep]
    out = _Rows(capacity=16)
    out.reserve(n)
    out.f[:, :n] = rng.normal(size=(len(scanpass.ROW_FLOATS), n))
    out.f[0, :n] = t
    out.i[:, :n] = rng.integers(0, 3, (len(scanpass.ROW_INTS), n))
    out.i[0, :n] = tid
    out.i[3, :n] = np.arange(n)  # the emission order, to check stability
    out.n = n
    rows = out.finish()
    order = np.lexsort((tid, t))
    np.testing.assert_array_equal(rows["t_s"], t[order])
    np.testing.assert_array_equal(rows["track_id"], tid[order])
    np.testing.assert_array_equal(out.det_index(), order)
    assert scanpass.rows_sorted(t, tid) == presorted


SCENARIO = """
[scenario]
name = "scanpass"
origin = {{ lat_deg = 37.0, lon_deg = 127.0, alt_m = 30.0 }}
duration_s = {duration}
seed = 3

[tracker]
filter = "ekf"
association = "gnn"

[[radars]]
id = "a"
role = "surveillance"
position = {{ east_m = 0.0, north_m = 0.0, up_m = 10.0 }}
frequency_hz = 3e9
reference = {{ range_m = 80e3, rcs_m2 = 1.0, pd = 0.9, pfa = 3e-6 }}
scan = {{ kind = "{kind}", period_s = 1.0 }}
coverage = {{ az_min_deg = {az_min}, az_max_deg = {az_max}, el_min_deg = 0, el_max_deg = 50, range_max_m = 100e3 }}
accuracy = {{ range_m = 20.0, az_deg = 0.2, el_deg = 0.2{rr} }}

[[radars]]
id = "b"
role = "surveillance"
position = {{ east_m = 15000.0, north_m = -4000.0, up_m = 8.0 }}
frequency_hz = 3e9
reference = {{ range_m = 80e3, rcs_m2 = 1.0, pd = 0.9, pfa = 3e-6 }}
scan = {{ kind = "rotating", period_s = 2.5 }}
coverage = {{ range_max_m = 100e3 }}
accuracy = {{ range_m = 30.0, az_deg = 0.3, el_deg = 0.3{rr} }}
"""

THREAT = """
[[threats]]
id = "t{i}"
kind = "aircraft"
rcs_m2 = 3.0
route = [ {{ east_m = {e0:.0f}, north_m = {n0:.0f}, up_m = {u:.0f}, speed_mps = {v:.0f} }},
          {{ east_m = {e1:.0f}, north_m = {n1:.0f}, up_m = {u:.0f} }} ]
"""


def _loaded(
    kind: str, az_min: float, az_max: float, n: int = 25, range_rate: bool = False
) -> LoadedScenario:
    rng = np.random.default_rng(1)
    rr = ", range_rate_mps = 1.5" if range_rate else ""
    text = SCENARIO.format(duration=60.0, kind=kind, az_min=az_min, az_max=az_max, rr=rr)
    e0 = n0 = 0.0
    for i in range(n):
        b, r = rng.uniform(0, 2 * np.pi), rng.uniform(20e3, 60e3)
        h = rng.uniform(0, 2 * np.pi)
        # pairs of targets flying close together make conflict clusters
        if i % 5 == 1:
            e0, n0 = e0 + 400.0, n0 + 300.0
        else:
            e0, n0 = r * np.sin(b), r * np.cos(b)
        text += THREAT.format(
            i=i, e0=e0, n0=n0, e1=e0 + 20e3 * np.sin(h), n1=n0 + 20e3 * np.cos(h),
            u=rng.uniform(100.0, 6000.0), v=rng.uniform(100.0, 300.0),
        )  # fmt: skip
    return LoadedScenario(parse_scenario(text, "t.toml"), "t.toml", Path("."))


@pytest.mark.parametrize(
    ("kind", "az_min", "az_max", "n_radars", "range_rate"),
    [
        ("electronic", 0, 360, 2, False),
        ("sector", 300, 60, 2, False),
        ("rotating", 0, 360, 2, False),
        ("electronic", 0, 360, 1, False),
        ("electronic", 0, 360, 2, True),
        ("rotating", 0, 360, 1, True),
    ],
)
def test_compiled_tracker_equals_its_general_path(kind, az_min, az_max, n_radars, range_rate):
    """Same tracks, statuses and updates from the compiled scan and the NumPy/scipy path
    (low targets for the line-of-sight check, conflicts, clutter; two radars, whose
    windows interleave, or one, whose rows the compiled scan writes already in order);
    with range rate, the 4-D passes of `scanrr`."""
    loaded = _loaded(kind, az_min, az_max, range_rate=range_rate)
    _, cols, _, _ = simulate(loaded)
    radars = radar_models(loaded)[:n_radars]
    det = from_columns(cols, radar_models(loaded), "sim")
    keep = det.radar_index < n_radars
    det = dataclasses.replace(
        det, **{f.name: getattr(det, f.name)[keep] for f in dataclasses.fields(det)}
    )
    m = loaded.model

    def run(compiled: bool):
        tr = Tracker(radars, m.scenario.origin, m.tracker)
        tr._compiled = compiled
        return tr.run(det)

    fast, slow = run(True), run(False)
    assert fast.n_updates == slow.n_updates > 500
    assert fast.n_confirmed == slow.n_confirmed
    for key in ("t_s", "track_id", "status", "hits"):
        np.testing.assert_array_equal(fast.rows[key], slow.rows[key])
    for key in ("east_m", "north_m", "up_m", "v_east_mps", "cov_nn_m2"):
        np.testing.assert_allclose(fast.rows[key], slow.rows[key], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(fast.detection_index, slow.detection_index)


@pytest.mark.parametrize(
    ("kind", "az_min", "az_max"),
    [("electronic", 0, 360), ("sector", 300, 60), ("rotating", 0, 360)],
)
def test_looks_equals_radar_phase_and_coverage(kind, az_min, az_max):
    loaded = _loaded(kind, az_min, az_max, n=1)
    radar = radar_models(loaded)[0]
    geo = RadarGeometry.of(radar, loaded.model.scenario.origin)
    rng = np.random.default_rng(7)
    n = 3000
    tracks = _Tracks(6, capacity=n)
    x = np.column_stack(
        [rng.uniform(-120e3, 120e3, (n, 2)), rng.uniform(-500, 60e3, n), rng.normal(0, 200, (n, 3))]
    )
    tracks.add(x, np.tile(np.eye(6), (n, 1, 1)), rng.uniform(0, 3, n), {})
    # never seen, seen before the window, or hit in it (whose look `settle` counts anyway)
    last_hit = np.where(rng.random((n, 1)) < 0.9, 1.0, -np.inf)
    last_hit[rng.random(n) < 0.3] = 3.2
    ta, tb = 3.0, 3.5
    tr = Tracker(radar_models(loaded), loaded.model.scenario.origin, loaded.model.tracker)
    act, looked, low, _ = scanpass.looks(
        tracks.x, tracks.t_s, tracks.status, last_hit, n, 0, ta, tb, geo.enu_m, geo.rot,
        *tr._scan_args[0], 1.0,
    )  # fmt: skip
    pos = x[:, :3] + x[:, 3:6] * (0.5 * (ta + tb) - tracks.t_s[:n])[:, None]
    az, el, rng_m = geo.local(pos)
    t_look = np.floor(ta / radar.period_s) * radar.period_s + radar.phase(az, el) * radar.period_s
    want = (t_look >= ta) & (t_look < tb) & radar.in_coverage(az, el, rng_m)
    want &= np.isfinite(last_hit[:, 0]) & (last_hit[:, 0] < ta)
    np.testing.assert_array_equal(act, np.arange(n))
    assert 50 < want.sum() < n
    np.testing.assert_array_equal(looked, want)
    np.testing.assert_array_equal(low, np.flatnonzero(want & (el < 1.0)))


def test_a_target_above_the_radar_horizontal_is_always_in_sight():
    """The shortcut `Tracker` takes: over a flat ground on the 4/3-earth, a target at or
    above the radar's local horizontal (elevation ≥ 0) is visible, at any range and height."""
    rng = np.random.default_rng(11)
    radius = effective_earth_radius_m(-39e-9)
    for lat, alt in ((37.0, 40.0), (-62.0, 1200.0), (5.0, 3.0)):
        enu, rot = filters.radar_geometry(lat + 0.1, 128.0, alt + 2.0, lat, 127.9, alt)
        geo = RadarGeometry(None, np.asarray(enu), rot)  # type: ignore[arg-type]
        n = 4000
        rng_m = np.exp(rng.uniform(np.log(50.0), np.log(450e3), n))
        el = np.radians(rng.uniform(0.0, 1.0, n) ** 3)
        az = rng.uniform(0, 2 * np.pi, n)
        local = rng_m[:, None] * np.column_stack(
            [np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)]
        )
        pos = geo.enu_m + local @ geo.rot
        lat_t, lon_t, alt_t = enu2geodetic(pos[:, 0], pos[:, 1], pos[:, 2], lat, 127.9, alt)
        seen = line_of_sight(
            lat + 0.1, 128.0, alt + 2.0, lat_t, lon_t, alt_t, FlatGround(alt), radius, 2
        )
        assert seen.all()


@pytest.mark.parametrize("seed", [0, 1])
def test_measurements_kernel_equals_numpy(seed):
    """`scanpass.measurements` (z and diagonal R of every detection) is the NumPy
    `_measurements_np` bit for bit, NaN range rates and their σ included."""
    from gbad.tracking.buffers import _measurements, _measurements_np

    rng = np.random.default_rng(seed)
    n = 257
    rr = rng.normal(0.0, 50.0, n)
    rr_sig = rng.uniform(0.1, 2.0, n)
    gone = rng.random(n) < 0.4
    rr[gone] = np.nan
    rr_sig[gone] = np.nan
    rr_sig[rng.random(n) < 0.05] = np.inf
    cols = {
        "range_m": rng.uniform(1e3, 2e5, n),
        "az_deg": rng.uniform(0.0, 360.0, n),
        "el_deg": rng.uniform(-1.0, 60.0, n),
        "range_rate_mps": rr,
        "range_sigma_m": rng.uniform(1.0, 80.0, n),
        "az_sigma_deg": rng.uniform(0.01, 1.0, n),
        "el_sigma_deg": rng.uniform(0.01, 1.0, n),
        "range_rate_sigma_mps": rr_sig,
    }
    det = dataclasses.make_dataclass("D", list(cols), namespace={"__len__": lambda _: n})(**cols)
    z, R = _measurements(det)
    z0, R0 = _measurements_np(det)
    assert z.shape == z0.shape and R.shape == R0.shape
    assert np.array_equal(z, z0, equal_nan=True)
    assert np.array_equal(R, R0)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_issue_12_a_crowded_scan_keeps_each_tracks_cheapest_pairs(n_threads):
    """A recording's duplicates put hundreds of detections in one resolution cell: every
    track near them gated all of them, pairs and memory growing with tracks × detections.
    A track keeps its `TRACK_PAIRS_MAX` cheapest (the NumPy gate's, ties to the earlier
    detection), and every detection some track gated is still marked gated."""
    tracks, z_all, R_all, sig, t_det, enu, rot = _scene(11, n_trk=300, n_det=700)
    # 400 copies of the first detection (a track's), a few metres apart
    rng = np.random.default_rng(5)
    z_all[300:] = z_all[0]
    z_all[300:, 0] += rng.normal(0.0, 2.0, 400)
    t_det[300:] = t_det[:1].repeat(400)
    scene = (tracks, z_all, R_all, sig, t_det, enu, rot)
    pt, pd, pc, gated, _ = scangate.gate_scan(*_gate_args(*scene), n_threads)
    rows, dj, cost = _numpy_gate(*scene)
    full = np.bincount(rows)
    assert full.max() > 3 * scangate.TRACK_PAIRS_MAX  # the cap is met
    assert np.bincount(pt).max() == scangate.TRACK_PAIRS_MAX
    for t in np.unique(rows):
        mine = rows == t
        best = np.sort(np.lexsort((dj[mine], cost[mine]))[: scangate.TRACK_PAIRS_MAX])
        np.testing.assert_array_equal(pd[pt == t], dj[mine][best])
        np.testing.assert_allclose(pc[pt == t], cost[mine][best], rtol=1e-12, atol=1e-12)
    expect = np.zeros(len(t_det), bool)
    expect[dj] = True
    np.testing.assert_array_equal(gated, expect)
