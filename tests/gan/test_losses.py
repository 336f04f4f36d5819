"""Adversarial losses against hand-computed values.

Shared inputs: real logits r = [0, 2], fake logits f = [-1, 1], with sigma(x) = 1 / (1 + e^-x)
and softplus(x) = log(1 + e^x) = -log sigma(-x).
"""

import math

import pytest
import torch
from torch.testing import assert_close

from ganlab.gan.losses import LOSSES, get_loss

REAL = [0.0, 2.0]
FAKE = [-1.0, 1.0]


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def t(values):
    return torch.tensor(values, dtype=torch.float64)


# D loss, G loss (on FAKE) and G loss on fake = [0, 2] (asymmetric, tells minimax and NS apart).
EXPECTED = {
    # -mean log D(x) - mean log(1 - D(G(z))):
    # 0.5*(-log sig(0) - log sig(2)) + 0.5*(-log(1 - sig(-1)) - log(1 - sig(1)))
    # = 0.5*(log 2 + log(1 + e^-2)) + 0.5*(log(1 + e^-1) + log(1 + e^1))
    "minimax": (
        0.5 * (-math.log(sig(0)) - math.log(sig(2))) + 0.5 * (-math.log(1 - sig(-1)) - math.log(1 - sig(1))),
        0.5 * (math.log(1 - sig(-1)) + math.log(1 - sig(1))),
        0.5 * (math.log(1 - sig(0)) + math.log(1 - sig(2))),
    ),
    "non-saturating": (
        0.5 * (math.log(2) + math.log(1 + math.exp(-2))) + 0.5 * (math.log(1 + math.exp(-1)) + math.log(1 + math.exp(1))),
        -0.5 * (math.log(sig(-1)) + math.log(sig(1))),
        -0.5 * (math.log(sig(0)) + math.log(sig(2))),
    ),
    # 0.5*(mean((r-1)^2) + mean(f^2)) = 0.5*((1 + 1)/2 + (1 + 1)/2) = 1
    # G: 0.5*mean((f-1)^2) = 0.5*((4 + 0)/2) = 1; on [0, 2]: 0.5*((1 + 1)/2) = 0.5
    "least-squares": (1.0, 1.0, 0.5),
    # critic: mean(f) - mean(r) = 0 - 1 = -1; G: -mean(f) = 0; on [0, 2]: -1
    "wasserstein-clip": (-1.0, 0.0, -1.0),
    "wasserstein-gp": (-1.0, 0.0, -1.0),
    # mean(relu(1 - r)) + mean(relu(1 + f)) = (1 + 0)/2 + (0 + 2)/2 = 1.5; G = -mean(f)
    "hinge": (1.5, 0.0, -1.0),
}

FLAGS = {  # (wasserstein, clips_weights, needs_gradient_penalty, score is sigmoid)
    "minimax": (False, False, False, True),
    "non-saturating": (False, False, False, True),
    "least-squares": (False, False, False, False),
    "wasserstein-clip": (True, True, False, False),
    "wasserstein-gp": (True, False, True, False),
    "hinge": (False, False, False, False),
}


def test_every_registry_entry_has_expected_values():
    assert set(LOSSES) == set(EXPECTED) == set(FLAGS)
    for name, loss in LOSSES.items():
        assert loss.name == name
        assert loss.label and loss.help


def test_non_saturating_d_value_matches_minimax_written_out():
    # the two spellings of the same number above agree
    assert EXPECTED["minimax"][0] == pytest.approx(EXPECTED["non-saturating"][0], rel=1e-12)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_d_loss_hand_computed(name):
    expected = EXPECTED[name][0]
    assert_close(LOSSES[name].d_loss(t(REAL), t(FAKE)), t(expected))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_g_loss_hand_computed(name):
    _, on_fake, on_0_2 = EXPECTED[name]
    assert_close(LOSSES[name].g_loss(t(FAKE)), t(on_fake))
    assert_close(LOSSES[name].g_loss(t([0.0, 2.0])), t(on_0_2))


@pytest.mark.parametrize("name", sorted(FLAGS))
def test_flags_and_score(name):
    loss = LOSSES[name]
    wasserstein, clips, needs_gp, sigmoid_score = FLAGS[name]
    assert (loss.wasserstein, loss.clips_weights, loss.needs_gradient_penalty) == (wasserstein, clips, needs_gp)
    x = t([-1.0, 0.0, 2.0])
    expected = t([sig(-1.0), 0.5, sig(2.0)]) if sigmoid_score else x
    assert_close(loss.score(x), expected)


def test_losses_are_means_not_sums():
    # repeating the batch must not change any loss
    for loss in LOSSES.values():
        assert_close(loss.d_loss(t(REAL * 3), t(FAKE * 3)), loss.d_loss(t(REAL), t(FAKE)))
        assert_close(loss.g_loss(t(FAKE * 3)), loss.g_loss(t(FAKE)))


def test_cross_entropy_is_stable_for_large_logits():
    # log(1 + e^-100) ~ e^-100 ~ 0 and log(1 + e^100) ~ 100: finite, no inf/nan
    loss = LOSSES["minimax"]
    assert_close(loss.d_loss(t([100.0]), t([-100.0])), t(0.0), atol=1e-30, rtol=0)
    assert_close(loss.d_loss(t([-100.0]), t([100.0])), t(200.0))
    assert_close(LOSSES["non-saturating"].g_loss(t([-100.0])), t(100.0))


def _grad_of_g_loss(name: str, logit: float) -> float:
    fake = torch.tensor([logit], dtype=torch.float64, requires_grad=True)
    LOSSES[name].g_loss(fake).backward()
    return fake.grad.item()


def test_minimax_saturates_and_non_saturating_does_not_when_d_is_confident():
    # D confidently calls the fake fake: logit -10, D(G(z)) = sig(-10) ~ 4.5e-5.
    # minimax:  d/df log(1 - sig(f)) = -sig(f)       = -sig(-10) ~ -4.54e-5 (vanishes)
    # NS:       d/df -log sig(f)     = -(1 - sig(f))  = -sig(10)  ~ -0.99995
    mm = _grad_of_g_loss("minimax", -10.0)
    ns = _grad_of_g_loss("non-saturating", -10.0)
    assert mm == pytest.approx(-sig(-10.0), rel=1e-9)
    assert ns == pytest.approx(-sig(10.0), rel=1e-9)
    assert abs(mm) < 1e-4
    assert abs(ns) > 0.999
    # both descend in the same direction (push the fake logit up)
    assert mm < 0 and ns < 0


def test_gradients_reverse_when_d_is_fooled():
    # when D is fooled (logit +10) the situation reverses: minimax has the large gradient
    assert _grad_of_g_loss("minimax", 10.0) == pytest.approx(-sig(10.0), rel=1e-9)
    assert _grad_of_g_loss("non-saturating", 10.0) == pytest.approx(-sig(-10.0), rel=1e-9)


def test_get_loss():
    assert get_loss("hinge") is LOSSES["hinge"]
    with pytest.raises(KeyError, match="unknown loss 'kl'.*non-saturating"):
        get_loss("kl")
