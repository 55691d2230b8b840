"""Batched filters and motion models: geometry, consistency, stability, IMM, API hygiene.

Authorities:
- AER geometry: pymap3d's ``geodetic2aer``/``ecef2aer`` on WGS-84 (an independent
  implementation of the same transforms), and central finite differences for the
  analytic Jacobians and for range rate;
- consistency: the chi-square bounds on the Monte Carlo average NEES/NIS of a
  consistent filter (Bar-Shalom, Li & Kirubarajan, *Estimation with Applications
  to Tracking and Navigation*, 2001, ch. 5, filter consistency): with R runs and n dimensions,
  R·(average NEES) ~ χ²(nR), 95 % two-sided band; about 95 % of the time steps
  should fall inside it;
- converted measurements: the closed-form moments checked against a large Monte
  Carlo sample of the noisy measurement (Mo et al., IEEE TAES 34(3), 1998);
- IMM: the IMM with r identical models reduces exactly to the single-model filter
  (Blom & Bar-Shalom, IEEE TAC 33(8), 1988); on a 5 g coordinated turn it must beat
  the best-tuned single CV, CA and CT filters in position RMSE (the benchmark
  problem of Blair et al., IEEE TAES 34(4), 1998 has manoeuvres up to 7 g);
- numerical safety: Joseph-form covariances stay symmetric positive definite
  (Cholesky succeeds) for 10,000 steps.
"""

from __future__ import annotations

import itertools

import numpy as np
import pymap3d
import pytest
from scipy.stats import chi2

from gbad.earth.wgs84 import aer2enu, ecef2aer, ecef_vectors2enu, geodetic2ecef, geodetic2enu
from gbad.tracking import converted, filters, models, unscented
from gbad.tracking import imm as imm_models

#: The three updates by name (the UKF and the CMKF live in their own modules).
UPDATES = {
    "ekf_update": filters.ekf_update,
    "ukf_update": unscented.ukf_update,
    "cmkf_update": converted.cmkf_update,
}

ORIGIN = (37.0, 127.0, 50.0)
RADAR_GEO = (37.2, 127.3, 80.0)  # ~35 km from the origin: a real rotation between frames
SIGMA = np.array([15.0, 0.15, 0.2, 1.0])  # range m, az deg, el deg, range rate m/s
STEPS = 10_000


def geometry() -> tuple[np.ndarray, np.ndarray]:
    return filters.radar_geometry(*RADAR_GEO, *ORIGIN)


# -- geometry -------------------------------------------------------------------------------


def test_radar_geometry_and_aer_match_pymap3d() -> None:
    rng = np.random.default_rng(5)
    lat = RADAR_GEO[0] + rng.uniform(-0.8, 0.8, 200)
    lon = RADAR_GEO[1] + rng.uniform(-0.8, 0.8, 200)
    alt = rng.uniform(-50.0, 20e3, 200)
    e, n, u = geodetic2enu(lat, lon, alt, *ORIGIN)
    x = np.zeros((200, 6))
    x[:, :3] = np.column_stack([e, n, u])
    s, rot = geometry()
    z = filters.aer_measure(x, s, rot)
    az, el, rng_m = pymap3d.geodetic2aer(lat, lon, alt, *RADAR_GEO)
    assert np.max(np.abs(filters.wrap_deg(z[:, 1] - az))) < 1e-9
    assert np.max(np.abs(z[:, 2] - el)) < 1e-9
    assert np.max(np.abs(z[:, 0] - rng_m)) < 1e-6
    # The project's own frames (themselves tested against pymap3d and PROJ) agree too.
    az2, el2, rng2 = ecef2aer(*geodetic2ecef(lat, lon, alt), *RADAR_GEO)
    assert np.max(np.abs(filters.wrap_deg(z[:, 1] - az2))) < 1e-9
    assert np.max(np.abs(z[:, 2] - el2)) < 1e-9
    assert np.max(np.abs(z[:, 0] - rng2)) < 1e-6
    assert np.all((z[:, 1] >= 0) & (z[:, 1] < 360))


def test_range_rate_matches_pymap3d_range_derivative() -> None:
    # An ECEF velocity, carried into the tracking frame; range rate is d(range)/dt.
    rng = np.random.default_rng(6)
    lat, lon, alt = 37.5, 127.6, 6000.0
    p_ecef = np.array(geodetic2ecef(lat, lon, alt))
    s, rot = geometry()
    for _ in range(20):
        v_ecef = rng.normal(0.0, 300.0, 3)
        h = 1e-3
        r_plus = pymap3d.ecef2aer(*(p_ecef + h * v_ecef), *RADAR_GEO)[2]
        r_minus = pymap3d.ecef2aer(*(p_ecef - h * v_ecef), *RADAR_GEO)[2]
        x = np.zeros((1, 6))
        x[0, :3] = geodetic2enu(lat, lon, alt, *ORIGIN)
        x[0, 3:] = ecef_vectors2enu(*v_ecef, ORIGIN[0], ORIGIN[1])
        rr = filters.aer_measure(x, s, rot, with_range_rate=True)[0, 3]
        assert rr == pytest.approx((r_plus - r_minus) / (2 * h), abs=1e-6)


