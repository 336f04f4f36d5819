"""One GAN training step, shared by every kind of GAN in ganlab.

The step knows nothing of threads or pages: it takes the parts of a GAN (nets,
optimizers, samplers) and the current knobs, updates D and/or G, and returns a
small record of named floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

import torch
from torch import Tensor, nn

from ganlab.gan.d_objective import d_objective
from ganlab.gan.losses import AdversarialLoss, get_loss
from ganlab.gan.packing import pack_of, usable_batch
from ganlab.gan.regularizers import mode_seeking_penalty
from ganlab.gan.unroll import unrolled_discriminator

if TYPE_CHECKING:  # annotations only: settings sit above nets and the step
    from ganlab.settings.config import Knobs, OptimizerKnobs

RECORD_KEYS = (
    "d_loss", "g_loss", "d_penalty", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "wasserstein", "info_loss",
    "cycle_loss", "reverse_d_loss", "reverse_g_loss",
)


class GeneratorAverage(Protocol):
    """An averaged copy of G (e.g. an exponential moving average) kept up to date by the step."""

    def update(self, generator: nn.Module) -> None: ...


class StepObserver(Protocol):
    """Sees a step's tensors as it computes them (ganlab.gan.step_trace records them for the
    slow-motion view). It must only read: a step with an observer updates the nets exactly as one
    without. The step calls the hooks in this order, once per D update and once per G update."""

    def d_batch(self, real: Tensor, fake: Tensor) -> None: ...

    def d_scored(self, d_real: Tensor, d_fake: Tensor) -> None: ...

    def d_penalty_points(self, kind: str, points: Tensor) -> None: ...

    def d_backward_done(self, adversarial: Tensor, penalty: Tensor | None, grad_norms: list[Tensor]) -> None: ...

    def d_updated(self) -> None: ...

    def g_batch(self, noise: Tensor, fake: Tensor) -> None: ...

    def g_backward_done(self, scores: Tensor, g_loss: Tensor, ms_penalty: Tensor | None,
                        grad_norms: list[Tensor]) -> None: ...

    def g_updated(self) -> None: ...


@dataclass
class GanParts:
    """Everything a step touches. `sample_real(n)` returns (data, labels or None);
    `sample_noise(n)` returns latent vectors. Labels, when present, condition both nets.
    `sample_labels(n)`, for a conditional GAN, draws the labels a G update conditions on
    (unconditional GANs leave it None, so a G update never samples data it would not use).
    `ema`, when set, is updated after every G update. `extra_loss(latents, fake, knobs, which)`,
    when set, is a term the update `which` ("d" or "g") minimises beside the adversarial loss,
    given the batch's G inputs and the fakes made from them: (the term to add, named values to
    record, keys among RECORD_KEYS). InfoGAN's codes' reconstruction error (ganlab.kinds.infogan);
    CycleGAN's way back and its cycle (ganlab.kinds.cyclegan). D's update sees the fakes
    detached, so it trains D's side; G's update trains G's."""

    generator: nn.Module
    discriminator: nn.Module
    g_optimizer: torch.optim.Optimizer
    d_optimizer: torch.optim.Optimizer
    sample_real: Callable[[int], tuple[Tensor, Tensor | None]]
    sample_noise: Callable[[int], Tensor]
    rng: torch.Generator
    sample_labels: Callable[[int], Tensor] | None = None
    ema: GeneratorAverage | None = None
    extra_loss: Callable[[Tensor, Tensor, Knobs, str], tuple[Tensor, dict[str, Tensor]]] | None = None


def make_optimizer(params, knobs: OptimizerKnobs) -> torch.optim.Optimizer:
    if knobs.name == "adam":
        return torch.optim.Adam(params, lr=knobs.lr, betas=(knobs.beta1, knobs.beta2))
    if knobs.name == "sgd":
        return torch.optim.SGD(params, lr=knobs.lr, momentum=knobs.beta1)
    if knobs.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=knobs.lr, alpha=knobs.beta2, momentum=knobs.beta1)
    raise ValueError(f"unknown optimizer {knobs.name!r}")


def optimizer_kind(optimizer: torch.optim.Optimizer) -> str:
    return {torch.optim.Adam: "adam", torch.optim.SGD: "sgd", torch.optim.RMSprop: "rmsprop"}[type(optimizer)]


