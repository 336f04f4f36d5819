"""Trainer processes on this machine: each run trains in a worker forked from one forkserver
that has torch and ganlab loaded (`worker_preload`), so a worker starts in a fraction of a
second and shares torch's memory with the others.

The forkserver is a fresh interpreter, not a fork of the app server (which runs threads).
A worker ends when the server releases its run, when the pipe to the server breaks (the
server exited or was killed: the kernel closes the pipe), or when its forkserver dies.

A forkserver that does not hand over a new worker in time (stopped or stuck) fails that start
with a TimeoutError and is replaced: the next start gets a new forkserver, while the workers the
old one made train on (it is left alone, not killed, since its workers die with it).
"""

from __future__ import annotations

import ctypes
import io
import logging
import multiprocessing
import multiprocessing.context
import os
import select
import signal
import sys
import threading
import time
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.context import set_spawning_popen
from typing import Any

from ganlab.training.channel import Channel
from ganlab.training.trainer_host import CALLS

log = logging.getLogger(__name__)

PRELOAD = ["ganlab.training.worker_preload"]
COLD_START_S = 120.0  # a forkserver's first worker: it imports torch first (seconds; more on a busy machine)
WARM_START_S = 15.0  # a forkserver that has made a worker before forks the next in a fraction of a second
_answered_by: int | None = None  # the forkserver pid that last handed over a worker
_context_lock = threading.Lock()
_context = None


def trainer_context() -> Any:
    """The multiprocessing context for trainer processes (a forkserver with torch preloaded)."""
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _context = ctx
        return _context


class _WorkerPopen(popen_forkserver.Popen):
    """A forkserver child that does not re-run the server's main script. multiprocessing makes
    each child import `__main__` again (here: the streamlit command, or a benchmark script); a
    trainer needs only ganlab, already loaded in its forkserver. The rest is the stdlib's
    `_launch` of Python 3.10-3.12 (later versions use theirs, and re-import the main module)."""

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = _read_pid_in_time(self.sentinel)


def _read_pid_in_time(sentinel: int) -> int:
    """The new worker's pid, as the forkserver sends it; TimeoutError (and a new forkserver for the
    next start) when it does not come in time."""
    global _answered_by
    server = forkserver._forkserver
    server_pid = server._forkserver_pid
    wait = WARM_START_S if server_pid is not None and server_pid == _answered_by else COLD_START_S
    ready, _, _ = select.select([sentinel], [], [], wait)
    if not ready:
        _replace_forkserver(server_pid)
        raise TimeoutError(f"the trainer forkserver (pid {server_pid}) did not start a trainer in {wait:g} s")
    pid = forkserver.read_signed(sentinel)
    _answered_by = server_pid
    return pid


def _replace_forkserver(pid: int | None) -> None:
    """Forget a hung forkserver, so the next start launches a new one (as the stdlib does for a dead one)."""
    server = forkserver._forkserver
    with server._lock:
        if pid is None or server._forkserver_pid != pid:
            return  # replaced already (by another start that timed out)
        try:
            os.close(server._forkserver_alive_fd)
        except OSError:
            pass
        server._forkserver_address = server._forkserver_alive_fd = server._forkserver_pid = None
    log.error("the trainer forkserver (pid %s) did not start a trainer in time: it is stopped or stuck; "
              "the next start uses a new one (the old one is left to its running workers)", pid)


