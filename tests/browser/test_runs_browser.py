"""The runs page in a real browser: compare runs, open one and replay it, and follow a run
that a headless `ganlab train` process is still writing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunWriter
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training.runner import Runner
from tests.browser.conftest import ARTIFACTS, ROOT, SharedServer
from tests.browser.labels import VIEWPORTS

pytestmark = pytest.mark.browser
TINY = MLPShape(hidden_layers=1, width=8)
STATUS = re.compile(r"\*\*2D\*\* run|2D run on")
STEP = re.compile(r"step ([\d,]+) ·")


def make_runs(root: Path) -> None:
    for name, loss in (("ring-a", "non-saturating"), ("ring-b", "hinge")):
        exp = ToyExperiment(ToyStructure(data="ring", generator=TINY, discriminator=TINY))
        runner = Runner(exp, Knobs(batch_size=16, loss=loss), eval_every=2)
        try:
            writer = RunWriter(root / name, exp, status="paused")
            for _ in range(3):
                runner.step("both", 2)
                assert runner.wait_idle(60)
                writer.save(runner.export_state())
            writer.save(runner.export_state(), status="completed")
        finally:
            runner.release()


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory) -> Path:
    """The module's runs folder: two finished 2D runs (ring-a, ring-b) and a digits run with a quality
    score (digits-quality); test_a_headless_run_updates_live adds one ('live')."""
    from ganlab.cli import main

    root = tmp_path_factory.mktemp("runs")
    make_runs(root)
    assert main(["train", "--data", "digits", "--max-images", "64", "--width", "8", "--noise-dim", "8",
                 "--batch-size", "8", "--device", "cpu", "-q", "--steps", "2", "--name", "digits-quality",
                 "--runs-dir", str(root)]) == 0
    return root


@pytest.fixture(scope="module")
def _runs_servers(runs_root):
    shared = SharedServer({"GANLAB_RUNS_DIR": str(runs_root)})
    yield shared
    shared.stop()


@pytest.fixture
def runs_server(_runs_servers, request):
    """A server shared by the module's tests, on the module's runs folder."""
    yield from _runs_servers.serve(request)


def open_runs(page, server) -> None:
    page.goto(f"{server.url}/Runs")
    page.get_by_role("heading", name="Runs", exact=True).wait_for(timeout=60_000)


def choose(page, *names: str) -> None:
    box = page.locator("[data-testid='stMultiSelect'] input").first
    for name in names:
        box.click()
        box.fill(name)
        page.get_by_role("option", name=name, exact=True).click()
    page.keyboard.press("Escape")


def shown_step(page) -> int:
    text = page.get_by_text("2D run on", exact=False).first.inner_text()
    return int(STEP.search(text).group(1).replace(",", ""))


def test_compare_open_and_replay(page, runs_server):
    server = runs_server
    open_runs(page, server)
    # the runs table (a canvas grid; its cells are mirrored in hidden table cells)
    page.locator("td[role=gridcell]", has_text="ring-b").first.wait_for(state="attached", timeout=30_000)

    choose(page, "ring-a", "ring-b")
    page.get_by_role("heading", name=re.compile("Compare ring-a, ring-b")).wait_for(timeout=30_000)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stImage\"] img, [data-testid=\"stImageContainer\"] img').length >= 2",
        timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "runs-compare.png"), full_page=True)

    open_runs(page, server)  # a fresh page: open a single run
    choose(page, "ring-a")
    page.get_by_role("heading", name="ring-a", exact=True).wait_for(timeout=30_000)
    page.get_by_text("ring-a at step 6").wait_for(timeout=30_000)
    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowLeft")
    page.get_by_text("ring-a at step 4").wait_for(timeout=30_000)
    slider.press("ArrowLeft")
    page.get_by_text("ring-a at step 2").wait_for(timeout=30_000)
    page.get_by_role("button", name="Make an animated GIF", exact=True).click()
    page.get_by_text(re.compile(r"GIF up to step 6")).wait_for(timeout=30_000)


@pytest.mark.parametrize("width, height", VIEWPORTS)
def test_the_runs_table_shows_best_at_laptop_widths(browser, runs_server, width, height):
    """Issue 11.9: at 1024x768 (sidebar open) the table cut the Best column. The grid renders
    only the columns at least partly in view into its accessible table: a column rendered after
    Best means Best is wholly in view."""
    server = runs_server
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        open_runs(page, server)
        page.locator("td[role=gridcell]", has_text="Fréchet").first.wait_for(state="attached", timeout=30_000)
        page.wait_for_timeout(500)  # the canvas paints after its accessible mirror
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"runs-table-{width}x{height}.png"))
        headers = page.locator("th[role=columnheader]").all_inner_texts()
        assert "Best" in headers and headers.index("Best") + 2 < len(headers), headers
        assert headers[:5] == ["Name", "Best", "Steps", "Run", "Status"], headers
        best = page.locator("td[role=gridcell]", has_text="Fréchet").first.inner_text()
        assert best.startswith("classes ") and ", IS " in best
    finally:
        context.close()


def test_a_headless_run_updates_live(page, runs_server, runs_root):
    root = runs_root
    env = {**os.environ, "GANLAB_RUNS_DIR": str(root), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganlab", "train", "--data", "ring", "--steps", "10000000", "--name", "live",
         "--width", "8", "--hidden-layers", "1", "--batch-size", "16", "--save-every", "0.5", "--device", "cpu", "-q"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (root / "live" / "weights.safetensors").exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the headless run wrote nothing"
            time.sleep(0.2)
        open_runs(page, runs_server)
        choose(page, "live")
        page.get_by_text("a `ganlab train` process is writing it", exact=False).or_(
            page.get_by_text("ganlab train process is writing it", exact=False)).first.wait_for(timeout=30_000)
        first = shown_step(page)
        deadline = time.monotonic() + 30
        while shown_step(page) <= first:  # refreshed by the page itself: no reload
            assert time.monotonic() < deadline, "the page did not follow the headless run"
            time.sleep(0.3)
    finally:
        proc.terminate()  # SIGTERM: the command saves the run as interrupted
        proc.wait(30)
    assert proc.returncode == 130
