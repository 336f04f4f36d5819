"""A workshop's worth of sessions on one small server: do the pages keep answering, do the
training ones keep refreshing, and is everything cleaned up once the tabs close?

    python benchmarks/bench_workshop_load.py                          # 30 sessions, 30 s window
    python benchmarks/bench_workshop_load.py --sessions 4 --window 10 # a short smoke run

One server (GANLAB_RELEASE_AFTER_S=--grace, default 5 s; no cap on training runs but memory, as
by default: every run trains and the cores are shared, README "A fair share of the server") and
one Chromium with a context per session (1024x768). Every session opens the playground and
presses Play: all train (with GANLAB_MAX_TRAINING_RUNS set, those beyond it wait in line).
During `--window` seconds the benchmark counts, in each training page, every change of its
status line's step counter (target: at least once a second, i.e. no gap over 1 s), and every
`--check-every` seconds checks that every page still shows its status line, that each queued
page says its number in line (the numbers 1..n-cap, once each, when any waits), and that no page shows an
exception. It then scans the server log for exceptions and tracebacks, closes every page,
waits (at most `--cleanup-timeout` s) until no trainer worker is left (children of the
server's forkserver) and compares the server's RSS with two baselines: right after start-up
(before any page: no registry, no forkserver, nothing imported by the pages yet) and after
one warm-up session opened, trained and was closed and released (the fair one: the pages'
imports are then in memory; target within 10 %).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import app_sessions  # noqa: E402  (puts the repository root on sys.path)
from app_sessions import AppServer, CpuMeter, Session, cpu_text, rss_mib, trainer_pids  # noqa: E402

IN_LINE = re.compile(r"number (\d+) in line")
EXCEPTION = '[data-testid="stException"]'


def wait_no_trainers(server: AppServer, timeout_s: float) -> tuple[float, list[int]]:
    """Seconds until the server has no trainer workers (bounded), and those left at the end."""
    t0 = time.perf_counter()
    left = trainer_pids(server)
    while left and time.perf_counter() - t0 < timeout_s:
        time.sleep(0.5)
        left = trainer_pids(server)
    return time.perf_counter() - t0, left


def rss_samples(server: AppServer, seconds: float, every: float = 5.0) -> list[tuple[float, float]]:
    """(seconds since the call, server RSS MiB), every `every` s for `seconds` s (at least one)."""
    t0 = time.perf_counter()
    samples = [(0.0, rss_mib(server.proc.pid))]
    while time.perf_counter() - t0 + every <= seconds:
        time.sleep(every)
        samples.append((time.perf_counter() - t0, rss_mib(server.proc.pid)))
    return samples


def check_pages(sessions: list[Session], queued: set[int]) -> list[str]:
    """One pass over every page: problems found (no status line, no place in line, an exception)."""
    problems, places = [], []
    for i, session in enumerate(sessions):
        try:
            if session.step() is None:
                problems.append(f"page {i + 1}: no status line")
            if session.page.locator(EXCEPTION).count():
                problems.append(f"page {i + 1}: shows an exception")
            if i in queued:
                m = IN_LINE.search(session.text())
                if m is None:
                    problems.append(f"page {i + 1}: queued but shows no place in line")
                else:
                    places.append(int(m.group(1)))
        except Exception as err:  # a page that does not answer is a finding, not a crash of the benchmark
            problems.append(f"page {i + 1}: {type(err).__name__}: {str(err).splitlines()[0][:120]}")
    if queued and sorted(places) != list(range(1, len(queued) + 1)):
        problems.append(f"places in line shown: {sorted(places)} (expected 1..{len(queued)})")
    return problems


class Deadline:
    """The setup's time budget: each wait gets what is left of it (and at most `cap` s)."""

    def __init__(self, seconds: float, cap: float) -> None:
        self.end, self.cap = time.perf_counter() + seconds, cap

    def left(self) -> float:
        return max(1.0, min(self.cap, self.end - time.perf_counter()))


def _first_line(err: Exception) -> str:
    return f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"


