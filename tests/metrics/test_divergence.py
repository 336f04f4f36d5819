import math

import numpy as np
import pytest

from ganlab.metrics.divergence import histogram_probs, js_divergence, kl_divergence, point_cloud_divergences

BOUNDS = (-1.0, 1.0, -1.0, 1.0)


def cloud(n=400, seed=0, shift=(0.0, 0.0), scale=0.3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) * scale + np.asarray(shift)


def test_identical_histograms_have_zero_divergence():
    x = cloud()
    out = point_cloud_divergences(x, x.copy(), BOUNDS, bins=8)
    assert out["kl"] == pytest.approx(0.0, abs=1e-12)
    assert out["js"] == pytest.approx(0.0, abs=1e-12)
    p = histogram_probs(x, BOUNDS, 8)
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert js_divergence(p, p) == pytest.approx(0.0, abs=1e-12)


def test_disjoint_clouds_have_js_ln2():
    left = np.full((50, 2), -0.5)  # one cell
    right = np.full((70, 2), 0.5)  # another cell
    out = point_cloud_divergences(left, right, BOUNDS, bins=4)
    assert out["js"] == pytest.approx(math.log(2))
    # KL is smoothed, so finite (and large)
    assert math.isfinite(out["kl"])
    # unsmoothed KL of disjoint supports is infinite
    assert kl_divergence(histogram_probs(left, BOUNDS, 4), histogram_probs(right, BOUNDS, 4)) == math.inf


def test_histogram_has_overflow_bin_and_total_mass_one():
    pts = np.array([
        [0.1, 0.1], [0.2, 0.2],  # inside
        [5.0, 0.0], [0.0, -3.0],  # outside the bounds
        [1.0, 0.0],  # on the upper x edge: bins are half-open [x0, x1), so overflow
        [np.nan, 0.0],  # not finite: overflow
    ])
    p = histogram_probs(pts, BOUNDS, bins=2)
    assert p.shape == (2 * 2 + 1,)
    assert p.sum() == pytest.approx(1.0)
    # cells in x-major order: (x<0,y<0), (x<0,y>=0), (x>=0,y<0), (x>=0,y>=0), overflow
    np.testing.assert_allclose(p, [0, 0, 0, 2 / 6, 4 / 6])


def test_histogram_cell_order_and_lower_edge():
    pts = np.array([[-1.0, -1.0], [-0.5, 0.5], [0.5, -0.5], [0.5, -0.5]])
    np.testing.assert_allclose(histogram_probs(pts, BOUNDS, bins=2), [0.25, 0.25, 0.5, 0.0, 0.0])


def test_smoothing_adds_alpha_counts_per_cell():
    # 2 points in one of 4 + 1 cells, alpha 0.5: counts (2.5, .5, .5, .5, .5) / 4.5
    p = histogram_probs(np.array([[-0.5, -0.5]] * 2), BOUNDS, bins=2, alpha=0.5)
    np.testing.assert_allclose(p, np.array([2.5, 0.5, 0.5, 0.5, 0.5]) / 4.5)


def test_kl_two_bin_hand_worked():
    # KL((3/4, 1/4) || (1/2, 1/2)) = 3/4 ln(3/2) + 1/4 ln(1/2)
    p, q = np.array([0.75, 0.25]), np.array([0.5, 0.5])
    assert kl_divergence(p, q) == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    # KL((1, 0) || (1/2, 1/2)) = ln 2; the empty bin of p contributes 0
    assert kl_divergence(np.array([1.0, 0.0]), q) == pytest.approx(math.log(2))
    # asymmetric: KL((1/2, 1/2) || (3/4, 1/4)) = 1/2 ln(2/3) + 1/2 ln 2
    assert kl_divergence(q, p) == pytest.approx(0.5 * math.log(2 / 3) + 0.5 * math.log(2))


def test_js_two_bin_hand_worked():
    # p = (1, 0), q = (1/2, 1/2), m = (3/4, 1/4)
    # JS = 1/2 [1 ln(1/(3/4))] + 1/2 [1/2 ln((1/2)/(3/4)) + 1/2 ln((1/2)/(1/4))]
    p, q = np.array([1.0, 0.0]), np.array([0.5, 0.5])
    expected = 0.5 * math.log(4 / 3) + 0.5 * (0.5 * math.log(2 / 3) + 0.5 * math.log(2))
    assert js_divergence(p, q) == pytest.approx(expected)
    assert js_divergence(q, p) == pytest.approx(expected)  # symmetric


def test_point_cloud_kl_is_on_smoothed_histograms():
    # real: 2 points in cell 0; fake: 2 points in cell 3; 2x2 bins + overflow, alpha 0.5
    real = np.array([[-0.5, -0.5]] * 2)
    fake = np.array([[0.5, 0.5]] * 2)
    p = np.array([2.5, 0.5, 0.5, 0.5, 0.5]) / 4.5
    q = np.array([0.5, 0.5, 0.5, 2.5, 0.5]) / 4.5
    expected_kl = float(np.sum(p * np.log(p / q)))  # = (2.5 ln 5 + 0.5 ln 0.2) / 4.5
    assert expected_kl == pytest.approx((2.5 * math.log(5) + 0.5 * math.log(0.2)) / 4.5)
    out = point_cloud_divergences(real, fake, BOUNDS, bins=2, alpha=0.5)
    assert out["kl"] == pytest.approx(expected_kl)
    assert out["js"] == pytest.approx(math.log(2))


def test_divergence_grows_with_shift():
    real = cloud(seed=1)
    near = point_cloud_divergences(real, cloud(seed=2, shift=(0.1, 0.0)), BOUNDS, bins=8)
    far = point_cloud_divergences(real, cloud(seed=2, shift=(0.6, 0.0)), BOUNDS, bins=8)
    assert far["js"] > near["js"] > 0
    assert far["kl"] > near["kl"] > 0
    assert far["js"] <= math.log(2)
