import math

import numpy as np
import pytest
import torch

from ganlab.data.toy import TOY_DISTRIBUTIONS, get_toy, grid, ring, skewed_mix
from ganlab.metrics.modes import nearest_mode


def _distinct_rows(a: np.ndarray, decimals: int = 6) -> int:
    return len(np.unique(np.round(a, decimals) + 0.0, axis=0))  # + 0.0 folds -0.0 into 0.0


def test_ring_has_eight_distinct_evenly_spaced_centres_at_radius_one():
    d = get_toy("ring")
    c = d.centres
    assert c.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), np.ones(8), atol=1e-12)
    # a linspace(0, 2pi, 8) ring repeats its first centre and has only 7 distinct modes
    assert _distinct_rows(c) == 8
    # consecutive angles 2pi/8 apart; every pair of neighbours 2 sin(pi/8) apart
    angles = np.sort(np.mod(np.arctan2(c[:, 1], c[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), np.full(7, 2 * np.pi / 8), atol=1e-12)
    dists = np.linalg.norm(c[:, None] - c[None], axis=-1) + np.eye(8) * 10
    np.testing.assert_allclose(dists.min(1), np.full(8, 2 * math.sin(math.pi / 8)), atol=1e-12)
    np.testing.assert_allclose(d.sd, np.full(8, 0.01))
    np.testing.assert_allclose(d.mode_weights, np.full(8, 1 / 8))


def test_ring_parameters():
    d = ring(modes=5, radius=2.0, sd=0.02)
    assert d.centres.shape == (5, 2)
    assert _distinct_rows(d.centres) == 5
    np.testing.assert_allclose(np.linalg.norm(d.centres, axis=1), np.full(5, 2.0), atol=1e-12)
    assert d.bounds == (-3.0, 3.0, -3.0, 3.0)


def test_grid_has_25_centres_on_even_lattice():
    d = get_toy("grid")
    assert d.centres.shape == (25, 2)
    assert _distinct_rows(d.centres) == 25
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(map(float, row)) for row in d.centres} == {tuple(map(float, p)) for p in expected}
    np.testing.assert_allclose(d.sd, np.full(25, 0.05))
    assert grid(sd=0.1).sd[0] == pytest.approx(0.1)


def test_skewed_mix_weights():
    d = skewed_mix()
    np.testing.assert_allclose(d.mode_weights, [0.8, 0.2])
    x = d.sample(20000, torch.Generator().manual_seed(0)).numpy()
    idx, _ = nearest_mode(x, d.centres)
    share = np.bincount(idx, minlength=2) / len(x)
    # binomial sd at n = 20000: sqrt(0.16 / 20000) ~ 0.003
    np.testing.assert_allclose(share, [0.8, 0.2], atol=0.015)


@pytest.mark.parametrize("name", sorted(TOY_DISTRIBUTIONS))
def test_sample_shapes_dtype_and_bounds(name):
    d = TOY_DISTRIBUTIONS[name]
    assert d.name == name and d.label
    x = d.sample(500, torch.Generator().manual_seed(1))
    assert x.shape == (500, 2)
    assert x.dtype == torch.float32
    assert torch.isfinite(x).all()
    x0, x1, y0, y1 = d.bounds
    inside = (x[:, 0] > x0) & (x[:, 0] < x1) & (x[:, 1] > y0) & (x[:, 1] < y1)
    assert inside.float().mean().item() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("name", sorted(TOY_DISTRIBUTIONS))
def test_seeded_sampling_is_reproducible(name):
    d = TOY_DISTRIBUTIONS[name]
    a = d.sample(64, torch.Generator().manual_seed(5))
    b = d.sample(64, torch.Generator().manual_seed(5))
    c = d.sample(64, torch.Generator().manual_seed(6))
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, c)
    # no generator: a fixed default seed
    torch.testing.assert_close(d.sample(16), d.sample(16))


@pytest.mark.parametrize("name", ["ring", "grid", "skewed"])
def test_samples_lie_near_their_centres_and_cover_every_mode(name):
    d = get_toy(name)
    x = d.sample(5000, torch.Generator().manual_seed(2)).numpy()
    idx, dist = nearest_mode(x, d.centres)
    # |noise| of a 2D Gaussian beyond 5 sd has probability e^-12.5 ~ 4e-6
    assert (dist <= 5 * d.sd[idx]).all()
    counts = np.bincount(idx, minlength=len(d.centres))
    assert (counts > 0).all()
    expected = d.mode_weights * len(x)
    # each count within 5 binomial sd of its expectation
    assert (np.abs(counts - expected) <= 5 * np.sqrt(expected)).all()


def test_ring_samples_spread_over_the_sd():
    d = get_toy("ring")
    x = d.sample(20000, torch.Generator().manual_seed(3)).numpy()
    idx, _ = nearest_mode(x, d.centres)
    offsets = x - d.centres[idx]
    np.testing.assert_allclose(offsets.std(0), [0.01, 0.01], rtol=0.05)
    np.testing.assert_allclose(offsets.mean(0), [0.0, 0.0], atol=5e-4)


def test_continuous_distributions_have_no_modes():
    for name in ("moons", "spiral", "circles", "line"):
        d = get_toy(name)
        assert not d.has_modes
        with pytest.raises(ValueError, match="no discrete modes"):
            _ = d.mode_weights
    assert get_toy("ring").has_modes


def test_get_toy_unknown_lists_choices():
    with pytest.raises(KeyError, match="unknown 2D dataset 'swissroll'.*ring"):
        get_toy("swissroll")
