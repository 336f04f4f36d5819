"""The playground page through Streamlit's AppTest: controls drive this session's runner."""

from __future__ import annotations

import os
import re
import signal

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.settings.presets import PRESETS
from ganlab.training.runner import RunState
from tests.apptest_pages import ENTRY, fresh_app, open_with, runner_of, status_line
from tests.conftest import wait_until

PAGE = "pages/1_Playground.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def open_page(at: AppTest, **params: str) -> AppTest:
    return open_with(at, SMALL, **params)


def numbers_block(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "<small>JS(real, fake)</small>" in m.value)


def settle(at: AppTest, runner) -> AppTest:
    wait_until(lambda: runner.snapshot().settled or runner.snapshot(want_view=True).settled, timeout=30)
    return at.run()


def test_page_loads_with_controls_and_metrics(app):
    at = open_page(app, data="grid")
    labels = {b.label for b in at.button}
    assert {"Play", "Step", "D step", "G step", "Reset", "Apply and restart", "Apply, keep training"} <= labels
    assert status_line(at).startswith("**Step 0**")
    assert at.selectbox(key="pg_data").value == "grid"
    numbers = numbers_block(at)
    # "—" until the first evaluation (at step 0, it may or may not have landed yet)
    assert re.search(r"<small>Modes covered</small><br>\*\*(—|\d+ / 25)\*\*", numbers), numbers
    assert "<small>JS(real, fake)</small>" in numbers


def test_single_steps_update_the_right_counters(app):
    at = open_page(app)
    runner = runner_of(at)
    at.button(key="pg_step_d").click().run()
    wait_until(lambda: runner.snapshot().d_updates == 1)
    snap = runner.snapshot()
    assert (snap.step, snap.d_updates, snap.g_updates) == (1, 1, 0)
    at.button(key="pg_step_g").click().run()
    wait_until(lambda: runner.snapshot().g_updates == 1)
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 3)
    at = settle(at, runner)
    assert status_line(at).startswith("**Step 3**")
    assert "2 D / 2 G updates" in status_line(at)


def test_the_view_is_a_picture_while_training_and_a_figure_at_rest(app):
    at = open_page(app)
    runner = runner_of(at)
    at.button(key="pg_play").click().run()
    wait_until(lambda: runner.snapshot().step >= 5)
    at.run()
    # while training runs the view is a picture (cheap to refresh), at rest a plotly figure
    # (the main column's: the sidebar's lesson-link panel holds the link's QR code as an image)
    assert len(at.main.get("image")) == 1 and len(at.main.get("plotly_chart")) == 4  # the charts only
    at.button(key="pg_pause").click().run()
    assert runner.state == RunState.PAUSED
    assert at.button(key="pg_play").label == "Play"
    assert len(at.main.get("image")) == 0 and len(at.main.get("plotly_chart")) == 5


def test_bad_link_values_are_reported_and_defaults_kept(app):
    at = open_page(app, glr="fast", dw="100000")
    warnings = " ".join(w.value for w in at.warning)
    assert "glr=fast" in warnings
    assert "width must be between 4 and 512" in warnings
    assert at.number_input(key="pg_glr").value == pytest.approx(1e-3)
    assert not at.exception


def test_unknown_dataset_in_link_does_not_crash(app):
    at = open_page(app, data="nope")
    assert not at.exception
    assert at.selectbox(key="pg_data").value == "ring"
    assert any("data=nope" in w.value for w in at.warning)


def test_wasserstein_gp_fills_in_its_penalty(app):
    at = open_page(app)
    at.selectbox(key="pg_loss").set_value("wasserstein-gp").run()
    assert at.number_input(key="pg_gp").value == 10.0
    runner = runner_of(at)
    wait_until(lambda: runner.snapshot().knobs.loss == "wasserstein-gp")
    assert runner.snapshot().knobs.gp_weight == 10.0


def test_invalid_combination_is_refused_with_a_message(app):
    at = open_page(app)
    at.selectbox(key="pg_loss").set_value("wasserstein-gp").run()
    at.number_input(key="pg_gp").set_value(0.0).run()
    assert any("gradient penalty weight above 0" in e.value for e in at.error)
    assert runner_of(at).snapshot().knobs.gp_weight == 10.0  # the last good knobs stay in force


def test_preset_applies_its_recipe(app):
    at = open_page(app)
    at.selectbox(key="pg_preset").set_value("wgan-gp").run()
    at.button(key="pg_apply_preset").click().run()
    assert at.selectbox(key="pg_loss").value == "wasserstein-gp"
    assert at.slider(key="pg_ds").value == 5
    runner = runner_of(at)
    wait_until(lambda: runner.snapshot().knobs.d_steps == 5)


