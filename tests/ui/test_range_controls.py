"""The playground's View range buttons through AppTest: a click changes the range the view is
drawn over on the next refresh while the same run trains on; it survives the live refresh,
carries into the paused plotly view, and Whole data goes back to the data's frame."""

from __future__ import annotations

import json

import pytest

from ganlab.training.runner_state import RunState
from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until

PAGE = "pages/1_Playground.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def button(at, label):
    return next(b for b in at.button if b.label == label)


def caption(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("View range: "))


def drawn_range(runner, asked):
    """The range of the latest view the trainer drew, once it is the one asked for."""
    wait_until(lambda: runner.snapshot().view is not None and runner.snapshot().view.bounds == asked, timeout=30)
    return runner.snapshot().view.bounds


def test_zoom_and_pan_while_training_change_the_drawn_range_not_the_run(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    frame = runner.experiment.dataset.bounds
    x0, x1, y0, y1 = frame
    assert caption(at).startswith("View range: the whole data frame")
    assert button(at, "Whole data").disabled and not button(at, "Zoom in").disabled
    at.button(key="pg_play").click().run()
    wait_until(lambda: runner.snapshot().step >= 5, timeout=30)

    before = runner.snapshot().step
    button(at, "Zoom in").click().run()
    assert not at.exception
    assert runner_of(at) is runner and runner.state == RunState.RUNNING  # no restart
    half = ((x0 + x1) / 2 - (x1 - x0) / 4, (x0 + x1) / 2 + (x1 - x0) / 4,
            (y0 + y1) / 2 - (y1 - y0) / 4, (y0 + y1) / 2 + (y1 - y0) / 4)
    assert drawn_range(runner, half) == pytest.approx(half)
    assert "2× closer" in caption(at) and not button(at, "Whole data").disabled
    wait_until(lambda: runner.snapshot().step > before + 5, timeout=30)  # the run kept training

    button(at, "→").click().run()  # a quarter of the shown width (half the frame's) to the right
    quarter = (x1 - x0) / 8
    right = (half[0] + quarter, half[1] + quarter, half[2], half[3])
    assert drawn_range(runner, right) == pytest.approx(right)

    drawn_before = runner.snapshot().view_step
    for _ in range(3):  # live refreshes ask for the same range again: it stays
        at.run()
    # a view drawn after the refreshes (asked for by them alone: a request here would name its own range)
    wait_until(lambda: runner.snapshot().view_step > drawn_before, timeout=30)
    assert runner.snapshot().view.bounds == pytest.approx(right)
    assert runner_of(at) is runner and runner.snapshot().step > before

    at.button(key="pg_pause").click().run()
    wait_until(lambda: runner.snapshot().settled or runner.snapshot(want_view=True).settled, timeout=30)
    at.run()
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]  # the paused view, the first chart
    assert layout["xaxis"]["range"] + layout["yaxis"]["range"] == pytest.approx(list(right))

    button(at, "Whole data").click().run()
    assert drawn_range(runner, frame) == frame
    assert caption(at).startswith("View range: the whole data frame")


def test_a_click_while_paused_redraws_the_plotly_view_without_training(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    x0, x1, y0, y1 = runner.experiment.dataset.bounds
    button(at, "Zoom out").click().run()  # paused at step 0: the first rerun waits for the new view
    wide = (2 * x0 - (x0 + x1) / 2, 2 * x1 - (x0 + x1) / 2, 2 * y0 - (y0 + y1) / 2, 2 * y1 - (y0 + y1) / 2)
    assert drawn_range(runner, wide) == pytest.approx(wide)
    at.run()
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert layout["xaxis"]["range"] + layout["yaxis"]["range"] == pytest.approx(list(wide))
    assert "2× wider" in caption(at) and runner.snapshot().step == 0 and runner.state == RunState.PAUSED
