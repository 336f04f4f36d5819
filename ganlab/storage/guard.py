"""What a save must check before it replaces a saved run, and what a failed save tells the user.

Lineage: every run gets a random id when its nets are first built (kept in the weights'
metadata and in config.json, carried on by a resume). A save whose state comes from other
nets (a restore that failed and left fresh weights, a Reset) would replace the user's run
with an unrelated one; it is refused, and the saved run stays as it was.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

from ganlab.storage import safefs
from ganlab.storage.paths import RunFormatError, atomic_write_text

log = logging.getLogger(__name__)
CONFIG, SNAPSHOTS = "config.json", "snapshots"
RUN_FILES = ("config.json", "weights.safetensors", "history.csv", "evals.csv", "samples.npy",
             "data_points.npy", "dataset.npz")


class LineageError(RunFormatError):
    """A save would replace a run with one trained from other starting weights."""


def saved_config(run_dir: Path) -> dict[str, Any] | None:
    try:
        config = safefs.parse_json(safefs.read_capped(Path(run_dir) / CONFIG, 10 * 1024 * 1024), CONFIG)
    except RunFormatError:
        return None
    return config if isinstance(config, dict) else None


def check_run_tree(run_dir: Path) -> None:
    """RunFormatError when the run folder, its snapshots folder or one of its files is a link
    or not a plain file/folder: a save never writes through a link out of the runs folder."""
    run_dir = Path(run_dir)
    safefs.check_folder(run_dir, f"run folder {run_dir.name}")
    for name in (SNAPSHOTS, *RUN_FILES):
        try:
            st = os.lstat(run_dir / name)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise RunFormatError(f"{name} in run {run_dir.name} cannot be checked: {exc.strerror}") from None
        wanted = stat.S_ISDIR if name == SNAPSHOTS else stat.S_ISREG
        if stat.S_ISLNK(st.st_mode) or not wanted(st.st_mode):
            raise RunFormatError(f"{name} in run {run_dir.name} is a link or not a plain "
                                 f"{'folder' if name == SNAPSHOTS else 'file'}; ganlab will not save through it "
                                 "(remove it, or save under another name)")


def check_before_save(run_dir: Path, state: Any) -> None:
    """Refuse (LineageError / RunFormatError) a save that would overwrite another run or write
    through a link; stale temporary files of killed writes are removed on the way."""
    check_run_tree(run_dir)
    safefs.clean_stale_temp_files(run_dir)
    saved = saved_config(run_dir)
    if saved is None:
        return
    lineage = (getattr(state, "meta", None) or {}).get("lineage")
    theirs = saved.get("lineage")
    if isinstance(theirs, str) and lineage != theirs:
        raise LineageError(
            f"run {Path(run_dir).name} holds another training run (saved at step {saved.get('step', '?')}); "
            f"this one, at step {getattr(state, 'step', '?')}, started from other weights and is not saved over it. "
            "Save it under a new name, or resume the saved run to continue it")


def save_error_text(exc: BaseException) -> str:
    """A failed save in the user's words (no paths, no exception names)."""
    if isinstance(exc, RunFormatError):
        return f"Saving failed: {exc}"
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return (f"Saving failed ({exc.strerror or 'No space left on device'}): the disk is full. The run "
                    "folder keeps its last good save; free some space and saving resumes at the next save.")
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return "Saving failed: the run folder cannot be written (no permission or a read-only disk)."
        return f"Saving failed: {exc.strerror or 'the run folder cannot be written'}."
    log.error("save failed", exc_info=exc)
    return "Saving failed with an unexpected error (the details are in the server log)."


def mark_save_failed(run_dir: Path, text: str) -> int | None:
    """After a failed save, set the last good config.json's status to "interrupted" with `text`
    (best effort: the disk may be full); returns the step that save holds, when known."""
    saved = saved_config(run_dir)
    if saved is None:
        return None
    step = saved.get("step") if isinstance(saved.get("step"), int) else None
    if saved.get("status") == "training":
        saved.update(status="interrupted", message=text)
        try:
            atomic_write_text(Path(run_dir) / CONFIG, json.dumps(saved, indent=2) + "\n")
        except OSError as exc:
            log.warning("cannot mark run %s after a failed save: %s", Path(run_dir).name, exc)
    return step
