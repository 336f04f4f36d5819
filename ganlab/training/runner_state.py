"""What a runner is and reports: its state, its snapshot, its errors and the experiment it trains."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import numpy as np

from ganlab.gan.step import GanParts
from ganlab.settings.config import Knobs


class RunState(str, Enum):
    PAUSED = "paused"
    RUNNING = "running"
    QUEUED = "queued"  # Play was pressed while every training slot was taken: it starts when one frees
    DIVERGED = "diverged"
    ERROR = "error"
    RELEASED = "released"


class Experiment(Protocol):
    """What a runner trains: it builds the GAN's parts, measures them, and draws them."""

    structure: Any

    def build(self, knobs: Knobs) -> GanParts: ...

    def evaluate(self, parts: GanParts) -> dict[str, float]: ...

    def view(self, parts: GanParts, knobs: Knobs) -> Any: ...


class TrainerUnavailable(RuntimeError):
    """The trainer cannot answer any more: it was released, or its process or link is gone.
    Each transport's own error subclasses it, so a page catches this one name."""


class RunnerClosedError(TrainerUnavailable):
    """The runner was released."""


@dataclass(frozen=True)
class Snapshot:
    state: RunState
    step: int
    d_updates: int
    g_updates: int
    steps_per_sec: float
    train_seconds: float
    knobs: Knobs
    structure: Any
    history: dict[str, np.ndarray]
    evals: dict[str, np.ndarray]
    latest: dict[str, float]
    latest_eval: dict[str, float]
    view: Any = None
    view_step: int = -1
    message: str | None = None  # why training stopped (divergence, error), for the user
    notice: str | None = None  # something the user should know (e.g. "structure changed: reset")
    error_detail: str | None = None
    settled: bool = False  # nothing queued and the view shows the current weights: no need to poll
    device: str = "cpu"  # where the nets train ("cpu", "cuda:0")
    queue_position: int | None = None  # QUEUED: 1 for the next run to start
    worker_lost: bool = False  # the trainer process died: `restart_step` says where a restart goes on from
    restart_step: int | None = None


DIVERGENCE_ADVICE = (
    "Training is paused. The learning rates are probably too high for this loss: lower them "
    "(or add a gradient penalty), then press Reset to start from fresh weights."
)
