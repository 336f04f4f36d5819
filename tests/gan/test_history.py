import math

import numpy as np
import pytest

from ganlab.gan.history import BoundedHistory


def test_capacity_must_be_even_and_at_least_four():
    for bad in (2, 5, 0):
        with pytest.raises(ValueError, match="capacity"):
            BoundedHistory(["x"], capacity=bad)
    assert BoundedHistory(["x"], capacity=4).capacity == 4


def test_empty():
    h = BoundedHistory(["a", "b"], capacity=4)
    assert len(h) == 0
    assert h.last() == {}
    out = h.to_arrays()
    assert set(out) == {"step", "a", "b"}
    assert all(len(v) == 0 for v in out.values())


def test_rows_until_full_are_the_raw_values():
    h = BoundedHistory(["a", "b"], capacity=4)
    h.append(1, {"a": 1.0, "b": 10.0})
    h.append(2, {"a": 3.0, "b": 20.0, "ignored": 99.0})
    out = h.to_arrays()
    np.testing.assert_array_equal(out["step"], [1, 2])
    np.testing.assert_array_equal(out["a"], [1.0, 3.0])
    np.testing.assert_array_equal(out["b"], [10.0, 20.0])
    assert h.last() == {"a": 3.0, "b": 20.0}


def test_halving_when_full_keeps_capacity_and_doubles_stride():
    h = BoundedHistory(["x"], capacity=4)
    for s in range(1, 5):
        h.append(s, {"x": float(s)})
    assert (len(h), h.stride) == (4, 1)
    # step 5 finds the table full: pairs merge -> (1+2)/2 @2, (3+4)/2 @4; stride 2.
    # Step 5 alone is half a stride-2 bucket, so it waits for step 6.
    h.append(5, {"x": 5.0})
    assert (len(h), h.stride, h.capacity) == (2, 2, 4)
    np.testing.assert_array_equal(h.to_arrays()["step"], [2, 4])
    np.testing.assert_array_equal(h.to_arrays()["x"], [1.5, 3.5])
    h.append(6, {"x": 6.0})  # (5+6)/2 = 5.5 @6
    for s in (7, 8):  # (7+8)/2 = 7.5 @8
        h.append(s, {"x": float(s)})
    np.testing.assert_array_equal(h.to_arrays()["step"], [2, 4, 6, 8])
    np.testing.assert_array_equal(h.to_arrays()["x"], [1.5, 3.5, 5.5, 7.5])
    # second halving at step 9: (1.5+3.5)/2 = 2.5 @4 (mean of 1..4), (5.5+7.5)/2 = 6.5 @8 (mean of 5..8)
    for s in range(9, 13):  # then steps 9..12 make one stride-4 bucket: 10.5 @12
        h.append(s, {"x": float(s)})
    assert (len(h), h.stride) == (3, 4)
    np.testing.assert_array_equal(h.to_arrays()["step"], [4, 8, 12])
    np.testing.assert_array_equal(h.to_arrays()["x"], [2.5, 6.5, 10.5])
    assert h.last() == {"x": 10.5}


def test_bucket_averages_each_column_over_the_steps_that_have_it():
    h = BoundedHistory(["d_loss", "g_loss"], capacity=4)
    h.stride = 3  # buckets of three steps
    h.append(1, {"d_loss": 1.0})  # a D-only step
    h.append(2, {"d_loss": 2.0, "g_loss": 10.0})
    h.append(3, {"d_loss": 6.0, "g_loss": 20.0})
    # d_loss: (1 + 2 + 6) / 3 = 3; g_loss: (10 + 20) / 2 = 15 (only the steps that had it)
    out = h.to_arrays()
    np.testing.assert_array_equal(out["step"], [3])
    assert (out["d_loss"][0], out["g_loss"][0]) == (3.0, 15.0)
    h.append(4, {"d_loss": 1.0})
    h.append(5, {"d_loss": 1.0})
    h.append(6, {"d_loss": 4.0})
    out = h.to_arrays()
    assert out["d_loss"][1] == pytest.approx(2.0)
    assert math.isnan(out["g_loss"][1])  # no step in the bucket had it
    assert h.last() == {"d_loss": 2.0}  # NaN columns are left out


def test_merging_keeps_nan_columns_apart():
    h = BoundedHistory(["a", "b"], capacity=4)
    h.append(1, {"a": 1.0})
    h.append(2, {"a": 3.0, "b": 8.0})
    h.append(3, {"a": 5.0})
    h.append(4, {"a": 7.0})
    h.append(5, {"a": 9.0})  # halves
    out = h.to_arrays()
    np.testing.assert_array_equal(out["a"], [2.0, 6.0])
    assert out["b"][0] == 8.0  # nanmean of (nan, 8)
    assert math.isnan(out["b"][1])  # all-NaN pair stays NaN


def test_to_arrays_is_a_copy():
    h = BoundedHistory(["x"], capacity=4)
    h.append(1, {"x": 1.0})
    out = h.to_arrays()
    out["x"][0] = 42.0
    out["step"][0] = 42
    assert h.to_arrays()["x"][0] == 1.0
    assert h.to_arrays()["step"][0] == 1


def test_memory_flat_after_100k_appends():
    capacity = 64
    h = BoundedHistory(["x", "y"], capacity=capacity)
    values_shape = h._values.shape
    n = 100_000
    for s in range(1, n + 1):
        h.append(s, {"x": float(s), "y": 1.0})
        assert len(h) <= capacity
    assert h._values.shape == values_shape and h._steps.shape == (capacity,)
    # 100k steps need stride 2048 to fit in 64 rows (64 * 1024 = 65,536 < 100k <= 131,072)
    assert h.stride == 2048
    out = h.to_arrays()
    steps, x = out["step"], out["x"]
    assert len(steps) == n // h.stride  # 48 complete buckets of 2048 steps
    # each row is the mean of exactly the `stride` steps it ends: x = step - (stride - 1) / 2
    np.testing.assert_array_equal(steps, np.arange(1, len(steps) + 1) * h.stride)
    np.testing.assert_allclose(x, steps - (h.stride - 1) / 2)
    np.testing.assert_array_equal(out["y"], np.ones(len(steps)))
