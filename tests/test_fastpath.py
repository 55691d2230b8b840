"""The compiled CV gate equals the NumPy path it replaces (prediction + AER innovation)."""

import numpy as np

from gbad.tracking import fastpath, filters, models
from gbad.tracking.estimators import predict_signed


def test_cv_gate_matches_numpy_path():
    rng = np.random.default_rng(3)
    k = 400
    x = np.column_stack(
        [rng.uniform(-50e3, 50e3, (k, 2)), rng.uniform(100, 9e3, k), rng.normal(0, 200, (k, 3))]
    )
    A = rng.normal(size=(k, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) * 100 + np.eye(6) * 10
    dt = rng.uniform(-3, 5, k)  # some steps run back (out-of-sequence updates)
    q = np.array([20.0, 30.0, 5.0])
    enu, rot = filters.radar_geometry(37.2, 127.1, 80.0, 37.0, 127.0, 40.0)
    model = models.ConstantVelocity(q)
    xp, Pp = predict_signed(model, x, P, dt)
    zt = filters.aer_measure(xp, enu, rot, False)
    z = zt + rng.normal(0, 1, (k, 3)) * np.array([30.0, 0.3, 0.3])
    z[:, 1] %= 360.0
    R = np.zeros((k, 3, 3))
    R[:, [0, 1, 2], [0, 1, 2]] = np.array([30.0, 0.3, 0.3]) ** 2
    inn = filters.aer_innovation(xp, Pp, z, R, enu, rot, False)
    fx, fP, d2, logdet = fastpath.cv_gate(x, P, dt, q, z, R, enu, rot)
    np.testing.assert_allclose(fx, xp, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(fP, Pp, rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(d2, inn.nis, rtol=1e-8)
    np.testing.assert_allclose(logdet, np.linalg.slogdet(inn.S)[1], rtol=1e-10, atol=1e-10)


def test_issue_13_range_rate_gate_matches_numpy_path():
    """The compiled 4-D gate (range rate with its second-order bias and variance) equals
    `filters.aer_innovation` + `slogdet` to rounding: tracks near and far, overhead (the
    azimuth's floor), azimuths either side of north; a non-SPD S is NaN (the caller's
    fallback)."""
    rng = np.random.default_rng(13)
    k = 600
    x = np.column_stack(
        [rng.uniform(-50e3, 50e3, (k, 2)), rng.uniform(100, 9e3, k), rng.normal(0, 300, (k, 3))]
    )
    enu, rot = filters.radar_geometry(37.2, 127.1, 80.0, 37.0, 127.0, 40.0)
    x[:5, :2] = enu[:2] + rng.normal(0, 1e-3, (5, 2))  # straight overhead
    x[5:10, 0], x[5:10, 1] = enu[0] + rng.normal(0, 1.0, 5), enu[1] + 20e3  # due north
    A = rng.normal(size=(k, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) * 100 + np.eye(6) * 10
    sig = np.array([30.0, 0.3, 0.3, 2.0])
    zt = filters.aer_measure(x, enu, rot, True)
    z = zt + rng.normal(0, 1, (k, 4)) * sig
    z[:, 1] %= 360.0
    R = np.zeros((k, 4, 4))
    R[:, [0, 1, 2, 3], [0, 1, 2, 3]] = sig**2
    inn = filters.aer_innovation(x, P, z, R, enu, rot, True)
    d2, logdet = fastpath.rr_gate_stats(x, P, z, R, enu, rot)
    np.testing.assert_allclose(d2, inn.nis, rtol=1e-9)
    np.testing.assert_allclose(logdet, np.linalg.slogdet(inn.S)[1], rtol=1e-12, atol=1e-11)
    R[0] = -np.eye(4) * 1e12
    d2, logdet = fastpath.rr_gate_stats(x[:1], P[:1], z[:1], R[:1], enu, rot)
    assert np.isnan(d2[0]) and np.isnan(logdet[0])
