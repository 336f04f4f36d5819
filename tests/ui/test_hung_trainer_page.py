"""The playground page with a trainer that stops answering (SIGSTOP) or dies: the Restart offer,
Reset without waiting and with its Undo, what a restart says, and Ask the discriminator's advice
(issue 23.4, 23.11)."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganlab.training.runner import RunState
from ganlab.training.worker_process import wait_gone
from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until

SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


@pytest.fixture
def app():
    yield from fresh_app("pages/1_Playground.py")


@pytest.fixture
def stopped():
    pids: list[int] = []
    yield pids
    for pid in pids:  # a stopped process left behind would stay for good
        for sig in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    assert wait_gone(pids) == []


def trained(at: AppTest, steps: int):
    runner = runner_of(at)
    runner.step("both", count=steps)
    assert runner.wait_idle()
    runner.save_now()  # no run folder: the server keeps it as the restart point
    wait_until(lambda: runner.restart_point is not None and runner.restart_point.step == steps, timeout=30)
    at.run()
    return runner


def undo_button(at: AppTest):
    return next((b for b in at.button if b.key == "pg_undo_restart"), None)


def test_a_stopped_trainer_is_offered_restart_and_reset_keeps_an_undo(app, stopped):
    at = open_with(app, SMALL)
    runner = trained(at, 4)
    hung = runner.pid
    stopped.append(hung)
    os.kill(hung, signal.SIGSTOP)
    wait_until(lambda: runner.hung, timeout=30)
    at.run()
    assert not at.exception
    assert any("stopped answering" in e.value and "step 4" in e.value for e in at.error)
    assert at.button(key="pg_restart_worker").label == "Restart from step 4" and at.button(key="pg_play").disabled
    at.button(key="pg_reset").click().run()
    assert not at.exception and runner.pid is None and wait_gone([hung]) == []  # killed, not waited on
    assert runner.state == RunState.PAUSED and runner.snapshot().step == 0
    assert undo_button(at).label == "Undo: back to the run at step 4"  # the autosave the server kept
    undo_button(at).click().run()
    assert not at.exception and runner.snapshot().step == 4 and runner.pid not in (None, hung)


def test_restart_of_a_stopped_trainer_kills_it_and_goes_on_from_the_autosave(app, stopped):
    at = open_with(app, SMALL)
    runner = trained(at, 3)
    hung = runner.pid
    stopped.append(hung)
    os.kill(hung, signal.SIGSTOP)
    wait_until(lambda: runner.hung, timeout=30)
    at.run()
    at.button(key="pg_restart_worker").click().run()
    assert not at.exception and wait_gone([hung]) == []
    assert runner.pid not in (None, hung) and runner.snapshot().step == 3 and not runner.hung
    assert any("A new trainer took over at step 3, the run's last autosave" in i.value for i in at.info)


def test_reset_after_a_worker_death_keeps_the_undo_offer(app):
    at = open_with(app, SMALL)
    runner = trained(at, 5)
    os.kill(runner.pid, signal.SIGKILL)
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    at.run()
    at.button(key="pg_reset").click().run()
    assert not at.exception and runner.snapshot().step == 0
    assert undo_button(at).label == "Undo: back to the run at step 5"
    undo_button(at).click().run()
    assert runner.snapshot().step == 5 and runner.state == RunState.PAUSED


def test_restarting_a_run_that_never_autosaved_says_it_begins_again(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    runner.step("both", count=2)
    assert runner.wait_idle()
    os.kill(runner.pid, signal.SIGKILL)  # at once: well before its first 10 s restart point
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    at.run()
    assert at.button(key="pg_restart_worker").label == "Restart from step 0"
    at.button(key="pg_restart_worker").click().run()
    infos = " ".join(i.value for i in at.info)
    assert "started the run again at step 0" in infos and "last autosave" not in infos
    assert runner.snapshot().step == 0


def test_asking_a_stopped_trainers_discriminator_points_to_restart(stopped):
    from ganlab.kinds.image_experiment import ImageExperiment
    from ganlab.settings.config import Knobs
    from ganlab.training.remote_runner import RemoteRunner
    from ganlab.training.worker_process import ProcessTransport
    from ganlab.ui.ask_discriminator import _scores
    from tests.kinds.test_image_experiment import blobs, structure

    runner = RemoteRunner(ImageExperiment(structure(), blobs()), Knobs(batch_size=8), transport_factory=ProcessTransport)
    try:
        runner.step()
        assert runner.wait_idle()
        stopped.append(runner.pid)
        os.kill(runner.pid, signal.SIGSTOP)
        wait_until(lambda: runner.hung, timeout=30)
        text = _scores(runner, np.zeros((28, 28)))
        assert "press *Restart*" in text and "once the run is back" not in text
    finally:
        runner.release()


def test_an_idle_page_starts_no_trainer_process_until_its_first_step(app):
    import multiprocessing

    def trainers() -> list[str]:
        return [p.name for p in multiprocessing.active_children() if p.name.startswith("remote-")]

    before = trainers()
    at = open_with(app, SMALL)
    runner = runner_of(at)
    at.run()
    assert runner.pid is None and trainers() == before  # the page is drawn, no process holds its run
    assert any(m.value.startswith("**Step 0**") for m in at.markdown) and at.get("plotly_chart")
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot().step == 1, timeout=30)
    assert runner.pid is not None and trainers() == before + [runner.id]
