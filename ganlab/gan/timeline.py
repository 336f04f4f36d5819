"""Sample grids (or, for 2D runs, generated points) at earlier steps, kept in bounded memory
for the page's timeline slider and a saved run's replay (`RunWriter` writes them to snapshots/).

Frames are offered at a steady cadence (the image experiment offers one per evaluation).
When `capacity + 1` frames are held, every second one is dropped (the first and the newest
stay, since the count is odd) and from then on only every second offer is kept, so the
frames stay evenly spaced in steps however long the run lasts: at most `capacity` grids
between offers, each a few kB of uint8.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    step: int
    grid: np.ndarray  # uint8 (H, W, C), read-only; for a 2D run, the generated points (n, 2)
    ema_grid: np.ndarray | None = None  # the averaged generator's grid, when EMA is on


class GridTimeline:
    """Thread-safe: the runner thread offers frames, pages read `frames()`."""

    def __init__(self, capacity: int = 100) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 2")
        self.capacity = capacity
        self._lock = threading.Lock()
        self._generation = 0
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._generation += 1  # a trainer in another process tells a mirror to start over
            self._frames: list[Frame] = []
            self._stride = 1  # keep one offer in this many
            self._offers = 0

    def __getstate__(self) -> dict:  # pickled with its experiment, to a trainer process
        with self._lock:
            return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """How many times the timeline has been cleared (a new run starts a new generation)."""
        with self._lock:
            return self._generation

    def mirror(self, frames: "list[Frame] | tuple[Frame, ...]") -> None:
        """Hold exactly `frames` (a copy of a timeline kept in a trainer process)."""
        with self._lock:
            self._frames = list(frames)

    @property
    def stride(self) -> int:
        with self._lock:
            return self._stride

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    def offer(self, frame: Frame) -> bool:
        """Keep `frame` if it falls on the current stride; True when kept. A frame at the
        same step as the newest one replaces it (a re-evaluation of the same weights)."""
        with self._lock:
            if self._frames and self._frames[-1].step == frame.step:
                self._frames[-1] = frame
                return True
            index, self._offers = self._offers, self._offers + 1
            if index % self._stride:
                return False
            self._frames.append(frame)
            if len(self._frames) > self.capacity:
                self._frames = self._frames[::2]  # capacity + 1 is odd: first and newest both stay
                self._stride *= 2
            return True

    def frames(self) -> tuple[Frame, ...]:
        """The kept frames, oldest first (immutable frames: safe to hand to a page)."""
        with self._lock:
            return tuple(self._frames)

    def steps(self) -> list[int]:
        with self._lock:
            return [f.step for f in self._frames]


def offer_frames(frames: "tuple[Frame, ...] | list[Frame]", parts: object, experiment: object, step: int) -> None:
    """For `runner.call_on_thread(functools.partial(offer_frames, frames))`: put earlier frames
    back into the experiment's timeline on the trainer (after a restore, which clears it)."""
    for frame in frames:
        experiment.timeline.offer(frame)
