"""Unrolled GAN (Metz et al. 2017): G's loss against D as it would be after k more D steps.

`unrolled_discriminator` takes k D steps on a functional copy of D: the same objective as a live D
update (ganlab.gan.d_objective: the loss, label smoothing, the penalties, weight clipping) on fresh
batches, and the same update rule as D's optimizer (Adam, SGD or RMSprop with its current learning
rate, betas and state), written out of place so that autograd can run through it. D's weights,
buffers and optimizer state are read, never written: the live D and its optimizer end the G update
exactly as they began it.

The gradient flows back through the unrolling, as in the paper (its second-order term: how D's next
k steps would answer G's move is what keeps G from hopping from mode to mode). That costs a graph of
k D updates kept for G's backward pass and a double backward through each; `second_order=False`
gives the cheaper variant that only scores G's batch with the future D. The knob is small (k <= 10)
and the nets of a 2D run tiny, so the paper's version is the one trained.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol

import torch
from torch import Tensor, nn
from torch.func import functional_call

from ganlab.gan.d_objective import d_objective
from ganlab.gan.losses import AdversarialLoss
from ganlab.gan.packing import pack_of, usable_batch

if TYPE_CHECKING:  # annotations only: settings sit above the step
    from ganlab.settings.config import Knobs

Tensors = dict[str, Tensor]
Scorer = Callable[[Tensor, "Tensor | None"], Tensor]


class GanParts(Protocol):
    """What the unrolling reads of a GAN (ganlab.gan.step.GanParts has it; the step imports this module)."""

    generator: nn.Module
    discriminator: nn.Module
    d_optimizer: torch.optim.Optimizer
    sample_real: Callable[[int], tuple[Tensor, Tensor | None]]
    sample_noise: Callable[[int], Tensor]
    rng: torch.Generator


def _optimizer_state(optimizer: torch.optim.Optimizer, named: dict[str, nn.Parameter]
                     ) -> tuple[dict, dict[str, dict[str, Tensor]]]:
    """(hyperparameters of D's one parameter group, a copy of each parameter's state by name)."""
    group = optimizer.param_groups[0]
    state = {name: {k: (v.detach().clone() if isinstance(v, Tensor) else v)
                    for k, v in optimizer.state.get(p, {}).items()} for name, p in named.items()}
    return group, state


def _adam(params: Tensors, grads: Tensors, state: dict, group: dict) -> Tensors:
    """torch.optim.Adam's update (no weight decay, no AMSGrad), out of place."""
    beta1, beta2 = group["betas"]
    lr, eps, out = group["lr"], group["eps"], {}
    for name, p in params.items():
        s = state[name]
        step = float(s.get("step", 0)) + 1
        m = torch.lerp(s["exp_avg"], grads[name], 1 - beta1) if "exp_avg" in s else (1 - beta1) * grads[name]
        v = s["exp_avg_sq"] * beta2 if "exp_avg_sq" in s else torch.zeros_like(p)
        v = v + (1 - beta2) * grads[name] * grads[name]
        # + tiny under the root: sqrt's derivative at 0 is infinite, and a unit with no gradient has v = 0
        denom = (v + torch.finfo(v.dtype).tiny).sqrt() / (1 - beta2 ** step) ** 0.5 + eps
        out[name] = p - (lr / (1 - beta1 ** step)) * m / denom
        state[name] = {"step": step, "exp_avg": m, "exp_avg_sq": v}
    return out


def _sgd(params: Tensors, grads: Tensors, state: dict, group: dict) -> Tensors:
    """torch.optim.SGD's update (momentum, no dampening, no Nesterov), out of place."""
    lr, momentum, out = group["lr"], group["momentum"], {}
    for name, p in params.items():
        g = grads[name]
        if momentum:
            buf = state[name].get("momentum_buffer")
            g = g if buf is None else momentum * buf + g
            state[name] = {"momentum_buffer": g}
        out[name] = p - lr * g
    return out


def _rmsprop(params: Tensors, grads: Tensors, state: dict, group: dict) -> Tensors:
    """torch.optim.RMSprop's update (not centred), out of place."""
    lr, alpha, eps, momentum, out = group["lr"], group["alpha"], group["eps"], group["momentum"], {}
    for name, p in params.items():
        s, g = state[name], grads[name]
        square = s.get("square_avg", torch.zeros_like(p)) * alpha + (1 - alpha) * g * g
        avg = (square + torch.finfo(square.dtype).tiny).sqrt() + eps
        new = {"step": float(s.get("step", 0)) + 1, "square_avg": square}
        if momentum > 0:
            new["momentum_buffer"] = momentum * s.get("momentum_buffer", torch.zeros_like(p)) + g / avg
            out[name] = p - lr * new["momentum_buffer"]
        else:
            out[name] = p - lr * g / avg
        state[name] = new
    return out


UPDATES = {torch.optim.Adam: _adam, torch.optim.SGD: _sgd, torch.optim.RMSprop: _rmsprop}


def unrolled_discriminator(parts: GanParts, knobs: Knobs, loss: AdversarialLoss, steps: int,
                           second_order: bool = True) -> Scorer:
    """D after `steps` more D updates on fresh batches, as a function (samples, labels) -> raw
    scores, with D's live weights and optimizer left as they are (see the module's docstring)."""
    return _scorer(parts.discriminator, *unrolled_state(parts, knobs, loss, steps, second_order))


def unrolled_state(parts: GanParts, knobs: Knobs, loss: AdversarialLoss, steps: int,
                   second_order: bool = True) -> tuple[Tensors, Tensors]:
    """(parameters, buffers) by name of D after `steps` more D updates on fresh batches: tensors in
    autograd's graph (with `second_order`, functions of G's weights too); D itself is not changed."""
    D, G = parts.discriminator, parts.generator
    named = dict(D.named_parameters())
    update = UPDATES[type(parts.d_optimizer)]
    group, state = _optimizer_state(parts.d_optimizer, named)
    params = {name: p.detach().requires_grad_(True) for name, p in named.items()}
    buffers = {name: b.detach().clone() for name, b in D.named_buffers()}  # spectral norm's u, v advance here
    pack = pack_of(D)
    n = usable_batch(knobs.batch_size, pack)
    independent = getattr(D, "scores_samples_independently", False)
    for _ in range(steps):
        real, labels = parts.sample_real(n)
        with torch.set_grad_enabled(second_order):
            fake = G(parts.sample_noise(n), labels)
        total = d_objective(_scorer(D, params, buffers), independent, real, fake, labels, knobs, loss,
                            parts.rng, pack).total
        grads = torch.autograd.grad(total, list(params.values()), create_graph=second_order, allow_unused=True)
        grads_by_name = {name: torch.zeros_like(p) if g is None else g
                         for (name, p), g in zip(params.items(), grads, strict=True)}
        params = update(params, grads_by_name, state, group)
        if loss.clips_weights:
            params = {name: p.clamp(-knobs.clip_value, knobs.clip_value) for name, p in params.items()}
        if not second_order:
            params = {name: p.detach().requires_grad_(True) for name, p in params.items()}
    return params, buffers


def _scorer(D: nn.Module, params: Tensors, buffers: Tensors) -> Scorer:
    """D's forward pass with `params` and `buffers` in place of its own."""
    def score(x: Tensor, labels: Tensor | None) -> Tensor:
        return functional_call(D, (params, buffers), (x, labels))

    return score
