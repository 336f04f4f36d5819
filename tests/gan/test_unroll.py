"""The unrolled D of G's loss (Metz et al. 2017): k D steps on a functional copy, equal to k real D
steps on a deep copy of D and its optimizer, while the live D and its optimizer stay untouched."""

import copy

import pytest
import torch
from torch.testing import assert_close

from ganlab.data.toy import get_toy
from ganlab.gan.losses import LOSSES, get_loss
from ganlab.gan.step import GanParts, discriminator_step, generator_step, make_optimizer, train_step
from ganlab.gan.unroll import unrolled_discriminator, unrolled_state
from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator
from ganlab.settings.config import Knobs, MLPShape, OptimizerKnobs

SHAPE = MLPShape(2, 16)
OPTIMIZERS = {
    "adam": OptimizerKnobs("adam", lr=1e-2, beta1=0.5, beta2=0.9),
    "sgd": OptimizerKnobs("sgd", lr=5e-2, beta1=0.5),
    "rmsprop": OptimizerKnobs("rmsprop", lr=1e-3, beta1=0.3, beta2=0.9),
    "plain-sgd": OptimizerKnobs("sgd", lr=5e-2, beta1=0.0),
}


def toy_parts(knobs: Knobs, pack: int = 1, seed: int = 0) -> GanParts:
    torch.manual_seed(seed)
    G, D = MLPGenerator(2, SHAPE), MLPDiscriminator(SHAPE, pack=pack)
    rng, ring = torch.Generator().manual_seed(seed), get_toy("ring")
    return GanParts(G, D, make_optimizer(G.parameters(), knobs.g_opt), make_optimizer(D.parameters(), knobs.d_opt),
                    lambda n: (ring.sample(n, rng), None), lambda n: torch.randn(n, 2, generator=rng), rng)


def image_parts(knobs: Knobs) -> GanParts:
    """A tiny DCGAN pair with spectral norm: D has buffers (the power iteration's u, v) that a forward pass moves."""
    torch.manual_seed(0)
    G, D = DCGANGenerator(4, 28, 1, 8, batch_norm=False), DCGANDiscriminator(28, 1, 8, spectral_norm=True)
    rng = torch.Generator().manual_seed(0)
    return GanParts(G, D, make_optimizer(G.parameters(), knobs.g_opt), make_optimizer(D.parameters(), knobs.d_opt),
                    lambda n: (torch.rand(n, 1, 28, 28, generator=rng) * 2 - 1, None),
                    lambda n: torch.randn(n, 4, generator=rng), rng)


def warm_up(parts: GanParts, knobs: Knobs, steps: int = 2) -> None:
    """A few real steps, so D's optimizer has state (moments, momentum) for the unrolling to continue."""
    for _ in range(steps):
        train_step(parts, knobs)


def explicit_steps(parts: GanParts, knobs: Knobs, k: int, rng_state: torch.Tensor):
    """k real D steps on a deep copy of D and its optimizer, drawing the same batches as the unrolling."""
    D, opt = copy.deepcopy((parts.discriminator, parts.d_optimizer))  # one copy: opt steps the copy's weights
    parts.rng.set_state(rng_state)
    twin = GanParts(parts.generator, D, parts.g_optimizer, opt, parts.sample_real, parts.sample_noise, parts.rng)
    for _ in range(k):
        discriminator_step(twin, knobs, get_loss(knobs.loss))
    return D


def assert_unrolled_equals_explicit(parts: GanParts, knobs: Knobs, k: int) -> None:
    start = parts.rng.get_state()
    params, buffers = unrolled_state(parts, knobs, get_loss(knobs.loss), k)
    twin = explicit_steps(parts, knobs, k, start)
    live = dict(parts.discriminator.named_parameters())
    assert any(not torch.allclose(params[name], live[name]) for name in live)  # the k steps moved D
    for name, p in twin.named_parameters():
        assert_close(params[name], p, atol=1e-6, rtol=1e-5, msg=name)
    for name, b in twin.named_buffers():
        assert_close(buffers[name], b, atol=1e-6, rtol=1e-5, msg=name)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_the_unrolled_d_is_k_explicit_d_steps_on_a_copy(optimizer):
    knobs = Knobs(batch_size=32, d_opt=OPTIMIZERS[optimizer], d_steps=2)
    parts = toy_parts(knobs)
    warm_up(parts, knobs)
    assert_unrolled_equals_explicit(parts, knobs, 3)


