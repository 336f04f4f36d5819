"""Nearest neighbours on constructed sets whose answers are worked by hand."""

import pytest
import torch
from torch.testing import assert_close

from ganlab.data.images import ImageDataset
from ganlab.metrics.nearest import nearest_neighbours


def flat_images(levels, size=2):
    """One constant (1, size, size) image per level."""
    return torch.tensor(levels, dtype=torch.float32)[:, None, None, None].expand(-1, 1, size, size).clone()


def test_constant_images_hand_worked():
    refs = flat_images([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    queries = flat_images([0.23, 0.86])
    out = nearest_neighbours(queries, refs, k=3)
    assert out.indices.tolist() == [[2, 3, 1], [9, 8, 7]]
    # 4 pixels each 0.03 away: sqrt(4 * 0.03^2) = 0.06; per pixel 0.03
    assert_close(out.distances[0], torch.tensor([0.06, 0.14, 0.26]), atol=1e-6, rtol=0)
    assert_close(out.rms[0], torch.tensor([0.03, 0.07, 0.13]), atol=1e-6, rtol=0)
    assert_close(out.distances[1], torch.tensor([0.08, 0.12, 0.32]), atol=1e-6, rtol=0)


def test_an_exact_copy_is_found_at_distance_zero_whatever_the_chunking():
    g = torch.Generator().manual_seed(0)
    refs = torch.rand(50, 1, 4, 4, generator=g) * 2 - 1
    queries = torch.stack([refs[17], refs[42] + 0.001])
    for chunk in (1, 7, 50, 4096):
        out = nearest_neighbours(queries, refs, k=2, chunk=chunk)
        assert out.indices[:, 0].tolist() == [17, 42]
        assert out.distances[0, 0].item() == pytest.approx(0.0, abs=1e-6)
        assert out.distances[1, 0].item() == pytest.approx(0.004, rel=1e-3)  # 16 pixels * 0.001


def test_matches_brute_force_on_random_sets():
    g = torch.Generator().manual_seed(1)
    refs = torch.randn(300, 3, 5, 5, generator=g)
    queries = torch.randn(9, 3, 5, 5, generator=g)
    out = nearest_neighbours(queries, refs, k=4, chunk=64)
    brute = torch.cdist(queries.reshape(9, -1).double(), refs.reshape(300, -1).double())
    d, i = brute.topk(4, largest=False)
    assert out.indices.tolist() == i.tolist()
    assert_close(out.distances, d.float())


def test_ties_go_to_the_lower_index_across_chunks():
    refs = flat_images([0.5, 0.1, 0.5, 0.5])
    out = nearest_neighbours(flat_images([0.5]), refs, k=3, chunk=1)
    assert out.indices.tolist() == [[0, 2, 3]]


def test_uint8_training_images_through_the_dataset_transform():
    images = torch.tensor([0, 128, 255], dtype=torch.uint8)[:, None, None, None].expand(-1, 1, 3, 3).clone()
    dataset = ImageDataset(images)
    out = nearest_neighbours(torch.full((1, 1, 3, 3), 1.0), dataset.images, k=5, transform=dataset.to_float)
    assert out.indices.tolist() == [[2, 1, 0]]  # k is capped at the set's size
    assert out.distances[0, 0].item() == pytest.approx(0.0, abs=1e-6)
    assert out.distances[0, 2].item() == pytest.approx(6.0)  # 9 pixels, each 2 apart


def test_bad_inputs():
    with pytest.raises(ValueError, match="values each"):
        nearest_neighbours(torch.zeros(1, 1, 2, 2), torch.zeros(3, 1, 3, 3))
    with pytest.raises(ValueError, match="empty"):
        nearest_neighbours(torch.zeros(1, 4), torch.zeros(0, 4))
    with pytest.raises(ValueError, match="k must"):
        nearest_neighbours(torch.zeros(1, 4), torch.zeros(2, 4), k=0)
