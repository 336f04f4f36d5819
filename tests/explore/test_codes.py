"""ganlab.explore.codes: latents with chosen InfoGAN codes, the paper's figure's latents, and
which mode a 2D code value's samples took; checked against tensors written out by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.explore.codes import (
    SWEEP_VALUES,
    category_clouds,
    code_latents,
    code_layout_of,
    code_sweep,
    dominant_mode,
    seed_noise,
)
from ganlab.kinds.infogan import CodeLayout
from ganlab.settings.config import ImageStructure, MLPShape, ToyStructure

LAYOUT = CodeLayout(noise_dim=2, categories=3, continuous=2)


def noise_of(seed: int, n: int = 1, dim: int = 2) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def test_the_layout_comes_from_the_model():
    toy = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16), model="infogan", info_continuous=1)
    assert code_layout_of(SimpleNamespace(structure=toy)) == CodeLayout(2, 8, 1)  # the ring's 8 modes
    image = ImageStructure(dataset="digits", noise_dim=8, width=8, num_classes=10, model="infogan")
    assert code_layout_of(SimpleNamespace(structure=image)) == CodeLayout(8, 10, 2)
    assert code_layout_of(SimpleNamespace(structure=ToyStructure())) is None


def test_seed_noise_is_the_noise_part_of_a_drawn_latent():
    drawn = LAYOUT.draw(1, torch.Generator().manual_seed(7))
    assert_close(seed_noise(LAYOUT, 7), drawn[:, :2])
    uniform = CodeLayout(2, 0, 1, noise="uniform")
    assert float(seed_noise(uniform, 3, 50).abs().max()) <= 1.0


def test_code_latents_one_sample():
    z = noise_of(5)
    expected = torch.tensor([[z[0, 0], z[0, 1], 0.0, 1.0, 0.0, 0.5, -1.5]])
    assert_close(code_latents(LAYOUT, 5, 1, 1, [0.5, -1.5]), expected)


def test_code_latents_a_cloud_shares_its_codes_and_not_its_noise():
    latents = code_latents(LAYOUT, 5, 4, 2, [0.0, 1.0])
    assert latents.shape == (4, 7)
    assert_close(latents[:, :2], noise_of(5, 4))
    assert_close(latents[:, 2:], torch.tensor([[0.0, 0.0, 1.0, 0.0, 1.0]] * 4))


def test_code_latents_without_one_kind_of_code():
    z = noise_of(1)
    only_continuous = CodeLayout(2, 0, 1)
    assert_close(code_latents(only_continuous, 1, 1, None, [0.25]), torch.tensor([[z[0, 0], z[0, 1], 0.25]]))
    only_categorical = CodeLayout(2, 2, 0)
    assert_close(code_latents(only_categorical, 1, 1, 1, []), torch.tensor([[z[0, 0], z[0, 1], 0.0, 1.0]]))
    assert_close(code_latents(LAYOUT, 1, 1, 0, None)[:, 5:], torch.zeros(1, 2))  # missing values are 0


def test_code_latents_refuse_values_that_do_not_fit():
    with pytest.raises(ValueError, match="0..2"):
        code_latents(LAYOUT, 1, 1, 3, [0.0, 0.0])
    with pytest.raises(ValueError, match="2 continuous values"):
        code_latents(LAYOUT, 1, 1, 0, [0.0])


def test_the_sweep_has_a_row_per_category_a_column_per_value_and_one_noise():
    z = noise_of(9)[0]
    grid = code_sweep(LAYOUT, 9, 1, [-2.0, 0.0, 2.0])
    assert grid.shape == (3, 3, 7)
    for r in range(3):
        for c, value in enumerate([-2.0, 0.0, 2.0]):
            one_hot = [1.0 if k == r else 0.0 for k in range(3)]
            assert_close(grid[r, c], torch.tensor([z[0], z[1], *one_hot, 0.0, value]))


def test_the_default_sweep_is_the_papers_nine_columns_from_minus_two_to_two():
    assert SWEEP_VALUES == (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)
    grid = code_sweep(LAYOUT, 0, 0)
    assert grid.shape == (3, 9, 7)
    assert_close(grid[1, :, 5], torch.tensor(SWEEP_VALUES))
    assert_close(grid[1, :, 6], torch.zeros(9))


def test_a_sweep_without_categories_is_one_row():
    grid = code_sweep(CodeLayout(2, 0, 1), 4, 0, [-1.0, 1.0])
    z = noise_of(4)[0]
    assert_close(grid, torch.tensor([[[z[0], z[1], -1.0], [z[0], z[1], 1.0]]]))


def test_a_sweep_without_continuous_codes_takes_successive_seeds():
    grid = code_sweep(CodeLayout(2, 2, 0), 10, 0, [0.0, 0.0, 0.0])
    assert grid.shape == (2, 3, 4)
    for c in range(3):
        z = noise_of(10 + c)[0]
        assert_close(grid[0, c], torch.tensor([z[0], z[1], 1.0, 0.0]))
        assert_close(grid[1, c], torch.tensor([z[0], z[1], 0.0, 1.0]))


def test_a_sweep_refuses_a_code_that_is_not_there():
    with pytest.raises(ValueError, match="code_index"):
        code_sweep(LAYOUT, 0, 2)


def test_category_clouds_share_noise_and_training_like_continuous_codes():
    clouds = category_clouds(LAYOUT, 3, 5)
    assert clouds.shape == (3, 5, 7)
    rng = torch.Generator().manual_seed(3)
    z = torch.randn(5, 2, generator=rng)
    cont = torch.rand(5, 2, generator=rng) * 2 - 1
    for r in range(3):
        assert_close(clouds[r, :, :2], z)
        assert_close(clouds[r, :, 2:5], torch.eye(3)[r].expand(5, -1))
        assert_close(clouds[r, :, 5:], cont)
    fixed = category_clouds(LAYOUT, 3, 5, [1.0, -1.0])
    assert_close(fixed[:, :, 5:], torch.tensor([1.0, -1.0]).expand(3, 5, 2))


def test_dominant_mode():
    centres = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    points = np.array([[0.9, 0.1], [-0.8, 0.0], [-1.1, 0.2], [-0.9, -0.3]])
    mode, share = dominant_mode(points, centres)
    assert (mode, share) == (1, pytest.approx(0.75))