def open_and_play(browser, server: AppServer, n: int, batch: int, size: tuple[int, int], deadline: Deadline,
                  findings: list[str]) -> list[Session]:
    """`n` sessions, requested `batch` at a time (each batch loads at once; the next is requested
    when it has loaded), then Play clicked on each (all clicks first: one slow rerun holds up no
    other click). A page that does not get there in time is a finding; it is left out of what
    follows (but closed with the others)."""
    from playwright.sync_api import Error as PlaywrightError

    t0 = time.perf_counter()
    meter = CpuMeter(server)
    sessions, ready = [], []
    for first in range(0, n, batch):
        requested = []
        for i in range(first, min(n, first + batch)):
            try:
                requested.append(Session(browser, server, width=size[0], height=size[1], timeout_s=deadline.left(),
                                         wait=False))
            except PlaywrightError as err:
                findings.append(f"page {i + 1}: no response to its request ({time.perf_counter() - t0:.0f} s after "
                                f"the first): {_first_line(err)}")
        for session in requested:
            try:
                session.wait_open(deadline.left())
                ready.append(session)
            except PlaywrightError as err:
                findings.append(f"page {len(sessions) + requested.index(session) + 1} did not show its status line: "
                                f"{_first_line(err)}")
        sessions += requested
        print(f"  {len(ready)} of {min(n, first + batch)} pages open after {time.perf_counter() - t0:.1f} s",
              flush=True)
    print(f"  while the pages opened: {cpu_text(meter.read())}", flush=True)
    opened = time.perf_counter() - t0
    t1 = time.perf_counter()
    clicked = []
    for session in ready:
        try:
            session.play(timeout_s=deadline.left(), wait=False)
            clicked.append(session)
        except PlaywrightError as err:
            findings.append(f"page {sessions.index(session) + 1}: Play could not be clicked: {_first_line(err)}")
    t_clicks = time.perf_counter() - t1
    playing = []
    for session in clicked:
        try:
            session.wait_playing(deadline.left())
            playing.append(session)
        except PlaywrightError as err:
            findings.append(f"page {sessions.index(session) + 1}: no Pause button after Play: {_first_line(err)}")
    print(f"{len(ready)} of {n} pages open {opened:.1f} s after the first request ({batch} at a time); Play clicked on "
          f"{len(clicked)} in {t_clicks:.1f} s, {len(playing)} showing Pause {time.perf_counter() - t1:.1f} s after "
          f"the first click; {len(trainer_pids(server))} trainer workers", flush=True)
    return playing


