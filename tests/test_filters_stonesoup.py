"""Batched filters and motion models against Stone Soup on the same inputs.

Authority: Stone Soup 1.9.1 (MIT; Defence Science and Technology Laboratory),
an independent implementation: ``KalmanPredictor`` with ``ConstantVelocity``,
``KalmanUpdater`` with ``LinearGaussian``, ``ExtendedKalmanUpdater`` and
``UnscentedKalmanUpdater`` with ``CartesianToElevationBearingRange(Rate)``,
and its ``ConstantAcceleration``, ``Singer`` and ``ConstantTurn`` models.

Mapping between the two conventions (and nothing else differs):

- state: Stone Soup interleaves [x, vx, y, vy, z, vz]; ours is [x, y, z, vx, vy, vz]
  (``SS_FROM_OURS`` / ``OURS_FROM_SS`` below);
- the sensor frame: Stone Soup's measurement models compute
  d = rotation_matrix · (p − translation_offset) exactly as we compute
  d = radar_rot · (p − radar_enu_m), so its ``rotation_matrix`` *is* our
  ``radar_rot`` when its sensor x, y, z are our radar's east, north, up;
- measurement: Stone Soup returns [elevation (rad), bearing (rad, counter-clockwise
  from the sensor's x = east), range, range rate]; ours is [range, azimuth (deg,
  clockwise from north), elevation (deg), range rate]. So bearing = π/2 − az and
  the noise covariances are diag(σ_el², σ_az², σ_r², σ_ṙ²) in rad² against ours
  in deg². A Kalman update is invariant to such an affine relabelling of the
  measurement, so the states and covariances must agree to rounding.
- The UKF's sigma points come from the Cholesky factor of P in the filter's own
  state order, and a permutation changes that factor, so for the UKF Stone
  Soup is given the prediction in our order (``mapping=(0, 1, 2)``,
  ``velocity_mapping=(3, 4, 5)``), and its posterior is re-interleaved for its
  own predictor.

"Relative difference" is max|ours − Stone Soup| / max|Stone Soup| over each
state vector or covariance matrix.
"""

from __future__ import annotations

import datetime as dtm

import numpy as np
import pytest
from stonesoup.models.measurement.linear import LinearGaussian
from stonesoup.models.measurement.nonlinear import (
    CartesianToElevationBearingRange,
    CartesianToElevationBearingRangeRate,
)
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel,
    ConstantAcceleration,
    Singer,
)
from stonesoup.models.transition.linear import ConstantVelocity as SSConstantVelocity
from stonesoup.models.transition.nonlinear import ConstantTurn
from stonesoup.predictor.kalman import KalmanPredictor
from stonesoup.types.angle import Bearing, Elevation
from stonesoup.types.detection import Detection
from stonesoup.types.hypothesis import SingleHypothesis
from stonesoup.types.prediction import GaussianStatePrediction
from stonesoup.types.state import GaussianState, State
from stonesoup.updater.kalman import (
    ExtendedKalmanUpdater,
    KalmanUpdater,
    UnscentedKalmanUpdater,
)

from gbad.tracking import filters, models, unscented

SS_FROM_OURS = np.array([0, 3, 1, 4, 2, 5])  # ss_state = ours[SS_FROM_OURS]
OURS_FROM_SS = np.argsort(SS_FROM_OURS)  # ours = ss_state[OURS_FROM_SS]
REL_TOL = 1e-9
Q_M2PS3 = 2.0
SIGMA = np.array([15.0, 0.15, 0.2, 1.5])  # range m, az deg, el deg, range rate m/s
DTS_S = [1.0, 0.5, 2.25]  # exact in timedelta microseconds
T0 = dtm.datetime(2026, 1, 1)


def rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def ss_state(x: np.ndarray, P: np.ndarray, t: dtm.datetime) -> GaussianState:
    return GaussianState(
        x[SS_FROM_OURS][:, None], P[np.ix_(SS_FROM_OURS, SS_FROM_OURS)], timestamp=t
    )


def from_ss(state: GaussianState) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(state.state_vector, dtype=float)[:, 0][OURS_FROM_SS]
    P = np.asarray(state.covar, dtype=float)[np.ix_(OURS_FROM_SS, OURS_FROM_SS)]
    return x, P


def radar_model(with_rr: bool, ours_order: bool):
    rot_offset = np.array([[0.01], [-0.02], [0.3]])
    m = 4 if with_rr else 3
    var_ss = np.array(
        [np.radians(SIGMA[2]) ** 2, np.radians(SIGMA[1]) ** 2, SIGMA[0] ** 2, SIGMA[3] ** 2]
    )
    kwargs = dict(
        ndim_state=6,
        mapping=(0, 1, 2) if ours_order else (0, 2, 4),
        noise_covar=np.diag(var_ss[:m]),
        translation_offset=np.array([[1000.0], [-2000.0], [30.0]]),
        rotation_offset=rot_offset,
    )
    if with_rr:
        kwargs["velocity_mapping"] = (3, 4, 5) if ours_order else (1, 3, 5)
        model = CartesianToElevationBearingRangeRate(**kwargs)
    else:
        model = CartesianToElevationBearingRange(**kwargs)
    return model, np.array([1000.0, -2000.0, 30.0]), np.asarray(model.rotation_matrix, dtype=float)


