"""Issue 11.5: a saved run continues where it is watched. From the Runs page, "Continue in the
2D playground" restores the run into this session's playground runner and opens the
playground, whose widgets then show the run's settings; a run the session already has
there is not replaced without asking."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunWriter, load_run, read_config
from ganlab.settings.config import Knobs, MLPShape, OptimizerKnobs, ToyStructure
from ganlab.training.runner import Runner
from ganlab.ui.session import get_registry
from tests.apptest_pages import ENTRY, serve_runs_from
from tests.apptest_pages import run_ok as run
from tests.conftest import wait_until

TINY = MLPShape(hidden_layers=1, width=8)
KNOBS = Knobs(batch_size=16, loss="hinge", g_opt=OptimizerKnobs(lr=0.0007))
STRUCTURE = ToyStructure(data="grid", generator=TINY, discriminator=TINY, seed=3)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    exp = ToyExperiment(STRUCTURE)
    runner = Runner(exp, KNOBS, eval_every=5)
    try:
        writer = RunWriter(root / "grid-a", exp, status="completed")
        runner.step("both", 12)
        assert runner.wait_idle(60)
        writer.save(runner.export_state())
    finally:
        runner.release()
    return root


@pytest.fixture
def runs_dir(saved, tmp_path, monkeypatch):
    root = Path(shutil.copytree(saved, tmp_path / "runs"))
    yield from serve_runs_from(root, monkeypatch)


def playground_runner(at: AppTest) -> Runner:
    runner = get_registry().get(at.session_state["runner_token:playground"])
    assert runner is not None
    return runner


def open_saved(at: AppTest, name: str) -> AppTest:
    at.switch_page("pages/3_Runs.py")
    at = run(at)
    at.multiselect(key="rn_selected").set_value([name])
    return run(at)


def test_continue_in_the_playground_shows_the_run_at_its_step_with_its_knobs(runs_dir):
    at = open_saved(AppTest.from_file(ENTRY, default_timeout=60), "grid-a")
    at.button(key="rn_continue").click()
    at = run(at)
    assert at.title[0].value == "2D GAN playground"  # switched page
    runner = playground_runner(at)
    assert runner.wait_idle(30)
    at.switch_page("pages/1_Playground.py")  # AppTest stays on the page it was told; the user is here now
    at = run(at)  # a second run of the page: its widgets must not reset the run
    assert runner.wait_idle(30)
    snap = runner.snapshot()
    assert (snap.step, snap.knobs, snap.structure) == (12, KNOBS, STRUCTURE)
    assert len(snap.history["step"]) == 12 and snap.evals["step"].tolist() == [0, 5, 10, 12]
    assert at.selectbox(key="pg_data").value == "grid" and at.selectbox(key="pg_loss").value == "hinge"
    assert any(m.value.startswith("**Step 12**") for m in at.markdown)

    runner.step("both", 3)  # training there saves into the run on pause / save
    assert runner.wait_idle(30)
    runner.save_now()
    wait_until(lambda: read_config(runs_dir / "grid-a")["step"] == 15, timeout=30)
    assert load_run(runs_dir / "grid-a")[1].step == 15

    runner.step("both", 2)  # not saved yet: going back and continuing again must not reload the run
    assert runner.wait_idle(30)
    at = open_saved(at, "grid-a")
    at.button(key="rn_continue").click()
    at = run(at)
    assert at.title[0].value == "2D GAN playground" and playground_runner(at) is runner
    assert runner.wait_idle(30) and runner.snapshot().step == 17


def test_a_playground_run_with_steps_is_not_replaced_without_asking(runs_dir):
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page("pages/1_Playground.py")
    at.query_params.update({"gw": "8", "dw": "8", "gl": "1", "dl": "1"})
    at = run(at)
    old = playground_runner(at)
    old.step("both", 4)
    assert old.wait_idle(30)
    old_structure = old.snapshot().structure

    at = open_saved(at, "grid-a")
    at.button(key="rn_continue").click()
    at = run(at)
    assert at.title[0].value == "Runs" and "has a run at step 4" in at.warning[0].value
    assert old.snapshot().step == 4 and old.snapshot().structure == old_structure  # untouched so far
    at.text_input(key="rn_continue_save_name").input("kept-first")
    at.button(key="rn_continue_save").click()
    at = run(at)
    assert at.title[0].value == "2D GAN playground"
    kept = read_config(runs_dir / "kept-first")
    assert kept["step"] == 4 and kept["structure"] == old_structure.to_dict()
    runner = playground_runner(at)
    assert runner.wait_idle(30)
    assert (runner.snapshot().step, runner.snapshot().knobs) == (12, KNOBS)


def test_reset_stops_autosaving_into_the_continued_run(runs_dir, release_runners):
    """Fresh weights after Reset are another run: they must not overwrite the saved one."""
    exp = ToyExperiment(STRUCTURE)
    saves = []
    runner = Runner(exp, KNOBS, saver=lambda state: saves.append(state.step))
    runner.step("both", 2)
    runner.save_now()
    assert runner.wait_idle(30)
    wait_until(lambda: saves == [2], timeout=30)
    runner.reset()
    runner.step("both", 3)
    runner.save_now()
    assert runner.wait_idle(30)
    assert saves == [2]


def test_continue_an_image_run_on_the_image_page(runs_dir):
    from ganlab.data.image_sources import load_image_source
    from ganlab.kinds.image_experiment import ImageExperiment
    from ganlab.settings.config import ImageStructure

    structure = ImageStructure(dataset="digits", noise_dim=8, width=8, ema_decay=0.0)
    exp = ImageExperiment(structure, load_image_source("digits", max_images=64))
    runner = Runner(exp, Knobs(batch_size=8), eval_every=2)
    try:
        RunWriter(runs_dir / "digits-a", exp, status="completed").save(
            (runner.step("both", 4), runner.wait_idle(60), runner.export_state())[2])
    finally:
        runner.release()

    at = open_saved(AppTest.from_file(ENTRY, default_timeout=60), "digits-a")
    at.button(key="rn_continue").click()
    at = run(at)
    at.switch_page("pages/2_Images.py")
    at = run(at)
    runner = get_registry().get(at.session_state["runner_token:images"])
    assert runner.wait_idle(30)
    at = run(at)
    assert runner.wait_idle(30)
    snap = runner.snapshot()
    assert (snap.step, snap.knobs.batch_size, snap.structure) == (4, 8, structure)
    assert runner.experiment.timeline.steps() == [0, 2, 4]  # the saved grids, for the page's timeline
    assert any(m.value.startswith("**Step 4**") for m in at.markdown)


def test_back_on_the_playground_after_another_page_its_widgets_show_its_run(runs_dir):
    """Streamlit drops the widget state of a page not drawn; coming back crashed with
    'st.session_state has no key "pg_loss"'."""
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page("pages/1_Playground.py")
    at.query_params.update({"gw": "8", "dw": "8", "gl": "1", "dl": "1", "loss": "hinge"})
    at = run(at)
    runner = playground_runner(at)
    runner.step("both", 3)
    assert runner.wait_idle(30)
    at.switch_page("pages/3_Runs.py")
    at = run(at)
    at.switch_page("pages/1_Playground.py")
    at = run(at)
    assert playground_runner(at) is runner and at.selectbox(key="pg_loss").value == "hinge"
    assert runner.wait_idle(30) and runner.snapshot().step == 3  # not reset by the widgets
