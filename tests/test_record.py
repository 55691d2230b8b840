"""Result files: a column built from its buffers equals what ``pa.array`` would build."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gbad.record import table_from_columns

NUMERIC = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_])


@given(hnp.arrays(NUMERIC, hnp.array_shapes(max_dims=1, min_side=0, max_side=40)))
def test_a_numeric_column_matches_pa_array_nan_kept_as_a_value(values):
    column = table_from_columns({"x": values})["x"].combine_chunks()
    expected = pa.array(values)
    assert column.type == expected.type
    # (Arrow's equals calls NaN unequal to itself; NumPy's comparison here does not)
    np.testing.assert_array_equal(column.to_numpy(zero_copy_only=False), values)
    assert column.null_count == 0


@given(st.lists(st.text(max_size=12), max_size=30))
def test_a_string_column_matches_pa_array_unicode_included(values):
    for arr in (np.array(values, dtype=object), np.array(values, dtype=str)):
        column = table_from_columns({"s": arr})["s"].combine_chunks()
        # (a NumPy str array drops trailing NULs: compare with what it holds)
        assert column.equals(pa.array(arr.tolist(), type=pa.string()))


def test_a_strided_column_and_missing_strings_keep_their_values():
    grid = np.arange(12.0).reshape(3, 4)
    column = table_from_columns({"x": grid[:, 1]})["x"].combine_chunks()
    assert column.to_pylist() == [1.0, 5.0, 9.0]
    names = np.array(["a", None, "c"], dtype=object)
    column = table_from_columns({"s": names})["s"].combine_chunks()
    assert column.to_pylist() == ["a", None, "c"]
    assert column.null_count == 1


def test_every_table_says_it_is_simulated():
    meta = table_from_columns({"x": np.zeros(2)}).schema.metadata
    assert meta[b"gbad.simulated"] == b"true"
