"""Presets start the story they tell, and no run is thrown away unasked (issue 11.2, 11.6):
"Apply and restart" -> step 0 with fresh weights and the preset's knobs, one click from the
old run; "Apply, keep training" keeps the steps; a structure change waits for a choice."""

from __future__ import annotations

import pytest
import torch
from streamlit.testing.v1 import AppTest

from ganlab.data.toy import get_toy
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.image_presets import IMAGE_PRESETS
from ganlab.settings.presets import PRESETS
from ganlab.training.runner import RunState
from ganlab.ui.restart import RECIPE_DIFFERS
from tests.apptest_pages import fresh_app, open_with, runner_of, status_line
from tests.conftest import wait_until
from tests.trainer_probes import generator_weights

SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}
SMALL_IMAGES = {"w": "8", "nd": "8", "bs": "8"}
RESTARTED = "restarted from step 0 with fresh weights. Paused: press Play to train."


@pytest.fixture
def playground():
    yield from fresh_app("pages/1_Playground.py")


@pytest.fixture
def images():
    yield from fresh_app("pages/2_Images.py")


def train(at: AppTest, runner, steps: int) -> AppTest:
    runner.step("both", count=steps)
    wait_until(lambda: runner.snapshot().step == steps, timeout=60)
    runner.wait_idle()
    return at.run()


def weights(runner) -> dict[str, torch.Tensor]:
    return runner.call_on_thread(generator_weights)


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def apply(at: AppTest, prefix: str, preset: str, keep: bool = False) -> AppTest:
    at.selectbox(key=prefix + "preset").set_value(preset).run()
    return at.button(key=prefix + ("apply_preset_keep" if keep else "apply_preset")).click().run()


def test_apply_and_restart_starts_the_preset_from_fresh_weights_and_undo_brings_the_run_back(playground):
    at = open_with(playground, {}, data="grid", seed="2")
    at = apply(at, "pg_", "mode-collapse")  # at step 0: nothing to keep
    runner = runner_of(at)
    at = train(at, runner, 30)
    trained = weights(runner)
    at = apply(at, "pg_", "all-modes")
    assert not at.exception
    structure, knobs = PRESETS["all-modes"].apply("grid", seed=2)
    snap = runner.snapshot()
    assert (snap.step, snap.d_updates, snap.g_updates, snap.state) == (0, 0, 0, RunState.PAUSED)
    assert snap.knobs == knobs and snap.structure == structure
    fresh = ToyExperiment(structure, get_toy("grid")).build(knobs).generator.state_dict()
    now = weights(runner)
    assert all(torch.equal(now[k], fresh[k]) for k in fresh)
    assert not all(torch.equal(now[k], trained[k]) for k in trained)
    assert "Preset “All modes” applied: " + RESTARTED in infos(at)
    assert status_line(at).startswith("**Step 0**")

    undo = at.button(key="pg_undo_restart")
    assert undo.label == "Undo: back to the run at step 30"
    at = undo.click().run()
    snap = runner.snapshot()
    assert snap.step == 30 and snap.knobs == PRESETS["mode-collapse"].knobs
    back = weights(runner)
    assert all(torch.equal(back[k], trained[k]) for k in trained)
    collapse = PRESETS["mode-collapse"].knobs  # the widgets show the run that came back
    assert at.selectbox(key="pg_loss").value == collapse.loss and at.slider(key="pg_ds").value == collapse.d_steps
    assert any("Back to the run at step 30" in i for i in infos(at)), (infos(at), [e.value for e in at.error])
    assert not [b for b in at.button if b.key == "pg_undo_restart"]


def test_apply_keep_training_keeps_the_steps(playground):
    at = open_with(playground, {}, data="grid")
    at = apply(at, "pg_", "mode-collapse")
    runner = runner_of(at)
    at = train(at, runner, 20)
    at = apply(at, "pg_", "all-modes", keep=True)
    runner.wait_idle()
    snap = runner.snapshot()
    assert snap.step == 20 and snap.knobs == PRESETS["all-modes"].knobs
    assert any("applied to the running training" in i for i in infos(at))
    assert not [b for b in at.button if b.key == "pg_undo_restart"]


def test_undo_is_withdrawn_once_the_new_run_trains(playground):
    at = open_with(playground, SMALL)
    runner = runner_of(at)
    at = train(at, runner, 5)
    at = apply(at, "pg_", "default")
    assert at.button(key="pg_undo_restart")
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 1)
    at.run()
    assert not [b for b in at.button if b.key == "pg_undo_restart"]


