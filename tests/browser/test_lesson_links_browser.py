"""A lesson link in a real browser at a projector's 1024 px: hidden controls absent, locked ones
disabled, and the "Make a lesson link" panel's link and QR code shown."""

from __future__ import annotations

import pytest

from tests.browser.labels import every_cut_label
from tests.browser.test_playground_browser import STEP_TEXT

pytestmark = pytest.mark.browser


def test_a_lesson_link_hides_locks_and_gives_its_link_at_1024_px(browser, app_server):
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.goto(f"{app_server.url}/Playground?data=grid&loss=hinge&gw=64&hide=glr,dlr,structure,presets&lock=loss")
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    loss = sidebar.locator("[data-testid='stSelectbox']").filter(has_text="Loss").first.locator("input")
    loss.wait_for(timeout=30_000)
    assert loss.is_disabled(), "the locked loss is drawn disabled"
    label = sidebar.locator("[data-testid='stSelectbox']").filter(has_text="Loss").first.locator(
        "[data-testid='stWidgetLabel']").inner_text()
    assert label.split() == ["Loss", "lock"], "with a lock mark (the material icon's ligature)"
    assert page.locator("input[aria-label='Learning rate']").count() == 0, "both learning rates are hidden"
    assert sidebar.get_by_text("Structure (needs a restart)").count() == 0
    assert sidebar.get_by_role("button", name="Apply and restart").count() == 0
    assert not sidebar.locator("[data-testid='stSelectbox']").filter(has_text="Optimizer").first.locator(
        "input").is_disabled(), "a free control stays free"

    sidebar.get_by_text("Make a lesson link").click()
    code = sidebar.locator("[data-testid='stCode']").first
    code.wait_for(timeout=30_000)
    link = code.inner_text().replace("\n", "")
    assert link.startswith(f"{app_server.url}/Playground?"), link
    assert "hide=glr,dlr,structure,presets" in link and "lock=loss" in link and "gw=64" in link
    assert "run=" not in link and "pgrun=" not in link
    assert sidebar.locator("[data-testid='stImage'] img").first.bounding_box()["width"] > 150, "the QR code is drawn"
    assert every_cut_label(page) == [], "the open panel's labels and buttons are whole at 1024 px"
    page.context.close()
