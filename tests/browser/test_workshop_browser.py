"""Many people, one server: each tab owns its run and its trainer process, closed tabs are cleaned
up (their processes too), the cap queues the next run, and a stopped server leaves no process."""

from __future__ import annotations

import re

import psutil
import pytest

from ganlab.training.worker_process import wait_gone
from tests.browser.test_playground_browser import STEP_TEXT, press_play, step_count, wait_for_step_above

pytestmark = pytest.mark.browser


def open_page(context, server, query="?gw=16&dw=16"):
    page = context.new_page()
    page.goto(f"{server.url}/Playground{query}")
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    return page


def trainer_pids(server) -> set[int]:
    """The server's trainer processes: the children of its forkserver (a grandchild of the server)."""
    pids = set()
    for child in psutil.Process(server.proc.pid).children():
        pids |= {p.pid for p in child.children()}
    return pids


def test_closed_tab_is_released_after_grace_period_with_its_process(browser, start_server):
    server = start_server(GANLAB_RELEASE_AFTER_S="3")
    context = browser.new_context()
    page = open_page(context, server)
    press_play(page)
    wait_for_step_above(page, 3)
    page.wait_for_url(re.compile(r"run="), timeout=30_000)
    link = page.url
    trainers = trainer_pids(server)
    assert len(trainers) == 1, "one tab, one trainer process"
    context.close()  # the tab is gone; its run keeps its slot only for the grace period
    page = browser.new_context().new_page()
    # the reaper (a sweep every 5 s) releases the run, and with it ends its process, within the
    # grace and two sweeps (3 + 10 s); the rest is slack for a loaded machine
    assert wait_gone(list(trainers), timeout=3 + 10 + 7) == [], "the closed tab's trainer process should have ended"
    page.goto(link)
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    assert step_count(page) == 0, "the old run should have been released; its link starts fresh"
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)


def test_server_wide_cap_queues_the_second_user(browser, start_server):
    server = start_server(GANLAB_MAX_TRAINING_RUNS="1")
    alice = open_page(browser.new_context(), server)
    press_play(alice)
    wait_for_step_above(alice, 0)
    bob = open_page(browser.new_context(), server)
    bob.get_by_role("button", name="Play", exact=True).click()
    bob.get_by_text("Your run is number 1 in line").wait_for(timeout=30_000)
    bob.get_by_text("waiting in line").first.wait_for(timeout=30_000)
    assert step_count(bob) == 0
    # When Alice pauses, Bob's run starts by itself.
    alice.get_by_role("button", name="Pause", exact=True).click()
    alice.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    assert wait_for_step_above(bob, 0) > 0
    bob.get_by_role("button", name="Pause", exact=True).wait_for(timeout=30_000)


def test_a_stopped_server_leaves_no_trainer_process(browser, start_server):
    server = start_server()
    pages = [open_page(browser.new_context(), server) for _ in range(2)]
    press_play(pages[0])
    pages[1].get_by_role("button", name="Step", exact=True).click()  # (an open page alone starts no trainer)
    wait_for_step_above(pages[0], 0)
    wait_for_step_above(pages[1], 0)
    everything = [p.pid for p in psutil.Process(server.proc.pid).children(recursive=True)]
    assert len(trainer_pids(server)) == 2  # (+ their forkserver and multiprocessing's resource tracker)
    server.stop()  # SIGTERM, as a host's Ctrl-C or a service manager does
    assert wait_gone(everything, timeout=15) == []
