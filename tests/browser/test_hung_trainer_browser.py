"""A trainer that dies or stops answering, as a user meets it in Chromium: an idle page holds no
process; a worker killed while the page is paused shows at once, with no click; a stopped
(SIGSTOP) trainer gets the Restart offer within seconds and Reset kills it without an error page
(issue 23.4, 23.10, 23.11)."""

from __future__ import annotations

import os
import signal

import pytest

from ganlab.training.worker_process import wait_gone
from tests.browser.test_playground_browser import STEP_TEXT, press_play, wait_for_step_above

pytestmark = pytest.mark.browser


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == pid:
                found.append(int(entry))
    return found


def trainer_pids(server) -> list[int]:
    """The server's trainer processes: the children of its forkserver (a grandchild of the server)."""
    return [pid for child in _children(server.proc.pid) for pid in _children(child)]


@pytest.fixture
def stopped():
    pids: list[int] = []
    yield pids
    for pid in pids:
        for sig in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass


def open_playground(page, server):
    page.goto(f"{server.url}/Playground?gw=16&dw=16")
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)


def test_a_worker_killed_while_paused_shows_without_a_click(page, fresh_server):
    open_playground(page, fresh_server)
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    assert trainer_pids(fresh_server) == []  # an idle page holds no trainer process
    page.get_by_role("button", name="Step", exact=True).click()
    wait_for_step_above(page, 0)
    (worker,) = trainer_pids(fresh_server)
    os.kill(worker, signal.SIGKILL)
    page.get_by_text("stopped unexpectedly").first.wait_for(timeout=30_000)  # nothing clicked meanwhile
    page.get_by_role("button", name="Restart from step 0").click()
    page.get_by_text("A new trainer started the run again at step 0").wait_for(timeout=30_000)
    assert len(trainer_pids(fresh_server)) == 1 and worker not in trainer_pids(fresh_server)


def test_a_stopped_trainer_is_offered_restart_and_reset_shows_no_error_page(page, fresh_server, stopped):
    open_playground(page, fresh_server)
    press_play(page)
    wait_for_step_above(page, 5)
    (worker,) = trainer_pids(fresh_server)
    stopped.append(worker)
    os.kill(worker, signal.SIGSTOP)
    page.get_by_text("has stopped answering").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Restart from step").wait_for(timeout=10_000)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=15_000)
    page.get_by_text("Reset: restarted from step 0").first.wait_for(timeout=15_000)
    assert page.get_by_text("This app has encountered an error").count() == 0
    assert wait_gone([worker], timeout=10) == [] and trainer_pids(fresh_server) == []  # killed; fresh weights need none