def apply_optimizer_knobs(optimizer: torch.optim.Optimizer, module: nn.Module, knobs: OptimizerKnobs) -> torch.optim.Optimizer:
    """Set lr and betas in place so Adam's moment estimates survive; a different
    optimizer kind has no state to keep and is built fresh."""
    if optimizer_kind(optimizer) != knobs.name:
        return make_optimizer(module.parameters(), knobs)
    for group in optimizer.param_groups:
        group["lr"] = knobs.lr
        if knobs.name == "adam":
            group["betas"] = (knobs.beta1, knobs.beta2)
        elif knobs.name == "sgd":
            group["momentum"] = knobs.beta1
        else:
            group["alpha"] = knobs.beta2
            group["momentum"] = knobs.beta1
    return optimizer


def lr_factor(knobs: Knobs, step: int) -> float:
    """The learning-rate schedule: 1 for the first `lr_decay_start` steps, then halving
    every `lr_half_life` steps (always 1 when the half-life is 0)."""
    if knobs.lr_half_life <= 0:
        return 1.0
    return 0.5 ** (max(0, step - knobs.lr_decay_start) / knobs.lr_half_life)


def apply_lr_schedule(parts: GanParts, knobs: Knobs, step: int) -> None:
    """Set each optimizer's rate to its knob times `lr_factor` before step `step` (0-based)."""
    factor = lr_factor(knobs, step)
    for optimizer, opt_knobs in ((parts.g_optimizer, knobs.g_opt), (parts.d_optimizer, knobs.d_opt)):
        for group in optimizer.param_groups:
            group["lr"] = opt_knobs.lr * factor


