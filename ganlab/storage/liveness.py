"""Whether the process named in a run's config.json is still the ganlab process writing it.

A PID alone is not enough: after a crash or a reboot the number can belong to any other
program, and the run would show "training (live)" forever with Resume, Rename and Delete
disabled. The writer therefore records its process start time with its PID; a reader
compares both. Runs written before that field existed fall back to the command line of the
PID, which must look like ganlab's (python, ganlab or streamlit).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Mapping

WRITER_WORDS = ("python", "ganlab", "streamlit", "pytest")


def process_start(pid: int) -> int | None:
    """The start time of process `pid` in clock ticks since boot (Linux), else None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return int(text.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return None


def writer_identity() -> dict[str, Any]:
    """What config.json records about the process writing it."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": process_start(os.getpid())}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return isinstance(pid, int) and 0 < pid < 2**31
    return True


def is_live_writer(writer: Mapping[str, Any] | None) -> bool:
    """Whether `writer` (config.json's "writer") is a running ganlab process on this host."""
    if not isinstance(writer, Mapping) or writer.get("host") != socket.gethostname():
        return False
    pid = writer.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 2**31:
        return False
    if pid != os.getpid() and not pid_alive(pid):
        return False
    started = writer.get("started")
    now = process_start(pid)
    if isinstance(started, int) and now is not None:
        return started == now  # the same process, not a later one given the same number
    cmdline = _cmdline(pid)
    if cmdline is None:
        return True  # cannot tell (another user's process): keep the run safe from deletion
    return any(word in cmdline.lower() for word in WRITER_WORDS)
