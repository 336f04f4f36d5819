"""Issue 22.4: a run trained on drawn data continues in the 2D playground with its drawing:
the drawing's code travels in the run's structure, the playground's canvas shows it again
and the run trains on the same points."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganlab.data.drawn import Drawing, Stroke, drawn_distribution, encode
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunWriter
from ganlab.settings.config import DRAWN_DATA, Knobs, MLPShape, ToyStructure
from ganlab.training.runner import Runner
from ganlab.ui.draw_data import DRAW_KEY
from ganlab.ui.runs_continue import _why_not
from ganlab.ui.session import get_registry
from tests.apptest_pages import ENTRY, serve_runs_from
from tests.apptest_pages import run_ok as run

TINY = MLPShape(hidden_layers=1, width=8)
CODE = encode(Drawing((Stroke(np.array([[-2.0, -1.0], [0.0, 1.5], [2.0, -1.0]]), 0.1),
                       Stroke(np.array([[1.0, 2.0]]), 0.05))))


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    structure = ToyStructure(data=DRAWN_DATA, drawing=CODE, generator=TINY, discriminator=TINY, seed=4)
    exp = ToyExperiment(structure)
    runner = Runner(exp, Knobs(batch_size=16), eval_every=5)
    try:
        runner.step("both", 6)
        assert runner.wait_idle(60)
        RunWriter(root / "drawn-a", exp, status="completed").save(runner.export_state())
    finally:
        runner.release()
    yield from serve_runs_from(root, monkeypatch)


def test_a_drawn_run_continues_in_the_playground_with_its_drawing(runs_dir):
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page("pages/3_Runs.py")
    at = run(at)
    at.multiselect(key="rn_selected").set_value(["drawn-a"])
    at = run(at)
    button = at.button(key="rn_continue")
    assert not button.disabled, button.help
    button.click()
    at = run(at)
    assert at.title[0].value == "2D GAN playground"
    at.switch_page("pages/1_Playground.py")
    at = run(at)
    runner = get_registry().get(at.session_state["runner_token:playground"])
    assert runner.wait_idle(30)
    at = run(at)
    assert runner.wait_idle(30)
    snap = runner.snapshot()
    assert snap.step == 6 and snap.structure.drawing == CODE
    assert at.selectbox(key="pg_data").value == DRAWN_DATA and at.session_state[DRAW_KEY] == CODE
    np.testing.assert_array_equal(runner.experiment.dataset.points, drawn_distribution(CODE).points)
    assert not any("uploaded" in w.value for w in at.warning)


def test_only_uploaded_points_keep_a_run_off_the_playground(runs_dir):
    from ganlab.runs import list_runs, read_config

    summary = list_runs()[0]
    config = read_config(summary.path)
    assert _why_not(summary, config) is None
    config["structure"]["data"] = "csv"
    config["structure"]["drawing"] = ""
    assert "uploaded" in _why_not(summary, config)
