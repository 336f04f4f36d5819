"""Many people, one server: each tab owns its run, closed tabs are cleaned up, the cap holds."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_playground_browser import STEP_TEXT, step_count, wait_for_step_above

pytestmark = pytest.mark.browser


def open_page(context, server, query="?gw=16&dw=16"):
    page = context.new_page()
    page.goto(f"{server.url}/Playground{query}")
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    return page


def test_closed_tab_is_released_after_grace_period(browser, start_server):
    server = start_server(GANLAB_RELEASE_AFTER_S="3")
    context = browser.new_context()
    page = open_page(context, server)
    page.get_by_role("button", name="Play").click()
    wait_for_step_above(page, 3)
    page.wait_for_url(re.compile(r"run="), timeout=30_000)
    link = page.url
    context.close()  # the tab is gone; its run keeps its slot only for the grace period
    page = browser.new_context().new_page()
    page.wait_for_timeout(3000 + 5000 + 2000)  # grace + one reaper sweep + slack
    page.goto(link)
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    assert step_count(page) == 0, "the old run should have been released; its link starts fresh"
    page.get_by_role("button", name="Play").wait_for(timeout=30_000)


def test_server_wide_cap_tells_the_second_user(browser, start_server):
    server = start_server(GANLAB_MAX_TRAINING_RUNS="1")
    alice = open_page(browser.new_context(), server)
    alice.get_by_role("button", name="Play").click()
    wait_for_step_above(alice, 0)
    bob = open_page(browser.new_context(), server)
    bob.get_by_role("button", name="Play").click()
    bob.get_by_text("already training 1 run(s) at once").wait_for(timeout=30_000)
    assert step_count(bob) == 0
    # When Alice pauses, Bob can train.
    alice.get_by_role("button", name="Pause").click()
    alice.get_by_role("button", name="Play").wait_for(timeout=30_000)
    bob.get_by_role("button", name="Play").click()
    assert wait_for_step_above(bob, 0) > 0
