"""What the runs page's parts share: cached reading of run files (re-read only when a file's
modification time changes, so polling a live run costs a few `stat` calls), status and
best-value texts, and one-shot messages."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

import numpy as np
import streamlit as st

from ganlab.runs import RunFormatError, RunSummary, load_run, read_config, run_path
from ganlab.runs.catalog import read_curves, replay_frame, toy_bounds
from ganlab.runs.store import EVALS, HISTORY, snapshot_steps
from ganlab.storage.render import png_bytes

LIVE_POLL_S = 1.0
AUTOSAVE_S = 10.0


# ------------------------------------------------------------------ cached reading
def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@st.cache_data(max_entries=256, show_spinner=False)
def _curves_cached(path: str, mtimes: tuple[int, int]) -> tuple[dict, dict]:
    return read_curves(Path(path))
COPY_OFFER = "rn_copy_offer"  # the run whose Continue was refused (another session took it first)


def curves(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(history, evals) of a run, re-read only when a file changed."""
    return _curves_cached(str(path), (_mtime(path / HISTORY), _mtime(path / EVALS)))


@st.cache_data(max_entries=512, show_spinner=False)
def _frame_cached(path: str, file: str, mtime: int, size: int) -> bytes:
    run = Path(path)
    try:
        bounds, real = toy_bounds(read_config(run), run)
    except RunFormatError:
        bounds, real = None, None
    img = replay_frame(run, Path(file), bounds, real, size=size)
    return png_bytes(np.asarray(img))


def frame_png(path: Path, file: Path, size: int = 360) -> bytes:
    return _frame_cached(str(path), str(file), _mtime(file), size)


def run_thumbnail(summary: RunSummary) -> str | None:
    snaps = snapshot_steps(summary.path)
    if not snaps:
        return None
    try:
        data = frame_png(summary.path, snaps[-1][1], size=96)
    except RunFormatError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode()


# ------------------------------------------------------------------ formatting
def status_text(summary: RunSummary) -> str:
    if summary.error:
        return "unreadable"
    if summary.live:
        return "training (live)"
    return summary.status + (" (view only)" if summary.view_only else "")


def is_headless(summary: RunSummary) -> bool:
    """Live, and written by another process (a headless `ganlab train`), not this server."""
    if not summary.live:
        return False
    try:
        return (read_config(summary.path).get("writer") or {}).get("pid") != os.getpid()
    except RunFormatError:
        return False


def flash(kind: str, text: str) -> None:
    st.session_state["rn_flash"] = (kind, text)


def show_flash() -> None:
    if "rn_flash" in st.session_state:
        kind, text = st.session_state.pop("rn_flash")
        {"info": st.info, "error": st.error, "success": st.success}[kind](text)


def user_text(exc: Exception) -> str:
    """What to show for `exc`: our own RunFormatError sentence as it is; for a disk error its
    reason without the file's server path; anything else a pointer to the server log (where the
    details go)."""
    if isinstance(exc, RunFormatError):
        return str(exc)
    logging.getLogger(__name__).warning("runs page: %s", exc, exc_info=exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror.lower()} (the details are in the server log)"
    return "an unexpected error (the details are in the server log)"


KEPT_CONFIG = ("preset", "csv", "images", "created", "steps_requested", "saved_from", "copied_from")  # carried by a writer


def open_saved_run(name: str, verb: str):
    """(path, experiment, state, config, the config entries a new writer keeps) of saved run
    `name`, or None with a message that says why it cannot be `verb`-ed (no server path or
    library text: those go to the server log)."""
    try:
        path = run_path(name)
        experiment, state, config = load_run(path)
    except RunFormatError as exc:  # our own sentence
        flash("error", f"Cannot {verb} “{name}”: {exc}")
        return None
    except (OSError, ValueError):
        logging.getLogger(__name__).exception("cannot open run %s", name)
        flash("error", f"Cannot {verb} “{name}”: its files cannot be read (the details are in the server log).")
        return None
    return path, experiment, state, config, {k: config[k] for k in KEPT_CONFIG if k in config}
