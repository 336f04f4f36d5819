"""Where runs live, which names are allowed, and writes a reader never sees half of."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

ENV_RUNS_DIR = "GANLAB_RUNS_DIR"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"


class RunFormatError(ValueError):
    """A run directory or file is missing, corrupt, truncated, foreign, or from an
    incompatible ganlab; the message says which file and what is wrong."""


class RunNameError(RunFormatError):
    """A run name that is not allowed (it could leave the runs folder, or has odd characters)."""


def runs_root(root: str | Path | None = None) -> Path:
    """The runs folder: `root`, else $GANLAB_RUNS_DIR, else ./runs."""
    if root is not None:
        return Path(root)
    return Path(os.environ.get(ENV_RUNS_DIR) or "runs")


def check_name(name: str) -> str:
    """`name` if it is a safe run name, else RunNameError (no separators, '..', absolute paths)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name.endswith(".") or ".." in name:
        if not isinstance(name, str) or not name.strip():
            raise RunNameError(f"Give the run a name: use {NAME_RULE}")
        shown = name[:40] + ("…" if len(name) > 40 else "")
        shown = shown if shown.isprintable() else shown.encode("unicode_escape").decode()
        raise RunNameError(f"The run name “{shown}” is not allowed: use {NAME_RULE}")
    return name


def run_path(name: str, root: str | Path | None = None) -> Path:
    """The directory of run `name` under the runs folder, checked to stay inside it
    (also through symbolic links)."""
    base = runs_root(root).resolve()
    path = base / check_name(name)
    resolved = path.resolve()
    if resolved.parent != base:
        raise RunNameError(f"run {name!r} leads outside the runs folder (through a link); ganlab does not follow it")
    return path


def resolve_run(ref: str | Path, root: str | Path | None = None) -> Path:
    """A run given as a name in the runs folder or as a path to an existing run directory
    (the CLI accepts both: `ganlab sample grid-1` or `ganlab sample ./elsewhere/grid-1`)."""
    text = str(ref)
    if os.sep in text or (os.altsep and os.altsep in text):
        path = Path(text)
        if not path.is_dir():
            raise RunFormatError(f"{text} is not a run folder")  # the path as the user typed it
        return path
    path = run_path(text, root)
    if not path.is_dir():
        raise RunFormatError(f"no run named {text!r} in the runs folder (`ganlab runs` lists the runs there)")
    return path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`: a reader
    sees the old file or the new one, never a half-written one."""
    path = Path(path)
    if path.parent.is_symlink():  # e.g. a run's snapshots/ replaced by a link out of the runs folder
        raise RunFormatError(f"{path.parent.name}/ is a link; ganlab writes only into real folders of a run")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_new_file(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_new_file(path: Path, data: bytes) -> None:
    """Create `path` (never through a link or over an existing file) holding `data`, on disk."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    with os.fdopen(os.open(path, flags, 0o644), "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