def ss_detection(z: np.ndarray, model, t: dtm.datetime) -> Detection:
    rows = [[Elevation(np.radians(z[2]))], [Bearing(np.pi / 2 - np.radians(z[1]))], [z[0]]]
    if z.size == 4:
        rows.append([z[3]])
    return Detection(np.array(rows), timestamp=t, measurement_model=model)


def truth_and_measurements(s, rot, with_rr: bool, steps: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = np.array([20000.0, 15000.0, 3000.0, -200.0, -150.0, 5.0])
    m = 4 if with_rr else 3
    out = []
    for k in range(steps):
        dt = DTS_S[k % 3]
        truth = truth.copy()
        truth[:3] += truth[3:] * dt
        z = (
            filters.aer_measure(truth[None], s, rot, with_rr)[0]
            + rng.standard_normal(m) * SIGMA[:m]
        )
        z[1] %= 360.0
        out.append((dt, z))
    return out


X0 = np.array([20000.0, 15000.0, 3000.0, -200.0, -150.0, 5.0])
P0 = np.diag([100.0, 100.0, 100.0, 50.0, 50.0, 50.0]) ** 2


def test_kalman_predict_and_linear_update_match_stonesoup() -> None:
    transition = CombinedLinearGaussianTransitionModel([SSConstantVelocity(Q_M2PS3)] * 3)
    predictor = KalmanPredictor(transition)
    H_ss = np.zeros((3, 6))
    H_ss[[0, 1, 2], [0, 2, 4]] = 1.0
    R = np.diag([30.0, 40.0, 50.0]) ** 2
    updater = KalmanUpdater(LinearGaussian(ndim_state=6, mapping=(0, 2, 4), noise_covar=R))
    H = np.zeros((3, 6))
    H[:, :3] = np.eye(3)
    cv = models.ConstantVelocity(Q_M2PS3)
    rng = np.random.default_rng(3)
    state = ss_state(X0, P0, T0)
    x, P, t = X0[None], P0[None], T0
    worst = 0.0
    for k in range(25):
        dt = DTS_S[k % 3]
        t = t + dtm.timedelta(seconds=dt)
        pred = predictor.predict(state, timestamp=t)
        x, P = cv.predict(x, P, dt)
        xs, Ps = from_ss(pred)
        worst = max(worst, rel(x[0], xs), rel(P[0], Ps))
        z = X0[:3] + rng.normal(0, 40.0, 3)
        state = updater.update(
            SingleHypothesis(
                pred,
                Detection(z[:, None], timestamp=t, measurement_model=updater.measurement_model),
            )
        )
        out = filters.kf_update(x, P, z[None], H, R)
        x, P = out.x, out.P
        xs, Ps = from_ss(state)
        worst = max(worst, rel(x[0], xs), rel(P[0], Ps))
    assert worst < REL_TOL, worst


@pytest.mark.parametrize("with_rr", [False, True])
def test_ekf_matches_stonesoup_extended_kalman_updater(with_rr: bool) -> None:
    model, s, rot = radar_model(with_rr, ours_order=False)
    predictor = KalmanPredictor(
        CombinedLinearGaussianTransitionModel([SSConstantVelocity(Q_M2PS3)] * 3)
    )
    updater = ExtendedKalmanUpdater(model)
    cv = models.ConstantVelocity(Q_M2PS3)
    R = np.diag(SIGMA[: 4 if with_rr else 3] ** 2)
    state, x, P, t = ss_state(X0, P0, T0), X0[None], P0[None], T0
    worst = 0.0
    for dt, z in truth_and_measurements(s, rot, with_rr):
        t = t + dtm.timedelta(seconds=dt)
        pred = predictor.predict(state, timestamp=t)
        state = updater.update(SingleHypothesis(pred, ss_detection(z, model, t)))
        x, P = cv.predict(x, P, dt)
        # Stone Soup's EKF is the plain first-order joint update.
        out = filters.ekf_update(x, P, z[None], R, s, rot, with_rr, range_rate_method="joint")
        x, P = out.x, out.P
        xs, Ps = from_ss(state)
        worst = max(worst, rel(x[0], xs), rel(P[0], Ps))
    # CartesianToElevationBearingRange has no analytic Jacobian in Stone Soup: it takes
    # forward differences with a step of 1e8 ulps (stonesoup.functions.jacobian),
    # good to ~1e-7 relative. The range-rate model's Jacobian is analytic.
    assert worst < (REL_TOL if with_rr else 1e-6), worst


@pytest.mark.parametrize("with_rr", [False, True])
def test_ukf_matches_stonesoup_unscented_kalman_updater(with_rr: bool) -> None:
    model, s, rot = radar_model(with_rr, ours_order=True)
    predictor = KalmanPredictor(
        CombinedLinearGaussianTransitionModel([SSConstantVelocity(Q_M2PS3)] * 3)
    )
    updater = UnscentedKalmanUpdater(model)  # α = 0.5, β = 2, κ = 3 − n: our defaults
    cv = models.ConstantVelocity(Q_M2PS3)
    R = np.diag(SIGMA[: 4 if with_rr else 3] ** 2)
    state, x, P, t = ss_state(X0, P0, T0), X0[None], P0[None], T0
    worst = 0.0
    for dt, z in truth_and_measurements(s, rot, with_rr):
        t = t + dtm.timedelta(seconds=dt)
        pred = predictor.predict(state, timestamp=t)
        xs, Ps = from_ss(pred)
        pred_ours_order = GaussianStatePrediction(xs[:, None], Ps, timestamp=t)
        post = updater.update(SingleHypothesis(pred_ours_order, ss_detection(z, model, t)))
        xs = np.asarray(post.state_vector, dtype=float)[:, 0]
        Ps = np.asarray(post.covar, dtype=float)
        state = ss_state(xs, Ps, t)
        x, P = cv.predict(x, P, dt)
        out = unscented.ukf_update(x, P, z[None], R, s, rot, with_rr, range_rate_method="joint")
        x, P = out.x, out.P
        worst = max(worst, rel(x[0], xs), rel(P[0], Ps))
    # Stone Soup averages angles circularly, we average wrapped residuals: O(σ³) apart.
    assert worst < REL_TOL, worst


def _ss_matrices(model, dt: float) -> tuple[np.ndarray, np.ndarray]:
    td = dtm.timedelta(seconds=dt)
    return np.asarray(model.matrix(time_interval=td)), np.asarray(model.covar(time_interval=td))


def _per_axis(block: np.ndarray, k: int) -> np.ndarray:
    """Our [p(3), v(3), …] matrix from one axis' k × k Stone Soup block."""
    return np.kron(block, np.eye(3))


@pytest.mark.parametrize("dt", [0.1, 1.0, 4.0])
def test_cv_and_ca_transition_and_noise_match_stonesoup(dt: float) -> None:
    F, Q = _ss_matrices(SSConstantVelocity(Q_M2PS3), dt)
    x = np.zeros((1, 6))
    assert rel(models.ConstantVelocity(Q_M2PS3).jacobian(x, dt)[0], _per_axis(F, 2)) < REL_TOL
    assert rel(models.ConstantVelocity(Q_M2PS3).Q(x, dt)[0], _per_axis(Q, 2)) < REL_TOL
    F, Q = _ss_matrices(ConstantAcceleration(noise_diff_coeff=0.7), dt)
    x = np.zeros((1, 9))
    assert rel(models.ConstantAcceleration(0.7).jacobian(x, dt)[0], _per_axis(F, 3)) < REL_TOL
    assert rel(models.ConstantAcceleration(0.7).Q(x, dt)[0], _per_axis(Q, 3)) < REL_TOL


@pytest.mark.parametrize("dt", [0.05, 1.0, 4.0, 30.0])
def test_singer_matches_stonesoup(dt: float) -> None:
    tau_s, sigma = 8.0, 20.0
    ss = Singer(noise_diff_coeff=2 * sigma**2 / tau_s, damping_coeff=1 / tau_s)
    F, Q = _ss_matrices(ss, dt)
    ours = models.Singer(tau_s, sigma)
    x = np.zeros((1, 9))
    assert rel(ours.jacobian(x, dt)[0], _per_axis(F, 3)) < REL_TOL
    # Stone Soup integrates Q with scipy's quad (tolerance ~1.5e-8 relative).
    assert rel(ours.Q(x, dt)[0], _per_axis(Q, 3)) < 1e-7


@pytest.mark.parametrize("omega", [0.0, 1e-6, 0.02, -0.3])
def test_coordinated_turn_matches_stonesoup_constant_turn(omega: float) -> None:
    q, q_w, dt = 3.0, 1e-3, 1.5
    ss = ConstantTurn(linear_noise_coeffs=np.array([q, q]), turn_noise_coeff=q_w)
    td = dtm.timedelta(seconds=dt)
    ss_x = np.array([[100.0], [250.0], [-40.0], [120.0], [omega]])  # x, vx, y, vy, ω
    f_ss = np.asarray(ss.function(State(ss_x), time_interval=td), dtype=float)[:, 0]
    ours_x = np.array([[100.0, -40.0, 500.0, 250.0, 120.0, 7.0, omega]])
    f = models.CoordinatedTurn(q, q_w).f(ours_x, dt)[0]
    assert rel(f[[0, 3, 1, 4, 6]], f_ss) < REL_TOL
    assert f[2] == 500.0 + 7.0 * dt and f[5] == 7.0
    Q_ss = np.asarray(ss.covar(time_interval=td))
    Q = models.CoordinatedTurn(q, q_w).Q(ours_x, dt)[0]
    assert rel(Q[np.ix_([0, 3, 1, 4, 6], [0, 3, 1, 4, 6])], Q_ss) < REL_TOL
