"""The playground's drawn data through AppTest: a drawing set through the settings trains (the
runner's data set is the drawing's), and a link with the drawing opens the same data."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.data.drawn import Drawing, Stroke, drawn_distribution, encode
from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until

PAGE = "pages/1_Playground.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}
LINE = encode(Drawing((Stroke(np.array([[-2.0, -2.0], [2.0, 2.0]]), 0.05),)))
DOTS = encode(Drawing((Stroke(np.array([[1.5, -1.0]]), 0.05), Stroke(np.array([[-1.5, 1.0]]), 0.05))))


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def test_a_link_with_a_drawing_trains_on_it_and_keeps_it_in_the_link(app):
    at = open_with(app, SMALL, data="drawn", draw=LINE)
    assert not at.warning and not at.error
    runner = runner_of(at)
    wait_until(lambda: runner.experiment.structure.data == "drawn")
    data = runner.experiment.dataset
    assert runner.experiment.structure.drawing == LINE and data.bounds == (-3.0, 3.0, -3.0, 3.0)
    points = data.sample(500).numpy()
    # every point lies near the line y = x from (-2, -2) to (2, 2)
    assert np.abs(points[:, 0] - points[:, 1]).max() / np.sqrt(2) < 6 * 0.05 + 0.01
    # the same drawing gives the same points wherever it is opened
    np.testing.assert_array_equal(data.sampler.data.numpy(), drawn_distribution(LINE).sampler.data.numpy())
    assert at.query_params["draw"] in (LINE, [LINE]) and at.query_params["data"] in ("drawn", ["drawn"])
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 1)
    assert runner.experiment.dataset is data  # a rerun with the same drawing keeps the run's data


def test_a_drawing_put_into_the_settings_restarts_the_run_on_it(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    assert runner.experiment.structure.data == "ring"
    at.selectbox(key="pg_data").set_value("drawn").run()
    assert "Draw on the canvas" in " ".join(i.value for i in at.info)
    at.session_state["pg_draw"] = DOTS
    at.run()
    assert not at.exception and not at.error
    wait_until(lambda: runner.experiment.structure.drawing == DOTS)
    data = runner.experiment.dataset
    np.testing.assert_allclose(np.sort(data.centres[:, 0]), [-1.5, 1.5], atol=0.01)  # clicks are modes
    assert at.query_params["draw"] in (DOTS, [DOTS])
    # switching to a toy drops the drawing from the link; switching back brings the drawing back
    at.selectbox(key="pg_data").set_value("ring").run()
    assert "draw" not in at.query_params or at.query_params["draw"] in ("", [""])
    at.selectbox(key="pg_data").set_value("drawn").run()
    wait_until(lambda: runner.experiment.structure.drawing == DOTS)


def test_a_damaged_drawing_in_a_link_says_so_and_asks_for_a_drawing(app):
    at = open_with(app, SMALL, data="drawn", draw="AQ!!garbled")
    warnings = " ".join(w.value for w in at.warning)
    assert "draw=AQ!!garbled ignored: the drawing in the link is damaged" in warnings
    assert "Draw on the canvas" in " ".join(i.value for i in at.info)


def test_a_new_drawing_on_a_trained_run_asks_and_keep_brings_the_old_drawing_back(app):
    at = open_with(app, SMALL, data="drawn", draw=LINE)
    runner = runner_of(at)
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 1)
    at.session_state["pg_draw"] = DOTS
    at.run()
    assert any("You changed the structure (drawing)" in w.value for w in at.warning)
    assert runner.experiment.structure.drawing == LINE and runner.snapshot().step == 1  # nothing lost yet
    assert at.query_params["draw"] in (LINE, [LINE])  # the link tells what trains
    at.button(key="pg_keep_run").click().run()
    assert at.session_state["pg_draw"] == LINE and not any("You changed" in w.value for w in at.warning)
    at.session_state["pg_draw"] = DOTS
    at.run()
    at.button(key="pg_confirm_restart_button").click().run()
    wait_until(lambda: runner.experiment.structure.drawing == DOTS)
    assert runner.snapshot().step == 0


def test_the_canvas_mode_is_kept_in_the_link(app):
    """Issue 22 item 10: the canvas mode (Strokes / Points) was not in the link."""
    at = open_with(app, SMALL, data="drawn", dm="points")
    assert at.radio(key="pg_draw_mode").value == "Points" and not at.warning
    at.radio(key="pg_draw_mode").set_value("Strokes").run()
    assert at.query_params["dm"] in ("strokes", ["strokes"])
    at.radio(key="pg_draw_mode").set_value("Points").run()
    assert at.query_params["dm"] in ("points", ["points"])
    # away to a toy and back: the radio comes back on the link's mode
    at.selectbox(key="pg_data").set_value("ring").run()
    at.selectbox(key="pg_data").set_value("drawn").run()
    assert at.radio(key="pg_draw_mode").value == "Points"


def test_a_bad_canvas_mode_in_a_link_is_named_and_strokes_kept(app):
    at = open_with(app, SMALL, data="drawn", dm="circles")
    warnings = [w.value for w in at.warning]
    assert warnings == ["Link setting dm=circles ignored: canvas mode must be one of strokes, points"], warnings
    assert at.radio(key="pg_draw_mode").value == "Strokes" and at.query_params["dm"] in ("strokes", ["strokes"])
