"""The class view in a real browser: two participants (two browser contexts) with runs, the host's
page with the token lists both and never shows the token, and a message sent from it appears on
a participant's open page."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_playground_browser import STEP_TEXT, press_play, wait_for_step_above

pytestmark = pytest.mark.browser

SECRET = "class-view-Secret-91"


def participant(browser, server, query: str):
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.goto(f"{server.url}/Playground{query}")
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    return page


def test_the_host_sees_two_participants_and_reaches_them(browser, start_server):
    server = start_server(GANLAB_HOST_TOKEN=SECRET)
    anna = participant(browser, server, "?gw=16&dw=16&data=grid")
    ben = participant(browser, server, "?gw=16&dw=16&data=ring")
    press_play(anna)
    wait_for_step_above(anna, 0)

    host = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    host.goto(f"{server.url}/Class")  # no token: nobody's runs
    host.get_by_text("for the workshop's host").wait_for(timeout=60_000)
    assert "P1" not in host.inner_text("body")
    host.goto(f"{server.url}/Class?token={SECRET}")
    host.get_by_text("P2", exact=True).wait_for(timeout=60_000)
    host.wait_for_url(re.compile(r"/Class$"), timeout=10_000)  # the token left the address bar
    body = host.inner_text("body")
    assert SECRET not in body and SECRET not in host.url
    assert "P1" in body and "2D grid" in body and "2D ring" in body
    host.get_by_text("training", exact=False).first.wait_for(timeout=10_000)

    host.get_by_text("Send everyone a message or a lesson step").click()
    message = host.get_by_role("textbox", name="Message")
    message.fill("Look at the modes now")
    message.press("Enter")
    link = host.get_by_role("textbox", name="Link to a page or lesson step (optional)")
    link.fill("/Dynamics")
    link.press("Enter")
    host.get_by_role("button", name="Send to everyone").click()
    host.get_by_text("Shown on every participant's open page").wait_for(timeout=10_000)

    ben.get_by_text("Look at the modes now").wait_for(timeout=10_000)  # the issue asks <= 5 s; slack for CI
    ben.get_by_role("button", name="Open it").click()
    ben.wait_for_url(re.compile(r"/Dynamics"), timeout=30_000)
    anna.get_by_text("Look at the modes now").wait_for(timeout=10_000)
    anna.get_by_role("button", name="Dismiss").click()
    anna.get_by_text("Look at the modes now").wait_for(state="detached", timeout=10_000)
    assert SECRET not in host.inner_text("body")
