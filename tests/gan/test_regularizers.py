"""Regularizers on critics with known input gradients."""

import math

import pytest
import torch
from torch.testing import assert_close

from ganlab.gan.regularizers import gradient_penalty, mode_seeking_penalty, r1_penalty


def linear_critic(w):
    """D(x) = w . x + 0.5: grad_x D = w everywhere."""
    return lambda x: x @ w + 0.5


def points(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, generator=g, dtype=torch.float64)


@pytest.mark.parametrize(
    "w, expected",
    [
        ([3.0, 4.0], (5.0 - 1.0) ** 2),  # ||w|| = 5 -> 16
        ([0.6, 0.8], 0.0),  # ||w|| = 1
        ([0.0, 0.5], (0.5 - 1.0) ** 2),  # 0.25
    ],
)
def test_gradient_penalty_on_linear_critic(w, expected):
    w = torch.tensor(w, dtype=torch.float64)
    gp = gradient_penalty(linear_critic(w), points(seed=1), points(seed=2))
    assert_close(gp, torch.tensor(expected, dtype=torch.float64), atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize("w, expected", [([3.0, 4.0], 0.5 * 25.0), ([0.6, 0.8], 0.5), ([0.0, 0.0], 0.0)])
def test_r1_on_linear_critic(w, expected):
    w = torch.tensor(w, dtype=torch.float64)
    assert_close(r1_penalty(linear_critic(w), points()), torch.tensor(expected, dtype=torch.float64))


def test_penalties_backpropagate_to_critic_parameters():
    # GP = (||w|| - 1)^2 -> dGP/dw = 2 (||w|| - 1) w / ||w|| = 2 * 4 * [0.6, 0.8] = [4.8, 6.4]
    w = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    gradient_penalty(linear_critic(w), points(seed=1), points(seed=2)).backward()
    assert_close(w.grad, torch.tensor([4.8, 6.4], dtype=torch.float64))
    # R1 = 0.5 ||w||^2 -> dR1/dw = w
    w.grad = None
    r1_penalty(linear_critic(w), points()).backward()
    assert_close(w.grad, torch.tensor([3.0, 4.0], dtype=torch.float64))


def test_gradient_penalty_is_taken_at_interpolated_points():
    # D(x) = 0.5 ||x||^2 has grad x. With real = (2, 0) and fake = (0, 0), x_hat = (2 alpha, 0)
    # and the penalty per sample is (2 alpha - 1)^2, alpha ~ U(0, 1) from the given generator.
    critic = lambda x: 0.5 * x.pow(2).sum(1)  # noqa: E731
    n = 5
    real = torch.tensor([[2.0, 0.0]] * n, dtype=torch.float64)
    fake = torch.zeros(n, 2, dtype=torch.float64)
    alpha = torch.rand((n, 1), generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    expected = (2 * alpha.squeeze(1) - 1).pow(2).mean()
    gp = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    assert_close(gp, expected)


def test_r1_on_quadratic_critic_uses_real_points():
    # grad of 0.5||x||^2 is x: R1 = 0.5 * mean ||x||^2; for (3, 4) and (0, 1): 0.5 * (25 + 1) / 2 = 6.5
    critic = lambda x: 0.5 * x.pow(2).sum(1)  # noqa: E731
    real = torch.tensor([[3.0, 4.0], [0.0, 1.0]], dtype=torch.float64)
    assert r1_penalty(critic, real).item() == pytest.approx(6.5)


def test_penalties_leave_inputs_untouched():
    real, fake = points(seed=1), points(seed=2)
    before = real.clone()
    w = torch.tensor([1.0, 2.0], dtype=torch.float64)
    gradient_penalty(linear_critic(w), real, fake)
    r1_penalty(linear_critic(w), real)
    assert not real.requires_grad and real.grad is None
    assert_close(real, before)


def test_penalty_for_image_shaped_inputs_flattens_per_sample():
    # D(x) = sum of all pixels: grad is all ones, ||grad|| = sqrt(1*4*4) = 4
    critic = lambda x: x.flatten(1).sum(1)  # noqa: E731
    real = torch.randn(3, 1, 4, 4, dtype=torch.float64)
    fake = torch.randn(3, 1, 4, 4, dtype=torch.float64)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx((4.0 - 1.0) ** 2)
    assert r1_penalty(critic, real).item() == pytest.approx(0.5 * 16.0)


def test_gradient_penalty_is_finite_for_a_flat_critic():
    # a constant critic has zero input gradient: ||0|| -> sqrt(1e-12), penalty ~ (0 - 1)^2 = 1,
    # and the backward pass through the norm must not produce NaN (sqrt'(0) is infinite)
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    gp = gradient_penalty(linear_critic(w), points(seed=1), points(seed=2))
    assert gp.item() == pytest.approx(1.0, abs=1e-5)
    gp.backward()
    assert all(math.isfinite(v) for v in w.grad.tolist())


# ------------------------------------------------------------ mode seeking (generator)
def test_mode_seeking_worked_by_hand():
    # halves (1, 3) vs (2, 7): image distance mean(|1-2|, |3-7|) = 2.5; noise (0, 0) vs (1, -1): 1
    fake = torch.tensor([[1.0, 3.0], [2.0, 7.0]], dtype=torch.float64)
    noise = torch.tensor([[0.0, 0.0], [1.0, -1.0]], dtype=torch.float64)
    assert_close(mode_seeking_penalty(fake, noise, eps=0.0), torch.tensor(1 / 2.5, dtype=torch.float64))
    # an odd batch compares the first two pairs and leaves the last sample out
    odd_fake = torch.cat([fake[:1], fake[1:], torch.full((1, 2), 100.0, dtype=torch.float64)])
    odd_noise = torch.cat([noise, torch.zeros(1, 2, dtype=torch.float64)])
    pair_fake = torch.stack([fake[0], fake[1]])
    assert_close(mode_seeking_penalty(odd_fake, odd_noise, eps=0.0), mode_seeking_penalty(pair_fake, noise, eps=0.0))


def test_mode_seeking_is_large_for_a_collapsed_generator_and_its_gradient_spreads_samples():
    noise = points(4)
    collapsed = torch.zeros(4, 3, dtype=torch.float64, requires_grad=True)
    assert mode_seeking_penalty(collapsed, noise).item() == pytest.approx(1e5)  # 1 / eps
    spread = (torch.arange(12, dtype=torch.float64).reshape(4, 3) + 0.5).requires_grad_(True)
    penalty = mode_seeking_penalty(spread, noise)
    penalty.backward()
    # descending the penalty moves each first-half sample away from its partner in the second half
    step = -spread.grad
    assert (torch.sign(step[:2]) == torch.sign(spread[:2] - spread[2:]).detach()).all()
    assert (torch.sign(step[2:]) == torch.sign(spread[2:] - spread[:2]).detach()).all()


def test_mode_seeking_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        mode_seeking_penalty(torch.zeros(1, 2), torch.zeros(1, 2))
