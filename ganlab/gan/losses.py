"""Adversarial losses on raw discriminator outputs (logits), in a registry keyed by name.

Convention everywhere: a high D output means "real". Each loss is a pair of pure
functions, one for D (to minimize) and one for G (to minimize), plus `score`, the
transform that turns D's raw output into the number a learner reads as D(x)
(a probability for the cross-entropy losses, the raw critic value otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor
from torch.nn import functional as F

LossFn = Callable[[Tensor, Tensor], Tensor]


def minimax_d(real: Tensor, fake: Tensor) -> Tensor:
    """-log D(x) - log(1 - D(G(z))), with D = sigmoid(logit)."""
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def minimax_g(fake: Tensor) -> Tensor:
    """log(1 - D(G(z))): the original, saturating generator objective."""
    return -F.softplus(fake).mean()


def non_saturating_g(fake: Tensor) -> Tensor:
    """-log D(G(z)): same fixed point, strong gradients when D wins."""
    return F.softplus(-fake).mean()


def least_squares_d(real: Tensor, fake: Tensor) -> Tensor:
    """LSGAN with targets 1 (real) and 0 (fake)."""
    return 0.5 * ((real - 1).pow(2).mean() + fake.pow(2).mean())


def least_squares_g(fake: Tensor) -> Tensor:
    return 0.5 * (fake - 1).pow(2).mean()


def wasserstein_d(real: Tensor, fake: Tensor) -> Tensor:
    """The critic maximizes E[D(x)] - E[D(G(z))]."""
    return fake.mean() - real.mean()


def wasserstein_g(fake: Tensor) -> Tensor:
    return -fake.mean()


def hinge_d(real: Tensor, fake: Tensor) -> Tensor:
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


@dataclass(frozen=True)
class AdversarialLoss:
    name: str
    label: str
    d_loss: LossFn
    g_loss: Callable[[Tensor], Tensor]
    score: Callable[[Tensor], Tensor]
    wasserstein: bool = False
    clips_weights: bool = False
    needs_gradient_penalty: bool = False
    help: str = ""
    # how a page shows `score`: "probability" (in [0, 1]), "target" (regressed to 1 on real and
    # 0 on fake) or "critic" (unbounded; `critic_centre` "zero" or "median", for a critic whose
    # offset means nothing). The drawing rule itself is ganlab.viz.plots.surface_display.
    display: str = "probability"
    critic_centre: str = "zero"


LOSSES: dict[str, AdversarialLoss] = {
    loss.name: loss
    for loss in (
        AdversarialLoss(
            "minimax", "Minimax (saturating)", minimax_d, minimax_g, torch.sigmoid,
            help="Goodfellow et al. 2014 as written; G's gradient vanishes when D is confident.",
        ),
        AdversarialLoss(
            "non-saturating", "Non-saturating", minimax_d, non_saturating_g, torch.sigmoid,
            help="The practical original GAN: G maximizes log D(G(z)).",
        ),
        AdversarialLoss(
            "least-squares", "Least squares (LSGAN)", least_squares_d, least_squares_g, lambda x: x, display="target",
            help="Mao et al. 2017: regress D to 1 on real and 0 on fake.",
        ),
        AdversarialLoss(
            "wasserstein-clip", "Wasserstein, weight clipping", wasserstein_d, wasserstein_g, lambda x: x,
            wasserstein=True, clips_weights=True, display="critic", critic_centre="median",
            help="Arjovsky et al. 2017: D's weights are clipped to [-c, c] after each step.",
        ),
        AdversarialLoss(
            "wasserstein-gp", "Wasserstein, gradient penalty", wasserstein_d, wasserstein_g, lambda x: x,
            wasserstein=True, needs_gradient_penalty=True, display="critic", critic_centre="median",
            help="Gulrajani et al. 2017: a penalty keeps D's gradient norm near 1.",
        ),
        AdversarialLoss(
            "hinge", "Hinge", hinge_d, wasserstein_g, lambda x: x, display="critic",
            help="Used by SAGAN and BigGAN.",
        ),
    )
}


def get_loss(name: str) -> AdversarialLoss:
    try:
        return LOSSES[name]
    except KeyError:
        raise KeyError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}") from None


def loss_label(name: str) -> str:
    """A loss's readable name ("Least squares (LSGAN)"); an unknown key as it is."""
    loss = LOSSES.get(name)
    return loss.label if loss is not None else str(name)


DISPLAY_LABELS = {"probability": "P(real)", "target": "D(x)", "critic": "critic value"}  # by `display`


def score_label(loss: str) -> str:
    """What D's output is called for `loss`: "P(real)", "D(x)" (LSGAN) or "critic value"."""
    return DISPLAY_LABELS[get_loss(loss).display]
