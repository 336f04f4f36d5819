"""A room of participants on one small server: does every one who presses Play train, and fairly?

    python benchmarks/bench_workshop_room.py                              # 30 runs, 120 s window
    python benchmarks/bench_workshop_room.py --runs 6 --seconds 20 --alone 10   # a short try

No browsers: every run is made the way the pages make it (`make_runner` through a
`RunnerRegistry` holding the server's real training slots, `server_training_slots()`), with
the default 2D playground settings, and each has a "page" thread that asks for its snapshot and
view as the playground's live view does (every `--poll` s; 0: no pages). In this order:

1. baseline: one run created, played, released (the server's imports and the forkserver are then
   warm), and this process's RSS: the server's before;
2. one run alone: its steps/s over `--alone` s (the speed a participant gets in an empty room);
3. as many runs as usable cores together: their summed steps/s (what handing time slices round
   could reach at best: at any moment only that many runs train, each at full speed);
4. `--runs` runs pressing Play `--stagger` s apart: for each, the wait from Play to its first step
   (target: the longest <= 30 s); the share the slots report; then over `--seconds` s each run's
   steps: Jain's fairness index (sum x)^2 / (n sum x^2) (target >= 0.9), and the summed steps/s
   against one run alone (target >= 1.6x on 2 cores); this process's RSS with them;
5. every run released (as the reaper does when the tabs close): no worker left (psutil:
   this process's children, bar the forkserver and multiprocessing's resource tracker), and the
   RSS against the baseline (target within 10 %).

The load average is printed at the start and the end: on a shared machine other people's work
takes cores from the trainers (a ratio against one run measured in the same script tolerates
it better than a steps/s figure).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import app_sessions  # noqa: E402  (puts the repository root on sys.path)
import psutil  # noqa: E402

from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.urlstate import decode  # noqa: E402
from ganlab.training import (  # noqa: E402
    RunnerRegistry,
    make_runner,
    refresh_interval,
    server_training_slots,
    trainer_kind,
)
from ganlab.training.registry import return_freed_memory  # noqa: E402
from ganlab.training.worker_process import wait_gone  # noqa: E402

MIB = app_sessions.MIB
POLL_FIRST_S = 0.05


def jain(values: list[float]) -> float:
    """Jain's fairness index: 1 when all are equal, 1/n when one gets everything."""
    total, squares = sum(values), sum(v * v for v in values)
    return total * total / (len(values) * squares) if squares > 0 else 0.0


def rss() -> float:
    return psutil.Process().memory_info().rss / MIB


