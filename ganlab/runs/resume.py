"""Library work of continuing and resuming saved runs (no Streamlit): the saver a runner autosaves
into a run with, and a saved image run's grids as timeline frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from ganlab.runs.store import snapshot_steps
from ganlab.runs.writer import RunWriter
from ganlab.training.runner import RunState
from ganlab.training.timeline import Frame


def saver_for(writer: RunWriter, holder: dict[str, Any]) -> Callable[[Any], None]:
    """Save into `writer`, with the status of the runner put into `holder["runner"]` (it may come
    after the saver: a new runner is built with its saver)."""

    def save(state) -> None:
        runner = holder.get("runner")
        running = runner is not None and runner.state == RunState.RUNNING
        writer.save(state, status="training" if running else "paused")

    return save


def timeline_frames(path: Path, structure: Any) -> list[Frame]:
    """The run's saved grids as timeline frames (image runs without EMA: a saved grid of an EMA
    run is the averaged generator's, which the page's timeline would label as the live one)."""
    if getattr(structure, "ema_decay", 0) > 0:
        return []
    from PIL import Image

    frames = []
    for step, file in snapshot_steps(path):
        if file.suffix != ".png":
            continue
        try:
            with Image.open(file) as img:
                pixels = np.asarray(img.convert("L" if structure.channels == 1 else "RGB"))
        except (OSError, ValueError):
            continue
        pixels = pixels[..., None] if pixels.ndim == 2 else pixels
        pixels = np.ascontiguousarray(pixels)
        pixels.setflags(write=False)
        frames.append(Frame(step, pixels))
    return frames