class _WorkerProcess(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> popen_forkserver.Popen:
        if sys.version_info >= (3, 13):  # a newer stdlib may launch differently: keep its own way
            return popen_forkserver.Popen(process_obj)
        return _WorkerPopen(process_obj)


def warm_up() -> None:
    """Start the forkserver now (it imports torch: seconds), so the first Play does not wait."""
    trainer_context()
    forkserver.ensure_running()


class ProcessTransport:
    """One worker process and the channel to it."""

    def __init__(self, name: str = "trainer") -> None:
        ctx = trainer_context()
        ours, theirs = ctx.Pipe(duplex=True)
        self.process = _WorkerProcess(target=worker_main, args=(theirs,), name=name, daemon=True)
        try:
            self.process.start()
        except BaseException:  # a hung forkserver (TimeoutError), no memory for a process
            ours.close()
            theirs.close()
            raise
        theirs.close()  # only the worker holds its end: its exit closes the pipe
        self.channel = Channel(ours, name=name)
        self.pid = self.process.pid

    def call(self, name: str, *args: Any, timeout: float = 30.0, **kwargs: Any) -> Any:
        return self.channel.call(name, *args, timeout=timeout, **kwargs)

    @property
    def lost(self) -> bool:
        return self.channel.closed

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker for good: ask it, then close the pipe, then kill what is left."""
        try:
            self.channel.call("release", timeout=min(timeout, 2.0))
        except Exception:  # gone already, or never opened: closing the pipe ends it
            pass
        self.channel.close()
        self.process.join(timeout)
        if self.process.is_alive():
            log.warning("trainer process %s did not stop; killing it", self.pid)
            self.process.kill()
            self.process.join(timeout)


class _Handlers(dict):
    """The worker's call table: "open" builds the host; the rest are its public methods."""

    def __init__(self) -> None:
        super().__init__()
        self.host = None

    def __missing__(self, name: str) -> Any:
        if name == "open":
            return self._open
        if name in CALLS and self.host is not None:
            return getattr(self.host, name)
        raise KeyError(name)

    def _open(self, experiment: Any, knobs: Any, seq: int, options: dict) -> str:
        from ganlab.training.trainer_host import TrainerHost

        options = dict(options)
        limit_memory(options.pop("memory_limit", None))
        self.host = TrainerHost(experiment, knobs, seq, **options)
        return str(getattr(self.host.runner.experiment, "device", "cpu"))


def worker_main(conn: Any) -> None:
    """The worker process: serve the host's calls until the server lets go or goes away."""
    import torch

    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the server's terminal is the server's
    torch.set_flush_denormal(True)  # denormals made toy training ~9x slower on these CPUs
    torch.set_num_threads(1)  # one core per run; the server's cap counts runs against cores
    _run_as_batch()
    handlers = _Handlers()
    gone = threading.Event()
    channel = Channel(conn, handlers, on_close=gone.set, name="worker")
    parent = os.getppid()
    while not gone.wait(1.0):
        if os.getppid() != parent:  # the forkserver died (and with it, the server)
            break
    if handlers.host is not None:
        handlers.host.runner.release(timeout=2.0)
    channel.close()


def _run_as_batch() -> None:
    """SCHED_BATCH: the kernel treats a trainer as CPU-bound and does not preempt others on its every
    wake-up, so it gets longer slices and fewer switches (30 runs on 2 cores: 0.70x -> 0.81x the steps
    of 2 runs, benchmarks/bench_workshop_room.py --poll 0). Its share (weight) is unchanged; a
    crowded server lowers it (ganlab.training.crowding)."""
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (OSError, AttributeError):  # not Linux or not permitted: the default policy
        log.warning("could not set the trainer's scheduling policy", exc_info=True)


LIMIT_SLACK = 256 * 2**20  # beyond the run's budget: its history, views, saves and the calls' pickles


def limit_memory(budget: int | None) -> int | None:
    """Cap this worker's data (heap and private mappings, RLIMIT_DATA) at what it holds now (torch,
    shared with the forkserver) plus `budget` and LIMIT_SLACK: an allocation past it fails with an
    error the run shows (ganlab.training.error_text), instead of the machine running out of memory
    for everyone. Not on a GPU machine (its driver maps large regions). Returns the limit set."""
    import resource

    import torch

    if not budget or torch.cuda.is_available():
        return None
    try:
        with open("/proc/self/status") as f:
            held = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmData:"))
        limit = held + int(budget) + LIMIT_SLACK
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (OSError, ValueError, StopIteration):  # not Linux: no limit, the estimate still refuses
        log.warning("could not limit the trainer's memory", exc_info=True)
        return None
    return limit


def _die_with_parent() -> None:
    """Linux: a SIGTERM when the forkserver (which dies with the server) goes."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """The PIDs in `pids` still running after up to `timeout` s (tests and benchmarks)."""
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        if alive:
            time.sleep(0.05)
    return alive


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