def test_csv_upload_bad_file_is_explained_and_training_kept(app):
    at = open_page(app)
    runner = runner_of(at)
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 1)
    at.selectbox(key="pg_data").set_value("csv").run()
    assert any("Upload a CSV file" in i.value for i in at.info)
    at.file_uploader(key="pg_csv_file").set_value(("points.csv", b"x,y\n1,2\n3,oops\n", "text/csv")).run()
    assert any("Cannot use points.csv" in e.value and "line 3 is not numeric" in e.value for e in at.error)
    assert not at.exception
    # Nothing lost: the run on the previous data goes on untouched.
    runner.wait_idle()
    assert runner.snapshot().step == 1 and runner.experiment.structure.data == "ring"


def test_csv_upload_good_file_trains_on_it(app):
    at = open_page(app)
    runner = runner_of(at)
    rows = "\n".join(f"{i % 7},{(i * 3) % 5}" for i in range(50))
    at.selectbox(key="pg_data").set_value("csv").run()
    at.file_uploader(key="pg_csv_file").set_value(("mine.csv", f"x,y\n{rows}\n".encode(), "text/csv")).run()
    assert not at.error
    wait_until(lambda: runner.experiment.structure.data == "csv")
    assert runner.experiment.dataset.label == "mine.csv"
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 1)
    numbers = numbers_block(settle(at, runner))
    assert "JS(real, fake)" in numbers and "Modes covered" not in numbers  # no true modes for user data


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_reaches_the_runner_unchanged(app, name):
    at = open_page(app, data="grid", seed="3")
    at.selectbox(key="pg_preset").set_value(name).run()
    at.button(key="pg_apply_preset").click().run()
    assert not at.exception and not at.error
    runner = runner_of(at)
    structure, knobs = PRESETS[name].apply("grid", seed=3)
    wait_until(lambda: runner.snapshot().knobs == knobs and runner.experiment.structure == structure)


def test_number_rows_format_the_latest_eval_and_step():
    from types import SimpleNamespace

    from ganlab.data.toy import get_toy
    from ganlab.ui.playground import number_rows

    snap = SimpleNamespace(latest_eval={"modes_covered": 7.0, "high_quality": 0.9312, "mode_kl": 0.1234,
                                        "kl_hist": 0.5, "js_hist": 0.25},
                           latest={"d_real": 0.712, "d_fake": -0.3, "wasserstein": 1.01})
    rows = dict(number_rows(snap, get_toy("ring")))
    assert rows == {"Modes covered": "7 / 8", "High-quality samples": "93.1 %", "Mode KL": "0.123",
                    "KL(real ‖ fake)": "0.500", "JS(real, fake)": "0.250", "D(x) / D(G(z))": "0.71 / -0.30",
                    "Wasserstein estimate": "1.010"}
    no_modes = dict(number_rows(SimpleNamespace(latest_eval={}, latest={}), get_toy("moons")))
    assert no_modes == {"KL(real ‖ fake)": "—", "JS(real, fake)": "—", "D(x) / D(G(z))": "— / —"}


def test_optimizers_are_shown_by_their_conventional_names(app):
    at = open_page(app)
    box = at.selectbox(key="pg_gopt")
    assert box.options == ["Adam", "SGD", "RMSprop"]


def test_a_killed_trainer_shows_an_error_with_restart_and_others_train_on(app):
    at = open_page(app)
    runner = runner_of(at)
    runner.step("both", count=5)
    runner.save_now()  # no run folder: the autosave is kept by the server as the restart point
    assert runner.wait_idle()
    wait_until(lambda: runner._restart_point is not None and runner._restart_point.step == 5)
    at.run()
    dead = runner.pid
    os.kill(dead, signal.SIGKILL)
    wait_until(lambda: runner.state == RunState.ERROR, timeout=10)
    at = settle(at, runner)
    assert any("stopped unexpectedly" in e.value and "Nobody else's run" in e.value for e in at.error)
    assert at.button(key="pg_play").disabled
    other = open_page(AppTest.from_file(ENTRY, default_timeout=60).switch_page(PAGE))  # another participant
    other_runner = runner_of(other)
    assert other_runner is not runner and other_runner.pid != dead
    other.button(key="pg_step").click().run()
    wait_until(lambda: other_runner.snapshot().step == 1, timeout=30)
    at.button(key="pg_restart_worker").click().run()
    assert runner.pid != dead and runner.state == RunState.PAUSED and runner.snapshot().step == 5
    assert not at.button(key="pg_play").disabled
    assert any("A new trainer took over at step 5" in i.value for i in at.info)
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 6, timeout=30)


def test_a_trainer_that_cannot_start_is_explained(app, monkeypatch):
    import errno

    from ganlab.training import worker_process

    def no_memory(self, name="trainer"):
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(worker_process.ProcessTransport, "__init__", no_memory)
    at = app.run()
    assert not at.exception and not at.error  # a fresh page needs no trainer yet
    at.button(key="pg_step").click().run()  # its first Step starts one
    assert not at.exception
    assert any("could not start a trainer" in e.value and "Try again" in e.value for e in at.error)
    assert not any("ENOMEM" in e.value or "Errno" in e.value for e in at.error)
