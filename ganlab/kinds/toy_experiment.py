"""A 2D GAN experiment: builds its parts from a structure, measures them, and
computes what the playground draws (the decision surface, G's gradients, the manifold)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ganlab.data.drawn import DRAWN_DATA
from ganlab.data.toy import ToyDistribution, get_toy
from ganlab.gan.losses import DISPLAY_LABELS, get_loss
from ganlab.gan.packing import pack_of, score_each, usable_batch
from ganlab.gan.step import GanParts, make_optimizer
from ganlab.gan.timeline import Frame, GridTimeline
from ganlab.kinds.base import seeded_nets
from ganlab.kinds.infogan import code_purity_of, nearest_mode
from ganlab.kinds.models import model_of
from ganlab.metrics.divergence import point_cloud_divergences
from ganlab.metrics.modes import mode_stats
from ganlab.nets.mlp import toy_nets
from ganlab.settings.config import Knobs, ToyStructure

EVAL_SAMPLES = 2500
VIEW_POINTS = 500  # drawn per cloud; metrics use EVAL_SAMPLES. SVG markers dominate browser cost
ARROW_POINTS = 150
SURFACE_RESOLUTION = 60
MANIFOLD_LINES = 15
MANIFOLD_POINTS = 40
TIMELINE_CAPACITY = 100  # point clouds kept for a saved run's replay (thinned evenly beyond it)

@dataclass(frozen=True)
class ToyView:
    """Everything the 2D view draws, as numpy arrays (an immutable snapshot)."""

    real: np.ndarray  # (n, 2)
    fake: np.ndarray  # (m, 2), from fixed noise
    surface_x: np.ndarray  # (R,)
    surface_y: np.ndarray  # (R,)
    surface: np.ndarray  # (R, R) D's score, rows along y (a packed D's: each point packed with copies of itself)
    surface_label: str
    arrow_from: np.ndarray  # (a, 2)
    arrow_dir: np.ndarray  # (a, 2): the direction G's loss moves each fake point
    manifold: np.ndarray | None  # (lines, points, 2): noise-grid lines (noise dim <= 2), or CycleGAN's a -> G(a) -> F(G(a))
    bounds: tuple[float, float, float, float]
    manifold_label: str | None = None  # the lines' own name when they are not G's manifold (CycleGAN's)
    source: np.ndarray | None = None  # CycleGAN: the domain-A points its mapping lines start from


def structure_dataset(structure: ToyStructure) -> ToyDistribution:
    """The data a structure names by itself: a toy distribution, or the drawing it carries
    (uploaded CSV points are not in the structure: pass them as the experiment's dataset)."""
    if structure.data == DRAWN_DATA:
        from ganlab.data.drawn import drawn_distribution

        if not structure.drawing:
            raise ValueError("the drawn data has no drawing yet")
        return drawn_distribution(structure.drawing)
    return get_toy(structure.data)


class ToyExperiment:
    """A 2D GAN on `dataset` (by default the one the structure names: a toy or its drawing)."""

    kind = "toy"  # ganlab.kinds.toy.TOY's name (the kind is never imported back)

    def __init__(self, structure: ToyStructure, dataset: ToyDistribution | None = None,
                 device: str | torch.device = "cpu") -> None:
        self.structure = structure
        self.dataset = dataset if dataset is not None else structure_dataset(structure)
        self.device = torch.device(device)
        self.model = model_of(structure)
        self.target = self.model.target(structure, self.dataset)  # what G's samples should match (CycleGAN: B)
        fixed = torch.Generator().manual_seed(structure.seed + 1)
        self.real_eval = self.target.sample(EVAL_SAMPLES, fixed).numpy()
        self.eval_noise = self.model.draw_latents(structure, EVAL_SAMPLES, fixed).to(self.device)
        self.manifold_noise = self._manifold_noise()
        self.timeline = GridTimeline(TIMELINE_CAPACITY)  # frames hold VIEW_POINTS generated points

    def build(self, knobs: Knobs) -> GanParts:
        s = self.structure
        model = self.model
        G, D = seeded_nets(lambda st: model.make_nets(toy_nets, st), s, self.device)
        rng = torch.Generator().manual_seed(s.seed)
        target, device = self.target, self.device

        def sample_noise(n: int) -> torch.Tensor:
            return model.draw_latents(s, n, rng).to(device)

        def sample_real(n: int):
            return target.sample(n, rng).to(device), None

        self.timeline.clear()  # a fresh run (build runs on every reset)
        parts = GanParts(G, D, make_optimizer(G.parameters(), knobs.g_opt), make_optimizer(D.parameters(), knobs.d_opt),
                         sample_real, sample_noise, rng)
        parts.extra_loss = model.extra_loss(s, parts)
        return parts

    @torch.no_grad()
    def record_timeline(self, parts: GanParts, step: int) -> None:
        """Offer this step's fixed-noise points to the timeline (the runner calls it at every evaluation)."""
        self.timeline.offer(Frame(step, parts.generator(self.eval_noise[:VIEW_POINTS]).cpu().numpy()))

    @torch.no_grad()
    def evaluate(self, parts: GanParts) -> dict[str, float]:
        fake = parts.generator(self.eval_noise).cpu().numpy()
        out = point_cloud_divergences(self.real_eval, fake, self.target.bounds)
        out = {"kl_hist": out["kl"], "js_hist": out["js"]}
        if self.model.has_mapping:  # CycleGAN: how far the round trip A -> B -> A lands from its start
            from ganlab.kinds.cyclegan import cycle_error, spread

            out["cycle_error"] = cycle_error(parts.generator, self.eval_noise, spread(self.eval_noise.cpu().numpy()))
        centres, sd = self.target.centres, self.target.sd
        if self.target.has_modes and centres is not None and sd is not None:
            stats = mode_stats(fake, centres, sd, self.target.weights)
            out.update(modes_covered=stats.modes_covered, high_quality=stats.high_quality, mode_kl=stats.mode_kl)
            layout = self.model.code_layout(self.structure)
            if layout is not None:  # InfoGAN: does each categorical value pick out one mode?
                out.update(code_purity_of(parts.generator, layout, nearest_mode(centres), len(centres),
                                          self.structure.seed + 3, device=self.device))
        return out

    def surface_grid(self, bounds: tuple[float, float, float, float] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
        """(xs, ys, points): the grid D's surface is drawn on over `bounds` (default: the data's
        frame), points row by row along y."""
        x0, x1, y0, y1 = self.dataset.bounds if bounds is None else bounds
        xs = np.linspace(x0, x1, SURFACE_RESOLUTION, dtype=np.float32)
        ys = np.linspace(y0, y1, SURFACE_RESOLUTION, dtype=np.float32)
        gx, gy = np.meshgrid(xs, ys)
        return xs, ys, torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1)).to(self.device)

    def view(self, parts: GanParts, knobs: Knobs, bounds: tuple[float, float, float, float] | None = None) -> ToyView:
        """What the 2D view draws over `bounds` (default: the data's frame); D's surface is
        evaluated on a grid over exactly those bounds, so a zoomed view shows D's detail.
        A packed D (PacGAN) scores each grid point packed with copies of itself (`score_each`),
        and G's arrows are taken on packs of consecutive fakes, as G's own update takes them."""
        G, D = parts.generator, parts.discriminator
        loss, pack = get_loss(knobs.loss), pack_of(D)
        x0, x1, y0, y1 = (float(v) for v in (self.dataset.bounds if bounds is None else bounds))
        bounds = (x0, x1, y0, y1)
        xs, ys, grid = self.surface_grid(bounds)
        with torch.no_grad():
            surface = loss.score(score_each(D, grid)).reshape(len(ys), len(xs)).cpu().numpy()
            fake = G(self.eval_noise[:VIEW_POINTS])
            manifold = self.model.mapping(self.structure, G, self.eval_noise)  # CycleGAN's way there and back
            if self.manifold_noise is not None:
                lines = self.manifold_noise
                manifold = G(lines.reshape(-1, lines.shape[-1])).reshape(lines.shape[0], lines.shape[1], 2).cpu().numpy()
        points = fake[:usable_batch(ARROW_POINTS, pack)].detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss.g_loss(D(points)) * (len(points) // pack), points)
        return ToyView(
            real=self.real_eval[:VIEW_POINTS], fake=fake.cpu().numpy(),
            surface_x=xs, surface_y=ys, surface=surface,
            surface_label=DISPLAY_LABELS[loss.display],  # the one per-loss name (ganlab.gan.losses)
            arrow_from=points.detach().cpu().numpy(), arrow_dir=(-grad).cpu().numpy(),
            manifold=manifold, bounds=bounds,
            manifold_label="A → G(A) → F(G(A))" if self.model.has_mapping else None,
            source=self.eval_noise[:VIEW_POINTS].cpu().numpy() if self.model.has_mapping else None,
        )

    def _manifold_noise(self) -> torch.Tensor | None:
        """Lines of a grid in noise space (only drawable for 1- or 2-dimensional noise)."""
        s = self.structure
        if s.noise_dim > 2 or self.model.has_codes or self.model.has_mapping:  # G's input is more than 2-D noise
            return None
        lim = 1.0 if s.noise == "uniform" else 2.5
        t = torch.linspace(-lim, lim, MANIFOLD_POINTS)
        if s.noise_dim == 1:
            return t.reshape(1, -1, 1).to(self.device)
        levels = torch.linspace(-lim, lim, MANIFOLD_LINES)
        horizontal = torch.stack([torch.stack([t, torch.full_like(t, v)], 1) for v in levels])
        vertical = torch.stack([torch.stack([torch.full_like(t, v), t], 1) for v in levels])
        return torch.cat([horizontal, vertical]).to(self.device)
