"""The runs folder as a catalogue: list, rename, delete, replay frames, and whether a run is
still being written by a live process."""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ganlab.kinds import UnknownKind, get_kind
from ganlab.runs.store import CONFIG, EVALS, HISTORY, read_config, snapshot_steps
from ganlab.storage import lease, safefs
from ganlab.storage.arrays import load_npy as _load_npy
from ganlab.storage.liveness import is_live_writer
from ganlab.storage.paths import RunFormatError, RunNameError, check_name, run_path, runs_root
from ganlab.storage.render import label_frame, scatter_image
from ganlab.storage.report import unreadable
from ganlab.storage.tables import read_table

log = logging.getLogger(__name__)
MAX_PNG_BYTES = 32 * 1024 * 1024
MAX_PNG_PIXELS = 4096 * 4096


@dataclass(frozen=True)
class RunSummary:
    """One row of the runs list. `error` is set (and the rest mostly empty) for a folder that
    is not a readable run."""

    name: str
    path: Path
    kind: str = "?"
    data: str = "?"
    loss: str = "?"
    step: int = 0
    status: str = "?"
    best: dict[str, float] = field(default_factory=dict)
    final_losses: dict[str, float] = field(default_factory=dict)
    updated: str = ""
    live: bool = False
    view_only: bool = False
    thumbnail: Path | None = None
    error: str | None = None
    note: str | None = None


def writer_alive(config: dict[str, Any]) -> bool:
    """Whether the ganlab process that wrote `config` with status "training" still runs on this
    host (the same process, not another program given its PID later: see ganlab.storage.liveness).
    A run stops being "training" when it stops being trained (see ganlab.training.resume.RunSaver)."""
    return config.get("status") == "training" and is_live_writer(config.get("writer"))


def summarize(path: Path) -> RunSummary:
    """One run's row; never raises: a run that cannot be read is a row with `error`."""
    try:
        return _summarize(path)
    except RunFormatError as exc:
        return RunSummary(path.name, path, error=str(exc))
    except Exception:  # a defect must not take the list down for every other run
        log.exception("cannot summarize run folder %s", path)
        return RunSummary(path.name, path, error="this run cannot be read (the details are in the server log)")


def _summarize(path: Path) -> RunSummary:
    name = path.name
    config = read_config(path)
    snaps = snapshot_steps(path)
    thumb = next((p for _, p in reversed(snaps) if p.suffix == ".png"), None)
    return RunSummary(
        name=name, path=path, kind=config.get("kind", "?"),
        data=str(config.get("data") or "?"),
        loss=str((config.get("knobs") or {}).get("loss", "?")), step=int(config.get("step") or 0),
        status=str(config.get("status") or "?"), best=dict(config.get("best_metrics") or {}),
        final_losses=dict(config.get("final_losses") or {}), updated=str(config.get("updated") or config.get("created") or ""),
        live=writer_alive(config), view_only=bool(config.get("view_only")), thumbnail=thumb,
        note=config.get("migration"),
    )


def list_runs(root: str | Path | None = None) -> list[RunSummary]:
    """Every folder in the runs folder holding a config.json (unreadable ones with `error`),
    most recently updated first."""
    base = runs_root(root)
    if not base.is_dir():
        return []
    out = []
    try:
        entries = sorted(base.iterdir())
    except OSError as exc:
        log.warning("cannot list the runs folder %s: %s", base, exc)
        return []
    for path in entries:
        try:
            if path.name.startswith(".") or not path.is_dir() or not os.path.lexists(path / CONFIG):
                continue
        except OSError:
            continue
        if path.is_symlink():
            out.append(RunSummary(path.name, path, error="this run folder is a link to another folder; ganlab "
                                                         "does not open linked runs (copy the run here instead)"))
            continue
        try:
            check_name(path.name)
        except RunNameError as exc:
            out.append(RunSummary(path.name, path, error=str(exc)))
            continue
        summary = summarize(path)
        if not summary.live:
            safefs.clean_stale_temp_files(path)
        out.append(summary)
    return sorted(out, key=lambda r: (r.updated, r.name), reverse=True)


def rename_run(old: str, new: str, root: str | Path | None = None) -> Path:
    """Rename a run folder (both names checked); refuses to overwrite or to rename a live run."""
    src, dst = run_path(old, root), run_path(new, root)
    if not src.is_dir():
        raise RunFormatError(f"no run named {old!r}")
    if dst.exists():
        raise RunFormatError(f"a run named {new!r} already exists")
    _check_not_written(src, "rename")
    src.rename(dst)
    return dst


def delete_run(name: str, root: str | Path | None = None) -> None:
    """Delete a run folder (the name is checked; a live run is refused)."""
    path = run_path(name, root)
    if not path.is_dir():
        raise RunFormatError(f"no run named {name!r}")
    if path.is_symlink():
        raise RunFormatError(f"run {name!r} is a link; remove it by hand")
    _check_not_written(path, "delete")
    shutil.rmtree(path)


