"""CycleGAN (Zhu et al. 2017) between two 2D distributions: G maps domain A (the run's data) to
domain B (`data_b`), F maps B back to A, D_B and D_A judge each side, and both maps are pushed to
bring a sample back where it started (cycle consistency) and, optionally, to leave a sample of
their own target domain alone (identity).

It rides on the plain step: the step's generator is the pair (its forward is A -> B), its
discriminator the pair of critics (its forward is D_B), its "noise" is a batch of A and its real
data B; the way back (F against D_A) and the cycle and identity terms are the step's extra term
(ganlab.gan.step.GanParts.extra_loss). Its metric is the cycle error: the mean distance of F(G(a))
to a, relative to A's spread.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.gan.losses import get_loss

MAPPING_POINTS = 60  # source points whose way to B and back the 2D view draws


class CyclePair(nn.Module):
    """G (A -> B) and F (B -> A); calling the pair maps A to B."""

    def __init__(self, forward_map: nn.Module, back_map: nn.Module) -> None:
        super().__init__()
        self.ab, self.ba = forward_map, back_map
        self.noise_dim = 2  # G's input: a point of A

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.ab(x)


class CycleCritics(nn.Module):
    """D_B (judging B: real b against G(a)) and D_A (real a against F(b)); calling the pair is D_B."""

    scores_samples_independently = True
    pack = 1

    def __init__(self, critic_b: nn.Module, critic_a: nn.Module) -> None:
        super().__init__()
        self.b, self.a = critic_b, critic_a

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.b(x)


def cycle_nets(make_plain: Callable[[Any, int], tuple[nn.Module, nn.Module]], structure: Any
               ) -> tuple[CyclePair, CycleCritics]:
    """Both maps and both critics, each with the data kind's shapes (a 2-D input for the maps)."""
    g_ab, d_b = make_plain(structure, 2)
    g_ba, d_a = make_plain(structure, 2)
    return CyclePair(g_ab, g_ba), CycleCritics(d_b, d_a)


def domain_a(structure: Any) -> Any:
    """Domain A: the named toy or the drawing the structure's data names."""
    from ganlab.data.drawn import DRAWN_DATA
    from ganlab.data.toy import get_toy

    if structure.data == DRAWN_DATA:
        from ganlab.data.drawn import drawn_distribution

        return drawn_distribution(structure.drawing)
    return get_toy(structure.data)


def domain_b(structure: Any) -> Any:
    from ganlab.data.toy import get_toy

    return get_toy(structure.data_b)


def _l1(x: Tensor, y: Tensor) -> Tensor:
    return (x - y).abs().sum(dim=1).mean()


def extra_loss_for(generator: nn.Module, discriminator: nn.Module, sample_b: Callable[[int], Tensor]
                   ) -> Callable[[Tensor, Tensor, Any, str], tuple[Tensor, dict[str, Tensor]]]:
    """The step's extra term. D's update: D_A's loss, real a against F(b). G's update: F's loss against
    D_A, plus λ_cyc (|F(G(a)) - a| + |G(F(b)) - b|) and λ_id (|G(b) - b| + |F(a) - a|), L1 per point."""
    if not isinstance(generator, CyclePair) or not isinstance(discriminator, CycleCritics):
        raise TypeError("CycleGAN's term needs both maps and both critics")
    pair, critics = generator, discriminator

    def extra(a: Tensor, fake_b: Tensor, knobs: Any, which: str) -> tuple[Tensor, dict[str, Tensor]]:
        loss = get_loss(knobs.loss)
        b = sample_b(a.shape[0])
        if which == "d":
            with torch.no_grad():
                fake_a = pair.ba(b)
            term = loss.d_loss(critics.a(a), critics.a(fake_a))
            return term, {"reverse_d_loss": term}
        fake_a = pair.ba(b)
        adversarial = loss.g_loss(critics.a(fake_a))
        cycle = _l1(pair.ba(fake_b), a) + _l1(pair.ab(fake_a), b)
        term = adversarial + knobs.cycle_weight * cycle
        if knobs.identity_weight > 0:
            term = term + knobs.identity_weight * (_l1(pair.ab(b), b) + _l1(pair.ba(a), a))
        return term, {"reverse_g_loss": adversarial, "cycle_loss": cycle}

    return extra


def spread(points: np.ndarray) -> float:
    """A point cloud's scale: the root-mean-square distance of its points to their mean."""
    p = np.asarray(points, dtype=np.float64)
    return float(np.sqrt(((p - p.mean(axis=0)) ** 2).sum(axis=1).mean()))


def _pair(generator: nn.Module) -> CyclePair:
    if not isinstance(generator, CyclePair):
        raise TypeError(f"a CycleGAN generator is a pair of maps; got a {type(generator).__name__}")
    return generator


@torch.no_grad()
def cycle_error(generator: nn.Module, a: Tensor, scale: float) -> float:
    """Mean distance of F(G(a)) to a, relative to `scale` (A's spread): 0 for a perfect round trip."""
    pair = _pair(generator)
    back = pair.ba(pair.ab(a))
    return float((back - a).norm(dim=1).mean()) / max(scale, 1e-12)


@torch.no_grad()
def mapping_lines(generator: nn.Module, a: Tensor) -> np.ndarray:
    """(points, 3, 2): each source point a, its image G(a) and its way back F(G(a)), for the 2D view."""
    pair = _pair(generator)
    there = pair.ab(a)
    return torch.stack([a, there, pair.ba(there)], dim=1).cpu().numpy()
