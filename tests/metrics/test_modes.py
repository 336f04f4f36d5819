import math

import numpy as np
import pytest

from ganlab.data.toy import get_toy
from ganlab.metrics.modes import kl_to_reference, mode_stats, nearest_mode

RING = get_toy("ring")
CENTRES, SD = RING.centres, RING.sd  # 8 centres at radius 1, sd 0.01


def test_all_samples_on_every_centre():
    samples = np.repeat(CENTRES, 10, axis=0)  # 10 exactly at each of the 8 centres
    s = mode_stats(samples, CENTRES, SD)
    assert (s.modes_covered, s.modes_total) == (8, 8)
    assert s.high_quality == pytest.approx(1.0)
    assert s.mode_kl == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(s.counts, np.full(8, 10))


def test_all_samples_at_one_centre_is_full_collapse():
    samples = np.repeat(CENTRES[3:4], 50, axis=0)
    s = mode_stats(samples, CENTRES, SD)
    assert s.modes_covered == 1
    assert s.high_quality == pytest.approx(1.0)
    # p = (0,0,0,1,0,0,0,0), q uniform: KL = 1 * log(1 / (1/8)) = log 8
    assert s.mode_kl == pytest.approx(math.log(8))
    np.testing.assert_array_equal(s.counts, [0, 0, 0, 50, 0, 0, 0, 0])


def test_points_three_and_a_half_sd_away_are_not_high_quality():
    # centre 0 is (1, 0); move outwards along the radius
    inside = CENTRES[0] + np.array([2.9 * SD[0], 0.0])
    outside = CENTRES[0] + np.array([3.5 * SD[0], 0.0])
    s = mode_stats(np.array([inside, outside, outside, outside]), CENTRES, SD)
    assert s.high_quality == pytest.approx(0.25)
    assert s.modes_covered == 1
    np.testing.assert_array_equal(s.counts, [1, 0, 0, 0, 0, 0, 0, 0])
    only_far = mode_stats(np.array([outside] * 4), CENTRES, SD)
    assert (only_far.modes_covered, only_far.high_quality) == (0, 0.0)
    # still assigned to mode 0 for the KL: everything in one mode -> log 8
    assert only_far.mode_kl == pytest.approx(math.log(8))


def test_k_and_min_count():
    pt = CENTRES[0] + np.array([3.5 * SD[0], 0.0])
    assert mode_stats(pt[None], CENTRES, SD, k=4.0).high_quality == pytest.approx(1.0)
    samples = np.concatenate([np.repeat(CENTRES[:2], 3, axis=0), CENTRES[2:3]])  # 3, 3, 1
    assert mode_stats(samples, CENTRES, SD, min_count=1).modes_covered == 3
    assert mode_stats(samples, CENTRES, SD, min_count=2).modes_covered == 2
    assert mode_stats(samples, CENTRES, SD, min_count=4).modes_covered == 0


def test_mode_kl_against_skewed_weights():
    # two modes with weights q = (0.8, 0.2)
    centres = np.array([[0.0, 0.0], [5.0, 0.0]])
    sd = np.array([0.1, 0.1])
    weights = np.array([0.8, 0.2])
    # matching histogram 8:2 -> KL 0
    s = mode_stats(np.array([centres[0]] * 8 + [centres[1]] * 2), centres, sd, weights)
    assert s.mode_kl == pytest.approx(0.0, abs=1e-12)
    # uniform histogram 5:5 -> 0.5 log(0.5/0.8) + 0.5 log(0.5/0.2)
    s = mode_stats(np.array([centres[0]] * 5 + [centres[1]] * 5), centres, sd, weights)
    assert s.mode_kl == pytest.approx(0.5 * math.log(0.5 / 0.8) + 0.5 * math.log(0.5 / 0.2))
    # all on the rare mode -> log(1 / 0.2) = log 5
    s = mode_stats(np.array([centres[1]] * 4), centres, sd, weights)
    assert s.mode_kl == pytest.approx(math.log(5))


def test_kl_to_reference_hand_worked():
    # p = (3/4, 1/4, 0), q = (1/2, 1/4, 1/4): 3/4 log(3/2) + 1/4 log(1) + 0
    assert kl_to_reference(np.array([3.0, 1.0, 0.0]), np.array([0.5, 0.25, 0.25])) == pytest.approx(0.75 * math.log(1.5))
    assert math.isnan(kl_to_reference(np.zeros(3), np.full(3, 1 / 3)))


def test_non_finite_samples_count_against_quality_but_not_assignment():
    samples = np.array([CENTRES[0], CENTRES[1], [np.nan, 0.0], [np.inf, np.inf]])
    s = mode_stats(samples, CENTRES, SD)
    assert s.high_quality == pytest.approx(0.5)
    assert s.modes_covered == 2
    # assignments (1, 1, 0, ...) -> KL = 2 * 0.5 log(0.5 / (1/8)) = log 4
    assert s.mode_kl == pytest.approx(math.log(4))


def test_all_non_finite_samples():
    s = mode_stats(np.full((5, 2), np.nan), CENTRES, SD)
    assert (s.modes_covered, s.modes_total, s.high_quality) == (0, 8, 0.0)
    assert math.isnan(s.mode_kl)
    np.testing.assert_array_equal(s.counts, np.zeros(8))


def test_nearest_mode():
    centres = np.array([[0.0, 0.0], [3.0, 4.0]])
    idx, dist = nearest_mode(np.array([[0.0, 1.0], [3.0, 5.0], [6.0, 8.0]]), centres)
    np.testing.assert_array_equal(idx, [0, 1, 1])
    np.testing.assert_allclose(dist, [1.0, 1.0, 5.0])


def test_true_ring_samples_score_well():
    import torch

    x = RING.sample(4000, torch.Generator().manual_seed(0)).numpy()
    s = mode_stats(x, CENTRES, SD)
    assert s.modes_covered == 8
    # P(|N(0, I_2)| <= 3) = 1 - e^-4.5 ~ 0.9889
    assert s.high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    assert s.mode_kl == pytest.approx(0.0, abs=0.01)
