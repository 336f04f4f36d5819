"""ganlab.explore.latent against hand-worked vectors: lerp / slerp, paths, walks, principal
directions of known linear maps, and batch-norm freezing."""

import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from ganlab.explore.latent import (
    axis_directions,
    freeze_batch_norm,
    generate,
    generator_directions,
    has_batch_norm,
    interpolate,
    interpolation_path,
    lerp,
    move,
    principal_directions,
    seeded_latents,
    slerp,
    walk,
)
from ganlab.nets.dcgan import DCGANGenerator
from ganlab.nets.mlp import MLPGenerator
from ganlab.settings.config import MLPShape

S = math.sqrt(0.5)


def v(*xs):
    return torch.tensor(xs, dtype=torch.float32)


# ------------------------------------------------------------------ lerp
def test_lerp_hand_worked():
    assert_close(lerp(v(0, 0), v(2, 4), 0.25), v(0.5, 1.0))
    assert_close(lerp(v(1, 0), v(0, 1), [0.0, 0.5, 1.0]), torch.tensor([[1.0, 0], [0.5, 0.5], [0, 1.0]]))


def test_lerp_endpoints_are_exact_for_awkward_floats():
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(2, 100, generator=g) * 1e3
    out = lerp(a, b, [0.0, 1.0])
    assert torch.equal(out[0], a) and torch.equal(out[1], b)


# ------------------------------------------------------------------ slerp
def test_slerp_quarter_circle_hand_worked():
    assert_close(slerp(v(1, 0), v(0, 1), 0.5), v(S, S))
    # radius 2, a third of the way round a right angle: 30 degrees
    assert_close(slerp(v(2, 0), v(0, 2), 1 / 3), v(math.sqrt(3), 1.0))
    # lerp cuts the corner: norm 1/sqrt(2) at the middle; slerp keeps norm 1
    assert lerp(v(1, 0), v(0, 1), 0.5).norm().item() == pytest.approx(S)


def test_slerp_keeps_equal_norms_along_the_path():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(64, generator=g)
    b = torch.randn(64, generator=g)
    b = b / b.norm() * a.norm()
    path = slerp(a, b, torch.linspace(0, 1, 11))
    assert_close(path.norm(dim=1), torch.full((11,), a.norm().item()))
    # constant angular speed: equal angles between consecutive frames
    cos = (path[:-1] * path[1:]).sum(1) / path[:-1].norm(dim=1) / path[1:].norm(dim=1)
    assert_close(cos, torch.full((10,), cos[0].item()))


def test_slerp_norm_goes_linearly_between_different_norms():
    out = slerp(v(1, 0), v(0, 3), [0.0, 0.5, 1.0])
    assert_close(out.norm(dim=1), v(1, 2, 3))
    assert_close(out[1], 2 * v(S, S))


def test_slerp_endpoints_exact():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 100, generator=g)
    out = slerp(a, b, [0.0, 1.0])
    assert torch.equal(out[0], a) and torch.equal(out[1], b)
    assert torch.equal(interpolation_path(a, b, 7)[-1], b)


def test_slerp_parallel_endpoints_fall_back_to_the_line():
    assert_close(slerp(v(1, 1), v(3, 3), 0.5), v(2, 2))
    assert_close(slerp(v(1, 1), v(1, 1), 0.3), v(1, 1))
    assert_close(slerp(v(0, 0), v(0, 4), 0.25), v(0, 1))  # zero endpoint: no direction to turn


def test_slerp_antiparallel_takes_a_half_circle_of_constant_norm():
    out = slerp(v(1, 0), v(-1, 0), [0.0, 0.5, 1.0])
    # the axis least aligned with (1, 0) is y: the path goes through (0, 1)
    assert_close(out, torch.tensor([[1.0, 0], [0, 1.0], [-1.0, 0]]), atol=1e-6, rtol=0)
    a = v(0.6, 0.0, 0.8)
    path = slerp(a, -a, torch.linspace(0, 1, 9))
    assert torch.isfinite(path).all()
    assert_close(path.norm(dim=1), torch.ones(9))
    assert torch.equal(path[-1], -a)


def test_slerp_one_dimensional_latent_is_the_line():
    assert_close(slerp(v(2.0), v(-2.0), [0.25, 0.5]), torch.tensor([[1.0], [0.0]]))


def test_slerp_batched_endpoints():
    a = torch.tensor([[1.0, 0], [2.0, 0]])
    b = torch.tensor([[0.0, 1], [0.0, 2]])
    out = slerp(a, b, [0.5])
    assert out.shape == (1, 2, 2)
    assert_close(out[0], torch.tensor([[S, S], [2 * S, 2 * S]]))


def test_interpolate_rejects_unknown_method_and_short_paths():
    with pytest.raises(ValueError, match="slerp, lerp"):
        interpolate(v(1, 0), v(0, 1), 0.5, "cubic")
    with pytest.raises(ValueError, match="at least 2 frames"):
        interpolation_path(v(1, 0), v(0, 1), 1)


