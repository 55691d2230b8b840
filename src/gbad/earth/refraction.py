"""The effective-earth (4/3) model of radar refraction, vectorised.

A standard atmosphere bends radio rays downwards with a curvature equal to
minus the refractivity gradient ``dN/dh``. Replacing the Earth's radius ``R``
by ``R_eff = 1 / (1/R + dN/dh)`` makes the rays straight lines over a sphere of
radius ``R_eff``; with the standard gradient of -39e-9 /m and ``R`` = 6,371 km
(the mean radius) that is ~8.4774e6 m, about 4/3 of ``R``, hence the name.

Frame of every function here: the plane through the Earth's centre, the
antenna and the target. Heights are above the effective-earth sphere (the
ground, or whatever surface the caller measures heights from), elevation
angles are above the antenna's local horizontal (perpendicular to its radius)
in degrees, slant range is the straight-line length of the (straightened) ray
in metres, and ground range is arc length along the sphere of radius
``radius_m``. That arc length is the real distance over the ground: the
effective-earth model keeps heights and ground distances and changes only the
curvature.

All functions broadcast over their array arguments and return new arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

#: Mean Earth radius used with the refractivity gradient (as MATLAB's
#: ``effearthradius`` does), m.
EARTH_MEAN_RADIUS_M = 6371000.0
#: Standard refractivity gradient dN/dh of the lower atmosphere, per metre.
STANDARD_REFRACTIVITY_GRADIENT_PER_M = -39e-9


def _half_horizon_angle_rad(h: Array, radius: Array) -> Array:
    # acos(R / (R + h)) loses half its digits for small h; atan of the tangent
    # length over R is the same angle without that loss.
    return np.arctan2(np.sqrt(h * (2.0 * radius + h)), radius)


def _positive(name: str, value: ArrayLike) -> Array:
    arr = np.asarray(value, dtype=float)
    bad = ~(np.isfinite(arr) & (arr > 0.0))
    if np.any(bad):
        raise ValueError(f"{name} must be finite and > 0, got {_first_bad(arr, bad)}")
    return arr


def _non_negative(name: str, value: ArrayLike) -> Array:
    arr = np.asarray(value, dtype=float)
    bad = arr < 0.0
    if np.any(bad):
        raise ValueError(f"{name} must be >= 0, got {_first_bad(arr, bad)}")
    return arr


def _first_bad(arr: Array, bad: NDArray[np.bool_]) -> str:
    if arr.ndim == 0:
        return repr(float(arr))
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{float(arr[index])!r} at index {index} ({int(bad.sum())} bad of {arr.size})"


def effective_earth_radius_m(
    gradient_per_m: ArrayLike = STANDARD_REFRACTIVITY_GRADIENT_PER_M,
    earth_radius_m: ArrayLike = EARTH_MEAN_RADIUS_M,
) -> Array:
    """Effective-earth radius ``R_eff = 1 / (1/R + dN/dh)`` in metres.

    ``gradient_per_m`` is dN/dh in units of refractivity (n - 1, not N-units)
    per metre; the standard -39e-9 /m gives ~8.4774e6 m. Gradients at or
    below ``-1/R`` (about -157e-9 /m) are ducting, where rays bend at least as
    much as the Earth and the model has no finite radius: a ValueError.
    """
    grad = np.asarray(gradient_per_m, dtype=float)
    radius = _positive("earth_radius_m", earth_radius_m)
    curvature = 1.0 / radius + grad
    if np.any(curvature <= 0.0):
        raise ValueError(
            f"refractivity gradient {gradient_per_m!r} /m is ducting (at or below "
            f"-1/R = {-1.0 / np.max(radius):.4g} /m): the effective-earth model needs a "
            "gradient above that, e.g. the standard -39e-9 /m"
        )
    return 1.0 / curvature


def k_factor(
    gradient_per_m: ArrayLike = STANDARD_REFRACTIVITY_GRADIENT_PER_M,
    earth_radius_m: ArrayLike = EARTH_MEAN_RADIUS_M,
) -> Array:
    """The k-factor ``R_eff / R = 1 / (1 + R dN/dh)`` (dimensionless, ~4/3)."""
    return effective_earth_radius_m(gradient_per_m, earth_radius_m) / np.asarray(
        earth_radius_m, dtype=float
    )


def effective_earth_radius_from_k_m(
    k: ArrayLike = 4.0 / 3.0, earth_radius_m: ArrayLike = EARTH_MEAN_RADIUS_M
) -> Array:
    """Effective-earth radius ``k R`` in metres from an explicit k-factor.

    Note that k = 4/3 exactly gives 8.4947e6 m with R = 6371 km, not the
    8.4774e6 m of the -39e-9 /m gradient: "4/3" is a rounded name.
    """
    k_arr = _positive("k", k)
    return k_arr * _positive("earth_radius_m", earth_radius_m)


#: Effective-earth radius for the standard gradient, ~8.4774e6 m.
EFFECTIVE_EARTH_RADIUS_M = float(effective_earth_radius_m())


def radar_horizon_range_m(
    antenna_height_m: ArrayLike,
    target_height_m: ArrayLike = 0.0,
    radius_m: float = EFFECTIVE_EARTH_RADIUS_M,
) -> Array:
    """Slant range along the ray that grazes the sphere, antenna to target, metres.

    ``sqrt((R + h_a)^2 - R^2) + sqrt((R + h_t)^2 - R^2) = sqrt(2 R h_a + h_a^2) + ...``:
    the sum of the two tangent lengths, which is ``sqrt(2 R h)`` per end to a
    relative ``h / (4 R)``. A target farther than this, at that height, is
    below the horizon. Heights must be >= 0 (above the sphere).
    """
    radius = _positive("radius_m", radius_m)
    ha = _non_negative("antenna_height_m", antenna_height_m)
    ht = _non_negative("target_height_m", target_height_m)
    return np.sqrt(ha * (2.0 * radius + ha)) + np.sqrt(ht * (2.0 * radius + ht))


def radar_horizon_ground_range_m(
    antenna_height_m: ArrayLike,
    target_height_m: ArrayLike = 0.0,
    radius_m: float = EFFECTIVE_EARTH_RADIUS_M,
) -> Array:
    """Ground range (arc along the sphere) of the horizon, metres.

    ``R (acos(R / (R + h_a)) + acos(R / (R + h_t)))``: the distance over the
    ground beyond which a target at ``target_height_m`` is hidden by the
    curvature of the effective earth. Heights must be >= 0.
    """
    radius = _positive("radius_m", radius_m)
    ha = _non_negative("antenna_height_m", antenna_height_m)
    ht = _non_negative("target_height_m", target_height_m)
    return radius * (_half_horizon_angle_rad(ha, radius) + _half_horizon_angle_rad(ht, radius))


def target_height_m(
    slant_range_m: ArrayLike,
    elevation_deg: ArrayLike,
    antenna_height_m: ArrayLike,
    radius_m: float = EFFECTIVE_EARTH_RADIUS_M,
) -> Array:
    """Height of the point at a slant range along a ray of given elevation, metres.

    Law of cosines in the centre-antenna-target triangle, with
    ``a = R + h_a`` and ``r`` the slant range:
    ``R + h_t = sqrt(a^2 + r^2 + 2 a r sin(el))``. It is evaluated as
    ``h_t = h_a + (r^2 + 2 a r sin(el)) / (sqrt(...) + a)`` so that no
    8e6-metre numbers are subtracted.
    """
    radius = _positive("radius_m", radius_m)
    r = _non_negative("slant_range_m", slant_range_m)
    ha = np.asarray(antenna_height_m, dtype=float)
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    a = radius + ha
    extra = r * r + 2.0 * a * r * np.sin(el)
    return ha + extra / (np.sqrt(a * a + extra) + a)


def slant_range_m(
    target_height_m: ArrayLike,
    elevation_deg: ArrayLike,
    antenna_height_m: ArrayLike,
    radius_m: float = EFFECTIVE_EARTH_RADIUS_M,
) -> Array:
    """Slant range at which a ray of given elevation first reaches a height, metres.

    The inverse of :func:`target_height_m`: the smallest r >= 0 solving
    ``r^2 + 2 a sin(el) r + a^2 - b^2 = 0`` with ``a = R + h_a``,
    ``b = R + h_t``. NaN where the ray never reaches that height (a target
    below the antenna on a rising ray, or below the perigee of a falling one).
    """
    radius = _positive("radius_m", radius_m)
    ha = np.asarray(antenna_height_m, dtype=float)
    ht = np.asarray(target_height_m, dtype=float)
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    a = radius + ha
    half_b = a * np.sin(el)
    # a^2 - b^2 without cancelling two 7e13 numbers.
    c = (ha - ht) * (2.0 * radius + ha + ht)
    disc = half_b * half_b - c
    with np.errstate(invalid="ignore", divide="ignore"):
        sq = np.sqrt(disc)
        # Numerically stable roots q and c/q (Numerical Recipes 5.6).
        q = -(half_b + np.copysign(sq, half_b))
        r1 = q
        r2 = np.where(q != 0.0, c / q, 0.0)
    lo = np.minimum(r1, r2)
    hi = np.maximum(r1, r2)
    out = np.where(lo >= 0.0, lo, np.where(hi >= 0.0, hi, np.nan))
    return np.where(disc >= 0.0, out, np.nan)


def ground_range_m(
    slant_range_m: ArrayLike,
    elevation_deg: ArrayLike,
    antenna_height_m: ArrayLike,
    radius_m: float = EFFECTIVE_EARTH_RADIUS_M,
) -> Array:
    """Arc length along the sphere from the antenna's foot to the target's, metres.

    The central angle is ``atan2(r cos(el), R + h_a + r sin(el))`` (the
    target's position in the plane with the antenna on the vertical axis);
    ground range is ``R`` times it.
    """
    radius = _positive("radius_m", radius_m)
    r = _non_negative("slant_range_m", slant_range_m)
    ha = np.asarray(antenna_height_m, dtype=float)
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    return radius * np.arctan2(r * np.cos(el), radius + ha + r * np.sin(el))


def elevation_from_ground_range_deg(
    ground_range_m: ArrayLike,
    antenna_height_m: ArrayLike,
    target_height_m: ArrayLike,
    radius_m: float = EFFECTIVE_EARTH_RADIUS_M,
) -> Array:
    """Effective-earth elevation angle of a target from ground range and heights, deg.

    With ``theta = d / R``, ``a = R + h_a``, ``b = R + h_t``, the target sits at
    ``(b sin(theta), b cos(theta) - a)`` in the antenna's horizontal/vertical
    axes, so ``el = atan2(b cos(theta) - a, b sin(theta))``. The vertical part
    is formed as ``(h_t - h_a) - 2 b sin^2(theta/2)`` to avoid cancellation.
    This is the angle to compare along a path for terrain masking: the
    highest elevation seen over the terrain masks everything below it.
    """
    radius = _positive("radius_m", radius_m)
    d = np.asarray(ground_range_m, dtype=float)
    ha = np.asarray(antenna_height_m, dtype=float)
    ht = np.asarray(target_height_m, dtype=float)
    theta = d / radius
    b = radius + ht
    up = (ht - ha) - 2.0 * b * np.sin(0.5 * theta) ** 2
    return np.degrees(np.arctan2(up, b * np.sin(theta)))


def elevation_from_slant_range_deg(
    slant_range_m: ArrayLike,
    antenna_height_m: ArrayLike,
    target_height_m: ArrayLike,
    radius_m: float = EFFECTIVE_EARTH_RADIUS_M,
) -> Array:
    """Effective-earth elevation angle from slant range and heights, degrees.

    Law of cosines: ``sin(el) = (b^2 - a^2 - r^2) / (2 a r)`` with
    ``a = R + h_a``, ``b = R + h_t``; ``b^2 - a^2`` is formed as
    ``(h_t - h_a)(2R + h_a + h_t)``. NaN where no triangle exists (the range is
    shorter than the height difference).
    """
    radius = _positive("radius_m", radius_m)
    r = _non_negative("slant_range_m", slant_range_m)
    ha = np.asarray(antenna_height_m, dtype=float)
    ht = np.asarray(target_height_m, dtype=float)
    a = radius + ha
    with np.errstate(invalid="ignore", divide="ignore"):
        s = ((ht - ha) * (2.0 * radius + ha + ht) - r * r) / (2.0 * a * r)
        return np.degrees(np.where(np.abs(s) <= 1.0, np.arcsin(s), np.nan))
