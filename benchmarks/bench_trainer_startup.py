"""What a trainer process costs: memory per extra live run, and the wait from Play to the
first step (the default 2D run, through `make_runner` as the pages make it).

    python benchmarks/bench_trainer_startup.py                       # 5 warm starts, 4 live runs
    python benchmarks/bench_trainer_startup.py --runs 10 --live 6 --browser

Prints, in this order:

- the very first run of this process (cold: `make_runner` starts the forkserver, which imports
  torch): seconds from make_runner to the first step, and from play() to the first step;
- `--runs` more runs with the forkserver warm: the same two times each, and their medians
  (target: play to first step <= 2 s);
- `--live` runs playing at once (no training cap, `slots=None`), after `--settle` seconds: each
  worker's USS (memory only it holds: what an extra run really costs) and RSS (which counts the
  torch pages it shares with the forkserver), the forkserver's, and this process's RSS growth per
  run (the server side of a run: its copy of the experiment, the channel); target USS <= 150 MiB;
- with `--browser`: a server started for it, fresh sessions (one browser context each) on the
  playground, seconds from clicking Play to the status line showing a step >= 1.

A "first step" is a snapshot (polled every 10 ms, without history) whose step count is >= 1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import app_sessions  # noqa: E402  (puts the repository root on sys.path)
import psutil  # noqa: E402

from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.urlstate import decode  # noqa: E402
from ganlab.training.trainers import make_runner, trainer_kind  # noqa: E402
from ganlab.training.worker_process import wait_gone  # noqa: E402

MIB = app_sessions.MIB
POLL_S = 0.01


def wait_first_step(runner, timeout_s: float = 60.0) -> float:
    """perf_counter() when a snapshot first shows a step >= 1."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if runner.snapshot(with_history=False).step >= 1:
            return time.perf_counter()
        time.sleep(POLL_S)
    raise TimeoutError(f"no first step within {timeout_s:.0f} s")


def start_times() -> tuple[float, float]:
    """(make_runner -> first step, play() -> first step) for one default run, released after."""
    structure, knobs, _ = decode({})
    t0 = time.perf_counter()
    runner = make_runner(ToyExperiment(structure), knobs, slots=None)
    try:
        t1 = time.perf_counter()
        runner.play()
        t2 = wait_first_step(runner)
        return t2 - t0, t2 - t1
    finally:
        pid = runner.pid
        runner.release()
        wait_gone([pid])


def memory(live: int, settle: float) -> None:
    structure, knobs, _ = decode({})
    me = psutil.Process()
    before = me.memory_info().rss
    runners = []
    try:
        for _ in range(live):
            runners.append(make_runner(ToyExperiment(structure), knobs, slots=None))
            runners[-1].play()
        time.sleep(settle)
        after = me.memory_info().rss
        uss, rss = [], []
        for i, runner in enumerate(runners, 1):
            info = psutil.Process(runner.pid).memory_full_info()
            uss.append(info.uss / MIB)
            rss.append(info.rss / MIB)
            step = runner.snapshot(with_history=False).step
            print(f"  run {i}: worker {runner.pid}: USS {uss[-1]:6.1f} MiB, RSS {rss[-1]:6.1f} MiB (step {step:,})")
        fork = psutil.Process(runners[0].pid).parent()
        fork_info = fork.memory_full_info()
        print(f"  forkserver {fork.pid}: USS {fork_info.uss / MIB:.1f} MiB, RSS {fork_info.rss / MIB:.1f} MiB")
        print(f"per extra live run: worker USS median {statistics.median(uss):.1f} MiB, max {max(uss):.1f} "
              f"(target <= 150); worker RSS median {statistics.median(rss):.1f} MiB; this process "
              f"(server side) RSS {(after - before) / MIB / live:+.1f} MiB per run "
              f"({before / MIB:.0f} -> {after / MIB:.0f} MiB for {live})")
    finally:
        pids = [r.pid for r in runners]
        for runner in runners:
            runner.release()
        left = wait_gone(pids)
        if left:
            print(f"  WARNING: workers still running after release: {left}")


def browser_times(count: int) -> list[float]:
    """Seconds from clicking Play to a status line with step >= 1, one fresh session each (and,
    to tell where the time goes, to the Pause button: the rerun after the click has begun drawing)."""
    from playwright.sync_api import sync_playwright

    server = app_sessions.AppServer()
    times = []
    try:
        with sync_playwright() as p:
            browser = app_sessions.launch_browser(p)
            try:
                for i in range(count):
                    session = app_sessions.Session(browser, server)
                    t0 = time.perf_counter()
                    session.page.get_by_role("button", name="Play").click()
                    session.page.get_by_role("button", name="Pause").wait_for()
                    pause_shown = time.perf_counter() - t0
                    session.wait_step(1)
                    times.append(time.perf_counter() - t0)
                    what = "the first session on a fresh server" if i == 0 else "a fresh session"
                    print(f"  browser {i + 1}: Play to step >= 1 on the page {times[-1]:.2f} s ({what}; "
                          f"the Pause button showed after {pause_shown:.2f} s)", flush=True)
                    session.page.get_by_role("button", name="Pause").click()  # free the slot for the next
                    session.page.get_by_role("button", name="Play").wait_for()
                    session.close()
            finally:
                browser.close()
    finally:
        left = app_sessions.stop_server(server)
        if left:
            print(f"  WARNING: processes outlived the server and were killed: {left}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="warm starts to time (default 5)")
    parser.add_argument("--live", type=int, default=4, help="runs playing at once for the memory figures (default 4)")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds they play before measuring (default 5)")
    parser.add_argument("--browser", action="store_true", help="also time Play to first step in Chromium")
    parser.add_argument("--browser-runs", type=int, default=3, help="fresh sessions to time with --browser")
    args = parser.parse_args()
    app_sessions.exit_on_sigterm()
    if trainer_kind() != "process":
        raise SystemExit("unset GANLAB_TRAINERS and GANLAB_RAY_ADDRESS: this measures trainer processes")
    print(f"default 2D run (ring, 3x128 nets, batch 256); {app_sessions.load_text()}")

    create, play = start_times()
    print(f"cold (forkserver started by this run): make_runner -> first step {create:.2f} s, "
          f"play -> first step {play:.2f} s", flush=True)
    creates, plays = [], []
    for i in range(args.runs):
        create, play = start_times()
        creates.append(create)
        plays.append(play)
        print(f"warm {i + 1}: make_runner -> first step {create:.2f} s, play -> first step {play:.2f} s", flush=True)
    if plays:
        print(f"warm median of {args.runs}: make_runner -> first step {statistics.median(creates):.2f} s "
              f"(max {max(creates):.2f}), play -> first step {statistics.median(plays):.2f} s "
              f"(max {max(plays):.2f}); target <= 2 s")

    print(f"{args.live} runs playing at once, measured after {args.settle:.0f} s:")
    memory(args.live, args.settle)
    if args.browser:
        times = browser_times(args.browser_runs)
        later = times[1:] or times
        print(f"browser: Play to first step {times[0]:.2f} s on a fresh server, median "
              f"{statistics.median(later):.2f} s for later fresh sessions; target <= 2 s")
    print(f"at the end: {app_sessions.load_text()}")


if __name__ == "__main__":
    main()
