"""Effective-earth (4/3) model against published values and closed forms.

Authorities:
- MATLAB Radar Toolbox documentation examples (docs/references.md): ``height2range``,
  ``height2grndrange``, ``range2height`` / ``el2height`` and ``height2el``. MATLAB
  prints them in ``format short``, five significant digits, so the true value
  lies within half a unit of the last printed digit: that half unit is the
  tolerance (0.5 m for 2.7125e+04, 0.05 m for 7.9325e+03, 5e-5 deg for 0.5129).
- The effective radius 1 / (1/R + dN/dh) with R = 6371 km and -39e-9 /m, printed
  as 8.4774e+06 m (docs/references.md; MATLAB ``effearthradius``).
- The radar horizon closed form sqrt(2 R h) and the 4.12 sqrt(h) km rule of thumb.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gbad.earth import refraction as rf

R_EFF = rf.EFFECTIVE_EARTH_RADIUS_M


def test_effective_radius_standard_gradient() -> None:
    # docs/references.md: -39e-9 /m -> ~8.4774e6 m, printed with 5 significant digits (+-50 m).
    # Measured: 8,477,361.5 m (|diff| 38.5 m from the printed 8.4774e6).
    assert abs(rf.effective_earth_radius_m() - 8.4774e6) <= 50.0
    assert R_EFF == pytest.approx(1.0 / (1.0 / 6371000.0 - 39e-9), rel=1e-15)
    # The k-factor form gives the same radius for the same k.
    assert rf.k_factor() == pytest.approx(R_EFF / 6371000.0, rel=1e-15)
    assert rf.effective_earth_radius_from_k_m(rf.k_factor()) == pytest.approx(R_EFF, rel=1e-15)
    # Vectorised over gradients; no bending (0 /m) is the Earth itself.
    radii = rf.effective_earth_radius_m(np.array([0.0, -39e-9, -100e-9]))
    assert radii.shape == (3,)
    assert radii[0] == pytest.approx(6371000.0, rel=1e-15)
    assert np.all(np.diff(radii) > 0.0)


def test_ducting_gradient_is_an_error() -> None:
    # Below -1/R (~-157e-9 /m) rays bend more than the Earth: no finite effective radius.
    with pytest.raises(ValueError, match="ducting"):
        rf.effective_earth_radius_m(-200e-9)
    with pytest.raises(ValueError, match="k must be finite and > 0"):
        rf.effective_earth_radius_from_k_m(-1.0)


def test_matlab_height2range_and_height2grndrange() -> None:
    # MATLAB: height2range(1e3, 10, 2) = 2.7125e+04 m and
    # height2grndrange(1e3, 10, 2) = 2.7106e+04 m (4/3 effective earth). Tolerance
    # 0.5 m (half the last printed digit). Measured: 27,125.34 m and 27,105.67 m.
    slant = rf.slant_range_m(1000.0, 2.0, 10.0)
    ground = rf.ground_range_m(slant, 2.0, 10.0)
    assert abs(slant - 27125.0) <= 0.5
    assert abs(ground - 27106.0) <= 0.5


def test_matlab_range2height() -> None:
    # MATLAB: range2height(300e3, 10, 0.5) = el2height(0.5, 10, 300e3) = 7.9325e+03 m.
    # Tolerance 0.05 m (half the last printed digit). Measured: 7,932.508 m.
    assert abs(rf.target_height_m(300e3, 0.5, 10.0) - 7932.5) <= 0.05


def test_matlab_height2el() -> None:
    # MATLAB: height2el(8e3, 10, 300e3) = 0.5129 deg. Tolerance 5e-5 deg.
    # Measured: 0.512903 deg.
    assert abs(rf.elevation_from_slant_range_deg(300e3, 10.0, 8000.0) - 0.5129) <= 5e-5


def test_matlab_values_need_the_gradient_radius_not_exactly_four_thirds() -> None:
    # MATLAB calls its default "4/3 earth" but its printed values come from the
    # -39e-9 /m radius; exactly 4/3 * 6371 km gives 7,921.7 m, 10.8 m off.
    four_thirds = rf.effective_earth_radius_from_k_m(4.0 / 3.0)
    assert abs(rf.target_height_m(300e3, 0.5, 10.0, radius_m=four_thirds) - 7932.5) > 10.0


@pytest.mark.parametrize("h", [1.0, 10.0, 100.0, 1000.0, 10000.0])
def test_horizon_closed_form(h: float) -> None:
    # Closed form: the tangent length sqrt((R + h)^2 - R^2) = sqrt(2 R h) * sqrt(1 + h / 2R),
    # so the relative excess over sqrt(2 R h) is h / (4 R) to first order.
    horizon = rf.radar_horizon_range_m(h)
    approx = math.sqrt(2.0 * R_EFF * h)
    assert horizon / approx - 1.0 == pytest.approx(h / (4.0 * R_EFF), rel=1e-3)
    # Both ends add: antenna and target at the same height see twice as far.
    assert rf.radar_horizon_range_m(h, h) == pytest.approx(2.0 * horizon, rel=1e-15)
    # Over the ground the horizon is R * acos(R / (R + h)) (closed form), a bit shorter.
    ground = rf.radar_horizon_ground_range_m(h)
    assert ground == pytest.approx(R_EFF * math.acos(R_EFF / (R_EFF + h)), rel=1e-9)
    assert ground < horizon


def test_horizon_rule_of_thumb() -> None:
    # Rule of thumb for the 4/3 earth: horizon ~ 4.12 sqrt(h[m]) km (e.g. Skolnik,
    # Introduction to Radar Systems), quoted to 3 digits: +-0.005 on the 4.12.
    # Measured: 4.1176.
    h = np.array([1.0, 4.0, 25.0, 100.0])
    coeff_km = rf.radar_horizon_range_m(h) / 1000.0 / np.sqrt(h)
    assert np.all(np.abs(coeff_km - 4.12) <= 0.005)


def test_horizon_is_where_elevation_grazes() -> None:
    # At the horizon ground range the ray to a target on the ground leaves the
    # antenna at the dip angle -acos(R / (R + h)) (closed form).
    h = np.array([5.0, 30.0, 300.0])
    d = rf.radar_horizon_ground_range_m(h)
    el = rf.elevation_from_ground_range_deg(d, h, 0.0)
    np.testing.assert_allclose(el, -np.degrees(np.arccos(R_EFF / (R_EFF + h))), rtol=1e-9)


def test_flat_earth_limit() -> None:
    # With an enormous radius the geometry is plane trigonometry (closed form):
    # h_t = h_a + r sin(el), ground range = r cos(el). 1 mm.
    r = np.array([1e3, 3e4, 1e5])
    el = np.array([0.5, 10.0, 45.0])
    big = 1e15
    np.testing.assert_allclose(
        rf.target_height_m(r, el, 10.0, radius_m=big), 10.0 + r * np.sin(np.radians(el)), atol=1e-3
    )
    np.testing.assert_allclose(
        rf.ground_range_m(r, el, 10.0, radius_m=big), r * np.cos(np.radians(el)), atol=1e-3
    )


def test_slant_range_unreachable_is_nan_and_bad_input_raises() -> None:
    # A rising ray never comes down to a target below the antenna.
    out = rf.slant_range_m(np.array([5.0, 1000.0]), 1.0, 10.0)
    assert np.isnan(out[0])
    assert np.isfinite(out[1])
    # Horizontal at the antenna's own height: the ray starts there.
    assert rf.slant_range_m(10.0, 0.0, 10.0) == 0.0
    with pytest.raises(ValueError, match="slant_range_m must be >= 0"):
        rf.target_height_m(np.array([1.0, -2.0]), 1.0, 10.0)
    with pytest.raises(ValueError, match="radius_m must be finite and > 0"):
        rf.ground_range_m(1e3, 1.0, 10.0, radius_m=0.0)


@settings(max_examples=300, deadline=None)
@given(
    r=st.floats(0.0, 500e3),
    el=st.floats(0.0, 89.0),
    ha=st.floats(0.0, 3000.0),
)
def test_height_range_round_trips(r: float, el: float, ha: float) -> None:
    # Properties: slant_range_m inverts target_height_m for a rising ray (1 mm);
    # the elevation from slant range, or from ground range, gives el back (1e-9 deg).
    ht = rf.target_height_m(r, el, ha)
    # Plus what the height's own rounding (half an ulp, ε) is worth in range: ε over the
    # height's rise per metre, sin(el) + r/R_eff, and never more than √(2·R_eff·ε), where
    # a grazing ray rises as r²/(2·R_eff). Negligible but on a level ray a few mm long
    # (r = 1 mm, el = 0: the height moves 6e-14 m, under an ulp of 1,024 m).
    eps = 0.5 * float(np.spacing(ht))
    k_r = rf.EFFECTIVE_EARTH_RADIUS_M
    rise = math.sin(math.radians(el)) + r / k_r
    rounding = min(eps / rise if rise > 0 else math.inf, math.sqrt(2.0 * k_r * eps))
    assert abs(rf.slant_range_m(ht, el, ha) - r) < 1e-3 + rounding
    if r > 1.0:
        assert abs(rf.elevation_from_slant_range_deg(r, ha, ht) - el) < 1e-9
        d = rf.ground_range_m(r, el, ha)
        assert abs(rf.elevation_from_ground_range_deg(d, ha, ht) - el) < 1e-9


def test_vectorised_broadcasting() -> None:
    # One antenna, a grid of ranges and elevations: (3, 1) x (4,) -> (3, 4).
    r = np.array([[1e3], [1e4], [1e5]])
    el = np.array([0.0, 1.0, 5.0, 30.0])
    h = rf.target_height_m(r, el, 20.0)
    assert h.shape == (3, 4)
    np.testing.assert_allclose(rf.slant_range_m(h, el, 20.0), np.broadcast_to(r, (3, 4)), atol=1e-6)
