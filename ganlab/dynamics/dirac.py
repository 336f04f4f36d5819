"""The Dirac-GAN (Mescheder, Geiger and Nowozin 2018, "Which Training Methods for GANs do actually
Converge?", ICML): the smallest GAN that shows why GAN training circles instead of converging.

- Real data is a point mass at 0; the generator is a point mass at theta (one parameter).
- The discriminator is linear, D_psi(x) = psi * x (one parameter), and, as everywhere in ganlab,
  a high D output means "real" (ganlab.gan.losses). The real logit is D(0) = 0 whatever psi is; the
  fake logit is t = psi * theta. (The paper's D is high on fakes, so its psi is minus ours and its
  figures are ours mirrored in psi.)
- The equilibrium is (theta, psi) = (0, 0): the generator sits on the data and D is flat.

Each loss is ganlab.gan.losses' loss evaluated on those two logits (real 0, fake t), so this page
and the playground train with the same objectives; tests/dynamics/test_dirac.py checks every
closed form below against ganlab.gan.losses through torch autograd. D minimizes its loss l_D(t)
plus a penalty R(psi); G minimizes l_G(t). By the chain rule (dt/dtheta = psi, dt/dpsi = theta,
and the real logit does not move with psi):

    v(theta, psi) = (-l_G'(psi theta) * psi,  -l_D'(psi theta) * theta - R'(psi))

is the gradient vector field both players follow (G descends, D descends its own loss, i.e.
ascends the paper's L). Gradient descent with learning rate h steps along h * v.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray
Scalar = Callable[[Array], Array]


def sigmoid(t: Array) -> Array:
    """1 / (1 + exp(-t)), without overflow for large |t|."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(t, dtype=float)))


def softplus(t: Array) -> Array:
    """log(1 + exp(t)), without overflow."""
    return np.logaddexp(0.0, np.asarray(t, dtype=float))


@dataclass(frozen=True)
class DiracLoss:
    """A loss on the Dirac-GAN's logits (real 0, fake t): values and their derivatives in t."""

    name: str  # ganlab.gan.losses' key where the loss is the same ("wasserstein" is both Wasserstein losses' objective)
    d_loss: Scalar  # l_D(t), the real term included
    d_prime: Scalar  # d l_D / dt
    g_loss: Scalar  # l_G(t)
    g_prime: Scalar  # d l_G / dt
    doc: str  # the closed forms, for the page and for readers
    radial: str  # what the flow does to the distance: d/dt |x|^2 / 2 = -t (l_G'(t) + l_D'(t)) - psi R'(psi)


def _ones(t: Array) -> Array:
    return np.ones_like(np.asarray(t, dtype=float))