def workers() -> list[int]:
    """Trainer processes of this process: its children, bar the forkserver and the resource tracker."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            line = " ".join(child.cmdline())
            if "forkserver" in line and child.ppid() == os.getpid() or "resource_tracker" in line:
                continue
            if child.status() != psutil.STATUS_ZOMBIE:
                found.append(child.pid)
        except psutil.NoSuchProcess:
            continue
    return found


class Room:
    """Runs made as the pages make them, each with a page thread polling its view."""

    def __init__(self, poll: float) -> None:
        self.registry = RunnerRegistry(server_training_slots(), grace_s=3600.0)
        self.structure, self.knobs, _ = decode({})  # the playground's defaults
        self.poll = poll
        self.fixed = False
        self.tokens: list[str] = []
        self.runners: list = []
        self.first_step_wait: list[float | None] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def play(self, count: int, stagger: float) -> None:
        for i in range(count):
            token, runner = self.registry.create(
                f"participant-{len(self.runners)}",
                lambda slots: make_runner(ToyExperiment(self.structure), self.knobs, slots=slots))
            self.tokens.append(token)
            self.runners.append(runner)
            self.first_step_wait.append(None)
            thread = threading.Thread(target=self._page, args=(len(self.runners) - 1, time.perf_counter()),
                                      daemon=True)
            runner.play()
            thread.start()
            self._threads.append(thread)
            if stagger and i < count - 1:
                time.sleep(stagger)

    def _page(self, index: int, pressed: float) -> None:
        """Wait for the first step (polled finely, to time it), then refresh like a live view."""
        runner = self.runners[index]
        while not self._stop.is_set():
            if runner.snapshot(with_history=False).step >= 1:
                self.first_step_wait[index] = time.perf_counter() - pressed
                break
            time.sleep(POLL_FIRST_S)
        while self.poll > 0 and not self._stop.wait(self._interval()):
            runner.snapshot(want_view=True, wait_for_view=0.5)

    def _interval(self) -> float:
        """The live view's refresh, as the page sets it (slower when the room is crowded), unless
        --fixed-poll."""
        if self.fixed:
            return self.poll
        slots = self.registry.slots
        return refresh_interval(self.poll, slots.in_use, slots.cores)

    def wait_all_started(self, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while None in self.first_step_wait and time.perf_counter() < deadline:
            time.sleep(0.2)

    def steps(self) -> list[tuple[int, float]]:
        """(step, when read) of each run: on a loaded machine reading 30 runs takes seconds."""
        return [(r.snapshot(with_history=False).step, time.perf_counter()) for r in self.runners]

    def rate_over(self, seconds: float) -> tuple[list[float], float]:
        """Each run's steps/s over its own `seconds`-long window, and the longest window."""
        first = self.steps()
        time.sleep(seconds)
        last = self.steps()
        windows = [t1 - t0 for (_, t0), (_, t1) in zip(first, last, strict=True)]
        return [(b - a) / w for (a, _), (b, _), w in zip(first, last, windows, strict=True)], max(windows)

    def leave(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        pids = [r.pid for r in self.runners if r.pid is not None]
        for token in self.tokens:
            self.registry.release(token)
        self.registry.shutdown()
        self.runners.clear()  # the pages are gone: nothing of theirs is held here any more
        self._threads.clear()
        wait_gone(pids, timeout=15)
        return_freed_memory()


def together(count: int, warmup: float, seconds: float, poll: float, stagger: float = 0.0) -> tuple[Room, list[float]]:
    room = Room(poll)
    room.play(count, stagger)
    room.wait_all_started(120)
    time.sleep(warmup)
    rates, _ = room.rate_over(seconds)
    return room, rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="runs in the room (default 30)")
    parser.add_argument("--seconds", type=float, default=120.0, help="the fairness window, seconds (default 120)")
    parser.add_argument("--alone", type=float, default=20.0, help="window for one run alone and for one per core")
    parser.add_argument("--warmup", type=float, default=5.0, help="training before each window, seconds")
    parser.add_argument("--poll", type=float, default=0.45, help="each page's live-view refresh, s (0: none)")
    parser.add_argument("--fixed-poll", action="store_true",
                        help="pages refresh every --poll s however crowded (the pages' rule before they slowed down)")
    parser.add_argument("--stagger", type=float, default=0.1, help="seconds between two participants' Play")
    args = parser.parse_args()
    app_sessions.exit_on_sigterm()
    cores = len(os.sched_getaffinity(0))
    print(f"default 2D run, {trainer_kind()} trainers, {args.runs} runs on {cores} usable cores, page polls every "
          f"{args.poll:g} s{' (fixed)' if args.fixed_poll else ', slower when crowded'}; "
          f"at the start: {app_sessions.load_text()}", flush=True)

    warm, _ = together(1, 1.0, 1.0, 0.0)  # the forkserver imports torch; estimates warm up
    warm.leave()
    base = rss()
    print(f"server RSS after one warm-up run left: {base:.0f} MiB (the baseline)", flush=True)

    room, alone = together(1, args.warmup, args.alone, args.poll)
    room.leave()
    print(f"one run alone: {alone[0]:.1f} steps/s; {app_sessions.load_text()}", flush=True)
    room, per_core = together(cores, args.warmup, args.alone, args.poll)
    room.leave()
    print(f"{cores} runs (one per core): {', '.join(f'{r:.1f}' for r in per_core)} steps/s, sum {sum(per_core):.1f} "
          f"= {sum(per_core) / alone[0]:.2f}x one alone (the most time slices could give)", flush=True)

    room = Room(args.poll)
    room.fixed = args.fixed_poll
    try:
        room.play(args.runs, args.stagger)
        room.wait_all_started(120)
        waits = [w for w in room.first_step_wait if w is not None]
        slots = room.registry.slots
        print(f"{args.runs} runs: {len(waits)} reached a first step; wait from Play: median "
              f"{statistics.median(waits):.2f} s, longest {max(waits):.2f} s (target <= 30); slots: {slots.in_use} "
              f"training, {slots.waiting} waiting, memory taken {slots.memory_in_use / MIB:.0f} of "
              f"{(slots.memory or 0) / MIB:.0f} MiB", flush=True)
        time.sleep(args.warmup)
        with_runs = rss()
        rates, measured = room.rate_over(args.seconds)
        total = sum(rates)
        print(f"over {measured:.0f} s: steps/s per run min {min(rates):.2f}, median {statistics.median(rates):.2f}, "
              f"max {max(rates):.2f}; Jain's index {jain(rates):.3f} (target >= 0.9)")
        print(f"sum {total:.1f} steps/s = {total / alone[0]:.2f}x one run alone (target >= 1.6), "
              f"{total / sum(per_core):.2f}x one per core; per run {total / args.runs / alone[0]:.3f} of full speed "
              f"(cores / runs = {cores / args.runs:.3f})")
        print(f"server RSS with {args.runs} runs: {with_runs:.0f} MiB; {app_sessions.load_text()}", flush=True)
    finally:
        room.leave()
    time.sleep(1.0)
    after, left = rss(), workers()
    print(f"after all left: server RSS {after:.0f} MiB ({100 * (after - base) / base:+.1f} % of the baseline "
          f"{base:.0f}; target within 10 %), workers left: {len(left)} {left if left else ''}")
    print(f"at the end: {app_sessions.load_text()}")


if __name__ == "__main__":
    main()
