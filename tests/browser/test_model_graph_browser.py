"""The model overview graph in a real browser at laptop size (1024x768, sidebar open): it is drawn
under the live view (which keeps the first screen, tests/browser/test_layout_browser.py), readable (its text
at least 9 px), follows a step and refreshes while training runs, and closes."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_playground_browser import press_play

pytestmark = pytest.mark.browser
CAPTION = ".ganlab-model-graph-caption"


def caption_step(page) -> int:
    text = page.locator(CAPTION).first.inner_text()
    return int(re.match(r"Step ([\d,]+)", text).group(1).replace(",", ""))


@pytest.fixture
def laptop(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    yield context.new_page()
    context.close()


def test_the_graph_is_readable_at_laptop_size_and_follows_training(laptop, app_server):
    page = laptop
    page.goto(f"{app_server.url}/Playground?gw=16&dw=16&gl=1&dl=1")
    page.locator(CAPTION).first.wait_for(timeout=60_000)
    header = page.locator("summary", has_text="Model overview graph")
    assert header.is_visible() and page.get_by_role("img", name="Model overview graph").is_visible()
    assert "nothing trained yet" in page.locator(CAPTION).first.inner_text()

    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(f"document.querySelector('{CAPTION}')?.innerText.startsWith('Step 1 ·')", timeout=30_000)
    svg = page.locator(".ganlab-model-graph svg").first
    box = svg.bounding_box()
    view = page.locator("[data-testid='stMain'] [data-testid='stPlotlyChart']").first.bounding_box()
    assert 480 <= box["width"] <= 1024 - 300  # fits beside the sidebar
    assert box["y"] >= view["y"] + view["height"]  # under the live view, which has the first screen
    # the smallest text (a node's lines, 11.5 units of the 584-unit view box) is drawn at >= 9 px
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('.ganlab-model-graph text')]
        .filter(t => t.textContent.trim()).map(t => t.getBoundingClientRect().height))""")
    assert smallest >= 9, smallest
    pictures = page.evaluate("""() => [...document.querySelectorAll('.ganlab-model-graph image')]
        .map(i => i.getAttribute('href').slice(0, 15))""")
    assert len(pictures) == 5 and all(p.startswith("data:image/") for p in pictures)
    assert page.locator('.ganlab-model-graph g.lit-g[data-id="g_loss-generator"]').count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "model_graph_1024.png"))

    press_play(page)  # the graph refreshes with the run
    page.wait_for_function(f"""() => {{ const m = /^Step ([\\d,]+)/.exec(
        document.querySelector('{CAPTION}')?.innerText || ''); return m && +m[1].replace(/,/g, '') > 1; }}""",
                           timeout=60_000)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    assert caption_step(page) > 1

    header.click()  # closed: not drawn at all
    page.wait_for_function(f"!document.querySelector('{CAPTION}')", timeout=30_000)