def test_structure_nudge_waits_for_a_choice_and_keep_puts_the_widgets_back(playground):
    at = open_with(playground, SMALL)
    runner = runner_of(at)
    at = train(at, runner, 10)
    at.slider(key="pg_nd").set_value(3).run()  # one arrow-key nudge of the noise dimension
    runner.wait_idle()
    snap = runner.snapshot()
    assert snap.step == 10 and snap.structure.noise_dim == 2  # nothing lost
    assert any("You changed the structure (noise dimension)" in w.value for w in at.warning)
    assert at.query_params["nd"] in ("2", ["2"])  # the link names what trains
    at = at.button(key="pg_keep_run").click().run()
    assert at.slider(key="pg_nd").value == 2
    assert not any("You changed the structure" in w.value for w in at.warning)
    assert runner.snapshot().step == 10


def test_confirmed_structure_change_restarts_and_says_it_is_paused(playground):
    at = open_with(playground, SMALL)
    runner = runner_of(at)
    at.button(key="pg_play").click().run()
    wait_until(lambda: runner.snapshot().step >= 5, timeout=30)
    at.slider(key="pg_nd").set_value(3).run()
    assert runner.snapshot().step >= 5 and runner.state == RunState.RUNNING  # still training, old structure
    at = at.button(key="pg_confirm_restart_button").click().run()
    snap = runner.snapshot()
    assert snap.step == 0 and snap.structure.noise_dim == 3 and snap.state == RunState.PAUSED
    assert "Structure changed (noise dimension): " + RESTARTED in infos(at)
    assert at.button(key="pg_play").label == "Play"  # the state the notice names


def test_structure_change_at_step_0_restarts_without_asking(playground):
    at = open_with(playground, SMALL)
    runner = runner_of(at)
    at.slider(key="pg_nd").set_value(3).run()
    runner.wait_idle()
    assert runner.snapshot().structure.noise_dim == 3
    assert not any("You changed the structure" in w.value for w in at.warning)


def test_image_preset_restart_keeps_the_old_run_one_click_away(images):
    at = open_with(images, SMALL_IMAGES)
    runner = runner_of(at)
    at = train(at, runner, 12)
    at = apply(at, "im_", "wgan-gp")
    assert not at.exception
    snap = runner.snapshot()
    structure, knobs = IMAGE_PRESETS["wgan-gp"].apply(snap.structure)
    assert snap.step == 0 and snap.knobs == knobs and snap.structure == structure
    assert "Preset “WGAN-GP” applied: " + RESTARTED in infos(at)
    at = at.button(key="im_undo_restart").click().run()
    snap = runner.snapshot()
    assert snap.step == 12 and snap.structure.width == 8 and snap.knobs.loss == "non-saturating"
    assert at.number_input(key="im_w").value == 8


def test_image_keep_training_and_structure_change_asks_first(images):
    at = open_with(images, SMALL_IMAGES)
    runner = runner_of(at)
    at = train(at, runner, 6)
    at = apply(at, "im_", "dcgan-classic", keep=True)  # its nets differ: the structure waits
    runner.wait_idle()
    snap = runner.snapshot()
    assert snap.step == 6 and snap.knobs == IMAGE_PRESETS["dcgan-classic"].knobs and snap.structure.width == 8
    assert any("You changed the structure" in w.value for w in at.warning)
    at = at.button(key="im_confirm_restart_button").click().run()
    snap = runner.snapshot()
    assert snap.step == 0 and snap.structure.width == 64
    assert any(RESTARTED in i for i in infos(at))


def test_reset_keeps_the_old_run_one_click_away(playground):
    at = open_with(playground, SMALL)
    runner = runner_of(at)
    at = train(at, runner, 8)
    at = at.button(key="pg_reset").click().run()
    assert runner.snapshot().step == 0
    assert "Reset: " + RESTARTED in infos(at)
    at = at.button(key="pg_undo_restart").click().run()
    assert runner.snapshot().step == 8


def differs(at: AppTest) -> bool:
    return any(RECIPE_DIFFERS in c.value for c in at.caption)


@pytest.mark.parametrize("page, prefix, preset", [("playground", "pg_", "mode-collapse"), ("images", "im_", "wgan-gp")])
def test_the_recipe_box_says_when_the_settings_are_not_its_recipe(request, page, prefix, preset):
    """After a link, a saved run or a changed knob the box still named a recipe ("Default") that
    did not describe the run (newcomer tour): now it says the settings differ, until applied."""
    at = open_with(request.getfixturevalue(page), {})
    assert not differs(at)  # a fresh page trains the selected recipe
    at.selectbox(key=prefix + "preset").set_value(preset).run()
    assert differs(at)  # picked but not applied
    at = at.button(key=prefix + "apply_preset").click().run()
    assert not differs(at)
    at.selectbox(key=prefix + "loss").set_value("hinge").run()
    assert differs(at)
