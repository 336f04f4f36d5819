"""`ganlab train` processes a benchmark starts, stopped with it: a benchmark killed by SIGTERM or
Ctrl-C kills the training processes it started (by PID) instead of leaving them to run on.

    from train_children import run_train, stop_children_on_signal  # this folder is on sys.path
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_children: set[subprocess.Popen] = set()
_lock = threading.Lock()


def _stop_all(signum: int, frame: object) -> None:
    with _lock:
        for child in _children:
            child.kill()
    sys.exit(128 + signum)


def stop_children_on_signal() -> None:
    """Call once from the main thread: SIGTERM and SIGINT kill every child still running, then exit."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop_all)


def run_train(args: list[str], env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m ganlab train ARGS` with one intra-op thread, its output captured; the child is
    killed if this process is stopped while it runs."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", **(env_extra or {}))
    cmd = [sys.executable, "-m", "ganlab", "train", *args]
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with _lock:
        _children.add(child)
    try:
        out, err = child.communicate()
    finally:
        with _lock:
            _children.discard(child)
    return subprocess.CompletedProcess(cmd, child.returncode, out, err)
