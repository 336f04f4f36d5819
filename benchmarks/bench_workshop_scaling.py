"""Do K people training at once on one server each get a core? Through the app: K browser
sessions press Play on the playground (the default 2D run) and their steps/s are read from
their status lines, against one session training alone on the same server.

    python benchmarks/bench_workshop_scaling.py                       # K = usable cores, 3 rounds
    python benchmarks/bench_workshop_scaling.py --sessions 2 --seconds 20 --rounds 5

Each round measures, in an order that alternates from round to round:

- process trainers (the default): a fresh server; one session plays alone (its rate is "one"),
  then K-1 more press Play and all K are measured together ("sum");
- thread trainers (GANLAB_TRAINERS=thread, the contrast: every run a thread of the server);
- headless: the same default run through `make_runner` (its own worker process, no page) in
  this benchmark's process.

Prints per round and as medians: sum / one for processes (target >= 0.8 K) and for threads
(before trainer processes: 1.26-1.33 for K = 2), and trainer speed with its page open (the lone
session) / headless (target >= 0.95). Each server is started for its measurement and stopped
after it. The cap on training runs is set to K, so no session waits in line. The browser runs
on the same cores as the trainers here (its CPU is printed); at a workshop it runs on each
participant's laptop, which `--browser-nice 19` approximates: Chromium then gets only the CPU the
server leaves.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import app_sessions  # noqa: E402  (puts the repository root on sys.path)
from app_sessions import AppServer, CpuMeter, Session, Window, cpu_text, measure  # noqa: E402
from bench_runner_overhead import runner_rate  # noqa: E402

from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.urlstate import decode  # noqa: E402


def app_phase(browser, trainers: str, k: int, warmup: float, seconds: float,
              size: tuple[int, int], nice: int = 0) -> tuple[Window, list[Window]]:
    """On a fresh server: one session alone, then K sessions together (printing where the CPU
    went in each window)."""
    env = {"GANLAB_MAX_TRAINING_RUNS": str(k)}
    if trainers == "thread":
        env["GANLAB_TRAINERS"] = "thread"
    server = AppServer(env)
    try:
        sessions = [Session(browser, server, width=size[0], height=size[1])]
        sessions[0].play()
        sessions[0].wait_step(1)
        # the others open while the first one warms up: idle pages do not poll
        sessions += [Session(browser, server, width=size[0], height=size[1]) for _ in range(k - 1)]
        if nice:
            app_sessions.renice_browser(nice)  # after the pages opened: each has its renderer process
        time.sleep(warmup)
        meter = CpuMeter(server)
        one = measure(sessions[:1], seconds)[0]
        print(f"  {trainers}, one alone: {cpu_text(meter.read())}", flush=True)
        for session in sessions[1:]:
            session.play()
        for session in sessions[1:]:
            session.wait_step(1)
        time.sleep(warmup)
        meter.start()
        together = measure(sessions, seconds)
        print(f"  {trainers}, {k} together: {cpu_text(meter.read())}", flush=True)
        for session in sessions:
            session.close()
        return one, together
    finally:
        left = app_sessions.stop_server(server)
        if left:
            print(f"  WARNING: processes outlived the server and were killed: {left}")


def rates_text(windows: list[Window]) -> str:
    return ", ".join(f"{w.rate:.0f}" for w in windows) + " steps/s (page counters changed " \
        + ", ".join(f"{w.refresh_hz:.1f}" for w in windows) + " times/s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=len(os.sched_getaffinity(0)),
                        help="K, sessions training together (default: usable cores)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per window (default 20)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of training before a window (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, phase order alternating (default 3)")
    parser.add_argument("--no-thread", action="store_true", help="skip the thread-trainer contrast")
    parser.add_argument("--viewport", default="1024x768", help="browser window, WxH (default 1024x768)")
    parser.add_argument("--browser-nice", type=int, default=0,
                        help="niceness for Chromium (default 0; 19 leaves the cores to the server first, "
                             "as when the browsers run on the participants' laptops)")
    args = parser.parse_args()
    app_sessions.exit_on_sigterm()
    from playwright.sync_api import sync_playwright

    k = args.sessions
    size = tuple(int(v) for v in args.viewport.split("x"))
    structure, knobs, _ = decode({})
    phases = ["process", "thread", "headless"] if not args.no_thread else ["process", "headless"]
    print(f"default 2D run (ring, 3x128 nets, batch 256), K = {k} sessions, {args.seconds:.0f} s windows after "
          f"{args.warmup:.0f} s warm-up, viewport {args.viewport}, browser niceness {args.browser_nice}; "
          f"at the start: {app_sessions.load_text()}", flush=True)
    ratios: dict[str, list[float]] = {"process": [], "thread": []}
    page_open: list[float] = []
    headless: list[float] = []
    with sync_playwright() as p:
        browser = app_sessions.launch_browser(p)
        try:
            for r in range(args.rounds):
                order = phases if r % 2 == 0 else phases[::-1]
                for phase in order:
                    if phase == "headless":
                        headless.append(runner_rate(ToyExperiment(structure), knobs, args.warmup, args.seconds,
                                                    threads=1, trainer="process"))
                        print(f"round {r + 1} headless (make_runner, process): {headless[-1]:.0f} steps/s; "
                              f"{app_sessions.load_text()}", flush=True)
                        continue
                    one, together = app_phase(browser, phase, k, args.warmup, args.seconds, size,
                                              args.browser_nice)
                    ratios[phase].append(sum(w.rate for w in together) / one.rate)
                    if phase == "process":
                        page_open.append(one.rate)
                    print(f"round {r + 1} {phase} trainers: one alone {rates_text([one])}; {k} together "
                          f"{rates_text(together)}; sum / one {ratios[phase][-1]:.2f}; {app_sessions.load_text()}",
                          flush=True)
        finally:
            browser.close()

    med = statistics.median
    print(f"sum of {k} / one, process trainers: median {med(ratios['process']):.2f} "
          f"(rounds {', '.join(f'{x:.2f}' for x in ratios['process'])}; target >= {0.8 * k:.1f})")
    if ratios["thread"]:
        print(f"sum of {k} / one, thread trainers:  median {med(ratios['thread']):.2f} "
              f"(rounds {', '.join(f'{x:.2f}' for x in ratios['thread'])}; before trainer processes 1.26-1.33 for 2)")
    pairs = [o / h for o, h in zip(page_open, headless, strict=False)]
    print(f"trainer speed with its page open / headless: median of rounds {med(pairs):.2f}, medians "
          f"{med(page_open):.0f} / {med(headless):.0f} = {med(page_open) / med(headless):.2f} (target >= 0.95)")
    print(f"at the end: {app_sessions.load_text()}")


if __name__ == "__main__":
    main()