LOSSES: dict[str, DiracLoss] = {
    loss.name: loss
    for loss in (
        # minimax_d: softplus(-real) + softplus(fake) = log 2 + softplus(t); minimax_g: -softplus(t)
        DiracLoss("non-saturating", lambda t: math.log(2) + softplus(t), sigmoid,
                  lambda t: softplus(-np.asarray(t, dtype=float)), lambda t: -sigmoid(-np.asarray(t, dtype=float)),
                  "l_D = log 2 + softplus(t), l_D' = σ(t); l_G = softplus(−t) = −log σ(t), l_G' = −σ(−t)",
                  "Further out the flow pulls inwards (d/dt ½|x|² = −t·tanh(t/2) ≤ 0), weakly near (0, 0): "
                  "simultaneous steps settle on a cycle where that balances their push outwards; alternating "
                  "ones creep in."),
        DiracLoss("minimax", lambda t: math.log(2) + softplus(t), sigmoid,
                  lambda t: -softplus(t), lambda t: -sigmoid(t),
                  "l_D = log 2 + softplus(t), l_D' = σ(t); l_G = −softplus(t) = log(1 − σ(t)), l_G' = −σ(t)",
                  "Here l_G′ + l_D′ = 0: the flow keeps the distance to (0, 0) exactly, so it circles for good."),
        # least_squares_d: 0.5 ((0 - 1)^2 + t^2); least_squares_g: 0.5 (t - 1)^2
        DiracLoss("least-squares", lambda t: 0.5 * (1.0 + np.asarray(t, dtype=float) ** 2),
                  lambda t: np.asarray(t, dtype=float),
                  lambda t: 0.5 * (np.asarray(t, dtype=float) - 1.0) ** 2, lambda t: np.asarray(t, dtype=float) - 1.0,
                  "l_D = ½(1 + t²), l_D' = t; l_G = ½(t − 1)², l_G' = t − 1",
                  "D's loss has no slope at t = 0 (the real logit is always 0, so D cannot reach its target 1 "
                  "there): once ψ = 0, G gets no gradient, and every point of the line ψ = 0 is a resting point."),
        # wasserstein_d: fake - real = t; wasserstein_g: -t
        DiracLoss("wasserstein", lambda t: np.asarray(t, dtype=float), _ones,
                  lambda t: -np.asarray(t, dtype=float), lambda t: -_ones(t),
                  "l_D = t, l_D' = 1; l_G = −t, l_G' = −1",
                  "Here l_G′ + l_D′ = 0: the flow keeps the distance to (0, 0) exactly, so it circles for good."),
        # hinge_d: relu(1 - 0) + relu(1 + t); its G loss is wasserstein_g
        DiracLoss("hinge", lambda t: 1.0 + np.maximum(0.0, 1.0 + np.asarray(t, dtype=float)),
                  lambda t: (np.asarray(t, dtype=float) > -1.0).astype(float),
                  lambda t: -np.asarray(t, dtype=float), lambda t: -_ones(t),
                  "l_D = 1 + max(0, 1 + t), l_D' = 1 if t > −1 else 0; l_G = −t, l_G' = −1",
                  "While t > −1 the flow keeps the distance to (0, 0), like the Wasserstein loss; beyond, D stops "
                  "and G alone pulls inwards."),
    )
}
WASSERSTEIN_LABEL = "Wasserstein"  # the other keys take ganlab.gan.losses' labels
REGULARIZERS = ("none", "r1", "r2", "gp", "clip")
UPDATES = ("simultaneous", "alternating")


@dataclass(frozen=True)
class Dynamics:
    """One training recipe for the Dirac-GAN. `weight` is the regularizer's: R1/R2's gamma, the
    gradient penalty's lambda, or the clip value c (|psi| <= c after every D step)."""

    loss: str = "non-saturating"
    regularizer: str = "none"
    weight: float = 0.0
    update: str = "simultaneous"
    lr: float = 0.1
    d_steps: int = 1

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}")
        if self.regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer must be one of {', '.join(REGULARIZERS)}")
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {', '.join(UPDATES)}")
        if not (self.lr > 0 and math.isfinite(self.lr)) or self.d_steps < 1:
            raise ValueError("the learning rate must be above 0 and D steps at least 1")
        if self.regularizer == "clip" and not self.weight > 0:
            raise ValueError("the clip value must be above 0")


def penalty(dyn: Dynamics, psi: Array) -> Array:
    """D's penalty R(psi). grad_x D = psi everywhere (D is linear), so at the real point (R1),
    at the fake point (R2) and at every interpolate (WGAN-GP) the gradient norm is |psi|:
    R1 = R2 = gamma/2 psi^2 and GP = lambda (|psi| - 1)^2, as ganlab.gan.regularizers computes them."""
    psi = np.asarray(psi, dtype=float)
    if dyn.regularizer in ("r1", "r2"):
        return 0.5 * dyn.weight * psi ** 2
    if dyn.regularizer == "gp":
        return dyn.weight * (np.abs(psi) - 1.0) ** 2
    return np.zeros_like(psi)