def test_range_rate_sign_convention() -> None:
    s = np.zeros(3)
    rot = np.eye(3)
    x = np.array(
        [
            [10e3, 0.0, 1e3, 100.0, 0.0, 10.0],  # flying away
            [10e3, 0.0, 1e3, -100.0, 0.0, -10.0],  # closing
            [10e3, 0.0, 0.0, 0.0, 250.0, 0.0],  # crossing
        ]
    )
    z = filters.aer_measure(x, s, rot, with_range_rate=True)
    assert z[0, 3] == pytest.approx(np.hypot(100.0, 10.0))
    assert z[1, 3] == pytest.approx(-np.hypot(100.0, 10.0))
    assert abs(z[2, 3]) < 1e-12
    # Azimuth clockwise from north: due east is 90°, due south 180°.
    assert z[0, 1] == pytest.approx(90.0)
    south = filters.aer_measure(np.array([[0.0, -5e3, 0.0, 0, 0, 0]]), s, rot)
    assert south[0, 1] == pytest.approx(180.0)


def test_aer_jacobian_matches_central_differences() -> None:
    rng = np.random.default_rng(7)
    s, rot = geometry()
    x = np.column_stack(
        [rng.normal(0, 30e3, (50, 3)), rng.normal(0, 300, (50, 3)), rng.normal(0, 1, (50, 4))]
    )
    x[:, 2] = np.abs(x[:, 2]) + 500.0
    for with_rr in (False, True):
        H = filters.aer_jacobian(x, s, rot, with_rr)
        assert H.shape == (50, 4 if with_rr else 3, 10)
        num = np.zeros_like(H)
        for j in range(6):
            step = 1e-2 if j < 3 else 1e-3
            xp, xm = x.copy(), x.copy()
            xp[:, j] += step
            xm[:, j] -= step
            dz = filters.aer_measure(xp, s, rot, with_rr) - filters.aer_measure(xm, s, rot, with_rr)
            dz[:, 1] = filters.wrap_deg(dz[:, 1])
            num[:, :, j] = dz / (2 * step)
        scale = np.max(np.abs(num), axis=2, keepdims=True)
        assert np.max(np.abs(H - num) / scale) < 1e-6


def test_azimuth_residual_wraps_through_north() -> None:
    s, rot = np.zeros(3), np.eye(3)
    x = np.array([[-10.0, 20e3, 1e3, 0.0, 200.0, 0.0]])  # azimuth just under 360°
    P = np.diag([50.0, 50.0, 50.0, 10.0, 10.0, 10.0]) ** 2
    zhat = filters.aer_measure(x, s, rot)[0]
    assert zhat[1] > 359.9
    z = zhat.copy()
    z[1] = (zhat[1] + 0.1) % 360.0  # just past north
    R = np.diag(SIGMA[:3] ** 2)
    for update in (filters.ekf_update, unscented.ukf_update, converted.cmkf_update):
        out = update(x, P[None], z[None], R, s, rot)
        assert np.all(np.abs(out.x[0, :3] - x[0, :3]) < 100.0), update.__name__
    out = filters.ekf_update(x, P[None], z[None], R, s, rot)
    assert out.innovation[0, 1] == pytest.approx(0.1, abs=1e-9)
    assert filters.wrap_deg(np.array([180.0, -180.0, 190.0, -190.0, 540.0]))[:4].tolist() == [
        180.0,
        180.0,
        -170.0,
        170.0,
    ]


# -- converted measurements -----------------------------------------------------------------


def test_converted_measurement_is_unbiased_with_exact_covariance() -> None:
    # Coarse angles at long range, where the plain conversion is visibly biased.
    s, rot = geometry()
    truth = np.array([60e3, -40e3, 9e3])
    sig = np.array([20.0, 2.0, 3.0])
    z_true = filters.aer_measure(np.concatenate([truth, np.zeros(3)])[None], s, rot)[0]
    rng = np.random.default_rng(8)
    n = 400_000
    z = z_true + rng.standard_normal((n, 3)) * sig
    R = np.diag(sig**2)
    pos, _ = converted.converted_measurement(z, R, s, rot)
    _, cov = converted.converted_measurement(z[:1], R, s, rot, about_enu_m=truth)
    err = pos - truth
    sample_cov = np.cov(err.T)
    # The mean error is within 4 standard errors of zero…
    assert np.all(np.abs(err.mean(axis=0)) < 4 * np.sqrt(np.diag(sample_cov) / n))
    # …where the uncorrected conversion r·(cos el sin az, …) is far off.
    plain = s + np.column_stack(aer2enu(z[:, 1], z[:, 2], z[:, 0])) @ rot
    plain_bias = np.abs(plain.mean(axis=0) - truth)
    assert np.max(plain_bias / np.sqrt(np.diag(sample_cov) / n)) > 20
    # The closed-form covariance matches the sample covariance to sampling error (~0.5 %).
    assert (
        np.max(
            np.abs(cov[0] - sample_cov)
            / np.sqrt(np.outer(np.diag(sample_cov), np.diag(sample_cov)))
        )
        < 0.01
    )


