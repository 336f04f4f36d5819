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

Two of the paper's methods change the field itself (its notebook, notebooks/DiracGAN.ipynb):

- Instance noise sigma: both samples get Gaussian noise, real x_r = sigma e, fake x_f = theta + sigma e'.
  In expectation over the noise, with l_D = a(t_real) + b(t_fake) split into its real and fake terms,

      v = (-psi E[l_G'(psi x_f)],  -E[b'(psi x_f) x_f] - E[a'(psi x_r) x_r]),

  computed as a Gauss-Hermite sum (the notebook draws 1,000 fresh samples at every step instead).
- Consensus optimization gamma: both players also descend gamma * |v|^2 / 2, so the field becomes
  v - gamma J^T v, J the Jacobian of the plain field (the notebook's code halves the second-order
  term of that gradient; the two agree at the equilibrium and to first order around it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

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
    d_second: Scalar  # l_D''(t), for consensus optimization (0 where l_D is piecewise linear)
    g_second: Scalar  # l_G''(t)
    real: Scalar  # a(s), the real sample's term of l_D at the real logit s (l_D(t) = a(0) + b(t)), for instance noise
    real_prime: Scalar  # a'(s)
    real_curvature: float  # a''(0)


def _ones(t: Array) -> Array:
    return np.ones_like(np.asarray(t, dtype=float))


def _zeros(t: Array) -> Array:
    return np.zeros_like(np.asarray(t, dtype=float))


def _bump(t: Array) -> Array:
    """sigma(t) sigma(-t), the slope of the sigmoid."""
    return sigmoid(t) * sigmoid(-np.asarray(t, dtype=float))


def _flt(t: Array) -> Array:
    return np.asarray(t, dtype=float)


LOSSES: dict[str, DiracLoss] = {
    loss.name: loss
    for loss in (
        # minimax_d: softplus(-real) + softplus(fake) = log 2 + softplus(t); minimax_g: -softplus(t)
        DiracLoss("non-saturating", lambda t: math.log(2) + softplus(t), sigmoid,
                  lambda t: softplus(-np.asarray(t, dtype=float)), lambda t: -sigmoid(-np.asarray(t, dtype=float)),
                  "l_D = log 2 + softplus(t), l_D' = σ(t); l_G = softplus(−t) = −log σ(t), l_G' = −σ(−t)",
                  "Further out the flow pulls inwards (d/dt ½|x|² = −t·tanh(t/2) ≤ 0), weakly near (0, 0): "
                  "simultaneous steps settle on a cycle where that balances their push outwards; alternating "
                  "ones creep in.",
                  d_second=_bump, g_second=_bump, real=lambda s: softplus(-_flt(s)),
                  real_prime=lambda s: -sigmoid(-_flt(s)), real_curvature=0.25),
        DiracLoss("minimax", lambda t: math.log(2) + softplus(t), sigmoid,
                  lambda t: -softplus(t), lambda t: -sigmoid(t),
                  "l_D = log 2 + softplus(t), l_D' = σ(t); l_G = −softplus(t) = log(1 − σ(t)), l_G' = −σ(t)",
                  "Here l_G′ + l_D′ = 0: the flow keeps the distance to (0, 0) exactly, so it circles for good.",
                  d_second=_bump, g_second=lambda t: -_bump(t), real=lambda s: softplus(-_flt(s)),
                  real_prime=lambda s: -sigmoid(-_flt(s)), real_curvature=0.25),
        # least_squares_d: 0.5 ((0 - 1)^2 + t^2); least_squares_g: 0.5 (t - 1)^2
        DiracLoss("least-squares", lambda t: 0.5 * (1.0 + np.asarray(t, dtype=float) ** 2),
                  lambda t: np.asarray(t, dtype=float),
                  lambda t: 0.5 * (np.asarray(t, dtype=float) - 1.0) ** 2, lambda t: np.asarray(t, dtype=float) - 1.0,
                  "l_D = ½(1 + t²), l_D' = t; l_G = ½(t − 1)², l_G' = t − 1",
                  "D's loss has no slope at t = 0 (the real logit is always 0, so D cannot reach its target 1 "
                  "there): once ψ = 0, G gets no gradient, and every point of the line ψ = 0 is a resting point.",
                  d_second=_ones, g_second=_ones, real=lambda s: 0.5 * (_flt(s) - 1.0) ** 2,
                  real_prime=lambda s: _flt(s) - 1.0, real_curvature=1.0),
        # wasserstein_d: fake - real = t; wasserstein_g: -t
        DiracLoss("wasserstein", lambda t: np.asarray(t, dtype=float), _ones,
                  lambda t: -np.asarray(t, dtype=float), lambda t: -_ones(t),
                  "l_D = t, l_D' = 1; l_G = −t, l_G' = −1",
                  "Here l_G′ + l_D′ = 0: the flow keeps the distance to (0, 0) exactly, so it circles for good.",
                  d_second=_zeros, g_second=_zeros, real=lambda s: -_flt(s), real_prime=lambda s: -_ones(s),
                  real_curvature=0.0),
        # hinge_d: relu(1 - 0) + relu(1 + t); its G loss is wasserstein_g
        DiracLoss("hinge", lambda t: 1.0 + np.maximum(0.0, 1.0 + np.asarray(t, dtype=float)),
                  lambda t: (np.asarray(t, dtype=float) > -1.0).astype(float),
                  lambda t: -np.asarray(t, dtype=float), lambda t: -_ones(t),
                  "l_D = 1 + max(0, 1 + t), l_D' = 1 if t > −1 else 0; l_G = −t, l_G' = −1",
                  "While t > −1 the flow keeps the distance to (0, 0), like the Wasserstein loss; beyond, D stops "
                  "and G alone pulls inwards.",
                  d_second=_zeros, g_second=_zeros, real=lambda s: np.maximum(0.0, 1.0 - _flt(s)),
                  real_prime=lambda s: -(_flt(s) < 1.0).astype(float), real_curvature=0.0),
    )
}
WASSERSTEIN_LABEL = "Wasserstein"  # the other keys take ganlab.gan.losses' labels
REGULARIZERS = ("none", "r1", "r2", "gp", "clip", "noise", "consensus")
UPDATES = ("simultaneous", "alternating")
ORDERS = ("d-first", "g-first")  # who steps first in an alternating iteration (ganlab.gan.step: D; the notebook: G)
NOISE_NODES = 64  # Gauss-Hermite nodes of the expectation over instance noise


@dataclass(frozen=True)
class Dynamics:
    """One training recipe for the Dirac-GAN. `weight` is the regularizer's: R1/R2's gamma, the
    gradient penalty's lambda, the clip value c (|psi| <= c after every D step), the instance
    noise's standard deviation sigma, or consensus optimization's gamma."""

    loss: str = "non-saturating"
    regularizer: str = "none"
    weight: float = 0.0
    update: str = "simultaneous"
    lr: float = 0.1
    d_steps: int = 1
    order: str = "d-first"  # alternating updates only

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}")
        if self.regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer must be one of {', '.join(REGULARIZERS)}")
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {', '.join(UPDATES)}")
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}")
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


_NODES, _WEIGHTS = hermegauss(NOISE_NODES)
_WEIGHTS = _WEIGHTS / math.sqrt(2 * math.pi)  # E[f(e)], e ~ N(0, 1), is sum(_WEIGHTS * f(_NODES))


def _noise(sigma: float, like: Array) -> Array:
    """sigma times the quadrature's nodes, along a new first axis in front of `like`'s."""
    return sigma * _NODES.reshape((-1,) + (1,) * np.ndim(like))


def _mean(values: Array) -> Array:
    """The expectation over the noise of values at the nodes (first axis)."""
    return np.tensordot(_WEIGHTS, values, axes=1)


def _consensus(dyn: Dynamics, theta: Array, psi: Array) -> tuple[Array, Array]:
    """v - gamma J^T v = v - gamma grad |v|^2 / 2, with J the plain field's Jacobian at (theta, psi)."""
    loss, t = LOSSES[dyn.loss], psi * theta
    g1, d1, g2, d2 = loss.g_prime(t), loss.d_prime(t), loss.g_second(t), loss.d_second(t)
    v_theta, v_psi = -g1 * psi, -d1 * theta
    j11, j12, j21, j22 = -g2 * psi ** 2, -g2 * t - g1, -d2 * t - d1, -d2 * theta ** 2
    gamma = dyn.weight
    return v_theta - gamma * (v_theta * j11 + v_psi * j21), v_psi - gamma * (v_theta * j12 + v_psi * j22)


def _v_theta(dyn: Dynamics, theta: Array, psi: Array) -> Array:
    loss = LOSSES[dyn.loss]
    if dyn.regularizer == "noise":
        return -psi * _mean(loss.g_prime(psi * (theta + _noise(dyn.weight, theta))))
    if dyn.regularizer == "consensus":
        return _consensus(dyn, theta, psi)[0]
    return -loss.g_prime(psi * theta) * psi


def _v_psi(dyn: Dynamics, theta: Array, psi: Array) -> Array:
    loss = LOSSES[dyn.loss]
    if dyn.regularizer == "noise":
        e = _noise(dyn.weight, psi)
        fake = theta + e
        return -_mean(loss.d_prime(psi * fake) * fake) - _mean(loss.real_prime(psi * e) * e)
    if dyn.regularizer == "consensus":
        return _consensus(dyn, theta, psi)[1]
    return -loss.d_prime(psi * theta) * theta - penalty_grad(dyn, psi)


def vector_field(dyn: Dynamics, theta: Array, psi: Array) -> tuple[Array, Array]:
    """(v_theta, v_psi) = (-l_G'(psi theta) psi, -l_D'(psi theta) theta - R'(psi)), or the field
    instance noise or consensus optimization make of it (the module's docstring); arrays broadcast."""
    theta, psi = np.broadcast_arrays(np.asarray(theta, dtype=float), np.asarray(psi, dtype=float))
    return _v_theta(dyn, theta, psi), _v_psi(dyn, theta, psi)


def _clip(dyn: Dynamics, psi: Array) -> Array:
    return np.clip(psi, -dyn.weight, dyn.weight) if dyn.regularizer == "clip" else psi


def step(dyn: Dynamics, theta: Array, psi: Array) -> tuple[Array, Array]:
    """One iteration (one G update). Simultaneous: both players step from the same point, and
    D steps and order are not used. Alternating, D first: `d_steps` D updates, then one G update
    against the new D (the order of ganlab.gan.step); G first: one G update, then `d_steps` D
    updates against the new G (the paper's notebook). Clipping follows every D update."""
    h = dyn.lr
    theta, psi = np.broadcast_arrays(np.asarray(theta, dtype=float), np.asarray(psi, dtype=float))
    if dyn.update == "simultaneous":
        v_theta, v_psi = vector_field(dyn, theta, psi)
        return theta + h * v_theta, _clip(dyn, psi + h * v_psi)
    if dyn.order == "g-first":
        theta = theta + h * _v_theta(dyn, theta, psi)
    for _ in range(dyn.d_steps):
        psi = _clip(dyn, psi + h * _v_psi(dyn, theta, psi))
    if dyn.order == "d-first":
        theta = theta + h * _v_theta(dyn, theta, psi)
    return theta, psi


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
    (..., 2), in expectation over instance noise where it is on; the penalty is not in the D loss
    (as on the playground's chart)."""
    path = np.asarray(path, dtype=float)
    loss = LOSSES[dyn.loss]
    theta, psi = path[..., 0], path[..., 1]
    with np.errstate(over="ignore", invalid="ignore"):
        if dyn.regularizer != "noise":
            return loss.d_loss(psi * theta), loss.g_loss(psi * theta)
        e = _noise(dyn.weight, theta)
        fake = psi * (theta + e)
        a0 = float(loss.real(np.zeros(())))  # l_D(t) = a(0) + b(t): b(t) = l_D(t) - a0
        return _mean(loss.real(psi * e) + loss.d_loss(fake)) - a0, _mean(loss.g_loss(fake))
