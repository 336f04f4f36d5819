"""Browser sessions on the app, shared by the benchmarks that go through the pages: a server
(tests/browser/conftest.py's AppServer), one Chromium, one context per session (each its own
Streamlit session), the status line's step counter read in the page itself, and the server's
trainer processes found through its process tree.

Every wait here is bounded in time; every process is found from the PID of a server we started.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from tests.browser.conftest import CHROMIUM_FLAGS, AppServer, _chromium_path  # noqa: E402

MIB = 2 ** 20
STEP_TEXT = re.compile(r"Step ([\d,]+)")
# The bold "Step N" of the status line, by textContent (no layout, unlike innerText).
_READ_STEP = """() => {
    for (const el of document.querySelectorAll("strong")) {
        const m = el.textContent.match(/^Step ([\\d,]+)$/);
        if (m) return parseInt(m[1].replace(/,/g, ""));
    }
    return null;
}"""
# Counts every change of the step counter with page-side timestamps, so K pages read one after
# the other still give each page's rate over its own window. maxGap: the longest time between two
# changes (or from the window's start to the first one).
_OBSERVE = """() => {
    const read = %s;
    const w = {changes: 0, first: read(), firstT: performance.now(), last: null, lastT: null,
               startT: performance.now(), maxGap: 0, prevT: performance.now()};
    w.last = w.first; w.lastT = w.firstT;
    if (window.__ganlabObserver) window.__ganlabObserver.disconnect();
    window.__ganlab = w;
    window.__ganlabObserver = new MutationObserver(() => {
        const now = read();
        if (now === null || now === w.last) return;
        const t = performance.now();
        w.changes++; w.maxGap = Math.max(w.maxGap, t - w.prevT); w.prevT = t;
        w.last = now; w.lastT = t;
    });
    window.__ganlabObserver.observe(document.body, {subtree: true, childList: true, characterData: true});
}""" % _READ_STEP
_WINDOW = """() => {
    const w = window.__ganlab, t = performance.now();
    return {changes: w.changes, first: w.first, firstT: w.firstT, last: w.last, lastT: w.lastT,
            elapsed: (t - w.startT) / 1000, maxGap: Math.max(w.maxGap, t - w.prevT) / 1000};
}"""


def exit_on_sigterm() -> None:
    """SIGTERM (e.g. from `timeout`) raises SystemExit, so `finally` blocks stop the servers."""
    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {len(os.sched_getaffinity(0))} usable cores"


def launch_browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_FLAGS)


@dataclass
class Window:
    """One page's measurement window: steps/s from its first to its last counter change."""

    changes: int
    steps: int
    seconds: float  # from the first to the last change seen
    elapsed: float  # the whole window
    max_gap: float  # the longest wait for a change, seconds

    @property
    def rate(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    @property
    def refresh_hz(self) -> float:
        return self.changes / self.elapsed if self.elapsed > 0 else 0.0


class Session:
    """One browser context with one page on the playground: its own Streamlit session."""

    def __init__(self, browser: Any, server: AppServer, query: str = "", *, width: int = 1024,
                 height: int = 768, timeout_s: float = 60.0, wait: bool = True) -> None:
        """`wait=False` returns once the request is sent; `wait_open()` then waits for the page
        (so many pages can load at once)."""
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.page.set_default_timeout(timeout_s * 1000)
        self.page.goto(f"{server.url}/Playground{query}", timeout=timeout_s * 1000,
                       wait_until="load" if wait else "commit")
        if wait:
            self.wait_open(timeout_s)

    def wait_open(self, timeout_s: float = 60.0) -> None:
        """Until the status line shows."""
        self.page.get_by_text(STEP_TEXT).first.wait_for(timeout=timeout_s * 1000)

    def play(self, timeout_s: float = 30.0, wait: bool = True) -> None:
        """Press Play and wait for the Pause button (training, or waiting in line); `wait=False`
        returns after the click (then `wait_playing()`)."""
        self.page.get_by_role("button", name="Play").click(timeout=timeout_s * 1000)
        if wait:
            self.wait_playing(timeout_s)

    def wait_playing(self, timeout_s: float = 30.0) -> None:
        self.page.get_by_role("button", name="Pause").wait_for(timeout=timeout_s * 1000)

    def step(self) -> int | None:
        return self.page.evaluate(_READ_STEP)

    def wait_step(self, at_least: int, timeout_s: float = 60.0) -> None:
        self.page.wait_for_function(f"() => ({_READ_STEP})() >= {at_least}", timeout=timeout_s * 1000)

    def text(self) -> str:
        return self.page.evaluate("document.body.innerText")

    def start_window(self) -> None:
        self.page.evaluate(_OBSERVE)

    def read_window(self) -> Window:
        w = self.page.evaluate(_WINDOW)
        return Window(changes=w["changes"], steps=(w["last"] or 0) - (w["first"] or 0),
                      seconds=(w["lastT"] - w["firstT"]) / 1000, elapsed=w["elapsed"], max_gap=w["maxGap"])

    def close(self) -> None:
        self.context.close()


def measure(sessions: list[Session], seconds: float) -> list[Window]:
    """Each session's window over the same `seconds` of wall time."""
    for s in sessions:
        s.start_window()
    time.sleep(seconds)
    return [s.read_window() for s in sessions]


# --------------------------------------------------------------------------- processes
def server_tree(server: AppServer) -> list[psutil.Process]:
    try:
        return psutil.Process(server.proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def forkserver_pid(server: AppServer) -> int | None:
    """The trainers' forkserver: the server's direct child running multiprocessing.forkserver."""
    try:
        for child in psutil.Process(server.proc.pid).children():
            if "multiprocessing.forkserver" in " ".join(child.cmdline()):
                return child.pid
    except psutil.NoSuchProcess:
        pass
    return None


def trainer_pids(server: AppServer) -> list[int]:
    """The trainer workers: children of the server's forkserver."""
    pid = forkserver_pid(server)
    if pid is None:
        return []
    try:
        return [c.pid for c in psutil.Process(pid).children() if c.status() != psutil.STATUS_ZOMBIE]
    except psutil.NoSuchProcess:
        return []


def rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / MIB


def stop_server(server: AppServer, timeout_s: float = 15.0) -> list[int]:
    """Stop `server` and wait for its descendants; kill (by PID) and return any that outlived it."""
    tree = server_tree(server)
    server.stop()
    _, alive = psutil.wait_procs(tree, timeout=timeout_s)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    return [p.pid for p in alive]


def log_problems(server: AppServer, start: int = 0, end: int | None = None) -> list[str]:
    """Lines of the server's log (characters `start` to `end`) that speak of an exception or a
    traceback, with the line that names it (the last of each traceback)."""
    lines = Path(server.log_path).read_text(errors="replace")[start:end].splitlines()
    found = []
    for i, line in enumerate(lines):
        if re.search(r"Traceback|Exception|Error\b", line):
            found.append(line)
        elif i > 0 and lines[i - 1].startswith("    ") and re.match(r"[\w.]+(Error|Exception|Disconnected)\b", line):
            found.append(line)
    return found


def log_size(server: AppServer) -> int:
    return len(Path(server.log_path).read_text(errors="replace"))


# --------------------------------------------------------------------------- CPU
def _cpu(proc: psutil.Process) -> float:
    try:
        t = proc.cpu_times()
        return t.user + t.system
    except psutil.NoSuchProcess:
        return 0.0


def _is_python(proc: psutil.Process) -> bool:
    try:
        return "python" in proc.name()
    except psutil.NoSuchProcess:
        return True


def renice_browser(niceness: int) -> int:
    """Lower the priority of this process's non-Python descendants (Playwright's driver and
    Chromium) to `niceness`; returns how many. On a workshop server the browsers run on the
    participants' laptops: a niced browser here takes only the CPU the server leaves.

    Linux's autogroup scheduling (kernel.sched_autogroup_enabled) puts Chromium, which starts
    its own session, in a group of its own, where a process's nice value only ranks it among
    its group; the group's nice (/proc/PID/autogroup) is set too."""
    count = 0
    for proc in psutil.Process().children(recursive=True):
        if _is_python(proc):
            continue
        try:
            proc.nice(niceness)
            count += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        try:
            if os.getsid(proc.pid) != os.getsid(0):  # its own session (Chromium): its own autogroup.
                # (Playwright's driver shares ours: setting that group would lower the server too.)
                Path(f"/proc/{proc.pid}/autogroup").write_text(str(niceness))
        except OSError:  # no autogroup, or not allowed: the process's nice is all there is
            pass
    return count


def cpu_groups(server: AppServer | None) -> dict[str, float]:
    """CPU seconds so far of: the server process, its trainer workers, the browser (this
    process's descendants that are not Python: Playwright's driver and Chromium), this process, and the
    whole machine's busy time (so `other` = what nobody here burned), steal and idle time."""
    me = psutil.Process()
    server_pids: set[int] = set()
    groups = {"server": 0.0, "trainers": 0.0, "browser": 0.0, "this script": _cpu(me)}
    if server is not None:
        server_pids = {server.proc.pid} | {p.pid for p in server_tree(server)}
        groups["server"] = _cpu(psutil.Process(server.proc.pid)) if psutil.pid_exists(server.proc.pid) else 0.0
        groups["trainers"] = sum(_cpu(psutil.Process(pid)) for pid in trainer_pids(server) if psutil.pid_exists(pid))
    groups["browser"] = sum(_cpu(p) for p in me.children(recursive=True)
                            if p.pid not in server_pids and not _is_python(p))
    t = psutil.cpu_times()
    groups["machine"] = t.user + t.nice + t.system + t.irq + t.softirq
    groups["steal"] = getattr(t, "steal", 0.0)  # a VM's CPU taken by its host: nobody here had it
    groups["idle"] = t.idle + getattr(t, "iowait", 0.0)
    return groups


class CpuMeter:
    """Cores used by each group of `cpu_groups` between start() and read(). Workers that start
    or stop inside the window are counted only while seen at both ends (a lower bound)."""

    def __init__(self, server: AppServer | None) -> None:
        self.server = server
        self.start()

    def start(self) -> None:
        self._t0, self._c0 = time.perf_counter(), cpu_groups(self.server)

    def read(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self._t0
        now = cpu_groups(self.server)
        cores = {k: max(0.0, (now[k] - self._c0[k]) / elapsed) for k in now}
        steal, idle = cores.pop("steal"), cores.pop("idle")
        cores["other"] = max(0.0, cores.pop("machine") - sum(cores.values()))
        cores["steal"], cores["idle"] = steal, idle
        return cores


def cpu_text(cores: dict[str, float]) -> str:
    return "CPU cores: " + ", ".join(f"{k} {v:.2f}" for k, v in cores.items())