# -- Monte Carlo consistency ----------------------------------------------------------------


def monte_carlo(
    update: str,
    with_rr: bool,
    *,
    runs: int = 200,
    steps: int = 100,
    dt: float = 1.0,
    q: float = 1.0,
    sigma: np.ndarray = SIGMA,
    range_m: float = 30e3,
    p0_sigma: tuple[float, float] = (200.0, 50.0),
    rr_method: str = "sequential",
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """NEES and NIS (steps, runs) of one filter on CV truth seen by a radar in AER."""
    rng = np.random.default_rng(seed)
    s, rot = geometry()
    cv = models.ConstantVelocity(q)
    bearing = rng.uniform(0, 2 * np.pi, runs)
    heading = rng.uniform(0, 2 * np.pi, runs)
    x = np.zeros((runs, 6))
    x[:, 0] = s[0] + range_m * np.sin(bearing)
    x[:, 1] = s[1] + range_m * np.cos(bearing)
    x[:, 2] = 3000.0
    x[:, 3] = 250.0 * np.sin(heading)
    x[:, 4] = 250.0 * np.cos(heading)
    P0 = np.diag(np.repeat(np.array(p0_sigma) ** 2, 3))
    xe = x + rng.standard_normal((runs, 6)) @ np.linalg.cholesky(P0).T  # consistent start
    P = np.broadcast_to(P0, (runs, 6, 6))
    m = 4 if with_rr else 3
    R = np.diag(sigma[:m] ** 2)
    F = cv.jacobian(x[:1], dt)[0]
    Lq = np.linalg.cholesky(cv.Q(x[:1], dt)[0])
    nees, nis = np.empty((steps, runs)), np.empty((steps, runs))
    for k in range(steps):
        x = x @ F.T + rng.standard_normal((runs, 6)) @ Lq.T
        z = filters.aer_measure(x, s, rot, with_rr) + rng.standard_normal((runs, m)) * sigma[:m]
        z[:, 1] %= 360.0
        xe, P = cv.predict(xe, P, dt)
        if update == "ekf":
            out = filters.ekf_update(xe, P, z, R, s, rot, with_rr, range_rate_method=rr_method)
        elif update == "ukf":
            out = unscented.ukf_update(xe, P, z, R, s, rot, with_rr, range_rate_method=rr_method)
        else:
            out = converted.cmkf_update(xe, P, z, R, s, rot, with_rr)
        xe, P = out.x, out.P
        nees[k] = filters.nees(xe, P, x)
        nis[k] = out.nis
    return nees, nis


def band(dof: int, runs: int) -> tuple[float, float]:
    lo, hi = chi2.ppf([0.025, 0.975], dof * runs) / runs
    return float(lo), float(hi)


def fraction_inside(avg: np.ndarray, lo: float, hi: float) -> float:
    return float(np.mean((avg > lo) & (avg < hi)))


@pytest.mark.parametrize("update", ["ekf", "ukf", "cmkf"])
@pytest.mark.parametrize("with_rr", [False, True])
def test_nees_and_nis_inside_chi2_band(update: str, with_rr: bool) -> None:
    # A surveillance/MFR-like radar: 15 m, 0.15°, 0.2°, 1 m/s at 30 km, CV truth.
    runs = 200
    nees, nis = monte_carlo(update, with_rr, runs=runs)
    lo, hi = band(6, runs)
    assert fraction_inside(nees.mean(axis=1), lo, hi) >= 0.9
    m = 4 if with_rr else 3
    assert fraction_inside(nis.mean(axis=1), *band(m, runs)) >= 0.9


@pytest.mark.parametrize("update", ["ekf", "ukf", "cmkf"])
def test_range_rate_on_a_young_track_stays_consistent(update: str) -> None:
    # A new track: position from one detection (~80 m), velocity unknown (300 m/s).
    # Range rate (1 m/s) is then the most informative and most nonlinear row.
    runs = 200
    lo, hi = band(6, runs)
    nees, _ = monte_carlo(update, True, runs=runs, p0_sigma=(80.0, 300.0))
    avg = nees.mean(axis=1)
    assert fraction_inside(avg, lo, hi) >= 0.9
    assert np.max(avg[:10]) < hi
    if update == "ekf":
        # The plain first-order joint EKF (Stone Soup's) is badly over-confident here.
        joint, _ = monte_carlo("ekf", True, runs=runs, p0_sigma=(80.0, 300.0), rr_method="joint")
        assert joint.mean(axis=1)[0] > 3 * hi


def test_ukf_joint_range_rate_is_overconfident_where_sequential_is_not() -> None:
    runs = 200
    _, hi = band(6, runs)
    joint, _ = monte_carlo(
        "ukf", True, runs=runs, steps=5, p0_sigma=(500.0, 150.0), rr_method="joint"
    )
    seq, _ = monte_carlo("ukf", True, runs=runs, steps=5, p0_sigma=(500.0, 150.0))
    assert joint.mean(axis=1)[0] > hi
    assert np.all(seq.mean(axis=1) < hi)


def test_cmkf_consistent_with_coarse_angles_at_long_range() -> None:
    # 1° beams at 60 km: cross-range σ ≈ 1 km, conversion bias r·σ² ≈ 18 m ≈ σ_range.
    runs = 200
    nees, _ = monte_carlo(
        "cmkf", False, runs=runs, range_m=60e3, sigma=np.array([15.0, 1.0, 1.0, 1.0])
    )
    assert fraction_inside(nees.mean(axis=1), *band(6, runs)) >= 0.9


# -- numerical safety -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ekf", "ukf", "cmkf", "compiled"])
def test_covariances_stay_symmetric_positive_definite_over_10000_steps(name: str) -> None:
    # Accurate radar (1 m, 0.02°, 5 cm/s), small process noise, 10 Hz: P shrinks by
    # orders of magnitude, where a non-Joseph update drifts asymmetric/indefinite.
    s, rot = geometry()
    rng = np.random.default_rng(9)
    dt, q = 0.1, 0.01
    cv = models.ConstantVelocity(q)
    # The CMKF's range-rate stage is the EKF's; without it the CMKF runs 10,000 plain updates.
    with_rr = name != "cmkf"
    m = 4 if with_rr else 3
    sigma = np.array([1.0, 0.02, 0.02, 0.05])[:m]
    R = np.diag(sigma**2)
    x0 = np.array([s[0] + 20e3, s[1], 2000.0, 0.0, 30.0, 0.0])
    xe, P = x0[None].copy(), np.diag([1e3, 1e3, 1e3, 100.0, 100.0, 100.0])[None] ** 2
    update = {
        "ekf": filters.ekf_update,
        "ukf": unscented.ukf_update,
        "cmkf": converted.cmkf_update,
    }.get(name)
    # Truth and measurements for all steps at once; the loop is the filter's alone.
    t = dt * np.arange(1, STEPS + 1)
    truth = np.column_stack([x0[:3] + t[:, None] * x0[3:], np.broadcast_to(x0[3:], (STEPS, 3))])
    Z = filters.aer_measure(truth, s, rot, with_rr) + rng.standard_normal((STEPS, m)) * sigma
    for k in range(STEPS):
        z = Z[k : k + 1]
        if update is None:
            out = filters.ekf_cv_predict_update(xe, P, dt, q, z, R, s, rot, with_rr)
        else:
            out = update(*cv.predict(xe, P, dt), z, R, s, rot, with_rr)
        xe, P = out.x, out.P
        assert np.array_equal(P, np.swapaxes(P, 1, 2))
        np.linalg.cholesky(P)  # raises if not positive definite
    assert np.all(np.linalg.eigvalsh(P) > 0)
    assert np.max(np.abs(xe[0, :3] - truth[-1, :3])) < 5.0


# -- compiled hot path ----------------------------------------------------------------------


@pytest.mark.parametrize("with_rr", [False, True])
def test_compiled_cv_ekf_equals_numpy_path(with_rr: bool) -> None:
    rng = np.random.default_rng(10)
    N = 300
    s = rng.normal(0, 5e3, (N, 3))
    rot = np.stack([geometry()[1]] * N)
    x = np.column_stack([rng.normal(0, 30e3, (N, 3)), rng.normal(0, 300, (N, 3))])
    x[:, 2] = np.abs(x[:, 2]) + 500
    A = rng.normal(size=(N, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) + 100 * np.eye(6)
    dt = rng.uniform(0.1, 3.0, N)
    q = np.array([3.0, 3.0, 0.5])
    m = 4 if with_rr else 3
    R = np.diag(SIGMA[:m] ** 2) * rng.uniform(0.5, 2.0, (N, 1, 1))
    xp, Pp = models.ConstantVelocity(q).predict(x, P, dt)
    z = filters.aer_measure(xp, s, rot, with_rr) + rng.standard_normal((N, m)) * SIGMA[:m]
    z[:, 1] %= 360
    ref = filters.ekf_update(xp, Pp, z, R, s, rot, with_rr)
    out = filters.ekf_cv_predict_update(x, P, dt, q, z, R, s, rot, with_rr)
    for a, b in zip(out, ref, strict=True):
        assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(b))


# -- motion models --------------------------------------------------------------------------


def _numeric_jacobian(f, x: np.ndarray, dt: float, steps: np.ndarray) -> np.ndarray:
    J = np.zeros((x.shape[0], x.shape[1], x.shape[1]))
    for j in range(x.shape[1]):
        xp, xm = x.copy(), x.copy()
        xp[:, j] += steps[j]
        xm[:, j] -= steps[j]
        J[:, :, j] = (f(xp, dt) - f(xm, dt)) / (2 * steps[j])
    return J


@pytest.mark.parametrize(
    "model",
    [
        models.CoordinatedTurn(1.0, 1e-4),
        imm_models.ImmCoordinatedTurn(1.0, 1e-4),
        imm_models.ImmConstantAcceleration(1.0),
        imm_models.ImmConstantVelocity(1.0),
    ],
    ids=lambda m: type(m).__name__,
)
def test_model_jacobians_match_central_differences(model) -> None:
    rng = np.random.default_rng(11)
    n = model.n
    x = np.column_stack(
        [rng.normal(0, 1e4, (8, 3)), rng.normal(0, 250, (8, 3)), rng.normal(0, 5, (8, n - 6))]
    )
    x[:, -1] = [0.0, 1e-9, 1e-4, -1e-3, 0.05, -0.2, 0.5, 0.3]  # turn rates through ω = 0
    steps = np.r_[np.full(3, 1e-2), np.full(3, 1e-3), np.full(n - 7, 1e-3), 1e-5]
    for dt in (0.5, 2.0):
        J = model.jacobian(x, dt)
        num = _numeric_jacobian(model.f, x, dt, steps)
        scale = np.maximum(np.max(np.abs(num), axis=2, keepdims=True), 1.0)
        assert np.max(np.abs(J - num) / scale) < 1e-6


def test_turn_terms_are_smooth_through_zero_turn_rate() -> None:
    dt = np.full(7, 2.0)
    w = np.array([-0.0500001, -0.05, -1e-12, 0.0, 1e-12, 0.05, 0.0500001])  # |ωT| = 0.1 switch
    tt = models.turn_terms(w, dt)
    exact_s = np.where(w == 0, dt, np.sin(w * dt) / np.where(w == 0, 1, w))
    assert np.allclose(tt.s, exact_s, rtol=1e-13, atol=0)
    assert tt.c[3] == 0.0 and tt.ds[3] == 0.0 and tt.dc[3] == pytest.approx(dt[3] ** 2 / 2)
    # Either side of the series/closed-form switch agrees to rounding.
    assert tt.ds[5] == pytest.approx(tt.ds[6], rel=1e-5) and tt.dc[5] == pytest.approx(
        tt.dc[6], rel=1e-5
    )
    # A turn through 360° comes back to its start.
    x = np.array([[0.0, 0.0, 100.0, 200.0, 0.0, 1.0, 0.1]])
    back = models.CoordinatedTurn(0.0, 0.0).f(x, 2 * np.pi / 0.1)
    assert np.allclose(back[0, :2], 0.0, atol=1e-8) and np.allclose(back[0, 3:5], [200.0, 0.0])


def test_singer_limits() -> None:
    # τ → ∞: Singer becomes constant acceleration (F); τ → 0 kills the acceleration.
    x = np.zeros((1, 9))
    F_ca = models.ConstantAcceleration(1.0).jacobian(x, 2.0)
    assert np.allclose(models.Singer(1e9, 1.0).jacobian(x, 2.0), F_ca, rtol=1e-8, atol=1e-8)
    F = models.Singer(1e-3, 1.0).jacobian(x, 2.0)[0]
    assert F[6, 6] < 1e-300 and F[0, 6] == pytest.approx(2.0e-3, rel=1e-2)
    # Stationary acceleration variance σ² as T → ∞.
    Q = models.Singer(5.0, 7.0).Q(x, 1e4)[0]
    assert Q[6, 6] == pytest.approx(49.0, rel=1e-12)


def test_unscented_predict_is_exact_for_linear_models_and_close_for_turns() -> None:
    # The unscented transform reproduces mean and covariance of a linear map exactly
    # (Julier & Uhlmann, Proc. IEEE 92(3), 2004).
    rng = np.random.default_rng(16)
    x = np.column_stack([rng.normal(0, 1e4, (5, 3)), rng.normal(0, 250, (5, 3))])
    A = rng.normal(size=(5, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) + np.eye(6)
    cv = models.ConstantVelocity(2.0)
    xu, Pu = unscented.ukf_predict(x, P, cv, 1.5)
    xl, Pl = cv.predict(x, P, 1.5)
    assert np.allclose(xu, xl, rtol=1e-12, atol=1e-9) and np.allclose(Pu, Pl, rtol=1e-10)
    # A well-known turn with small uncertainty: the unscented and linearised predictions agree.
    ct = models.CoordinatedTurn(1.0, 1e-5)
    x7 = np.column_stack([x, np.full(5, 0.1)])
    P7 = np.diag([100.0] * 3 + [4.0] * 3 + [1e-6])[None].repeat(5, axis=0)
    xu, Pu = unscented.ukf_predict(x7, P7, ct, 1.0)
    xe, Pe = ct.predict(x7, P7, 1.0)
    assert np.max(np.abs(xu - xe)[:, :3]) < 0.05
    assert np.allclose(Pu, Pe, rtol=1e-3, atol=1e-6)


# -- IMM ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["ekf", "ukf", "cmkf"])
def test_imm_with_identical_models_equals_the_single_filter(method: str) -> None:
    rng = np.random.default_rng(12)
    s, rot = geometry()
    model = imm_models.ImmConstantVelocity(5.0)
    imm = imm_models.IMM([model, model, model], [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    x = np.zeros((4, 10))
    x[:, :3] = rng.normal(0, 20e3, (4, 3))
    x[:, 2] = 3000
    x[:, 3:6] = rng.normal(0, 200, (4, 3))
    P = np.broadcast_to(np.diag([100.0] * 3 + [30.0] * 3 + [1.0] * 3 + [0.01]) ** 2, (4, 10, 10))
    xs, Ps, mu = imm.initial(x, P, [0.5, 0.3, 0.2])
    for _ in range(10):
        xs, Ps, mu = imm.predict(xs, Ps, mu, 1.0)
        x, P = model.predict(x, P, 1.0)
        z = filters.aer_measure(x, s, rot) + rng.standard_normal((4, 3)) * SIGMA[:3]
        u = imm.update(xs, Ps, mu, z, np.diag(SIGMA[:3] ** 2), s, rot, method=method)
        xs, Ps, mu = u.x, u.P, u.mu
        update = UPDATES[f"{method}_update"]
        single = update(x, P, z, np.diag(SIGMA[:3] ** 2), s, rot)
        x, P = single.x, single.P
        xc, Pc = imm.combine(xs, Ps, mu)
        assert np.allclose(xc, x, rtol=1e-10, atol=1e-9)
        assert np.allclose(Pc, P, rtol=1e-8, atol=1e-12)
        assert np.allclose(
            u.log_likelihood, filters.innovation_log_likelihood(single.nis, single.S)
        )


G_MPS2 = 9.80665


def coordinated_turn_truth(dt: float, leg_s: float, speed: float, g: float, turn_deg: float):
    """Straight, a level left turn at g·9.81 m/s², straight again; (t, states (K, 6))."""
    w = g * G_MPS2 / speed
    t_turn = np.radians(turn_deg) / w
    t = np.arange(0.0, 2 * leg_s + t_turn + 1e-9, dt)
    start = np.array([-15e3, 20e3, 4000.0])
    th0 = 0.0  # heading east
    th = th0 + w * np.clip(t - leg_s, 0.0, t_turn)
    vel = speed * np.column_stack([np.cos(th), np.sin(th), np.zeros_like(t)])
    p1 = start + speed * leg_s * np.array([np.cos(th0), np.sin(th0), 0.0])
    arc = p1 + speed / w * np.column_stack(
        [np.sin(th) - np.sin(th0), np.cos(th0) - np.cos(th), np.zeros_like(t)]
    )
    pos = np.where((t <= leg_s)[:, None], start + vel * t[:, None], arc)
    after = t > leg_s + t_turn
    pos[after] = arc[after] + vel[after] * (t[after] - leg_s - t_turn)[:, None]
    return t, np.column_stack([pos, vel]), w


def test_imm_beats_best_single_model_on_5g_turn() -> None:
    runs, dt = 100, 1.0
    t, X, _ = coordinated_turn_truth(dt, leg_s=60.0, speed=300.0, g=5.0, turn_deg=180.0)
    s, rot = filters.radar_geometry(*ORIGIN, *ORIGIN)
    rng = np.random.default_rng(13)
    R = np.diag(SIGMA[:3] ** 2)
    Z = filters.aer_measure(np.repeat(X, runs, axis=0), s, rot).reshape(len(t), runs, 3)
    Z = Z + rng.standard_normal(Z.shape) * SIGMA[:3]
    Z[..., 1] %= 360.0
    p0 = np.array([100.0, 100.0, 100.0, 30.0, 30.0, 30.0])
    x0 = X[0] + rng.standard_normal((runs, 6)) * p0
    skip = 5  # initial convergence, common to all

    def rmse(err2: np.ndarray) -> float:
        return float(np.sqrt(err2[skip:].mean()))

    def single(model) -> float:
        n = model.n
        x = np.zeros((runs, n))
        x[:, :6] = x0
        P = np.zeros((runs, n, n))
        P[:, :6, :6] = np.diag(p0**2)
        if n == 9:
            P[:, 6:, 6:] = np.eye(3) * 30.0**2
        if n == 7:
            P[:, 6, 6] = 0.2**2
        err2 = np.empty((len(t), runs))
        for k in range(len(t)):
            if k:
                x, P = model.predict(x, P, dt)
            out = filters.ekf_update(x, P, Z[k], R, s, rot)
            x, P = out.x, out.P
            err2[k] = np.sum((x[:, :3] - X[k, :3]) ** 2, axis=1)
        return rmse(err2)

    # Each single model gets the best of a grid of process noises (tuned on this run).
    best = {
        "CV": min(single(models.ConstantVelocity(q)) for q in (100.0, 300.0, 1000.0, 3000.0)),
        "CA": min(single(models.ConstantAcceleration(q)) for q in (3.0, 10.0, 30.0, 100.0)),
        "CT": min(
            single(models.CoordinatedTurn(q, qw))
            for q, qw in itertools.product((1.0, 3.0, 10.0, 30.0), (3e-4, 1e-3, 3e-3))
        ),
    }
    imm = imm_models.IMM(
        [
            imm_models.ImmConstantVelocity(0.1),
            imm_models.ImmConstantAcceleration(10.0),
            imm_models.ImmCoordinatedTurn(5.0, 1e-3),
        ],
        [[0.95, 0.025, 0.025], [0.025, 0.95, 0.025], [0.025, 0.025, 0.95]],
    )
    x10, P10 = imm_models.to_imm_state(
        x0, np.broadcast_to(np.diag(p0**2), (runs, 6, 6)), 30.0**2, 0.2**2
    )
    xs, Ps, mu = imm.initial(x10, P10)
    err2 = np.empty((len(t), runs))
    mu_mean = np.empty((len(t), 3))
    for k in range(len(t)):
        if k:
            xs, Ps, mu = imm.predict(xs, Ps, mu, dt)
        u = imm.update(xs, Ps, mu, Z[k], R, s, rot)
        xs, Ps, mu = u.x, u.P, u.mu
        xc, _ = imm.combine(xs, Ps, mu)
        err2[k] = np.sum((xc[:, :3] - X[k, :3]) ** 2, axis=1)
        mu_mean[k] = mu.mean(axis=0)
    imm_rmse = rmse(err2)
    assert imm_rmse < 0.95 * min(best.values()), (imm_rmse, best)
    # And it knows what the target is doing: CV on the legs, CT in the turn.
    turn = (t > 65.0) & (t < 75.0)
    assert np.all(mu_mean[turn, 2] > 0.7)
    assert np.all(mu_mean[(t > 20.0) & (t < 55.0), 0] > 0.7)


# -- API hygiene ----------------------------------------------------------------------------


def _random_batch(N: int, with_rr: bool, seed: int = 14):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(0, 30e3, (N, 3)), rng.normal(0, 300, (N, 3))])
    x[:, 2] = np.abs(x[:, 2]) + 500
    A = rng.normal(size=(N, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) + 400 * np.eye(6)
    s = rng.normal(0, 5e3, (N, 3))
    rot = np.stack([filters.radar_geometry(37 + 0.1 * i, 127, 0, *ORIGIN)[1] for i in range(N)])
    m = 4 if with_rr else 3
    R = np.diag(SIGMA[:m] ** 2) * rng.uniform(0.5, 2, (N, 1, 1))
    z = filters.aer_measure(x, s, rot, with_rr) + rng.standard_normal((N, m)) * SIGMA[:m] * 3
    z[:, 1] %= 360
    return x, P, z, R, s, rot


@pytest.mark.parametrize("with_rr", [False, True])
@pytest.mark.parametrize("name", ["ekf_update", "ukf_update", "cmkf_update"])
def test_batched_equals_row_by_row(name: str, with_rr: bool) -> None:
    update = UPDATES[name]
    x, P, z, R, s, rot = _random_batch(6, with_rr)
    batch = update(x, P, z, R, s, rot, with_rr)
    for i in range(6):
        row = update(x[i : i + 1], P[i : i + 1], z[i : i + 1], R[i], s[i], rot[i], with_rr)
        for a, b in zip(batch, row, strict=True):
            # Equal to rounding (BLAS may order a batched product's sums differently).
            assert np.max(np.abs(a[i] - b[0])) <= 1e-12 * np.max(np.abs(b[0]))


def test_models_batched_equals_row_by_row() -> None:
    rng = np.random.default_rng(15)
    for model in (
        models.ConstantVelocity([1.0, 2.0, 0.5]),
        models.ConstantAcceleration(1.0),
        models.Singer(10.0, 5.0),
        models.CoordinatedTurn(1.0, 1e-4),
        imm_models.ImmCoordinatedTurn(1.0, 1e-4),
        imm_models.ImmConstantAcceleration(1.0),
    ):
        n = model.n
        x = rng.normal(0, 100, (5, n))
        x[:, -1] = rng.normal(0, 0.1, 5)
        A = rng.normal(size=(5, n, n))
        P = A @ np.swapaxes(A, 1, 2)
        dt = rng.uniform(0, 3, 5)
        xb, Pb = model.predict(x, P, dt)
        for i in range(5):
            xr, Pr = model.predict(x[i : i + 1], P[i : i + 1], dt[i])
            assert np.allclose(xb[i], xr[0], rtol=1e-13) and np.allclose(Pb[i], Pr[0], rtol=1e-12)


def _read_only(*arrays: np.ndarray) -> list[np.ndarray]:
    out = []
    for a in arrays:
        a = np.array(a)
        a.setflags(write=False)
        out.append(a)
    return out


@pytest.mark.parametrize("with_rr", [False, True])
def test_gating_innovation_equals_the_updates(with_rr: bool) -> None:
    x, P, z, R, s, rot = _random_batch(7, with_rr)
    gate = filters.aer_innovation(x, P, z, R, s, rot, with_rr)
    out = filters.ekf_update(x, P, z, R, s, rot, with_rr)
    for a, b in zip(gate, (out.innovation, out.S, out.nis), strict=True):
        assert np.allclose(a, b, rtol=1e-12, atol=0)
    assert np.allclose(gate.nis, filters.nis(gate.innovation, gate.S), rtol=1e-12)


def test_inputs_are_never_modified() -> None:
    # Read-only arrays make any in-place write raise; copies check the values too.
    x, P, z, R, s, rot = _random_batch(5, True)
    originals = [a.copy() for a in (x, P, z, R, s, rot)]
    x, P, z, R, s, rot = _read_only(x, P, z, R, s, rot)
    filters.ekf_update(x, P, z, R, s, rot, True)
    unscented.ukf_update(x, P, z, R, s, rot, True)
    converted.cmkf_update(x, P, z, R, s, rot, True)
    filters.ekf_cv_predict_update(x, P, 1.0, 1.0, z, R, s, rot, True)
    filters.aer_jacobian(x, s, rot, True)
    converted.converted_measurement(z, R, s, rot, about_enu_m=x[:, :3])
    filters.kf_update(x, P, z[:, :3], np.eye(3, 6), R[:, :3, :3])
    filters.nees(x, P, x + 1)
    models.ConstantVelocity(1.0).predict(x, P, 1.0)
    for a, b in zip((x, P, z, R, s, rot), originals, strict=True):
        assert np.array_equal(a, b)
    imm = imm_models.IMM(
        [imm_models.ImmConstantVelocity(1.0), imm_models.ImmCoordinatedTurn(1.0, 1e-4)],
        [[0.9, 0.1], [0.1, 0.9]],
    )
    x10, P10 = imm_models.to_imm_state(x, P)
    xs, Ps, mu = _read_only(*imm.initial(x10, P10))
    copies = [a.copy() for a in (xs, Ps, mu)]
    xp, Pp, mup = imm.predict(xs, Ps, mu, 1.0)
    imm.update(*_read_only(xp, Pp, mup), z, R, s, rot, True)
    imm.combine(xs, Ps, mu)
    for a, b in zip((xs, Ps, mu), copies, strict=True):
        assert np.array_equal(a, b)


def test_bad_arguments_get_clear_errors() -> None:
    x, P, z, R, s, rot = _random_batch(3, False)
    with pytest.raises(
        ValueError, match=r"z must have shape \(N, 4\).*range_rate_mps.*with_range_rate=True"
    ):
        filters.ekf_update(x, P, z, R, s, rot, True)
    with pytest.raises(ValueError, match=r"P must have shape \(N, n, n\) = \(3, 6, 6\)"):
        unscented.ukf_update(x, P[:, :5, :5], z, R, s, rot)
    with pytest.raises(ValueError, match=r"radar_rot must have shape \(3, 3\) or \(N, 3, 3\)"):
        converted.cmkf_update(x, P, z, R, s, rot[:2])
    with pytest.raises(ValueError, match=r"R must have shape \(3, 3\) or \(N, 3, 3\)"):
        filters.ekf_update(x, P, z, R[:, :2, :2], s, rot)
    bad = z.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        filters.ekf_update(x, P, bad, R, s, rot)
    with pytest.raises(ValueError, match="range_rate_method must be 'sequential' or 'joint'"):
        filters.ekf_update(x, P, z, R, s, rot, range_rate_method="second")
    x4, P4, z4, R4, s4, rot4 = _random_batch(3, True)
    R4 = R4.copy()
    R4[:, 3, 0] = R4[:, 0, 3] = 1.0
    with pytest.raises(ValueError, match="range-rate noise independent"):
        filters.ekf_update(x4, P4, z4, R4, s4, rot4, True)
    with pytest.raises(ValueError, match="not positive definite in rows \\[1\\]"):
        P_bad = P.copy()
        P_bad[1] = -np.eye(6)
        unscented.ukf_update(x, P_bad, z, R, s, rot)
    with pytest.raises(ValueError, match="dt_s must be finite and ≥ 0 s"):
        models.ConstantVelocity(1.0).predict(x, P, -1.0)
    with pytest.raises(ValueError, match=r"q_m2ps3 must be a finite value ≥ 0 or three"):
        models.ConstantVelocity([1.0, 2.0])
    with pytest.raises(ValueError, match="x must have shape \\(N, 7\\)"):
        models.CoordinatedTurn(1.0, 1e-3).predict(x, P, 1.0)
    with pytest.raises(ValueError, match="Markov matrix"):
        imm_models.IMM(
            [imm_models.ImmConstantVelocity(1.0), imm_models.ImmConstantAcceleration(1.0)],
            [[0.9, 0.2], [0.1, 0.9]],
        )
    with pytest.raises(ValueError, match="share one state layout"):
        imm_models.IMM([models.ConstantVelocity(1.0), models.ConstantAcceleration(1.0)], np.eye(2))
    imm = imm_models.IMM(
        [imm_models.ImmConstantVelocity(1.0), imm_models.ImmConstantAcceleration(1.0)], np.eye(2)
    )
    with pytest.raises(ValueError, match="method must be one of"):
        imm.update(*imm.initial(*imm_models.to_imm_state(x, P)), z, R, s, rot, method="pf")
    with pytest.raises(ValueError, match="compiled path is for the 6-state CV model"):
        filters.ekf_cv_predict_update(np.zeros((3, 9)), np.zeros((3, 9, 9)), 1.0, 1.0, z, R, s, rot)