def test_interpolation_path_frames():
    path = interpolation_path(v(0, 0), v(4, 8), 5, "lerp")
    assert_close(path, torch.tensor([[0.0, 0], [1, 2], [2, 4], [3, 6], [4, 8]]))


# ------------------------------------------------------------------ walks
def test_axis_walks_and_moves():
    dirs = axis_directions(4, 2)
    assert_close(dirs, torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    z = v(1, 1, 1, 1)
    assert_close(move(z, dirs, [0.5, -2.0]), v(1.5, -1, 1, 1))
    assert_close(walk(z, dirs[1], [-1.0, 0.0, 1.0]), torch.tensor([[1.0, 0, 1, 1], [1, 1, 1, 1], [1, 2, 1, 1]]))
    with pytest.raises(ValueError):
        axis_directions(4, 5)
    with pytest.raises(ValueError):
        move(z, dirs, [1.0])


def test_seeded_latents_depend_only_on_their_seed():
    one = seeded_latents(5, 8)
    both = seeded_latents([4, 5], 8)
    assert torch.equal(both[1], one)
    assert not torch.equal(both[0], one)
    u = seeded_latents([1, 2, 3], 50, "uniform")
    assert u.min() >= -1 and u.max() <= 1


# ------------------------------------------------------------------ principal directions
def test_principal_directions_recover_a_known_linear_map():
    # y = z A with A = U diag(3, 1) V^T: the top latent direction is u1, its output direction v1.
    g = torch.Generator().manual_seed(0)
    u, _ = torch.linalg.qr(torch.randn(5, 2, generator=g, dtype=torch.float64))
    vt, _ = torch.linalg.qr(torch.randn(7, 2, generator=g, dtype=torch.float64))
    A = u @ torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64)) @ vt.T
    z = torch.randn(400, 5, generator=g, dtype=torch.float64)
    dirs = principal_directions(z, z @ A + 0.5, k=2)
    assert_close(dirs.gain, torch.tensor([3.0, 1.0], dtype=torch.float64))
    for j in range(2):
        assert abs(float(dirs.latent[j] @ u[:, j])) == pytest.approx(1.0)
        assert abs(float(dirs.output[j] @ vt[:, j])) == pytest.approx(1.0)
    # a purely linear map: the two directions explain all of the output variance
    assert float(dirs.explained.sum()) == pytest.approx(1.0, rel=1e-6)
    assert float(dirs.explained[0] / dirs.explained[1]) == pytest.approx(9.0, rel=0.25)  # 3^2 : 1^2


def test_principal_directions_are_orthonormal_for_a_real_generator():
    torch.manual_seed(0)
    G = DCGANGenerator(16, 28, 1, 8)
    z = seeded_latents(list(range(200)), 16)
    freeze_batch_norm(G, z)
    dirs = generator_directions(G, z, k=6)
    assert dirs.latent.shape == (6, 16) and dirs.output.shape == (6, 784)
    assert_close(dirs.latent @ dirs.latent.T, torch.eye(6), atol=1e-5, rtol=0)
    assert_close(dirs.output @ dirs.output.T, torch.eye(6), atol=1e-5, rtol=0)
    assert (dirs.gain[:-1] >= dirs.gain[1:]).all()
    again = generator_directions(G, z, k=6)
    assert torch.equal(again.latent, dirs.latent)  # signs fixed: the same directions every time


def test_principal_directions_need_enough_samples():
    with pytest.raises(ValueError, match="more latent samples"):
        principal_directions(torch.randn(4, 4), torch.randn(4, 3), k=2)


def test_principal_directions_k_capped_by_the_output_dimension():
    torch.manual_seed(0)
    G = MLPGenerator(3, MLPShape(1, 16))
    dirs = generator_directions(G, torch.randn(100, 3), k=5)
    assert dirs.latent.shape == (2, 3)


# ------------------------------------------------------------------ batch norm
def test_frozen_batch_norm_renders_a_latent_the_same_alone_or_in_a_batch():
    torch.manual_seed(0)
    G = DCGANGenerator(8, 28, 1, 8)
    assert has_batch_norm(G)
    reference = seeded_latents(list(range(64)), 8)
    batch_stats = generate(G, reference)  # what the unfrozen net makes of the reference batch
    freeze_batch_norm(G, reference)
    assert not G.training
    assert_close(generate(G, reference), batch_stats, atol=1e-5, rtol=0)
    z = seeded_latents([100, 101, 102], 8)
    alone = generate(G, z[1:2])
    assert_close(generate(G, z)[1:2], alone, atol=1e-6, rtol=0)
    assert alone.std() > 0.001  # not the collapsed output of a batch of one


def test_freeze_batch_norm_conditional_and_no_batch_norm():
    torch.manual_seed(0)
    G = DCGANGenerator(8, 28, 1, 8, num_classes=3)
    labels = torch.arange(30) % 3
    freeze_batch_norm(G, seeded_latents(list(range(30)), 8), labels)
    assert generate(G, seeded_latents([7], 8), torch.tensor([2])).shape == (1, 1, 28, 28)
    plain = nn.Linear(2, 2)
    assert freeze_batch_norm(plain, torch.randn(3, 2)) is plain and not plain.training
