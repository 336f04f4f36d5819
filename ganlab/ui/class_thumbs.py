"""The class view's live thumbnails and its large picture: the run's snapshot view drawn small
(2D: the real and generated points from the live view's raster code; images: the sample grid
scaled down) and drawn again only when the view has moved on. No Streamlit here."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from PIL import Image

from ganlab.kinds.toy_experiment import ToyView
from ganlab.viz.raster import jpeg_bytes, render_plot_square, render_toy_view

THUMB_PX = 112  # a table row's picture: 30 of them fit a projector page in a few screens
THUMB_LAYERS = frozenset({"real", "fake"})  # points only: D's surface is unreadable this small
LARGE_LAYERS = frozenset({"surface", "modes", "real", "fake"})


def _centres(experiment: Any) -> np.ndarray | None:
    dataset = getattr(experiment, "dataset", None)
    return dataset.centres if dataset is not None and getattr(dataset, "has_modes", False) else None


def _grid_picture(view: Any, width: int) -> Image.Image:
    grid = view.ema_grid if view.ema_grid is not None else view.grid
    img = Image.fromarray(np.ascontiguousarray(grid.squeeze(-1) if grid.shape[-1] == 1 else grid))
    height = max(1, round(img.height * width / img.width))
    return img.resize((width, height), Image.BILINEAR) if img.width > width else img


def thumbnail(view: Any, experiment: Any, size: int = THUMB_PX) -> bytes | None:
    """A small JPEG of a snapshot's view, or None when the run has none yet."""
    if view is None:
        return None
    if isinstance(view, ToyView):
        return jpeg_bytes(render_plot_square(view, THUMB_LAYERS, _centres(experiment), size, supersample=1))
    return jpeg_bytes(_grid_picture(view, size).convert("RGB"))


def large_picture(view: Any, experiment: Any, loss: str | None, size: int = 560) -> bytes | None:
    """The projector view of one run: the 2D view with D's surface and axes, or the grid."""
    if view is None:
        return None
    if isinstance(view, ToyView):
        return jpeg_bytes(render_toy_view(view, LARGE_LAYERS, _centres(experiment), plot_size=size,
                                          loss=loss))
    return jpeg_bytes(_grid_picture(view, size).convert("RGB"))


class ThumbCache:
    """Each run's last thumbnail with the view step it shows: a run whose view did not move is not
    drawn again. Thread-safe (one per server; several hosts' pages may read it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thumbs: dict[str, tuple[int, bytes | None]] = {}
        self.drawn = 0  # thumbnails drawn so far (the benchmark reports it)

    def get(self, run_id: str, view: Any, view_step: int, experiment: Any) -> bytes | None:
        with self._lock:
            cached = self._thumbs.get(run_id)
        if view is None:  # this snapshot carried no view (the run did not move): the last picture
            return cached[1] if cached is not None else None
        if cached is not None and cached[0] == view_step:
            return cached[1]
        picture = thumbnail(view, experiment)
        with self._lock:
            self._thumbs[run_id] = (view_step, picture)
            self.drawn += 1
        return picture

    def last(self, run_id: str) -> bytes | None:
        """The run's last thumbnail, drawing nothing."""
        with self._lock:
            cached = self._thumbs.get(run_id)
        return cached[1] if cached is not None else None

    def pictured(self) -> dict[str, int]:
        """The runs that have a thumbnail, with the step it shows."""
        with self._lock:
            return {run_id: step for run_id, (step, picture) in self._thumbs.items() if picture is not None}

    def forget_all_but(self, run_ids: set[str]) -> None:
        with self._lock:
            for gone in [r for r in self._thumbs if r not in run_ids]:
                del self._thumbs[gone]
