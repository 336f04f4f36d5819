"""A crowded server keeps its pages: when more runs train than there are cores, the trainer
processes step back (niceness +10), so the server process, which draws every participant's page,
gets a core when it asks for one; the trainers still share what it leaves equally. When the room
is small again they return to the server's priority (where the system allows a process to raise
a priority again: as root, or with CAP_SYS_NICE; elsewhere they stay niced, which costs them
nothing while nothing else wants the cores).

Why not always niced: with one or two runs, a browser on the same machine (a laptop demo; the
CI's browser tests) takes the cores from a niced trainer and its page stops moving. Why at all:
30 trainers at the server's priority left the server 1/31 of the machine, and a participant's
page took over 30 s to show Pause (benchmarks/bench_workshop_load.py beside the 30-run room).
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any

log = logging.getLogger(__name__)

CROWDED_NICE = 10  # weight ~110 against the server's 1024: the server first, the trainers among themselves as before


def set_process_niceness(pid: int, nice: int) -> bool:
    """Every thread of process `pid` at niceness `nice` (Linux keeps a niceness per thread, and a
    trainer's training thread is not its main one). False where it could not (not permitted, the
    process is gone, not Linux)."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except (OSError, ValueError):
        tids = [pid]
    done = True
    for tid in tids:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        except (OSError, AttributeError):
            done = False
    return done


class CrowdingPriority:
    """The trainers' niceness from the count of runs training and the cores. Runs register the
    object that knows their process (its `pid`, None for threads and Ray actors: left alone)."""

    def __init__(self, cores: int) -> None:
        self.cores = cores
        self._lock = threading.Lock()
        self._runs: dict[str, weakref.ref] = {}
        self._applied: dict[int, int] = {}  # pid -> niceness set

    def track(self, holder: str, run: Any) -> None:
        with self._lock:
            self._runs[holder] = weakref.ref(run)

    def forget(self, holder: str) -> None:
        with self._lock:
            self._runs.pop(holder, None)

    def apply(self, training: set[str]) -> None:
        """Called after the set of runs training changed."""
        nice = CROWDED_NICE if len(training) > self.cores else 0
        with self._lock:
            runs = [ref() for holder, ref in self._runs.items() if holder in training]
            pids = [pid for run in runs if run is not None and (pid := getattr(run, "pid", None)) is not None]
            changes = [pid for pid in pids if self._applied.get(pid) != nice]
            for pid in changes:
                if set_process_niceness(pid, nice):
                    self._applied[pid] = nice
                else:
                    log.debug("could not set trainer %s to niceness %s", pid, nice)
