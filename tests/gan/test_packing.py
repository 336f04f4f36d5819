"""Training a packed D (PacGAN): batches of whole packs, real packs of real samples only, penalties on
the packed input, and one score per sample for the views."""

import copy

import pytest
import torch
from torch.testing import assert_close

from ganlab.data.toy import get_toy
from ganlab.gan.losses import get_loss
from ganlab.gan.packing import pack_of, per_sample, score_each, usable_batch
from ganlab.gan.regularizers import gradient_penalty_at, interpolates, r1_penalty
from ganlab.gan.step import GanParts, discriminator_step, generator_step, make_optimizer
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator
from ganlab.settings.config import Knobs, MLPShape

SHAPE = MLPShape(2, 16)


def packed(x, pack):
    return x.reshape(len(x) // pack, pack * x.shape[1])


def make_parts(pack: int, knobs: Knobs) -> tuple[GanParts, list[int]]:
    """Parts over a packed D whose samplers note each batch size they are asked for."""
    torch.manual_seed(0)
    G, D = MLPGenerator(2, SHAPE), MLPDiscriminator(SHAPE, pack=pack)
    rng, asked = torch.Generator().manual_seed(0), []
    ring = get_toy("ring")

    def sample_real(n):
        asked.append(n)
        return ring.sample(n, rng), None

    parts = GanParts(G, D, make_optimizer(G.parameters(), knobs.g_opt), make_optimizer(D.parameters(), knobs.d_opt),
                     sample_real, lambda n: (asked.append(n), torch.randn(n, 2, generator=rng))[1], rng)
    return parts, asked


@pytest.mark.parametrize("n, pack, multiple, want", [(256, 1, 1, 256), (256, 3, 1, 255), (256, 4, 1, 256),
                                                     (8, 3, 1, 6), (2, 4, 1, 4), (256, 3, 2, 252), (9, 2, 2, 8)])
def test_the_batch_is_rounded_down_to_whole_packs(n, pack, multiple, want):
    assert usable_batch(n, pack, multiple) == want


class Scores:
    """A StepObserver that keeps the D update's batches and scores."""

    def d_batch(self, real, fake):
        self.real, self.fake = real.detach().clone(), fake.detach().clone()

    def d_scored(self, d_real, d_fake):
        self.d_real, self.d_fake = d_real.detach().clone(), d_fake.detach().clone()

    def __getattr__(self, name):  # the other hooks: nothing to keep
        return lambda *args: None


@pytest.mark.parametrize("pack", [2, 3])
def test_a_d_update_scores_real_packs_and_fake_packs_apart(pack):
    knobs = Knobs(batch_size=32)
    parts, asked = make_parts(pack, knobs)
    before = copy.deepcopy(parts.discriminator)
    seen = Scores()
    record = discriminator_step(parts, knobs, get_loss(knobs.loss), seen)
    n = 32 - 32 % pack
    assert asked == [n, n] and seen.real.shape == seen.fake.shape == (n, 2)
    assert seen.d_real.shape == seen.d_fake.shape == (n // pack,)
    # one pass over real and fake together, split back: each pack is all real or all fake
    assert_close(seen.d_real, before.net(packed(seen.real, pack)).squeeze(-1))
    assert_close(seen.d_fake, before.net(packed(seen.fake, pack)).squeeze(-1))
    assert record["d_real"].item() == pytest.approx(torch.sigmoid(seen.d_real).mean().item())


def test_a_g_update_with_mode_seeking_draws_two_halves_of_whole_packs():
    knobs = Knobs(batch_size=32, ms_weight=1.0)
    parts, asked = make_parts(3, knobs)
    generator_step(parts, knobs, get_loss(knobs.loss))
    assert asked == [30]  # 2 halves of 15 noise vectors: 10 packs of 3


def test_penalties_are_taken_in_the_packed_input():
    pack = 2
    torch.manual_seed(3)
    D = MLPDiscriminator(SHAPE, pack=pack)
    real, fake = torch.randn(8, 2), torch.randn(8, 2)

    def hand_sq_norms(points):  # ‖∇ of the inner net in the packed input‖², one per pack
        x = packed(points, pack).requires_grad_(True)
        (grad,) = torch.autograd.grad(D.net(x).sum(), x)
        return grad.pow(2).sum(1)

    critic = lambda x: D(x)  # noqa: E731
    assert_close(r1_penalty(critic, real, pack), 0.5 * hand_sq_norms(real).mean())
    mixed = interpolates(real, fake, torch.Generator().manual_seed(0), pack)
    alpha = ((mixed - fake) / (real - fake))[:, 0]
    assert_close(alpha[0::2], alpha[1::2])  # one point on the segment from a real pack to a fake pack
    assert_close(gradient_penalty_at(critic, mixed, pack), (hand_sq_norms(mixed).sqrt() - 1).pow(2).mean())


def test_pack_one_penalties_and_interpolates_are_todays():
    torch.manual_seed(4)
    D = MLPDiscriminator(SHAPE)
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    critic = lambda x: D(x)  # noqa: E731
    x = real.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x)
    assert_close(r1_penalty(critic, real), 0.5 * grad.pow(2).sum(1).mean())
    alpha = torch.rand(8, 1, generator=torch.Generator().manual_seed(0))
    assert_close(interpolates(real, fake, torch.Generator().manual_seed(0)), alpha * real + (1 - alpha) * fake)


def test_score_each_packs_a_sample_with_copies_of_itself_and_per_sample_repeats_a_packs_score():
    torch.manual_seed(5)
    D = MLPDiscriminator(SHAPE, pack=3)
    x = torch.randn(5, 2)
    assert pack_of(D) == 3 and pack_of(torch.nn.Linear(2, 1)) == 1
    assert_close(score_each(D, x), D.net(x.repeat(1, 3)).squeeze(-1))
    assert per_sample(torch.tensor([1.0, 2.0]), 3).tolist() == [1, 1, 1, 2, 2, 2]