def penalty_grad(dyn: Dynamics, psi: Array) -> Array:
    """R'(psi): gamma psi for R1/R2, 2 lambda (|psi| - 1) sign(psi) for GP (0 at psi = 0, as
    ganlab.gan.regularizers' smoothed norm gives), 0 otherwise."""
    psi = np.asarray(psi, dtype=float)
    if dyn.regularizer in ("r1", "r2"):
        return dyn.weight * psi
    if dyn.regularizer == "gp":
        return 2.0 * dyn.weight * (np.abs(psi) - 1.0) * np.sign(psi)
    return np.zeros_like(psi)


def _v_theta(dyn: Dynamics, theta: Array, psi: Array) -> Array:
    return -LOSSES[dyn.loss].g_prime(psi * theta) * psi


def _v_psi(dyn: Dynamics, theta: Array, psi: Array) -> Array:
    return -LOSSES[dyn.loss].d_prime(psi * theta) * theta - penalty_grad(dyn, psi)


def vector_field(dyn: Dynamics, theta: Array, psi: Array) -> tuple[Array, Array]:
    """(v_theta, v_psi) = (-l_G'(psi theta) psi, -l_D'(psi theta) theta - R'(psi)); arrays broadcast."""
    theta, psi = np.asarray(theta, dtype=float), np.asarray(psi, dtype=float)
    return _v_theta(dyn, theta, psi), _v_psi(dyn, theta, psi)


def _clip(dyn: Dynamics, psi: Array) -> Array:
    return np.clip(psi, -dyn.weight, dyn.weight) if dyn.regularizer == "clip" else psi


def step(dyn: Dynamics, theta: Array, psi: Array) -> tuple[Array, Array]:
    """One iteration (one G update). Simultaneous: both players step from the same point, and
    D steps is not used. Alternating: `d_steps` D updates, then one G update against the new D
    (the order of ganlab.gan.step). Clipping follows every D update."""
    h = dyn.lr
    theta, psi = np.asarray(theta, dtype=float), np.asarray(psi, dtype=float)
    if dyn.update == "simultaneous":
        v_theta, v_psi = _v_theta(dyn, theta, psi), _v_psi(dyn, theta, psi)
        return theta + h * v_theta, _clip(dyn, psi + h * v_psi)
    for _ in range(dyn.d_steps):
        psi = _clip(dyn, psi + h * _v_psi(dyn, theta, psi))
    return theta + h * _v_theta(dyn, theta, psi), psi


BLOWN_UP = 1e6  # a state this far out counts as diverged; the rest of its path is NaN


def trajectories(dyn: Dynamics, starts: Array, iterations: int) -> Array:
    """(k, iterations + 1, 2) states of k runs from `starts` ((k, 2) rows of (theta, psi))."""
    starts = np.asarray(starts, dtype=float).reshape(-1, 2)
    out = np.full((len(starts), iterations + 1, 2), np.nan)
    theta, psi = starts[:, 0].copy(), starts[:, 1].copy()
    out[:, 0] = starts
    alive = np.isfinite(theta) & np.isfinite(psi)
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, iterations + 1):
            if not alive.any():
                break
            theta, psi = step(dyn, theta, psi)
            alive &= np.isfinite(theta) & np.isfinite(psi) & (np.hypot(theta, psi) < BLOWN_UP)
            out[alive, i, 0], out[alive, i, 1] = theta[alive], psi[alive]
    return out


def loss_curves(dyn: Dynamics, path: Array) -> tuple[Array, Array]:
    """The adversarial D loss l_D(psi theta) and G loss l_G(psi theta) at each state of `path`
    (..., 2); the penalty is not in the D loss (as on the playground's chart)."""
    path = np.asarray(path, dtype=float)
    loss = LOSSES[dyn.loss]
    with np.errstate(over="ignore", invalid="ignore"):
        t = path[..., 0] * path[..., 1]
        return loss.d_loss(t), loss.g_loss(t)