def copy_run(name: str, new: str, root: str | Path | None = None) -> Path:
    """Copy run `name` (its run files and snapshots, plain files only) to a new run `new`, which
    goes on from the same history as a run of its own; refuses to overwrite."""
    from ganlab.storage.guard import RUN_FILES, SNAPSHOTS, saved_config
    from ganlab.storage.paths import atomic_write_text

    src, dst = run_path(name, root), run_path(new, root)
    safefs.check_folder(src, f"run {name}")
    if dst.exists() or dst.is_symlink():
        raise RunFormatError(f"a run named {new!r} already exists; choose another name")
    dst.mkdir(parents=True)
    (dst / SNAPSHOTS).mkdir()
    try:
        for folder, names in ((src, RUN_FILES), (src / SNAPSHOTS, None)):
            for path in safefs.plain_entries(folder):
                if (names is None or path.name in names) and not safefs.TEMP_PATTERN.fullmatch(path.name):
                    shutil.copyfile(path, dst / path.relative_to(src), follow_symlinks=False)
        config = saved_config(dst)
        if config is None:
            raise RunFormatError(f"run {name!r} has no readable config.json to copy")
        config.update(name=new, copied_from=name, status="paused" if config.get("status") == "training"
                      else config.get("status"), message=f"A copy of run {name} at step {config.get('step', 0):,}.")
        atomic_write_text(dst / CONFIG, json.dumps(config, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(dst, ignore_errors=True)
        raise
    return dst


def free_name(base: str, root: str | Path | None = None) -> str:
    """`base`-copy, or `base`-copy-2, -3, ... : the first run name not taken (for a copy's default)."""
    stem = base[:55]
    for n in range(1, 1000):
        name = f"{stem}-copy" + (f"-{n}" if n > 1 else "")
        if not run_path(name, root).exists():
            return name
    return f"{stem}-copy-{os.getpid()}"


def _check_not_written(path: Path, doing: str) -> None:
    """RunBusy when a training process writes the run or a session holds it (continued, paused)."""
    held = lease.holder(path)
    if held is not None:
        raise lease.RunBusy(lease.busy_text(path.name, held, doing, offer_copy=False), held)
    try:
        live = writer_alive(read_config(path))
    except RunFormatError:
        live = False
    if live:
        raise lease.RunBusy(f"run {path.name!r} is still being written by a training process")


def read_curves(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(history, evals) tables of a run; empty tables where a file is missing."""
    out = []
    for name in (HISTORY, EVALS):
        try:
            out.append(read_table(path / name))
        except RunFormatError:
            out.append({"step": np.zeros(0, dtype=np.int64)})
    return out[0], out[1]


def replay_frame(path: Path, step_file: Path, bounds: tuple[float, float, float, float] | None = None,
                 real: np.ndarray | None = None, size: int = 360) -> Image.Image:
    """The picture of one snapshot: the grid PNG, or the 2D points drawn as a scatter."""
    if step_file.suffix == ".png":
        import io

        data = safefs.read_capped(step_file, MAX_PNG_BYTES)
        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PNG_PIXELS:
                    raise RunFormatError(f"{step_file.name} is {img.width:,} x {img.height:,} pixels; a ganlab "
                                         "snapshot is far smaller")
                img.load()
                return img.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
            raise unreadable(f"{step_file.name} is not a readable PNG (corrupt or truncated)", exc) from None
    points = _load_npy(step_file)
    if points.ndim != 2 or points.shape[1] != 2 or points.dtype.kind not in "fiu" or len(points) > 1_000_000:
        raise RunFormatError(f"{step_file.name} does not hold 2D points")
    points = points.astype(np.float64)
    if not np.isfinite(points).all():
        points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        raise RunFormatError(f"{step_file.name} holds no finite points (the run had diverged)")
    if bounds is None:
        lo, hi = np.nanmin(points, 0), np.nanmax(points, 0)
        pad = np.maximum((hi - lo) * 0.1, 1e-3)
        bounds = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
    return scatter_image(points, bounds, size=size, real=real)


def toy_bounds(config: dict[str, Any], run_dir: Path | None = None
               ) -> tuple[tuple[float, float, float, float] | None, np.ndarray | None]:
    """(bounds, some real points) of a 2D run's data (a named distribution, or the user's points
    saved in `run_dir`), for drawing its snapshots on fixed axes."""
    try:
        kind = get_kind(config.get("kind"))
    except UnknownKind:
        return None, None
    return kind.snapshot_axes(config.get("data_source") or {}, run_dir)


def replay_gif(path: Path, max_frames: int = 60, duration_ms: int = 250) -> bytes:
    """The run's evolution over its saved snapshots as an animated GIF (at most `max_frames`)."""
    from ganlab.storage.render import gif_bytes

    snaps = snapshot_steps(path)
    if not snaps:
        raise RunFormatError(f"run {path.name} has no snapshots to animate")
    if len(snaps) > max_frames:
        idx = np.unique(np.linspace(0, len(snaps) - 1, max_frames).round().astype(int))
        snaps = [snaps[i] for i in idx]
    bounds, real = toy_bounds(read_config(path), path)
    frames = [label_frame(replay_frame(path, f, bounds, real), f"step {step:,}") for step, f in snaps]
    return gif_bytes(frames, duration_ms)
