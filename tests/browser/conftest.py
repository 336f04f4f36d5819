"""Real-browser fixtures: `streamlit run app.py` on a free loopback port, driven by Debian's
Chromium through Playwright.

Which server a test takes (a server's start and its first page, torch and the trainers' warm-up
included, cost several seconds: tests share one where they can):

- `app_server`, the default: the server this module's tests share. Each test still has its own
  Streamlit session, and with it its own runs, because a session is a browser context: `page`
  makes one per test, and so does a test's own `browser.new_context()`. Use it for what a user
  does in their own tab. A run the test leaves training costs a restart, not a failure: the
  server is replaced before the module's next test, with a warning that names the test (press
  Pause and wait for Play at the end to avoid it). A failed test's server is replaced too.
- `fresh_server`: a server for this test alone, stopped after it. Use it when the test checks
  what is server-wide: a cold server's first page, the server's trainer processes, its slots,
  what a stopped server leaves behind.
- `start_server(**env)`: fresh servers with extra environment variables (a runs folder, a cap,
  a grace period), all stopped after the test. Several tests that need the same environment
  can share a server: a module-scoped `SharedServer(env)` and a fixture that yields from its
  `serve(request)` (test_latent_browser.py).

A test on a shared server passes in any order within its module (check: `pytest --co -q FILE`,
then the ids in reverse): the paused runs of the module's earlier tests stay on the server for
its grace period after their tabs close (two minutes).

Without Chromium or Playwright these tests skip on a developer's machine, and
fail under CI (CI=true or GANLAB_REQUIRE_BROWSER=1), where skipping would hide them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import psutil
import pytest

from tests.browser.labels import VIEWPORTS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("GANLAB_REQUIRE_BROWSER") == "1"


def _unavailable(reason: str):
    if _browser_required():
        pytest.fail(f"browser tests are required here but cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run app.py` in a subprocess, stopped with SIGTERM."""

    started = 0  # servers started in this process (the browser tests' summary line counts them)

    def __init__(self, env: dict[str, str] | None = None) -> None:
        AppServer.started += 1
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = ARTIFACTS / f"server-{self.port}.log"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
             # tests see an exception's text and traceback (participants get a generic message)
             "--client.showErrorDetails", "full"],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy in 60 s; see {self.log_path}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


@pytest.fixture(scope="session")
def browser():
    chromium = _chromium_path()
    if chromium is None:
        _unavailable("Chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def trainer_pids(server: AppServer) -> list[int]:
    """The server's trainer processes: the children of its forkserver (a grandchild of the server)."""
    try:
        return [p.pid for child in psutil.Process(server.proc.pid).children() for p in child.children()]
    except psutil.NoSuchProcess:
        return []


def _threads_running(pids: list[int]) -> bool:
    """Whether a thread of these processes is running or waiting for a core (state R) right now."""
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "R":
                        return True
            except (OSError, IndexError):
                continue
    return False


def training_left(server: AppServer, within_s: float = 15.0, window_s: float = 0.5) -> bool:
    """Whether a run still trains on `server` once `within_s` have passed: a window of `window_s`
    in which its trainer processes were running (or runnable: a loaded machine keeps a training
    thread waiting for a core, not asleep) less than a fifth of the time ends the wait. A paused
    trainer sleeps, but for a moment a second; a step in flight when Pause was pressed ends."""
    deadline = time.monotonic() + within_s
    while True:
        pids = trainer_pids(server)
        if not pids:
            return False
        samples = running = 0
        window_ends = time.monotonic() + window_s
        while time.monotonic() < window_ends:
            samples += 1
            running += _threads_running(pids)
            time.sleep(0.02)
        if running < samples / 5:
            return False
        if time.monotonic() > deadline:
            return True


class SharedServer:
    """One server handed to many tests in turn (started when the first one asks), replaced
    before the next test when a test failed, left a run training, or the server has died."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = dict(env or {})
        self._server: AppServer | None = None

    def serve(self, request: pytest.FixtureRequest):
        """The generator of a function-scoped fixture: the server, then the check after the test."""
        if self._server is not None and self._server.proc.poll() is not None:
            self.stop()
        if self._server is None:
            self._server = AppServer(self.env)
        yield self._server
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            self.stop()
        elif self._server.proc.poll() is None and training_left(self._server):
            warnings.warn(f"{request.node.nodeid} left a run training on the shared server, which is replaced "
                          "(a restart's cost): pause it at the end (and wait for Play), or use fresh_server",
                          stacklevel=1)
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep the test's own outcome (its call phase) on the item, for SharedServer.serve."""
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def pytest_terminal_summary(terminalreporter):
    if AppServer.started:
        terminalreporter.write_line(f"browser tests: {AppServer.started} app servers started")


@pytest.fixture(scope="module")
def _module_server():
    shared = SharedServer()
    yield shared
    shared.stop()


@pytest.fixture
def app_server(_module_server, request):
    """The module's shared server (see the module's docstring for when to take another)."""
    yield from _module_server.serve(request)


@pytest.fixture
def fresh_server():
    """A server started for this test alone: a cold server, and server-wide state of its own."""
    server = AppServer()
    yield server
    server.stop()


@pytest.fixture
def start_server():
    """Start servers with extra environment variables; all are stopped after the test."""
    servers: list[AppServer] = []

    def start(**env: str) -> AppServer:
        servers.append(AppServer(env))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(params=VIEWPORTS, ids=lambda size: f"{size[0]}x{size[1]}")
def sized_page(browser, request):
    """A page at each of the widths a person uses (labels.VIEWPORTS); `page.size` is (width, height)."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.size = (width, height)
    yield page
    context.close()