def watch(server: AppServer, sessions: list[Session], window: float, check_every: float,
          findings: list[str]) -> None:
    """The measurement window: refreshes of the training pages, checks of every page."""
    queued = {i for i, s in enumerate(sessions) if "waiting in line" in s.text()}
    training = [s for i, s in enumerate(sessions) if i not in queued]
    print(f"{len(training)} training, {len(queued)} waiting in line", flush=True)
    meter = CpuMeter(server)
    for session in training:
        session.start_window()
    t_end = time.perf_counter() + window
    passes = 0
    while time.perf_counter() < t_end and passes < 1000:
        t_pass = time.perf_counter()
        findings += [f"check {passes + 1}: {problem}" for problem in check_pages(sessions, queued)]
        passes += 1
        print(f"  check {passes}: all {len(sessions)} pages in {time.perf_counter() - t_pass:.1f} s", flush=True)
        time.sleep(max(0.0, min(check_every, t_end - time.perf_counter())))
    windows = []
    for i, session in enumerate(training, 1):
        try:
            windows.append(session.read_window())
        except Exception as err:  # a page that stopped answering
            findings.append(f"training page {i}: its counter could not be read: {_first_line(err)}")
    cores = meter.read()
    for i, w in enumerate(windows, 1):
        print(f"  training page {i}: {w.rate:.0f} steps/s, step counter changed {w.changes} times in "
              f"{w.elapsed:.1f} s ({w.refresh_hz:.2f}/s), longest gap {w.max_gap:.2f} s", flush=True)
        if w.max_gap > 1.0:
            findings.append(f"training page {i}: a gap of {w.max_gap:.2f} s without a refresh")
    if windows:
        print(f"live view of the training pages: at least {min(w.refresh_hz for w in windows):.2f} "
              f"refreshes/s, longest gap {max(w.max_gap for w in windows):.2f} s (target: every <= 1 s)")
    print(f"{passes} checks of all {len(sessions)} pages; {cpu_text(cores)}; server RSS "
          f"{rss_mib(server.proc.pid):.0f} MiB with all pages open", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=30, help="browser sessions (default 30)")
    parser.add_argument("--batch", type=int, default=5,
                        help="pages requested at once; the next batch when these have loaded (default 5; "
                             "30 at once did not load in 250 s on the 2-core VM, Chromium taking ~1.8 cores)")
    parser.add_argument("--window", type=float, default=30.0, help="measured seconds with all playing (default 30)")
    parser.add_argument("--check-every", type=float, default=5.0, help="seconds between page checks (default 5)")
    parser.add_argument("--grace", type=float, default=5.0, help="GANLAB_RELEASE_AFTER_S for the server (default 5)")
    parser.add_argument("--cleanup-timeout", type=float, default=60.0,
                        help="longest wait for the workers to go after the pages close (default 60 s)")
    parser.add_argument("--setup-timeout", type=float, default=170.0,
                        help="longest time for all pages to open and show Pause (default 170 s; one wait <= 120 s)")
    parser.add_argument("--rss-wait", type=float, default=10.0,
                        help="after the workers are gone, sample the server's RSS this long (default 10 s)")
    parser.add_argument("--session-ttl", type=int, default=None,
                        help="Streamlit's server.disconnectedSessionTTL for the server (default: Streamlit's, "
                             "120 s: a closed tab's session state, and what it holds, stays that long)")
    parser.add_argument("--viewport", default="1024x768")
    args = parser.parse_args()
    app_sessions.exit_on_sigterm()
    from playwright.sync_api import sync_playwright

    size = tuple(int(v) for v in args.viewport.split("x"))
    print(f"{args.sessions} sessions, grace {args.grace:g} s; at the start: {app_sessions.load_text()}", flush=True)
    env = {"GANLAB_RELEASE_AFTER_S": f"{args.grace:g}"}
    if args.session_ttl is not None:
        env["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(args.session_ttl)
    server = AppServer(env)
    findings: list[str] = []
    try:
        rss_start = rss_mib(server.proc.pid)
        with sync_playwright() as p:
            browser = app_sessions.launch_browser(p)
            try:
                warm = Session(browser, server, width=size[0], height=size[1], timeout_s=120)
                warm.play()
                warm.wait_step(1)
                warm.close()
                waited, left = wait_no_trainers(server, args.cleanup_timeout)
                rss_warm = rss_mib(server.proc.pid)
                print(f"server RSS: {rss_start:.0f} MiB after start-up, {rss_warm:.0f} MiB after one warm-up session "
                      f"(its worker gone {waited:.1f} s after its page closed{'; LEFT: ' + str(left) if left else ''})",
                      flush=True)
                deadline = Deadline(args.setup_timeout, 120)
                sessions = open_and_play(browser, server, args.sessions, max(1, args.batch), size, deadline, findings)
                watch(server, sessions, args.window, args.check_every, findings)
                log_open = app_sessions.log_size(server)
                t_close = time.perf_counter()
                for context in list(browser.contexts):  # every session's, the ones left out too
                    context.close()
                closed = time.perf_counter() - t_close
            finally:
                browser.close()
        waited, left = wait_no_trainers(server, args.cleanup_timeout)
        print(f"pages closed in {closed:.1f} s; trainer workers left: {len(left)} "
              f"(waited {waited:.1f} s after closing, bound {args.cleanup_timeout:.0f} s)", flush=True)
        if left:
            findings.append(f"trainer workers still running {waited:.0f} s after the pages closed: {left}")
        samples = rss_samples(server, args.rss_wait)
        rss_end = samples[-1][1]
        print("server RSS after the workers went: " + ", ".join(f"{mib:.0f} MiB at +{t:.0f} s" for t, mib in samples))
        for name, base in (("after start-up", rss_start), ("after the warm-up session (the baseline)", rss_warm)):
            print(f"server RSS at the end {rss_end:.0f} MiB: {100 * (rss_end - base) / base:+.1f} % against "
                  f"{base:.0f} MiB {name}")
        if abs(rss_end - rss_warm) / rss_warm > 0.10:
            findings.append(f"server RSS {rss_end:.0f} MiB is not within 10 % of {rss_warm:.0f} MiB")
        while_open = app_sessions.log_problems(server, 0, log_open)
        on_close = app_sessions.log_problems(server, log_open)
        print(f"server log: {len(while_open)} lines naming an exception or traceback while the pages were open, "
              f"{len(on_close)} after they closed")
        findings += [f"server log, pages open: {line}" for line in while_open[:20]]
        findings += [f"server log, after closing: {line}" for line in on_close[:20]]
    finally:
        leftover = app_sessions.stop_server(server)
        if leftover:
            findings.append(f"processes outlived the server and were killed: {leftover}")
    print(f"findings: {len(findings)}" + "".join(f"\n  {f}" for f in findings))
    print(f"server log: {server.log_path}; at the end: {app_sessions.load_text()}")


if __name__ == "__main__":
    main()
