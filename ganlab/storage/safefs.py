"""Reading and deleting files of a run without trusting the folder: regular files only (no
links, FIFOs or devices), never outside the run directory, sizes capped before reading, and
JSON whose nesting cannot exhaust the interpreter's stack.

A run folder may be shared on a workshop server, so whatever lies in it is treated as
hostile: a FIFO named config.json must not hang the reader, a link to /dev/zero must not be
read without bound, a link out of the folder must not be followed for reading, writing or
deleting.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

from ganlab.storage.paths import RunFormatError

MAX_JSON_DEPTH = 32  # ganlab writes at most ~5 levels
TEMP_PATTERN = re.compile(r"\.[^/]+\.[0-9a-f]{8}\.tmp")  # atomic_write_bytes' temporary files
STALE_TEMP_SECONDS = 600.0  # older than this, a temporary file is a crashed write's leftover


def check_folder(folder: Path, what: str | None = None) -> None:
    """RunFormatError unless `folder` is a real directory (not a link to one)."""
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        raise RunFormatError(f"{what or folder.name} is missing") from None
    except OSError as exc:
        raise RunFormatError(f"{what or folder.name} cannot be read: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise RunFormatError(f"{what or folder.name} is a link to another folder; ganlab does not follow links "
                             "in run folders")
    if not stat.S_ISDIR(st.st_mode):
        raise RunFormatError(f"{what or folder.name} is not a folder")


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of `path`, a regular file (not a link) of at most `limit` bytes; RunFormatError
    (FileNotFoundError's message: '<name> is missing') otherwise. Opened without following
    links and without blocking, so a FIFO or device is refused, not waited on."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise RunFormatError(f"{path.name} is missing") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RunFormatError(f"{path.name} is a link; ganlab reads only plain files in a run folder") from None
        raise RunFormatError(f"{path.name} cannot be read: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RunFormatError(f"{path.name} is not a plain file (a pipe, device or folder)")
        if st.st_size > limit:
            raise RunFormatError(f"{path.name} is too large for a ganlab run file ({st.st_size:,} bytes; "
                                 f"at most {limit:,})")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while being read
                raise RunFormatError(f"{path.name} is too large for a ganlab run file")
        return b"".join(chunks)
    except OSError as exc:
        raise RunFormatError(f"{path.name} cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)


def json_depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` nests at most `limit` levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return True


def parse_json(text: str | bytes, what: str) -> Any:
    """JSON text as Python values; RunFormatError for invalid or too deeply nested JSON
    (ganlab's files nest a few levels; 100,000 brackets would overflow the stack)."""
    try:
        value = json.loads(text)
    except RecursionError:
        value = None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunFormatError(f"{what} is corrupt or truncated (not valid JSON: {_short(exc)})") from None
    else:
        if json_depth_ok(value):
            return value
    raise RunFormatError(f"{what} is not a ganlab file (JSON nested more than {MAX_JSON_DEPTH} levels deep)")


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."


def plain_entries(folder: Path) -> list[Path]:
    """The regular files (not links) directly in `folder`; [] when it is missing or a link."""
    try:
        check_folder(folder)
    except RunFormatError:
        return []
    out = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                try:
                    if entry.is_file(follow_symlinks=False):
                        out.append(Path(entry.path))
                except OSError:
                    continue
    except OSError:
        return []
    return out


def remove_inside(run_dir: Path, path: Path) -> bool:
    """Delete `path` only when it is a regular file (or a link, itself) whose folder lies inside
    `run_dir` without links; True when removed."""
    run_dir, path = Path(run_dir), Path(path)
    try:
        parent = path.parent.resolve(strict=True)
        base = run_dir.resolve(strict=True)
    except OSError:
        return False
    if parent != base and base not in parent.parents:
        return False
    if path.parent.is_symlink() or run_dir.is_symlink():
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        return False
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


def clean_stale_temp_files(run_dir: Path, older_than: float = STALE_TEMP_SECONDS) -> int:
    """Remove the temporary files a killed write left in a run (and its snapshots folder);
    those younger than `older_than` seconds may belong to a write in progress and stay."""
    now, removed = time.time(), 0
    for folder in (Path(run_dir), Path(run_dir) / "snapshots"):
        for path in plain_entries(folder):
            if not TEMP_PATTERN.fullmatch(path.name):
                continue
            try:
                if now - os.lstat(path).st_mtime < older_than:
                    continue
            except OSError:
                continue
            removed += remove_inside(run_dir, path)
    return removed