def _grad_norms(module: nn.Module) -> list[Tensor]:
    """The norm of each parameter's gradient, in one fused call (what clip_grad_norm_ uses).
    The total is taken in `train_step` from the floats, so the step adds no stack/norm ops."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return list(torch._foreach_norm(grads)) if grads else []


def _total_norm(norms: list[float]) -> float:
    return math.sqrt(sum(n * n for n in norms))


def discriminator_step(parts: GanParts, knobs: Knobs, loss: AdversarialLoss,
                       observer: StepObserver | None = None) -> dict[str, Tensor | list[Tensor]]:
    """One D update. Its record holds 0-d tensors, and the per-parameter gradient norms as a
    list under "d_grad_norm" (train_step turns all of it into floats with one sync). A packed D
    (PacGAN) gets batches of a multiple of its pack (`usable_batch`), packed real with real and
    fake with fake; its scores are one per pack."""
    D, G = parts.discriminator, parts.generator
    pack = pack_of(D)
    n = usable_batch(knobs.batch_size, pack)
    real, labels = parts.sample_real(n)
    with torch.no_grad():
        latents = parts.sample_noise(n)
        fake = G(latents, labels)
    if observer is not None:
        observer.d_batch(real, fake)
    objective = d_objective(D, getattr(D, "scores_samples_independently", False), real, fake, labels, knobs, loss,
                            parts.rng, pack, observer)
    d_real, d_fake, adversarial, penalty = objective.d_real, objective.d_fake, objective.adversarial, objective.penalty
    total, extra = objective.total, {}
    if parts.extra_loss is not None:
        term, extra = parts.extra_loss(latents, fake, knobs, "d")
        total = total + term
    parts.d_optimizer.zero_grad(set_to_none=True)
    total.backward()
    grad_norms = _grad_norms(D)
    if observer is not None:
        observer.d_backward_done(adversarial, penalty, grad_norms)
    parts.d_optimizer.step()
    if loss.clips_weights:
        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-knobs.clip_value, knobs.clip_value)
    if observer is not None:
        observer.d_updated()
    record = {
        "d_loss": adversarial.detach(),
        "d_real": loss.score(d_real.detach()).mean(),
        "d_fake": loss.score(d_fake.detach()).mean(),
        "d_grad_norm": grad_norms,
    }
    if penalty is not None:  # without one, train_step records 0.0 (no tensor made for it)
        record["d_penalty"] = penalty.detach()
    if loss.wasserstein:
        record["wasserstein"] = (d_real.detach().mean() - d_fake.detach().mean())
    record.update({key: value.detach() for key, value in extra.items()})
    return record


def generator_step(parts: GanParts, knobs: Knobs, loss: AdversarialLoss,
                   observer: StepObserver | None = None, score_fakes: bool = False) -> dict[str, Tensor | list[Tensor]]:
    """One G update. With mode seeking on, the batch is two halves of batch_size // 2 drawn
    with the same labels and their own noise, which the penalty compares. `score_fakes`: the
    record holds D's mean score of G's batch as "d_fake" (G's loss computed it), for a lone G
    step, whose record has no D update's. With `knobs.unroll` k > 0, G's loss is D's after k
    more D steps taken on a copy (ganlab.gan.unroll); D itself stays as it is."""
    G, pairs = parts.generator, knobs.ms_weight > 0
    score = parts.discriminator if knobs.unroll == 0 else unrolled_discriminator(parts, knobs, loss, knobs.unroll)
    total = usable_batch(knobs.batch_size, pack_of(parts.discriminator), 2 if pairs else 1)
    n = total // 2 if pairs else total
    labels = parts.sample_labels(n) if parts.sample_labels is not None else None
    if pairs and labels is not None:
        labels = torch.cat([labels, labels])
    noise = parts.sample_noise(total)
    fake = G(noise, labels)
    if observer is not None:
        observer.g_batch(noise, fake)
    scores = score(fake, labels)
    g_loss = loss.g_loss(scores)
    ms_penalty = knobs.ms_weight * mode_seeking_penalty(fake, noise) if pairs else None
    objective = g_loss if ms_penalty is None else g_loss + ms_penalty
    extra: dict[str, Tensor] = {}
    if parts.extra_loss is not None:
        term, extra = parts.extra_loss(noise, fake, knobs, "g")
        objective = objective + term
    parts.g_optimizer.zero_grad(set_to_none=True)
    objective.backward()
    grad_norms = _grad_norms(G)
    if observer is not None:
        observer.g_backward_done(scores, g_loss, ms_penalty, grad_norms)
    parts.g_optimizer.step()
    if parts.ema is not None:
        parts.ema.update(G)
    if observer is not None:
        observer.g_updated()
    record: dict[str, Tensor | list[Tensor]] = {"g_loss": g_loss.detach(), "g_grad_norm": grad_norms}
    # G's readings are the ones kept when a step has both (they follow D's update)
    record.update({key: value.detach() for key, value in extra.items()})
    if score_fakes:
        record["d_fake"] = loss.score(scores.detach()).mean()
    return record


def train_step(parts: GanParts, knobs: Knobs, which: str = "both", observer: StepObserver | None = None
               ) -> dict[str, float]:
    """`which`: "both" (d_steps D updates, then one G update), "d" (one D update) or "g".
    The record holds only what this step computed (a D-only step has no g_loss). `observer`,
    when given, sees the intermediate tensors (the slow-motion step); it changes nothing."""
    if which not in ("both", "d", "g"):
        raise ValueError(f"which must be 'both', 'd' or 'g', got {which!r}")
    loss = get_loss(knobs.loss)
    record: dict[str, Tensor | list[Tensor]] = {}
    if which in ("both", "d"):
        for _ in range(knobs.d_steps if which == "both" else 1):
            record.update(discriminator_step(parts, knobs, loss, observer))
        record.setdefault("d_penalty", None)
    if which in ("both", "g"):
        record.update(generator_step(parts, knobs, loss, observer, score_fakes=which == "g"))
    return _to_floats(record)


_NORM_KEYS = ("d_grad_norm", "g_grad_norm")


def _to_floats(record: dict[str, Tensor | list[Tensor] | None]) -> dict[str, float]:
    """All of a step's tensors to floats with one stack and one tolist(): a single device
    sync on a GPU, and on a CPU the fewest small ops (this bookkeeping is what a step costs
    beyond a bare training loop)."""
    names = [k for k in RECORD_KEYS if k in record]
    tensors: list[Tensor] = []
    for key in names:
        value = record[key]
        if key in _NORM_KEYS:
            tensors.extend(t.float() for t in value)
        elif value is not None:
            tensors.append(value.float())
    values = iter(torch.stack(tensors).tolist() if tensors else [])
    out: dict[str, float] = {}
    for key in names:
        value = record[key]
        if key in _NORM_KEYS:
            out[key] = _total_norm([next(values) for _ in value])
        else:
            out[key] = 0.0 if value is None else next(values)
    return out


def first_non_finite(record: dict[str, float]) -> str | None:
    """The name of the first NaN or infinite value in a step record, if any."""
    for key, value in record.items():
        if not math.isfinite(value):
            return key
    return None
