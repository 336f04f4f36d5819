"""What a D update minimizes, on one real and one fake batch: the adversarial loss (with one-sided
label smoothing) plus the weighted gradient penalties. One definition for the live D update
(ganlab.gan.step) and for the D steps an unrolled G loss looks ahead through (ganlab.gan.unroll),
which score with a functional copy of D rather than D itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import torch
from torch import Tensor

from ganlab.gan.losses import AdversarialLoss
from ganlab.gan.regularizers import gradient_penalty_at, interpolates, r1_penalty

if TYPE_CHECKING:  # annotations only: settings sit above nets and the step
    from ganlab.settings.config import Knobs

Scorer = Callable[[Tensor, "Tensor | None"], Tensor]  # (samples, labels or None) -> raw scores


@dataclass(frozen=True)
class DObjective:
    """D's raw scores of both batches (one per pack for a packed D), the adversarial part of its
    loss, and the weighted penalties (None when none is on)."""

    d_real: Tensor
    d_fake: Tensor
    adversarial: Tensor
    penalty: Tensor | None

    @property
    def total(self) -> Tensor:
        return self.adversarial if self.penalty is None else self.adversarial + self.penalty


def score_both(score: Scorer, independent: bool, real: Tensor, fake: Tensor, labels: Tensor | None
               ) -> tuple[Tensor, Tensor]:
    """D's outputs on the real and the fake batch. A D whose output for a sample (or a pack) depends on
    it alone (`independent`: no batch norm, no power iteration per call) scores both in one pass: the
    same values, half the per-call cost of a small net. Both batches have whole packs, so no pack mixes
    real and fake samples."""
    if not independent or real.shape != fake.shape:
        return score(real, labels), score(fake, labels)
    both = score(torch.cat([real, fake]), None if labels is None else torch.cat([labels, labels]))
    half = both.shape[0] // 2
    return both[:half], both[half:]


def d_objective(score: Scorer, independent: bool, real: Tensor, fake: Tensor, labels: Tensor | None,
                knobs: Knobs, loss: AdversarialLoss, rng: torch.Generator, pack: int = 1,
                observer: Any = None) -> DObjective:
    """D's loss on `real` and `fake` as `score` sees them; `pack`: how many samples one score judges
    (the penalties are taken in the packed input). `observer` (a StepObserver) sees the scores and
    the penalty's points."""
    d_real, d_fake = score_both(score, independent, real, fake, labels)
    if observer is not None:
        observer.d_scored(d_real, d_fake)
    adversarial = loss.d_loss(d_real, d_fake)
    if knobs.label_smoothing > 0 and loss.display == "probability":  # BCE(x, 1 − ε) = softplus(−x) + ε·x
        adversarial = adversarial + knobs.label_smoothing * d_real.mean()
    penalties: list[Tensor] = []
    critic = lambda x: score(x, labels)  # noqa: E731 - binds the labels for the regularizers
    if knobs.gp_weight > 0:
        mixed = interpolates(real, fake, rng if real.device.type == "cpu" else None, pack)
        if observer is not None:
            observer.d_penalty_points("gp", mixed)
        penalties.append(knobs.gp_weight * gradient_penalty_at(critic, mixed, pack))
    if knobs.r1_weight > 0:
        if observer is not None:
            observer.d_penalty_points("r1", real)
        penalties.append(knobs.r1_weight * r1_penalty(critic, real, pack))
    # no penalty, no extra autograd node: the common case stays as cheap as a bare loop
    penalty = sum(penalties[1:], penalties[0]) if penalties else None
    return DObjective(d_real, d_fake, adversarial, penalty)
