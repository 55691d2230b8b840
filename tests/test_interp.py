"""`gbad.interp.pchip` against SciPy's `PchipInterpolator`, the authority it replaces: the
same numbers to the bit, so every C_D table (and so every trajectory) is unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.interpolate import PchipInterpolator

from gbad.engagement.profiles import INTERCEPTORS
from gbad.interp import pchip
from gbad.world.munitions import MUNITIONS


def test_every_drag_table_is_scipys_to_the_bit():
    mach = np.arange(0.0, 12.0, 0.005)
    tables = [p.cd_mach for p in MUNITIONS.values()] + [p.cd_mach for p in INTERCEPTORS.values()]
    for table in tables:
        m = np.array([q[0] for q in table])
        c = np.array([q[1] for q in table])
        x = np.clip(mach, m[0], m[-1])
        np.testing.assert_array_equal(pchip(m, c, x), PchipInterpolator(m, c, extrapolate=False)(x))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-10_000, 10_000), min_size=2, max_size=12, unique=True),
    st.data(),
)
def test_random_curves_are_scipys_to_the_bit(xs, data):
    x = np.sort(np.array(xs)) / 7.0  # knots a table's spacing apart, not 1e-200
    n = len(x)
    # Rises, falls, flats and repeated values: every branch of the end and inner slopes.
    # (Values in thousandths, as a table's are written: a slope of 1e-308 would overflow
    # SciPy's own harmonic mean as much as this one's.)
    values = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0]) | st.integers(
        -1_000_000, 1_000_000
    ).map(lambda i: i / 1000.0)
    y = np.array(data.draw(st.lists(values, min_size=n, max_size=n)))
    at = np.concatenate([x, (x[:-1] + x[1:]) / 2, [x[0] - 1.0, x[-1] + 1.0]])
    np.testing.assert_array_equal(pchip(x, y, at), PchipInterpolator(x, y, extrapolate=False)(at))


def test_bad_points_are_refused_with_the_rule():
    with pytest.raises(ValueError, match="strictly ascending"):
        pchip([0.0, 0.0, 1.0], [1.0, 2.0, 3.0], [0.5])
    with pytest.raises(ValueError, match="strictly ascending"):
        pchip([0.0], [1.0], [0.5])
