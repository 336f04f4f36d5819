"""A crowded server keeps its pages: when more runs train than there are cores, the trainer
processes step back, so the server process, which draws every participant's page, gets a core
when it asks for one; the trainers still share what it leaves equally.

How far they step back grows with the crowding: each trainer gets the niceness at which all of
them together weigh, for the kernel's scheduler, about as much as one run per core at the
server's priority (Linux's weights fall by 1.25x per niceness step). The server then competes with
the room as it would with a small room: 3 runs on 2 cores step back 2 (weight 655 each against
the server's 1024), 30 runs step back 12. When the room is small again they return to the
server's priority (where the system allows a process to raise a priority again: as root, or with
CAP_SYS_NICE; elsewhere they stay niced, which costs them nothing while nothing else wants the
cores).

Why not always niced, or one fixed step: with one or two runs, a browser on the same machine (a
laptop demo; the CI's browser tests) takes the cores from a niced trainer and its page stops
moving; a fixed +10 at 3 runs does the same to the room's own few trainers. Why at all: 30
trainers at the server's priority left the server 1/31 of the machine, and a participant's page
took over 30 s to show Pause (benchmarks/bench_workshop_load.py beside the 30-run room).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import weakref
from typing import Any

log = logging.getLogger(__name__)

MOST_NICE = 19
WEIGHT_STEP = 1.25  # the kernel's sched_prio_to_weight: each niceness step divides the weight by ~1.25


def crowded_niceness(training: int, cores: int) -> int:
    """The niceness (above the server's) at which `training` trainers together weigh about as much
    as `cores` processes at the server's priority; 0 while there is a core per run."""
    if training <= cores:
        return 0
    return min(MOST_NICE, round(math.log(training / max(1, cores)) / math.log(WEIGHT_STEP)))


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


def descends_from_this_process(pid: int, depth: int = 4) -> bool:
    """Whether `pid` is this process's child, grandchild, ... (a trainer is a child of the
    forkserver, a child of the server): a Ray actor's pid names a process elsewhere."""
    me = os.getpid()
    for _ in range(depth):
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])  # field 4: the parent's pid
        except (OSError, ValueError, IndexError):
            return False
        if pid == me:
            return True
        if pid <= 1:
            return False
    return False


class CrowdingPriority:
    """The trainers' niceness from the count of runs training and the cores. Runs register the
    object that knows their process (its `pid`; None for threads): only this server's own
    descendants are touched (a Ray actor's pid is another machine's)."""

    def __init__(self, cores: int) -> None:
        self.cores = cores
        self.base = os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0
        self._lock = threading.Lock()
        self._runs: dict[str, weakref.ref] = {}
        self._applied: dict[int, int] = {}  # pid -> niceness set

    def track(self, holder: str, run: Any) -> None:
        with self._lock:
            self._runs[holder] = weakref.ref(run)

    def forget(self, holder: str) -> None:
        with self._lock:
            ref = self._runs.pop(holder, None)
            run = ref() if ref is not None else None
            self._applied.pop(getattr(run, "pid", None) or -1, None)  # a later process may get its pid

    def apply(self, training: set[str]) -> None:
        """Called after the set of runs training changed (and when a run's process started)."""
        nice = min(MOST_NICE, self.base + crowded_niceness(len(training), self.cores))
        with self._lock:
            runs = [ref() for holder, ref in self._runs.items() if holder in training]
            pids = [pid for run in runs if run is not None and (pid := getattr(run, "pid", None)) is not None]
            changes = [pid for pid in pids if self._applied.get(pid) != nice and descends_from_this_process(pid)]
            for pid in changes:
                if set_process_niceness(pid, nice):
                    self._applied[pid] = nice
                else:
                    log.debug("could not set trainer %s to niceness %s", pid, nice)