@pytest.mark.parametrize("loss, changes", [
    ("wasserstein-gp", {"gp_weight": 10.0}),
    ("wasserstein-clip", {"clip_value": 0.05}),
    ("non-saturating", {"r1_weight": 1.0, "label_smoothing": 0.1}),
    ("hinge", {}),
])
def test_the_unrolled_d_takes_the_same_d_objective_penalties_and_clipping_included(loss, changes):
    knobs = Knobs(loss=loss, batch_size=32, **changes)
    parts = toy_parts(knobs, pack=2)
    warm_up(parts, knobs, 1)
    assert_unrolled_equals_explicit(parts, knobs, 2)


def test_from_a_fresh_optimizer_and_through_spectral_norm():
    knobs = Knobs(batch_size=8)
    parts = image_parts(knobs)  # no step yet: D's Adam has no state
    assert_unrolled_equals_explicit(parts, knobs, 2)


@pytest.mark.parametrize("make", [toy_parts, image_parts])
def test_an_unrolled_g_update_leaves_d_and_its_optimizer_as_they_were(make):
    knobs = Knobs(batch_size=8, unroll=3, r1_weight=0.5)
    parts = make(knobs)
    warm_up(parts, knobs.replace(unroll=0), 1)
    D_before = copy.deepcopy(parts.discriminator.state_dict())
    opt_before = copy.deepcopy(parts.d_optimizer.state_dict())
    G_before = copy.deepcopy(parts.generator.state_dict())
    grads_before = [None if p.grad is None else p.grad.clone() for p in parts.discriminator.parameters()]
    generator_step(parts, knobs, get_loss(knobs.loss))
    for name, value in parts.discriminator.state_dict().items():
        assert torch.equal(value, D_before[name]), name
    after = parts.d_optimizer.state_dict()
    assert after["param_groups"] == opt_before["param_groups"]
    for index, state in opt_before["state"].items():
        for key, value in state.items():
            assert torch.equal(torch.as_tensor(after["state"][index][key]), torch.as_tensor(value)), (index, key)
    for p, grad in zip(parts.discriminator.parameters(), grads_before, strict=True):  # G's backward stops short of D
        assert (p.grad is None and grad is None) or torch.equal(p.grad, grad)
    assert any(not torch.equal(v, G_before[k]) for k, v in parts.generator.state_dict().items())


def test_g_learns_through_the_unrolling_not_only_against_the_future_d():
    """First order: G's gradient is its loss's against the D of k explicit steps. The paper's second
    order adds how those k steps depend on G's samples: a different gradient."""
    knobs = Knobs(batch_size=16, d_opt=OPTIMIZERS["sgd"])
    parts = toy_parts(knobs)
    warm_up(parts, knobs)
    loss, G = get_loss(knobs.loss), parts.generator
    z = torch.randn(16, 2, generator=torch.Generator().manual_seed(9))
    start = parts.rng.get_state()

    def g_grads(score):
        return torch.autograd.grad(loss.g_loss(score(G(z), None)), list(G.parameters()))

    first = g_grads(unrolled_discriminator(parts, knobs, loss, 3, second_order=False))
    parts.rng.set_state(start)
    second = g_grads(unrolled_discriminator(parts, knobs, loss, 3))
    twin = explicit_steps(parts, knobs, 3, start)
    for got, want in zip(first, g_grads(twin), strict=True):
        assert_close(got, want, atol=1e-6, rtol=1e-5)
    gap = sum((a - b).norm() ** 2 for a, b in zip(first, second, strict=True)) ** 0.5
    size = sum(a.norm() ** 2 for a in first) ** 0.5
    assert gap > 1e-3 * size


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_a_step_with_unrolling_trains_with_every_loss(loss):
    knobs = Knobs(loss=loss, batch_size=16, unroll=2, gp_weight=10.0 if LOSSES[loss].needs_gradient_penalty else 0.0)
    parts = toy_parts(knobs, pack=2)
    record = train_step(parts, knobs)
    assert set(record) >= {"d_loss", "g_loss", "g_grad_norm"}
    assert all(torch.isfinite(torch.tensor(v)) for v in record.values())
