"""The D readout survives a lone G step, and the step count explains itself (issue 11.11)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from ganlab.ui.readout import d_numbers, last_known, step_label
from tests.apptest_pages import fresh_app, open_with, runner_of, status_line
from tests.conftest import wait_until


def test_last_known_skips_the_rows_without_a_d_update():
    history = {"d_real": np.array([0.9, 0.8, np.nan]), "d_fake": np.array([0.1, 0.2, np.nan]),
               "wasserstein": np.array([np.nan, np.nan, np.nan])}
    assert last_known(history) == {"d_real": 0.8, "d_fake": 0.2}
    assert last_known({}) == {}


def test_d_numbers_fill_in_only_what_the_last_step_lacked():
    history = {"d_real": np.array([0.7, np.nan]), "d_fake": np.array([0.3, np.nan])}
    after_g = SimpleNamespace(step=2, latest={"g_loss": 1.5}, history=history)
    assert d_numbers(after_g) == {"g_loss": 1.5, "d_real": 0.7, "d_fake": 0.3}
    after_d = SimpleNamespace(step=2, latest={"d_real": 0.6, "d_fake": 0.4}, history=history)
    assert d_numbers(after_d) == {"d_real": 0.6, "d_fake": 0.4}
    assert d_numbers(SimpleNamespace(step=0, latest={}, history={})) == {}


@pytest.mark.parametrize("step, g, label", [
    (3, 3, "**Step 3**"), (10_998, 10_997, "**Step 10,998** (incl. 1 D-only step)"),
    (12, 9, "**Step 12** (incl. 3 D-only steps)"),
])
def test_step_label_names_the_d_only_steps_that_make_up_the_difference(step, g, label):
    assert step_label(SimpleNamespace(step=step, g_updates=g)) == label


@pytest.fixture
def playground():
    yield from fresh_app("pages/1_Playground.py")


def test_a_lone_g_step_keeps_the_d_readout(playground):
    at = open_with(playground, {"gw": "16", "dw": "16", "gl": "1", "dl": "1"})
    runner = runner_of(at)
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 1)
    runner.wait_idle()
    d_real, d_fake = runner.snapshot().latest["d_real"], runner.snapshot().latest["d_fake"]
    at.button(key="pg_step_g").click().run()
    wait_until(lambda: runner.snapshot().step == 2)
    runner.wait_idle()
    at.run()
    assert "d_real" not in runner.snapshot().latest  # the G step computed none
    numbers = next(m.value for m in at.markdown if "<small>JS(real, fake)</small>" in m.value)
    assert f"<small>D(x) / D(G(z))</small><br>**{d_real:.2f} / {d_fake:.2f}**" in numbers
    at.button(key="pg_step_d").click().run()
    wait_until(lambda: runner.snapshot().step == 3)
    runner.wait_idle()
    at.run()
    line = status_line(at)
    assert line.startswith("**Step 3** (incl. 1 D-only step) ·") and "2 D / 2 G updates" in line
