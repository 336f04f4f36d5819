"""The slow-motion step: one real training iteration, recorded as it happens.

`StepRecorder` is a `StepObserver` (ganlab.gan.step): `train_step` hands it the tensors it
computes, and it keeps small numpy copies of them (the batches, D's scores, the losses, how hard
each point pulls on D, the gradient arriving at each fake, D's surface before and after each D
update, the fakes before and after G's update). It only reads: the iteration it watches updates
the nets, the optimizers and the random state exactly as a plain Step. A runner runs it through
its usual step (`Runner.step_traced`) and hands back the `StepTrace`, which is all numpy and
small, so it crosses a process boundary cheaply; ganlab.gan.step_stages splits it into
the sub-steps a page walks through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from ganlab.gan.losses import DISPLAY_LABELS, get_loss
from ganlab.gan.packing import pack_of, per_sample, score_each
from ganlab.gan.step import GanParts, train_step

if TYPE_CHECKING:  # annotations only: settings sit above nets and the step
    from ganlab.settings.config import Knobs

MAX_POINTS = 512  # points kept per cloud (the batch's first ones); the numbers use the whole batch


class SlowMotionUnavailable(RuntimeError):
    """This run cannot be shown in slow motion; the message is for the user."""


@dataclass(frozen=True)
class DPhase:
    """One D update. Scores are D(x) as a learner reads it (the loss's `score`); a push is minus
    n times the loss's derivative in that point's raw output: above 0, D's update raises its
    score there, below 0 lowers it (its size is how hard the point pulls). A packed D (PacGAN)
    scores packs of consecutive points: each point has its pack's score and push (n: the packs)."""

    real: np.ndarray  # (n, 2) the real batch
    fake: np.ndarray  # (n, 2) G's fakes, from fresh noise
    real_score: np.ndarray  # (n,)
    fake_score: np.ndarray  # (n,)
    real_push: np.ndarray  # (n,)
    fake_push: np.ndarray  # (n,)
    d_loss: float  # the adversarial part
    penalty: float | None  # the weighted penalties (gradient penalty, R1), None without
    penalty_points: dict[str, np.ndarray]  # "gp": the interpolates; "r1": the real points it is taken at
    grad_norm: float  # of D's parameter gradient
    surface_before: np.ndarray  # (R, R) D's score on the grid before this update
    surface_after: np.ndarray  # (R, R) and after it (and after weight clipping)


@dataclass(frozen=True)
class GPhase:
    """The G update. `arrows` is minus n times the gradient of G's objective in each fake point:
    where G's update tries to move it (the same as the live view's arrows)."""

    fake_before: np.ndarray  # (n, 2)
    fake_after: np.ndarray  # (n, 2) G's new output on the same noise
    score: np.ndarray  # (n,) D's score of each fake
    arrows: np.ndarray  # (n, 2)
    g_loss: float
    ms_penalty: float | None  # the weighted mode-seeking penalty, None without
    grad_norm: float


@dataclass(frozen=True)
class StepTrace:
    """One slow-motion iteration: the run went from `step_before` to `step_before + 1`."""

    step_before: int
    knobs: Knobs
    noise_dim: int
    bounds: tuple[float, float, float, float]
    surface_x: np.ndarray
    surface_y: np.ndarray
    surface_label: str
    d_phases: tuple[DPhase, ...]
    g_phase: GPhase | None
    record: dict[str, float] = field(default_factory=dict)  # the step's record, as the history has it
    pack: int = 1  # samples D judges at once (PacGAN): a point's score is its pack's


def _numpy(t: Tensor, n: int = MAX_POINTS) -> np.ndarray:
    return t.detach()[:n].float().cpu().numpy().copy()


class StepRecorder:
    """Records one `train_step` of a 2D experiment (see the module's docstring). The extra D and
    G evaluations run without gradients on the live nets: the MLPs of 2D runs keep no state a
    forward pass changes (no batch norm, no dropout)."""

    def __init__(self, parts: GanParts, knobs: Knobs, grid: Tensor, resolution: tuple[int, int]) -> None:
        self._parts = parts
        self._loss = get_loss(knobs.loss)
        self._grid = grid
        self._resolution = resolution
        self.d_phases: list[DPhase] = []
        self.g_phase: GPhase | None = None
        self._d: dict[str, Any] = {}
        self._g: dict[str, Any] = {}

    @classmethod
    def for_experiment(cls, parts: GanParts, experiment: Any, knobs: Knobs) -> "StepRecorder":
        if not callable(getattr(experiment, "surface_grid", None)):  # the 2D kind's (its `draws_the_plane`)
            raise SlowMotionUnavailable("The slow-motion step draws the 2D plane, so it is for 2D playground runs.")
        xs, ys, grid = experiment.surface_grid()
        return cls(parts, knobs, grid, (len(ys), len(xs)))

    @property
    def _pack(self) -> int:
        return pack_of(self._parts.discriminator)

    @torch.no_grad()
    def _surface(self) -> np.ndarray:
        """D's score on the grid; a packed D's of each point packed with copies of itself (`score_each`)."""
        scores = self._loss.score(score_each(self._parts.discriminator, self._grid))
        return scores.reshape(self._resolution).float().cpu().numpy()

    # ------------------------------------------------------------------ D update
    def d_batch(self, real: Tensor, fake: Tensor) -> None:
        self._d = {"real": _numpy(real), "fake": _numpy(fake), "surface_before": self._surface(),
                   "penalty_points": {}}

    def d_scored(self, d_real: Tensor, d_fake: Tensor) -> None:
        for t in (d_real, d_fake):
            if t.requires_grad:
                t.retain_grad()  # only the gradient's copy: the backward pass is the same
        self._d["scores"] = (d_real, d_fake)

    def d_penalty_points(self, kind: str, points: Tensor) -> None:
        self._d["penalty_points"][kind] = _numpy(points)

    def d_backward_done(self, adversarial: Tensor, penalty: Tensor | None, grad_norms: list[Tensor]) -> None:
        d_real, d_fake = self._d.pop("scores")
        score, pack = self._loss.score, self._pack
        self._d.update(
            real_score=_numpy(per_sample(score(d_real.detach()), pack)),
            fake_score=_numpy(per_sample(score(d_fake.detach()), pack)),
            real_push=_push(d_real, pack), fake_push=_push(d_fake, pack),
            d_loss=float(adversarial.detach()), penalty=None if penalty is None else float(penalty.detach()),
            grad_norm=_norm(grad_norms))

    def d_updated(self) -> None:
        self.d_phases.append(DPhase(surface_after=self._surface(), **self._d))
        self._d = {}

    # ------------------------------------------------------------------ G update
    def g_batch(self, noise: Tensor, fake: Tensor) -> None:
        if fake.requires_grad:
            fake.retain_grad()
        self._g = {"noise": noise.detach(), "fake": fake, "fake_before": _numpy(fake)}

    def g_backward_done(self, scores: Tensor, g_loss: Tensor, ms_penalty: Tensor | None,
                        grad_norms: list[Tensor]) -> None:
        fake = self._g.pop("fake")
        grad = fake.grad if fake.grad is not None else torch.zeros_like(fake)
        self._g.update(score=_numpy(per_sample(self._loss.score(scores.detach()), self._pack)),
                       arrows=_numpy(-grad * len(scores)),
                       g_loss=float(g_loss.detach()), grad_norm=_norm(grad_norms),
                       ms_penalty=None if ms_penalty is None else float(ms_penalty.detach()))

    @torch.no_grad()
    def g_updated(self) -> None:
        noise = self._g.pop("noise")
        self.g_phase = GPhase(fake_after=_numpy(self._parts.generator(noise)), **self._g)
        self._g = {}

    def trace(self, experiment: Any, knobs: Knobs, step_before: int, record: dict[str, float]) -> StepTrace:
        xs, ys, _ = experiment.surface_grid()
        return StepTrace(
            step_before=step_before, knobs=knobs, noise_dim=experiment.structure.noise_dim,
            bounds=tuple(experiment.dataset.bounds), surface_x=xs, surface_y=ys,
            surface_label=DISPLAY_LABELS[self._loss.display], d_phases=tuple(self.d_phases),
            g_phase=self.g_phase, record=dict(record), pack=self._pack)


def _push(logits: Tensor, pack: int = 1) -> np.ndarray:
    """Each point's push: its score's (its pack's, for a packed D) minus n times the loss's derivative."""
    if logits.grad is None:
        return np.zeros(min(len(logits) * pack, MAX_POINTS), dtype=np.float32)
    return _numpy(per_sample(-logits.grad * len(logits), pack))


def _norm(norms: list[Tensor]) -> float:
    return float(torch.stack([n.float() for n in norms]).pow(2).sum().sqrt()) if norms else 0.0


def traced_step(parts: GanParts, experiment: Any, knobs: Knobs, step_before: int = 0) -> StepTrace:
    """One full iteration (`train_step(..., "both")`) with a recorder: its trace. The runner
    uses its own step (`Runner.step_traced`, which also counts and records the step); this is
    the same for code that holds the parts itself (tests, notebooks)."""
    recorder = StepRecorder.for_experiment(parts, experiment, knobs)
    record = train_step(parts, knobs, "both", observer=recorder)
    return recorder.trace(experiment, knobs, step_before, record)
